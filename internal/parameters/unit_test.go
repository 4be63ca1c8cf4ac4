package parameters

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func TestParseRef(t *testing.T) {
	r := &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012"}
	for _, tc := range []struct {
		in      string
		ok      bool
		name    string
		sel     string
		version int64
	}{
		{"/a/b", true, "/a/b", "", 0},
		{" /a/b ", true, "/a/b", "", 0},
		{"/a/b:3", true, "/a/b", "3", 3},
		{"/a/b:prod", true, "/a/b", "prod", 0},
		{"flat:0", false, "", "", 0},
		{"/a/b:", false, "", "", 0},
		{"/a/b:1:2", false, "", "", 0},
		{"/a//b", false, "", "", 0},
		{"/a b", false, "", "", 0},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/a/b:2", true, "/a/b", "2", 2},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/flat", true, "flat", "", 0},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/a", false, "", "", 0},
	} {
		got, ok := parseRef(r, tc.in)
		if ok != tc.ok || ok && (got.name != tc.name || got.selector != tc.sel || got.version != tc.version) {
			t.Errorf("parseRef(%q) = %+v, %v; want %s %s %d, %v", tc.in, got, ok, tc.name, tc.sel, tc.version, tc.ok)
		}
	}
}

func TestCheckPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"/", "", true}, {"/a", "a/", true}, {"/a/b/", "a/b/", true}, {"a", "", false}, {"/a//b", "", false}, {"//", "", false}, {"/a$", "", false},
	} {
		got, err := checkPath(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("checkPath(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestLabelValid(t *testing.T) {
	for l, want := range map[string]bool{"prod": true, "Prod_1.x-y": true, "1prod": false, "AWSx": false, "ssm": false, "a/b": false, "": false, strings.Repeat("a", 101): false, strings.Repeat("a", 100): true} {
		if labelValid(l) != want {
			t.Errorf("labelValid(%q) = %v", l, !want)
		}
	}
}

func TestParsePolicies(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ps, err := parsePolicies(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-10T00:00:00.000Z"}},{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"2","Unit":"Days"}},{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"5","Unit":"Hours"}}]`, now)
	if err != nil {
		t.Fatal(err)
	}
	if !ps[1].At.Equal(time.Date(2030, 1, 8, 0, 0, 0, 0, time.UTC)) || ps[2].Offset != 5*time.Hour || ps[0].Text != `{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-10T00:00:00.000Z"}}` {
		t.Fatalf("policies = %+v", ps)
	}
	v := version{Policies: ps, Modified: now}
	if !v.nextDue().Equal(now.Add(5 * time.Hour)) {
		t.Fatalf("nextDue = %v", v.nextDue())
	}
	for in, code := range map[string]string{
		`{}`: "InvalidPolicyTypeException",
		`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2029-01-01T00:00:00Z"}}]`:                                                                                                                         "InvalidPolicyAttributeException",
		`[{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"1","Unit":"Days"}}]`:                                                                                                                     "IncompatiblePolicyException",
		`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Weeks"}}]`:                                                                                                                       "InvalidPolicyAttributeException",
		`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"},"X":1}]`:                                                                                                                  "InvalidPolicyAttributeException",
		`[` + strings.Repeat(`{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}},`, 10) + `{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}}]`: "PoliciesLimitExceededException",
	} {
		_, err := parsePolicies(in, now)
		if e, ok := sealbox.AsError(err); !ok || e.Code != code {
			t.Errorf("parsePolicies(%s) = %v, want %s", in, err, code)
		}
	}
}

// TestScanLevelSkipsSubtrees: a one-level read of a path with a large
// subtree reads the subtree's keys not at all.
func TestScanLevelSkipsSubtrees(t *testing.T) {
	st := memstore.New()
	ctx := context.Background()
	st.Update(ctx, func(tx store.Tx) error {
		for _, k := range []string{"p/a", "p/b", "p/c", "p/b.x", "p/b0"} {
			tx.Put(k, []byte("{}"))
		}
		for i := 0; i < 1000; i++ {
			tx.Put("p/b/deep/"+strings.Repeat("x", i%7)+string(rune('a'+i%26)), []byte("{}"))
		}
		return nil
	})
	counting := &countTx{}
	var got []string
	err := st.View(ctx, func(tx store.Tx) error {
		counting.Tx = tx
		return scanLevel(counting, "p/", "", false, func(key string, _ []byte) (bool, error) {
			got = append(got, key)
			return false, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "p/a,p/b,p/b.x,p/b0,p/c" {
		t.Fatalf("one level = %v", got)
	}
	if counting.seen > 10 {
		t.Fatalf("the scan read %d keys for 5 results", counting.seen)
	}
}

type countTx struct {
	store.Tx
	seen int
}

func (c *countTx) Scan(prefix, after string, fn func(string, []byte) error) error {
	return c.Tx.Scan(prefix, after, func(k string, v []byte) error {
		c.seen++
		return fn(k, v)
	})
}
