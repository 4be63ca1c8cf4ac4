// Package clientaddr says who sent a request: the client's address and
// whether its connection was TLS, read through the reverse proxies the
// operator trusts (--trusted-proxies) and never through anyone else.
//
// The semantics are those of Echo's ExtractIPFromXFFHeader with trusted
// ranges (not chi's RealIP, which takes the left-most entry, the client's
// to write), refusing what cannot be read rather than guessing:
//
//   - A forwarding header is read only when the TCP peer is in the trusted
//     list; from any other peer it is ignored, and the peer is the client.
//   - The list the header carries is walked from the right (the entry the
//     nearest proxy appended) past every address that is itself a trusted
//     proxy; the first one that is not is the client. The left-most entry,
//     which the client writes, is reached only if every entry after it is
//     a trusted proxy.
//   - An entry that must be read and cannot be (garbage, an IPv6 zone,
//     "unknown", an obfuscated identifier, more than MaxHops hops) refuses
//     the request (400): a proxy the operator trusts sent what it should
//     not, and no address guessed from it is safe to authorize.
//   - The client's connection was TLS when the proxy says so: with
//     X-Forwarded-For, every X-Forwarded-Proto value is "https"; with
//     Forwarded, the client's own element says proto=https. A proxied
//     request that does not say is not TLS. A trusted peer that names no
//     client is the client, and its own connection says.
//
// Only one header is read, the one the operator names (X-Forwarded-For by
// default, or Forwarded, RFC 7239): a proxy that writes one passes the
// other through from the client untouched, so reading both would let the
// client choose.
package clientaddr

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// MaxHops bounds the trusted hops walked in one header: more is refused.
const MaxHops = 32

// The forwarding headers a Resolver reads.
const (
	XForwardedFor = "X-Forwarded-For"
	Forwarded     = "Forwarded"

	xForwardedProto = "X-Forwarded-Proto"
)

// ErrMalformed is Resolve's answer when a trusted proxy's header cannot be
// read.
var ErrMalformed = errors.New("clientaddr: a trusted proxy's forwarding header cannot be read")

// ForwardedTLS is the r.TLS Handler gives a request whose client a trusted
// proxy says connected over TLS: an empty ConnectionState (no version, no
// peer certificates), so code that asks whether the request was TLS hears
// yes and code that asks for details finds none. Nothing may change it.
var ForwardedTLS = &tls.ConnectionState{}

// Resolver finds a request's client. Its zero value, and nil, trust no
// proxy. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
	header  string
}

