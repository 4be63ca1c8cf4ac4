package rootkey

import (
	"errors"
	"fmt"
)

// PKCS11Config says which token and key the pkcs11 provider uses.
type PKCS11Config struct {
	// Module is the path of the token's PKCS#11 library (a .so), e.g.
	// /usr/lib/softhsm/libsofthsm2.so.
	Module string
	// TokenLabel names the token; with HasSlot, Slot names it instead.
	TokenLabel string
	Slot       uint
	HasSlot    bool
	// KeyLabel is the CKA_LABEL of the key that wraps the barrier key: an
	// AES secret key, or an RSA key pair (both halves with that label).
	KeyLabel string
	// PIN is the token's user PIN. NewPKCS11 keeps its own copy.
	PIN []byte
	// GenerateKey lets the first Wrap make an AES-256 key labelled
	// KeyLabel in the token when there is none (sensitive, not
	// extractable, kept on the token). Unwrap never makes one.
	GenerateKey bool
	// Mechanism forces one way of wrapping for Wrap (one of the
	// PKCS11Mechanism* names); "" picks the first the token and key
	// offer, in the order of those constants. Unwrap always uses the one
	// recorded in the blob.
	Mechanism string
}

// The wrapping mechanisms of the pkcs11 provider, in the order Wrap
// prefers them: key wrap is what tokens are made for (the barrier key is
// handled as a key object), AES-GCM is an AEAD where key wrap is not
// offered, RSA-OAEP serves tokens that hold only key pairs: with SHA-256
// where the token offers it, else with SHA-1 (SoftHSM 2.6 knows no other;
// OAEP's security does not rest on the hash's collision resistance).
const (
	PKCS11MechanismAESKWP    = "aes-key-wrap-kwp" // CKM_AES_KEY_WRAP_KWP, RFC 5649
	PKCS11MechanismAESKW     = "aes-key-wrap"     // CKM_AES_KEY_WRAP, RFC 3394
	PKCS11MechanismAESGCM    = "aes-gcm"          // CKM_AES_GCM, 96-bit IV, 128-bit tag
	PKCS11MechanismRSAOAEP   = "rsa-oaep-sha256"  // CKM_RSA_PKCS_OAEP, SHA-256 and MGF1-SHA-256
	PKCS11MechanismRSAOAEP1  = "rsa-oaep-sha1"    // CKM_RSA_PKCS_OAEP, SHA-1 and MGF1-SHA-1
	pkcs11Version            = 1
	pkcs11HeaderSize         = 2 // version | mechanism
	pkcs11GCMNonceSize       = 12
	pkcs11GCMTagBits         = 128
	pkcs11MechanismFirstByte = 1
)

// pkcs11Mechanisms are the mechanisms by their byte in a wrapped blob
// (index + 1), in Wrap's order of preference.
var pkcs11Mechanisms = []string{PKCS11MechanismAESKWP, PKCS11MechanismAESKW, PKCS11MechanismAESGCM, PKCS11MechanismRSAOAEP, PKCS11MechanismRSAOAEP1}

// pkcs11AAD binds an AES-GCM blob to its purpose; the blob's header is
// appended to it.
var pkcs11AAD = []byte("sealbox rootkey/pkcs11 v1: barrier key")

var (
	// ErrNoPKCS11 is returned by NewPKCS11 in a sealbox built without cgo.
	ErrNoPKCS11 = errors.New("this sealbox was built without cgo, so it has no PKCS#11 support")
	// ErrPKCS11Module is wrapped when the PKCS#11 library is missing or
	// does not load.
	ErrPKCS11Module = errors.New("PKCS#11 module unusable")
	// ErrTokenAbsent is wrapped when no token has the label (or the slot
	// has no token).
	ErrTokenAbsent = errors.New("PKCS#11 token absent")
	// ErrWrongPIN is wrapped when the token refuses the PIN
	// (CKR_PIN_INCORRECT).
	ErrWrongPIN = errors.New("wrong PIN")
)

// CheckPKCS11Mechanism reports whether m is "" or a mechanism name.
func CheckPKCS11Mechanism(m string) error {
	if m == "" {
		return nil
	}
	for _, name := range pkcs11Mechanisms {
		if m == name {
			return nil
		}
	}
	return fmt.Errorf("unknown PKCS#11 wrapping mechanism %q: want one of %q", m, pkcs11Mechanisms)
}
