package keyring

import (
	"strconv"
	"sync"
	"testing"

	"github.com/sealbox/sealbox/internal/primitive"
)

func testKey(b byte) *[primitive.KeySize]byte {
	var k [primitive.KeySize]byte
	for i := range k {
		k[i] = b
	}
	return &k
}

func testName(material string, n int) *blobName {
	name := blobName{material: material}
	copy(name.salt[:], strconv.Itoa(n))
	return &name
}

// wiped reports whether every slot not holding a key is all zeroes, and
// counts the slots holding one.
func (b *blobKeys) wiped(t *testing.T) int {
	t.Helper()
	held := 0
	for i := range b.slots {
		s := &b.slots[i]
		if s.full {
			held++
			continue
		}
		if s.key != ([primitive.KeySize]byte{}) || s.name != (blobName{}) {
			t.Errorf("slot %d holds no key but was not wiped", i)
		}
	}
	if held != len(b.index) {
		t.Errorf("%d slots held, %d named", held, len(b.index))
	}
	return held
}

// The cache holds at most its size, in place: an evicted key's slot is
// overwritten, a dropped version's and a purged cache's are zeroed.
func TestBlobKeysWipe(t *testing.T) {
	b := newBlobKeys(nil, 4)
	for i := range 6 {
		b.put(testName("keyring/r/a/1", i), testKey(byte(i+1)), b.ticket())
	}
	if n := b.wiped(t); n != 4 {
		t.Fatalf("%d keys held, want the bound 4", n)
	}
	if b.evictions.Load() != 2 {
		t.Errorf("%d evictions, want 2", b.evictions.Load())
	}
	var got [primitive.KeySize]byte
	if !b.get(testName("keyring/r/a/1", 5), &got) || got != *testKey(6) {
		t.Fatalf("the last key put is not held as it was put")
	}
	if b.get(testName("keyring/r/a/1", 0), &got) {
		t.Fatalf("the first key put is held past the bound")
	}
	for i := range b.slots { // the evicted keys' bytes are nowhere
		if k := b.slots[i].key; k == *testKey(1) || k == *testKey(2) {
			t.Fatalf("an evicted key's bytes are still in a slot")
		}
	}

	b.put(testName("keyring/r/b/1", 0), testKey(9), b.ticket())
	b.dropMaterial("keyring/r/a/1")
	if n := b.wiped(t); n != 1 {
		t.Fatalf("%d keys held after their version's drop, want the other version's 1", n)
	}
	if !b.get(testName("keyring/r/b/1", 0), &got) || got != *testKey(9) {
		t.Fatalf("another version's key was dropped")
	}
	b.Purge()
	if n := b.wiped(t); n != 0 {
		t.Fatalf("%d keys held after Purge", n)
	}
}

// A key derived from material read before an invalidation is not kept:
// the material may be the deleted version's.
func TestBlobKeysRefuseAnOutdatedFill(t *testing.T) {
	b := newBlobKeys(nil, 4)
	ticket := b.ticket()
	b.dropMaterial("keyring/r/a/1")
	b.put(testName("keyring/r/a/1", 0), testKey(1), ticket)
	if b.wiped(t) != 0 {
		t.Fatalf("a key derived before its version's drop was kept")
	}
}

// A used key gets a second chance; an unused one is evicted first.
func TestBlobKeysKeepWhatIsRead(t *testing.T) {
	b := newBlobKeys(nil, 2)
	b.put(testName("m", 0), testKey(1), b.ticket())
	b.put(testName("m", 1), testKey(2), b.ticket())
	var got [primitive.KeySize]byte
	b.get(testName("m", 0), &got)
	b.put(testName("m", 2), testKey(3), b.ticket())
	if !b.get(testName("m", 0), &got) || b.get(testName("m", 1), &got) {
		t.Fatalf("the key read was evicted before the one not read")
	}
}

// Concurrent readers, fillers and wipers: a read finds a name's own key
// or nothing, never another's or a half-wiped one (run with -race).
func TestBlobKeysConcurrent(t *testing.T) {
	b := newBlobKeys(nil, 8)
	keyOf := func(n int) *[primitive.KeySize]byte { return testKey(byte(n%250 + 1)) }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got [primitive.KeySize]byte
			for i := range 2000 {
				n := (i*7 + g) % 24
				name := testName("keyring/r/a/"+strconv.Itoa(n%3), n)
				if b.get(name, &got) {
					if got != *keyOf(n) {
						t.Errorf("name %d read another key", n)
						return
					}
					continue
				}
				b.put(name, keyOf(n), b.ticket())
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			if i%2 == 0 {
				b.dropMaterial("keyring/r/a/" + strconv.Itoa(i%3))
			} else {
				b.Purge()
			}
		}
	}()
	wg.Wait()
	b.wiped(t)
}
