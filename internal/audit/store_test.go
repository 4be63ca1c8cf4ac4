package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

var ctx = context.Background()

// storeTrail writes n events (a second apart) through a store sink over a
// fresh store, signing every perDigest, and returns the store.
func storeTrail(t *testing.T, n, perDigest int) (store.Store, *audit.StoreSink) {
	t.Helper()
	st := memstore.New()
	sink := audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	l := audit.NewLogger(nil, sink)
	for i := 1; i <= n; i++ {
		if err := l.Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
		if i%perDigest == 0 {
			if err := sink.Seal(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return st, sink
}

func verifyStore(t *testing.T, st store.Store) *audit.Report {
	t.Helper()
	rep, err := audit.VerifyStore(ctx, st, keysOf(testSigner()), audit.VerifyOptions{Now: verifyNow})
	if err != nil {
		t.Fatalf("VerifyStore: %v", err)
	}
	return rep
}

// eventKeys returns the store's event keys by the events' number (their
// id's last digits).
func eventKeys(t *testing.T, st store.Store) map[int]string {
	t.Helper()
	keys := map[int]string{}
	st.View(ctx, func(tx store.Tx) error {
		return tx.Scan("audit/e/", "", func(k string, v []byte) error {
			var e struct {
				EventID string `json:"eventID"`
			}
			v, err := audit.UnpackBlock(v)
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(v, &e)
			var n int
			for _, c := range e.EventID[len(e.EventID)-4:] {
				n = n*10 + int(c-'0')
			}
			keys[n] = k
			return nil
		})
	})
	return keys
}

func TestUntamperedStoreVerifies(t *testing.T) {
	st, _ := storeTrail(t, 25, 10)
	rep := verifyStore(t, st)
	if !rep.OK() || rep.Events != 25 || rep.Digests != 3 || rep.Unsigned != 0 {
		t.Fatalf("VerifyStore of an untampered trail = %d events, %d digests, %d unsigned, problems:\n%s; want 25, 3, 0, none",
			rep.Events, rep.Digests, rep.Unsigned, problems(rep))
	}
}

// TestTamperedStoreIsCaught tampers with the store trail in each of the four
// ways (as someone holding the root key could, below the digests) and wants
// each found, by kind and sequence number.
func TestTamperedStoreIsCaught(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(tx store.Tx, keys map[int]string, value func(int) []byte) error
		want   string
	}{
		{"removed", func(tx store.Tx, keys map[int]string, _ func(int) []byte) error {
			return tx.Delete(keys[7])
		}, "store seq 7: removed"},
		{"altered", func(tx store.Tx, keys map[int]string, value func(int) []byte) error {
			return tx.Put(keys[12], []byte(strings.Replace(string(value(12)), "127.0.0.1", "10.9.8.7", 1)))
		}, "store seq 12: altered: does not match the event signed at seq 12"},
		{"inserted", func(tx store.Tx, keys map[int]string, value func(int) []byte) error {
			// Another record at seq 5's position, a moment later.
			k := keys[5]
			forged := k[:len(k)-17] + "0" + k[len(k)-16:]
			return tx.Put(forged, []byte(strings.Replace(string(value(5)), "Decrypt", "Encrypt", 1)))
		}, "store seq 5: inserted"},
		{"reordered", func(tx store.Tx, keys map[int]string, value func(int) []byte) error {
			a, b := value(3), value(4)
			if err := tx.Put(keys[3], b); err != nil {
				return err
			}
			return tx.Put(keys[4], a)
		}, "store seq 3: reordered: signed at seq 4"},
		{"truncated", func(tx store.Tx, keys map[int]string, _ func(int) []byte) error {
			for i := 21; i <= 25; i++ { // the newest events
				if err := tx.Delete(keys[i]); err != nil {
					return err
				}
			}
			return nil
		}, "store seq 21: removed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := storeTrail(t, 25, 10)
			keys := eventKeys(t, st)
			if err := st.Update(ctx, func(tx store.Tx) error {
				value := func(i int) []byte { // the block's records, unpacked
					b, _ := tx.Get(keys[i])
					b, err := audit.UnpackBlock(b)
					if err != nil {
						t.Fatal(err)
					}
					return append([]byte(nil), b...)
				}
				return tc.tamper(tx, keys, value)
			}); err != nil {
				t.Fatal(err)
			}
			rep := verifyStore(t, st)
			if got := problems(rep); !strings.Contains(got, tc.want) {
				t.Fatalf("VerifyStore after the trail was %s =\n%swant a problem %q", tc.name, got, tc.want)
			}
		})
	}
}

func TestStoreDigestRemovedIsCaught(t *testing.T) {
	st, _ := storeTrail(t, 25, 10)
	st.Update(ctx, func(tx store.Tx) error { return tx.Delete("audit/d/0000000000000002") })
	rep := verifyStore(t, st)
	got := problems(rep)
	if !strings.Contains(got, "digests 2 to 2 are missing") || !strings.Contains(got, "seq 11 to seq 20 are in no digest") {
		t.Fatalf("VerifyStore without digest 2 =\n%swant the digest and its events reported", got)
	}
}

// TestLookupNewestFirst: a time range is one scan, newest first, and a
// cursor resumes where a page ended.
func TestLookupNewestFirst(t *testing.T) {
	_, sink := storeTrail(t, 20, 100)
	var ids []string
	var cursor string
	page := func(start, end time.Time, after string, n int) {
		ids, cursor = nil, ""
		err := sink.Lookup(ctx, start, end, after, func(c string, rec []byte) (bool, error) {
			var e struct {
				EventID string `json:"eventID"`
			}
			if err := json.Unmarshal(rec, &e); err != nil {
				return false, err
			}
			ids = append(ids, e.EventID[len(e.EventID)-2:])
			cursor = c
			return len(ids) < n, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	page(time.Time{}, time.Time{}, "", 3)
	if strings.Join(ids, ",") != "20,19,18" {
		t.Fatalf("the first page = %v, want 20,19,18", ids)
	}
	page(time.Time{}, time.Time{}, cursor, 3)
	if strings.Join(ids, ",") != "17,16,15" {
		t.Fatalf("the next page = %v, want 17,16,15", ids)
	}
	// Bounds are inclusive: events 5 to 8.
	page(day.Add(5*time.Second), day.Add(8*time.Second), "", 100)
	if strings.Join(ids, ",") != "08,07,06,05" {
		t.Fatalf("events in [5s, 8s] = %v, want 08,07,06,05", ids)
	}
	if err := sink.Lookup(ctx, time.Time{}, time.Time{}, "audit/x", func(string, []byte) (bool, error) { return true, nil }); !errors.Is(err, audit.ErrCursor) {
		t.Fatalf("Lookup with a cursor it did not give = %v, want ErrCursor", err)
	}
}

// TestExpire deletes what is older than the horizon, and the digests all
// of whose events are gone; the rest still verifies, the deleted events
// counted as expired.
func TestExpire(t *testing.T) {
	st, sink := storeTrail(t, 25, 10)
	n, err := sink.Expire(ctx, day.Add(15*time.Second))
	if err != nil || n != 14 {
		t.Fatalf("Expire(15s) = %d, %v; want 14 events (1 to 14)", n, err)
	}
	if n, err := sink.Expire(ctx, day.Add(15*time.Second)); err != nil || n != 0 {
		t.Fatalf("Expire again = %d, %v; want 0", n, err)
	}
	if keys := eventKeys(t, st); len(keys) != 11 || keys[14] != "" || keys[15] == "" {
		t.Fatalf("after Expire the store holds %d events, want 15 to 25", len(keys))
	}
	var digests int
	st.View(ctx, func(tx store.Tx) error {
		return tx.Scan("audit/d/", "", func(string, []byte) error { digests++; return nil })
	})
	if digests != 2 {
		t.Fatalf("after Expire %d digests are kept, want 2 (the first one's events are all gone)", digests)
	}
	rep := verifyStore(t, st)
	if !rep.OK() || rep.Expired != 4 {
		t.Fatalf("VerifyStore after Expire = %d expired, problems:\n%s; want 4 expired (11 to 14), none", rep.Expired, problems(rep))
	}
}

// TestStoreSinkConcurrentWritesAreOneTrail: concurrent writes share
// batches and still make one gapless trail that verifies.
func TestStoreSinkConcurrentWritesAreOneTrail(t *testing.T) {
	st := memstore.New()
	sink := audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Hour})
	l := audit.NewLogger(nil, sink)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := l.Log(ctx, numbered(w*100+i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	l.Close()
	rep := verifyStore(t, st)
	if !rep.OK() || rep.Events != 400 {
		t.Fatalf("VerifyStore after 8×50 concurrent writes = %d events, problems:\n%s; want 400, none", rep.Events, problems(rep))
	}
}

// blockTrail writes n events (i seconds after day, i from 1) through one
// WriteBatch, so that they are stored as blocks of many events, and signs
// them.
func blockTrail(t *testing.T, n int) (store.Store, *audit.StoreSink) {
	t.Helper()
	st := memstore.New()
	sink := audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	entries := make([]audit.Entry, n)
	for i := range entries {
		e := numbered(i + 1)
		line, _ := json.Marshal(e)
		entries[i] = audit.Entry{Event: e, Line: append(line, '\n')}
	}
	if err := sink.WriteBatch(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	return st, sink
}

// blocks returns the store's block keys, oldest block first, with their
// records.
func blocks(t *testing.T, st store.Store) (keys []string, recs [][]string) {
	t.Helper()
	st.View(ctx, func(tx store.Tx) error {
		return tx.Scan("audit/e/", "", func(k string, v []byte) error {
			if v[0] != 0 {
				t.Errorf("block %s is not packed", k)
			}
			v, err := audit.UnpackBlock(v)
			if err != nil {
				t.Fatal(err)
			}
			keys = append([]string{k}, keys...)
			recs = append([][]string{strings.Split(string(v), "\n")}, recs...)
			return nil
		})
	})
	return keys, recs
}

// TestBlocks: one commit of many events is a few blocks (at most 10 s of
// events each here, one a second), paged newest first across them, and
// verified event by event.
func TestBlocks(t *testing.T) {
	st, sink := blockTrail(t, 35)
	keys, recs := blocks(t, st)
	if len(keys) != 4 || len(recs[0]) != 11 || len(recs[3]) != 2 {
		t.Fatalf("35 events a second apart are %d blocks (first %d events, last %d), want 4: 11, 11, 11, 2", len(keys), len(recs[0]), len(recs[len(recs)-1]))
	}
	var got []string
	cursor := ""
	for page := 0; page < 20; page++ {
		n := 0
		err := sink.Lookup(ctx, time.Time{}, time.Time{}, cursor, func(c string, rec []byte) (bool, error) {
			var e struct {
				EventID string `json:"eventID"`
			}
			json.Unmarshal(rec, &e)
			got = append(got, strings.TrimLeft(e.EventID[len(e.EventID)-2:], "0"))
			cursor, n = c, n+1
			return n < 4, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 4 {
			break
		}
	}
	want := make([]string, 35)
	for i := range want {
		want[i] = strconv.Itoa(35 - i)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages of 4, newest first = %v, want %v", got, want)
	}
	rep := verifyStore(t, st)
	if !rep.OK() || rep.Events != 35 {
		t.Fatalf("VerifyStore of blocks = %d events, problems:\n%s", rep.Events, problems(rep))
	}
}

// TestTamperedBlockIsCaught tampers inside a block of many events in each
// of the four ways.
func TestTamperedBlockIsCaught(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(lines []string) []string
		want   string
	}{
		{"removed", func(l []string) []string { return append(l[:3:3], l[4:]...) }, "store seq 4: removed"},
		{"altered", func(l []string) []string {
			l[5] = strings.Replace(l[5], "127.0.0.1", "10.9.8.7", 1)
			return l
		}, "store seq 6: altered"},
		{"inserted", func(l []string) []string {
			return append(l[:2:2], append([]string{strings.Replace(l[2], "Decrypt", "Encrypt", 1)}, l[2:]...)...)
		}, "store seq 3: inserted"},
		{"reordered", func(l []string) []string { l[7], l[8] = l[8], l[7]; return l }, "store seq 8: reordered"},
		{"truncated", func(l []string) []string { return l[:6] }, "store seq 7: removed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := blockTrail(t, 30)
			keys, recs := blocks(t, st)
			if err := st.Update(ctx, func(tx store.Tx) error {
				return tx.Put(keys[0], []byte(strings.Join(tc.tamper(recs[0]), "\n")))
			}); err != nil {
				t.Fatal(err)
			}
			if got := problems(verifyStore(t, st)); !strings.Contains(got, tc.want) {
				t.Fatalf("VerifyStore after an event in a block was %s =\n%swant a problem %q", tc.name, got, tc.want)
			}
		})
	}
}

// TestBlocksPackedSmaller: a block is stored packed, several times smaller
// than its records, and reads back as exactly its records.
func TestBlocksPackedSmaller(t *testing.T) {
	st, _ := blockTrail(t, 10) // one block
	var raw []byte
	st.View(ctx, func(tx store.Tx) error {
		return tx.Scan("audit/e/", "", func(_ string, v []byte) error {
			raw = append([]byte(nil), v...)
			return nil
		})
	})
	recs, err := audit.UnpackBlock(raw)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(recs), "\n")
	if len(lines) != 10 {
		t.Fatalf("the block unpacks to %d records, want 10", len(lines))
	}
	for i, l := range lines {
		want, _ := json.Marshal(numbered(i + 1))
		if l != string(want) {
			t.Fatalf("record %d = %s, want %s", i+1, l, want)
		}
	}
	if raw[0] != 0 || len(raw)*3 > len(recs) {
		t.Fatalf("the block is stored in %d bytes (first byte %#x) for %d of records; want it packed, at least 3 times smaller", len(raw), raw[0], len(recs))
	}
}

// TestUnpackedBlocksStillRead: blocks written before blocks were packed
// (their records as they are) are still paged and verified.
func TestUnpackedBlocksStillRead(t *testing.T) {
	st, sink := blockTrail(t, 35)
	keys, recs := blocks(t, st)
	if err := st.Update(ctx, func(tx store.Tx) error {
		for i, k := range keys {
			if err := tx.Put(k, []byte(strings.Join(recs[i], "\n"))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := sink.Lookup(ctx, time.Time{}, time.Time{}, "", func(_ string, rec []byte) (bool, error) {
		if !json.Valid(rec) {
			t.Errorf("record %d is not JSON: %q", n, rec)
		}
		n++
		return true, nil
	}); err != nil || n != 35 {
		t.Fatalf("Lookup over unpacked blocks = %d events, %v; want 35", n, err)
	}
	if rep := verifyStore(t, st); !rep.OK() || rep.Events != 35 {
		t.Fatalf("VerifyStore over unpacked blocks = %d events, problems:\n%s", rep.Events, problems(rep))
	}
}

// TestDamagedPackedBlockIsCaught: a packed block whose bytes were changed
// (by someone holding the store's key) or that claims more than a block
// can hold is not read as events: the check against the digests names its
// events, and nothing panics.
func TestDamagedPackedBlockIsCaught(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"bytes changed", func(b []byte) []byte {
			for i := len(b) / 2; i < len(b)/2+8; i++ {
				b[i] ^= 0xff
			}
			return b
		}},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"claims 4 GiB", func(b []byte) []byte { return append([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x0f}, b[2:]...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := blockTrail(t, 30)
			keys, _ := blocks(t, st)
			if err := st.Update(ctx, func(tx store.Tx) error {
				v, err := tx.Get(keys[0])
				if err != nil {
					return err
				}
				return tx.Put(keys[0], tc.damage(append([]byte(nil), v...)))
			}); err != nil {
				t.Fatal(err)
			}
			if got := problems(verifyStore(t, st)); !strings.Contains(got, "store seq 1: ") {
				t.Fatalf("VerifyStore after a packed block's %s =\n%swant its events named", tc.name, got)
			}
		})
	}
	if _, err := audit.UnpackBlock([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Fatal("UnpackBlock of a block claiming 4 GiB succeeded")
	}
}

// TestExpireBlocks: a block goes when all its events are past the horizon.
func TestExpireBlocks(t *testing.T) {
	st, sink := blockTrail(t, 35)
	// Blocks: 1-11, 12-22, 23-33, 34-35. At 16 s only the first is wholly before.
	if n, err := sink.Expire(ctx, day.Add(16*time.Second)); err != nil || n != 11 {
		t.Fatalf("Expire(16s) = %d, %v; want the first block's 11 events", n, err)
	}
	if n, err := sink.Expire(ctx, day.Add(23*time.Second)); err != nil || n != 11 {
		t.Fatalf("Expire(23s) = %d, %v; want the second block's 11 events", n, err)
	}
	if keys, _ := blocks(t, st); len(keys) != 2 {
		t.Fatalf("%d blocks are left, want 2", len(keys))
	}
	if rep := verifyStore(t, st); !rep.OK() {
		t.Fatalf("VerifyStore after Expire, problems:\n%s", problems(rep))
	}
}

// TestElectedDigestsTwoServers: two servers' sinks over one store, with
// ElectedDigests: neither signs on its own, however its clock moves; the
// digests the elected one signs, and those each signs on Close, make one
// chain over both servers' events.
func TestElectedDigestsTwoServers(t *testing.T) {
	st := memstore.New()
	clk := clock.NewFake(day)
	var sinks [2]*audit.StoreSink
	var logs [2]*audit.Logger
	for i := range sinks {
		sinks[i] = audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Minute, ElectedDigests: true, Clock: clk})
		logs[i] = audit.NewLogger(nil, sinks[i])
	}
	for i := 1; i <= 10; i++ {
		if err := logs[i%2].Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Hour)
	if rep := verifyStore(t, st); rep.Digests != 0 || rep.Unsigned != 10 {
		t.Fatalf("before any Seal: %d digests, %d unsigned; want 0 and 10 (no sink signs on its own)", rep.Digests, rep.Unsigned)
	}
	if err := sinks[0].Seal(ctx); err != nil { // the leader
		t.Fatal(err)
	}
	for i := 11; i <= 14; i++ {
		if err := logs[i%2].Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sinks[1].Seal(ctx); err != nil { // a new leader
		t.Fatal(err)
	}
	if err := logs[0].Log(ctx, numbered(15)); err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rep := verifyStore(t, st)
	if !rep.OK() || rep.Events != 15 || rep.Digests != 3 || rep.Unsigned != 0 {
		t.Fatalf("VerifyStore = %d events, %d digests, %d unsigned, problems:\n%s; want 15, 3, 0, none",
			rep.Events, rep.Digests, rep.Unsigned, problems(rep))
	}
}

// TestStoreWriters: two servers' sinks over one store record which node
// wrote each block (StoreOptions.Node), outside the chain (the trail
// verifies as ever), and the retention sweep deletes the records with
// their blocks.
func TestStoreWriters(t *testing.T) {
	st := memstore.New()
	var logs [2]*audit.Logger
	for i, node := range []string{"node-a", "node-b"} {
		logs[i] = audit.NewLogger(nil, audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), ElectedDigests: true, Node: node}))
	}
	for i := 1; i <= 6; i++ {
		if err := logs[i%2].Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range logs {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	writers := func() map[string]int {
		m := map[string]int{}
		st.View(ctx, func(tx store.Tx) error {
			return tx.Scan("audit/w/", "", func(_ string, v []byte) error { m[string(v)]++; return nil })
		})
		return m
	}
	if w := writers(); w["node-a"] == 0 || w["node-b"] == 0 || len(w) != 2 {
		t.Fatalf("the blocks' writers = %v; want node-a's and node-b's", w)
	}
	if rep := verifyStore(t, st); !rep.OK() || rep.Events != 6 {
		t.Fatalf("VerifyStore = %d events, problems:\n%s", rep.Events, problems(rep))
	}
	sink := audit.NewStoreSink(st, audit.StoreOptions{})
	defer sink.Close()
	if n, err := sink.Expire(ctx, day.Add(24*time.Hour)); err != nil || n != 6 {
		t.Fatalf("Expire = %d, %v; want the 6 events", n, err)
	}
	if w := writers(); len(w) != 0 {
		t.Fatalf("after Expire the store still names writers %v", w)
	}
}

// FuzzUnpackBlock: any stored value unpacks or fails without a panic, and
// a packed block unpacks to exactly its records.
func FuzzUnpackBlock(f *testing.F) {
	f.Add([]byte(`{"eventID":"1"}` + "\n" + `{"eventID":"2"}`))
	f.Add(audit.PackBlock(nil, []byte(`{"eventID":"1"}`+"\n"+`{"eventID":"1"}`)))
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		audit.UnpackBlock(b)
		got, err := audit.UnpackBlock(audit.PackBlock([]byte("prefix"), b)[len("prefix"):])
		if err != nil || string(got) != string(b) {
			t.Fatalf("PackBlock then UnpackBlock of %q = %q, %v", b, got, err)
		}
	})
}
