package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// serveFloor serves the floor of a side-by-side measurement: net/http with
// nothing behind it, answering 200 "ok" to every request, as sealbox's own
// GET /healthz does. What a server costs per request beyond it is its own.
// It serves until ctx ends (SIGINT, SIGTERM).
func serveFloor(ctx context.Context, addr string, env Env) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--serve-floor: %w", err)
	}
	ok := []byte("ok")
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(ok)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(env.Stderr, "serving the floor (bare net/http, 200 ok) on http://%s\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
