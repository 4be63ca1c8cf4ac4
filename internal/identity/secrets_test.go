package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

const (
	knownSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	knownToken  = "FwoGZXIvYXdzEXAMPLETOKENFwoGZXIvYXdzEXAMPLETOKEN"
)

// Every type that holds a secret access key or a session token, with a
// known one inside, is marshalled and printed every way a careless line
// could: the secret shows in none of it.
func TestSecretsDoNotLeak(t *testing.T) {
	sec, tok := primitive.NewSecret([]byte(knownSecret)), primitive.NewSecret([]byte(knownToken))
	cfg := config.Default()
	cfg.AdminAccessKeyID, cfg.AdminSecretAccessKey, cfg.Passphrase = "AKIAIOSFODNN7EXAMPLE", sec, tok
	values := map[string]any{
		"accessKeyRecord": AccessKeyRecord{ID: "AKIAIOSFODNN7EXAMPLE", Secret: sec, Status: StatusActive, Owner: OwnerRoot},
		"sessionRecord":   SessionRecord{ID: "ASIAIOSFODNN7EXAMPLE", Secret: sec, Token: tok, Kind: "role", Name: "app"},
		"Admin":           Admin{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: sec, UserName: adminUserName},
		"sigv4.Key":       sigv4.Key{Secret: sec, SessionToken: tok},
		"config.Config":   cfg,
	}
	for name, v := range values {
		var out bytes.Buffer
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
			fmt.Fprintf(&out, verb+"\n", v)
			fmt.Fprintf(&out, verb+"\n", &v)
		}
		if b, err := json.Marshal(v); err == nil {
			out.Write(b) // a marshal that succeeds must not carry it either
		}
		slog.New(slog.NewTextHandler(&out, nil)).Info("m", "v", v)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "v", v)
		for _, s := range []string{knownSecret, knownToken, "77 4a 61 6c", "774a616c", "119 74 97 108"} { // the secret, in hex, in decimal
			if strings.Contains(out.String(), s) {
				t.Errorf("%s shows %q:\n%s", name, s, out.String())
			}
		}
	}
}

// Records written in the format every earlier version stored (the secret
// and token as JSON strings) are read as they always were, and the
// records written now are in that format.
func TestStoredFormatOfSecretRecords(t *testing.T) {
	ctx := context.Background()
	fs := store.WithFeed(memstore.New())
	s := New(fs, fs, "123456789012", clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	old := map[string]string{
		"iam/accesskey/AKIAOLDFORMAT0000001": `{"id":"AKIAOLDFORMAT0000001","secret":"` + knownSecret + `","status":"Active","owner":"root","created":"2026-01-01T00:00:00Z"}`,
		"iam/session/ASIAOLDFORMAT0000001": `{"id":"ASIAOLDFORMAT0000001","secret":"` + knownSecret + `","token":"` + knownToken +
			`","created":"2026-01-02T03:00:00Z","expires":"2126-01-02T03:00:00Z","kind":"root","partition":"aws"}`,
	}
	err := fs.Update(ctx, func(tx store.Tx) error {
		for k, v := range old {
			if err := tx.Put(k, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.LookupAccessKey(ctx, "AKIAOLDFORMAT0000001")
	if err != nil || !k.Secret.EqualString(knownSecret) || k.SessionToken.Len() != 0 || k.Principal.Type != "Root" {
		t.Fatalf("LookupAccessKey(a key in the old format) = %v, %v", k, err)
	}
	k, err = s.LookupAccessKey(ctx, "ASIAOLDFORMAT0000001")
	if err != nil || !k.Secret.EqualString(knownSecret) || !k.SessionToken.EqualString(knownToken) || !k.Principal.Temporary {
		t.Fatalf("LookupAccessKey(a session in the old format) = %v, %v", k, err)
	}

	// Read and written again, each record is what it was, byte for byte
	// but for the order of members.
	err = fs.Update(ctx, func(tx store.Tx) error {
		var rec AccessKeyRecord
		if err := GetAccessKey(tx, "AKIAOLDFORMAT0000001", &rec); err != nil {
			return err
		}
		if err := SaveAccessKey(tx, &rec); err != nil {
			return err
		}
		var sess SessionRecord
		if err := GetSession(tx, "ASIAOLDFORMAT0000001", &sess); err != nil {
			return err
		}
		return SaveSession(tx, &sess)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = fs.View(ctx, func(tx store.Tx) error {
		for k, want := range old {
			got, err := tx.Get(k)
			if err != nil {
				return err
			}
			var g, w map[string]any
			json.Unmarshal(got, &g)
			json.Unmarshal([]byte(want), &w)
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("%s written again = %s, want %s", k, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The records refuse the accidental path.
	if err := fs.Update(ctx, func(tx store.Tx) error {
		return store.PutJSON(tx, AccessKeyKey("AKIAACCIDENT00000001"), AccessKeyRecord{ID: "AKIAACCIDENT00000001", Secret: primitive.NewSecret([]byte(knownSecret))})
	}); err == nil {
		t.Errorf("store.PutJSON(accessKeyRecord) succeeded: a record with a secret was stored by accident")
	}
	if err := fs.View(ctx, func(tx store.Tx) error {
		var sess SessionRecord
		return store.GetJSON(tx, sessionKey("ASIAOLDFORMAT0000001"), &sess)
	}); err == nil {
		t.Errorf("store.GetJSON(sessionRecord) succeeded: a record with a secret was read by accident")
	}
}
