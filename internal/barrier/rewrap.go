package barrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/store"
)

// RewrapProgress counts Rewrap's work: Scanned values read so far,
// Rewrapped of them moved to the active term.
type RewrapProgress struct {
	Term      uint32 // the term values are moved to
	Scanned   int
	Rewrapped int
}

// rewrapBatch is how many values one Rewrap transaction reads: small, so a
// rewrap interleaves with the writes of a server under load.
const rewrapBatch = 256

// Rewrap moves every value sealed under an older term to the active one,
// rewapBatch values per transaction, and calls progress after each. Each
// value is read and written in one transaction, so a concurrent write is
// never lost; values written meanwhile are already under the active term.
// It stops with ctx, having moved what it reported.
func (b *Barrier) Rewrap(ctx context.Context, progress func(RewrapProgress)) (RewrapProgress, error) {
	ks := b.keys.Load()
	if ks == nil {
		return RewrapProgress{}, ErrSealed
	}
	p := RewrapProgress{Term: ks.active}
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		var last string
		var scanned, moved int
		err := b.raw.Update(ctx, func(raw store.Tx) error {
			last, scanned, moved = "", 0, 0 // fn runs again after a conflict on a shared store
			type pending struct {
				key    string
				sealed []byte
			}
			var redo []pending
			err := raw.Scan(valuePrefix, after, func(rawKey string, sealed []byte) error {
				last = rawKey
				scanned++
				if t := sealedTerm(sealed); t != 0 && t < p.Term {
					pt, err := b.open(raw, rawKey, sealed)
					if err != nil {
						return openFailed(rawKey[len(valuePrefix):], err)
					}
					cur := b.keys.Load()
					if cur == nil {
						return ErrSealed
					}
					redo = append(redo, pending{rawKey, cur.sealTo(nil, rawKey, pt)})
					clear(pt)
				}
				if scanned == rewrapBatch {
					return store.ErrStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, store.ErrStop) {
				return err
			}
			for _, r := range redo {
				if err := raw.Put(r.key, r.sealed); err != nil {
					return err
				}
			}
			moved = len(redo)
			return nil
		})
		if err != nil {
			return p, fmt.Errorf("failed to rewrap: %w", err)
		}
		p.Scanned += scanned
		p.Rewrapped += moved
		if progress != nil {
			progress(p)
		}
		if scanned < rewrapBatch {
			return p, nil
		}
		after = last
	}
}
