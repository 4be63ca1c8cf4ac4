package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
)

// The store sink's records. Events hold no secret value (see the package
// comment); the store the server gives the sink is the barrier, so they are
// sealed at rest all the same.
//
//	audit/e/<inverted time><inverted seq>  a block: the records of events committed
//	                                       together, in trail order, each exactly the
//	                                       JSON line the Logger wrote without its
//	                                       newline, joined by newlines; packed
//	                                       (PackBlock) since issue 18
//	audit/s/<seq>                          the block's chain index: for each of its
//	                                       events the SHA-256 of its record (32 bytes)
//	                                       and its inverted time (8, big-endian)
//	audit/d/<digest seq>                   a signed digest of the store trail
//	audit/head                             the last seq given (8 bytes, big-endian)
//	audit/sealed                           where the last digest ended (JSON)
//	audit/expired                          the retention horizon (JSON)
//
// A block's key names its oldest event's time and its first event's seq;
// the others' seqs follow in order. A block holds at most blockEvents
// events within blockSpan of each other, so that one commit of thousands
// of events is a few large records, not thousands of small ones (each
// record costs bbolt a node insert and page space), and a time range is
// still one short scan.
//
// <inverted time> is 2^64-1 minus the eventTime in Unix nanoseconds, in 16
// hex digits, and <inverted seq> likewise, so that an ascending scan — the
// only kind the store has — reads newest first, and a time range is one
// key range: LookupEvents reads a page with one short scan from its end
// time, and the retention sweep deletes with one scan from its horizon.
// <seq> is the event's position in the store trail, from 1, in 16 hex
// digits: the order the events committed in, which is the chain's order.
const (
	eventPrefix  = "audit/e/"
	indexPrefix  = "audit/s/"
	digestPrefix = "audit/d/"
	// writerPrefix + a block's first seq (as indexKey) names the node
	// whose sink wrote the block (StoreOptions.Node), so that one server's
	// files are compared with its own events only (CompareFilesStore).
	// Blocks written before it, or by a server alone on its store, have
	// none. It is outside the chain: the events' hashes are as they were.
	writerPrefix = "audit/w/"
	headKey      = "audit/head"
	sealedKey    = "audit/sealed"
	expiredKey   = "audit/expired"

	storeTrail = "store"

	// blockEvents and blockSpan bound a block: its events, and the time
	// from its oldest event to its newest.
	blockEvents = 1000
	blockSpan   = 10 * time.Second
)

// ErrCursor is returned (wrapped) by Lookup for a cursor it did not give.
var ErrCursor = errors.New("audit: not a lookup cursor")

// StoreOptions configure NewStoreSink.
type StoreOptions struct {
	// Signer, when set, signs digests of the store trail.
	Signer *Signer
	// DigestInterval is how often digests are signed; 0 means a minute.
	// A digest is also signed as soon as 10,000 events wait.
	DigestInterval time.Duration
	// ElectedDigests leaves the signing to the sink's owner: the sink runs
	// no digest loop, and the owner calls Seal every DigestInterval and
	// when SealWake is signalled, while it is the elected server among
	// those sharing the store (package leader), so that one server signs
	// the shared trail's digests. Close still signs the events waiting:
	// Seal is one transaction over the trail's sealed state, so a digest
	// signed by a server that is not the leader continues the same chain.
	ElectedDigests bool
	Clock          clock.Clock  // nil: the real clock
	Logger         *slog.Logger // nil: slog.Default
	// Dir is the folder of the store's file and MinFree the free space
	// Ready wants on its file system; "" checks no space.
	Dir     string
	MinFree int64
	// Node names the server writing through this sink among those sharing
	// the store (FileOptions.Node): each block it writes records it, so
	// that CompareFilesStore matches a server's file trail with its own
	// events. "" records nothing (one server alone on its store).
	Node string
}

