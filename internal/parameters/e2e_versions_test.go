package parameters_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func put(t *testing.T, c *ssm.Client, name, value string, overwrite bool) int64 {
	t.Helper()
	in := &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Overwrite: aws.Bool(overwrite)}
	if !overwrite {
		in.Type = types.ParameterTypeString
	}
	return must[*ssm.PutParameterOutput](t, "PutParameter "+name)(c.PutParameter(ctx, in)).Version
}

func TestLabelsAndSelectors(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	for i := 1; i <= 3; i++ {
		put(t, c, "/app/color", fmt.Sprintf("v%d", i), i > 1)
	}
	l := must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion")(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/app/color"), ParameterVersion: aws.Int64(1), Labels: []string{"prod", "1bad", "awsLabel", "ok.label-1", "bad/slash"}}))
	if l.ParameterVersion != 1 || !slices.Equal(l.InvalidLabels, []string{"1bad", "awsLabel", "bad/slash"}) {
		t.Fatalf("LabelParameterVersion = v%d invalid %v", l.ParameterVersion, l.InvalidLabels)
	}
	for sel, want := range map[string]string{"/app/color:prod": "v1", "/app/color:2": "v2", "/app/color": "v3", "/app/color:ok.label-1": "v1"} {
		g := must[*ssm.GetParameterOutput](t, "GetParameter "+sel)(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(sel)}))
		if *g.Parameter.Value != want {
			t.Fatalf("GetParameter %s = %s, want %s", sel, *g.Parameter.Value, want)
		}
		if sel == "/app/color:prod" && (aws.ToString(g.Parameter.Selector) != ":prod" || g.Parameter.Version != 1) {
			t.Fatalf("selector = %q version %d", aws.ToString(g.Parameter.Selector), g.Parameter.Version)
		}
	}
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/color:9")})
	wantMessage(t, "GetParameter :9", err, "ParameterVersionNotFound", "Systems Manager could not find version 9 of /app/color. Verify the version and try again.")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/color:staging")})
	wantAPIError(t, "GetParameter :staging", err, "ParameterVersionNotFound")

	// Labelling the latest version (no version given) moves "prod" to it.
	l = must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion latest")(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/app/color"), Labels: []string{"prod"}}))
	if l.ParameterVersion != 3 {
		t.Fatalf("labelled version %d, want 3", l.ParameterVersion)
	}
	g := must[*ssm.GetParameterOutput](t, "GetParameter :prod")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/color:prod")}))
	if *g.Parameter.Value != "v3" {
		t.Fatalf(":prod after the move = %s", *g.Parameter.Value)
	}
	h := must[*ssm.GetParameterHistoryOutput](t, "GetParameterHistory")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/app/color")}))
	if len(h.Parameters) != 3 || !slices.Equal(h.Parameters[0].Labels, []string{"ok.label-1"}) || len(h.Parameters[1].Labels) != 0 ||
		!slices.Equal(h.Parameters[2].Labels, []string{"prod"}) || *h.Parameters[1].Value != "v2" || h.Parameters[2].LastModifiedUser == nil {
		t.Fatalf("history = %+v", h.Parameters)
	}

	// At most 10 labels a version.
	var ten []string
	for i := 0; i < 9; i++ {
		ten = append(ten, fmt.Sprintf("l%d", i))
	}
	must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion 9 more")(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/app/color"), ParameterVersion: aws.Int64(3), Labels: ten}))
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/color"), ParameterVersion: aws.Int64(3), Labels: []string{"eleventh"}})
	wantMessage(t, "11th label", err, "ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 labels.")
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/color"), ParameterVersion: aws.Int64(7), Labels: []string{"x"}})
	wantAPIError(t, "label version 7", err, "ParameterVersionNotFound")
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/nope"), Labels: []string{"x"}})
	wantMessage(t, "label missing parameter", err, "ParameterNotFound", "Parameter /nope not found.")

	u := must[*ssm.UnlabelParameterVersionOutput](t, "UnlabelParameterVersion")(c.UnlabelParameterVersion(ctx, &ssm.UnlabelParameterVersionInput{
		Name: aws.String("/app/color"), ParameterVersion: aws.Int64(3), Labels: []string{"prod", "ok.label-1", "never"}}))
	if !slices.Equal(u.RemovedLabels, []string{"prod"}) || !slices.Equal(u.InvalidLabels, []string{"ok.label-1", "never"}) {
		t.Fatalf("Unlabel = removed %v invalid %v", u.RemovedLabels, u.InvalidLabels)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/color:prod")})
	wantAPIError(t, "GetParameter :prod after unlabel", err, "ParameterVersionNotFound")

	// GetParameters: selectors, and InvalidParameters for what finds nothing.
	gs := must[*ssm.GetParametersOutput](t, "GetParameters")(c.GetParameters(ctx, &ssm.GetParametersInput{
		Names: []string{"/app/color", "/app/color:1", "/missing", "/app/color:99"}}))
	if len(gs.Parameters) != 2 || *gs.Parameters[0].Value != "v3" || *gs.Parameters[1].Value != "v1" ||
		!slices.Equal(gs.InvalidParameters, []string{"/missing", "/app/color:99"}) {
		t.Fatalf("GetParameters = %+v invalid %v", gs.Parameters, gs.InvalidParameters)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}})
	wantMessage(t, "GetParameters 11 names", err, "ValidationException", "Member must have length less than or equal to 10")
}

