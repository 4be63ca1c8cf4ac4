package awsapi

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

// regionPattern is the rule validRegion spells out without a regexp.
var regionPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func regionByPattern(s string) bool { return regionPattern.MatchString(s) && len(s) <= 32 }

func TestValidRegionMatchesPattern(t *testing.T) {
	for _, s := range []string{"", "us-east-1", "eu-central-2", "a", "-", "a-", "-a", "a--b", "A", "us-east-1\n", "us_east", "us-gov-west-1",
		"cn-north-1", strings.Repeat("a", 32), strings.Repeat("a", 33), strings.Repeat("a-", 16) + "a", "é", "a\x00"} {
		if got, want := validRegion(s), regionByPattern(s); got != want {
			t.Errorf("validRegion(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzValidRegion(f *testing.F) {
	for _, s := range []string{"", "us-east-1", "a--b", "-a", "a-", strings.Repeat("b", 33), "x-1-y-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validRegion(s), regionByPattern(s); got != want {
			t.Fatalf("validRegion(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

// TestReadUpToMatchesReadAll holds readUpTo to io.ReadAll of an
// io.LimitReader, whatever length the request declares (right, short,
// long, unknown) and however the body is read.
func TestReadUpToMatchesReadAll(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fail := errors.New("broken")
	for range 2000 {
		n, lim := 1500, 1200
		if r.IntN(10) == 0 { // over preallocMax
			n, lim = 3*preallocMax, 2*preallocMax
		}
		body := bytes.Repeat([]byte("x"), r.IntN(n))
		limit := int64(1 + r.IntN(lim))
		length := []int64{int64(len(body)), -1, 0, int64(r.IntN(n + 500))}[r.IntN(4)]
		wrap := []func(io.Reader) io.Reader{
			func(x io.Reader) io.Reader { return x },
			iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader,
			func(x io.Reader) io.Reader { return io.MultiReader(x, iotest.ErrReader(fail)) },
		}[r.IntN(5)]
		want, werr := io.ReadAll(io.LimitReader(wrap(bytes.NewReader(body)), limit))
		got, gerr := readUpTo(wrap(bytes.NewReader(body)), length, limit)
		if !errors.Is(gerr, werr) || (werr == nil && !bytes.Equal(got, want)) {
			t.Fatalf("body %d, length %d, limit %d: readUpTo = %d bytes, %v; io.ReadAll = %d bytes, %v", len(body), length, limit, len(got), gerr, len(want), werr)
		}
	}
}

// TestHeaderValueIsGet holds headerValue to http.Header.Get for the
// canonical keys the router passes it.
func TestHeaderValueIsGet(t *testing.T) {
	for _, h := range []http.Header{
		{}, {"X-Amz-Target": nil}, {"X-Amz-Target": {}}, {"X-Amz-Target": {"", "b"}}, {"X-Amz-Target": {"TrentService.Decrypt"}},
		{"x-amz-target": {"lower"}}, {"X-Amz-Target": {"a", "b"}},
	} {
		if got, want := headerValue(h, "X-Amz-Target"), h.Get("X-Amz-Target"); got != want {
			t.Errorf("headerValue(%v) = %q, Get = %q", h, got, want)
		}
	}
}
