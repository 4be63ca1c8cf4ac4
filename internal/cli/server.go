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
	"github.com/sealbox/sealbox/internal/harden"
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
	// A function listing the Parameters and Secrets extension's layer
	// gets this very binary as its extension (`sealbox agent`).
	if self, err := os.Executable(); err == nil {
		cfg.LambdaAgent = self
	}
	if env.Getenv("GOGC") == "" {
		// The live heap is a few MiB and nearly every request allocates:
		// more headroom between collections cuts GC work per request by
		// about a third (README, Performance) for tens of MiB of memory.
		debug.SetGCPercent(400)
	}
	logger := server.NewLogger(env.Stderr, cfg.LogLevel)
	// Before any secret is in memory: no core file, no ptrace or
	// /proc/PID/mem by the same user's other processes.
	if err := harden.Process(); err != nil {
		logger.Warn("could not harden the process: its memory may be dumped or read by the same user's processes", "err", err)
	}
	// Bind first: a busy address must not leave a fresh data folder behind.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	srv, err := server.Open(ctx, cfg, server.Options{Logger: logger, Prompt: promptPassphrase})
	if err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	if cfg.TLSEnabled() {
		scheme = "https"
	}
	endpoint := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(env.Stdout, "sealbox listening on %s (data in %s)\n", endpoint, srv.DataDir())
	if srv.CAFile != "" {
		fmt.Fprintf(env.Stdout, "TLS with a self-signed certificate: clients trust it with AWS_CA_BUNDLE=%s\n", srv.CAFile)
	}
	if srv.AuditPublicKey != "" {
		fmt.Fprintf(env.Stdout, "audit trail public key: keep a copy away from the data folder, and verify with it (sealbox audit verify --public-key <copy>):\n%s", srv.AuditPublicKey)
	}
	// One line to copy from any folder: the paths are absolute.
	switch {
	case srv.Sealed():
		fmt.Fprintf(env.Stdout, "sealed (--root-key shamir): every API answers 503 until unsealed. Once, on a new store: "+
			"sealbox operator init --endpoint %s; then each share holder: sealbox operator unseal --endpoint %s "+
			"(the admin credentials go to %s at the first unseal)\n", endpoint, endpoint, srv.AdminCredentialsPath())
	case srv.AdminAccessKeyID == "":
		fmt.Fprintf(env.Stdout, "no administrator access key (the log says why); point the AWS tools at this server with: AWS_ENDPOINT_URL=%s\n", endpoint)
	default:
		fmt.Fprintf(env.Stdout, "admin credentials in %s: %s\n", srv.AdminCredentialsFile, exportLine(srv.AdminCredentialsFile, endpoint))
	}
	return srv.Serve(ctx, ln)
}

// exportLine is the shell line that points the aws CLI, boto3 and the SDKs
// at a sealbox server as its administrator. botocore reads
// AWS_DEFAULT_REGION, the other SDKs AWS_REGION; AWS_ENDPOINT_URL is read
// by aws CLI v1 1.29+, v2 2.13+, boto3 1.28+ and aws-sdk-go-v2.
func exportLine(credentialsFile, endpoint string) string {
	return "export AWS_SHARED_CREDENTIALS_FILE=" + credentialsFile + " AWS_PROFILE=sealbox " +
		"AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_ENDPOINT_URL=" + endpoint
}

// promptPassphrase reads the root-key passphrase from the terminal without
// echoing it.
func promptPassphrase() ([]byte, error) {
	p, err := promptSecret("sealbox root-key passphrase: ")
	if errors.Is(err, errNoTerminal) {
		return nil, errors.New("no terminal to ask on: set SEALBOX_PASSPHRASE")
	}
	return p, err
}

var errNoTerminal = errors.New("no terminal to ask on")

// promptSecret asks for a secret on the terminal without echoing it.
func promptSecret(prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoTerminal
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return p, err
}
