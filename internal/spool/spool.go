// Package spool holds a stream of bytes whose size the receiver does not
// choose (a request body, a ZIP upload inside one) without holding it whole
// in memory: up to a memory limit the bytes stay in memory, beyond it they
// go to a temporary file, and they are hashed (SHA-256) and counted as they
// stream. A server-wide budget bounds how many such files exist at once.
//
// The request path reads every body through a Spooler before the signature
// is checked, so that an unauthenticated client can make the server hold at
// most the memory limit of its body; the signature is then checked against
// the hash computed on the way.
package spool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// Defaults for Config.
const (
	// DefaultMemLimit is the most of one stream held in memory: the JSON
	// cap of the AWS JSON protocols, whose bodies thus never spool.
	DefaultMemLimit = 1 << 20
	// DefaultMaxFiles is how many streams may spool to files at once. A
	// large body is a Lambda code upload (up to 67 MB of base64, whose ZIP
	// spools again, 50 MB), a rare control-plane call: 8 uploads at once
	// bound the temporary disk to about 1 GB and the memory to 8 copy
	// buffers, while more than a deployment pipeline sends at once.
	DefaultMaxFiles = 8
)

// Errors of Spooler.Read. Both are the client's doing and say so.
var (
	// ErrTooLarge: the stream is longer than the maximum asked for.
	ErrTooLarge = errors.New("spool: stream larger than allowed")
	// ErrBusy: the stream is larger than the memory limit and the budget
	// of concurrent files is spent. Nothing beyond the memory limit was
	// read; the client may try again shortly.
	ErrBusy = errors.New("spool: too many large streams in flight")
)

// Config configures a Spooler. The zero value is the defaults.
type Config struct {
	// Dir is where temporary files go; "" is os.TempDir().
	Dir string
	// MemLimit is the most of one stream held in memory; 0 is
	// DefaultMemLimit.
	MemLimit int64
	// MaxFiles is how many streams may spool to files at once; 0 is
	// DefaultMaxFiles.
	MaxFiles int
}

// Spooler reads streams into Blobs. It is safe for concurrent use.
type Spooler struct {
	dir   string
	mem   int64
	slots chan struct{}

	inMemory, peakMemory atomic.Int64 // bytes held in memory by reads in flight
	files, peakFiles     atomic.Int64 // temporary files open
	refused              atomic.Int64 // reads refused with ErrBusy
}

// New returns a Spooler for c.
func New(c Config) *Spooler {
	if c.MemLimit <= 0 {
		c.MemLimit = DefaultMemLimit
	}
	if c.MaxFiles <= 0 {
		c.MaxFiles = DefaultMaxFiles
	}
	return &Spooler{dir: c.Dir, mem: c.MemLimit, slots: make(chan struct{}, c.MaxFiles)}
}

// MemLimit is the most of one stream the Spooler holds in memory.
func (s *Spooler) MemLimit() int64 { return s.mem }

// Stats are a Spooler's counters, for tests and metrics.
type Stats struct {
	// InMemory is the bytes that reads in flight hold in memory now;
	// PeakInMemory the most they ever held at once.
	InMemory, PeakInMemory int64
	// Files is the temporary files open now (each a Blob not yet
	// closed); PeakFiles the most ever open at once.
	Files, PeakFiles int64
	// Refused counts the reads refused with ErrBusy.
	Refused int64
}

// Stats returns the Spooler's counters.
func (s *Spooler) Stats() Stats {
	return Stats{
		InMemory: s.inMemory.Load(), PeakInMemory: s.peakMemory.Load(),
		Files: s.files.Load(), PeakFiles: s.peakFiles.Load(),
		Refused: s.refused.Load(),
	}
}

// Blob is a stream read to its end: in memory when it fits the memory
// limit, else in a temporary file that only the Blob can reach (it is
// unlinked as soon as it is made, where the system allows). Its size and
// SHA-256 were computed as it streamed.
//
// A Blob is made only by a Spooler; it has no JSON form, so that a value
// decoded from a client's JSON can never name another request's file.
// Close it when done: that removes the file and returns its place in the
// budget. Open and ReaderAt may be used concurrently; Close may not.
type Blob struct {
	data []byte   // the stream, when held in memory
	f    *os.File // the stream, when spooled
	name string   // the file to remove at Close, if not unlinked already
	size int64
	sum  [sha256.Size]byte
	s    *Spooler
	slot bool // holds a place in the budget
}

// Size is the stream's length in bytes.
func (b *Blob) Size() int64 { return b.size }

// SHA256 is the stream's SHA-256.
func (b *Blob) SHA256() [sha256.Size]byte { return b.sum }

// Bytes returns the stream when it is held in memory; ok is false when it
// was spooled to a file (read it with Open).
func (b *Blob) Bytes() (data []byte, ok bool) { return b.data, b.f == nil }

// Spooled reports whether the stream went to a temporary file.
func (b *Blob) Spooled() bool { return b.f != nil }

// Open returns a reader of the stream from its start.
func (b *Blob) Open() io.Reader {
	if b.f == nil {
		return bytes.NewReader(b.data)
	}
	return io.NewSectionReader(b.f, 0, b.size)
}

