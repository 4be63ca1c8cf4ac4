// Package stsapi serves the AWS STS API (AWS Query): GetCallerIdentity,
// AssumeRole and GetSessionToken, over the identity store, where the
// sessions it makes are kept (and the SigV4 verifier finds them). Role
// trust policies are evaluated by an identity.PolicyChecker. It never sees
// HTTP, and knows nothing of the IAM API.
package stsapi

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// Config is what New needs besides the identity store.
type Config struct {
	// Checker evaluates role trust policies and validates session
	// policies. nil: session policies must be JSON objects, and no trust
	// policy allows anything (AssumeRole is always refused).
	Checker identity.PolicyChecker
	// Web verifies web identity tokens (AssumeRoleWithWebIdentity). nil:
	// every such call is refused (IDPCommunicationError).
	Web TokenVerifier
}

// Service serves the STS operations: GetCallerIdentity, AssumeRole and
// GetSessionToken. Sessions are stored (iam/session/<ASIA…>) so that they
// survive restarts and work on every server over the same store. Make one
// with New. Safe for concurrent use.
type Service struct {
	ids     *identity.Store
	store   store.Store
	account string
	checker identity.PolicyChecker
	web     TokenVerifier
}

// New returns the STS service over ids.
func New(ids *identity.Store, c Config) *Service {
	return &Service{ids: ids, store: ids.Backend(), account: ids.Account(), checker: c.Checker, web: c.Web}
}

const (
	defaultRoleSession  = 3600
	maxChainedSession   = 3600
	defaultUserSession  = 43200
	maxRootSession      = 3600
	maxSessionPolicyArn = 10
	maxSessionPolicyLen = 2048
)

// GetCallerIdentity says who signed the request. Every caller may ask.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *GetCallerIdentityRequest) (*GetCallerIdentityResponse, error) {
	p := request(ctx).Principal
	account := p.AccountID
	if account == "" {
		account = s.account
	}
	return &GetCallerIdentityResponse{UserId: p.PrincipalID, Account: account, Arn: p.ARN}, nil
}

func mfaUnsupported(serial, code string) error {
	if serial == "" && code == "" {
		return nil
	}
	return identity.AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
}

// AssumeRole returns temporary credentials for a role whose trust policy
// lets the caller assume it. DurationSeconds is 900 up to the role's
// MaxSessionDuration (3600 by default; at most 3600 when the caller is
// itself a role session). An inline session Policy and managed PolicyArns,
// if given, are kept with the session and narrow it: see
// identity.Store.SessionPolicies.
// The account's root may not assume roles, as in AWS; a role that does not
// exist is refused as one that does not trust the caller, so that callers
// learn nothing of what exists.
func (s *Service) AssumeRole(ctx context.Context, in *AssumeRoleRequest) (*AssumeRoleResponse, error) {
	r := request(ctx)
	if err := sessionPolicyLimits(in.Policy, len(in.PolicyArns)); err != nil {
		return nil, err
	}
	if err := identity.UniqueTags(identity.TagsFrom(in.Tags)); err != nil {
		return nil, err
	}
	if err := mfaUnsupported(in.SerialNumber, in.TokenCode); err != nil {
		return nil, err
	}
	caller := r.Principal
	if caller.Type == "Root" {
		return nil, identity.AccessDenied("Roles may not be assumed by root accounts.")
	}
	denied := identity.AccessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleArn)

	role, err := s.loadRole(ctx, in.RoleArn, denied)
	if err != nil {
		return nil, err
	}

	duration := int(in.DurationSeconds)
	if duration == 0 {
		duration = defaultRoleSession
	}
	tags, transitive, err := s.sessionTags(ctx, caller, in)
	if err != nil {
		return nil, err
	}

	policyArns, packed, err := s.sessionPolicies(in.Policy, in.PolicyArns, tags)
	if err != nil {
		return nil, err
	}

	// The trust policy must allow sts:AssumeRole, and sts:TagSession for
	// session tags (those passed, and those a role chain carries) and
	// sts:SetSourceIdentity for a source identity, as in AWS: without the
	// TagSession check any caller could claim any team. Only then are the
	// role's limits told.
	actions := []string{"sts:AssumeRole"}
	if len(tags) > 0 || len(in.TransitiveTagKeys) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	tctx := identity.WithAssumeRoleRequest(ctx, &identity.TrustRequest{
		RoleARN:         role.ARN(s.account),
		RoleSessionName: in.RoleSessionName,
		ExternalID:      in.ExternalId,
		SourceIdentity:  in.SourceIdentity,
		Tags:            tags,
		DurationSeconds: duration,
	})
	for _, action := range actions {
		ok := false
		if s.checker != nil {
			if ok, err = s.checker.TrustAllows(tctx, role.EvaluatedTrust(), caller, action); err != nil {
				return nil, err
			}
		}
		if !ok {
			return nil, identity.AccessDenied("User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, in.RoleArn)
		}
	}

	if duration > role.MaxSessionDuration {
		return nil, identity.ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if caller.Type == "AssumedRole" && duration > maxChainedSession {
		return nil, identity.ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}

	t := s.ids.Now()
	sess := newRoleSession(role, t, duration, in.RoleSessionName, in.Policy, policyArns)
	sess.Tags, sess.TransitiveTags = tags, transitive
	sess.SourceIdentity, sess.ExternalID = in.SourceIdentity, in.ExternalId
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cur, err := identity.LoadEntity(tx, identity.KindRole, role.Name)
		if identity.IsNotFound(err) || (err == nil && cur.ID != role.ID) {
			return denied // deleted meanwhile
		}
		if err != nil {
			return err
		}
		return identity.PutSession(tx, sess)
	})
	if err != nil {
		return nil, err
	}
	if t.Sub(role.LastUsed) >= identity.LastUsedGranularity || role.LastUsedRegion != r.Region {
		s.touchRole(ctx, role, t, r.Region)
	}
	r.AddResource(identity.KindRole.ResourceType(), role.ARN(s.account))
	return &AssumeRoleResponse{
		Credentials: credentialsOut(sess),
		AssumedRoleUser: &AssumedRoleUser{
			AssumedRoleId: role.ID + ":" + in.RoleSessionName,
			Arn:           identity.AssumedRoleARN(role.Partition, s.account, role.Name, in.RoleSessionName),
		},
		PackedPolicySize: int32(packed),
		SourceIdentity:   in.SourceIdentity,
	}, nil
}