// StoreSink keeps events in the store, for LookupEvents and retention.
// Writes are committed through store.Batch: concurrent writes share a
// commit (and its fsync), and Write returns only once its own event has
// committed, never before. Safe for concurrent use.
type StoreSink struct {
	st       store.Store
	node     string
	dir      string
	minFree  int64
	signer   *Signer
	clock    clock.Clock
	log      *slog.Logger
	interval time.Duration

	pending atomic.Int64 // events written since the last digest, about
	sealMu  sync.Mutex
	// lastWrite is the newest event committed, Unix ns; sealErr the last
	// Seal's error, nil if it went well (status.go).
	lastWrite atomic.Int64
	sealErr   atomic.Pointer[error]

	gmu       sync.Mutex
	gcond     *sync.Cond
	cur       *group // the group gathering, nil if none
	leading   bool   // a writer is gathering or committing a group
	inflight  int    // writers in Write
	peak      int    // the most writers in Write since the last commit began
	lastGroup int    // how many a group should wait for: the last cycle's peak

	expireMu sync.Mutex
	// digestsFrom is the newest event time of the oldest digest kept, so
	// that the retention sweep reads digests only when one may be due.
	digestsFrom time.Time

	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewStoreSink returns a sink over st. With o.Signer it signs a digest every
// interval until Close.
func NewStoreSink(st store.Store, o StoreOptions) *StoreSink {
	s := &StoreSink{st: st, node: o.Node, dir: o.Dir, minFree: o.MinFree, signer: o.Signer, clock: o.Clock, log: o.Logger, interval: o.DigestInterval,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	s.gcond = sync.NewCond(&s.gmu)
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.interval <= 0 {
		s.interval = time.Minute
	}
	if s.signer != nil && !o.ElectedDigests {
		go s.loop(s.clock.NewTicker(s.interval))
	} else {
		close(s.done)
	}
	return s
}

func (s *StoreSink) Name() string { return "store" }

// DigestInterval is how often digests are to be signed.
func (s *StoreSink) DigestInterval() time.Duration { return s.interval }

// SealWake is signalled when enough events written through this sink wait
// for a digest that one should be signed now (see ElectedDigests).
func (s *StoreSink) SealWake() <-chan struct{} { return s.wake }

// Ready reports whether the store's file system has MinFree bytes free
// (log.go, Readier).
func (s *StoreSink) Ready() error {
	if s.dir == "" {
		return nil
	}
	return hasFree(s.dir, s.minFree)
}

// gatherWait bounds how long the writer that leads a group waits for the
// others it expects before committing. A lone writer never waits.
const gatherWait = 500 * time.Microsecond

// group is events committed together.
type group struct {
	events []groupEvent
	done   bool  // guarded by StoreSink.gmu
	err    error // set before done
}

type groupEvent struct {
	rec  []byte
	hash [32]byte
	inv  uint64 // inverted eventTime
}

// Write adds the event to the store trail and returns once it has
// committed. The write outlives the request: the call happened, so its
// event is kept even if the client has gone.
//
// Concurrent writes are grouped: one writer leads, the others' events join
// its group, and the group is one store.Batch (one commit, one fsync).
// Committing the moment no commit runs, as the store's batcher does, would
// under steady concurrency alternate a group of the one writer that came
// back first with a group of all the others, two commits per round; so the
// leader waits (at most gatherWait) for as many events as there were
// writers in the last round before it commits. Measured on Decrypt at
// concurrency 8, groups went from 4.8 events to 7.9, and the throughput up
// by a third.
func (s *StoreSink) Write(ctx context.Context, e *Event, line []byte) error {
	h := RecordHash(line)
	return s.writeHashed(ctx, e, line, h)
}

// hashes says the sink hashes its records (hashingSink, log.go).
func (s *StoreSink) hashes() bool { return true }

// writeHashed is Write with the record's hash, RecordHash(line).
func (s *StoreSink) writeHashed(ctx context.Context, e *Event, line []byte, h [32]byte) error {
	rec := bytes.TrimSuffix(line, []byte{'\n'})
	ev := groupEvent{rec: rec, hash: h, inv: ^uint64(e.EventTime.UnixNano())}
	s.gmu.Lock()
	if s.cur == nil {
		s.cur = &group{}
	}
	g := s.cur
	g.events = append(g.events, ev)
	s.inflight++
	s.peak = max(s.peak, s.inflight)
	s.gcond.Broadcast() // a gathering leader counts arrivals
	for !g.done {
		if s.leading {
			s.gcond.Wait()
			continue
		}
		s.leading = true
		s.gather()
		w := s.cur
		s.cur = nil
		s.gmu.Unlock()
		err := s.commit(w.events)
		s.gmu.Lock()
		w.done, w.err = true, err
		s.lastGroup, s.peak = s.peak, s.inflight
		s.leading = false
		s.gcond.Broadcast()
	}
	err := g.err
	s.inflight--
	s.gmu.Unlock()
	if err != nil {
		return fmt.Errorf("failed to store audit event: %w", err)
	}
	s.noteWritten(1)
	return nil
}

// WriteBatch adds entries to the store trail in one commit, in their order.
// The Logger calls it with a later sink's queue (log.go).
func (s *StoreSink) WriteBatch(ctx context.Context, entries []Entry) error {
	evs := make([]groupEvent, len(entries))
	for i := range entries {
		en := &entries[i]
		rec := bytes.TrimSuffix(en.Line, []byte{'\n'})
		h := en.hash // the Logger's, if it hashed
		if !en.hashed {
			h = RecordHash(rec)
		}
		evs[i] = groupEvent{rec: rec, hash: h, inv: ^uint64(en.Event.EventTime.UnixNano())}
	}
	// Through the group, so that it is never committed beside another
	// Write's group (each reads and moves the trail's head).
	s.gmu.Lock()
	for s.leading {
		s.gcond.Wait()
	}
	s.leading = true
	s.gmu.Unlock()
	err := s.commit(evs)
	s.gmu.Lock()
	s.leading = false
	s.gcond.Broadcast()
	s.gmu.Unlock()
	if err != nil {
		return fmt.Errorf("failed to store audit events: %w", err)
	}
	s.noteWritten(len(evs))
	return nil
}

// noteWritten counts n events toward the next digest, and wakes the
// digest loop when enough wait.
func (s *StoreSink) noteWritten(n int) {
	if s.signer != nil && s.pending.Add(int64(n)) >= digestEvents {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// gather waits, with gmu held, for as many events as there were writers in
// the last round, or gatherWait.
func (s *StoreSink) gather() {
	want := s.lastGroup
	if want <= 1 || len(s.cur.events) >= want {
		return
	}
	deadline := time.Now().Add(gatherWait)
	t := time.AfterFunc(gatherWait, func() {
		s.gmu.Lock()
		s.gcond.Broadcast()
		s.gmu.Unlock()
	})
	defer t.Stop()
	for len(s.cur.events) < want && time.Now().Before(deadline) {
		s.gcond.Wait()
	}
}

// commit writes a group's events in one store.Batch, in blocks, each
// event at the next position of the trail.
func (s *StoreSink) commit(evs []groupEvent) error {
	err := s.st.Batch(context.Background(), func(tx store.Tx) error {
		seq, err := headSeq(tx)
		if err != nil {
			return err
		}
		for rest := evs; len(rest) > 0; {
			n := blockLen(rest)
			if err := putBlock(tx, seq+1, rest[:n], s.node); err != nil {
				return err
			}
			seq += uint64(n)
			rest = rest[n:]
		}
		var nb [8]byte
		binary.BigEndian.PutUint64(nb[:], seq)
		return tx.Put(headKey, nb[:])
	})
	if err == nil {
		s.noteCommitted(evs)
	}
	return err
}

// blockLen is how many of evs, from the first, make the next block: at
// most blockEvents, all within blockSpan of each other.
func blockLen(evs []groupEvent) int {
	lo, hi := evs[0].inv, evs[0].inv // inverted: lo is the newest
	for i, ev := range evs {
		if i == blockEvents {
			return i
		}
		nlo, nhi := min(lo, ev.inv), max(hi, ev.inv)
		if nhi-nlo > uint64(blockSpan) {
			return i
		}
		lo, hi = nlo, nhi
	}
	return len(evs)
}

// putBlock writes evs as one block whose first event is at first, and
// which node wrote it unless node is "".
func putBlock(tx store.Tx, first uint64, evs []groupEvent, node string) error {
	size, oldest := len(evs)-1, evs[0].inv
	for _, ev := range evs {
		size += len(ev.rec)
		oldest = max(oldest, ev.inv)
	}
	// The store keeps its own copy of what Put is given (store.Tx), so
	// the block and its index are built in buffers used again.
	bp, ip := getBlockBuf(), getBlockBuf()
	defer putBlockBuf(bp)
	defer putBlockBuf(ip)
	block := slices.Grow((*bp)[:0], size)
	idx := slices.Grow((*ip)[:0], 40*len(evs))
	for i, ev := range evs {
		if i > 0 {
			block = append(block, '\n')
		}
		block = append(block, ev.rec...)
		idx = append(idx, ev.hash[:]...)
		idx = binary.BigEndian.AppendUint64(idx, ev.inv)
	}
	pp := getBlockBuf()
	defer putBlockBuf(pp)
	packed := PackBlock((*pp)[:0], block)
	*bp, *ip, *pp = block, idx, packed
	if err := tx.Put(eventKey(oldest, first), packed); err != nil {
		return err
	}
	if node != "" {
		if err := tx.Put(writerKey(first), []byte(node)); err != nil {
			return err
		}
	}
	return tx.Put(indexKey(first), idx)
}

// A packed block is packedBlock and then the block's S2 encoding
// (github.com/klauspost/compress/s2, block format). A block is JSON lines
// that differ mostly in their ids and times: S2 makes a thousand of them
// about 15 times smaller at several GB/s (BenchmarkPackBlock; fewer pack
// less well), and what the store sink costs
// follows the bytes it writes (the barrier's seal, bbolt's copies, the
// pwrite(2) of its pages): a ten-secret BatchGetSecretValue writes 21
// events, 23 KB. The records, their hashes and the chain are unchanged:
// the store holds the same lines, packed. A block that is not packed (one
// written before) starts with the '{' of its first record, and is read as
// it is.
const packedBlock = 0x00

// maxUnpacked bounds the size a packed block may claim (its first varint)
// before it is decoded: a block of blockEvents events is a few megabytes.
const maxUnpacked = 1 << 30

// PackBlock appends the packed form of block to dst.
func PackBlock(dst, block []byte) []byte {
	n := s2.MaxEncodedLen(len(block))
	if n < 0 {
		panic("audit: a block too large to pack") // over 4 GiB: never, blockEvents bounds it
	}
	start := len(dst)
	dst = slices.Grow(dst, 1+n)
	dst = append(dst, packedBlock)
	enc := s2.Encode(dst[len(dst):len(dst)+n], block) // within dst's capacity: no copy
	return dst[:start+1+len(enc)]
}

// UnpackBlock returns the records of a block as the store holds it: a
// packed block decoded, into a new slice, or a block written before
// blocks were packed as it is. It fails for a packed block that does not
// decode (altered in the store by someone who holds its key).
func UnpackBlock(value []byte) ([]byte, error) {
	if len(value) == 0 || value[0] != packedBlock {
		return value, nil
	}
	n, err := s2.DecodedLen(value[1:])
	if err != nil {
		return nil, fmt.Errorf("audit: a packed block that does not decode: %w", err)
	}
	if n > maxUnpacked {
		return nil, fmt.Errorf("audit: a packed block that claims %d bytes", n)
	}
	b, err := s2.Decode(nil, value[1:])
	if err != nil {
		return nil, fmt.Errorf("audit: a packed block that does not decode: %w", err)
	}
	return b, nil
}

// blockBufs are the buffers putBlock builds blocks and indexes in: a
// block of blockEvents events is a few megabytes, made and cleared for
// every block otherwise. A free list rather than a sync.Pool: blocks are
// written every laterEvery, and a pool is emptied by the collections
// between.
var blockBufs = make(chan *[]byte, 4)

// maxBlockBuf bounds the buffers kept in blockBufs.
const maxBlockBuf = 4 << 20

func getBlockBuf() *[]byte {
	select {
	case b := <-blockBufs:
		return b
	default:
		return new([]byte)
	}
}

func putBlockBuf(b *[]byte) {
	if cap(*b) > maxBlockBuf {
		return
	}
	*b = (*b)[:0]
	select {
	case blockBufs <- b:
	default:
	}
}

// headSeq is the last position given in the trail, read in the writing
// transaction: a batch that rolls back gives its numbers back, so the trail
// has no gaps.
func headSeq(tx store.Tx) (uint64, error) {
	b, err := tx.Get(headKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(b) != 8:
		return 0, errors.New("audit: malformed trail head")
	}
	return binary.BigEndian.Uint64(b), nil
}

func hex16(dst []byte, v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return hex.AppendEncode(dst, b[:])
}

func eventKey(invTime, seq uint64) string {
	b := make([]byte, 0, len(eventPrefix)+32)
	b = append(b, eventPrefix...)
	b = hex16(b, invTime)
	return string(hex16(b, ^seq))
}

func indexKey(seq uint64) string  { return string(hex16([]byte(indexPrefix), seq)) }
func writerKey(seq uint64) string { return string(hex16([]byte(writerPrefix), seq)) }
func digestKey(seq uint64) string { return string(hex16([]byte(digestPrefix), seq)) }

// parseEventKey returns the eventTime and seq of an event key.
func parseEventKey(key string) (t time.Time, seq uint64, ok bool) {
	rest, found := cutPrefix(key, eventPrefix)
	if !found || len(rest) != 32 {
		return time.Time{}, 0, false
	}
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(rest)); err != nil {
		return time.Time{}, 0, false
	}
	return time.Unix(0, int64(^binary.BigEndian.Uint64(b[:8]))).UTC(), ^binary.BigEndian.Uint64(b[8:]), true
}

func parseSeqKey(key, prefix string) (uint64, bool) {
	rest, found := cutPrefix(key, prefix)
	if !found || len(rest) != 16 {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(rest)); err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[:]), true
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

// Lookup calls fn with the records of the events whose eventTime is within
// [start, end] (a zero bound is open), newest first, beginning after cursor
// ("" for the newest), each with the cursor that resumes after it, until fn
// returns false or an error. A cursor Lookup did not give fails with
// ErrCursor. Newest first is exact within a block and between blocks that
// do not overlap in time; blocks committed together may interleave.
func (s *StoreSink) Lookup(ctx context.Context, start, end time.Time, cursor string, fn func(cursor string, record []byte) (bool, error)) error {
	after := eventPrefix
	if !end.IsZero() {
		// Blocks whose oldest event is after end hold none within.
		after = string(hex16([]byte(eventPrefix), ^uint64(end.UnixNano())))
	}
	curKey, curOrd := "", -1
	if cursor != "" {
		k, ord, ok := parseCursor(cursor)
		if !ok {
			return ErrCursor
		}
		curKey, curOrd = k, ord
		if k > after {
			after = k[:len(k)-1] // just before the cursor's block
		}
	}
	stop := ""
	if !start.IsZero() {
		// Keys above this one are of blocks wholly before start.
		stop = string(hex16(hex16([]byte(eventPrefix), ^uint64(start.Add(-blockSpan).UnixNano())), ^uint64(0)))
	}
	return s.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(eventPrefix, after, func(key string, value []byte) error {
			if stop != "" && key > stop {
				return store.ErrStop
			}
			if key < curKey {
				return nil
			}
			evs, ok := readBlock(tx, key, value)
			if !ok {
				return nil
			}
			sort.SliceStable(evs, func(i, j int) bool {
				if evs[i].time != evs[j].time {
					return evs[i].time > evs[j].time
				}
				return evs[i].seq > evs[j].seq
			})
			for i, ev := range evs {
				if key == curKey && i <= curOrd ||
					!end.IsZero() && ev.time > end.UnixNano() || !start.IsZero() && ev.time < start.UnixNano() {
					continue
				}
				more, err := fn(key+"/"+strconv.Itoa(i), ev.rec)
				if err != nil {
					return err
				}
				if !more {
					return store.ErrStop
				}
			}
			return nil
		})
	})
}

// Holds returns, for each record hash, how many of the trail's events
// with an eventTime within [from, to] have it (Witness: the file sink asks
// at start about lines it finds unsigned).
func (s *StoreSink) Holds(ctx context.Context, from, to time.Time) (map[[32]byte]int, error) {
	held := map[[32]byte]int{}
	err := s.Lookup(ctx, from, to, "", func(_ string, rec []byte) (bool, error) {
		held[RecordHash(rec)]++
		return true, nil
	})
	return held, err
}

// parseCursor splits a Lookup cursor: a block's key and the position, newest
// first, of an event in it.
func parseCursor(c string) (key string, ord int, ok bool) {
	i := strings.LastIndexByte(c, '/')
	if i < 0 {
		return "", 0, false
	}
	key = c[:i]
	ord, err := strconv.Atoi(c[i+1:])
	if _, _, valid := parseEventKey(key); !valid || err != nil || ord < 0 || ord >= blockEvents || c[i+1:] != strconv.Itoa(ord) {
		return "", 0, false
	}
	return key, ord, true
}

// blockEvent is one event of a block read back.
type blockEvent struct {
	seq  uint64
	rec  []byte
	time int64 // eventTime in Unix nanoseconds
}

// readBlock splits the block at key into its events, in trail order. Their
// times come from the block's index record; without one that matches, each
// event has the block's oldest time. ok is false for a key that is not a
// block's.
func readBlock(tx store.Tx, key string, value []byte) (evs []blockEvent, ok bool) {
	oldest, first, ok := parseEventKey(key)
	if !ok {
		return nil, false
	}
	if b, err := UnpackBlock(value); err == nil {
		value = b
	} // else: read as it is, so that the chain's check finds it altered
	recs := bytes.Split(value, []byte{'\n'})
	idx, _ := tx.Get(indexKey(first))
	evs = make([]blockEvent, len(recs))
	for i, rec := range recs {
		evs[i] = blockEvent{seq: first + uint64(i), rec: rec, time: oldest.UnixNano()}
		if len(idx) == 40*len(recs) {
			evs[i].time = int64(^binary.BigEndian.Uint64(idx[40*i+32:]))
		}
	}
	return evs, true
}

// sealedState is where the store trail's last digest ended.
type sealedState struct {
	DigestSeq  uint64 `json:"digestSeq"`
	DigestHash string `json:"digestHash"`
	LastSeq    uint64 `json:"lastSeq"`
	Chain      string `json:"chain"`
}

func (st *sealedState) chain() [32]byte {
	if st.Chain == "" {
		return genesis(storeTrail)
	}
	h, _ := hash32(st.Chain)
	return h
}

// loop signs a digest at every tick of t (every interval of the sink's
// clock), and when many events wait.
func (s *StoreSink) loop(t clock.Ticker) {
	defer close(s.done)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C():
		case <-s.wake:
		}
		if err := s.Seal(context.Background()); err != nil {
			s.log.Error("audit digest failed: the events stored since the last digest are not signed yet", "sink", "store", "err", err)
		}
	}
}

