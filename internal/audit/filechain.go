package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
)

// DigestsDir is the folder, inside the audit folder, of the file sink's
// digests: digests/<day>.jsonl signs the lines of <day>.jsonl.
const DigestsDir = "digests"

// fileChain is the file sink's chain state: for each day file, where its
// last digest ended and the lines written since.
//
// Lock order: sealMu, then mu. sealMu is held by seal and by load (which
// rereads a file's state from disk); mu guards files and pending, which
// the writer appends to after each batch.
type fileChain struct {
	dir      string
	signer   *Signer
	clock    clock.Clock
	log      *slog.Logger
	fsync    bool
	interval time.Duration
	// headPrefix and digestKey are where state keeps this trail's heads
	// (fileStateKeys).
	headPrefix, digestKey string

	sealMu   sync.Mutex
	seq      uint64 // the last digest's Seq (sealMu)
	prevHash string // the last digest's hash (sealMu)

	// state keeps each file's head sealed in the store (the barrier), and
	// witness holds the same events; either may be nil.
	state   store.Store
	witness Witness
	heads   map[string]*fileHead // as last saved in state (sealMu)
	// keyExported: the public key was beside the files at open, so the
	// sink exports it again if it goes (sealMu).
	keyExported bool

	mu       sync.Mutex
	files    map[string]*fileTrail
	current  string // the day file the writer has open
	pending  int
	findings []Finding
	onBreak  func(Finding)
	latest   *Finding  // the newest finding, kept (status.go)
	latestAt time.Time // when it was found

	// digestAt is the newest digest's time, Unix ns; sealErr the last
	// seal's error, nil if it went well (status.go).
	digestAt atomic.Int64
	sealErr  atomic.Pointer[error]

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// fileTrail is one day file's chain.
type fileTrail struct {
	sealedLines  uint64   // lines covered by digests (sealMu)
	sealedOffset int64    // bytes covered by digests (sealMu)
	sealedChain  [32]byte // the chain after them (sealMu)
	segment      uint64   // the file's version (sealMu)
	events       []pendingEvent
	broken       bool // a write failed: reread the file before the next
	// unverified is a run of events, from and to indexes of events, that
	// the next digests place without vouching for them (sealMu).
	unverified struct {
		from, to int
		reason   string
	}
}

// fileHead is where a file's chain stood at its last digest, as the sink
// keeps it in the store: sealed by the barrier, out of reach of whoever
// can edit the audit folder.
type fileHead struct {
	Lines     uint64 `json:"lines"`
	Offset    int64  `json:"offset"`
	Chain     string `json:"chain"`
	Segment   uint64 `json:"segment,omitempty"`
	DigestSeq uint64 `json:"digestSeq"`
	Gone      bool   `json:"gone,omitempty"` // the file was found missing, and said so
}

// digestHead is the file sink's last digest, as kept in the store.
type digestHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// The file sink's records in the store. Servers sharing one store each
// keep their own (FileOptions.Node), under audit/node/<node>/ + these
// names without audit/: a file trail is one server's, in its data folder,
// and another's heads would read as tampering with it.
const (
	fileHeadPrefix = "audit/fh/" // + the day file's name: a fileHead
	fileDigestKey  = "audit/fd"  // a digestHead
	nodePrefix     = "audit/node/"
)

// fileStateKeys are the head prefix and digest key of node's file trail.
func fileStateKeys(node string) (headPrefix, digestKey string) {
	if node == "" {
		return fileHeadPrefix, fileDigestKey
	}
	p := nodePrefix + node + "/"
	return p + strings.TrimPrefix(fileHeadPrefix, "audit/"), p + strings.TrimPrefix(fileDigestKey, "audit/")
}

// Witness holds the same events as the files: the store sink. The file
// sink asks it at start about the lines it finds after a file's last
// digest, and signs only those it holds.
type Witness interface {
	// Holds returns, for each record hash, how many events with an
	// eventTime within [from, to] it holds.
	Holds(ctx context.Context, from, to time.Time) (map[[32]byte]int, error)
}

// Finding is something the file sink found wrong with its trail: at
// start, or while it ran (a file deleted or replaced). The server records
// each as an AuditTrailTamperingDetected event and logs it.
type Finding struct {
	File        string // the day file, or "digests"
	First, Last uint64 // the lines concerned, 0 when not lines'
	Reason      string
}

func (f Finding) String() string {
	if f.First == 0 {
		return f.File + ": " + f.Reason
	}
	return fmt.Sprintf("%s lines %d to %d: %s", f.File, f.First, f.Last, f.Reason)
}

func openFileChain(dir string, o FileOptions) (*fileChain, error) {
	c := &fileChain{dir: dir, signer: o.Signer, clock: o.Clock, log: o.Logger, fsync: o.Fsync, interval: o.DigestInterval,
		state: o.State, witness: o.Witness, heads: map[string]*fileHead{},
		files: map[string]*fileTrail{}, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.headPrefix, c.digestKey = fileStateKeys(o.Node)
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.interval <= 0 {
		c.interval = time.Minute
	}
	if err := os.MkdirAll(filepath.Join(dir, DigestsDir), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the audit digests folder: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, PublicKeyFile)); err == nil {
		c.keyExported = true
	}
	// The sink's last digest, and the files with lines no digest covers.
	ends := map[string]*ParsedDigest{}
	digests, _ := filepath.Glob(filepath.Join(dir, DigestsDir, "*.jsonl"))
	for _, path := range digests {
		p, err := c.lastDigest(path)
		if err != nil || p == nil {
			continue
		}
		ends[filepath.Base(path)] = p
		if p.Seq > c.seq {
			c.seq, c.prevHash = p.Seq, p.Hash
		}
		if t, err := time.Parse(time.RFC3339Nano, p.Time); err == nil {
			storeMax(&c.digestAt, t.UnixNano())
		}
	}
	// What the store says the trail was: the digests beside the files
	// can be deleted with them, the store's records cannot.
	var last digestHead
	if c.state != nil {
		err := c.state.View(context.Background(), func(tx store.Tx) error {
			if err := store.GetJSON(tx, c.digestKey, &last); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return tx.Scan(c.headPrefix, "", func(key string, v []byte) error {
				h := &fileHead{}
				if err := json.Unmarshal(v, h); err != nil {
					return fmt.Errorf("audit: malformed file head %q: %w", key, err)
				}
				c.heads[strings.TrimPrefix(key, c.headPrefix)] = h
				return nil
			})
		})
		if err != nil {
			return nil, fmt.Errorf("failed to read the audit files' heads: %w", err)
		}
	}
	if last.Seq > c.seq {
		c.find(Finding{File: DigestsDir, Reason: fmt.Sprintf("the digests end at digest %d, but the server signed up to digest %d: digests were removed", c.seq, last.Seq)})
		c.seq, c.prevHash = last.Seq, last.Hash
	}
	events, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	defer c.sealLeftovers()
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	onDisk := map[string]bool{}
	for _, path := range events {
		name := filepath.Base(path)
		if !isEventsFile(name) {
			continue
		}
		onDisk[name] = true
		end := int64(0)
		if d := ends[name]; d != nil {
			end = d.EndOffset
		}
		if h := c.heads[name]; h != nil {
			if d := ends[name]; d == nil || d.Seq < h.DigestSeq {
				c.find(Finding{File: name, First: 1, Last: h.Lines, Reason: fmt.Sprintf("its digests were removed: the server's last digest of it was digest %d, of lines 1 to %d", h.DigestSeq, h.Lines)})
			}
			end = h.Offset
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Size() == end {
			continue
		}
		if err := c.load(name, true); err != nil {
			return nil, err
		}
	}
	for name, h := range c.heads {
		if !onDisk[name] && !h.Gone {
			c.find(Finding{File: name, First: 1, Last: h.Lines, Reason: "the file is gone: it was deleted while the server was stopped"})
			h.Gone = true
			c.saveHead(name, h)
		}
	}
	go c.loop(c.clock.NewTicker(c.interval))
	return c, nil
}

// find records a finding, logs it and hands it to the server.
func (c *fileChain) find(f Finding) {
	c.log.Error("audit trail tampering detected", "sink", "file:"+c.dir, "file", f.File, "lines", fmt.Sprintf("%d-%d", f.First, f.Last), "reason", f.Reason)
	c.mu.Lock()
	c.latest, c.latestAt = &f, c.clock.Now().UTC()
	fn := c.onBreak
	if fn == nil {
		c.findings = append(c.findings, f)
	}
	c.mu.Unlock()
	if fn != nil {
		fn(f)
	}
}

// saveHead keeps a file's head in the store. The caller holds sealMu.
func (c *fileChain) saveHead(name string, h *fileHead) {
	c.heads[name] = h
	if c.state == nil {
		return
	}
	err := c.state.Update(context.Background(), func(tx store.Tx) error {
		if err := store.PutJSON(tx, c.headPrefix+name, h); err != nil {
			return err
		}
		return store.PutJSON(tx, c.digestKey, &digestHead{Seq: c.seq, Hash: c.prevHash})
	})
	if err != nil {
		c.log.Error("failed to keep the audit file's head in the store: the next start cannot check this file against it", "file", name, "err", err)
	}
}

// sealLeftovers signs what earlier runs left unsigned, before the first
// new line.
func (c *fileChain) sealLeftovers() {
	c.mu.Lock()
	n := c.pending
	c.mu.Unlock()
	if n == 0 {
		return
	}
	if err := c.seal(); err != nil {
		c.log.Error("audit digest failed: the lines an earlier run left unsigned are not signed yet", "sink", "file:"+c.dir, "err", err)
	}
}

// loop signs a digest at every tick of t (every interval of the sink's
// clock), and when many lines wait.
func (c *fileChain) loop(t clock.Ticker) {
	defer close(c.done)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C():
		case <-c.wake:
		}
		if err := c.seal(); err != nil {
			c.log.Error("audit digest failed: the lines written since the last digest are not signed yet", "sink", "file:"+c.dir, "err", err)
		}
	}
}

