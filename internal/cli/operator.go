package cli

import (
	"context"
	"fmt"
)

// runOperator runs one of the operator's subcommands: the barrier's seal
// and its keys.
func runOperator(ctx context.Context, args []string, env Env) error {
	cmds := operatorCommands()
	usage := func() {
		fmt.Fprintln(env.Stderr, "Usage: sealbox operator <command> [flags]\n\nCommands:")
		for _, c := range cmds {
			fmt.Fprintf(env.Stderr, "  %-8s %s\n", c.name, c.short)
		}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		usage()
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.Stderr, "sealbox operator: unknown command %q\n", args[0])
	usage()
	return errUsage
}

func operatorCommands() []command {
	return append(sealCommands(), keyCommands()...)
}
