package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/server"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

const rootCredentialsUsage = `Usage: sealbox iam root-credentials [--data DIR] [server flags]

Break glass: makes an access key for the account's root, prints it once and
records it on the audit trail (CreateAccessKey, additionalEventData
breakGlass). The root may do what AWS reserves to it; every other task is
for the IAM user admin, whose key the first start wrote to
DIR/admin-credentials. The server must be stopped, and the root key at hand
(the root-key flags are the server's). Delete the key when done:
  aws iam delete-access-key --access-key-id AKIA... --profile sealbox-root

Flags:
`

const migrateAdminUsage = `Usage: sealbox iam migrate-admin [--yes] [--data DIR] [server flags]

Moves a data folder made before the IAM user admin existed, whose
administrator key is the account root's, to a well-run account: it creates
the IAM user admin with the AWS managed policy AdministratorAccess, writes
its new access key to DIR/admin-credentials, and then, once you confirm
(or with --yes), deletes the root's access keys. Every change is recorded
on the audit trail. The server must be stopped.

Flags:
`

// openStopped opens the data folder of a stopped server, as the server does
// (the server's flags choose the folder and the root key), for a command
// that changes it offline. extra registers the command's own flags.
func openStopped(ctx context.Context, name, usage string, args []string, env Env, extra func(*flag.FlagSet)) (*server.Server, error) {
	cfg := config.Default()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, usage); fs.PrintDefaults() }
	cfg.Bind(fs, env.Getenv)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, env); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "sealbox.db")); err != nil {
		return nil, fmt.Errorf("no sealbox data folder at %s (--data, $SEALBOX_DATA): %w", cfg.DataDir, err)
	}
	cfg.LogLevel = "error"
	srv, err := server.Open(ctx, cfg, server.Options{Logger: server.NewLogger(env.Stderr, cfg.LogLevel), Prompt: promptPassphrase})
	if errors.Is(err, boltstore.ErrInUse) {
		return nil, fmt.Errorf("the data folder %s is in use: stop the server first", cfg.DataDir)
	}
	return srv, err
}

func runRootCredentials(ctx context.Context, args []string, env Env) error {
	srv, err := openStopped(ctx, "iam root-credentials", rootCredentialsUsage, args, env, nil)
	if err != nil {
		return err
	}
	defer srv.Close()
	id, secret, err := srv.CreateRootAccessKey(ctx, "sealbox iam root-credentials")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "An access key of the account's root, shown this once and recorded on the audit trail.\n"+
		"Keep it out of everyday use, and delete it when done (aws iam delete-access-key --access-key-id %s).\n", id)
	// The boundary: shown this once, to the operator who broke glass.
	fmt.Fprintf(env.Stdout, "[sealbox-root]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret.Bytes())
	return nil
}

func runMigrateAdmin(ctx context.Context, args []string, env Env) error {
	var yes bool
	srv, err := openStopped(ctx, "iam migrate-admin", migrateAdminUsage, args, env, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "delete the root's access keys without asking")
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	const agent = "sealbox iam migrate-admin"
	moved, rootKeys, err := srv.MoveAdminToUser(ctx, agent)
	if err != nil {
		return err
	}
	if moved {
		fmt.Fprintf(env.Stdout, "Created the IAM user admin with AdministratorAccess; its access key %s is in %s.\n", srv.AdminAccessKeyID, srv.AdminCredentialsFile)
	} else {
		fmt.Fprintf(env.Stdout, "The administrator already is the IAM user admin (its key is in %s).\n", srv.AdminCredentialsFile)
	}
	if len(rootKeys) == 0 {
		fmt.Fprintln(env.Stdout, "The root has no access key.")
		return nil
	}
	list := strings.Join(rootKeys, ", ")
	if !yes {
		fmt.Fprintf(env.Stdout, "Delete the root's access key(s) %s? Whatever still signs with them will be refused. [y/N] ", list)
		var answer string
		if env.Stdin != nil {
			answer, _ = bufio.NewReader(env.Stdin).ReadString('\n')
		}
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "y", "yes":
		default:
			fmt.Fprintf(env.Stdout, "Kept the root's access key(s) %s. Delete them later with: sealbox iam migrate-admin --yes\n", list)
			return nil
		}
	}
	if err := srv.DeleteRootAccessKeys(ctx, agent, rootKeys); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Deleted the root's access key(s) %s.\n", list)
	return nil
}