// New makes a Resolver trusting the proxies in cidrs (comma-separated
// CIDRs or single addresses; empty trusts none) and reading header
// (XForwardedFor or Forwarded; empty means XForwardedFor).
func New(cidrs, header string) (*Resolver, error) {
	res := &Resolver{header: XForwardedFor}
	switch {
	case header == "" || strings.EqualFold(header, XForwardedFor):
	case strings.EqualFold(header, Forwarded):
		res.header = Forwarded
	default:
		return nil, fmt.Errorf("forwarding header %q must be %q or %q", header, XForwardedFor, Forwarded)
	}
	for s := range strings.SplitSeq(cidrs, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("trusted proxy %q is neither a CIDR nor an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		res.trusted = append(res.trusted, p.Masked())
	}
	return res, nil
}

// Enabled reports whether res trusts any proxy.
func (res *Resolver) Enabled() bool { return res != nil && len(res.trusted) > 0 }

// Header is the forwarding header res reads.
func (res *Resolver) Header() string { return res.header }

func (res *Resolver) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range res.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Handler has h see the client where net/http puts the peer: r.RemoteAddr
// becomes the client's address (without a port when a proxy named it) and
// r.TLS says whether the client's connection was TLS (ForwardedTLS or nil
// for a proxied request). A request it cannot resolve is refused with 400.
// With no trusted proxy it is h itself.
func (res *Resolver) Handler(h http.Handler, refused func(r *http.Request, err error)) http.Handler {
	if !res.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, secure, proxied, err := res.Resolve(r)
		if err != nil {
			if refused != nil {
				refused(r, err)
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte("400 Bad Request: the forwarding header of a trusted proxy cannot be read\n"))
			return
		}
		if proxied {
			r.RemoteAddr = addr
			if secure {
				r.TLS = ForwardedTLS
			} else {
				r.TLS = nil
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Resolve finds r's client: its address, whether its connection was TLS,
// and proxied true when a trusted proxy named it (false: the peer is the
// client, addr is "" and secure is r.TLS != nil). The error is
// ErrMalformed, wrapped.
func (res *Resolver) Resolve(r *http.Request) (addr string, secure, proxied bool, err error) {
	secure = r.TLS != nil
	if !res.Enabled() {
		return "", secure, false, nil
	}
	peer, ok := parsePeer(r.RemoteAddr)
	if !ok || !res.trusts(peer) {
		return "", secure, false, nil
	}
	values := r.Header[res.header]
	if len(values) == 0 {
		return "", secure, false, nil
	}
	if res.header == Forwarded {
		return res.forwarded(values)
	}
	return res.xForwardedFor(values, r.Header[xForwardedProto])
}

// xForwardedFor walks X-Forwarded-For from the right.
func (res *Resolver) xForwardedFor(values, protos []string) (string, bool, bool, error) {
	var client string
	hops := 0
	walk := func(entry string) (stop bool, err error) {
		hops++
		if hops > MaxHops {
			return true, fmt.Errorf("%w: more than %d hops", ErrMalformed, MaxHops)
		}
		s, a, ok := parseNode(strings.TrimSpace(entry), false)
		if !ok {
			return true, fmt.Errorf("%w: X-Forwarded-For entry %q", ErrMalformed, clip(entry))
		}
		client = s
		return !res.trusts(a), nil
	}
	if err := eachFromRight(values, walk); err != nil {
		return "", false, false, err
	}
	if client == "" {
		return "", false, false, fmt.Errorf("%w: an empty X-Forwarded-For", ErrMalformed)
	}
	// Every hop the proxies describe was TLS, and at least one is
	// described; else the client's was not known to be.
	secure, named := true, false
	eachFromRight(protos, func(p string) (bool, error) {
		named = true
		if !strings.EqualFold(strings.TrimSpace(p), "https") {
			secure = false
			return true, nil
		}
		return false, nil
	})
	secure = secure && named
	return client, secure, true, nil
}

// forwarded walks Forwarded (RFC 7239) from the right: the client is the
// first element's for= that is not a trusted proxy, its proto= says
// whether it came over TLS.
func (res *Resolver) forwarded(values []string) (string, bool, bool, error) {
	var client string
	var secure bool
	hops := 0
	walk := func(elem string) (bool, error) {
		hops++
		if hops > MaxHops {
			return true, fmt.Errorf("%w: more than %d hops", ErrMalformed, MaxHops)
		}
		forVal, proto, ok := forwardedPairs(elem)
		if !ok {
			return true, fmt.Errorf("%w: Forwarded element %q", ErrMalformed, clip(elem))
		}
		s, a, ok := parseNode(forVal, true)
		if !ok {
			return true, fmt.Errorf("%w: Forwarded for=%q", ErrMalformed, clip(forVal))
		}
		client, secure = s, strings.EqualFold(proto, "https")
		return !res.trusts(a), nil
	}
	if err := eachFromRight(values, walk); err != nil {
		return "", false, false, err
	}
	if client == "" {
		return "", false, false, fmt.Errorf("%w: an empty Forwarded", ErrMalformed)
	}
	return client, secure, true, nil
}

// eachFromRight calls f with each comma-separated element of the header's
// values (its lines, in order), the last first, until f says stop. A
// comma inside a quoted string does not separate. Empty elements are
// skipped, as RFC 9110's list rule allows.
func eachFromRight(values []string, f func(string) (bool, error)) error {
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		end, quoted := len(v), false
		for j := len(v) - 1; j >= -1; j-- {
			if j >= 0 && v[j] == '"' {
				quoted = !quoted
			}
			if j >= 0 && (v[j] != ',' || quoted) {
				continue
			}
			elem := v[j+1 : end]
			end = j
			if strings.TrimSpace(elem) == "" {
				continue
			}
			stop, err := f(elem)
			if err != nil || stop {
				return err
			}
		}
	}
	return nil
}

// forwardedPairs reads an element's for= and proto= (names are
// case-insensitive; values tokens or quoted strings without escapes).
// ok is false when the element has no for=, repeats one, or is malformed.
func forwardedPairs(elem string) (forVal, proto string, ok bool) {
	seenFor := false
	for pair := range strings.SplitSeq(elem, ";") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, val, found := strings.Cut(pair, "=")
		if !found || name == "" {
			return "", "", false
		}
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
			if strings.ContainsAny(val, `\"`) {
				return "", "", false
			}
		} else if strings.ContainsAny(val, `" `) {
			return "", "", false
		}
		switch {
		case strings.EqualFold(name, "for"):
			if seenFor {
				return "", "", false
			}
			seenFor, forVal = true, val
		case strings.EqualFold(name, "proto"):
			proto = val
		}
	}
	return forVal, proto, seenFor
}

// parseNode reads one hop's address: "192.0.2.1", "192.0.2.1:8080",
// "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:8080" (bracketed only
// in Forwarded, where a bare IPv6 address is not allowed). It answers the
// address as text, IPv4-mapped IPv6 as IPv4; zones are refused.
func parseNode(s string, bracketedV6 bool) (string, netip.Addr, bool) {
	if s == "" || len(s) > len("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535") {
		return "", netip.Addr{}, false
	}
	host := s
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", netip.Addr{}, false
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" && !validPort(rest) {
			return "", netip.Addr{}, false
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 && strings.IndexByte(s[i+1:], ':') < 0 {
		// One colon: IPv4 with a port.
		if !validPort(s[i:]) {
			return "", netip.Addr{}, false
		}
		host = s[:i]
	} else if i >= 0 && bracketedV6 {
		return "", netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" || (s[0] == '[' && !a.Is6()) {
		return "", netip.Addr{}, false
	}
	if a.Is4In6() {
		a = a.Unmap()
		return a.String(), a, true
	}
	if a.Is4() {
		// netip accepts only the canonical dotted form: host is it.
		return host, a, true
	}
	return a.String(), a, true
}

func validPort(s string) bool {
	if len(s) < 2 || len(s) > 6 || s[0] != ':' {
		return false
	}
	n := 0
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// parsePeer reads r.RemoteAddr as net/http writes it ("ip:port").
func parsePeer(remote string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		a, err := netip.ParseAddr(remote)
		return a, err == nil
	}
	return ap.Addr(), true
}

// clip keeps a log line about a hostile header short.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// IP is r's client address for authorization, the audit trail and the
// logs: r.RemoteAddr without its port, IPv4-mapped IPv6 as IPv4. Behind
// Handler it is the resolved client's.
func IP(r *http.Request) string {
	// net.SplitHostPort would allocate its error for a proxied client's
	// address, which has no port.
	host := r.RemoteAddr
	if strings.HasPrefix(host, "[") {
		if i := strings.LastIndex(host, "]"); i > 0 {
			host = host[1:i]
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 && strings.IndexByte(host[i+1:], ':') < 0 {
		host = host[:i]
	}
	return strings.TrimPrefix(host, "::ffff:")
}

// Secure reports whether r's client connected over TLS (behind Handler,
// as its trusted proxy says).
func Secure(r *http.Request) bool { return r.TLS != nil }
