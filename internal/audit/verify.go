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
	// Unsigned: events older than the digest interval plus a grace that
	// no digest covers (their digests were removed, or never signed).
	Unsigned = "unsigned"
	// Unverified: events a digest places but does not vouch for (the
	// server found them at start and could not check them).
	Unverified = "unverified"
	// Differs: an event the files and the store do not both hold.
	Differs = "differs"
)

// DefaultMaxUnsigned is how old an event may be and still be waiting for
// its digest: the default digest interval (a minute) plus as much grace.
const DefaultMaxUnsigned = 2 * time.Minute

// VerifyOptions bound and tune a verification.
type VerifyOptions struct {
	// From and To bound what is checked (zero bounds are open): files by
	// their day, the store by its digests' event times.
	From, To time.Time
	// Now is when the check runs (zero: time.Now()).
	Now time.Time
	// MaxUnsigned is how old an event may be without a digest covering it
	// (the server's --audit-digest-interval plus a grace); older ones are
	// Unsigned problems. Zero: DefaultMaxUnsigned.
	MaxUnsigned time.Duration
	// Node is the server whose files CompareFilesStore compares: only the
	// store events its sink wrote are expected in them (StoreOptions.Node),
	// and those of blocks that record no writer (written before writers
	// were recorded, or by a server alone on its store). "" compares every
	// event.
	Node string
}

