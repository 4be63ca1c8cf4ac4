package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// A forgotten key signs nothing: the lines written meanwhile wait, unsigned,
// and are signed once the key is recalled; the trail then verifies. A store
// holding another key is refused at recall, and the key stays forgotten.
func TestForgottenSignerSignsNothingUntilRecalled(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	signer, err := audit.LoadSigner(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: signer, DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file)
	for i := 1; i <= 3; i++ {
		if err := l.Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	signer.Forget()
	if err := file.Seal(); !errors.Is(err, audit.ErrSignerForgotten) {
		t.Fatalf("Seal with the key forgotten = %v, want ErrSignerForgotten", err)
	}

	other := memstore.New()
	if err := other.Update(ctx, func(tx store.Tx) error { return tx.Put("audit/signing-key", make([]byte, 32)) }); err != nil {
		t.Fatal(err)
	}
	if err := signer.Recall(ctx, other); err == nil {
		t.Fatal("Recall from a store holding another key succeeded")
	}
	if err := file.Seal(); !errors.Is(err, audit.ErrSignerForgotten) {
		t.Fatalf("Seal after a refused recall = %v, want ErrSignerForgotten", err)
	}
	if err := signer.Recall(ctx, memstore.New()); err == nil {
		t.Fatal("Recall from a store without the key succeeded")
	}

	if err := signer.Recall(ctx, st); err != nil {
		t.Fatalf("Recall: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyFiles(dir, keysOf(signer), audit.VerifyOptions{Now: verifyNow})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Events != 3 || rep.Unsigned != 0 {
		t.Fatalf("after recall: %d events, %d unsigned, problems:\n%s; want 3 signed", rep.Events, rep.Unsigned, problems(rep))
	}
}
