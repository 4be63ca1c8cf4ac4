package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

var concurrencyCases = []testCase{
	{"ConcurrentIncrements", func(t *testing.T, s store.Store) {
		const workers, each = 8, 50
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range each {
					if err := s.Update(context.Background(), increment("counter")); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Update(increment) = %v, want nil", err)
		}
		if got, want := string(mustGet(t, s, "counter")), strconv.Itoa(workers*each); got != want {
			t.Errorf("counter after %d×%d concurrent increments = %s, want %s", workers, each, got, want)
		}
	}},
	{"ViewSeesSnapshot", func(t *testing.T, s store.Store) {
		// A writer moves units between two keys; the total never changes in
		// committed data, so any View that sees a different total saw a
		// half-done Update.
		const total, rounds = 1000, 100
		put(t, s, "acct/a", []byte(strconv.Itoa(total)))
		put(t, s, "acct/b", []byte("0"))
		var done atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			defer done.Store(true)
			for i := range rounds {
				if err := s.Update(context.Background(), transfer(i%7+1)); err != nil {
					t.Errorf("Update(transfer) = %v, want nil", err)
					return
				}
			}
		})
		for range 2 {
			wg.Go(func() {
				for views := 0; !done.Load() || views == 0; views++ {
					if err := s.View(context.Background(), checkTotal(total)); err != nil {
						t.Errorf("View = %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
	}},
}

// increment adds one to the decimal counter at key (absent reads as 0).
func increment(key string) func(store.Tx) error {
	return func(tx store.Tx) error {
		n := 0
		v, err := tx.Get(key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.Atoi(string(v)); err != nil {
				return fmt.Errorf("counter %q holds %q: %w", key, v, err)
			}
		}
		return tx.Put(key, []byte(strconv.Itoa(n+1)))
	}
}

// transfer moves n units from acct/a to acct/b (or back, when a runs low).
func transfer(n int) func(store.Tx) error {
	return func(tx store.Tx) error {
		a, b, err := balances(tx)
		if err != nil {
			return err
		}
		if a < n {
			a, b = a+b, 0
		} else {
			a, b = a-n, b+n
		}
		if err := tx.Put("acct/a", []byte(strconv.Itoa(a))); err != nil {
			return err
		}
		return tx.Put("acct/b", []byte(strconv.Itoa(b)))
	}
}

// checkTotal reads the two balances by Get and by Scan and fails if either
// reading does not add up to total.
func checkTotal(total int) func(store.Tx) error {
	return func(tx store.Tx) error {
		a, b, err := balances(tx)
		if err != nil {
			return err
		}
		if a+b != total {
			return fmt.Errorf("reading by Get saw a=%d b=%d, sum %d, want %d", a, b, a+b, total)
		}
		sum := 0
		err = tx.Scan("acct/", "", func(_ string, v []byte) error {
			n, err := strconv.Atoi(string(v))
			sum += n
			return err
		})
		if err != nil {
			return err
		}
		if sum != total {
			return fmt.Errorf("reading by Scan saw balances summing to %d, want %d", sum, total)
		}
		return nil
	}
}

func balances(tx store.Tx) (a, b int, err error) {
	for _, p := range []struct {
		key string
		n   *int
	}{{"acct/a", &a}, {"acct/b", &b}} {
		v, err := tx.Get(p.key)
		if err != nil {
			return 0, 0, fmt.Errorf("Get(%q): %w", p.key, err)
		}
		if *p.n, err = strconv.Atoi(string(v)); err != nil {
			return 0, 0, fmt.Errorf("Get(%q) = %q: %w", p.key, v, err)
		}
	}
	return a, b, nil
}