func (o *VerifyOptions) cutoff() time.Time {
	now, max := o.Now, o.MaxUnsigned
	if now.IsZero() {
		now = time.Now()
	}
	if max <= 0 {
		max = DefaultMaxUnsigned
	}
	return now.Add(-max)
}

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
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].First != ds[j].First {
			return ds[i].First < ds[j].First
		}
		return ds[i].Seq < ds[j].Seq // a segment's opening digest, of no events, first
	})
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
		if d.Unverified && d.Count > 0 {
			rep.add(Problem{Trail: trail, Position: d.First, Kind: Unverified, Detail: fmt.Sprintf("%s to %s are not vouched for (digest %d): %s",
				posName(trail, d.First), posName(trail, d.First+uint64(d.Count)-1), d.Seq, d.Reason)})
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
// is within [o.From, o.To] against the digests in dir/digests, signed by
// one of keys. It proves completeness as well as consistency: the digests
// folder must be there, the digests numbered without a gap, and every line
// older than o.MaxUnsigned covered by a digest. It reads only files; a
// missing or unreadable file is an error, what it finds wrong is in the
// Report.
func VerifyFiles(dir string, keys []ed25519.PublicKey, o VerifyOptions) (*Report, error) {
	rep := &Report{}
	from, to := o.From, o.To
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
	var checked int
	for _, path := range files {
		if name := filepath.Base(path); isEventsFile(name) && inRange(name) {
			checked++
		}
	}
	if _, err := os.Stat(filepath.Join(dir, DigestsDir)); errors.Is(err, os.ErrNotExist) && checked > 0 {
		rep.add(Problem{Trail: DigestsDir, Kind: BadDigest, Detail: fmt.Sprintf("the digests folder %s is missing: nothing vouches for the %d events files", filepath.Join(dir, DigestsDir), checked)})
	}
	cutoff := o.cutoff()
	for _, path := range files {
		name := filepath.Base(path)
		if !isEventsFile(name) || !inRange(name) {
			continue
		}
		ds := currentSegment(rep, name, byTrail[name])
		if err := verifyFile(rep, path, ds, cutoff); err != nil {
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

// currentSegment returns the digests of the file's last segment (the file
// on disk), and reports the lines of earlier segments as removed: the
// server found the file deleted or replaced and started it again.
func currentSegment(rep *Report, name string, ds []*ParsedDigest) []*ParsedDigest {
	var cur uint64
	for _, d := range ds {
		cur = max(cur, d.Segment)
	}
	if cur == 0 {
		return ds
	}
	var keep []*ParsedDigest
	gone := map[uint64]uint64{} // segment -> lines its digests signed
	reason := ""
	for _, d := range ds {
		switch {
		case d.Segment == cur:
			keep = append(keep, d)
			if d.Count == 0 && d.Reason != "" {
				reason = fmt.Sprintf("digest %d: %s", d.Seq, d.Reason)
			}
		default:
			gone[d.Segment] = max(gone[d.Segment], d.First+uint64(d.Count)-1)
		}
	}
	for seg, lines := range gone {
		if lines > 0 {
			rep.add(Problem{Trail: name, Kind: Removed, Detail: fmt.Sprintf("lines 1 to %d of an earlier version of the file (segment %d) are gone; the server started it again (%s)", lines, seg, reason)})
		}
	}
	return keep
}

func verifyFile(rep *Report, path string, ds []*ParsedDigest, cutoff time.Time) error {
	name := filepath.Base(path)
	rep.Trails++
	before := len(rep.Problems)
	var seg uint64
	var covered uint64 // the last line a digest covers
	for _, d := range ds {
		seg = d.Segment
		covered = max(covered, d.First+uint64(d.Count)-1)
	}
	expected, uncovered := trailDigests(rep, name, ds, 1, genesisSeg(name, seg))
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// One pass: each line's hash prefix, and the chain at each digest's
	// end as the lines stand (it must match when nothing else is wrong).
	sort.Slice(ds, func(i, j int) bool { return ds[i].First < ds[j].First })
	var actual []entry
	chain := genesisSeg(name, seg)
	chainAt := map[int][32]byte{} // by index in ds
	di := 0
	var line uint64
	var stale struct {
		first, last, n uint64
		oldest         int64
	}
	err = readLines(f, func(rec []byte, _ bool) error {
		line++
		h := sha256.Sum256(rec)
		chain = link(chain, h)
		for di < len(ds) && ds[di].First+uint64(ds[di].Count)-1 < line {
			di++
		}
		if di < len(ds) && ds[di].First+uint64(ds[di].Count)-1 == line {
			chainAt[di] = chain
		}
		if line > covered {
			// After the last digest: it must be younger than the cutoff
			// (completeness), or its digest is gone.
			if t := eventTime(rec); t == 0 || t < cutoff.UnixNano() {
				if stale.n == 0 {
					stale.first, stale.oldest = line, t
				}
				stale.n++
				stale.last = line
				stale.oldest = min(stale.oldest, t)
			}
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
	if stale.n > 0 {
		when := "no time"
		if stale.oldest != 0 {
			when = "the oldest at " + time.Unix(0, stale.oldest).UTC().Format(time.RFC3339)
		}
		rep.add(Problem{Trail: name, Position: stale.first, Kind: Unsigned, Detail: fmt.Sprintf(
			"lines %d to %d (%d events, %s) are older than the digest interval plus its grace and no digest signs them: their digests were removed, or the server stopped without signing them",
			stale.first, stale.last, stale.n, when)})
	}
	if len(rep.Problems) == before && len(uncovered) == 0 {
		// Every line is where it was signed: the full hashes must chain
		// to what each digest signed.
		for i, d := range ds {
			if at, ok := chainAt[i]; ok && at != d.chain && d.Count > 0 {
				rep.add(Problem{Trail: name, Position: d.First, Kind: BadDigest,
					Detail: fmt.Sprintf("the lines digest %d signs do not chain to its hash", d.Seq)})
			}
		}
	}
	return nil
}

// VerifyStore verifies the store trail in st (the barrier over the data
// folder's store) against its digests, signed by one of keys; only the
// digests whose events' times meet [o.From, o.To] (zero bounds are open).
// Events after the last digest older than o.MaxUnsigned are Unsigned
// problems.
func VerifyStore(ctx context.Context, st store.Store, keys []ed25519.PublicKey, o VerifyOptions) (*Report, error) {
	rep := &Report{Trails: 1}
	from, to := o.From, o.To
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
		if err := staleStore(ctx, st, rep, sealed.LastSeq, o.cutoff()); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// staleStore reports the store's events after seq last, where no digest
// covers them, that are older than cutoff.
func staleStore(ctx context.Context, st store.Store, rep *Report, last uint64, cutoff time.Time) error {
	var first, end, n uint64
	var oldest int64
	err := st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(indexPrefix, indexKey(last), func(key string, v []byte) error {
			seq, ok := parseSeqKey(key, indexPrefix)
			if !ok || len(v)%40 != 0 {
				return nil
			}
			for i := 0; i < len(v); i += 40 {
				t := int64(^binary.BigEndian.Uint64(v[i+32 : i+40]))
				if t < cutoff.UnixNano() {
					if n == 0 {
						first, oldest = seq+uint64(i/40), t
					}
					n++
					end = seq + uint64(i/40)
					oldest = min(oldest, t)
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("failed to read the store's chain index: %w", err)
	}
	if n > 0 {
		rep.add(Problem{Trail: storeTrail, Position: first, Kind: Unsigned, Detail: fmt.Sprintf(
			"seq %d to seq %d (%d events, the oldest at %s) are older than the digest interval plus its grace and no digest signs them",
			first, end, n, time.Unix(0, oldest).UTC().Format(time.RFC3339))})
	}
	return nil
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
