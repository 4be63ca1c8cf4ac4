package spool

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func readAll(t *testing.T, b *Blob) []byte {
	t.Helper()
	got, err := io.ReadAll(b.Open())
	if err != nil {
		t.Fatalf("io.ReadAll(Blob.Open()) err = %v", err)
	}
	return got
}

func dirEntries(t *testing.T, dir string) int {
	t.Helper()
	e, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(e)
}

func TestRead(t *testing.T) {
	const mem = 1 << 10
	tests := []struct {
		name        string
		size        int
		announce    bool
		wantSpooled bool
	}{
		{"empty", 0, true, false},
		{"small, length known", 100, true, false},
		{"small, length unknown", 100, false, false},
		{"exactly the limit", mem, false, false},
		{"one over the limit, length unknown", mem + 1, false, true},
		{"large, length known", 300 << 10, true, true},
		{"large, length unknown", 300 << 10, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(Config{Dir: dir, MemLimit: mem, MaxFiles: 1})
			data := pattern(tt.size)
			length := int64(-1)
			if tt.announce {
				length = int64(len(data))
			}
			b, err := s.Read(bytes.NewReader(data), length, 1<<20)
			if err != nil {
				t.Fatalf("Read(%d bytes) err = %v", tt.size, err)
			}
			if b.Spooled() != tt.wantSpooled || b.Size() != int64(len(data)) || b.SHA256() != sha256.Sum256(data) {
				t.Fatalf("Read(%d bytes) = spooled %v, size %d, sum %x; want spooled %v, size %d, sum %x",
					tt.size, b.Spooled(), b.Size(), b.SHA256(), tt.wantSpooled, len(data), sha256.Sum256(data))
			}
			if got := readAll(t, b); !bytes.Equal(got, data) {
				t.Fatalf("Open() read %d bytes, not the %d written", len(got), len(data))
			}
			if got := readAll(t, b); !bytes.Equal(got, data) {
				t.Fatalf("second Open() read %d bytes, not the %d written", len(got), len(data))
			}
			if n := dirEntries(t, dir); n != 0 {
				t.Errorf("%d entries in the spool folder while the Blob is open, want 0 (unlinked)", n)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close() err = %v", err)
			}
			if st := s.Stats(); st.Files != 0 || st.InMemory != 0 || len(s.slots) != 0 {
				t.Fatalf("after Close: %+v, %d slots taken; want nothing held", st, len(s.slots))
			}
			if st := s.Stats(); st.PeakInMemory > mem+1 {
				t.Fatalf("PeakInMemory = %d, want at most %d", st.PeakInMemory, mem+1)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	const mem = 1 << 10
	s := New(Config{Dir: t.TempDir(), MemLimit: mem, MaxFiles: 1})

	if _, err := s.Read(bytes.NewReader(pattern(10)), 5000, 4096); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(announced 5000, max 4096) err = %v, want ErrTooLarge", err)
	}
	if _, err := s.Read(bytes.NewReader(pattern(5000)), -1, 4096); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(5000 bytes unannounced, max 4096) err = %v, want ErrTooLarge", err)
	}
	if _, err := s.Read(bytes.NewReader(pattern(900)), -1, 512); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(900 bytes unannounced, max 512) err = %v, want ErrTooLarge", err)
	}

	held, err := s.Read(bytes.NewReader(pattern(4000)), 4000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// The budget of one file is spent: a large stream is refused before a
	// byte of it is read, announced or not.
	r := &countingReader{r: bytes.NewReader(pattern(4000))}
	if _, err := s.Read(r, 4000, 1<<20); !errors.Is(err, ErrBusy) || r.n != 0 {
		t.Errorf("Read(announced 4000, budget spent) err = %v after %d bytes, want ErrBusy after 0", err, r.n)
	}
	r = &countingReader{r: bytes.NewReader(pattern(4000))}
	if _, err := s.Read(r, -1, 1<<20); !errors.Is(err, ErrBusy) || r.n > mem+1 {
		t.Errorf("Read(4000 unannounced, budget spent) err = %v after %d bytes, want ErrBusy after at most %d", err, r.n, mem+1)
	}
	// A small one still goes through, and so does a derived stream.
	if b, err := s.Read(bytes.NewReader(pattern(10)), 10, 1<<20); err != nil {
		t.Errorf("Read(10 bytes, budget spent) err = %v, want nil", err)
	} else {
		b.Close()
	}
	derived, err := s.ReadAdmitted(bytes.NewReader(pattern(4000)), 1<<20)
	if err != nil || !derived.Spooled() {
		t.Fatalf("ReadAdmitted(4000 bytes, budget spent) = %v, %v; want a spooled Blob", derived, err)
	}
	derived.Close()
	held.Close()
	if st := s.Stats(); st.Refused != 2 || st.Files != 0 {
		t.Errorf("Stats() = %+v, want Refused 2, Files 0", st)
	}
	if b, err := s.Read(bytes.NewReader(pattern(4000)), 4000, 1<<20); err != nil {
		t.Errorf("Read(4000) after Close err = %v, want the budget back", err)
	} else {
		b.Close()
	}
}

// TestReadFailureCleansUp: a stream that breaks off (a client that hangs
// up) leaves no file and no place in the budget taken.
func TestReadFailureCleansUp(t *testing.T) {
	dir := t.TempDir()
	s := New(Config{Dir: dir, MemLimit: 1 << 10, MaxFiles: 1})
	broken := io.MultiReader(bytes.NewReader(pattern(100<<10)), errReader{})
	if _, err := s.Read(broken, 200<<10, 1<<20); err == nil || !errors.Is(err, errBroken) {
		t.Fatalf("Read(broken stream) err = %v, want it wrapped", err)
	}
	if st := s.Stats(); st.Files != 0 || st.InMemory != 0 || len(s.slots) != 0 || dirEntries(t, dir) != 0 {
		t.Fatalf("after a failed read: %+v, %d slots, %d files; want nothing held", st, len(s.slots), dirEntries(t, dir))
	}
	if _, err := s.Read(bytes.NewReader(pattern(5000)), -1, 4096); !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Files != 0 || len(s.slots) != 0 || dirEntries(t, dir) != 0 {
		t.Fatalf("after a too-large read: %+v, %d slots; want nothing held", st, len(s.slots))
	}
}

func TestBlobHasNoJSON(t *testing.T) {
	var in struct{ ZipFile *Blob }
	if err := json.Unmarshal([]byte(`{"ZipFile":"UEsDBA=="}`), &in); err == nil {
		t.Fatalf("json.Unmarshal into a *Blob err = nil, want a refusal")
	}
	if err := json.Unmarshal([]byte(`{"ZipFile":{"name":"/tmp/sealbox-spool-1"}}`), &in); err == nil {
		t.Fatalf("json.Unmarshal into a *Blob err = nil, want a refusal")
	}
	b, err := New(Config{}).Read(bytes.NewReader([]byte("x")), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, err := json.Marshal(struct{ ZipFile *Blob }{b}); err != nil || string(got) != `{"ZipFile":null}` {
		t.Fatalf("json.Marshal(*Blob) = %s, %v; want {\"ZipFile\":null}", got, err)
	}
	if err := json.Unmarshal([]byte(`{"ZipFile":null}`), &in); err != nil || in.ZipFile != nil {
		t.Fatalf("json.Unmarshal(null into a *Blob) = %v, %v; want nil, nil", in.ZipFile, err)
	}
}

var errBroken = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