// ReaderAt returns the stream as an io.ReaderAt of Size bytes (archive/zip
// reads a ZIP so).
func (b *Blob) ReaderAt() io.ReaderAt {
	if b.f == nil {
		return bytes.NewReader(b.data)
	}
	return b.f
}

// Close releases the Blob: its file is closed and removed, its place in the
// budget returned. Closing a nil or closed Blob does nothing.
func (b *Blob) Close() error {
	if b == nil || b.s == nil {
		return nil
	}
	s := b.s
	b.s = nil
	var err error
	if b.f != nil {
		err = b.f.Close()
		if b.name != "" {
			if rerr := os.Remove(b.name); rerr != nil && err == nil {
				err = rerr
			}
		}
		s.files.Add(-1)
	}
	if b.slot {
		<-s.slots
	}
	b.data, b.f = nil, nil
	return err
}

// MarshalJSON writes null: a Blob has no JSON form, and what it holds
// (nor where) never reaches JSON.
func (b *Blob) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// UnmarshalJSON accepts null alone (leaving the Blob as it is): a Blob is
// made by a Spooler, never decoded from JSON.
func (b *Blob) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	return errors.New("spool: a Blob cannot be decoded from JSON")
}

// Read reads r to its end into a Blob, refusing more than max bytes
// (ErrTooLarge). length is the length the sender announced (an HTTP
// Content-Length), or -1: an announced length over max is refused before
// anything is read, and one over the memory limit takes a place in the
// budget (or is refused with ErrBusy) before anything is read. A stream of
// unknown length is read into memory up to the limit first.
//
// An error from r is returned wrapped; whatever was spooled is removed.
func (s *Spooler) Read(r io.Reader, length, max int64) (*Blob, error) {
	return s.read(r, length, max, true)
}

// ReadAdmitted is Read for a stream derived from one that already holds a
// place in the budget (a ZIP decoded out of a spooled body): it spools
// without taking another place, so it never fails with ErrBusy.
func (s *Spooler) ReadAdmitted(r io.Reader, max int64) (*Blob, error) {
	return s.read(r, -1, max, false)
}

func (s *Spooler) read(r io.Reader, length, max int64, gated bool) (*Blob, error) {
	if length > max {
		return nil, ErrTooLarge
	}
	b := &Blob{s: s}
	h := sha256.New()
	var head []byte
	if length < 0 || length <= s.mem {
		// Read into memory, up to the limit and one byte more.
		want := s.mem + 1
		if length >= 0 {
			want = length + 1
		}
		s.hold(want)
		var err error
		head, err = readUpTo(r, want, length >= 0)
		if err != nil {
			s.hold(-want)
			return nil, fmt.Errorf("spool: failed to read: %w", err)
		}
		if int64(len(head)) > max {
			s.hold(-want)
			return nil, ErrTooLarge
		}
		if int64(len(head)) <= s.mem {
			s.hold(-want)
			h.Write(head)
			b.data, b.size = head, int64(len(head))
			h.Sum(b.sum[:0])
			return b, nil
		}
		defer s.hold(-want)
	}
	if gated {
		select {
		case s.slots <- struct{}{}:
			b.slot = true
		default:
			s.refused.Add(1)
			return nil, ErrBusy
		}
	}
	if err := s.spool(b, h, head, r, max); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// spool writes head, then the rest of r, to a new temporary file, hashing.
func (s *Spooler) spool(b *Blob, h hash.Hash, head []byte, r io.Reader, max int64) error {
	f, err := os.CreateTemp(s.dir, "sealbox-spool-*")
	if err != nil {
		return fmt.Errorf("spool: failed to create a temporary file: %w", err)
	}
	b.f = f
	s.files.Add(1)
	peak(&s.peakFiles, s.files.Load())
	// Unlinked at once, the file goes with the process whatever happens;
	// where the system refuses (Windows), Close removes it.
	if os.Remove(f.Name()) != nil {
		b.name = f.Name()
	}
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("spool: failed to write: %w", err)
	}
	bufp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bufp)
	n, err := io.CopyBuffer(w, io.LimitReader(r, max-int64(len(head))+1), *bufp)
	b.size = int64(len(head)) + n
	if err != nil {
		return fmt.Errorf("spool: failed to read: %w", err)
	}
	if b.size > max {
		return ErrTooLarge
	}
	h.Sum(b.sum[:0])
	return nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// readUpTo reads r until EOF or n bytes, into a buffer of n bytes when
// exact (the length is known), else into one that doubles from n/16 as
// bytes come, so that the garbage it leaves is under n.
func readUpTo(r io.Reader, n int64, exact bool) ([]byte, error) {
	size := n
	if !exact && n > 64<<10 {
		size = n / 16
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= n {
				return buf, nil
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), n))
			copy(grown, buf)
			buf = grown
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// hold counts n more bytes held in memory (n < 0: fewer).
func (s *Spooler) hold(n int64) { peak(&s.peakMemory, s.inMemory.Add(n)) }

func peak(p *atomic.Int64, v int64) {
	for {
		old := p.Load()
		if v <= old || p.CompareAndSwap(old, v) {
			return
		}
	}
}
