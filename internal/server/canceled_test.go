package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/changes/client"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// A client that gives up a long poll (Sealbox.GetChanges waiting for a
// change) is no internal error of the server's: nothing failed, and
// nothing is logged as an error.
func TestCanceledLongPollIsNoError(t *testing.T) {
	s := sealtest.Start(t)
	c := client.NewClient(s.AWSConfig("us-east-1"), s.URL)
	c.Wait = 20 * time.Second
	if _, reset, err := c.Next(context.Background()); err != nil || !reset {
		t.Fatalf("first Next = reset %v, %v; want a reset", reset, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Next(ctx)
		done <- err
	}()
	// Give up once the server holds the poll.
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := s.Srv.Changes().WaitPolls(wctx, 1); err != nil {
		t.Fatalf("the poll never reached the server: %v", err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Next with a canceled context = nil, want the cancellation")
	}
	// The server hears of it when the poll ends; its log line comes then.
	sealtest.Eventually(t, 2*time.Second, func() bool {
		return strings.Contains(s.Logs.String(), "request canceled by the client")
	})
	if logs := s.Logs.String(); strings.Contains(logs, `msg="internal error"`) {
		t.Fatalf("a poll the client gave up is logged as an internal error:\n%s", logs)
	}
	if !strings.Contains(s.Logs.String(), "request canceled by the client") {
		t.Fatalf("the server did not log the canceled poll at all:\n%s", s.Logs.String())
	}
}
