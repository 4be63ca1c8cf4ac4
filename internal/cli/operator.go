package cli

import (
	"context"
	"fmt"
	"strings"
)

// operatorCommand is one subcommand of 'sealbox operator'.
type operatorCommand struct {
	name, short string
	run         func(ctx context.Context, args []string, env Env) error
}

// operatorCommands are the operator's subcommands: sealing and unsealing
// (operator_seal.go), the barrier's keys (operator_keys.go).
func operatorCommands() []operatorCommand {
	return append(sealCommands(), keyCommands()...)
}

func operatorUsage() string {
	var b strings.Builder
	b.WriteString("Usage: sealbox operator <command> [flags]\n\nCommands:\n")
	for _, c := range operatorCommands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.short)
	}
	b.WriteString("\nRun 'sealbox operator <command> -h' for a command's flags.\n")
	return b.String()
}

func runOperator(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, operatorUsage())
		return errUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, operatorUsage())
		return nil
	}
	for _, c := range operatorCommands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.Stderr, "sealbox operator: unknown command %q\n\n%s", args[0], operatorUsage())
	return errUsage
}
