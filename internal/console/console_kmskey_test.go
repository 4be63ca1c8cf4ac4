//go:build !fuzzbinary

package console_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// newKey makes a symmetric key as admin and returns its id.
func newKey(t *testing.T, s *sealtest.Server) string {
	t.Helper()
	out := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(context.Background(), nil))
	return *out.KeyMetadata.KeyId
}

func keyPolicy(t *testing.T, s *sealtest.Server, id string) string {
	t.Helper()
	out := sealtest.Must[*kms.GetKeyPolicyOutput](t, "GetKeyPolicy")(s.KMS().GetKeyPolicy(context.Background(), &kms.GetKeyPolicyInput{KeyId: &id}))
	return *out.Policy
}

// TestKMSKeyPolicyEditor: a malformed policy is refused with the
// server's MalformedPolicyDocumentException, the edited text stays in
// the editor and the key's policy is unchanged; a valid one is saved.
func TestKMSKeyPolicyEditor(t *testing.T) {
	s := sealtest.Start(t)
	id := newKey(t, s)
	before := keyPolicy(t, s, id)
	b := newBrowser(t, s)
	b.signIn(admin())
	page := "/console/kms/keys/" + id
	code, body := b.get(page)
	if code != 200 || !strings.Contains(body, `<textarea id="policy-text" name="policy"`) || !strings.Contains(html.UnescapeString(body), before) {
		t.Fatalf("the key page has no editor holding the policy: %d\n%s", code, body)
	}

	bad := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"}]}`
	code, _, body = b.post(page+"?notice=Tag+set.", url.Values{"action": {"put-policy"}, "policy": {bad}})
	if code != http.StatusBadRequest || !strings.Contains(body, "MalformedPolicyDocumentException") {
		t.Fatalf("a policy without Resource: %d, want the server's 400 MalformedPolicyDocumentException\n%s", code, body)
	}
	if !strings.Contains(body, `name="policy" rows="18" spellcheck="false">`+html.EscapeString(bad)+`</textarea>`) {
		t.Fatalf("the refused text is not kept in the editor:\n%s", body)
	}
	if now := keyPolicy(t, s, id); now != before {
		t.Fatalf("a refused policy changed the key's:\n%s", now)
	}
	if strings.Contains(body, `class="notice"`) {
		t.Fatalf("a refused policy is shown with a notice:\n%s", body)
	}
	code, _, body = b.post(page, url.Values{"action": {"put-policy"}, "policy": {"{not json"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "MalformedPolicyDocumentException") || keyPolicy(t, s, id) != before {
		t.Fatalf("text that is not JSON: %d\n%s", code, body)
	}

	good := `{"Version": "2012-10-17", "Statement": [{"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}`
	code, loc, body := b.post(page, url.Values{"action": {"put-policy"}, "policy": {good}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "Key+policy+saved") {
		t.Fatalf("a valid policy: %d to %q\n%s", code, loc, body)
	}
	if now := keyPolicy(t, s, id); now != good {
		t.Fatalf("the saved policy is %s, want %s", now, good)
	}
}

// TestKMSKeyGrantsTagsAliasesRotation: each form of the key page changes
// what the SDK then reads.
func TestKMSKeyGrantsTagsAliasesRotation(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	c := s.KMS()
	id, other := newKey(t, s), newKey(t, s)
	b := newBrowser(t, s)
	b.signIn(admin())
	page := "/console/kms/keys/" + id
	act := func(form url.Values, notice string) {
		t.Helper()
		b.get(page)
		code, loc, body := b.post(page, form)
		if code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape(notice)) {
			t.Fatalf("%v: %d to %q, want %q\n%s", form, code, loc, notice, body)
		}
	}

	t.Run("grants", func(t *testing.T) {
		grantee := "arn:aws:iam::123456789012:user/admin"
		act(url.Values{"action": {"create-grant"}, "grantee": {grantee}, "grant-name": {"orders"}, "operations": {"Encrypt", "Decrypt"}}, "Grant ")
		gs := sealtest.Must[*kms.ListGrantsOutput](t, "ListGrants")(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &id})).Grants
		if len(gs) != 1 || *gs[0].GranteePrincipal != grantee || *gs[0].Name != "orders" || len(gs[0].Operations) != 2 {
			t.Fatalf("grants after create: %+v", gs)
		}
		ops := []string{string(gs[0].Operations[0]), string(gs[0].Operations[1])}
		sort.Strings(ops)
		if ops[0] != "Decrypt" || ops[1] != "Encrypt" {
			t.Fatalf("grant operations %v", ops)
		}
		if _, body := b.get(page); !strings.Contains(body, *gs[0].GrantId) {
			t.Fatal("the key page does not list the grant")
		}
		act(url.Values{"action": {"revoke-grant"}, "grant": {*gs[0].GrantId}}, "Grant revoked.")
		if gs := sealtest.Must[*kms.ListGrantsOutput](t, "ListGrants")(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &id})).Grants; len(gs) != 0 {
			t.Fatalf("grants after revoke: %+v", gs)
		}
	})

	t.Run("tags", func(t *testing.T) {
		act(url.Values{"action": {"tag"}, "tag-key": {"team"}, "tag-value": {"orders"}}, "Tag set.")
		tags := sealtest.Must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &id})).Tags
		if len(tags) != 1 || *tags[0].TagKey != "team" || *tags[0].TagValue != "orders" {
			t.Fatalf("tags after tag: %+v", tags)
		}
		act(url.Values{"action": {"untag"}, "tag-key": {"team"}}, "Tag removed.")
		if tags := sealtest.Must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &id})).Tags; len(tags) != 0 {
			t.Fatalf("tags after untag: %+v", tags)
		}
	})

	t.Run("aliases", func(t *testing.T) {
		target := func(alias string) string {
			t.Helper()
			out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
			if err != nil {
				return ""
			}
			return *out.KeyMetadata.KeyId
		}
		act(url.Values{"action": {"create-alias"}, "alias": {"orders"}}, "Alias created.")
		if target("alias/orders") != id {
			t.Fatal("alias/orders does not name the key")
		}
		sealtest.Must[*kms.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/current"), TargetKeyId: &other}))
		act(url.Values{"action": {"update-alias"}, "alias": {"alias/current"}}, "Alias moved to this key.")
		if target("alias/current") != id {
			t.Fatal("UpdateAlias did not move alias/current to the key")
		}
		act(url.Values{"action": {"delete-alias"}, "alias": {"alias/orders"}}, "Alias deleted.")
		if target("alias/orders") != "" {
			t.Fatal("alias/orders is still there")
		}
		b.get(page)
		code, _, body := b.post(page, url.Values{"action": {"create-alias"}, "alias": {"alias/aws/mine"}})
		if code == http.StatusSeeOther || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("a reserved alias: %d, want the server's refusal shown\n%s", code, body)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		rot := func() *kms.GetKeyRotationStatusOutput {
			return sealtest.Must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &id}))
		}
		act(url.Values{"action": {"enable-rotation"}, "period": {"180"}}, "Automatic rotation on.")
		if r := rot(); !r.KeyRotationEnabled || aws.ToInt32(r.RotationPeriodInDays) != 180 {
			t.Fatalf("after enable: %v every %d days", r.KeyRotationEnabled, aws.ToInt32(r.RotationPeriodInDays))
		}
		if _, body := b.get(page); !strings.Contains(body, "on, every 180 days") || !strings.Contains(body, `value="180"`) {
			t.Fatalf("the page does not show the rotation:\n%s", body)
		}
		b.get(page)
		if code, _, body := b.post(page, url.Values{"action": {"enable-rotation"}, "period": {"30"}}); code != http.StatusBadRequest || !strings.Contains(body, "ValidationException") {
			t.Fatalf("a 30-day period: %d\n%s", code, body)
		}
		act(url.Values{"action": {"disable-rotation"}}, "Automatic rotation off.")
		if rot().KeyRotationEnabled {
			t.Fatal("rotation still on")
		}
	})
}

