package envelope_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/envelope"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

const defaultAlias = "alias/aws/secretsmanager"

// recorder is the real KMS service, noting each call it is asked to make
// and the data keys it hands out.
type recorder struct {
	*kms.Service
	calls    []string // "<operation> via <ViaService>"
	dataKeys [][]byte // the plaintext data keys GenerateDataKey returned
}

func (r *recorder) note(ctx context.Context, op string) {
	via := ""
	if req := sealbox.RequestFromContext(ctx); req != nil {
		via = req.ViaService
	}
	r.calls = append(r.calls, op+" via "+via)
}

func (r *recorder) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyRequest) (*kms.GenerateDataKeyResponse, error) {
	r.note(ctx, "GenerateDataKey")
	out, err := r.Service.GenerateDataKey(ctx, in)
	if out != nil {
		r.dataKeys = append(r.dataKeys, out.Plaintext)
	}
	return out, err
}

func (r *recorder) Decrypt(ctx context.Context, in *kms.DecryptRequest) (*kms.DecryptResponse, error) {
	r.note(ctx, "Decrypt")
	return r.Service.Decrypt(ctx, in)
}

func (r *recorder) ReEncrypt(ctx context.Context, in *kms.ReEncryptRequest) (*kms.ReEncryptResponse, error) {
	r.note(ctx, "ReEncrypt")
	return r.Service.ReEncrypt(ctx, in)
}

func (r *recorder) ManagedKeyARN(ctx context.Context, alias string) (string, error) {
	r.note(ctx, "ManagedKeyARN")
	return r.Service.ManagedKeyARN(ctx, alias)
}

