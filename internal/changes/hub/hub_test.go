package hub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/changes"
	"github.com/sealbox/sealbox/internal/changes/client"
	"github.com/sealbox/sealbox/internal/changes/hub"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

var ctx = context.Background()

func must[T any](t *testing.T, call string) func(T, error) T { return sealtest.Must[T](t, call) }

// next is one Next that must succeed.
func next(t *testing.T, c *client.Client) ([]changes.Change, bool) {
	t.Helper()
	list, reset, err := c.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return list, reset
}

// subscribed is a client past its first (reset) answer.
func subscribed(t *testing.T, cfg aws.Config, endpoint string) *client.Client {
	t.Helper()
	c := client.NewClient(cfg, endpoint)
	c.Wait = 2 * time.Second
	if list, reset := next(t, c); !reset || len(list) != 0 {
		t.Fatalf("first Next = %v, reset %v; want nothing and a reset", list, reset)
	}
	return c
}

// TestChangeFeed follows the feed as the administrator: a waiting poll
// answers within a second of a write, one change per secret however many
// records the write touched, parameters and label moves too, deletions
// marked, and nothing of another region.
func TestChangeFeed(t *testing.T) {
	s := sealtest.Start(t)
	sm, pc := s.SecretsManager(), s.SSM()
	sec := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("v1")}))
	c := subscribed(t, s.AWSConfig("us-east-1"), s.URL)

	// A poll waiting when the value changes answers at once.
	type answer struct {
		list []changes.Change
		at   time.Time
	}
	got := make(chan answer, 1)
	go func() {
		list, _, err := c.Next(ctx)
		if err != nil {
			t.Errorf("Next: %v", err)
		}
		got <- answer{list, time.Now()}
	}()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Srv.Changes().WaitPolls(wctx, 1); err != nil {
		t.Fatalf("the poll is not waiting: %v", err)
	}
	put := time.Now()
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"), SecretString: aws.String("second-value-never-in-the-feed")}))
	a := <-got
	if lag := a.at.Sub(put); lag > time.Second {
		t.Errorf("the change arrived %v after PutSecretValue, want well under a second", lag)
	}
	if len(a.list) != 1 || a.list[0].Service != "secretsmanager" || a.list[0].Name != "app/db" || a.list[0].ARN != *sec.ARN ||
		a.list[0].Region != "us-east-1" || a.list[0].Deleted || a.list[0].Time == nil {
		t.Fatalf("changes = %+v, want one change of app/db", a.list)
	}
	if strings.Contains(a.list[0].Name+a.list[0].ARN, "second-value-never-in-the-feed") {
		t.Fatalf("a value in the feed")
	}

	// A parameter, its label move, a deletion; another region's change is
	// not this region's caller's.
	must[*ssm.PutParameterOutput](t, "PutParameter")(pc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("a"), Type: ssmtypes.ParameterTypeString}))
	must[*ssm.PutParameterOutput](t, "PutParameter 2")(pc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("b"), Overwrite: aws.Bool(true)}))
	must[*ssm.PutParameterOutput](t, "PutParameter elsewhere")(s.SSMIn("eu-west-1").PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString}))
	list, _ := next(t, c)
	if len(list) != 1 || list[0].Service != "ssm" || list[0].Name != "/app/url" || list[0].ARN != "arn:aws:ssm:us-east-1:123456789012:parameter/app/url" {
		t.Fatalf("changes = %+v, want one change of /app/url in us-east-1", list)
	}
	must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion")(pc.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/url"), ParameterVersion: aws.Int64(1), Labels: []string{"stable"}}))
	if list, _ := next(t, c); len(list) != 1 || list[0].Name != "/app/url" {
		t.Fatalf("after a label move: %+v", list)
	}
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret")(sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
	must[*ssm.DeleteParameterOutput](t, "DeleteParameter")(pc.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/app/url")}))
	list, _ = next(t, c)
	if len(list) != 2 || !list[0].Deleted || list[0].Name != "app/db" || !list[1].Deleted || list[1].Name != "/app/url" {
		t.Fatalf("after deletions: %+v", list)
	}

	// A read records its day (LastAccessedDate): bookkeeping, not a change
	// a cache should drop its value for.
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret fresh")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("fresh"), SecretString: aws.String("v")}))
	if list, _ := next(t, c); len(list) != 1 || list[0].Name != "fresh" {
		t.Fatalf("after CreateSecret fresh: %+v", list)
	}
	must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue fresh")(sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("fresh")}))
	if d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("fresh")})); d.LastAccessedDate == nil {
		t.Fatalf("the read did not record LastAccessedDate")
	}

	// Nothing new: the poll waits its time and answers nothing.
	start := time.Now()
	if list, reset := next(t, c); len(list) != 0 || reset || time.Since(start) < time.Second {
		t.Fatalf("an idle poll = %+v, reset %v after %v", list, reset, time.Since(start))
	}
}

