package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// The trail's state, for CloudTrail's GetTrailStatus: whether each sink
// takes events, when one was last written and when a digest was last
// signed, and what went wrong last. Everything here is read without
// taking the writers' locks; the writers note their state with an atomic
// store of what they already hold (a batch's event time, a digest's time),
// or on their failure paths only.

// SinkState is one sink's state, as the Logger knows it.
type SinkState struct {
	// Kind is the sink's kind: "file", "store" or "syslog" (never its
	// folder or address).
	Kind string
	// Up is sealbox_audit_sink_up: its last write succeeded and it is
	// ready (if it can tell).
	Up bool
	// Err is why it is not up ("" when it is): its last write's error,
	// or what Ready answers.
	Err error
}

// SinkStates returns each sink's state, in the Logger's order. It asks
// each Readier sink (a stat of the file sink's folder).
func (l *Logger) SinkStates() []SinkState {
	out := make([]SinkState, len(l.sinks))
	for i, s := range l.sinks {
		kind, _, _ := strings.Cut(l.names[i], ":")
		st := SinkState{Kind: kind, Up: true}
		if l.failing[i].Load() {
			st.Up = false
			if p := l.lastErr[i].Load(); p != nil {
				st.Err = *p
			} else {
				st.Err = errors.New("its last write failed")
			}
		} else if r, ok := s.(Readier); ok {
			if err := r.Ready(); err != nil {
				st.Up, st.Err = false, err
			}
		}
		out[i] = st
	}
	return out
}

// noteErr keeps sinks[i]'s last write error for SinkStates: on the failing
// path only.
func (l *Logger) noteErr(i int, err error) {
	if err != nil {
		l.lastErr[i].Store(&err)
	}
}

// unixTime is a Unix nanosecond time as a time.Time, zero for 0.
func unixTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// storeMax stores v in a if it is later than what a holds.
func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// LastWrite is the eventTime of the newest event this sink has written
// since it opened (the batch's: the writer holds it), zero if none.
func (f *FileSink) LastWrite() time.Time { return unixTime(f.lastWrite.Load()) }

// noteWritten records a written batch: its last event's time (with a
// chain the writer has it; without one, the clock's).
func (f *FileSink) noteWritten(b *batch) {
	if n := len(b.events); n > 0 {
		storeMax(&f.lastWrite, b.events[n-1].time)
		return
	}
	storeMax(&f.lastWrite, time.Now().UnixNano())
}

// DigestState is where a sink's digests stand.
type DigestState struct {
	// Last is when the newest digest was signed (its digestTime), zero if
	// none is known.
	Last time.Time
	// Err is why the last attempt to sign failed, nil if it did not.
	Err error
}

// DigestState returns the file sink's digests' state: the last digest it
// signed (or found at open) and whether the last seal failed. Without a
// Signer it is the zero DigestState.
func (f *FileSink) DigestState() DigestState {
	if f.chain == nil {
		return DigestState{}
	}
	d := DigestState{Last: unixTime(f.chain.digestAt.Load())}
	if p := f.chain.sealErr.Load(); p != nil {
		d.Err = *p
	}
	return d
}

// LatestFinding returns the newest thing the sink found wrong with its
// trail since it opened (at start or while it ran), and when it found it;
// ok is false if it found nothing. Unlike Findings it forgets nothing.
func (f *FileSink) LatestFinding() (fd Finding, at time.Time, ok bool) {
	if f.chain == nil {
		return Finding{}, time.Time{}, false
	}
	f.chain.mu.Lock()
	defer f.chain.mu.Unlock()
	if f.chain.latest == nil {
		return Finding{}, time.Time{}, false
	}
	return *f.chain.latest, f.chain.latestAt, true
}

// noteSealed records how a seal went: the time of the digest it signed
// (zero when it signed none) or its error.
func (c *fileChain) noteSealed(at time.Time, err error) {
	if !at.IsZero() {
		storeMax(&c.digestAt, at.UnixNano())
	}
	if err != nil {
		c.sealErr.Store(&err)
	} else {
		c.sealErr.Store(nil)
	}
}

// LastWrite is the eventTime of the newest event this sink has committed
// since it opened, zero if none.
func (s *StoreSink) LastWrite() time.Time { return unixTime(s.lastWrite.Load()) }

// noteCommitted records a committed group: its newest event's time (each
// event carries its inverted time).
func (s *StoreSink) noteCommitted(evs []groupEvent) {
	var newest uint64
	for _, ev := range evs {
		newest = max(newest, ^ev.inv)
	}
	storeMax(&s.lastWrite, int64(newest))
}

// DigestState returns the store trail's digests' state: the newest digest
// in the store (whichever server signed it: the store is shared) and
// whether this server's last attempt to sign failed.
func (s *StoreSink) DigestState(ctx context.Context) (DigestState, error) {
	var d DigestState
	if p := s.sealErr.Load(); p != nil {
		d.Err = *p
	}
	if s.signer == nil {
		return d, nil
	}
	err := s.st.View(ctx, func(tx store.Tx) error {
		var st sealedState
		if err := store.GetJSON(tx, sealedKey, &st); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		line, err := tx.Get(digestKey(st.DigestSeq))
		if errors.Is(err, store.ErrNotFound) {
			return nil // expired by retention: no time to tell
		}
		if err != nil {
			return err
		}
		t, err := signedDigestTime(line)
		if err != nil {
			return err
		}
		d.Last = t
		return nil
	})
	return d, err
}

// noteSealed records how a seal of the store trail went.
func (s *StoreSink) noteSealed(err error) {
	if err != nil {
		s.sealErr.Store(&err)
	} else {
		s.sealErr.Store(nil)
	}
}

// signedDigestTime is the digestTime of a stored digest line. The
// signature is not checked: this tells when, not whether it is sound
// (`sealbox audit verify` says that).
func signedDigestTime(line []byte) (time.Time, error) {
	var sd signedDigest
	if err := json.Unmarshal(line, &sd); err != nil {
		return time.Time{}, err
	}
	var d struct {
		Time string `json:"digestTime"`
	}
	if err := json.Unmarshal(sd.Digest, &d); err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, d.Time)
}
