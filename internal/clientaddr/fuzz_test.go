package clientaddr_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/sealbox/sealbox/internal/clientaddr"
)

// FuzzResolve: whatever a trusted peer forwards, Resolve neither panics
// nor answers anything but a zone-less IP address that is not a trusted
// proxy's, unless it refuses (or every hop was trusted).
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "1.1.1.1, 203.0.113.9, 10.0.0.1", "[2001:db8::1]:80", "fe80::1%eth0",
		`for="[2001:db8::1]:4711";proto=https, for=10.0.0.1`, `for="a,b", for=203.0.113.9`, "::ffff:10.0.0.1", ",,", `"`} {
		f.Add(s, "https", false)
		f.Add(s, "", true)
	}
	xff, _ := clientaddr.New("10.0.0.0/8, fd00::/8", "")
	fwd, _ := clientaddr.New("10.0.0.0/8, fd00::/8", "Forwarded")
	f.Fuzz(func(t *testing.T, header, proto string, forwarded bool) {
		res, name := xff, "X-Forwarded-For"
		if forwarded {
			res, name = fwd, "Forwarded"
		}
		r := &http.Request{RemoteAddr: "10.0.0.2:80", Header: http.Header{name: {header}, "X-Forwarded-Proto": {proto}}}
		addr, _, proxied, err := res.Resolve(r)
		if err != nil || !proxied {
			return
		}
		a, perr := netip.ParseAddr(addr)
		if perr != nil || a.Zone() != "" || a.Is4In6() || a.String() != addr {
			t.Fatalf("Resolve(%s: %q) = %q: not a canonical zone-less address", name, header, addr)
		}
	})
}
