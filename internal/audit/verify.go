package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// The kinds of Problem.
const (
	Removed   = "removed"   // an event a digest signs is not there
	Altered   = "altered"   // an event is there, but not as signed
	Inserted  = "inserted"  // an event no digest signs, where digests cover
	Reordered = "reordered" // a signed event is there, out of its order
	BadDigest = "digest"    // a digest is missing, forged or inconsistent
)

// Problem is one thing verification found wrong.
type Problem struct {
	// Trail is the events file ("2026-11-23.jsonl"), "store", or
	// "digests" for the digests' own chain.
	Trail string
	// Position is the event's line in the file, or its sequence number in
	// the store; 0 when the problem is not one event's. For Removed it is
	// the position the digest signed it at.
	Position uint64
	Kind     string
	Detail   string
}

func (p Problem) String() string {
	where := p.Trail
	switch {
	case p.Position == 0:
	case p.Trail == storeTrail:
		where += fmt.Sprintf(" seq %d", p.Position)
	default:
		where += fmt.Sprintf(" line %d", p.Position)
	}
	s := where + ": " + p.Kind
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Report is what Verify found.
type Report struct {
	Trails  int // files (or the store) checked
	Digests int // digests checked
	Events  int // events checked against a digest
	// Unsigned counts the events after their trail's last digest: written
	// since, not yet signed (the next digest will), so not checked.
	Unsigned int
	// Expired counts the events a store digest signs that the retention
	// sweep deleted.
	Expired int
	// LastDigest is when the newest digest seen was signed: a trail cut
	// short together with its last digests ends earlier than the server
	// ran, which only this date can tell.
	LastDigest time.Time
	Problems   []Problem
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(p Problem) { r.Problems = append(r.Problems, p) }

// entry is one event of a trail: its position and the first bytes of its
// hash.
type entry struct {
	pos  uint64
	hash [hashPrefix]byte
}

func prefixOf(h [32]byte) (p [hashPrefix]byte) {
	copy(p[:], h[:hashPrefix])
	return p
}

// compare finds how actual differs from expected, the events as signed.
// Both are in trail order. Events after the last signed one, when every
// signed event is accounted for, are the unsigned tail: counted, not
// problems.
//
// The events that stayed in order are the longest increasing run of their
// signed positions (patience sorting, O(n log n)); a signed event outside
// it was moved; an unknown event between two kept ones, where a signed
// event between them is missing, replaced it (altered); other unknown
// events were inserted, other missing ones removed.
func compare(trail string, expected, actual []entry) (problems []Problem, unsigned int) {
	i := 0
	for i < len(expected) && i < len(actual) && expected[i].hash == actual[i].hash {
		i++
	}
	if i == len(expected) {
		return nil, len(actual) - i
	}
	E, A := expected[i:], actual[i:]
	where := map[[hashPrefix]byte][]int{}
	for k, e := range E {
		where[e.hash] = append(where[e.hash], k)
	}
	signedAt := make([]int, len(A)) // index in E, or -1
	used := make([]bool, len(E))
	for j, a := range A {
		signedAt[j] = -1
		if q := where[a.hash]; len(q) > 0 {
			signedAt[j], where[a.hash] = q[0], q[1:]
			used[q[0]] = true
		}
	}
	kept := increasingRun(signedAt)
	nextKept := make([]int, len(A)+1) // E index of the next kept event at or after j
	nextKept[len(A)] = len(E)
	for j := len(A) - 1; j >= 0; j-- {
		nextKept[j] = nextKept[j+1]
		if kept[j] {
			nextKept[j] = signedAt[j]
		}
	}
	var missing []int
	for k := range E {
		if !used[k] {
			missing = append(missing, k)
		}
	}
	paired := make([]bool, len(missing))
	mp, prevKept := 0, -1
	for j, a := range A {
		switch {
		case kept[j]:
			prevKept = signedAt[j]
		case signedAt[j] >= 0:
			problems = append(problems, Problem{Trail: trail, Position: a.pos, Kind: Reordered,
				Detail: fmt.Sprintf("signed at %s", posName(trail, E[signedAt[j]].pos))})
		default:
			for mp < len(missing) && missing[mp] < prevKept {
				mp++
			}
			if mp < len(missing) && missing[mp] < nextKept[j+1] {
				paired[mp] = true
				problems = append(problems, Problem{Trail: trail, Position: a.pos, Kind: Altered,
					Detail: fmt.Sprintf("does not match the event signed at %s", posName(trail, E[missing[mp]].pos))})
				mp++
				continue
			}
			if nextKept[j+1] == len(E) && mp == len(missing) {
				unsigned++
				continue
			}
			problems = append(problems, Problem{Trail: trail, Position: a.pos, Kind: Inserted, Detail: "no digest signs it"})
		}
	}
	for k, m := range missing {
		if !paired[k] {
			problems = append(problems, Problem{Trail: trail, Position: E[m].pos, Kind: Removed,
				Detail: fmt.Sprintf("the event signed at %s is not there", posName(trail, E[m].pos))})
		}
	}
	sort.SliceStable(problems, func(a, b int) bool { return problems[a].Position < problems[b].Position })
	return problems, unsigned
}

func posName(trail string, pos uint64) string {
	if trail == storeTrail {
		return fmt.Sprintf("seq %d", pos)
	}
	return fmt.Sprintf("line %d", pos)
}

// increasingRun marks a longest strictly increasing subsequence of the
// values of v that are not negative.
func increasingRun(v []int) []bool {
	var tails []int // tails[l] = index in v of the smallest tail of a run of length l+1
	prev := make([]int, len(v))
	for j, x := range v {
		prev[j] = -1
		if x < 0 {
			continue
		}
		l := sort.Search(len(tails), func(k int) bool { return v[tails[k]] >= x })
		if l > 0 {
			prev[j] = tails[l-1]
		}
		if l == len(tails) {
			tails = append(tails, j)
		} else {
			tails[l] = j
		}
	}
	kept := make([]bool, len(v))
	if len(tails) > 0 {
		for j := tails[len(tails)-1]; j >= 0; j = prev[j] {
			kept[j] = true
		}
	}
	return kept
}

// trailDigests checks the digests of one trail, in position order, from
// position next with chain: each starts where the previous ended, with the
// chain it ended on. It returns the expected events and the positions no
// digest covers.
func trailDigests(rep *Report, trail string, ds []*ParsedDigest, next uint64, chain [32]byte) (expected []entry, uncovered [][2]uint64) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].First < ds[j].First })
	for _, d := range ds {
		switch {
		case d.First > next:
			uncovered = append(uncovered, [2]uint64{next, d.First - 1})
			rep.add(Problem{Trail: trail, Kind: BadDigest, Detail: fmt.Sprintf("%s to %s are in no digest: a digest was removed",
				posName(trail, next), posName(trail, d.First-1))})
		case d.First < next:
			rep.add(Problem{Trail: trail, Kind: BadDigest, Detail: fmt.Sprintf("digest %d signs %s again", d.Seq, posName(trail, d.First))})
			continue
		case d.prevChain != chain:
			rep.add(Problem{Trail: trail, Kind: BadDigest, Detail: fmt.Sprintf("digest %d does not continue the chain of the one before", d.Seq)})
		}
		for i, h := range d.EventHashes {
			expected = append(expected, entry{pos: d.First + uint64(i), hash: h})
		}
		next, chain = d.First+uint64(d.Count), d.chain
		rep.Digests++
		if t, err := time.Parse(time.RFC3339Nano, d.Time); err == nil && t.After(rep.LastDigest) {
			rep.LastDigest = t
		}
	}
	return expected, uncovered
}

