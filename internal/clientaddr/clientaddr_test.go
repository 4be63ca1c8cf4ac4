package clientaddr_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/clientaddr"
)

func mustNew(t *testing.T, cidrs, header string) *clientaddr.Resolver {
	t.Helper()
	res, err := clientaddr.New(cidrs, header)
	if err != nil {
		t.Fatalf("New(%q, %q): %v", cidrs, header, err)
	}
	return res
}

func request(peer string, tlsConn bool, headers ...string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = peer
	r.TLS = nil
	if tlsConn {
		r.TLS = &tls.ConnectionState{}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

const proxies = "10.0.0.0/8, 192.168.1.1, fd00::/8"

// TestResolve is the table of what a request's client is, denials first.
func TestResolve(t *testing.T) {
	xff, xfp, fwd := "X-Forwarded-For", "X-Forwarded-Proto", "Forwarded"
	for _, tc := range []struct {
		name    string
		header  string // the Resolver's; "" = X-Forwarded-For
		peer    string
		tls     bool
		headers []string
		want    string // client ("" = the peer, not proxied)
		secure  bool
		bad     bool // refused: ErrMalformed
	}{
		// An untrusted peer's headers are ignored, whatever they say.
		{name: "untrusted peer claims an address", peer: "203.0.113.7:5000", headers: []string{xff, "198.51.100.1"}},
		{name: "untrusted peer claims https", peer: "203.0.113.7:5000", headers: []string{xff, "198.51.100.1", xfp, "https"}},
		{name: "untrusted peer claims Forwarded", header: fwd, peer: "203.0.113.7:5000", headers: []string{fwd, "for=198.51.100.1;proto=https"}},
		{name: "untrusted peer's garbage", peer: "203.0.113.7:5000", headers: []string{xff, "\x00garbage"}},
		{name: "untrusted peer in a trusted range's neighbour", peer: "11.0.0.1:5000", headers: []string{xff, "198.51.100.1"}},
		{name: "untrusted TLS peer stays TLS", peer: "203.0.113.7:5000", tls: true, headers: []string{xfp, "http"}, secure: true},
		// The right-most untrusted entry is the client; the left is the client's to write.
		{name: "spoofed then real", peer: "10.0.0.2:80", headers: []string{xff, "198.51.100.1, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "spoofed trusted address then real", peer: "10.0.0.2:80", headers: []string{xff, "10.9.9.9, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "two trusted hops", peer: "10.0.0.2:80", headers: []string{xff, "1.1.1.1, 203.0.113.9, 192.168.1.1, 10.3.3.3"}, want: "203.0.113.9"},
		{name: "hops over two lines", peer: "10.0.0.2:80", headers: []string{xff, "1.1.1.1, 203.0.113.9", xff, "10.3.3.3"}, want: "203.0.113.9"},
		{name: "garbage left of the client is not read", peer: "10.0.0.2:80", headers: []string{xff, "not an ip, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "every hop trusted: the left-most", peer: "10.0.0.2:80", headers: []string{xff, "10.1.1.1, 10.2.2.2"}, want: "10.1.1.1"},
		{name: "trusted peer without a header is the client", peer: "10.0.0.2:80"},
		{name: "trusted TLS peer without a header", peer: "10.0.0.2:80", tls: true, secure: true},
		{name: "port on an entry", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9:4711"}, want: "203.0.113.9"},
		{name: "IPv6 entry", peer: "10.0.0.2:80", headers: []string{xff, "2001:DB8::1"}, want: "2001:db8::1"},
		{name: "bracketed IPv6 with port", peer: "10.0.0.2:80", headers: []string{xff, "[2001:db8::1]:443"}, want: "2001:db8::1"},
		{name: "IPv4-mapped entry", peer: "10.0.0.2:80", headers: []string{xff, "::ffff:203.0.113.9"}, want: "203.0.113.9"},
		{name: "IPv4-mapped trusted peer", peer: "[::ffff:10.0.0.2]:80", headers: []string{xff, "203.0.113.9"}, want: "203.0.113.9"},
		{name: "IPv6 trusted peer", peer: "[fd00::5]:80", headers: []string{xff, "203.0.113.9"}, want: "203.0.113.9"},
		// Proto: only a proxy's word, and every hop https.
		{name: "https through a proxy", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9", xfp, "https"}, want: "203.0.113.9", secure: true},
		{name: "HTTPS any case", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9", xfp, "HTTPS"}, want: "203.0.113.9", secure: true},
		{name: "http through a TLS proxy hop", peer: "10.0.0.2:80", tls: true, headers: []string{xff, "203.0.113.9", xfp, "http"}, want: "203.0.113.9"},
		{name: "no proto through a TLS proxy hop", peer: "10.0.0.2:80", tls: true, headers: []string{xff, "203.0.113.9"}, want: "203.0.113.9"},
		{name: "one http hop in the chain", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9", xfp, "http, https"}, want: "203.0.113.9"},
		{name: "empty proto is not TLS", peer: "10.0.0.2:80", tls: true, headers: []string{xff, "203.0.113.9", xfp, ""}, want: "203.0.113.9"},
		{name: "proto of commas only is not TLS", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9", xfp, " , "}, want: "203.0.113.9"},
		{name: "garbage proto", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9", xfp, "https\x00"}, want: "203.0.113.9"},
		// Malformed where it must be read: refused, never guessed.
		{name: "garbage client", peer: "10.0.0.2:80", headers: []string{xff, "garbage"}, bad: true},
		{name: "IPv6 zone", peer: "10.0.0.2:80", headers: []string{xff, "fe80::1%eth0"}, bad: true},
		{name: "bracketed IPv6 zone", peer: "10.0.0.2:80", headers: []string{xff, "[fe80::1%25eth0]:80"}, bad: true},
		{name: "bad port", peer: "10.0.0.2:80", headers: []string{xff, "203.0.113.9:99999"}, bad: true},
		{name: "hostname", peer: "10.0.0.2:80", headers: []string{xff, "example.com"}, bad: true},
		{name: "only commas", peer: "10.0.0.2:80", headers: []string{xff, " , ,"}, bad: true},
		{name: "leading zeros", peer: "10.0.0.2:80", headers: []string{xff, "010.0.0.1"}, bad: true},
		{name: "huge entry", peer: "10.0.0.2:80", headers: []string{xff, strings.Repeat("1", 60000)}, bad: true},
		{name: "too many trusted hops", peer: "10.0.0.2:80", headers: []string{xff, strings.Repeat("10.0.0.1,", 100) + "10.0.0.1"}, bad: true},
		{name: "many hops, client near", peer: "10.0.0.2:80", headers: []string{xff, strings.Repeat("1.2.3.4,", 5000) + "203.0.113.9"}, want: "203.0.113.9"},
		// Forwarded, RFC 7239.
		{name: "Forwarded", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, "for=198.51.100.1, for=203.0.113.9;proto=https, for=10.1.1.1;proto=http"}, want: "203.0.113.9", secure: true},
		{name: "Forwarded quoted IPv6", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, `For="[2001:db8:cafe::17]:4711"`}, want: "2001:db8:cafe::17"},
		{name: "Forwarded without proto is not TLS", header: fwd, peer: "10.0.0.2:80", tls: true, headers: []string{fwd, "for=203.0.113.9"}, want: "203.0.113.9"},
		{name: "Forwarded is ignored when X-Forwarded-For is read", peer: "10.0.0.2:80", headers: []string{fwd, "for=198.51.100.1", xff, "203.0.113.9"}, want: "203.0.113.9"},
		{name: "X-Forwarded-For is ignored when Forwarded is read", header: fwd, peer: "10.0.0.2:80", headers: []string{xff, "198.51.100.1", fwd, "for=203.0.113.9"}, want: "203.0.113.9"},
		{name: "Forwarded quoted comma on the left", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, `for="1.1.1.1, for=10.0.0.1", for=203.0.113.9`}, want: "203.0.113.9"},
		{name: "Forwarded unknown", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, "for=unknown"}, bad: true},
		{name: "Forwarded obfuscated", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, "for=_hidden"}, bad: true},
		{name: "Forwarded bare IPv6", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, "for=2001:db8::1"}, bad: true},
		{name: "Forwarded without for", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, "proto=https"}, bad: true},
		{name: "Forwarded two fors", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, "for=203.0.113.9;for=10.0.0.1"}, bad: true},
		{name: "Forwarded escaped quote", header: fwd, peer: "10.0.0.2:80", headers: []string{fwd, `for="203.0.113.9\""`}, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustNew(t, proxies, tc.header)
			r := request(tc.peer, tc.tls, tc.headers...)
			addr, secure, proxied, err := res.Resolve(r)
			if tc.bad {
				if !errors.Is(err, clientaddr.ErrMalformed) {
					t.Fatalf("Resolve(%s %q) = %q, %v, %v, %v; want ErrMalformed", tc.peer, tc.headers, addr, secure, proxied, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%s %q): %v", tc.peer, tc.headers, err)
			}
			if addr != tc.want || proxied != (tc.want != "") || secure != tc.secure {
				t.Errorf("Resolve(%s %q) = %q, secure %v, proxied %v; want %q, secure %v", tc.peer, tc.headers, addr, secure, proxied, tc.want, tc.secure)
			}
		})
	}
}

// TestNoTrustedProxies: the default trusts no header from anyone,
// loopback included.
func TestNoTrustedProxies(t *testing.T) {
	for _, res := range []*clientaddr.Resolver{nil, mustNew(t, "", ""), mustNew(t, " , ", "")} {
		r := request("127.0.0.1:5000", false, "X-Forwarded-For", "198.51.100.1", "X-Forwarded-Proto", "https")
		addr, secure, proxied, err := res.Resolve(r)
		if addr != "" || secure || proxied || err != nil {
			t.Errorf("Resolve with no trusted proxies = %q, %v, %v, %v; want nothing", addr, secure, proxied, err)
		}
		if res.Enabled() {
			t.Errorf("Enabled() = true with no trusted proxies")
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct{ cidrs, header string }{
		{"10.0.0.0/33", ""}, {"example.com", ""}, {"fe80::1%eth0", ""}, {"10.0.0.0/8", "X-Real-IP"},
	} {
		if _, err := clientaddr.New(tc.cidrs, tc.header); err == nil {
			t.Errorf("New(%q, %q) = nil error, want one", tc.cidrs, tc.header)
		}
	}
}

// TestHandler: what the wrapped handler sees, and a refusal's answer.
func TestHandler(t *testing.T) {
	res := mustNew(t, proxies, "")
	var seen *http.Request
	var refusedErr error
	h := res.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r }),
		func(_ *http.Request, err error) { refusedErr = err })

	r := request("10.0.0.2:80", false, "X-Forwarded-For", "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto", "https")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen == nil || clientaddr.IP(seen) != "203.0.113.9" || !clientaddr.Secure(seen) {
		t.Fatalf("behind a trusted proxy the handler saw %v, want 203.0.113.9 over TLS", seen)
	}

	seen = nil
	r = request("203.0.113.7:5000", false, "X-Forwarded-For", "10.0.0.1", "X-Forwarded-Proto", "https")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen == nil || clientaddr.IP(seen) != "203.0.113.7" || clientaddr.Secure(seen) {
		t.Fatalf("from an untrusted peer the handler saw %v, want 203.0.113.7 without TLS", seen)
	}

	seen = nil
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("10.0.0.2:80", false, "X-Forwarded-For", "garbage"))
	if seen != nil || w.Code != http.StatusBadRequest || !errors.Is(refusedErr, clientaddr.ErrMalformed) {
		t.Fatalf("a trusted proxy's garbage: handler called %v, status %d, refused %v; want 400, not called", seen != nil, w.Code, refusedErr)
	}

	// No trusted proxies: the handler itself, nothing in between.
	inner := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := mustNew(t, "", "").Handler(inner, nil); got == nil {
		t.Fatal("Handler = nil")
	}
}

func TestIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:80": "192.0.2.1", "[2001:db8::1]:80": "2001:db8::1", "[::ffff:192.0.2.1]:80": "192.0.2.1",
		"192.0.2.1": "192.0.2.1", "2001:db8::1": "2001:db8::1",
	} {
		if got := clientaddr.IP(&http.Request{RemoteAddr: remote}); got != want {
			t.Errorf("IP(RemoteAddr %q) = %q, want %q", remote, got, want)
		}
	}
}

