package identity_test

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
)

// TestInactiveUnderConcurrentLookups toggles a key while other goroutines
// look it up (and fill the cache): once UpdateAccessKey(Inactive) returns,
// no lookup may find the key, whatever raced with it.
func TestInactiveUnderConcurrentLookups(t *testing.T) {
	e := newEnv(t)
	_, key := e.User("alice")
	stop := make(chan struct{})
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-stop:
					return
				default:
					e.IDs.LookupAccessKey(context.Background(), key.AccessKeyId)
				}
			}
		}()
	}
	for i := range 50 {
		status := "Inactive"
		if i%2 == 1 {
			status = "Active"
		}
		must(e.IAM.UpdateAccessKey(e.Root, &iamapi.UpdateAccessKeyRequest{UserName: "alice", AccessKeyId: key.AccessKeyId, Status: status}))(t, "UpdateAccessKey")
		if status == "Inactive" {
			unknownKey(t, e.IDs, key.AccessKeyId)
		}
	}
	close(stop)
	for range 4 {
		<-done
	}
}

// TestLookupAccessKeyCachedAllocatesNothing: every verified request looks
// its key up, so a lookup the cache answers must not allocate.
func TestLookupAccessKeyCachedAllocatesNothing(t *testing.T) {
	e := newEnv(t)
	_, key := e.User("alice")
	ctx := context.Background()
	if _, err := e.IDs.LookupAccessKey(ctx, key.AccessKeyId); err != nil {
		t.Fatalf("LookupAccessKey() err = %v", err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := e.IDs.LookupAccessKey(ctx, key.AccessKeyId); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("LookupAccessKey(cached) allocates %v times, want 0", allocs)
	}
}

func BenchmarkLookupAccessKeyCached(b *testing.B) {
	e := newEnv(b)
	_, key := e.User("alice")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.IDs.LookupAccessKey(ctx, key.AccessKeyId); err != nil {
			b.Fatal(err)
		}
	}
}
