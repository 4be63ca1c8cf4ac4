package leader_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/leader"
)

func TestAlwaysLeadsUntilDone(t *testing.T) {
	var a leader.Always
	ctx, cancel := context.WithCancel(context.Background())
	led := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(ctx, func(lctx context.Context) {
			close(led)
			<-lctx.Done()
		})
	}()
	<-led
	if !a.Leading() {
		t.Fatal("Always does not lead while its lead function runs")
	}
	cancel()
	<-done
	if a.Leading() || a.Changes() != 2 {
		t.Fatalf("after Run: leading %v, %d changes; want false, 2", a.Leading(), a.Changes())
	}
	var m strings.Builder
	a.WriteMetrics(&m)
	if !strings.Contains(m.String(), "\nsealbox_leader 0\n") || !strings.Contains(m.String(), "\nsealbox_leader_changes_total 2\n") {
		t.Fatalf("metrics:\n%s", m.String())
	}
}
