//go:build cgo

package rootkey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/sealbox/sealbox/internal/primitive"
)

// ckmAESKeyWrapKWP is CKM_AES_KEY_WRAP_KWP (PKCS#11 3.0), which
// miekg/pkcs11's constants predate.
const ckmAESKeyWrapKWP = 0x0000210B

// pkcs11Mech is a wrapping mechanism: its name, its CKM_ value, the
// operations it needs from the token (CKF_*) and from the key (CKA_*), and
// the kind of key it works with.
type pkcs11Mech struct {
	name   string
	ckm    uint
	flags  uint   // CKF_WRAP|CKF_UNWRAP or CKF_ENCRYPT|CKF_DECRYPT
	attrs  []uint // CKA_WRAP, CKA_UNWRAP or CKA_ENCRYPT, CKA_DECRYPT
	rsa    bool   // an RSA key pair, not an AES key
	wraps  bool   // C_WrapKey/C_UnwrapKey, not C_Encrypt/C_Decrypt
	encode byte   // the blob's mechanism byte
}

var pkcs11Mechs = func() []pkcs11Mech {
	wrap := []uint{pkcs11.CKA_WRAP, pkcs11.CKA_UNWRAP}
	crypt := []uint{pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT}
	ms := []pkcs11Mech{
		{name: PKCS11MechanismAESKWP, ckm: ckmAESKeyWrapKWP, flags: pkcs11.CKF_WRAP | pkcs11.CKF_UNWRAP, attrs: wrap, wraps: true},
		{name: PKCS11MechanismAESKW, ckm: pkcs11.CKM_AES_KEY_WRAP, flags: pkcs11.CKF_WRAP | pkcs11.CKF_UNWRAP, attrs: wrap, wraps: true},
		{name: PKCS11MechanismAESGCM, ckm: pkcs11.CKM_AES_GCM, flags: pkcs11.CKF_ENCRYPT | pkcs11.CKF_DECRYPT, attrs: crypt},
		{name: PKCS11MechanismRSAOAEP, ckm: pkcs11.CKM_RSA_PKCS_OAEP, flags: pkcs11.CKF_ENCRYPT | pkcs11.CKF_DECRYPT, attrs: crypt, rsa: true},
		{name: PKCS11MechanismRSAOAEP1, ckm: pkcs11.CKM_RSA_PKCS_OAEP, flags: pkcs11.CKF_ENCRYPT | pkcs11.CKF_DECRYPT, attrs: crypt, rsa: true},
	}
	for i := range ms {
		if ms[i].name != pkcs11Mechanisms[i] {
			panic("rootkey: pkcs11Mechs and pkcs11Mechanisms disagree")
		}
		ms[i].encode = byte(i + pkcs11MechanismFirstByte)
	}
	return ms
}()

// PKCS11 wraps the barrier key with a key that never leaves a PKCS#11
// token (an HSM, a smart card, SoftHSM). Every call opens a session, logs
// in with the PIN and closes the session again, one call at a time per
// module, so that a wrong PIN is always told and no login outlives its
// call. Create it with NewPKCS11 and Close it when done. Safe for
// concurrent use.
//
// Blob layout: version (1) | mechanism (1) | body, where the body is what
// C_WrapKey made (key wrap), nonce | ciphertext | tag (AES-GCM, with the
// header as additional data), or the RSA-OAEP ciphertext.
type PKCS11 struct {
	cfg       PKCS11Config
	mod       *p11module
	closeOnce sync.Once
	closed    chan struct{}
}

var _ Provider = (*PKCS11)(nil)

// NewPKCS11 loads and initialises the module (once per process, shared by
// the providers using it) and returns the provider. The token, the PIN and
// the key are checked by Wrap and Unwrap.
func NewPKCS11(cfg PKCS11Config) (*PKCS11, error) {
	if cfg.Module == "" || cfg.KeyLabel == "" || (cfg.TokenLabel == "" && !cfg.HasSlot) {
		return nil, errors.New("the pkcs11 root-key provider needs a module, a token (label or slot) and a key label")
	}
	if err := CheckPKCS11Mechanism(cfg.Mechanism); err != nil {
		return nil, err
	}
	mod, err := acquireModule(cfg.Module)
	if err != nil {
		return nil, err
	}
	cfg.PIN = bytes.Clone(cfg.PIN)
	return &PKCS11{cfg: cfg, mod: mod, closed: make(chan struct{})}, nil
}