// digestChain checks the digests of a sink in the order they were signed:
// each names the one before. Only links with an end in inRange are
// reported (the others belong to trails not being verified).
func digestChain(rep *Report, ds []*ParsedDigest, inRange func(*ParsedDigest) bool) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].Seq < ds[j].Seq })
	for i, d := range ds {
		if i == 0 {
			if d.Seq != 1 && inRange(d) {
				rep.add(Problem{Trail: "digests", Kind: BadDigest, Detail: fmt.Sprintf("digests 1 to %d are missing", d.Seq-1)})
			}
			continue
		}
		p := ds[i-1]
		if !inRange(d) && !inRange(p) {
			continue
		}
		switch {
		case d.Seq == p.Seq:
			rep.add(Problem{Trail: "digests", Kind: BadDigest, Detail: fmt.Sprintf("two digests numbered %d", d.Seq)})
		case d.Seq > p.Seq+1:
			rep.add(Problem{Trail: "digests", Kind: BadDigest, Detail: fmt.Sprintf("digests %d to %d are missing", p.Seq+1, d.Seq-1)})
		case d.Previous != p.Hash:
			rep.add(Problem{Trail: "digests", Kind: BadDigest, Detail: fmt.Sprintf("digest %d does not name digest %d as its previous one", d.Seq, p.Seq)})
		}
	}
}

