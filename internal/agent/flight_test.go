package agent

import (
	"context"
	"testing"
	"time"
)

// TestFlightForget: a caller that gives up leaves the call running, and
// after forget a request starts a new call instead of joining the one
// under way.
func TestFlightForget(t *testing.T) {
	var f flight
	release, finished := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := f.do(ctx, "k", func() (*entry, *upstreamError) {
		<-release
		close(finished)
		return &entry{key: "old"}, nil
	})
	if err == nil {
		t.Fatalf("do with a cancelled context = nil error, want ctx's")
	}
	f.forget()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second) // joining the old call would wait for release
	defer cancel()
	e, _, err := f.do(ctx, "k", func() (*entry, *upstreamError) { return &entry{key: "new"}, nil })
	if err != nil || e == nil || e.key != "new" {
		t.Fatalf("do after forget = %+v, %v; want a new call's entry", e, err)
	}
	close(release)
	<-finished // the abandoned call ran to its end
}