func TestVersionLimit(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	for i := 1; i <= 100; i++ {
		put(t, c, "/v", fmt.Sprintf("%d", i), i > 1)
	}
	must[*ssm.LabelParameterVersionOutput](t, "label v1")(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/v"), ParameterVersion: aws.Int64(1), Labels: []string{"keep"}}))
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/v"), Value: aws.String("101"), Overwrite: aws.Bool(true)})
	wantMessage(t, "101st version with a labelled oldest", err, "ParameterMaxVersionLimitExceeded",
		"You attempted to create a new version of /v by calling the PutParameter API with the overwrite flag. Version 1, the oldest version, can't be deleted because it has a label associated with it.")
	must[*ssm.LabelParameterVersionOutput](t, "move the label")(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/v"), ParameterVersion: aws.Int64(50), Labels: []string{"keep"}}))
	if v := put(t, c, "/v", "101", true); v != 101 {
		t.Fatalf("version = %d, want 101", v)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/v:1")})
	wantAPIError(t, "GetParameter :1 after it went", err, "ParameterVersionNotFound")
	var all []types.ParameterHistory
	var token *string
	pages := 0
	for {
		h := must[*ssm.GetParameterHistoryOutput](t, "GetParameterHistory")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/v"), NextToken: token, MaxResults: aws.Int32(30)}))
		all = append(all, h.Parameters...)
		pages++
		if h.NextToken == nil {
			break
		}
		token = h.NextToken
	}
	if len(all) != 100 || all[0].Version != 2 || all[99].Version != 101 || pages != 4 || !slices.Equal(all[48].Labels, []string{"keep"}) {
		t.Fatalf("history: %d versions in %d pages, first %d last %d", len(all), pages, all[0].Version, all[len(all)-1].Version)
	}
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/v"), NextToken: aws.String("bogus")})
	wantAPIError(t, "GetParameterHistory bad token", err, "InvalidNextToken")
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/nope")})
	wantMessage(t, "GetParameterHistory missing", err, "ParameterNotFound", "Parameter /nope not found.")
}

func TestDelete(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	put(t, c, "/d/a", "1", false)
	put(t, c, "/d/a", "2", true)
	put(t, c, "/d/b", "1", false)
	put(t, c, "/d/a/child", "1", false)
	must[*ssm.DeleteParameterOutput](t, "DeleteParameter")(c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d/a")}))
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/d/a:1")})
	wantAPIError(t, "GetParameter deleted", err, "ParameterNotFound")
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d/a")})
	wantAPIError(t, "DeleteParameter again", err, "ParameterNotFound")
	// The child's history is its own.
	must[*ssm.GetParameterOutput](t, "GetParameter child")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/d/a/child")}))
	// Recreated, it starts again at version 1.
	if v := put(t, c, "/d/a", "new", false); v != 1 {
		t.Fatalf("recreated version = %d", v)
	}
	out := must[*ssm.DeleteParametersOutput](t, "DeleteParameters")(c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/d/a", "/d/b", "/d/zz"}}))
	if !slices.Equal(out.DeletedParameters, []string{"/d/a", "/d/b"}) || !slices.Equal(out.InvalidParameters, []string{"/d/zz"}) {
		t.Fatalf("DeleteParameters = %v %v", out.DeletedParameters, out.InvalidParameters)
	}
	h := must[*ssm.GetParameterHistoryOutput](t, "history of the child")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/d/a/child")}))
	if len(h.Parameters) != 1 {
		t.Fatalf("child history = %d", len(h.Parameters))
	}
}

// TestConcurrentOverwrites: racing writers each get a distinct version or
// TooManyUpdates, and the history holds exactly the versions answered.
func TestConcurrentOverwrites(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	put(t, c, "/race", "0", false)
	type result struct {
		v   int64
		err error
	}
	results := make(chan result, 40)
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; i < 10; i++ {
				out, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/race"), Value: aws.String("x"), Overwrite: aws.Bool(true)})
				if err != nil {
					results <- result{err: err}
					continue
				}
				results <- result{v: out.Version}
			}
		}()
	}
	seen := map[int64]bool{1: true}
	for i := 0; i < 40; i++ {
		r := <-results
		if r.err != nil {
			wantAPIError(t, "racing PutParameter", r.err, "TooManyUpdates")
			continue
		}
		if seen[r.v] {
			t.Fatalf("version %d answered twice", r.v)
		}
		seen[r.v] = true
	}
	h := must[*ssm.GetParameterHistoryOutput](t, "history")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/race")}))
	if len(h.Parameters) != len(seen) || h.Parameters[len(h.Parameters)-1].Version != int64(len(seen)) {
		t.Fatalf("history has %d versions, last %d; %d were answered", len(h.Parameters), h.Parameters[len(h.Parameters)-1].Version, len(seen))
	}
}
