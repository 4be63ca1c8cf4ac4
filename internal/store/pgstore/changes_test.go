package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

func changesAfter(t *testing.T, s *pgstore.Store, seq int64) []pgstore.ChangeRecord {
	t.Helper()
	recs, err := s.ChangesAfter(ctx, seq, 0)
	if err != nil {
		t.Fatalf("ChangesAfter(%d) = %v, want nil", seq, err)
	}
	return recs
}

// describe writes each record's changes as "key", "-key" (deleted) or
// "key(b)" (bookkeeping).
func describe(recs []pgstore.ChangeRecord) []string {
	var out []string
	for _, r := range recs {
		s := ""
		for _, c := range r.Changes {
			if c.Deleted {
				s += "-"
			}
			s += c.Key
			if c.Bookkeeping {
				s += "(b)"
			}
			s += " "
		}
		out = append(out, s)
	}
	return out
}

// Each committed write transaction that changed keys is one record, with
// its keys and deletions; the rest leave none.
func TestChangeLog(t *testing.T) {
	s := openFresh(t)
	if seq, err := s.LatestSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("LatestSeq of a new database = %d, %v; want 0, nil", seq, err)
	}
	notes, err := s.Listen(ctx)
	if err != nil {
		t.Fatalf("Listen = %v", err)
	}
	put := func(tx store.Tx, k string) error { return tx.Put(k, []byte("v")) }
	steps := []func() error{
		func() error {
			return s.Update(ctx, func(tx store.Tx) error { put(tx, "b"); put(tx, "a"); return put(tx, "b") })
		},
		func() error { return s.Update(ctx, func(tx store.Tx) error { return tx.Delete("missing") }) }, // changed nothing
		func() error { return s.Update(ctx, func(tx store.Tx) error { put(tx, "x"); return errors.New("no") }) },
		func() error { return s.View(ctx, func(tx store.Tx) error { _, err := tx.Get("a"); return err }) },
		func() error { return s.Update(ctx, func(tx store.Tx) error { tx.Delete("a"); return put(tx, "c") }) },
		func() error { return s.Batch(ctx, func(tx store.Tx) error { return tx.Delete("c") }) },
		func() error {
			return s.Update(store.Bookkeeping(ctx), func(tx store.Tx) error { put(tx, "b"); return put(tx, "d") })
		},
		func() error { return s.Batch(store.Bookkeeping(ctx), func(tx store.Tx) error { return put(tx, "e") }) },
	}
	for _, step := range steps {
		step()
	}
	recs := changesAfter(t, s, 0)
	if got, want := describe(recs), []string{"b a ", "-a c ", "-c ", "b(b) d(b) ", "e(b) "}; !slices.Equal(got, want) {
		t.Fatalf("change records = %q, want %q", got, want)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq || recs[i].At.Before(recs[i-1].At) {
			t.Errorf("records %d and %d: seq %d then %d, at %v then %v; want both increasing", i-1, i, recs[i-1].Seq, recs[i].Seq, recs[i-1].At, recs[i].At)
		}
	}
	last := recs[len(recs)-1].Seq
	if seq, err := s.LatestSeq(ctx); err != nil || seq != last {
		t.Errorf("LatestSeq = %d, %v; want %d", seq, err, last)
	}
	if got := changesAfter(t, s, recs[0].Seq); len(got) != 4 || got[0].Seq != recs[1].Seq {
		t.Errorf("ChangesAfter(first) = %v, want all records but the first", describe(got))
	}
	// Listen hears of them; the channel keeps the newest.
	deadline := time.After(5 * time.Second)
	for heard := int64(0); heard != last; {
		select {
		case heard = <-notes:
		case <-deadline:
			t.Fatalf("Listen: no notification of seq %d within 5 s (last heard %d)", last, heard)
		}
	}
}

