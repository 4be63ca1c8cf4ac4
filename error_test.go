package sealbox_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sealbox/sealbox"
)

// TestAsError: nil, an *Error, a wrapped one and another error, as
// errors.As answers them.
func TestAsError(t *testing.T) {
	e := sealbox.Errorf("ResourceNotFoundException", "gone")
	for _, tc := range []struct {
		err  error
		want *sealbox.Error
		ok   bool
	}{
		{nil, nil, false},
		{e, e, true},
		{fmt.Errorf("wrapped: %w", e), e, true},
		{errors.New("other"), nil, false},
	} {
		got, ok := sealbox.AsError(tc.err)
		if got != tc.want || ok != tc.ok {
			t.Errorf("AsError(%v) = %v, %v, want %v, %v", tc.err, got, ok, tc.want, tc.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { sealbox.AsError(nil) }); n != 0 {
		t.Errorf("AsError(nil) allocates %v times", n)
	}
}
