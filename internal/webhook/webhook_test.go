package webhook

import (
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	body := []byte(`{"Step":"createSecret"}`)
	now := time.Unix(1700000000, 0)
	h := Sign(secret, now, body)
	if err := Verify(secret, h, body, now.Add(time.Minute), 0); err != nil {
		t.Fatalf("Verify(Sign()) = %v", err)
	}
	for name, tc := range map[string]struct {
		secret []byte
		header string
		body   []byte
		at     time.Time
	}{
		"wrong secret": {[]byte("another-secret-entirely"), h, body, now},
		"changed body": {secret, h, []byte(`{"Step":"finishSecret"}`), now},
		"replayed":     {secret, h, body, now.Add(10 * time.Minute)},
		"no signature": {secret, "t=1700000000", body, now},
		"garbage":      {secret, "nonsense", body, now},
	} {
		if err := Verify(tc.secret, tc.header, tc.body, tc.at, 0); err != ErrSignature {
			t.Errorf("%s: Verify = %v, want ErrSignature", name, err)
		}
	}
}

func TestNewTargetRefuses(t *testing.T) {
	env := func(string) string { return "a-secret-long-enough" }
	for name, c := range map[string]TargetConfig{
		"plain http":   {URL: "http://rotator.example/", SecretEnv: "K"},
		"no secret":    {URL: "https://rotator.example/"},
		"both secrets": {URL: "https://rotator.example/", SecretEnv: "K", SecretFile: "k"},
		"bad timeout":  {URL: "https://rotator.example/", SecretEnv: "K", Timeout: "soon"},
	} {
		if _, err := NewTarget(c, env); err == nil {
			t.Errorf("%s: NewTarget = nil error", name)
		}
	}
	if _, err := NewTarget(TargetConfig{URL: "https://rotator.example/", SecretEnv: "K"}, env); err != nil {
		t.Fatalf("NewTarget: %v", err)
	}
}