// VerifyFiles verifies the events files of the audit folder dir whose day
// is within [from, to] (zero bounds are open) against the digests in
// dir/digests, signed by one of keys. It reads only files; a missing or
// unreadable file is an error, what it finds wrong is in the Report.
func VerifyFiles(dir string, keys []ed25519.PublicKey, from, to time.Time) (*Report, error) {
	rep := &Report{}
	byTrail := map[string][]*ParsedDigest{}
	var all []*ParsedDigest
	paths, _ := filepath.Glob(filepath.Join(dir, DigestsDir, "*.jsonl"))
	for _, path := range paths {
		name := filepath.Base(path)
		n := 0
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		err = readLines(f, func(line []byte, _ bool) error {
			n++
			if len(line) == 0 {
				return nil
			}
			p, err := ParseDigest(line, keys)
			if err != nil {
				rep.add(Problem{Trail: name, Kind: BadDigest, Detail: fmt.Sprintf("digests/%s line %d: %v", name, n, err)})
				return nil
			}
			if p.Trail != name {
				rep.add(Problem{Trail: name, Kind: BadDigest, Detail: fmt.Sprintf("digests/%s line %d signs another file, %s", name, n, p.Trail)})
				return nil
			}
			byTrail[name] = append(byTrail[name], p)
			all = append(all, p)
			return nil
		})
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	inRange := func(name string) bool {
		day, err := time.Parse("2006-01-02", strings.TrimSuffix(name, ".jsonl"))
		if err != nil {
			return false
		}
		return (from.IsZero() || !day.Add(24*time.Hour).Before(from.UTC())) && (to.IsZero() || !day.After(to.UTC()))
	}
	digestChain(rep, all, func(d *ParsedDigest) bool { return inRange(d.Trail) })
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for _, path := range files {
		name := filepath.Base(path)
		if !isEventsFile(name) || !inRange(name) {
			continue
		}
		if err := verifyFile(rep, path, byTrail[name]); err != nil {
			return nil, err
		}
	}
	for name := range byTrail {
		if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) && inRange(name) {
			rep.add(Problem{Trail: name, Kind: Removed, Detail: "the file is gone, but digests sign it"})
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Trail < rep.Problems[j].Trail })
	return rep, nil
}

