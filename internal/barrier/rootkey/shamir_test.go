package rootkey_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
)

func TestShamirLimits(t *testing.T) {
	tests := []struct {
		name              string
		shares, threshold int
		ok                bool
	}{
		{"5 of 3", 5, 3, true},
		{"one share", 1, 1, true},
		{"all shares", 3, 3, true},
		{"most shares", 255, 2, true},
		{"too many shares", 256, 3, false},
		{"no shares", 0, 0, false},
		{"threshold over shares", 3, 4, false},
		{"threshold 1 of several", 3, 1, false},
		{"threshold 0", 3, 0, false},
		{"negative", -1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, shares, err := rootkey.NewShamir(tt.shares, tt.threshold)
			if (err == nil) != tt.ok {
				t.Fatalf("NewShamir(%d, %d) err = %v, want ok %v", tt.shares, tt.threshold, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if len(shares) != tt.shares {
				t.Errorf("NewShamir(%d, %d) gave %d shares", tt.shares, tt.threshold, len(shares))
			}
			if got := p.Settings(); got["shares"] == "" || got["threshold"] == "" {
				t.Errorf("Settings() = %v, want shares and threshold", got)
			}
		})
	}
}

// unsealWith feeds shares to a new Unsealer for 5/3 and returns the
// provider the last one combined into.
func unsealWith(t *testing.T, shares [][]byte) *rootkey.Shamir {
	t.Helper()
	u, err := rootkey.NewUnsealerFor(map[string]string{"shares": "5", "threshold": "3"})
	if err != nil {
		t.Fatal(err)
	}
	var p *rootkey.Shamir
	for i, s := range shares {
		var prog rootkey.Progress
		p, prog, err = u.Add(s)
		if err != nil {
			t.Fatalf("Add(share %d) = %v", i, err)
		}
		if i < len(shares)-1 && (p != nil || prog.Given != i+1 || prog.Threshold != 3) {
			t.Fatalf("Add(share %d) = %v, %+v; want no provider, progress %d/3", i, p, prog, i+1)
		}
	}
	if p == nil {
		t.Fatalf("%d shares combined into no provider", len(shares))
	}
	return p
}

func TestShamirAnyThresholdSharesUnwrap(t *testing.T) {
	p, shares, err := rootkey.NewShamir(5, 3)
	if err != nil {
		t.Fatal(err)
	}
	key := primitive.Random(32)
	wrapped, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, key) {
		t.Fatal("the wrapped blob holds the key in the clear")
	}
	for _, pick := range [][3]int{{0, 1, 2}, {4, 2, 0}, {1, 3, 4}, {2, 3, 4}} {
		got, err := unsealWith(t, [][]byte{shares[pick[0]], shares[pick[1]], shares[pick[2]]}).Unwrap(ctx, wrapped)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("Unwrap with shares %v = %v; want the key", pick, err)
		}
	}
}

func TestShamirWrongSharesRefused(t *testing.T) {
	p, shares, _ := rootkey.NewShamir(5, 3)
	wrapped, _ := p.Wrap(ctx, primitive.Random(32))
	_, other, _ := rootkey.NewShamir(5, 3)
	forged := bytes.Clone(shares[2])
	forged[0] ^= 1
	tests := map[string][][]byte{
		"a share altered":         {shares[0], shares[1], forged},
		"another key's share":     {shares[0], shares[1], other[2]},
		"all another key's":       {other[0], other[1], other[2]},
		"random bytes as a share": {shares[0], shares[1], primitive.Random(33)},
	}
	for name, set := range tests {
		t.Run(name, func(t *testing.T) {
			if set[2][32] == set[0][32] || set[2][32] == set[1][32] {
				t.Skip("the random share drew a taken x coordinate")
			}
			key, err := unsealWith(t, set).Unwrap(ctx, wrapped)
			if !errors.Is(err, rootkey.ErrWrongShares) || key != nil {
				t.Errorf("Unwrap = %x, %v; want ErrWrongShares", key, err)
			}
		})
	}
	tampered := bytes.Clone(wrapped)
	tampered[len(tampered)-1] ^= 1
	if _, err := unsealWith(t, shares[:3]).Unwrap(ctx, tampered); !errors.Is(err, rootkey.ErrWrongShares) {
		t.Errorf("Unwrap(altered blob) = %v, want ErrWrongShares", err)
	}
}

func TestUnsealerRefusesBadShares(t *testing.T) {
	_, shares, _ := rootkey.NewShamir(5, 3)
	u, _ := rootkey.NewUnsealer(5, 3)
	if _, _, err := u.Add(shares[0]); err != nil {
		t.Fatal(err)
	}
	if _, prog, err := u.Add(bytes.Clone(shares[0])); !errors.Is(err, rootkey.ErrDuplicateShare) || prog.Given != 1 {
		t.Errorf("Add(same share again) = %+v, %v; want ErrDuplicateShare, still 1", prog, err)
	}
	for _, bad := range [][]byte{nil, shares[1][:32], append(bytes.Clone(shares[1]), 0)} {
		if _, prog, err := u.Add(bad); !errors.Is(err, rootkey.ErrMalformedShare) || prog.Given != 1 {
			t.Errorf("Add(%d bytes) = %+v, %v; want ErrMalformedShare, still 1", len(bad), prog, err)
		}
	}
	u.Reset()
	if got := u.Progress(); got.Given != 0 || got.Threshold != 3 || got.Shares != 5 {
		t.Errorf("Progress() after Reset = %+v, want 0/3 of 5", got)
	}
	// After a reset the same share counts again.
	if _, prog, err := u.Add(shares[0]); err != nil || prog.Given != 1 {
		t.Errorf("Add(share after Reset) = %+v, %v; want 1", prog, err)
	}
}

func TestShamirOneShareIsTheKey(t *testing.T) {
	p, shares, err := rootkey.NewShamir(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	key := primitive.Random(32)
	wrapped, _ := p.Wrap(ctx, key)
	u, _ := rootkey.NewUnsealer(1, 1)
	q, _, err := u.Add(shares[0])
	if err != nil || q == nil {
		t.Fatalf("Add(the one share) = %v, %v", q, err)
	}
	if got, err := q.Unwrap(ctx, wrapped); err != nil || !bytes.Equal(got, key) {
		t.Errorf("Unwrap = %v, want the key", err)
	}
}