// maxSessionTags is how many session tags a session may have, those a role
// chain carries included.
const maxSessionTags = 50

// sessionTags are the tags of the session AssumeRole makes, and which of
// them are transitive: the tags passed (in.Tags), and, when the caller is
// itself a role session, the transitive tags of the caller's session, which
// stay transitive. As in AWS, a transitive key a role chain carries cannot
// be passed again (its value cannot be changed down the chain), and every
// TransitiveTagKeys key must be a key of a tag passed; keys compare
// regardless of case.
func (s *Service) sessionTags(ctx context.Context, caller sealbox.Principal, in *AssumeRoleRequest) (tags []identity.Tag, transitive []string, err error) {
	var inherited []identity.Tag
	if caller.Type == "AssumedRole" && strings.HasPrefix(caller.AccessKeyID, "ASIA") {
		var sess identity.SessionRecord
		err := s.store.View(ctx, func(tx store.Tx) error { return identity.GetSession(tx, caller.AccessKeyID, &sess) })
		if err != nil && !identity.IsNotFound(err) {
			return nil, nil, err
		}
		for _, t := range sess.Tags {
			if slices.ContainsFunc(sess.TransitiveTags, func(k string) bool { return strings.EqualFold(k, t.Key) }) {
				inherited = append(inherited, t)
				transitive = append(transitive, t.Key)
			}
		}
	}
	for _, t := range in.Tags {
		if slices.ContainsFunc(inherited, func(h identity.Tag) bool { return strings.EqualFold(h.Key, t.Key) }) {
			return nil, nil, sealbox.Errorf("InvalidParameterValue", "The session tag %s is transitive in this role chain: its value cannot be changed.", t.Key)
		}
	}
	for _, k := range in.TransitiveTagKeys {
		if !slices.ContainsFunc(in.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, k) }) {
			return nil, nil, sealbox.Errorf("InvalidParameterValue", "The transitive tag key %s is not the key of a session tag passed.", k)
		}
		transitive = append(transitive, k)
	}
	tags = append(inherited, identity.TagsFrom(in.Tags)...)
	if len(tags) > maxSessionTags {
		return nil, nil, sealbox.Errorf("InvalidParameterValue", "A session may have at most %d session tags, those passed and those the role chain carries.", maxSessionTags)
	}
	return tags, transitive, nil
}

// touchRole records that role was assumed at t in region (RoleLastUsed). It
// is bookkeeping, written apart from the session and at most once per
// lastUsedGranularity and region: caches that hear of it keep the role's
// policies, so a storm of AssumeRole calls neither evicts every caller's
// policies nor doubles the commits. A failure to record it does not fail
// the call.
func (s *Service) touchRole(ctx context.Context, role *identity.Entity, t time.Time, region string) {
	_ = s.store.Batch(store.Bookkeeping(ctx), func(tx store.Tx) error {
		cur, err := identity.LoadEntity(tx, identity.KindRole, role.Name)
		if err != nil || cur.ID != role.ID {
			return err // deleted meanwhile: nothing to record
		}
		cur.LastUsed, cur.LastUsedRegion = t, region
		return identity.SaveEntity(tx, cur)
	})
}

