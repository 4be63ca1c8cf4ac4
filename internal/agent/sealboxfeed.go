package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/changes/client"
)

// sealboxFeed is sealbox's change feed (Sealbox.GetChanges) as a Feed.
type sealboxFeed struct{ c *client.Client }

// NewSealboxFeed follows the change feed of the sealbox server at
// endpoint, signed with cfg's credentials in cfg's region: it shows the
// changes to what those credentials may read, which is what the agent
// caches.
func NewSealboxFeed(cfg aws.Config, endpoint string) Feed {
	return &sealboxFeed{client.NewClient(cfg, endpoint)}
}

func (f *sealboxFeed) Next(ctx context.Context) ([]Change, bool, error) {
	chs, reset, err := f.c.Next(ctx)
	if errors.Is(err, client.ErrUnsupported) {
		return nil, false, fmt.Errorf("%w: %w", ErrFeedUnsupported, err)
	}
	if err != nil {
		return nil, false, err
	}
	out := make([]Change, len(chs))
	for i, ch := range chs {
		out[i] = Change{Service: ch.Service, Region: ch.Region, Name: ch.Name, ARN: ch.ARN, Deleted: ch.Deleted}
		if ch.Time != nil {
			out[i].Time = ch.Time.Time
		}
	}
	return out, reset, nil
}
