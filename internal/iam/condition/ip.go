package condition

import (
	"net/netip"
	"strings"
)

// IpAddress and NotIpAddress test a request address against CIDR ranges,
// IPv4 or IPv6. A policy value without a prefix length is one address (/32
// or /128). IPv4-mapped IPv6 addresses are compared as IPv4.
type ipMatcher struct {
	prefixes []netip.Prefix
}

func ipFamily(_ string, values []string, _ bool) (matcher, error) {
	m := &ipMatcher{prefixes: make([]netip.Prefix, len(values))}
	for i, v := range values {
		p, ok := parsePrefix(strings.TrimSpace(v))
		if !ok {
			return nil, badValue(v, "it must be an IP address or a CIDR range")
		}
		m.prefixes[i] = p
	}
	return m, nil
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() {
			if bits < 96 {
				return netip.Prefix{}, false
			}
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

func (m *ipMatcher) match(v string, _ Context) bool {
	v = strings.TrimSpace(v)
	if !addressLike(v) {
		return false // netip.ParseAddr allocates its error: skip plain non-addresses
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	a = a.WithZone("").Unmap()
	for _, p := range m.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addressLike reports whether s is made of the characters of an IPv4 or
// IPv6 address (with an optional zone).
func addressLike(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':':
		case c == '%':
			return true // the zone may hold any character
		default:
			return false
		}
	}
	return true
}
