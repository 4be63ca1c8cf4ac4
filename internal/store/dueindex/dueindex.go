// Package dueindex is a time-ordered index of work kept in the store: one
// empty value under prefix + due time + region + name, so that a sweep reads
// only the entries due by now and stops at the first later one. Secrets
// Manager's deletion windows and rotations and Parameter Store's policies
// each keep one.
package dueindex

import (
	"fmt"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// Index is an index's key prefix; it must end in "/" and hold no region.
type Index string

// Entry is one indexed piece of work.
type Entry struct {
	Key, Region, Name string
}

// Key is the entry for name in region due at at. The time is written as
// 20 zero-padded digits of Unix nanoseconds, so keys sort by due time.
func (x Index) Key(at time.Time, region, name string) string {
	return string(x) + stamp(at) + "/" + region + "/" + name
}

func stamp(t time.Time) string { return fmt.Sprintf("%020d", t.UnixNano()) }

// Due lists the entries due by now, earliest first. A key under the prefix
// that is not an entry is skipped. The caller rechecks each entry against
// its record before acting: an entry may be stale, left by a reschedule.
func (x Index) Due(tx store.Tx, now time.Time) ([]Entry, error) {
	var out []Entry
	nowKey := stamp(now)
	err := tx.Scan(string(x), "", func(k string, _ []byte) error {
		parts := strings.SplitN(strings.TrimPrefix(k, string(x)), "/", 3)
		if len(parts) != 3 {
			return nil
		}
		if parts[0] > nowKey {
			return store.ErrStop // keys sort by due time: the rest are later
		}
		out = append(out, Entry{Key: k, Region: parts[1], Name: parts[2]})
		return nil
	})
	return out, err
}
