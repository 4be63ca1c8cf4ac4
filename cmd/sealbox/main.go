// Command sealbox is the sealbox server and its command-line tools.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sealbox/sealbox/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Program: os.Args[0],
		Getenv: os.Getenv, Environ: os.Environ, Exec: syscall.Exec})
	stop()
	os.Exit(code)
}
