package server

import (
	"crypto/x509"
	"fmt"
	"os"
)

// oidcRoots are the roots OpenID Connect issuers' certificates are
// verified against: the system's, and the certificates of caFile
// (--oidc-ca-file) if given. nil (the system's alone) without a file.
func oidcRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("failed to read --oidc-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--oidc-ca-file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}