// TestChangeFeedShowsOnlyWhatTheCallerMayRead follows the feed as a role
// that may read one secret and one parameter path.
func TestChangeFeedShowsOnlyWhatTheCallerMayRead(t *testing.T) {
	s := sealtest.Start(t)
	sm, pc := s.SecretsManager(), s.SSM()
	mine := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret mine")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("mine"), SecretString: aws.String("a")}))
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret theirs")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("theirs"), SecretString: aws.String("a")}))

	r := s.NewRole(t, "fn", "", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+*mine.ARN+`"},
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/fn/*"}]}`, "fn")
	c := subscribed(t, r.Config(s), s.URL)

	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue theirs")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("theirs"), SecretString: aws.String("b")}))
	must[*ssm.PutParameterOutput](t, "PutParameter other")(pc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/other/x"), Value: aws.String("a"), Type: ssmtypes.ParameterTypeString}))
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue mine")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("mine"), SecretString: aws.String("b")}))
	must[*ssm.PutParameterOutput](t, "PutParameter fn")(pc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/fn/x"), Value: aws.String("a"), Type: ssmtypes.ParameterTypeString}))
	var seen []string
	for deadline := time.Now().Add(5 * time.Second); len(seen) < 2 && time.Now().Before(deadline); {
		list, _ := next(t, c)
		for _, ch := range list {
			seen = append(seen, ch.Name)
		}
	}
	if strings.Join(seen, ",") != "mine,/fn/x" {
		t.Fatalf("the role saw %v, want only mine and /fn/x", seen)
	}
}

// TestHubCursors checks the cursor rules on the Hub itself: a foreign,
// malformed or too old cursor is a reset; within the ring none is lost.
func TestHubCursors(t *testing.T) {
	feed := store.WithFeed(memstore.New())
	h := hub.NewHub(feed, 4)
	defer h.Close()
	svc := hub.NewService(h, nil, nil)
	put := func(key string) {
		if err := feed.Update(ctx, func(tx store.Tx) error { return tx.Put(key, []byte("{}")) }); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"", "nope", "0123456789abcdef.1", "x.y"} {
		out, err := svc.GetChanges(ctx, &changes.GetChangesInput{Cursor: bad})
		if err != nil || !out.Reset || len(out.Changes) != 0 {
			t.Fatalf("GetChanges(%q) = %+v, %v; want a reset", bad, out, err)
		}
	}
	out, _ := svc.GetChanges(ctx, &changes.GetChangesInput{})
	start := out.Cursor
	for i := 0; i < 3; i++ {
		put("sm/_rot/ignored") // the services' own indexes are not changes
	}
	put("ssm/us-east-1/param/a")
	// Without a caller's region nothing is visible, but the cursor moves on.
	if out, _ := svc.GetChanges(ctx, &changes.GetChangesInput{Cursor: start}); out.Reset || out.Cursor == start {
		t.Fatalf("within the ring: %+v", out)
	}
	for i := 0; i < 5; i++ {
		put("ssm/us-east-1/param/b")
	}
	if out, _ := svc.GetChanges(ctx, &changes.GetChangesInput{Cursor: start}); !out.Reset {
		t.Fatalf("a cursor older than the ring = %+v, want a reset", out)
	}
}

// TestSharedHubCursors: on a shared store the hubs of two servers number
// commits by the change log's seq under the database's identity, so a
// cursor from one is valid on the other, even one ahead of it (the poll
// waits for it to catch up); a Restart past a cursor resets it.
func TestSharedHubCursors(t *testing.T) {
	a, b := hub.NewShared("db1", 4), hub.NewShared("db1", 4)
	change := []store.Change{{Key: "ssm/us-east-1/param/a"}}
	for _, h := range []*hub.Hub{a, b} {
		h.Restart(10)
	}
	a.Record(11, change)
	a.Record(12, nil)
	none := aws.Int32(0)
	fromA, _ := hub.NewService(a, nil, nil).GetChanges(ctx, &changes.GetChangesInput{Cursor: "db1.10", WaitTimeSeconds: none})
	if fromA.Reset || fromA.Cursor != "db1.12" {
		t.Fatalf("GetChanges on A = %+v, want cursor db1.12", fromA)
	}
	svcB := hub.NewService(b, nil, nil)
	// B has not heard of 11 and 12 yet: the cursor is kept, not reset.
	if out, err := svcB.GetChanges(ctx, &changes.GetChangesInput{Cursor: fromA.Cursor, WaitTimeSeconds: none}); err != nil || out.Reset || out.Cursor != "db1.12" {
		t.Fatalf("GetChanges on B with A's cursor = %+v, %v; want db1.12 kept", out, err)
	}
	b.Record(11, change)
	b.Record(12, nil)
	b.Record(13, change)
	if out, _ := svcB.GetChanges(ctx, &changes.GetChangesInput{Cursor: fromA.Cursor, WaitTimeSeconds: none}); out.Reset || out.Cursor != "db1.13" {
		t.Fatalf("GetChanges on B after catching up = %+v, want db1.13", out)
	}
	for _, bad := range []string{"db2.12", "db1.9"} {
		if out, _ := svcB.GetChanges(ctx, &changes.GetChangesInput{Cursor: bad, WaitTimeSeconds: none}); !out.Reset {
			t.Fatalf("GetChanges on B with %q = %+v, want a reset", bad, out)
		}
	}
	b.Restart(20) // the log was pruned past B's position
	if out, _ := svcB.GetChanges(ctx, &changes.GetChangesInput{Cursor: "db1.13", WaitTimeSeconds: none}); !out.Reset || out.Cursor != "db1.20" {
		t.Fatalf("GetChanges after Restart(20) = %+v, want a reset to db1.20", out)
	}
}
