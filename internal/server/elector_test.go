package server

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/leader"
)

func TestNewElector(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, store := range []string{"", "bolt:", "bolt:/var/lib/sealbox"} {
		if e, err := newElector(store, "", log); err != nil {
			t.Errorf("newElector(%q) = %v", store, err)
		} else if _, ok := e.(*leader.Always); !ok {
			t.Errorf("newElector(%q) = %T, want *leader.Always", store, e)
		}
	}
	for _, store := range []string{"postgres://sealbox:pw@db:5432/sealbox?sslmode=verify-full", "postgresql://db/sealbox"} {
		if e, err := newElector(store, "", log); err != nil {
			t.Errorf("newElector(%q) = %v", store, err)
		} else if _, ok := e.(*leader.Postgres); !ok {
			t.Errorf("newElector(%q) = %T, want *leader.Postgres", store, e)
		}
	}
	if e, err := newElector("postgres://sealbox@db/sealbox", "from-a-file", log); err != nil {
		t.Errorf("newElector with a password = %v", err)
	} else if _, ok := e.(*leader.Postgres); !ok {
		t.Errorf("newElector with a password = %T, want *leader.Postgres", e)
	}
	for _, bad := range []string{"postgres://sealbox:hunter2@db:notaport/x", "postgres://sealbox:hun@ter2@db:5432/x?sslmode=nonsense"} {
		for _, pw := range []string{"", "other"} {
			_, err := newElector(bad, pw, log)
			if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "ter2") {
				t.Errorf("newElector of a bad URL = %v: want an error without the password", err)
			}
		}
	}
}