func verifyFile(rep *Report, path string, ds []*ParsedDigest) error {
	name := filepath.Base(path)
	rep.Trails++
	before := len(rep.Problems)
	expected, uncovered := trailDigests(rep, name, ds, 1, genesis(name))
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// One pass: each line's hash prefix, and the chain at each digest's
	// end as the lines stand (it must match when nothing else is wrong).
	sort.Slice(ds, func(i, j int) bool { return ds[i].First < ds[j].First })
	var actual []entry
	chain := genesis(name)
	var chainAt []([32]byte)
	di := 0
	var line uint64
	err = readLines(f, func(rec []byte, _ bool) error {
		line++
		h := sha256.Sum256(rec)
		chain = link(chain, h)
		for di < len(ds) && ds[di].First+uint64(ds[di].Count)-1 < line {
			di++
		}
		if di < len(ds) && ds[di].First+uint64(ds[di].Count)-1 == line {
			chainAt = append(chainAt, chain)
		}
		if within(line, uncovered) {
			return nil // in no digest: nothing to check it against
		}
		actual = append(actual, entry{pos: line, hash: prefixOf(h)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", path, err)
	}
	problems, unsigned := compare(name, expected, actual)
	rep.Problems = append(rep.Problems, problems...)
	rep.Unsigned += unsigned
	rep.Events += len(expected)
	if len(rep.Problems) == before && len(uncovered) == 0 {
		// Every line is where it was signed: the full hashes must chain
		// to what each digest signed.
		for i, d := range ds {
			if i < len(chainAt) && chainAt[i] != d.chain {
				rep.add(Problem{Trail: name, Position: d.First, Kind: BadDigest,
					Detail: fmt.Sprintf("the lines digest %d signs do not chain to its hash", d.Seq)})
			}
		}
	}
	return nil
}

// VerifyStore verifies the store trail in st (the barrier over the data
// folder's store) against its digests, signed by one of keys; only the
// digests whose events' times meet [from, to] (zero bounds are open).
func VerifyStore(ctx context.Context, st store.Store, keys []ed25519.PublicKey, from, to time.Time) (*Report, error) {
	rep := &Report{Trails: 1}
	var all []*ParsedDigest
	var expired expiredState
	var sealed sealedState
	var head uint64
	err := st.View(ctx, func(tx store.Tx) error {
		if err := store.GetJSON(tx, expiredKey, &expired); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := store.GetJSON(tx, sealedKey, &sealed); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if b, err := tx.Get(headKey); err == nil && len(b) == 8 {
			head = binary.BigEndian.Uint64(b)
		}
		return tx.Scan(digestPrefix, "", func(key string, v []byte) error {
			p, err := ParseDigest(v, keys)
			if err != nil {
				rep.add(Problem{Trail: storeTrail, Kind: BadDigest, Detail: fmt.Sprintf("%s: %v", key, err)})
				return nil
			}
			if seq, ok := parseSeqKey(key, digestPrefix); !ok || seq != p.Seq || p.Trail != storeTrail {
				rep.add(Problem{Trail: storeTrail, Kind: BadDigest, Detail: fmt.Sprintf("%s holds digest %d of %s", key, p.Seq, p.Trail)})
				return nil
			}
			all = append(all, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the store's digests: %w", err)
	}
	meets := func(d *ParsedDigest) bool {
		oldest, _ := time.Parse(time.RFC3339Nano, d.OldestEvent)
		newest, _ := time.Parse(time.RFC3339Nano, d.NewestEvent)
		return (from.IsZero() || !newest.Before(from)) && (to.IsZero() || !oldest.After(to))
	}
	digestChain(rep, append([]*ParsedDigest(nil), all...), meets)
	// The digests retention deleted are not missing: the first one kept
	// starts the check.
	if len(all) > 0 && !expired.Before.IsZero() {
		rep.Problems = dropLeadingGap(rep.Problems)
	}
	var sel []*ParsedDigest
	var lo, hi uint64
	var tmin, tmax time.Time
	for _, d := range all {
		if !meets(d) {
			continue
		}
		sel = append(sel, d)
		last := d.First + uint64(d.Count) - 1
		if lo == 0 || d.First < lo {
			lo = d.First
		}
		hi = max(hi, last)
		oldest, _ := time.Parse(time.RFC3339Nano, d.OldestEvent)
		newest, _ := time.Parse(time.RFC3339Nano, d.NewestEvent)
		if tmin.IsZero() || oldest.Before(tmin) {
			tmin = oldest
		}
		if newest.After(tmax) {
			tmax = newest
		}
	}
	var expected []entry
	var uncovered [][2]uint64
	if len(sel) > 0 {
		// The first digest selected starts the check: the trail before it
		// is out of the range, or gone by retention.
		sort.Slice(sel, func(i, j int) bool { return sel[i].First < sel[j].First })
		expected, uncovered = trailDigests(rep, storeTrail, sel, sel[0].First, sel[0].prevChain)
	}
	// The events of those digests, by their position.
	type found struct {
		seq  uint64
		key  string
		hash [hashPrefix]byte
	}
	var evs []found
	if len(sel) > 0 {
		// Every block that may hold one: from tmax's down to those whose
		// oldest event is a block's span before tmin.
		after := string(hex16([]byte(eventPrefix), ^uint64(tmax.UnixNano())))
		stop := string(hex16(hex16([]byte(eventPrefix), ^uint64(tmin.Add(-blockSpan).UnixNano())), ^uint64(0)))
		err = st.View(ctx, func(tx store.Tx) error {
			return tx.Scan(eventPrefix, after, func(key string, value []byte) error {
				if key > stop {
					return store.ErrStop
				}
				bevs, _ := readBlock(tx, key, value)
				for _, ev := range bevs {
					if ev.seq >= lo && ev.seq <= hi && !within(ev.seq, uncovered) {
						evs = append(evs, found{ev.seq, key, prefixOf(RecordHash(ev.rec))})
					}
				}
				return nil
			})
		})
		if err != nil {
			return nil, fmt.Errorf("failed to read the store's events: %w", err)
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].seq != evs[j].seq {
			return evs[i].seq < evs[j].seq
		}
		return evs[i].key > evs[j].key
	})
	actual := make([]entry, len(evs))
	for i, e := range evs {
		actual[i] = entry{pos: e.seq, hash: e.hash}
	}
	problems, _ := compare(storeTrail, expected, actual)
	for _, p := range problems {
		if p.Kind == Removed && signedBefore(sel, p.Position, expired.Before) {
			rep.Expired++
			continue
		}
		rep.add(p)
	}
	rep.Events += len(expected)
	if head > sealed.LastSeq {
		rep.Unsigned = int(head - sealed.LastSeq)
	}
	return rep, nil
}

// signedBefore reports whether the digest signing seq has events from
// before the retention horizon.
func signedBefore(ds []*ParsedDigest, seq uint64, horizon time.Time) bool {
	if horizon.IsZero() {
		return false
	}
	for _, d := range ds {
		if seq >= d.First && seq < d.First+uint64(d.Count) {
			oldest, err := time.Parse(time.RFC3339Nano, d.OldestEvent)
			return err == nil && oldest.Before(horizon)
		}
	}
	return false
}

// dropLeadingGap forgets "digests 1 to n are missing" once retention has
// run: those digests were deleted with their events.
func dropLeadingGap(ps []Problem) []Problem {
	out := ps[:0]
	for _, p := range ps {
		if p.Trail == "digests" && strings.HasPrefix(p.Detail, "digests 1 to ") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// within reports whether pos is in one of the ranges.
func within(pos uint64, ranges [][2]uint64) bool {
	for _, r := range ranges {
		if pos >= r[0] && pos <= r[1] {
			return true
		}
	}
	return false
}