// TestResolveAllocations: the common case (one proxy, one hop) costs no
// allocation, nor does a request when no proxy is trusted.
func TestResolveAllocations(t *testing.T) {
	res := mustNew(t, proxies, "")
	h := res.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), nil)
	r := request("10.0.0.2:80", false, "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	got := testing.AllocsPerRun(100, func() {
		r.RemoteAddr, r.TLS = "10.0.0.2:80", nil
		h.ServeHTTP(w, r)
	})
	if got != 0 {
		t.Errorf("one X-Forwarded-For hop through Handler allocates %v times, want 0", got)
	}
	fres := mustNew(t, proxies, "Forwarded")
	fr := request("10.0.0.2:80", false, "Forwarded", "for=203.0.113.9;proto=https")
	if got := testing.AllocsPerRun(100, func() { fres.Resolve(fr) }); got != 0 {
		t.Errorf("one Forwarded hop allocates %v times, want 0", got)
	}
	for _, remote := range []string{"203.0.113.9", "203.0.113.9:80", "2001:db8::1", "[2001:db8::1]:80"} {
		pr := &http.Request{RemoteAddr: remote}
		if got := testing.AllocsPerRun(100, func() { clientaddr.IP(pr) }); got != 0 {
			t.Errorf("IP(RemoteAddr %q) allocates %v times, want 0", remote, got)
		}
	}
	none := mustNew(t, "", "")
	if got := testing.AllocsPerRun(100, func() { none.Resolve(r) }); got != 0 {
		t.Errorf("Resolve with no trusted proxies allocates %v times, want 0", got)
	}
}