// Seal signs digests of the events stored since the last one, now rather
// than at the next interval. Without a Signer it does nothing.
func (s *StoreSink) Seal(ctx context.Context) error {
	if s.signer == nil {
		return nil
	}
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	for {
		var n int
		err := s.st.Update(ctx, func(tx store.Tx) error {
			n = 0
			var st sealedState
			if err := store.GetJSON(tx, sealedKey, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			r := run{trail: storeTrail, prevChain: st.chain()}
			err := tx.Scan(indexPrefix, indexKey(st.LastSeq), func(key string, v []byte) error {
				seq, ok := parseSeqKey(key, indexPrefix)
				if !ok || len(v) == 0 || len(v)%40 != 0 {
					return fmt.Errorf("audit: malformed chain index record %q", key)
				}
				if len(r.events) == 0 {
					r.first = seq
				} else if seq != r.first+uint64(len(r.events)) {
					return store.ErrStop // a gap: the next digest starts after it
				}
				// A digest takes whole blocks, so that the next one
				// starts at a block.
				for i := 0; i < len(v); i += 40 {
					var pe pendingEvent
					copy(pe.hash[:], v[i:i+32])
					pe.time = int64(^binary.BigEndian.Uint64(v[i+32 : i+40]))
					r.events = append(r.events, pe)
				}
				if len(r.events) >= digestEvents {
					return store.ErrStop
				}
				return nil
			})
			if err != nil || len(r.events) == 0 {
				return err
			}
			d, chain, _ := r.digest(st.DigestSeq+1, st.DigestHash, s.clock.Now(), s.signer.fp)
			line, hash, err := s.signer.sign(d)
			if err != nil {
				return err
			}
			if err := tx.Put(digestKey(d.Seq), line); err != nil {
				return err
			}
			n = len(r.events)
			return store.PutJSON(tx, sealedKey, &sealedState{DigestSeq: d.Seq, DigestHash: hash,
				LastSeq: r.first + uint64(n) - 1, Chain: hex.EncodeToString(chain[:])})
		})
		if err != nil {
			err = fmt.Errorf("failed to sign the store trail's digest: %w", err)
			s.noteSealed(err)
			return err
		}
		s.noteSealed(nil)
		s.pending.Add(-int64(n))
		if n < digestEvents {
			return nil
		}
	}
}

// Close stops the digest loop and signs the last digest. It does not close
// the store.
func (s *StoreSink) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.signer == nil {
			return
		}
		close(s.stop)
		<-s.done
		err = s.Seal(context.Background())
	})
	return err
}

