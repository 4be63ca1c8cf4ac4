package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// The running server, which holds the administrator's secret, its
// configuration and every service, does not show the secret however it is
// printed or marshalled.
func TestServerDoesNotShowTheAdminSecret(t *testing.T) {
	s := sealtest.Start(t)
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%d", "%x"} {
		fmt.Fprintf(&out, verb+"\n", s.Srv)
	}
	if b, err := json.Marshal(s.Srv); err == nil {
		out.Write(b)
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("m", "server", s.Srv, "config", s.Config)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "server", s.Srv, "config", s.Config)
	if strings.Contains(out.String(), sealtest.SecretAccessKey) {
		t.Fatalf("the server shows the administrator's secret:\n%s", out.String())
	}
	if out.Len() < 1000 {
		t.Fatalf("printed %d bytes only: the test printed nothing of the server", out.Len())
	}
}
