package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// pageSize is how many rows a list shows; the API's token leads on.
const pageSize = 50

type kmsListData struct {
	Keys    []kmsKeyRow
	Next    string // the next page's marker
	Specs   []string
	Usages  []string
	Notice  string
	Created string
}

type kmsKeyRow struct {
	ID, Arn, Aliases, State, Spec, Usage, Description string
	Created                                           string
}

func (c *Console) kmsRoutes() {
	c.route("GET /console/kms", c.kmsList)
	c.route("POST /console/kms", c.kmsCreate)
	c.route("GET /console/kms/keys/{id}", c.kmsKey)
	c.route("POST /console/kms/keys/{id}", c.kmsAction)
}

func (c *Console) kmsList(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := &kmsListData{Notice: r.URL.Query().Get("notice"),
		Specs:  []string{"SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"},
		Usages: []string{"ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"}}
	in := &kms.ListKeysInput{Limit: aws.Int32(pageSize)}
	if m := r.URL.Query().Get("marker"); m != "" {
		in.Marker = aws.String(m)
	}
	out, err := s.api.KMS.ListKeys(ctx, in)
	if err != nil {
		c.show(w, s, "kms_list", "kms", "KMS keys", d, err)
		return
	}
	aliases, err := c.kmsAliases(r, s, "")
	if err != nil {
		c.show(w, s, "kms_list", "kms", "KMS keys", d, err)
		return
	}
	for _, k := range out.Keys {
		row := kmsKeyRow{ID: deref(k.KeyId), Arn: deref(k.KeyArn), Aliases: strings.Join(aliases[deref(k.KeyId)], ", ")}
		dk, err := s.api.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
		if err == nil && dk.KeyMetadata != nil {
			m := dk.KeyMetadata
			row.State, row.Spec, row.Usage = string(m.KeyState), string(m.KeySpec), string(m.KeyUsage)
			row.Description = deref(m.Description)
			row.Created = fmtTime(m.CreationDate)
		} else {
			row.State = "(" + asAPIError(err).Code + ")" // the caller may list but not describe
		}
		d.Keys = append(d.Keys, row)
	}
	if out.Truncated {
		d.Next = deref(out.NextMarker)
	}
	c.show(w, s, "kms_list", "kms", "KMS keys", d, nil)
}

// kmsAliases maps key ids to their alias names (keyID "" lists every
// alias).
func (c *Console) kmsAliases(r *http.Request, s *session, keyID string) (map[string][]string, error) {
	out := map[string][]string{}
	in := &kms.ListAliasesInput{Limit: aws.Int32(100)}
	if keyID != "" {
		in.KeyId = aws.String(keyID)
	}
	p := kms.NewListAliasesPaginator(s.api.KMS, in)
	for p.HasMorePages() {
		page, err := p.NextPage(r.Context())
		if err != nil {
			return out, err
		}
		for _, a := range page.Aliases {
			if a.TargetKeyId != nil {
				out[*a.TargetKeyId] = append(out[*a.TargetKeyId], deref(a.AliasName))
			}
		}
	}
	return out, nil
}

func (c *Console) kmsCreate(w http.ResponseWriter, r *http.Request, s *session) {
	in := &kms.CreateKeyInput{
		KeySpec:  kmstypes.KeySpec(r.PostFormValue("spec")),
		KeyUsage: kmstypes.KeyUsageType(r.PostFormValue("usage")),
	}
	if d := strings.TrimSpace(r.PostFormValue("description")); d != "" {
		in.Description = aws.String(d)
	}
	out, err := s.api.KMS.CreateKey(r.Context(), in)
	if err != nil {
		c.kmsListWithError(w, r, s, err)
		return
	}
	id := deref(out.KeyMetadata.KeyId)
	if a := strings.TrimSpace(r.PostFormValue("alias")); a != "" {
		if _, err := s.api.KMS.CreateAlias(r.Context(), &kms.CreateAliasInput{AliasName: aws.String(aliasName(a)), TargetKeyId: aws.String(id)}); err != nil {
			done(w, r, "/console/kms/keys/"+id, "Key created; its alias was refused: "+asAPIError(err).Error())
			return
		}
	}
	done(w, r, "/console/kms/keys/"+id, "Key created.")
}