// Name returns "pkcs11".
func (*PKCS11) Name() string { return "pkcs11" }

// Close forgets the PIN and releases the module (finalised when no other
// provider uses it). Calling it again does nothing.
func (p *PKCS11) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		p.mod.mu.Lock()
		clear(p.cfg.PIN)
		p.mod.mu.Unlock()
		err = releaseModule(p.mod)
	})
	return err
}

// Wrap encrypts key with the token's key, making that key first if there is
// none and GenerateKey allows it.
func (p *PKCS11) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	var out []byte
	err := p.withSession(ctx, true, func(s *p11session) error {
		choices, err := s.chooseForWrap()
		if err != nil {
			return err
		}
		// The token may advertise a mechanism and still refuse its
		// parameters (SoftHSM 2.6: OAEP with SHA-256): the next one is
		// tried then.
		var refused []string
		for _, c := range choices {
			header := []byte{pkcs11Version, c.m.encode}
			body, err := s.wrap(c.m, c.h, key, header)
			if err == nil {
				out = append(header, body...)
				return nil
			}
			if !refusedMechanism(err) {
				return s.fail(fmt.Sprintf("failed to wrap the barrier key with key %q in PKCS#11 token %s (%s)", p.cfg.KeyLabel, s.token, c.m.name), err)
			}
			refused = append(refused, fmt.Sprintf("%s (%v)", c.m.name, err))
		}
		return fmt.Errorf("key %q in PKCS#11 token %s cannot wrap the barrier key: the token refused %s", p.cfg.KeyLabel, s.token, strings.Join(refused, "; "))
	})
	return out, err
}

// Unwrap decrypts wrapped with the token's key, by the mechanism recorded
// in it. A key that does not fit (or an altered blob) wraps
// ErrWrongRootKey.
func (p *PKCS11) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if len(wrapped) <= pkcs11HeaderSize || wrapped[0] != pkcs11Version {
		return nil, fmt.Errorf("failed to read the wrapped barrier key: not a pkcs11-wrapped key, version %d", firstByte(wrapped))
	}
	idx := int(wrapped[1]) - pkcs11MechanismFirstByte
	if idx < 0 || idx >= len(pkcs11Mechs) {
		return nil, fmt.Errorf("failed to read the wrapped barrier key: unknown PKCS#11 mechanism %d", wrapped[1])
	}
	m := pkcs11Mechs[idx]
	header, body := wrapped[:pkcs11HeaderSize], wrapped[pkcs11HeaderSize:]
	var key []byte
	err := p.withSession(ctx, false, func(s *p11session) error {
		if err := s.offered(m); err != nil {
			return err
		}
		handles, err := s.keys(m)
		if err != nil {
			return err
		}
		if len(handles) == 0 {
			return &explained{
				msg:  fmt.Sprintf("PKCS#11 token %s holds no %s key labelled %q, which wrapped this data folder's barrier key", s.token, keyKind(m), p.cfg.KeyLabel),
				errs: []error{ErrKeyAbsent},
			}
		}
		// Every key with the label is tried: two servers starting a
		// shared store at once may each have made one.
		for _, h := range handles {
			key, err = s.unwrap(m, h, body, header)
			if err == nil && len(key) == primitive.KeySize {
				return nil
			}
			clear(key)
			key = nil
			if err != nil && !wrongKey(err) {
				return s.fail(fmt.Sprintf("failed to unwrap the barrier key with key %q in PKCS#11 token %s (%s)", p.cfg.KeyLabel, s.token, m.name), err)
			}
		}
		return &explained{
			msg:  fmt.Sprintf("wrong root key: key %q in PKCS#11 token %s does not unlock this data folder", p.cfg.KeyLabel, s.token),
			errs: []error{ErrWrongRootKey},
		}
	})
	return key, err
}

// p11module is one loaded PKCS#11 library. mu makes its sessions one at a
// time: a token's login state is shared by all of a process's sessions, so
// with two open at once a wrong PIN could pass on the back of a right one.
type p11module struct {
	path  string
	ctx   *pkcs11.Ctx
	mu    sync.Mutex
	refs  int  // guarded by modules.mu
	owned bool // this process's C_Initialize, so Finalize is ours to call
}

var modules = struct {
	sync.Mutex
	m map[string]*p11module
}{m: map[string]*p11module{}}