// GetSessionToken returns temporary credentials standing for the caller,
// an IAM user (900 to 129600 seconds, 43200 by default) or the account's
// root (at most 3600, the default; a longer request gets 3600, as in AWS).
// Session credentials may not ask for more.
func (s *Service) GetSessionToken(ctx context.Context, in *GetSessionTokenRequest) (*GetSessionTokenResponse, error) {
	r := request(ctx)
	if err := mfaUnsupported(in.SerialNumber, in.TokenCode); err != nil {
		return nil, err
	}
	caller := r.Principal
	if caller.Temporary || caller.Type == "AssumedRole" {
		return nil, identity.AccessDenied("Cannot call GetSessionToken with session credentials")
	}
	t := s.ids.Now()
	sess := &identity.SessionRecord{
		ID:      ids.AccessKeyID("ASIA"),
		Secret:  identity.NewSecret(),
		Token:   identity.NewSessionToken(),
		Created: t,
	}
	duration := int(in.DurationSeconds)
	switch caller.Type {
	case "IAMUser":
		if duration == 0 {
			duration = defaultUserSession
		}
		sess.Kind, sess.Name, sess.UID = string(identity.KindUser), caller.UserName, caller.PrincipalID
	default: // Root
		if duration == 0 || duration > maxRootSession {
			duration = maxRootSession
		}
		sess.Kind = identity.OwnerRoot
	}
	sess.Expires = t.Add(time.Duration(duration) * time.Second)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if sess.Kind == string(identity.KindUser) {
			u, err := identity.LoadEntity(tx, identity.KindUser, sess.Name)
			if identity.IsNotFound(err) || (err == nil && u.ID != sess.UID) {
				return identity.AccessDenied("User: %s is not authorized to perform: sts:GetSessionToken", caller.ARN)
			}
			if err != nil {
				return err
			}
			sess.Partition, sess.Path = u.Partition, u.Path
		}
		return identity.PutSession(tx, sess)
	})
	if err != nil {
		return nil, err
	}
	return &GetSessionTokenResponse{Credentials: credentialsOut(sess)}, nil
}

func credentialsOut(sess *identity.SessionRecord) *Credentials {
	// The boundary: the wire answer carries the credentials as strings,
	// once, to the caller that asked for them.
	return &Credentials{
		AccessKeyId:     sess.ID,
		SecretAccessKey: string(sess.Secret.Bytes()),
		SessionToken:    string(sess.Token.Bytes()),
		Expiration:      sealbox.At(sess.Expires),
	}
}