// expiredState is the retention horizon: events before it may be gone.
type expiredState struct {
	Before time.Time `json:"before"`
}

// expireChunk bounds the keys one retention transaction deletes, so that
// the sweep never holds the store's writer for long.
const expireChunk = 1000

// Expire deletes the events whose eventTime is before before, a block at
// a time (a block with a newer event waits for a later sweep), with their
// chain index records, and the digests all of whose events are gone. It
// returns how many events it deleted.
func (s *StoreSink) Expire(ctx context.Context, before time.Time) (int, error) {
	s.expireMu.Lock()
	defer s.expireMu.Unlock()
	// Keys above this one are of blocks whose oldest event is before.
	from := string(hex16(hex16([]byte(eventPrefix), ^uint64(before.UnixNano())), ^uint64(0)))
	total := 0
	for {
		type gone struct {
			key   string
			first uint64
			n     int
		}
		var dels []gone
		seen := 0
		// Look first: most sweeps find nothing, and a View costs no commit.
		err := s.st.View(ctx, func(tx store.Tx) error {
			return tx.Scan(eventPrefix, from, func(key string, value []byte) error {
				seen++
				from = key
				if evs, ok := readBlock(tx, key, value); ok && slices.IndexFunc(evs, func(ev blockEvent) bool { return ev.time >= before.UnixNano() }) < 0 {
					dels = append(dels, gone{key, evs[0].seq, len(evs)})
				}
				if seen == expireChunk {
					return store.ErrStop
				}
				return nil
			})
		})
		if err != nil {
			return total, err
		}
		if len(dels) > 0 {
			err = s.st.Update(ctx, func(tx store.Tx) error {
				var st expiredState
				if err := store.GetJSON(tx, expiredKey, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if before.After(st.Before) {
					if err := store.PutJSON(tx, expiredKey, &expiredState{Before: before.UTC()}); err != nil {
						return err
					}
				}
				for _, d := range dels {
					if err := tx.Delete(d.key); err != nil {
						return err
					}
					if err := tx.Delete(indexKey(d.first)); err != nil {
						return err
					}
					if err := tx.Delete(writerKey(d.first)); err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			for _, d := range dels {
				total += d.n
			}
		}
		if seen < expireChunk {
			return total, s.expireDigests(ctx, before)
		}
	}
}

// expireDigests deletes the oldest digests while all their events are
// before before.
func (s *StoreSink) expireDigests(ctx context.Context, before time.Time) error {
	if !s.digestsFrom.IsZero() && !s.digestsFrom.Before(before) {
		return nil
	}
	var gone []string
	var next time.Time
	err := s.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(digestPrefix, "", func(key string, v []byte) error {
			var sd struct {
				Digest struct {
					NewestEvent time.Time `json:"newestEventTime"`
				} `json:"digest"`
			}
			if err := json.Unmarshal(v, &sd); err != nil {
				return fmt.Errorf("audit: malformed digest record %q: %w", key, err)
			}
			if !sd.Digest.NewestEvent.Before(before) || len(gone) == expireChunk {
				next = sd.Digest.NewestEvent
				return store.ErrStop
			}
			gone = append(gone, key)
			return nil
		})
	})
	if err != nil || len(gone) == 0 {
		if err == nil {
			s.digestsFrom = next
		}
		return err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		for _, k := range gone {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && len(gone) == expireChunk {
		return s.expireDigests(ctx, before)
	}
	if err == nil {
		s.digestsFrom = next
	}
	return err
}
