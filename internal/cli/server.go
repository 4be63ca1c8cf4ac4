package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime/debug"

	"golang.org/x/term"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/server"
)

func runServer(ctx context.Context, args []string, env Env) error {
	cfg := config.Default()
	fs := flag.NewFlagSet("sealbox server", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Bind(fs, env.Getenv)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if env.Getenv("GOGC") == "" {
		// The live heap is a few MiB and nearly every request allocates:
		// more headroom between collections cuts GC work per request by
		// about a third (README, Performance) for tens of MiB of memory.
		debug.SetGCPercent(400)
	}
	srv, err := server.Open(ctx, cfg, server.Options{Logger: server.NewLogger(env.Stderr, cfg.LogLevel), Prompt: promptPassphrase})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		srv.Close()
		return fmt.Errorf("failed to listen: %w", err)
	}
	scheme := "http"
	if cfg.TLSEnabled() {
		scheme = "https"
	}
	endpoint := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(env.Stdout, "sealbox listening on %s (data in %s)\n", endpoint, cfg.DataDir)
	if srv.CAFile != "" {
		fmt.Fprintf(env.Stdout, "TLS with a self-signed certificate: clients trust it with AWS_CA_BUNDLE=%s\n", srv.CAFile)
	}
	if srv.AuditPublicKey != "" {
		fmt.Fprintf(env.Stdout, "audit trail public key: keep a copy away from the data folder, and verify with it (sealbox audit verify --public-key <copy>):\n%s", srv.AuditPublicKey)
	}
	fmt.Fprintf(env.Stdout, "admin credentials in %s: AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=sealbox AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 aws --endpoint-url %s kms list-keys\n",
		srv.AdminCredentialsFile, srv.AdminCredentialsFile, endpoint)
	return srv.Serve(ctx, ln)
}

// promptPassphrase reads the root-key passphrase from the terminal without
// echoing it.
func promptPassphrase() ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("no terminal to ask on: set SEALBOX_PASSPHRASE")
	}
	defer tty.Close()
	fmt.Fprint(tty, "sealbox root-key passphrase: ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return p, err
}
