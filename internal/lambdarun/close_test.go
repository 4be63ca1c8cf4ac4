package lambdarun_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/lambdarun"
)

// TestCloseLeavesABusyEnvironmentItsFolder: Close while an environment
// starts for an invocation leaves it its folder (the runner's, and the
// lock on it, which keeps other runners' sweeps off) until the invocation
// ends, answered; only then is the folder removed. Before, Close removed
// the runner's folder at once and the environment's start failed under
// it.
func TestCloseLeavesABusyEnvironmentItsFolder(t *testing.T) {
	r := newRunner(t, lambdarun.Config{})
	dir := lambdarun.Dir(r)
	inits := 0
	s := spec(t, "k", &inits) // the function built before, not in the wait below
	errc := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), s,
			&lambdarun.Invocation{RequestID: "req-close", Payload: []byte(`{"action":"sleep","seconds":0.5}`)})
		errc <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ents, _ := os.ReadDir(dir)
		if len(ents) > 1 { // the lock file and the environment's folder
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no environment folder appeared")
		}
		time.Sleep(time.Millisecond)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("after Close with an environment starting, the runner's folder: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("the invocation under way at Close: %v", err)
	}
	// The environment stops (SIGTERM, its user's processes gone) in the
	// background: slow under -race on a loaded machine.
	deadline = time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the runner's folder is left after its last environment stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
