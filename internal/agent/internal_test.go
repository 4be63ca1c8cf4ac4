package agent

import (
	"fmt"
	"testing"
	"time"
)

// TestBackoff: full jitter, uniformly in [0, min(cap, base·2ⁿ)).
func TestBackoff(t *testing.T) {
	base, cap := 50*time.Millisecond, 2*time.Second
	highest := func(n int64) int64 { return n - 1 }
	lowest := func(int64) int64 { return 0 }
	for _, c := range []struct {
		n    int
		ceil time.Duration
	}{{0, 50 * time.Millisecond}, {1, 100 * time.Millisecond}, {3, 400 * time.Millisecond}, {5, 1600 * time.Millisecond}, {6, cap}, {40, cap}, {70, cap}} {
		if got := backoff(c.n, base, cap, highest); got != c.ceil-1 {
			t.Errorf("backoff(%d) at the top of its range = %v, want %v", c.n, got, c.ceil-1)
		}
		if got := backoff(c.n, base, cap, lowest); got != 0 {
			t.Errorf("backoff(%d) at the bottom = %v, want 0", c.n, got)
		}
	}
	// The real source spreads over the whole range.
	var lo, hi int
	for range 2000 {
		d := backoff(2, base, cap, jitter)
		if d < 0 || d >= 200*time.Millisecond {
			t.Fatalf("backoff(2) = %v, outside [0, 200ms)", d)
		}
		if d < 50*time.Millisecond {
			lo++
		}
		if d >= 150*time.Millisecond {
			hi++
		}
	}
	if lo < 300 || hi < 300 {
		t.Fatalf("2000 draws: %d below 50ms and %d above 150ms, want about 500 each", lo, hi)
	}
	if got := backoff(3, 0, cap, highest); got != 0 {
		t.Fatalf("backoff with no base = %v", got)
	}
}

func testEntry(key string, ids ...string) *entry {
	return &entry{key: key, body: []byte(key), fetched: time.Unix(0, 0), ttl: time.Hour, ids: ids}
}

// TestCacheInvalidatedSince: a fetch that began before a change to its
// item is not cached; one that began before changes to other items is;
// one older than what is remembered is not.
func TestCacheInvalidatedSince(t *testing.T) {
	c := newCache(100, &metrics{})
	start := c.start()
	c.invalidate([]string{secretID("other")})
	if !c.put(testEntry("a", secretID("a")), start) {
		t.Fatal("a change to another item kept the entry out")
	}
	start = c.start()
	c.invalidate([]string{arnID("arn:a")})
	if c.put(testEntry("b", secretID("a"), arnID("arn:a")), start) {
		t.Fatal("the entry was cached though its item changed while it was fetched")
	}
	start = c.start()
	for i := range recentInvalidations + 1 {
		c.invalidate([]string{secretID(fmt.Sprint(i))})
	}
	if c.put(testEntry("c", secretID("zzz")), start) {
		t.Fatal("an entry fetched before more changes than are remembered was cached")
	}
	start = c.start()
	c.reset()
	if c.put(testEntry("d", secretID("d")), start) {
		t.Fatal("an entry fetched before a reset was cached")
	}
	if !c.put(testEntry("e", secretID("e")), c.start()) {
		t.Fatal("an entry fetched after the reset was not cached")
	}
	if n := c.len(); n != 1 {
		t.Fatalf("len = %d, want 1", n)
	}
}

// TestCacheIndex: invalidation finds entries by any of their ids, and an
// entry replaced under the same key leaves no stale index behind.
func TestCacheIndex(t *testing.T) {
	c := newCache(100, &metrics{})
	c.put(testEntry("k1", secretID("s"), arnID("arn:s")), c.start())
	c.put(testEntry("k2", secretID("s")), c.start())
	c.put(testEntry("k1", secretID("t")), c.start()) // k1 now about t
	if got := c.invalidate([]string{arnID("arn:s")}); len(got) != 0 {
		t.Fatalf("the replaced entry's old ARN still evicts %d entries", len(got))
	}
	if got := c.invalidate([]string{secretID("s")}); len(got) != 1 || got[0].key != "k2" {
		t.Fatalf("invalidate s = %v, want k2", got)
	}
	if e, fresh := c.get("k1", time.Unix(0, 0), 0); e == nil || !fresh {
		t.Fatal("k1 is gone")
	}
	if len(c.byID) != 1 {
		t.Fatalf("index holds %d ids, want 1", len(c.byID))
	}
}

// TestCacheExpiry: within the TTL fresh, then stale up to maxStale, then
// gone.
func TestCacheExpiry(t *testing.T) {
	c := newCache(10, &metrics{})
	c.put(testEntry("k"), c.start())
	t0 := time.Unix(0, 0)
	if _, fresh := c.get("k", t0.Add(time.Hour-1), time.Minute); !fresh {
		t.Fatal("not fresh within the TTL")
	}
	if e, fresh := c.get("k", t0.Add(time.Hour), time.Minute); e == nil || fresh {
		t.Fatal("want stale at the TTL")
	}
	if e, _ := c.get("k", t0.Add(time.Hour+time.Minute), time.Minute); e != nil {
		t.Fatal("still there past TTL + maxStale")
	}
	if c.len() != 0 {
		t.Fatal("not dropped")
	}
}

func TestSplitSelector(t *testing.T) {
	for in, want := range map[string][2]string{
		"/app/x":   {"/app/x", ""},
		"/app/x:3": {"/app/x", ":3"},
		"flat:lbl": {"flat", ":lbl"},
		"arn:aws:ssm:us-east-1:123456789012:parameter/app/x":      {"arn:aws:ssm:us-east-1:123456789012:parameter/app/x", ""},
		"arn:aws:ssm:us-east-1:123456789012:parameter/app/x:blue": {"arn:aws:ssm:us-east-1:123456789012:parameter/app/x", ":blue"},
	} {
		if n, s := splitSelector(in); n != want[0] || s != want[1] {
			t.Errorf("splitSelector(%q) = %q, %q; want %q, %q", in, n, s, want[0], want[1])
		}
	}
}

func TestSecretNameFromARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123": "prod/db",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????": "prod/db",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db":        "",
		"prod/db-AbC123": "",
		"":               "",
	} {
		if got := secretNameFromARN(in); got != want {
			t.Errorf("secretNameFromARN(%q) = %q, want %q", in, got, want)
		}
	}
}
