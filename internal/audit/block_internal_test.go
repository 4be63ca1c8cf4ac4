package audit

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// TestPutBlockBuffersUsedAgain: a block is built in a buffer used again,
// so writing one allocates about the store's own copy of it, not a second
// one; what it wrote is every record, in order.
func TestPutBlockBuffersUsedAgain(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	st := memstore.New()
	line := bytes.Repeat([]byte("x"), 1500)
	evs := make([]groupEvent, blockEvents)
	size := len(evs) - 1
	for i := range evs {
		evs[i] = groupEvent{rec: line, inv: uint64(1 << 40)}
		size += len(line)
	}
	write := func() {
		if err := st.Update(context.Background(), func(tx store.Tx) error { return putBlock(tx, 1, evs, "") }); err != nil {
			t.Fatal(err)
		}
	}
	write()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 10
	for range n {
		write()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > uint64(size)*3/2 {
		t.Errorf("a block of %d bytes allocated %d bytes, want about one copy", size, per)
	}
	var got []byte
	if err := st.View(context.Background(), func(tx store.Tx) error {
		v, err := tx.Get(eventKey(1<<40, 1))
		if err != nil {
			return err
		}
		got, err = UnpackBlock(v)
		return err
	}); err != nil || len(got) != size || bytes.Count(got, []byte{'\n'}) != len(evs)-1 {
		t.Fatalf("the block read back is %d bytes, %v; want %d records", len(got), err, len(evs))
	}
}
