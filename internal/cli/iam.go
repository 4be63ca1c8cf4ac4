package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sealbox/sealbox/internal/suggest"
)

const suggestUsage = `Usage: sealbox iam suggest-policy --principal ARN [--since DURATION] [--data DIR]

Reads the audit trail (the JSON-lines files in DIR/audit) and prints the
smallest identity policy that allows exactly what the principal did: the
actions it performed, grouped by service, on the resources it performed
them on, with the encryption-context conditions that held for every use and
kms:ViaService where a service always called KMS for it. ARN is a user or a
role (every session of the role counts). Failed calls are left out.

Examples:
  sealbox iam suggest-policy --principal arn:aws:iam::123456789012:role/orders --since 720h
  sealbox iam suggest-policy --principal arn:aws:iam::123456789012:user/ci --data /var/lib/sealbox > ci-policy.json

Flags:
`

const iamUsage = `Usage: sealbox iam <command> [flags]

Commands:
  suggest-policy   the least-privilege policy of what a principal did, from the audit trail
  root-credentials break glass: make an access key for the account's root (server stopped)
  migrate-admin    move a data folder whose administrator key is the root's to the IAM user admin (server stopped)
`

func runIAM(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, iamUsage)
		return errUsage
	}
	switch args[0] {
	case "suggest-policy":
		return runSuggestPolicy(ctx, args, env)
	case "root-credentials":
		return runRootCredentials(ctx, args[1:], env)
	case "migrate-admin":
		return runMigrateAdmin(ctx, args[1:], env)
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, iamUsage)
		return nil
	}
	fmt.Fprintf(env.Stderr, "sealbox iam: unknown command %q\n\n%s", args[0], iamUsage)
	return errUsage
}

func runSuggestPolicy(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("iam suggest-policy", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, suggestUsage); fs.PrintDefaults() }
	principal := fs.String("principal", "", "the user or role `ARN`")
	since := fs.Duration("since", 90*24*time.Hour, "how far back to read (a Go `duration`: 720h is 30 days)")
	data := fs.String("data", "", "the server's data `folder` (default $SEALBOX_DATA, else ./sealbox-data)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *principal == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	dir := *data
	if dir == "" {
		if dir = env.Getenv("SEALBOX_DATA"); dir == "" {
			dir = "sealbox-data"
		}
	}
	events, err := suggest.ReadDir(filepath.Join(dir, "audit"))
	if err != nil {
		return err
	}
	policy, ok := suggest.Suggest(events, *principal, time.Now().Add(-*since))
	if !ok {
		return errors.New("no successful call by " + *principal + " in the audit trail of " + dir + " since " + time.Now().Add(-*since).UTC().Format(time.RFC3339))
	}
	out, _ := json.MarshalIndent(policy, "", "  ")
	fmt.Fprintln(env.Stdout, string(out))
	return nil
}
