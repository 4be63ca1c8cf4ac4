package sigv4

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// verifyingServer answers every request after running Verify on it, and
// remembers what Verify said about the last one.
type verifyingServer struct {
	*httptest.Server
	mu     sync.Mutex
	result *Result
	err    error
}

func newVerifyingServer(t *testing.T, v *Verifier, service string, answer string) *verifyingServer {
	s := &verifyingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading body: %v", err)
		}
		res, err := v.Verify(r.Context(), r, body, service)
		s.mu.Lock()
		s.result, s.err = res, err
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": "InvalidSignatureException", "message": messageOf(err)})
			return
		}
		io.WriteString(w, answer)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *verifyingServer) last() (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result, s.err
}

func kmsClient(url string, creds aws.CredentialsProvider) *kms.Client {
	return kms.New(kms.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(url),
		Credentials:      creds,
		RetryMaxAttempts: 1,
	})
}

// TestKMSClient proves that requests made by aws-sdk-go-v2's KMS client
// verify, with long-term and with session credentials, and that the
// failures reach the client.
func TestKMSClient(t *testing.T) {
	tests := []struct {
		name     string
		creds    aws.CredentialsProvider
		call     func(context.Context, *kms.Client) error
		wantAKID string
		wantKind Kind
	}{
		{
			name:     "ListKeys with a long-term key",
			creds:    credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
			call:     listKeys,
			wantAKID: testAKID,
		},
		{
			name:     "Encrypt with session credentials",
			creds:    credentials.NewStaticCredentialsProvider(tempAKID, tempSecret, tempToken),
			call:     encrypt,
			wantAKID: tempAKID,
		},
		{
			name:     "wrong secret",
			creds:    credentials.NewStaticCredentialsProvider(testAKID, "wrong", ""),
			call:     listKeys,
			wantKind: KindBadSignature,
		},
		{
			name:     "session key without its token",
			creds:    credentials.NewStaticCredentialsProvider(tempAKID, tempSecret, ""),
			call:     encrypt,
			wantKind: KindInvalidToken,
		},
		{
			name:     "unknown key",
			creds:    credentials.NewStaticCredentialsProvider("AKIDNOBODY", testSecret, ""),
			call:     listKeys,
			wantKind: KindUnknownKey,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := newCreds()
			creds.keys[tempAKID] = Key{Secret: secret(tempSecret), SessionToken: secret(tempToken)} // no expiry: the real clock runs
			srv := newVerifyingServer(t, &Verifier{Credentials: creds}, testService, `{"Keys":[],"Truncated":false,"CiphertextBlob":"AAAA","KeyId":"k"}`)
			callErr := tt.call(context.Background(), kmsClient(srv.URL, tt.creds))
			res, err := srv.last()
			if tt.wantKind != 0 {
				if kindOf(err) != tt.wantKind || callErr == nil {
					t.Fatalf("Verify(KMS client request) = %+v, %v (client saw %v); want %v", res, err, callErr, tt.wantKind)
				}
				return
			}
			if err != nil || callErr != nil {
				t.Fatalf("Verify(KMS client request) err = %v (client saw %v), want nil", err, callErr)
			}
			if res.AccessKeyID != tt.wantAKID || res.Region != testRegion || res.Service != testService || res.UnsignedPayload {
				t.Errorf("Verify(KMS client request) = %+v, want AccessKeyID %q, Region %q, Service %q", res, tt.wantAKID, testRegion, testService)
			}
		})
	}
}

func listKeys(ctx context.Context, c *kms.Client) error {
	_, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	return err
}

func encrypt(ctx context.Context, c *kms.Client) error {
	_, err := c.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String("alias/app"),
		Plaintext:         []byte("a secret of some length, to give the body a Content-Length"),
		EncryptionContext: map[string]string{"app": "  spaced   value  "},
	})
	return err
}
