package cli

import (
	"context"
	"errors"
)

func runBench(ctx context.Context, args []string, env Env) error {
	return errors.New("not yet")
}