// kmsListWithError shows the list with an action's failure above it.
func (c *Console) kmsListWithError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	e := asAPIError(err)
	v := &view{Title: "KMS keys", Nav: "kms", Session: s, Error: e, Data: &kmsListData{}}
	c.render(w, e.Status, "kms_list", v)
}

type kmsKeyData struct {
	Notice        string
	Meta          *kmstypes.KeyMetadata
	Aliases       []string
	Rotation      string
	Policy        string
	Grants        []kmstypes.GrantListEntry
	Operations    []kmstypes.GrantOperation // what a new grant may allow
	RotationOn    bool
	RotationDays  int32
	Tags          []kmstypes.Tag
	Symmetric     bool
	Disabled      bool
	PendingDelete bool
	Errors        []string // the parts the caller may not read
}

func (c *Console) kmsKey(w http.ResponseWriter, r *http.Request, s *session) {
	c.kmsKeyPage(w, r, s, http.StatusOK, nil)
}

func (c *Console) kmsKeyPage(w http.ResponseWriter, r *http.Request, s *session, status int, actionErr error) {
	ctx := r.Context()
	id := r.PathValue("id")
	d := &kmsKeyData{Notice: r.URL.Query().Get("notice"), Operations: kmstypes.GrantOperation("").Values()}
	dk, err := s.api.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		c.show(w, s, "kms_key", "kms", "KMS key", d, err)
		return
	}
	m := dk.KeyMetadata
	d.Meta = m
	d.Symmetric = m.KeySpec == kmstypes.KeySpecSymmetricDefault
	d.Disabled = m.KeyState == kmstypes.KeyStateDisabled
	d.PendingDelete = m.KeyState == kmstypes.KeyStatePendingDeletion
	part := func(what string, err error) {
		if err != nil {
			d.Errors = append(d.Errors, what+": "+asAPIError(err).Error())
		}
	}
	aliases, err := c.kmsAliases(r, s, id)
	part("Aliases", err)
	d.Aliases = aliases[deref(m.KeyId)]
	if d.Symmetric {
		rot, err := s.api.KMS.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: m.KeyId})
		part("Rotation", err)
		if err == nil {
			d.Rotation = "off"
			d.RotationOn, d.RotationDays = rot.KeyRotationEnabled, aws.ToInt32(rot.RotationPeriodInDays)
			if rot.KeyRotationEnabled {
				d.Rotation = "on, every " + strconv.Itoa(int(aws.ToInt32(rot.RotationPeriodInDays))) + " days"
			}
		}
	}
	pol, err := s.api.KMS.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: m.KeyId})
	part("Key policy", err)
	if err == nil {
		d.Policy = deref(pol.Policy)
	}
	grants, err := s.api.KMS.ListGrants(ctx, &kms.ListGrantsInput{KeyId: m.KeyId})
	part("Grants", err)
	if err == nil {
		d.Grants = grants.Grants
	}
	tags, err := s.api.KMS.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: m.KeyId})
	part("Tags", err)
	if err == nil {
		d.Tags = tags.Tags
	}
	if actionErr != nil {
		// The notice in the URL is the last action's, not this one's.
		d.Notice = ""
		if r.PostFormValue("action") == "put-policy" {
			// A refused policy stays in the editor, to be corrected.
			d.Policy = r.PostFormValue("policy")
		}
	}
	v := &view{Title: "KMS key " + deref(m.KeyId), Nav: "kms", Session: s, Data: d}
	if actionErr != nil {
		v.Error = asAPIError(actionErr)
		status = v.Error.Status
	}
	c.render(w, status, "kms_key", v)
}

