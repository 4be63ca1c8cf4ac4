package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"golang.org/x/term"

	"github.com/sealbox/sealbox/internal/server"
)

// sealCommands are the operator's subcommands for a server started with
// --root-key shamir. init, unseal and status are unsigned (the shares are
// the credential, and nothing can check a signature while sealed); seal is
// signed and needs sealbox:SealServer.
func sealCommands() []command {
	return []command{
		{"init", "split a new unseal key into shares, printed once (a new server, sealed)", runOperatorInit},
		{"unseal", "give one unseal key share (read from stdin or asked for without echo)", runOperatorUnseal},
		{"seal", "seal a running server: it drops its keys and answers 503 until unsealed", runOperatorSeal},
		{"status", "whether the server is initialized and sealed, and the unseal's progress", runOperatorStatus},
	}
}

const operatorInitUsage = `Usage: sealbox operator init [--key-shares N] [--key-threshold T] [--endpoint URL]

Initializes a server started with --root-key shamir: a new barrier key is
made, wrapped under a new unseal key, and the unseal key is split into N
shares of which any T unseal the server. The shares are printed once and
kept nowhere: hand each to a different person. The server stays sealed
until T of them are given with 'sealbox operator unseal'.

Flags:
`

func runOperatorInit(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("operator init", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, operatorInitUsage); fs.PrintDefaults() }
	shares := fs.Int("key-shares", 5, "how many `shares` to split the unseal key into (1 to 255)")
	threshold := fs.Int("key-threshold", 3, "how many shares unseal (`T`: 2 to the share count, or 1 with one share)")
	o := addOperatorFlags(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	var out server.InitResponse
	if err := o.call(ctx, env, http.MethodPost, server.OperatorInitPath, map[string]int{"KeyShares": *shares, "KeyThreshold": *threshold}, &out); err != nil {
		return err
	}
	for i, k := range out.Keys {
		fmt.Fprintf(env.Stdout, "Unseal key share %d: %s\n", i+1, k)
	}
	fmt.Fprintf(env.Stderr, "\nThe server is initialized and sealed. The %d shares above are shown this once and kept nowhere:\n"+
		"give each to a different person. Any %d of them unseal the server ('sealbox operator unseal', once per share);\n"+
		"with fewer than %d left, the data can never be opened again.\n", out.KeyShares, out.KeyThreshold, out.KeyThreshold)
	return nil
}

const operatorUnsealUsage = `Usage: sealbox operator unseal [--reset] [--endpoint URL]

Gives one unseal key share to a sealed server, read from stdin (one line) or,
on a terminal, asked for without echo; never from a flag, which would leave it
in the shell's history. Each holder runs it once with their share; the
server unseals when the threshold is reached. --reset drops the shares given
so far.

Flags:
`

func runOperatorUnseal(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("operator unseal", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, operatorUnsealUsage); fs.PrintDefaults() }
	reset := fs.Bool("reset", false, "drop the shares given so far in this unseal")
	o := addOperatorFlags(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	body := map[string]any{"Reset": true}
	if !*reset {
		share, err := readShare(env)
		if err != nil {
			return err
		}
		body = map[string]any{"Key": share}
	}
	var st server.SealStatus
	if err := o.call(ctx, env, http.MethodPost, server.OperatorUnsealPath, body, &st); err != nil {
		return err
	}
	printSealStatus(env.Stdout, st)
	return nil
}

// readShare reads one share: asked for on the terminal without echo when
// stdin is one, else the first line of stdin.
func readShare(env Env) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return "", errors.New("no terminal to ask on: give the share on stdin")
		}
		defer tty.Close()
		fmt.Fprint(tty, "Unseal key share (not shown): ")
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return "", fmt.Errorf("failed to read the share: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if env.Stdin == nil {
		return "", errors.New("no share: give it on stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 1<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("failed to read the share: %w", err)
	}
	if line = strings.TrimSpace(line); line == "" {
		return "", errors.New("no share on stdin")
	}
	return line, nil
}

func runOperatorStatus(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("operator status", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o := addOperatorFlags(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	var st server.SealStatus
	if err := o.call(ctx, env, http.MethodGet, server.OperatorSealStatusPath, nil, &st); err != nil {
		return err
	}
	printSealStatus(env.Stdout, st)
	return nil
}

func printSealStatus(w io.Writer, st server.SealStatus) {
	fmt.Fprintf(w, "Root key:     %s\nInitialized:  %t\nSealed:       %t\n", st.Type, st.Initialized, st.Sealed)
	if st.Type == "shamir" && st.Initialized {
		fmt.Fprintf(w, "Shares:       %d\nThreshold:    %d\n", st.N, st.T)
		if st.Sealed {
			fmt.Fprintf(w, "Progress:     %d/%d\n", st.Progress, st.T)
		}
	}
}

const operatorSealUsage = `Usage: sealbox operator seal [--endpoint URL] [--region R] [--profile P]

Seals a running server started with --root-key shamir: it records the call
on the audit trail, drops its keys and cached material from memory, and
answers every API call with 503 until unsealed again. The call is signed
with the credentials the AWS tools find and needs sealbox:SealServer.

Flags:
`

func runOperatorSeal(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("operator seal", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, operatorSealUsage); fs.PrintDefaults() }
	o := addOperatorFlags(fs)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	cfg, err := o.load(ctx, env)
	if err != nil {
		return err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("no credentials to sign with: %w", err)
	}
	body := []byte("{}")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.endpointFor("SEALBOX", env), "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Sealbox.SealServer")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sealbox", cfg.Region, time.Now()); err != nil {
		return err
	}
	resp, err := httpClient(cfg.HTTPClient).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.Unmarshal(raw, &e)
		return fmt.Errorf("%s (HTTP %d): %s", e.Type, resp.StatusCode, e.Message)
	}
	fmt.Fprintln(env.Stdout, "Sealed: the server holds no key and answers 503 until unsealed ('sealbox operator unseal').")
	return nil
}

// operatorOptions are the operator commands' flags: where the server is,
// and for seal the region and profile to sign with.
type operatorOptions struct{ *awsOptions }

func addOperatorFlags(fs *flag.FlagSet) operatorOptions {
	return operatorOptions{addAWSFlags(fs, false)}
}

// call sends an unsigned operator request and decodes the answer into out,
// or returns the server's refusal as an error.
func (o operatorOptions) call(ctx context.Context, env Env, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(o.endpointFor("SEALBOX", env), "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	cfg, err := o.load(ctx, env) // for the CA bundle the AWS tools trust
	if err != nil {
		return err
	}
	resp, err := httpClient(cfg.HTTPClient).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e server.OperatorError
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			return fmt.Errorf("the server answered HTTP %d: is %s a sealbox server?", resp.StatusCode, o.endpointFor("SEALBOX", env))
		}
		return fmt.Errorf("%s: %s", e.Code, e.Message)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("the server's answer is not understood: %w", err)
	}
	return nil
}

// httpClient is the SDK configuration's client (it trusts AWS_CA_BUNDLE),
// or the default one.
func httpClient(c interface {
	Do(*http.Request) (*http.Response, error)
}) interface {
	Do(*http.Request) (*http.Response, error)
} {
	if c == nil {
		return http.DefaultClient
	}
	return c
}