// loadRole is the role roleARN names, of this account; denied when there
// is none (an ARN that is not a role's is a ValidationError).
func (s *Service) loadRole(ctx context.Context, roleARN string, denied error) (*identity.Entity, error) {
	a, err := sealbox.ParseARN(roleARN)
	if err != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, identity.ValidationError("Request ARN is invalid")
	}
	var role *identity.Entity
	err = s.store.View(ctx, func(tx store.Tx) error {
		e, ok, err := s.ids.EntityByARN(tx, identity.KindRole, a)
		if ok {
			role = e
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if role == nil || a.AccountID != s.account {
		return nil, denied
	}
	return role, nil
}

// sessionPolicies checks a role session's policy and managed policy ARNs
// and answers the ARNs and the packed size of them with tags, as STS
// refuses it over 100%.
func (s *Service) sessionPolicies(policy string, arns []PolicyDescriptorType, tags []identity.Tag) (policyArns []string, packed int, err error) {
	for _, pa := range arns {
		if _, err := parsePolicyARN(pa.Arn); err != nil {
			return nil, 0, identity.ValidationError("Invalid ARN %s in policyArns.", pa.Arn)
		}
		policyArns = append(policyArns, pa.Arn)
	}
	if policy != "" {
		if err := identity.ValidateDocument(s.checker, policy, identity.IdentityPolicy); err != nil {
			return nil, 0, err
		}
	}
	if policy != "" || len(policyArns) > 0 || len(tags) > 0 {
		packed = packedSize(policy, policyArns, tags)
		if packed > 100 {
			return nil, 0, sealbox.Errorf("PackedPolicyTooLarge", "Packed size of the session policy and tags is %d%% of the allowed size.", packed)
		}
	}
	return policyArns, packed, nil
}

// newRoleSession is a new session of role, made at t, lasting duration
// seconds.
func newRoleSession(role *identity.Entity, t time.Time, duration int, name, policy string, policyArns []string) *identity.SessionRecord {
	return &identity.SessionRecord{
		ID:          ids.AccessKeyID("ASIA"),
		Secret:      identity.NewSecret(),
		Token:       identity.NewSessionToken(),
		Created:     t,
		Expires:     t.Add(time.Duration(duration) * time.Second),
		Kind:        string(identity.KindRole),
		Partition:   role.Partition,
		Name:        role.Name,
		UID:         role.ID,
		Path:        role.Path,
		SessionName: name,
		Policy:      policy,
		PolicyArns:  policyArns,
	}
}

// packedSize approximates, in percent, how much of the session's packed
// allowance its policies and tags use: AWS compresses them into a binary
// form whose limit it does not publish; sealbox measures their compact
// length against the 2048 characters AWS allows a plaintext session policy.
func packedSize(policy string, arns []string, tags []identity.Tag) int {
	n := identity.CompactLen(policy)
	for _, a := range arns {
		n += len(a)
	}
	for _, t := range tags {
		n += len(t.Key) + len(t.Value)
	}
	return (n*100 + maxSessionPolicyLen - 1) / maxSessionPolicyLen
}

// ExpiredSessionKept is how long an expired session is kept before
// SweepExpired deletes it. Until then a request signed with it answers as
// AWS answers one signed with expired credentials, ExpiredTokenException
// (ExpiredToken on IAM and STS), so that clients refresh their credentials;
// afterwards its key is unknown (UnrecognizedClientException). AWS's tokens
// carry their own expiry and answer ExpiredToken forever; a day covers the
// clients that notice late, at the cost of keeping a day of sessions.
const ExpiredSessionKept = 24 * time.Hour

// SweepExpired deletes the sessions that expired ExpiredSessionKept or
// more before t. Run it periodically.
func (s *Service) SweepExpired(ctx context.Context, t time.Time) (removed int, err error) {
	return s.ids.DeleteExpiredSessions(ctx, t.Add(-ExpiredSessionKept))
}

// parsePolicyARN checks that arn names a managed policy.
func parsePolicyARN(arn string) (sealbox.ARN, error) {
	a, err := sealbox.ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "policy/") || strings.HasSuffix(a.Resource, "/") {
		return sealbox.ARN{}, sealbox.ErrInvalidARN
	}
	return a, nil
}

// ServiceMayAssume reports whether the role roleARN exists in the account
// and its trust policy lets the AWS service principal service
// ("lambda.amazonaws.com") assume it: the check Lambda makes of a
// function's Role before it accepts it.
func (s *Service) ServiceMayAssume(ctx context.Context, roleARN, service string) (bool, error) {
	a, err := sealbox.ParseARN(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || a.AccountID != s.account {
		return false, nil
	}
	var role *identity.Entity
	err = s.store.View(ctx, func(tx store.Tx) error {
		e, ok, err := s.ids.EntityByARN(tx, identity.KindRole, a)
		if ok {
			role = e
		}
		return err
	})
	if err != nil || role == nil || s.checker == nil {
		return false, err
	}
	tctx := identity.WithAssumeRoleRequest(ctx, &identity.TrustRequest{RoleARN: role.ARN(s.account), RoleSessionName: service})
	return s.checker.TrustAllows(tctx, role.EvaluatedTrust(), sealbox.Principal{Type: identity.ServicePrincipal, ARN: service}, "sts:AssumeRole")
}

// request is sealbox.MustRequest.
func request(ctx context.Context) *sealbox.Request { return sealbox.MustRequest(ctx) }

// ServiceSession makes a session of the role roleARN for the AWS service
// principal service, as the service assumes a role it was given (Lambda,
// its function's execution role at an execution environment's INIT): the
// role's trust policy must let the service assume it, as
// ServiceMayAssume checks; the session lasts duration (at most an hour).
// It is not an API call of its own and records nothing: the call that
// needed it does.
func (s *Service) ServiceSession(ctx context.Context, roleARN, service, sessionName string, duration time.Duration) (*Credentials, error) {
	ok, err := s.ServiceMayAssume(ctx, roleARN, service)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, identity.AccessDenied("%s is not authorized to perform: sts:AssumeRole on resource: %s", service, roleARN)
	}
	a, _ := sealbox.ParseARN(roleARN)
	duration = min(max(duration, 15*time.Minute), time.Hour)
	t := s.ids.Now()
	var sess *identity.SessionRecord
	err = s.store.Update(ctx, func(tx store.Tx) error {
		role, ok, err := s.ids.EntityByARN(tx, identity.KindRole, a)
		if err != nil {
			return err
		}
		if !ok {
			return identity.AccessDenied("%s is not authorized to perform: sts:AssumeRole on resource: %s", service, roleARN)
		}
		sess = &identity.SessionRecord{ID: ids.AccessKeyID("ASIA"), Secret: identity.NewSecret(), Token: identity.NewSessionToken(),
			Created: t, Expires: t.Add(duration), Kind: string(identity.KindRole), Partition: role.Partition,
			Name: role.Name, UID: role.ID, Path: role.Path, SessionName: sessionName}
		return identity.PutSession(tx, sess)
	})
	if err != nil {
		return nil, err
	}
	return credentialsOut(sess), nil
}
