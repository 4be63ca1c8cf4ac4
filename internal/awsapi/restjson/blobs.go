package restjson

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// BlobPaths lists the blob members of input's JSON body that are reached
// through structures alone (Lambda: Code.ZipFile of CreateFunction,
// ZipFile of UpdateFunctionCode): the members SplitBlobs can stream. A
// blob inside a list or map, or bound to a header or the payload, is not
// listed.
func BlobPaths(m *model.Service, input *model.Shape) [][]string {
	var out [][]string
	var walk func(sh *model.Shape, path []string, depth int)
	walk = func(sh *model.Shape, path []string, depth int) {
		if sh == nil || sh.Type != "structure" || depth > 8 {
			return
		}
		for name, ref := range sh.Members {
			if depth == 0 && ref.Location != "" {
				continue
			}
			msh := m.Shapes[ref.Shape]
			if msh == nil {
				continue
			}
			p := append(append([]string(nil), path...), locationName(name, ref))
			switch msh.Type {
			case "blob":
				out = append(out, p)
			case "structure":
				walk(msh, p, depth+1)
			}
		}
	}
	walk(input, nil, 0)
	return out
}

// maxDepth bounds the nesting SplitBlobs follows, so that a body of
// "[[[[…" cannot exhaust the stack; no AWS input nests nearly as deep.
const maxDepth = 64

// SplitBlobs reads a JSON body from r and streams the string value of each
// member at one of paths (as BlobPaths lists them), base64-decoded, to
// sink, which must read it to its end; it returns the rest of the body,
// with each such value replaced by null, and what sink returned for each,
// keyed by the path joined with ".". The body is never held whole: the
// rest may be at most maxRest bytes, else the error is ErrRestTooLarge.
//
// SplitBlobs checks only what it needs to find the members; the rest is
// left for Decode to check, strictly. A member found twice, a value that
// is not a string of base64, or a body cut short is the model's
// InvalidRequestContentException. An error of sink is returned as it is.
func SplitBlobs(r io.Reader, m *model.Service, paths [][]string, maxRest int, sink func(io.Reader) (any, error)) (rest []byte, blobs map[string]any, err error) {
	s := &splitter{br: bufio.NewReaderSize(r, 64<<10), max: maxRest, paths: paths, sink: sink, m: m}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	c, err := s.skipSpace()
	if err == io.EOF {
		return nil, nil, nil // an empty body: nothing
	}
	if err != nil {
		return nil, nil, err
	}
	if err := s.value(c, []string{}, 0); err != nil {
		return nil, nil, err
	}
	if _, err := s.skipSpace(); err != io.EOF {
		if err == nil {
			return nil, nil, s.syntax()
		}
		return nil, nil, err
	}
	return s.out.Bytes(), s.found, nil
}

// ErrRestTooLarge is SplitBlobs' error for a body whose members other than
// the streamed ones exceed maxRest.
var ErrRestTooLarge = errors.New("restjson: body too large besides its blobs")

type splitter struct {
	br    *bufio.Reader
	out   bytes.Buffer
	max   int
	paths [][]string
	sink  func(io.Reader) (any, error)
	found map[string]any
	m     *model.Service
}

// closeAll closes what sink returned, when SplitBlobs fails after it.
func (s *splitter) closeAll() {
	for _, v := range s.found {
		if c, ok := v.(io.Closer); ok {
			c.Close()
		}
	}
}

func (s *splitter) syntax() error {
	return &sealbox.Error{Code: bodyCode(s.m), Message: "Could not parse request body into json: the body is not valid JSON.", Status: 400}
}

func (s *splitter) readErr(err error) error {
	if err == io.EOF {
		return s.syntax()
	}
	return err
}

func (s *splitter) write(b ...byte) error {
	if s.out.Len()+len(b) > s.max {
		return ErrRestTooLarge
	}
	s.out.Write(b)
	return nil
}

