package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// CompareFilesStore compares the events files of the audit folder dir with
// the store trail in st (the barrier), event by event: every event must be
// in both, the store's retention aside, and a day file's events in the
// order the store has them. Each difference is a Problem: Differs for an
// event one side lacks (by file and line, or by store seq), Reordered for
// a line out of the store's order. Days are bounded by o.From and o.To.
//
// With o.Node, the files are one server's among several sharing the
// store: the other servers' events (by the writer each block records) are
// left out.
//
// The two sinks get the same events (log.go), so a difference is either a
// sink that failed (the server logged "audit sink is failing") or an edit:
// a line forged into the files, or one removed from them together with
// its digests.
func CompareFilesStore(ctx context.Context, dir string, st store.Store, o VerifyOptions) (*Report, error) {
	rep := &Report{}
	var lo, hi int64 // event times compared, [lo, hi); 0 is open
	if !o.From.IsZero() {
		lo = o.From.UTC().Truncate(24 * time.Hour).UnixNano()
	}
	if !o.To.IsZero() {
		hi = o.To.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).UnixNano()
	}
	var expired expiredState
	if err := st.View(ctx, func(tx store.Tx) error {
		if err := store.GetJSON(tx, expiredKey, &expired); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if !expired.Before.IsZero() {
		lo = max(lo, expired.Before.UnixNano())
	}
	in := func(t int64) bool { return t >= lo && (hi == 0 || t < hi) }

	// The files' events, by their hash.
	type line struct {
		file string
		pos  uint64
		rec  []byte
		seq  uint64 // the store's, once matched
	}
	byHash := map[[32]byte][]*line{}
	var lines []*line
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	sort.Strings(files)
	for _, path := range files {
		name := filepath.Base(path)
		if !isEventsFile(name) {
			continue
		}
		day, _ := time.Parse("2006-01-02", strings.TrimSuffix(name, ".jsonl"))
		if hi != 0 && day.UnixNano() >= hi || lo != 0 && day.Add(24*time.Hour).UnixNano() <= lo {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		var n uint64
		err = readLines(f, func(rec []byte, _ bool) error {
			n++
			if !in(eventTime(rec)) {
				return nil
			}
			l := &line{file: name, pos: n, rec: append([]byte(nil), rec...)}
			h := RecordHash(rec)
			byHash[h] = append(byHash[h], l)
			lines = append(lines, l)
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("failed to read %s: %w", path, err)
		}
		rep.Trails++
	}

	// The store's events, in trail order, matched against them.
	type storeEvent struct {
		seq uint64
		rec []byte
	}
	var evs []storeEvent
	err := st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(eventPrefix, "", func(key string, value []byte) error {
			bevs, ok := readBlock(tx, key, value)
			if !ok {
				return nil
			}
			if o.Node != "" {
				switch w, err := tx.Get(writerKey(bevs[0].seq)); {
				case err == nil && string(w) != o.Node:
					return nil // another server's events: in its files
				case err != nil && !errors.Is(err, store.ErrNotFound):
					return err
				}
			}
			for _, ev := range bevs {
				if in(ev.time) {
					evs = append(evs, storeEvent{ev.seq, append([]byte(nil), ev.rec...)})
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the store's events: %w", err)
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].seq < evs[j].seq })
	for _, ev := range evs {
		h := RecordHash(ev.rec)
		if q := byHash[h]; len(q) > 0 {
			q[0].seq, byHash[h] = ev.seq, q[1:]
			rep.Events++
			continue
		}
		rep.add(Problem{Trail: storeTrail, Position: ev.seq, Kind: Differs, Detail: "not in the files: " + describe(ev.rec)})
	}
	// Lines the store lacks, and each file's lines out of the store's
	// order (the longest run in order stays).
	byFile := map[string][]*line{}
	for _, l := range lines {
		if l.seq == 0 {
			rep.add(Problem{Trail: l.file, Position: l.pos, Kind: Differs, Detail: "not in the store: " + describe(l.rec)})
			continue
		}
		byFile[l.file] = append(byFile[l.file], l)
	}
	for _, ls := range byFile {
		seqs := make([]int, len(ls))
		for i, l := range ls {
			seqs[i] = int(l.seq)
		}
		kept := increasingRun(seqs)
		for i, l := range ls {
			if !kept[i] {
				rep.add(Problem{Trail: l.file, Position: l.pos, Kind: Reordered, Detail: fmt.Sprintf("out of the store's order (it is store seq %d)", l.seq)})
			}
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.Trail != b.Trail {
			return a.Trail < b.Trail
		}
		return a.Position < b.Position
	})
	return rep, nil
}

// describe names an event record for a message: its name, time and id.
func describe(rec []byte) string {
	var e struct {
		EventName string    `json:"eventName"`
		EventTime time.Time `json:"eventTime"`
		EventID   string    `json:"eventID"`
		Identity  struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
	}
	if json.Unmarshal(rec, &e) != nil {
		return "a line that is not an event record"
	}
	s := fmt.Sprintf("%s at %s, eventID %s", e.EventName, e.EventTime.UTC().Format(time.RFC3339Nano), e.EventID)
	if e.Identity.ARN != "" {
		s += ", by " + e.Identity.ARN
	}
	return s
}
