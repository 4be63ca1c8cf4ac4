package agent

import (
	"testing"
)

// FuzzParseQuery feeds arbitrary query strings to the routes' parsers (a
// local process's bytes, so untrusted): none may panic, and an accepted
// request names its item and keys the cache the same way twice.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"secretId=prod%2Fdb&versionStage=AWSPREVIOUS", "secretId=a&refreshNow=TRUE", "name=%2Fapp%2Furl&version=3&label=x",
		"name=/aws/reference/secretsmanager/prod/db&withDecryption=false", "name=a&label=", "%zz=1", "&&&=", "versionId=1&secretId=",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, raw string, route uint8) {
		parse := func() (request, error) {
			switch route % 3 {
			case 0:
				return parseSecretQuery(raw, false, "")
			case 1:
				return parseSecretQuery(raw, true, "path-id")
			default:
				return parseParameterQuery(raw)
			}
		}
		r, err := parse()
		if err != nil {
			if _, ok := err.(queryError); !ok {
				t.Fatalf("%q: error %T is not a 400 answer", raw, err)
			}
			return
		}
		if r.id == "" {
			t.Fatalf("%q: accepted %+v without an id", raw, r)
		}
		again, err := parse()
		if err != nil || again != r || again.key() != r.key() {
			t.Fatalf("%q: parsed as %+v (key %q), then as %+v (key %q), %v", raw, r, r.key(), again, again.key(), err)
		}
	})
}

// TestRequestKeysDoNotCollide: requests that select different answers have
// different cache keys, even when a field carries the separator byte.
func TestRequestKeysDoNotCollide(t *testing.T) {
	queries := []struct {
		secret bool
		raw    string
	}{
		{true, "secretId=a%00b"},
		{true, "secretId=a&versionId=b"},
		{true, "secretId=a&versionStage=b"},
		{true, "secretId=a%00&versionId=b"},
		{true, "secretId=a&versionId=%00b"},
		{true, "secretId=ab"},
		{false, "name=a"},
		{false, "name=a&withDecryption=true"},
		{false, "name=a%00"},
	}
	seen := map[string]string{}
	for _, q := range queries {
		var r request
		var err error
		if q.secret {
			r, err = parseSecretQuery(q.raw, false, "")
		} else {
			r, err = parseParameterQuery(q.raw)
		}
		if err != nil {
			t.Fatalf("parse(%q) = %v", q.raw, err)
		}
		if other, ok := seen[r.key()]; ok {
			t.Errorf("%q and %q share the cache key %q", other, q.raw, r.key())
		}
		seen[r.key()] = q.raw
	}
}
