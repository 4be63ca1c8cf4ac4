package server

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/primitive"
)

// hotAllocs counts the allocations of call on the service layer's happy
// path, warm (the key's record, its material and the caller's policies
// cached): the service method called directly, as the router calls it,
// on a real server (bbolt in a temporary folder, the barrier, the
// keyring, the authorizer). The router's per-call work is left out: one
// Request is used again, emptied before each call as if fresh, with the
// authorizer's Prepare done once, so that the Request's own bookkeeping
// (its Resources slice and AuditParameters map, which the router makes
// for every call) is not counted.
func hotAllocs(t *testing.T, f *svcFixture, call func(ctx context.Context) error) float64 {
	t.Helper()
	r := *f.base
	r.Service = "kms"
	ctx := f.prepare(t, &r)
	run := func() {
		r.Resources = r.Resources[:0]
		r.AuditParameters = r.AuditParameters[:0]
		if err := call(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run() // warm
	n := testing.AllocsPerRun(200, run)
	if len(r.Resources) != 1 || r.Resources[0].Type != "AWS::KMS::Key" {
		t.Errorf("the call recorded resources %+v, want the key", r.Resources)
	}
	return n
}

// TestHotPathAllocations: Decrypt's happy path in the service layer
// allocates only what it answers and what the standard library's AES-GCM
// needs for the blob's own key; Encrypt and GenerateDataKey likewise.
// Each call is wrapped as the route is (kms.Tracked notes the key's use).
//
// Counted, and allowed: the response; its plaintext (Decrypt,
// GenerateDataKey) or ciphertext blob (Encrypt, GenerateDataKey); and the
// AES-GCM state of the key the blob derives (crypto/aes's block and
// crypto/cipher's GCM, which the standard library allocates for every
// key: the key is the blob's own, derived from its salt), and, for a new
// blob, its key's derivation: crypto/hkdf allocates its HMAC state each
// call, counted here by deriving a key alone. A blob opened again has its
// key held (the keyring's blob keys): Decrypt's warm path derives nothing.
// Nothing else: no store transaction, closure, map, condition key, ARN or
// key name.
func TestHotPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	f := newSvcFixture(t)
	// The routes' functions and the requests, made once as the router
	// has them before a call.
	decrypt := kms.Tracked(f.s.kms, "Decrypt", f.s.kms.Decrypt)
	encrypt := kms.Tracked(f.s.kms, "Encrypt", f.s.kms.Encrypt)
	gdk := kms.Tracked(f.s.kms, "GenerateDataKey", f.s.kms.GenerateDataKey)
	dec := &kms.DecryptRequest{CiphertextBlob: f.blob, EncryptionContext: f.ec}
	enc := &kms.EncryptRequest{KeyId: f.key, Plaintext: make([]byte, 32), EncryptionContext: f.ec}
	gen := &kms.GenerateDataKeyRequest{KeyId: f.key, KeySpec: "AES_256", EncryptionContext: f.ec}
	var derived [primitive.KeySize]byte
	hkdf := testing.AllocsPerRun(100, func() { primitive.DeriveKeyInto(&derived, f.blob[:32], f.blob[32:48], "sealbox alloc test") })
	var plaintext []byte
	for _, tc := range []struct {
		name    string
		want    float64
		derives bool // a new blob: its key derived
		call    func(ctx context.Context) error
	}{
		// response, plaintext, AES block, GCM
		{"Decrypt", 4, false, func(ctx context.Context) error {
			out, err := decrypt(ctx, dec)
			if err == nil {
				plaintext = out.Plaintext
			}
			return err
		}},
		// response, blob, AES block, GCM
		{"Encrypt", 4, true, func(ctx context.Context) error {
			_, err := encrypt(ctx, enc)
			return err
		}},
		// response, plaintext, blob, AES block, GCM
		{"GenerateDataKey", 5, true, func(ctx context.Context) error {
			_, err := gdk(ctx, gen)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := hotAllocs(t, f, tc.call)
			t.Logf("%s: %v allocations a call", tc.name, got)
			want := tc.want
			if tc.derives {
				want += hkdf
			}
			if got > want {
				t.Errorf("%s's happy path allocates %v times a call, want at most %v (%v, and the HKDF's %v if it derives: %v)", tc.name, got, want, tc.want, hkdf, tc.derives)
			}
		})
	}
	if len(plaintext) != 32 {
		t.Errorf("Decrypt gave %d bytes, want 32", len(plaintext))
	}
}