func acquireModule(path string) (*p11module, error) {
	modules.Lock()
	defer modules.Unlock()
	if mod := modules.m[path]; mod != nil {
		mod.refs++
		return mod, nil
	}
	if strings.Contains(path, "/") {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, &explained{
				msg:  fmt.Sprintf("PKCS#11 module %s is missing: install the token's library or correct --pkcs11-module", path),
				errs: []error{ErrPKCS11Module, err},
			}
		}
	}
	c := pkcs11.New(path)
	if c == nil {
		return nil, &explained{
			msg:  fmt.Sprintf("PKCS#11 module %s could not be loaded (is it a PKCS#11 library for this system?)", path),
			errs: []error{ErrPKCS11Module},
		}
	}
	owned := true
	if err := c.Initialize(); err != nil {
		if !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
			c.Destroy()
			return nil, &explained{
				msg:  fmt.Sprintf("PKCS#11 module %s failed to initialise: %v", path, err),
				errs: []error{ErrPKCS11Module, err},
			}
		}
		owned = false // initialised by another part of this process
	}
	mod := &p11module{path: path, ctx: c, refs: 1, owned: owned}
	modules.m[path] = mod
	return mod, nil
}

func releaseModule(mod *p11module) error {
	modules.Lock()
	defer modules.Unlock()
	if mod.refs--; mod.refs > 0 {
		return nil
	}
	delete(modules.m, mod.path)
	var err error
	if mod.owned {
		err = mod.ctx.Finalize()
	}
	mod.ctx.Destroy()
	return err
}

// p11session is one logged-in session on the provider's token.
type p11session struct {
	p     *PKCS11
	c     *pkcs11.Ctx
	sh    pkcs11.SessionHandle
	slot  uint
	token string // how errors name the token: its label, quoted
}

// withSession runs fn in a new session on the token, logged in, and closes
// the session after (which ends the login, the session being the only
// one). rw opens a read-write session, needed to make a token key.
func (p *PKCS11) withSession(ctx context.Context, rw bool, fn func(*p11session) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mod.mu.Lock()
	defer p.mod.mu.Unlock()
	select {
	case <-p.closed:
		return errors.New("the pkcs11 root-key provider is closed")
	default:
	}
	s := &p11session{p: p, c: p.mod.ctx}
	if err := s.findToken(); err != nil {
		return err
	}
	flags := uint(pkcs11.CKF_SERIAL_SESSION)
	if rw {
		flags |= pkcs11.CKF_RW_SESSION
	}
	sh, err := s.c.OpenSession(s.slot, flags)
	if err != nil {
		return s.fail(fmt.Sprintf("failed to open a session on PKCS#11 token %s", s.token), err)
	}
	s.sh = sh
	defer s.c.CloseSession(sh)
	// The binding takes the PIN as a string: that copy cannot be cleared.
	err = s.c.Login(sh, pkcs11.CKU_USER, string(p.cfg.PIN))
	if err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
		return s.fail(fmt.Sprintf("failed to log in to PKCS#11 token %s", s.token), err)
	}
	return fn(s)
}

// findToken sets s.slot and s.token from the configuration.
func (s *p11session) findToken() error {
	cfg := &s.p.cfg
	if cfg.HasSlot {
		s.token = fmt.Sprintf("in slot %d", cfg.Slot)
		ti, err := s.c.GetTokenInfo(cfg.Slot)
		if err != nil {
			return &explained{
				msg:  fmt.Sprintf("PKCS#11 token absent: slot %d of module %s has no token (%v)", cfg.Slot, s.p.mod.path, err),
				errs: []error{ErrTokenAbsent, err},
			}
		}
		s.slot, s.token = cfg.Slot, fmt.Sprintf("%q (slot %d)", ti.Label, cfg.Slot)
		return nil
	}
	s.token = fmt.Sprintf("%q", cfg.TokenLabel)
	slots, err := s.c.GetSlotList(true)
	if err != nil {
		return fmt.Errorf("failed to list the slots of PKCS#11 module %s: %w", s.p.mod.path, err)
	}
	var found []uint
	for _, slot := range slots {
		if ti, err := s.c.GetTokenInfo(slot); err == nil && ti.Label == cfg.TokenLabel {
			found = append(found, slot)
		}
	}
	switch len(found) {
	case 0:
		return &explained{
			msg:  fmt.Sprintf("PKCS#11 token %q is absent: no token of module %s has that label", cfg.TokenLabel, s.p.mod.path),
			errs: []error{ErrTokenAbsent},
		}
	case 1:
		s.slot = found[0]
		return nil
	default:
		return fmt.Errorf("several PKCS#11 tokens are labelled %q (slots %v): name one with --pkcs11-slot", cfg.TokenLabel, found)
	}
}

