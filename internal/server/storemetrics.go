package server

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox/internal/metrics"
	"github.com/sealbox/sealbox/internal/store"
)

// timedStore is the store the services see, timed: how long each View,
// Update and Batch took (the transaction's whole life, the caller's work in
// it included: that is what a call waits for), and how many failed because
// the store could not be reached (store.ErrUnavailable). It adds two clock
// reads and two atomic adds to a transaction, and no allocation.
type timedStore struct {
	store.Store
	view, update, batch metrics.Histogram
	unavailable         atomic.Uint64
}

var _ store.Store = (*timedStore)(nil)

func (t *timedStore) View(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	err := t.Store.View(ctx, fn)
	t.done(&t.view, start, err)
	return err
}

func (t *timedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	err := t.Store.Update(ctx, fn)
	t.done(&t.update, start, err)
	return err
}

func (t *timedStore) Batch(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	err := t.Store.Batch(ctx, fn)
	t.done(&t.batch, start, err)
	return err
}

func (t *timedStore) done(h *metrics.Histogram, start time.Time, err error) {
	h.Observe(time.Since(start))
	if err != nil && errors.Is(err, store.ErrUnavailable) {
		t.unavailable.Add(1)
	}
}

// WriteMetrics writes sealbox_store_transaction_seconds{kind} and
// sealbox_store_unavailable_total.
func (t *timedStore) WriteMetrics(w io.Writer) {
	const seconds, unavailable = "sealbox_store_transaction_seconds", "sealbox_store_unavailable_total"
	metrics.Header(w, seconds, "histogram", "Store transactions' durations, from begin to commit or rollback, by kind (view, update, batch).")
	metrics.WriteHistogram(w, seconds, `kind="view"`, &t.view)
	metrics.WriteHistogram(w, seconds, `kind="update"`, &t.update)
	metrics.WriteHistogram(w, seconds, `kind="batch"`, &t.batch)
	metrics.Header(w, unavailable, "counter", "Store transactions that failed because the store could not be reached.")
	metrics.Value(w, unavailable, "", t.unavailable.Load())
}
