// Package cli is sealbox's command line. Each command is a run function
// (runServer, runAgent …) in a file named for it, listed once in commands();
// it parses its own flag set into values local to the call, so no state is
// shared between commands and the package has no globals but the errUsage
// sentinel. Commands reach the outside world only through Env.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/lambdaext"
	"github.com/sealbox/sealbox/internal/lambdainit"
)

// Env is what commands may touch of the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	// Program is the name the process was started by (os.Args[0]).
	Program string
	Getenv  func(string) string
	// Environ is the process environment, for commands that pass it on.
	Environ func() []string
	// Exec replaces the process with a program (syscall.Exec).
	Exec func(program string, argv, envv []string) error
	// Clock is the time audit tail reads and follows by; nil: the real
	// clock.
	Clock clock.Clock
}

func (e Env) clock() clock.Clock {
	if e.Clock == nil {
		return clock.Real{}
	}
	return e.Clock
}

type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, env Env) error
}

func commands() []command {
	return []command{
		{"server", "run the sealbox server", runServer},
		{"bench", "drive a running server with signed requests and report ops/s and latency", runBench},
		{"exec", "run a program with a function's environment, decrypted and resolved (its cold start)", runExec},
		{"encrypt", "encrypt a value under a KMS key, for 'sealbox exec --decrypt-prefix'", runEncrypt},
		{"audit", "print, follow and verify the audit trail (tail, verify)", runAudit},
		{"agent", "the caching agent on 127.0.0.1:2773 (the Parameters and Secrets extension's API), kept current by the change feed", runAgent},
		{"iam", "suggest-policy (from the audit trail), root-credentials (break glass), migrate-admin", runIAM},
		{"operator", "a server's seal (init, unseal, seal, status: --root-key shamir) and barrier keys (keys, rotate, rekey)", runOperator},
		{"store", "copy every record between stores: bolt:DIR and postgres:// (servers stopped)", runStore},
	}
}

const usage = `sealbox keeps the keys, configuration and secrets of functions and services,
and speaks the AWS wire protocols of the services it serves: KMS, Parameter Store (SSM),
Secrets Manager, Lambda's configuration API, IAM, STS and CloudTrail's LookupEvents.
Point the aws CLI and the SDKs at it with AWS_ENDPOINT_URL, and its administrator's
credentials with the line the server prints at start.

Usage:
  sealbox <command> [flags]

Commands:
%s
Run 'sealbox <command> -h' for a command's flags.

Examples:
  sealbox server                          # 127.0.0.1:8777, data in ./sealbox-data
  sealbox server --listen 127.0.0.1:9000  # choose the address
  sealbox server --tls=auto --listen 0.0.0.0:8777
  sealbox iam root-credentials --data ./sealbox-data   # break glass (server stopped)
  sealbox store copy --from bolt:./sealbox-data --to postgres://sealbox@db/sealbox
  sealbox bench --endpoint http://127.0.0.1:8777 --duration 10s
  sealbox exec --function orders -- ./server
  sealbox operator init --key-shares 5 --key-threshold 3   # --root-key shamir: once
  sealbox operator unseal                 # each holder, with their share
`

// errUsage marks an error already explained to the user.
var errUsage = errors.New("usage")

// Main runs the command args name and returns the process's exit code.
func Main(ctx context.Context, args []string, env Env) int {
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	list := ""
	for _, c := range cmds {
		list += fmt.Sprintf("  %-8s %s\n", c.name, c.short)
	}
	if len(args) > 0 && args[0] == lambdaext.HelperCommand {
		// Not a user's command: the step between the server and
		// aws-lambda-rie that gives an execution environment its /opt.
		return lambdaext.HelperMain(args[1:], env.Stderr)
	}
	if len(args) > 0 && args[0] == lambdainit.Command {
		// Not a user's command: the first process of an execution
		// environment's PID namespace, in front of aws-lambda-rie.
		return lambdainit.Main(args[1:], env.Stderr)
	}
	if startedAsExtension(args, env) {
		// Lambda starts the executables in /opt/extensions with no
		// arguments: sealbox there is the agent.
		args = []string{"agent"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(env.Stdout, usage, list)
		return 0
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], env)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(env.Stderr, "sealbox %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "sealbox: unknown command %q\n\n"+usage, args[0], list)
	return 2
}

// parseFlags parses a command's flags, which take no arguments besides:
// flag.ErrHelp for -h, errUsage for a bad flag (the flag package has said
// why) or an argument.
func parseFlags(fs *flag.FlagSet, args []string, env Env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