// kmsAction is one of the key detail page's buttons.
func (c *Console) kmsAction(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := aws.String(r.PathValue("id"))
	var err error
	var notice string
	switch r.PostFormValue("action") {
	case "enable":
		_, err = s.api.KMS.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id})
		notice = "Key enabled."
	case "disable":
		_, err = s.api.KMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id})
		notice = "Key disabled."
	case "schedule-deletion":
		days, convErr := strconv.Atoi(r.PostFormValue("days"))
		if convErr != nil {
			days = 30
		}
		_, err = s.api.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(int32(days))})
		notice = "Key deletion scheduled."
	case "cancel-deletion":
		_, err = s.api.KMS.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id})
		notice = "Key deletion canceled; the key is disabled."
	default:
		if notice, err = c.kmsKeyChange(r, s, id); notice == "" && err == nil {
			c.fail(w, r, s, http.StatusBadRequest, "That action is not one the console knows.")
			return
		}
	}
	if err != nil {
		c.kmsKeyPage(w, r, s, http.StatusOK, err)
		return
	}
	done(w, r, "/console/kms/keys/"+*id, notice)
}

// kmsKeyChange is one of the forms of the key page's policy, grants, tags,
// aliases and rotation parts; "" and no error for an action it does not
// know.
func (c *Console) kmsKeyChange(r *http.Request, s *session, id *string) (string, error) {
	ctx := r.Context()
	f := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	switch r.PostFormValue("action") {
	case "put-policy":
		// The server's parser is the validation: a malformed policy is
		// its MalformedPolicyDocumentException, and the page keeps the
		// edited text (kmsKeyPage).
		_, err := s.api.KMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, PolicyName: aws.String("default"), Policy: aws.String(r.PostFormValue("policy"))})
		return "Key policy saved.", err
	case "create-grant":
		in := &kms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String(f("grantee"))}
		for _, op := range r.PostForm["operations"] {
			in.Operations = append(in.Operations, kmstypes.GrantOperation(op))
		}
		if n := f("grant-name"); n != "" {
			in.Name = aws.String(n)
		}
		out, err := s.api.KMS.CreateGrant(ctx, in)
		if err != nil {
			return "", err
		}
		return "Grant " + deref(out.GrantId) + " created.", nil
	case "revoke-grant":
		_, err := s.api.KMS.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: id, GrantId: aws.String(f("grant"))})
		return "Grant revoked.", err
	case "tag":
		_, err := s.api.KMS.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []kmstypes.Tag{{TagKey: aws.String(f("tag-key")), TagValue: aws.String(r.PostFormValue("tag-value"))}}})
		return "Tag set.", err
	case "untag":
		_, err := s.api.KMS.UntagResource(ctx, &kms.UntagResourceInput{KeyId: id, TagKeys: []string{r.PostFormValue("tag-key")}})
		return "Tag removed.", err
	case "create-alias":
		_, err := s.api.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(aliasName(f("alias"))), TargetKeyId: id})
		return "Alias created.", err
	case "update-alias":
		// UpdateAlias moves an existing alias (of another key) to this one.
		_, err := s.api.KMS.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String(aliasName(f("alias"))), TargetKeyId: id})
		return "Alias moved to this key.", err
	case "delete-alias":
		_, err := s.api.KMS.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String(aliasName(f("alias")))})
		return "Alias deleted.", err
	case "enable-rotation":
		in := &kms.EnableKeyRotationInput{KeyId: id}
		if days, err := strconv.Atoi(f("period")); err == nil {
			in.RotationPeriodInDays = aws.Int32(int32(days))
		}
		_, err := s.api.KMS.EnableKeyRotation(ctx, in)
		return "Automatic rotation on.", err
	case "disable-rotation":
		_, err := s.api.KMS.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id})
		return "Automatic rotation off.", err
	}
	return "", nil
}

// aliasName puts the alias/ prefix on a name typed without it.
func aliasName(a string) string {
	if a != "" && !strings.HasPrefix(a, "alias/") {
		return "alias/" + a
	}
	return a
}