// explain turns the PKCS#11 errors an operator can act on into sentences
// that match the sentinels; others are returned as they are.
func (s *p11session) explain(err error) error {
	var ck pkcs11.Error
	if !errors.As(err, &ck) {
		return err
	}
	switch ck {
	case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_LEN_RANGE:
		return &explained{msg: fmt.Sprintf("wrong PIN for token %s", s.token), errs: []error{ErrWrongPIN, err}}
	case pkcs11.CKR_PIN_LOCKED:
		return &explained{msg: fmt.Sprintf("the PIN of token %s is locked (too many wrong PINs): the token's security officer must unlock it", s.token), errs: []error{ErrWrongPIN, err}}
	case pkcs11.CKR_USER_PIN_NOT_INITIALIZED:
		return fmt.Errorf("token %s has no user PIN yet: set one with the token's tools (%w)", s.token, err)
	case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_RECOGNIZED, pkcs11.CKR_SLOT_ID_INVALID:
		return &explained{msg: fmt.Sprintf("PKCS#11 token %s is absent (%v)", s.token, err), errs: []error{ErrTokenAbsent, err}}
	}
	return err
}

// openError is an error of the call that decrypts or unwraps, once the
// operation was set up: a token says there that the blob does not open.
type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// fail is err explained, prefixed with what failed unless the explanation
// already says it all (a wrong PIN, an absent token).
func (s *p11session) fail(what string, err error) error {
	err = s.explain(err)
	var e *explained
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// wrongKey reports whether err is how a token says that a blob does not
// open under a key: the key is not the one that wrapped it, or the blob was
// altered. SoftHSM says CKR_GENERAL_ERROR for a failed AES-GCM tag or key
// unwrap check, so that counts too, from the decrypting call only.
func wrongKey(err error) bool {
	var oe *openError
	var ck pkcs11.Error
	if !errors.As(err, &oe) || !errors.As(err, &ck) {
		return false
	}
	switch ck {
	case pkcs11.CKR_WRAPPED_KEY_INVALID, pkcs11.CKR_WRAPPED_KEY_LEN_RANGE, pkcs11.CKR_ENCRYPTED_DATA_INVALID,
		pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE, pkcs11.CKR_DATA_LEN_RANGE, pkcs11.CKR_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR:
		return true
	}
	return false
}

// refusedMechanism reports whether err is a token refusing a mechanism or
// its parameters, rather than failing at the operation.
func refusedMechanism(err error) bool {
	var ck pkcs11.Error
	if !errors.As(err, &ck) {
		return false
	}
	switch ck {
	case pkcs11.CKR_MECHANISM_INVALID, pkcs11.CKR_MECHANISM_PARAM_INVALID, pkcs11.CKR_ARGUMENTS_BAD,
		pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, pkcs11.CKR_KEY_TYPE_INCONSISTENT:
		return true
	}
	return false
}

func keyKind(m pkcs11Mech) string {
	if m.rsa {
		return "RSA"
	}
	return "AES"
}

// offered checks that the token offers m for both directions.
func (s *p11session) offered(m pkcs11Mech) error {
	info, err := s.c.GetMechanismInfo(s.slot, []*pkcs11.Mechanism{pkcs11.NewMechanism(m.ckm, nil)})
	if err != nil || info.Flags&m.flags != m.flags {
		return fmt.Errorf("PKCS#11 token %s does not offer %s (mechanism 0x%X), which wrapped this data folder's barrier key", s.token, m.name, m.ckm)
	}
	return nil
}

// find lists the objects of class with the provider's label and keyType.
func (s *p11session) find(class, keyType uint) ([]pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, s.p.cfg.KeyLabel),
	}
	if err := s.c.FindObjectsInit(s.sh, tmpl); err != nil {
		return nil, s.fail(fmt.Sprintf("failed to search PKCS#11 token %s", s.token), err)
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := s.c.FindObjects(s.sh, 16)
		if err != nil {
			s.c.FindObjectsFinal(s.sh)
			return nil, s.fail(fmt.Sprintf("failed to search PKCS#11 token %s", s.token), err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := s.c.FindObjectsFinal(s.sh); err != nil {
		return nil, s.fail(fmt.Sprintf("failed to search PKCS#11 token %s", s.token), err)
	}
	return all, nil
}

// keys lists the keys labelled KeyLabel that can do m (for RSA-OAEP the
// private keys: Unwrap's side).
func (s *p11session) keys(m pkcs11Mech) ([]pkcs11.ObjectHandle, error) {
	class, typ := uint(pkcs11.CKO_SECRET_KEY), uint(pkcs11.CKK_AES)
	if m.rsa {
		class, typ = pkcs11.CKO_PRIVATE_KEY, pkcs11.CKK_RSA
	}
	return s.find(class, typ)
}

// allows reports whether the object's attribute attr is CK_TRUE.
func (s *p11session) allows(h pkcs11.ObjectHandle, attr uint) bool {
	got, err := s.c.GetAttributeValue(s.sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(attr, nil)})
	return err == nil && len(got) == 1 && len(got[0].Value) == 1 && got[0].Value[0] != 0
}

// wrapChoice is a mechanism and the key Wrap would use it with.
type wrapChoice struct {
	m pkcs11Mech
	h pkcs11.ObjectHandle
}

// chooseForWrap lists the mechanisms (with their keys) that both the token
// and the key allow, in pkcs11Mechs' order, or only the configured one.
// With no key labelled KeyLabel at all, it makes an AES key if GenerateKey
// says so.
func (s *p11session) chooseForWrap() ([]wrapChoice, error) {
	cfg := &s.p.cfg
	aes, err := s.find(pkcs11.CKO_SECRET_KEY, pkcs11.CKK_AES)
	if err != nil {
		return nil, err
	}
	rsaPriv, err := s.find(pkcs11.CKO_PRIVATE_KEY, pkcs11.CKK_RSA)
	if err != nil {
		return nil, err
	}
	rsaPub, err := s.find(pkcs11.CKO_PUBLIC_KEY, pkcs11.CKK_RSA)
	if err != nil {
		return nil, err
	}
	if len(aes) == 0 && len(rsaPriv) == 0 {
		if !cfg.GenerateKey {
			return nil, &explained{
				msg:  fmt.Sprintf("PKCS#11 token %s holds no key labelled %q (give --pkcs11-generate-key to make an AES-256 key there at the first start)", s.token, cfg.KeyLabel),
				errs: []error{ErrKeyAbsent},
			}
		}
		h, err := s.generate()
		if err != nil {
			return nil, err
		}
		aes = []pkcs11.ObjectHandle{h}
	}
	if len(aes) > 1 || len(rsaPriv) > 1 || len(rsaPub) > 1 {
		return nil, fmt.Errorf("PKCS#11 token %s holds several keys labelled %q: keep one, or choose another --pkcs11-key-label", s.token, cfg.KeyLabel)
	}
	var choices []wrapChoice
	var tried []string
	for _, m := range pkcs11Mechs {
		if cfg.Mechanism != "" && m.name != cfg.Mechanism {
			continue
		}
		var h pkcs11.ObjectHandle
		switch {
		case m.rsa && len(rsaPriv) == 1 && len(rsaPub) == 1:
			// The public half encrypts, the private half must decrypt.
			if !s.allows(rsaPub[0], pkcs11.CKA_ENCRYPT) || !s.allows(rsaPriv[0], pkcs11.CKA_DECRYPT) {
				tried = append(tried, m.name+" (the key pair does not allow encrypt and decrypt)")
				continue
			}
			h = rsaPub[0]
		case !m.rsa && len(aes) == 1:
			if !s.allows(aes[0], m.attrs[0]) || !s.allows(aes[0], m.attrs[1]) {
				tried = append(tried, m.name+" (the key does not allow it)")
				continue
			}
			h = aes[0]
		default:
			tried = append(tried, m.name+" (no key of its kind)")
			continue
		}
		if err := s.offered(m); err != nil {
			tried = append(tried, m.name+" (the token does not offer it)")
			continue
		}
		choices = append(choices, wrapChoice{m, h})
	}
	if len(choices) == 0 {
		return nil, fmt.Errorf("key %q in PKCS#11 token %s cannot wrap the barrier key: %s", cfg.KeyLabel, s.token, strings.Join(tried, "; "))
	}
	return choices, nil
}

// generate makes the AES-256 wrapping key in the token: kept on it,
// sensitive and never extractable, so its value cannot leave the token.
func (s *p11session) generate() (pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, s.p.cfg.KeyLabel),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, true),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, true),
	}
	h, err := s.c.GenerateKey(s.sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, tmpl)
	if err != nil {
		return 0, s.fail(fmt.Sprintf("failed to make AES key %q in PKCS#11 token %s", s.p.cfg.KeyLabel, s.token), err)
	}
	return h, nil
}

