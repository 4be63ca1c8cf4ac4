package dueindex

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func TestDueListsWhatIsDueInOrder(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	const x = Index("sm/_due/")
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, k := range []string{
			x.Key(base.Add(time.Hour), "us-east-1", "later"),
			x.Key(base, "eu-west-1", "now/with/slashes"),
			x.Key(base.Add(-time.Hour), "us-east-1", "earlier"),
			string(x) + "not-an-entry",
			"sm/_duet/" + "00000000000000000000/us-east-1/other-index",
		} {
			if err := tx.Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []Entry
	err = s.View(ctx, func(tx store.Tx) (err error) {
		got, err = x.Due(tx, base)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{x.Key(base.Add(-time.Hour), "us-east-1", "earlier"), "us-east-1", "earlier"},
		{x.Key(base, "eu-west-1", "now/with/slashes"), "eu-west-1", "now/with/slashes"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Due = %+v, want %+v", got, want)
	}
}

func TestKeysSortByTime(t *testing.T) {
	a := Index("p/").Key(time.Unix(9, 0), "r", "n")
	b := Index("p/").Key(time.Unix(10, 0), "r", "n")
	if !(a < b) {
		t.Fatalf("%q sorts after %q", a, b)
	}
}
