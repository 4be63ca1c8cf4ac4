package server

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
)

// background runs the server's background work: the sweeper's jobs and
// the goroutines the server starts (the tampering recorder). Each job runs
// under recover, so that a bug in one (a service called without a
// Request, say: sealbox.MustRequest panics) is logged and counted and the
// server carries on, the job running again on its next turn; the request
// path recovers its panics the same way. Close waits for the goroutines.
type background struct {
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	panics map[string]uint64 // by job name; every job run so far has one
	wg     sync.WaitGroup    // the goroutines start started
}

func newBackground(log *slog.Logger, jobs ...string) *background {
	b := &background{log: log, panics: map[string]uint64{}}
	for _, j := range jobs {
		b.panics[j] = 0
	}
	return b
}

// run runs job on this goroutine and reports whether it returned. A panic
// is recovered: logged at Error with the job's name, the panic and the
// stack (never the job's data: the panic is named by its type unless it is
// an error, whose text is written to be logged), and counted.
func (b *background) run(name string, job func()) (ok bool) {
	b.mu.Lock()
	if _, known := b.panics[name]; !known {
		b.panics[name] = 0
	}
	b.mu.Unlock()
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		ok = false
		b.mu.Lock()
		b.panics[name]++
		b.mu.Unlock()
		b.log.Error("background job panicked; it runs again on its next turn", "job", name, "panic", describePanic(p),
			"stack", string(debug.Stack()))
	}()
	job()
	return true
}

// describePanic words a recovered panic for the log without the data it
// may carry: an error's text (errors, runtime.Error and sentinels such as
// sealbox.ErrNoRequest, are written to be logged), otherwise only its type.
func describePanic(p any) string {
	if err, ok := p.(error); ok {
		return err.Error()
	}
	return fmt.Sprintf("a value of type %T", p)
}

// start runs job under run on a goroutine of its own, which close waits
// for. After close it runs nothing and logs that: the audit trail and the
// store it would write to are closing.
func (b *background) start(name string, job func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.log.Warn("background job not run: the server is closing", "job", name)
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.run(name, job)
	}()
}

// close makes start a no-op and waits for the goroutines it started.
func (b *background) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wg.Wait()
}

// wait waits for the goroutines started so far, without closing.
func (b *background) wait() { b.wg.Wait() }

// Panics reports how many background jobs panicked.
func (b *background) Panics() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n uint64
	for _, c := range b.panics {
		n += c
	}
	return n
}

// WriteMetrics writes sealbox_background_panics_total, by job, in
// Prometheus' text format.
func (b *background) WriteMetrics(w io.Writer) {
	b.mu.Lock()
	names := make([]string, 0, len(b.panics))
	for n := range b.panics {
		names = append(names, n)
	}
	slices.Sort(names)
	counts := make([]uint64, len(names))
	for i, n := range names {
		counts[i] = b.panics[n]
	}
	b.mu.Unlock()
	const name = "sealbox_background_panics_total"
	fmt.Fprintf(w, "# HELP %s Background jobs that panicked, recovered; each runs again on its next turn.\n# TYPE %s counter\n", name, name)
	for i, n := range names {
		fmt.Fprintf(w, "%s{job=%q} %d\n", name, n, counts[i])
	}
}