// mechanism is m as a C_*Init argument. The GCM parameters (nil for the
// others) must be freed after the operation.
func (m pkcs11Mech) mechanism(iv, aad []byte) ([]*pkcs11.Mechanism, *pkcs11.GCMParams) {
	switch m.name {
	case PKCS11MechanismAESGCM:
		gcm := pkcs11.NewGCMParams(iv, aad, pkcs11GCMTagBits)
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(m.ckm, gcm)}, gcm
	case PKCS11MechanismRSAOAEP:
		oaep := pkcs11.NewOAEPParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, pkcs11.CKZ_DATA_SPECIFIED, nil)
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(m.ckm, oaep)}, nil
	case PKCS11MechanismRSAOAEP1:
		oaep := pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil)
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(m.ckm, oaep)}, nil
	}
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(m.ckm, nil)}, nil
}

// keyTemplate describes the barrier key as a session object: readable
// (so Unwrap can take its value back), gone when the session closes.
func keyTemplate() []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
	}
}

// wrap returns the blob's body: key wrapped by the key h with m.
func (s *p11session) wrap(m pkcs11Mech, h pkcs11.ObjectHandle, key, header []byte) ([]byte, error) {
	if m.wraps {
		tmpl := append(keyTemplate(), pkcs11.NewAttribute(pkcs11.CKA_VALUE, key))
		obj, err := s.c.CreateObject(s.sh, tmpl)
		if err != nil {
			return nil, err
		}
		defer s.c.DestroyObject(s.sh, obj)
		mech, _ := m.mechanism(nil, nil)
		return s.c.WrapKey(s.sh, mech, h, obj)
	}
	var iv []byte
	if m.name == PKCS11MechanismAESGCM {
		iv = primitive.Random(pkcs11GCMNonceSize)
	}
	mech, gcm := m.mechanism(iv, gcmAAD(header))
	defer gcm.Free()
	if err := s.c.EncryptInit(s.sh, mech, h); err != nil {
		return nil, err
	}
	ct, err := s.c.Encrypt(s.sh, key)
	if err != nil {
		return nil, err
	}
	if gcm == nil {
		return ct, nil
	}
	// Some tokens choose the IV themselves and write it back.
	if iv = gcm.IV(); len(iv) != pkcs11GCMNonceSize {
		return nil, fmt.Errorf("the token used a %d-byte AES-GCM IV, want %d", len(iv), pkcs11GCMNonceSize)
	}
	return append(iv, ct...), nil
}