// A batch of calls is one record, without the calls that failed.
func TestChangeLogBatch(t *testing.T) {
	s := openFresh(t)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			<-start
			s.Batch(ctx, func(tx store.Tx) error {
				tx.Put(fmt.Sprintf("k%d", i), nil)
				if i%2 == 1 {
					return errors.New("odd")
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	var keys []string
	for _, r := range changesAfter(t, s, 0) {
		for _, c := range r.Changes {
			keys = append(keys, c.Key)
		}
	}
	slices.Sort(keys)
	if want := []string{"k0", "k2", "k4", "k6", "k8"}; !slices.Equal(keys, want) {
		t.Errorf("keys in the change records of 10 batched calls, the odd ones failing = %q, want %q", keys, want)
	}
}

// Writers on two servers commit while a follower polls ChangesAfter from
// the last seq it read: it must read every record there is, although seqs
// are drawn in one order and transactions commit in another.
func TestChangeLogFollowerMissesNothing(t *testing.T) {
	_, url := newDatabase(t)
	servers := []*pgstore.Store{open(t, url, pgstore.Options{}), open(t, url, pgstore.Options{})}
	follower := open(t, url, pgstore.Options{})
	var writing atomic.Int32
	var wg sync.WaitGroup
	const writers, each = 6, 40
	for w := range writers {
		writing.Add(1)
		wg.Go(func() {
			defer writing.Add(-1)
			s := servers[w%2]
			for i := range each {
				key := fmt.Sprintf("w%d/%d", w, i)
				// Some transactions hold their seq a while before they
				// commit, to let later ones overtake them if they can.
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.Put(key, nil); err != nil {
						return err
					}
					if i%3 == 0 {
						time.Sleep(time.Millisecond)
					}
					return nil
				})
				if err != nil {
					t.Errorf("Update = %v", err)
					return
				}
			}
		})
	}
	var seen []int64
	last := int64(0)
	pollCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for done := false; !done; {
		done = writing.Load() == 0 // one more poll after the writers finish
		recs, err := follower.ChangesAfter(pollCtx, last, 7)
		if err != nil {
			t.Fatalf("ChangesAfter(%d) = %v", last, err)
		}
		for _, r := range recs {
			seen = append(seen, r.Seq)
			last = r.Seq
		}
		if len(recs) == 7 {
			done = false // more to read
		}
	}
	wg.Wait()
	var all []int64
	for _, r := range changesAfter(t, follower, 0) {
		all = append(all, r.Seq)
	}
	if len(all) != writers*each {
		t.Fatalf("%d change records for %d commits, want one each", len(all), writers*each)
	}
	if !slices.Equal(seen, all) {
		missed := slices.DeleteFunc(slices.Clone(all), func(s int64) bool { return slices.Contains(seen, s) })
		t.Errorf("the polling follower read %d records, missing seqs %v; want all %d", len(seen), missed, len(all))
	}
}

// Records older than the retention are pruned; a follower behind them is
// told so, and LatestSeq still answers the newest.
func TestChangeLogPrune(t *testing.T) {
	_, url := newDatabase(t)
	s := open(t, url, pgstore.Options{ChangeRetention: time.Hour})
	for i := range 5 {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(fmt.Sprint(i), nil) }); err != nil {
			t.Fatal(err)
		}
	}
	recs := changesAfter(t, s, 0)
	// The first three are two hours old.
	execAs(t, url, fmt.Sprintf("UPDATE sealbox_changes SET at = at - interval '2 hours' WHERE seq <= %d", recs[2].Seq))
	n, err := s.PruneChanges(ctx)
	if err != nil || n != 3 {
		t.Fatalf("PruneChanges = %d, %v; want 3, nil", n, err)
	}
	if _, err := s.ChangesAfter(ctx, recs[1].Seq, 0); !errors.Is(err, pgstore.ErrChangesPruned) {
		t.Errorf("ChangesAfter(a pruned seq) = %v, want ErrChangesPruned", err)
	}
	if got := changesAfter(t, s, recs[2].Seq); len(got) != 2 || got[0].Seq != recs[3].Seq {
		t.Errorf("ChangesAfter(the last pruned seq) = %v, want the two kept", describe(got))
	}
	execAs(t, url, "UPDATE sealbox_changes SET at = at - interval '2 hours'")
	if n, err := s.PruneChanges(ctx); err != nil || n != 2 {
		t.Fatalf("PruneChanges = %d, %v; want 2, nil", n, err)
	}
	if seq, err := s.LatestSeq(ctx); err != nil || seq != recs[4].Seq {
		t.Errorf("LatestSeq with every record pruned = %d, %v; want %d", seq, err, recs[4].Seq)
	}
}

