package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/changes/client"
)

var ctx = context.Background()

// TestClientUnsupported: an endpoint without the feed (AWS itself) is
// ErrUnsupported, so an agent falls back to its TTL.
func TestClientUnsupported(t *testing.T) {
	for _, answer := range []func(http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
		func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"UnknownOperationException"}`))
		},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { answer(w) }))
		cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}
		cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})
		_, _, err := client.NewClient(cfg, srv.URL).Next(ctx)
		srv.Close()
		if !errors.Is(err, client.ErrUnsupported) {
			t.Fatalf("Next against a server without the feed = %v, want ErrUnsupported", err)
		}
	}
}