// close stops the loop and signs what is left.
func (c *fileChain) close() error {
	select {
	case <-c.stop:
		return nil
	default:
	}
	close(c.stop)
	<-c.done
	return c.seal()
}

// ensure makes sure the trail of the day file name is loaded and sound
// before the writer appends to it. Only the writer calls it.
func (c *fileChain) ensure(name string) error {
	c.mu.Lock()
	t := c.files[name]
	ok := t != nil && !t.broken
	c.current = name
	c.mu.Unlock()
	if ok {
		return nil
	}
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	return c.load(name, false)
}

// broken notes that a write to name failed part way, perhaps.
func (c *fileChain) broken(name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if t := c.files[name]; t != nil {
		t.broken = true
	}
	c.mu.Unlock()
}

// appended adds the lines the writer has just written to name.
func (c *fileChain) appended(name string, evs []pendingEvent) {
	if c == nil || len(evs) == 0 {
		return
	}
	c.mu.Lock()
	t := c.files[name]
	t.events = append(t.events, evs...)
	c.pending += len(evs)
	many := c.pending >= digestEvents
	c.mu.Unlock()
	if many {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// load (re)reads the trail of the day file name from disk: where its last
// digest ended (as the store keeps it, else as the digests file says), and
// the lines after it. The caller holds sealMu and no writer is appending
// to name.
//
// At start (check) the lines after the last digest were written by an
// earlier run that did not sign them (it was killed), or by someone while
// the server was stopped. They are signed only if the witness (the store)
// holds them too; the others, and all of them without a witness, are
// placed by an unverified digest and named in a Finding: nothing written
// while the server was stopped is ever vouched for by a later digest. A
// file shorter than its digests say is set aside and started again, as a
// new segment.
func (c *fileChain) load(name string, check bool) error {
	t := &fileTrail{sealedChain: genesis(name)}
	if h := c.heads[name]; h != nil {
		ch, err := hash32(h.Chain)
		if err != nil {
			return fmt.Errorf("audit: the store's head of %s: %w", name, err)
		}
		t.sealedLines, t.sealedOffset, t.sealedChain, t.segment = h.Lines, h.Offset, ch, h.Segment
	} else {
		p, err := c.lastDigest(filepath.Join(c.dir, DigestsDir, name))
		if err != nil {
			return err
		}
		if p != nil {
			t.sealedLines, t.sealedOffset, t.sealedChain, t.segment = p.First+uint64(p.Count)-1, p.EndOffset, p.chain, p.Segment
		}
	}
	path := filepath.Join(c.dir, name)
	if fi, err := os.Stat(path); err == nil && fi.Size() < t.sealedOffset {
		// Someone cut the file: the chain cannot go on from where the
		// digests say. Keep what is left aside and start the file again.
		reason := fmt.Sprintf("the file is %d bytes, but the server had signed %d (lines 1 to %d): it was cut short", fi.Size(), t.sealedOffset, t.sealedLines)
		if err := c.restart(name, t, reason); err != nil {
			return err
		}
		c.find(Finding{File: name, First: 1, Last: t.sealedLines, Reason: reason})
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open audit file: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(t.sealedOffset, io.SeekStart); err != nil {
		return err
	}
	var torn bool
	err = readLines(f, func(line []byte, complete bool) error {
		t.events = append(t.events, pendingEvent{hash: RecordHash(line), size: int64(len(line)) + 1, time: eventTime(line)})
		torn = !complete
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to read audit file %s: %w", name, err)
	}
	if torn {
		// A batch cut short (a crash, a full disk): end its last line so
		// that the next one starts on a line of its own.
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return fmt.Errorf("failed to end the torn last line of %s: %w", name, err)
		}
	}
	if check && len(t.events) > 0 {
		c.checkTail(name, t)
	}
	c.mu.Lock()
	if old := c.files[name]; old != nil {
		c.pending -= len(old.events)
	}
	c.files[name] = t
	c.pending += len(t.events)
	c.mu.Unlock()
	return nil
}

// checkTail marks the lines of t after its last digest that the witness
// does not hold as unverified, from the first it lacks.
func (c *fileChain) checkTail(name string, t *fileTrail) {
	k := 0
	reason := "written after the file's last digest, and with no store sink nothing can vouch for them: the server was killed, or someone appended them while it was stopped"
	if c.witness != nil {
		lo, hi := t.events[0].time, t.events[0].time
		for _, e := range t.events {
			lo, hi = min(lo, e.time), max(hi, e.time)
		}
		held, err := c.witness.Holds(context.Background(), time.Unix(0, lo).Add(-time.Second), time.Unix(0, hi).Add(time.Second))
		if err != nil {
			reason = fmt.Sprintf("written after the file's last digest; the store could not be asked about them (%v)", err)
		} else {
			for k < len(t.events) && held[t.events[k].hash] > 0 {
				held[t.events[k].hash]--
				k++
			}
			reason = "written after the file's last digest and not in the store: written while the server was stopped, or lost from the store's queue when the server was killed"
		}
	}
	if k == len(t.events) {
		return
	}
	t.unverified.from, t.unverified.to, t.unverified.reason = k, len(t.events), reason
	c.find(Finding{File: name, First: t.sealedLines + uint64(k) + 1, Last: t.sealedLines + uint64(len(t.events)), Reason: reason})
}

// restart sets the file name aside (when it is there) and starts it
// again, empty, as the next segment of its trail, with a digest that says
// why. The lines of t not signed yet are lost to the file. The caller
// holds sealMu.
func (c *fileChain) restart(name string, t *fileTrail, reason string) error {
	path := filepath.Join(c.dir, name)
	if _, err := os.Lstat(path); err == nil {
		aside := fmt.Sprintf("%s.set-aside-%d", path, c.clock.Now().UnixNano())
		if err := os.Rename(path, aside); err != nil {
			return fmt.Errorf("failed to set %s aside: %w", name, err)
		}
		c.log.Warn("audit file set aside", "file", name, "to", filepath.Base(aside), "reason", reason)
	}
	seg := t.segment + 1
	nt := &fileTrail{segment: seg, sealedChain: genesisSeg(name, seg)}
	r := run{trail: name, first: 1, prevChain: nt.sealedChain, segment: seg, reason: reason}
	d, _, _ := r.digest(c.seq+1, c.prevHash, c.clock.Now(), c.signer.fp)
	line, hash, err := c.signer.sign(d)
	if err == nil {
		err = c.appendDigest(name, line)
	}
	if err != nil {
		return fmt.Errorf("failed to sign the restart of %s: %w", name, err)
	}
	c.seq, c.prevHash = d.Seq, hash
	c.noteSealed(c.clock.Now(), nil)
	c.mu.Lock()
	if old := c.files[name]; old != nil {
		c.pending -= len(old.events)
	}
	c.files[name] = nt
	c.mu.Unlock()
	c.saveHead(name, &fileHead{Chain: hex.EncodeToString(nt.sealedChain[:]), Segment: seg, DigestSeq: d.Seq})
	return nil
}

// readLines calls fn with each line of r, without its newline; complete is
// false for a last line without one.
func readLines(r io.Reader, fn func(line []byte, complete bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if ferr := fn(bytes.TrimSuffix(line, []byte{'\n'}), complete); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// eventTime is a record's eventTime in Unix nanoseconds, 0 if it has none.
func eventTime(record []byte) int64 {
	var e struct {
		EventTime time.Time `json:"eventTime"`
	}
	if json.Unmarshal(record, &e) != nil || e.EventTime.IsZero() {
		return 0
	}
	return e.EventTime.UnixNano()
}

// lastDigest reads the last digest of a digests file, nil if there is none.
// The signature is not what matters here (verify checks it): only where the
// trail stood.
func (c *fileChain) lastDigest(path string) (*ParsedDigest, error) {
	line, err := lastLine(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && line == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := ParseDigest(line, []ed25519.PublicKey{c.signer.pub})
	if errors.Is(err, ErrDigestSignature) {
		// Not this server's: it says nothing about where the trail is.
		c.log.Warn("the last audit digest is not signed by this server's audit key", "file", path)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the last line of %s: %w", path, err)
	}
	return p, nil
}

// lastLine returns the last non-empty line of the file at path.
func lastLine(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	end := fi.Size()
	var tail []byte
	const chunk = 64 << 10
	for end > 0 {
		n := int64(chunk)
		if n > end {
			n = end
		}
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, end-n); err != nil {
			return nil, err
		}
		end -= n
		tail = append(buf, tail...)
		trimmed := bytes.TrimRight(tail, "\n")
		if i := bytes.LastIndexByte(trimmed, '\n'); i >= 0 {
			return trimmed[i+1:], nil
		}
		if end == 0 && len(trimmed) > 0 {
			return trimmed, nil
		}
	}
	return nil, nil
}

// seal signs a digest of each day file's lines written since its last one,
// and exports the public key again if it was deleted.
func (c *fileChain) seal() error {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	if _, err := os.Stat(filepath.Join(c.dir, PublicKeyFile)); errors.Is(err, fs.ErrNotExist) && c.keyExported {
		if err := c.signer.ExportPublicKey(c.dir); err != nil {
			c.log.Error("failed to export the audit public key again", "dir", c.dir, "err", err)
		} else {
			c.log.Warn("the audit public key file was gone: exported again", "file", filepath.Join(c.dir, PublicKeyFile))
		}
	}
	type job struct {
		name string
		t    *fileTrail
		evs  []pendingEvent
	}
	var jobs []job
	c.mu.Lock()
	for name, t := range c.files {
		if len(t.events) > 0 && !t.broken {
			jobs = append(jobs, job{name, t, t.events[:len(t.events):len(t.events)]})
		}
	}
	c.mu.Unlock()
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].name < jobs[j].name })
	var errs []error
	var signed time.Time
	defer func() { c.noteSealed(signed, errors.Join(errs...)) }()
	for _, j := range jobs {
		for len(j.evs) > 0 {
			n := min(len(j.evs), digestEvents)
			u := j.t.unverified
			unverified := false
			switch {
			case u.to > 0 && u.from > 0:
				n = min(n, u.from) // the vouched-for lines before it first
			case u.to > 0:
				n, unverified = min(n, u.to), true
			}
			r := run{trail: j.name, first: j.t.sealedLines + 1, startOffset: j.t.sealedOffset, prevChain: j.t.sealedChain, events: j.evs[:n],
				segment: j.t.segment, unverified: unverified}
			if unverified {
				r.reason = u.reason
			}
			d, chain, end := r.digest(c.seq+1, c.prevHash, c.clock.Now(), c.signer.fp)
			line, hash, err := c.signer.sign(d)
			if err == nil {
				err = c.appendDigest(j.name, line)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", j.name, err))
				break
			}
			c.seq, c.prevHash = d.Seq, hash
			signed = c.clock.Now()
			j.t.sealedLines += uint64(n)
			j.t.sealedOffset, j.t.sealedChain = end, chain
			if u.to > 0 {
				j.t.unverified.from, j.t.unverified.to = max(0, u.from-n), max(0, u.to-n)
			}
			c.saveHead(j.name, &fileHead{Lines: j.t.sealedLines, Offset: end, Chain: hex.EncodeToString(chain[:]), Segment: j.t.segment, DigestSeq: d.Seq})
			j.evs = j.evs[n:]
			c.mu.Lock()
			rest := j.t.events[n:]
			j.t.events = nil
			if len(rest) > 0 {
				j.t.events = append(make([]pendingEvent, 0, len(rest)), rest...)
			}
			c.pending -= n
			c.mu.Unlock()
		}
	}
	// Forget the trails of past days that are all signed; a late event
	// for one loads it again.
	c.mu.Lock()
	for name, t := range c.files {
		if len(t.events) == 0 && !t.broken && name != c.current {
			delete(c.files, name)
		}
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}

// appendDigest appends one signed digest line to the day's digests file,
// fsync'd: a digest is written once a minute, and it is the evidence.
//
// A digests file that vanished while the server ran (its earlier digests
// with it) is written again from this digest on, and named in a finding;
// verify will report the digests missing. The caller holds sealMu.
func (c *fileChain) appendDigest(name string, line []byte) error {
	path := filepath.Join(c.dir, DigestsDir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if h := c.heads[name]; h != nil && h.DigestSeq > 0 && !h.Gone {
			c.find(Finding{File: name, First: 1, Last: h.Lines, Reason: fmt.Sprintf("its digests (the last, digest %d) were deleted while the server ran", h.DigestSeq)})
		}
		if err := os.MkdirAll(filepath.Join(c.dir, DigestsDir), 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// isEventsFile reports whether name is a day file of events.
func isEventsFile(name string) bool {
	day, ok := strings.CutSuffix(name, ".jsonl")
	if !ok {
		return false
	}
	_, err := time.Parse("2006-01-02", day)
	return err == nil
}