// TestKMSKeyFormsNeedCSRF: each of the key page's new forms, without the
// session's token or from another origin, is refused and changes nothing.
func TestKMSKeyFormsNeedCSRF(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	c := s.KMS()
	id := newKey(t, s)
	before := keyPolicy(t, s, id)
	b := newBrowser(t, s)
	b.signIn(admin())
	page := "/console/kms/keys/" + id
	for _, form := range []url.Values{
		{"action": {"put-policy"}, "policy": {`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}`}},
		{"action": {"create-grant"}, "grantee": {"arn:aws:iam::123456789012:user/admin"}, "operations": {"Decrypt"}},
		{"action": {"tag"}, "tag-key": {"owner"}, "tag-value": {"evil"}},
		{"action": {"create-alias"}, "alias": {"alias/evil"}},
		{"action": {"enable-rotation"}, "period": {"90"}},
	} {
		for _, h := range [][]string{nil, {"Origin", "http://evil.example"}} {
			b.get(page)
			form.Set("csrf", "")
			if h != nil {
				form.Set("csrf", b.csrf)
			}
			if code, _, body := b.do("POST", page, form, h...); code != http.StatusForbidden || !strings.Contains(body, "security token") {
				t.Fatalf("%s %v: %d, want 403\n%s", form.Get("action"), h, code, body)
			}
		}
	}
	if keyPolicy(t, s, id) != before {
		t.Fatal("a refused form changed the key policy")
	}
	if gs, _ := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &id}); len(gs.Grants) != 0 {
		t.Fatal("a refused form made a grant")
	}
	if tags, _ := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &id}); len(tags.Tags) != 0 {
		t.Fatal("a refused form tagged the key")
	}
	if _, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/evil")}); err == nil {
		t.Fatal("a refused form made an alias")
	}
	if r, _ := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &id}); r.KeyRotationEnabled {
		t.Fatal("a refused form turned rotation on")
	}
}
