package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
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

	sealMu   sync.Mutex
	seq      uint64 // the last digest's Seq (sealMu)
	prevHash string // the last digest's hash (sealMu)

	mu      sync.Mutex
	files   map[string]*fileTrail
	current string // the day file the writer has open
	pending int

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// fileTrail is one day file's chain.
type fileTrail struct {
	sealedLines  uint64   // lines covered by digests (sealMu)
	sealedOffset int64    // bytes covered by digests (sealMu)
	sealedChain  [32]byte // the chain after them (sealMu)
	events       []pendingEvent
	broken       bool // a write failed: reread the file before the next
}

func openFileChain(dir string, o FileOptions) (*fileChain, error) {
	c := &fileChain{dir: dir, signer: o.Signer, clock: o.Clock, log: o.Logger, fsync: o.Fsync, interval: o.DigestInterval,
		files: map[string]*fileTrail{}, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
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
	// The sink's last digest, and the files with lines no digest covers.
	ends := map[string]int64{}
	digests, _ := filepath.Glob(filepath.Join(dir, DigestsDir, "*.jsonl"))
	for _, path := range digests {
		p, err := c.lastDigest(path)
		if err != nil || p == nil {
			continue
		}
		ends[filepath.Base(path)] = p.EndOffset
		if p.Seq > c.seq {
			c.seq, c.prevHash = p.Seq, p.Hash
		}
	}
	events, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	defer c.sealLeftovers()
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
	for _, path := range events {
		if !isEventsFile(filepath.Base(path)) {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Size() == ends[filepath.Base(path)] {
			continue
		}
		if err := c.load(filepath.Base(path)); err != nil {
			return nil, err
		}
	}
	go c.loop()
	return c, nil
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

// loop signs a digest every interval, and when many lines wait.
func (c *fileChain) loop() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
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
	return c.load(name)
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
// digest ended, and the lines after it. The caller holds sealMu and no
// writer is appending to name.
func (c *fileChain) load(name string) error {
	t := &fileTrail{sealedChain: genesis(name)}
	p, err := c.lastDigest(filepath.Join(c.dir, DigestsDir, name))
	if err != nil {
		return err
	}
	if p != nil {
		t.sealedLines, t.sealedOffset, t.sealedChain = p.First+uint64(p.Count)-1, p.EndOffset, p.chain
	}
	f, err := os.OpenFile(filepath.Join(c.dir, name), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open audit file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < t.sealedOffset {
		// Someone cut the file: the chain cannot go on from where the
		// digests say. Start after what is there; verify will tell.
		c.log.Error("audit file is shorter than its digests say: it was truncated", "file", name, "size", fi.Size(), "signed", t.sealedOffset)
		t.sealedOffset = fi.Size()
	}
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
	c.mu.Lock()
	if old := c.files[name]; old != nil {
		c.pending -= len(old.events)
	}
	c.files[name] = t
	c.pending += len(t.events)
	c.mu.Unlock()
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
		c.log.Warn("the last audit digest is not signed by this server's audit key", "file", path)
		err = nil
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

// seal signs a digest of each day file's lines written since its last one.
func (c *fileChain) seal() error {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()
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
	for _, j := range jobs {
		for len(j.evs) > 0 {
			n := min(len(j.evs), digestEvents)
			r := run{trail: j.name, first: j.t.sealedLines + 1, startOffset: j.t.sealedOffset, prevChain: j.t.sealedChain, events: j.evs[:n]}
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
			j.t.sealedLines += uint64(n)
			j.t.sealedOffset, j.t.sealedChain = end, chain
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
func (c *fileChain) appendDigest(name string, line []byte) error {
	f, err := os.OpenFile(filepath.Join(c.dir, DigestsDir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
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
