package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

var batchCases = []testCase{
	{"BatchConcurrentIncrements", func(t *testing.T, s store.Store) {
		// Batched calls run in shared transactions, each seeing the ones
		// before it: no increment may be lost.
		const workers, each = 16, 40
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					if err := s.Batch(context.Background(), increment("counter")); err != nil {
						t.Errorf("Batch(increment) = %v, want nil", err)
						return
					}
				}
			})
		}
		wg.Wait()
		if got, want := string(mustGet(t, s, "counter")), strconv.Itoa(workers*each); got != want {
			t.Errorf("counter after %d×%d concurrent batched increments = %s, want %s", workers, each, got, want)
		}
	}},
	{"BatchFailureIsItsOwn", func(t *testing.T, s store.Store) {
		// One call failing must fail only that call: the others commit, and
		// nothing the failed call wrote is kept.
		errBoom := errors.New("boom")
		const workers = 12
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				key := "k/" + strconv.Itoa(i)
				err := s.Batch(context.Background(), func(tx store.Tx) error {
					if err := tx.Put(key, []byte("v")); err != nil {
						return err
					}
					if i%3 == 0 {
						return errBoom
					}
					return nil
				})
				if want := error(nil); i%3 == 0 {
					if !errors.Is(err, errBoom) {
						t.Errorf("Batch(failing call %d) = %v, want boom", i, err)
					}
				} else if err != want {
					t.Errorf("Batch(call %d) = %v, want nil", i, err)
				}
			})
		}
		wg.Wait()
		for i := range workers {
			_, err := get(t, s, "k/"+strconv.Itoa(i))
			if i%3 == 0 && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a failed call's write k/%d was kept (Get = %v)", i, err)
			}
			if i%3 != 0 && err != nil {
				t.Errorf("Get(k/%d) after its Batch = %v, want the value", i, err)
			}
		}
	}},
	{"BatchHonoursContext", func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Batch(ctx, func(tx store.Tx) error { return tx.Put("x", []byte("1")) }); !errors.Is(err, context.Canceled) {
			t.Errorf("Batch(cancelled) = %v, want context.Canceled", err)
		}
	}},
}
