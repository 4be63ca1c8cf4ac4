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
		var r request
		var err error
		switch route % 3 {
		case 0:
			r, err = parseSecretQuery(raw, false, "")
		case 1:
			r, err = parseSecretQuery(raw, true, "path-id")
		default:
			r, err = parseParameterQuery(raw)
		}
		if err != nil {
			if _, ok := err.(queryError); !ok {
				t.Fatalf("%q: error %T is not a 400 answer", raw, err)
			}
			return
		}
		if r.id == "" || r.key() != r.key() {
			t.Fatalf("%q: accepted %+v", raw, r)
		}
	})
}
