package functions

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/lambdarun"
)

// A server on another system than Linux answers Invoke in Lambda's terms,
// naming the system, not a Go error.
func TestRunErrorNeedsLinux(t *testing.T) {
	s := &Service{log: slog.New(slog.DiscardHandler)}
	err := s.runError(fmt.Errorf("start: %w", lambdarun.ErrNeedsLinux))
	var e *sealbox.Error
	if !errors.As(err, &e) || e.Code != "ServiceException" || !e.Server {
		t.Fatalf("runError = %#v, want a ServiceException", err)
	}
	if !strings.Contains(e.Message, "only on a Linux server") || !strings.Contains(e.Message, runtime.GOOS) {
		t.Fatalf("message %q", e.Message)
	}
}