// skipSpace returns the next byte that is not JSON white space.
func (s *splitter) skipSpace() (byte, error) {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

func (s *splitter) next() (byte, error) {
	c, err := s.skipSpace()
	return c, s.readErr(err)
}

// value copies or streams the value that starts with c. path is where it
// is, nil inside a list (where nothing is streamed).
func (s *splitter) value(c byte, path []string, depth int) error {
	if depth > maxDepth {
		return s.syntax()
	}
	switch c {
	case '{':
		return s.object(path, depth)
	case '[':
		return s.array(depth)
	case '"':
		if path != nil && s.target(path) {
			return s.stream(path)
		}
		_, err := s.copyString()
		return err
	}
	return s.copyLiteral(c)
}

func (s *splitter) target(path []string) bool {
	for _, p := range s.paths {
		if len(p) == len(path) && equal(p, path) {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *splitter) object(path []string, depth int) error {
	if err := s.write('{'); err != nil {
		return err
	}
	c, err := s.next()
	if err != nil {
		return err
	}
	if c == '}' {
		return s.write('}')
	}
	for {
		if c != '"' {
			return s.syntax()
		}
		raw, err := s.copyString()
		if err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(raw, &key); err != nil {
			return s.syntax()
		}
		if c, err = s.next(); err != nil {
			return err
		}
		if c != ':' {
			return s.syntax()
		}
		if err := s.write(':'); err != nil {
			return err
		}
		if c, err = s.next(); err != nil {
			return err
		}
		var sub []string
		if path != nil {
			sub = append(path[:len(path):len(path)], key)
		}
		if err := s.value(c, sub, depth+1); err != nil {
			return err
		}
		var more bool
		if c, more, err = s.more('}'); !more {
			return err
		}
	}
}

// more copies what follows an object's member or an array's element: a
// comma, then it returns the character after it and more, or close, which
// ends the value (more false, err nil). Anything else is a syntax error.
func (s *splitter) more(close byte) (c byte, more bool, err error) {
	if c, err = s.next(); err != nil {
		return 0, false, err
	}
	switch c {
	case ',':
		if err := s.write(','); err != nil {
			return 0, false, err
		}
		if c, err = s.next(); err != nil {
			return 0, false, err
		}
		return c, true, nil
	case close:
		return 0, false, s.write(close)
	}
	return 0, false, s.syntax()
}

func (s *splitter) array(depth int) error {
	if err := s.write('['); err != nil {
		return err
	}
	c, err := s.next()
	if err != nil {
		return err
	}
	if c == ']' {
		return s.write(']')
	}
	for {
		if err := s.value(c, nil, depth+1); err != nil {
			return err
		}
		var more bool
		if c, more, err = s.more(']'); !more {
			return err
		}
	}
}

// copyString copies a string whose opening quote was read, and returns it
// as written, quotes included.
func (s *splitter) copyString() ([]byte, error) {
	start := s.out.Len()
	if err := s.write('"'); err != nil {
		return nil, err
	}
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return nil, s.readErr(err)
		}
		if err := s.write(c); err != nil {
			return nil, err
		}
		switch c {
		case '"':
			return s.out.Bytes()[start:], nil
		case '\\':
			e, err := s.br.ReadByte()
			if err != nil {
				return nil, s.readErr(err)
			}
			if err := s.write(e); err != nil {
				return nil, err
			}
		}
	}
}

// copyLiteral copies a number, true, false or null that starts with c.
func (s *splitter) copyLiteral(c byte) error {
	for {
		if !strings.ContainsRune("0123456789+-.eEtruefalsn", rune(c)) {
			return s.syntax()
		}
		if err := s.write(c); err != nil {
			return err
		}
		next, err := s.br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if strings.ContainsRune(" \t\r\n,]}", rune(next)) {
			return s.br.UnreadByte()
		}
		c = next
	}
}

// stream hands the base64 string whose opening quote was read to sink,
// decoded, and writes null in its place.
func (s *splitter) stream(path []string) error {
	key := strings.Join(path, ".")
	if _, dup := s.found[key]; dup {
		return &sealbox.Error{Code: bodyCode(s.m), Message: "Could not parse request body into json: " + key + " is given twice.", Status: 400}
	}
	str := &stringReader{br: s.br}
	v, err := s.sink(base64.NewDecoder(base64.StdEncoding, str))
	if err == nil && !str.done {
		// sink stopped early: nothing of the string may be left unread.
		if _, err = io.Copy(io.Discard, str); err == nil {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil {
		if c, ok := v.(io.Closer); ok {
			c.Close()
		}
		var cie base64.CorruptInputError
		if errors.As(err, &cie) || errors.Is(err, errNotBase64) {
			return &sealbox.Error{Code: bodyCode(s.m), Message: "Unexpected value type at '" + wirePath(path) + "': expected base64-encoded bytes.", Status: 400}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errUnterminated) {
			return s.syntax()
		}
		return err
	}
	if s.found == nil {
		s.found = map[string]any{}
	}
	s.found[key] = v
	return s.write('n', 'u', 'l', 'l')
}

// wirePath is path as AWS names a member in its messages: code.zipFile.
func wirePath(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if p != "" {
			parts[i] = strings.ToLower(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

var (
	errNotBase64    = errors.New("restjson: a character base64 does not have")
	errUnterminated = errors.New("restjson: unterminated string")
)

// stringReader reads the contents of a JSON string whose opening quote
// was read, undoing escapes, up to its closing quote. Only what base64 can
// hold is let through: an escape of a character beyond ASCII, or a control
// character, is an error.
type stringReader struct {
	br   *bufio.Reader
	done bool
}

func (r *stringReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		// Fast path: copy a run of plain bytes straight out of the buffer.
		if buf, _ := r.br.Peek(min(r.br.Buffered(), len(p)-n)); len(buf) > 0 {
			i := bytes.IndexAny(buf, "\"\\")
			if i < 0 {
				i = len(buf)
			}
			for _, c := range buf[:i] {
				if c < 0x20 {
					return n, errNotBase64
				}
			}
			copy(p[n:], buf[:i])
			r.br.Discard(i)
			n += i
			if i == len(buf) {
				continue
			}
		}
		c, err := r.br.ReadByte()
		if err == io.EOF {
			return n, errUnterminated
		}
		if err != nil {
			return n, err
		}
		switch {
		case c == '"':
			r.done = true
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case c == '\\':
			e, err := r.unescape()
			if err != nil {
				return n, err
			}
			p[n] = e
			n++
		case c < 0x20:
			return n, errNotBase64
		default:
			p[n] = c
			n++
		}
	}
	return n, nil
}

func (r *stringReader) unescape() (byte, error) {
	e, err := r.br.ReadByte()
	if err != nil {
		return 0, errUnterminated
	}
	switch e {
	case '"', '\\', '/':
		return e, nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 'u':
		var digits [4]byte
		if _, err := io.ReadFull(r.br, digits[:]); err != nil {
			return 0, errUnterminated
		}
		// Only an escaped ASCII character (\u0000-\u007f) can be base64.
		var v [2]byte
		if _, err := hex.Decode(v[:], digits[:]); err != nil || v[0] != 0 || v[1] >= 0x80 {
			return 0, errNotBase64
		}
		return v[1], nil
	}
	return 0, errNotBase64
}
