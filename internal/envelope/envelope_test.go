package envelope

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	sealed, err := Seal(key, []byte("db-password"), []byte("arn:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("db-password")) {
		t.Fatal("sealed value holds the plaintext")
	}
	if pt, err := Open(key, sealed, []byte("arn:v1")); err != nil || string(pt) != "db-password" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := Open(key, sealed, []byte("arn:v2")); err != ErrOpen {
		t.Fatalf("Open under other AAD = %v, want ErrOpen", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := Open(key, sealed, []byte("arn:v1")); err != ErrOpen {
		t.Fatalf("Open(tampered) = %v, want ErrOpen", err)
	}
}