// In one batch, a key one call writes as bookkeeping and another for real
// is a real change; a key only bookkeeping calls write is bookkeeping.
func TestChangeLogBookkeepingInBatch(t *testing.T) {
	s := openFresh(t)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			<-start
			c := ctx
			if i%2 == 0 {
				c = store.Bookkeeping(ctx)
			}
			err := s.Batch(c, func(tx store.Tx) error {
				if i%2 == 0 {
					if err := tx.Put("only-bookkeeping", nil); err != nil {
						return err
					}
				}
				return tx.Put("mixed", nil)
			})
			if err != nil {
				t.Errorf("Batch = %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	flags := map[string][]bool{}
	for _, r := range changesAfter(t, s, 0) {
		for _, c := range r.Changes {
			flags[c.Key] = append(flags[c.Key], c.Bookkeeping)
		}
	}
	if slices.Contains(flags["only-bookkeeping"], false) || len(flags["only-bookkeeping"]) == 0 {
		t.Errorf("Bookkeeping flags of a key only bookkeeping calls wrote = %v, want all true", flags["only-bookkeeping"])
	}
	// Each record that has "mixed" had a real write to it unless every call
	// of that record's batch was bookkeeping; at least one record did.
	if !slices.Contains(flags["mixed"], false) {
		t.Errorf("Bookkeeping flags of a key real calls wrote = %v, want a real change", flags["mixed"])
	}
}

// Each record names the Store that committed it; two Stores on one
// database have different origins and the same identity.
func TestChangeLogOrigin(t *testing.T) {
	_, url := newDatabase(t)
	a, b := open(t, url, pgstore.Options{}), open(t, url, pgstore.Options{})
	if a.Origin() == b.Origin() || a.Origin() == 0 {
		t.Fatalf("origins %d and %d: want two different, not 0", a.Origin(), b.Origin())
	}
	ia, errA := a.Identity(ctx)
	ib, errB := b.Identity(ctx)
	if errA != nil || errB != nil || ia == "" || ia != ib {
		t.Fatalf("Identity = %q, %v and %q, %v; want one non-empty identity", ia, errA, ib, errB)
	}
	for _, s := range []*pgstore.Store{a, b} {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	recs := changesAfter(t, a, 0)
	if len(recs) != 2 || recs[0].Origin != a.Origin() || recs[1].Origin != b.Origin() {
		t.Fatalf("records %+v: want one from %d, then one from %d", recs, a.Origin(), b.Origin())
	}
}

// In a Batch a call's writes are sent with the next call's first read
// (tx.send): a call that reads, writes, then fails leaves nothing, neither
// rows nor changes, and the calls around it keep theirs, in rounds of
// concurrent calls large enough to share transactions.
func TestBatchCarriedWrites(t *testing.T) {
	s := openFresh(t)
	errBoom := errors.New("boom")
	const workers = 24
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			key := fmt.Sprintf("k/%02d", i)
			err := s.Batch(ctx, func(tx store.Tx) error {
				if _, err := tx.Get(key); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("Get(%s) = %v, want ErrNotFound", key, err)
				}
				if err := tx.Put(key, []byte("v")); err != nil {
					return err
				}
				if err := tx.Put(key+"/x", []byte("w")); err != nil {
					return err
				}
				if _, err := tx.Get(key + "/x"); err != nil { // its own write, sent with this read
					return err
				}
				if err := tx.Delete(key + "/x"); err != nil {
					return err
				}
				if i%4 == 0 {
					return errBoom
				}
				return nil
			})
			if i%4 == 0 && !errors.Is(err, errBoom) || i%4 != 0 && err != nil {
				t.Errorf("Batch(call %d) = %v", i, err)
			}
		})
	}
	wg.Wait()
	var changed []string
	for _, r := range changesAfter(t, s, 0) {
		for _, c := range r.Changes {
			changed = append(changed, fmt.Sprintf("%s %v", c.Key, c.Deleted))
		}
	}
	for i := range workers {
		key := fmt.Sprintf("k/%02d", i)
		err := s.View(ctx, func(tx store.Tx) error { _, err := tx.Get(key); return err })
		kept := slices.Contains(changed, key+" false")
		if i%4 == 0 && (!errors.Is(err, store.ErrNotFound) || kept) {
			t.Errorf("failed call %d: Get = %v, in the change log %v; want neither", i, err, kept)
		}
		if i%4 != 0 && (err != nil || !kept || !slices.Contains(changed, key+"/x true")) {
			t.Errorf("call %d: Get = %v, change log %v; want its key and its deleted /x", i, err, changed)
		}
	}
}