// unwrap reverses wrap with the key h (for RSA-OAEP the private key).
func (s *p11session) unwrap(m pkcs11Mech, h pkcs11.ObjectHandle, body, header []byte) ([]byte, error) {
	if m.wraps {
		mech, _ := m.mechanism(nil, nil)
		obj, err := s.c.UnwrapKey(s.sh, mech, h, body, keyTemplate())
		if err != nil {
			return nil, &openError{err}
		}
		defer s.c.DestroyObject(s.sh, obj)
		got, err := s.c.GetAttributeValue(s.sh, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if err != nil {
			return nil, err
		}
		return got[0].Value, nil
	}
	var iv []byte
	if m.name == PKCS11MechanismAESGCM {
		if len(body) < pkcs11GCMNonceSize+pkcs11GCMTagBits/8 {
			return nil, &openError{pkcs11.Error(pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE)}
		}
		iv, body = body[:pkcs11GCMNonceSize], body[pkcs11GCMNonceSize:]
	}
	mech, gcm := m.mechanism(iv, gcmAAD(header))
	defer gcm.Free()
	if err := s.c.DecryptInit(s.sh, mech, h); err != nil {
		return nil, err
	}
	key, err := s.c.Decrypt(s.sh, body)
	if err != nil {
		return nil, &openError{err}
	}
	return key, nil
}

func gcmAAD(header []byte) []byte {
	return append(bytes.Clone(pkcs11AAD), header...)
}