// setup returns an Envelope over a real KMS on a memory store, the KMS
// calls it makes, the context of a caller as Secrets Manager calls KMS for
// it, and the ARN of a customer key that caller made.
func setup(t *testing.T) (*envelope.Envelope, *recorder, context.Context, func() string) {
	t.Helper()
	k := &recorder{Service: kms.New(kms.Config{Store: memstore.New(), Keyring: keyring.New(nil)})}
	r := &sealbox.Request{ID: "req-1", Region: "us-east-1", Partition: "aws", AccountID: "123456789012", Service: "kms",
		Principal: sealbox.Principal{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012", UserName: "alice"}}
	direct := sealbox.NewContext(context.Background(), r)
	newKey := func() string {
		t.Helper()
		out, err := k.CreateKey(direct, &kms.CreateKeyRequest{})
		if err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		return out.KeyMetadata.Arn
	}
	return envelope.New(k, defaultAlias), k, sealbox.NewContext(direct, r.Via("secretsmanager")), newKey
}

// sealedOne is setup with "db-password" sealed under a new customer key
// and the binding it was sealed with.
func sealedOne(t *testing.T) (*envelope.Envelope, context.Context, *envelope.Sealed, envelope.Binding) {
	t.Helper()
	env, _, ctx, newKey := setup(t)
	b := binding("arn:s", "v1")
	sealed, err := env.Seal(ctx, newKey(), b, []byte("db-password"))
	if err != nil {
		t.Fatalf("Seal = %v", err)
	}
	return env, ctx, sealed, b
}

func binding(arn, version string) envelope.Binding {
	return envelope.Binding{Context: map[string]string{"SecretARN": arn, "SecretVersionId": version}, AAD: []byte(arn + "\x00" + version)}
}

func TestSealOpenRoundTrip(t *testing.T) {
	env, k, ctx, newKey := setup(t)
	key := newKey()
	b := binding("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "v1")
	sealed, err := env.Seal(ctx, key, b, []byte("db-password"))
	if err != nil {
		t.Fatalf("Seal = %v", err)
	}
	if sealed.KeyARN != key || len(sealed.DataKey) == 0 {
		t.Fatalf("Seal = key %q, data key %d bytes; want key %q and a data key", sealed.KeyARN, len(sealed.DataKey), key)
	}
	if bytes.Contains(sealed.Value, []byte("db-password")) || bytes.Contains(sealed.DataKey, []byte("db-password")) {
		t.Fatal("the sealed value holds the plaintext")
	}
	if len(k.dataKeys) != 1 || !bytes.Equal(k.dataKeys[0], make([]byte, 32)) {
		t.Fatalf("the plaintext data key was not wiped after Seal: %x", k.dataKeys)
	}
	pt, err := env.Open(ctx, sealed, b)
	if err != nil || string(pt) != "db-password" {
		t.Fatalf("Open = %q, %v; want \"db-password\"", pt, err)
	}
	want := []string{"GenerateDataKey via secretsmanager.us-east-1.amazonaws.com", "Decrypt via secretsmanager.us-east-1.amazonaws.com"}
	if len(k.calls) != len(want) || k.calls[0] != want[0] || k.calls[1] != want[1] {
		t.Fatalf("KMS calls = %q, want %q", k.calls, want)
	}
}

// TestSealDefaultKey: no key, or the default alias, is the AWS-managed key
// behind the alias, made on first use.
func TestSealDefaultKey(t *testing.T) {
	env, _, ctx, _ := setup(t)
	b := binding("arn:s", "v1")
	first, err := env.Seal(ctx, "", b, []byte("x"))
	if err != nil {
		t.Fatalf("Seal(no key) = %v", err)
	}
	second, err := env.Seal(ctx, defaultAlias, b, []byte("x"))
	if err != nil {
		t.Fatalf("Seal(%s) = %v", defaultAlias, err)
	}
	if first.KeyARN == "" || first.KeyARN != second.KeyARN {
		t.Fatalf("Seal under no key = %q, under %s = %q; want the same managed key", first.KeyARN, defaultAlias, second.KeyARN)
	}
}

func TestOpenWrongBindingRefused(t *testing.T) {
	env, ctx, sealed, b := sealedOne(t)
	for _, tc := range []struct {
		name string
		b    envelope.Binding
		kms  bool // refused by KMS (the data key's context), else ErrOpen
	}{
		{"other encryption context", envelope.Binding{Context: binding("arn:s", "v2").Context, AAD: b.AAD}, true},
		{"no encryption context", envelope.Binding{AAD: b.AAD}, true},
		{"other AAD", envelope.Binding{Context: b.Context, AAD: []byte("arn:s\x00v2")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := env.Open(ctx, sealed, tc.b)
			if err == nil {
				t.Fatalf("Open = %q, nil; want refused", pt)
			}
			if _, isKMS := sealbox.AsError(err); isKMS != tc.kms || (!tc.kms && !errors.Is(err, envelope.ErrOpen)) {
				t.Fatalf("Open = %v; want a KMS error: %v", err, tc.kms)
			}
		})
	}
}

// TestOpenTamperedRefused flips every bit of the sealed value, and one of
// the data key: none opens.
func TestOpenTamperedRefused(t *testing.T) {
	env, ctx, sealed, b := sealedOne(t)
	for i := range len(sealed.Value) * 8 {
		v := bytes.Clone(sealed.Value)
		v[i/8] ^= 1 << (i % 8)
		if pt, err := env.Open(ctx, &envelope.Sealed{Value: v, DataKey: sealed.DataKey}, b); !errors.Is(err, envelope.ErrOpen) {
			t.Fatalf("Open(value with bit %d flipped) = %q, %v; want ErrOpen", i, pt, err)
		}
	}
	for _, n := range []int{0, len(sealed.Value) - 1} {
		if pt, err := env.Open(ctx, &envelope.Sealed{Value: sealed.Value[:n], DataKey: sealed.DataKey}, b); !errors.Is(err, envelope.ErrOpen) {
			t.Fatalf("Open(value truncated to %d bytes) = %q, %v; want ErrOpen", n, pt, err)
		}
	}
	dk := bytes.Clone(sealed.DataKey)
	dk[len(dk)-1] ^= 1
	if pt, err := env.Open(ctx, &envelope.Sealed{Value: sealed.Value, DataKey: dk}, b); err == nil {
		t.Fatalf("Open(tampered data key) = %q, nil; want refused", pt)
	}
}

// TestRekey: the data key moves to the new key, the sealed value stays as
// it is, and the value opens under the new key alone.
func TestRekey(t *testing.T) {
	env, k, ctx, newKey := setup(t)
	from, to := newKey(), newKey()
	b := binding("arn:s", "v1")
	sealed, err := env.Seal(ctx, from, b, []byte("db-password"))
	if err != nil {
		t.Fatal(err)
	}
	moved, err := env.Rekey(ctx, to, sealed, b)
	if err != nil {
		t.Fatalf("Rekey = %v", err)
	}
	if moved.KeyARN != to || !bytes.Equal(moved.Value, sealed.Value) || bytes.Equal(moved.DataKey, sealed.DataKey) {
		t.Fatalf("Rekey = key %q, same value %v, same data key %v; want key %q, the same value, a new data key",
			moved.KeyARN, bytes.Equal(moved.Value, sealed.Value), bytes.Equal(moved.DataKey, sealed.DataKey), to)
	}
	if last := k.calls[len(k.calls)-1]; last != "ReEncrypt via secretsmanager.us-east-1.amazonaws.com" {
		t.Fatalf("last KMS call = %q, want ReEncrypt on the caller's behalf", last)
	}
	direct := sealbox.NewContext(ctx, &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012",
		Principal: sealbox.Principal{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012"}})
	if _, err := k.Service.DisableKey(direct, &kms.DisableKeyRequest{KeyId: from}); err != nil {
		t.Fatalf("DisableKey(%s) = %v", from, err)
	}
	if pt, err := env.Open(ctx, moved, b); err != nil || string(pt) != "db-password" {
		t.Fatalf("Open(rekeyed) with the old key disabled = %q, %v; want \"db-password\"", pt, err)
	}
	if pt, err := env.Open(ctx, sealed, b); err == nil {
		t.Fatalf("Open(under the disabled key) = %q, nil; want refused", pt)
	}
	if _, err := env.Rekey(ctx, to, sealed, b); err == nil {
		t.Fatal("Rekey from a disabled key = nil; want refused")
	}
}

// TestNotOnBehalfRefused: a context whose request names no calling service
// would make KMS calls that are neither conditioned on kms:ViaService nor
// recorded as the caller's; the envelope refuses before calling KMS.
func TestNotOnBehalfRefused(t *testing.T) {
	env, k, ctx, newKey := setup(t)
	key := newKey()
	sealed, err := env.Seal(ctx, key, binding("arn:s", "v1"), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	k.calls = nil
	direct := sealbox.NewContext(ctx, &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012"})
	for name, ctx := range map[string]context.Context{"no request": context.Background(), "no ViaService": direct} {
		if _, err := env.Seal(ctx, key, binding("arn:s", "v1"), []byte("x")); err == nil {
			t.Errorf("Seal(%s) = nil; want refused", name)
		}
		if _, err := env.Seal(ctx, "", binding("arn:s", "v1"), []byte("x")); err == nil {
			t.Errorf("Seal(%s, default key) = nil; want refused", name)
		}
		if _, err := env.Open(ctx, sealed, binding("arn:s", "v1")); err == nil {
			t.Errorf("Open(%s) = nil; want refused", name)
		}
		if _, err := env.Rekey(ctx, key, sealed, binding("arn:s", "v1")); err == nil {
			t.Errorf("Rekey(%s) = nil; want refused", name)
		}
	}
	if len(k.calls) != 0 {
		t.Fatalf("KMS calls made not on a caller's behalf: %q", k.calls)
	}
}
