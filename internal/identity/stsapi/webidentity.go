package stsapi

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/oidc"
	"github.com/sealbox/sealbox/internal/store"
)

// TokenVerifier verifies a web identity token's signature and times
// against a registered issuer's keys: *oidc.Verifier.
type TokenVerifier interface {
	Verify(ctx context.Context, token, issuer string) (*oidc.Claims, error)
}

func errInvalidToken(format string, args ...any) error {
	return sealbox.Errorf("InvalidIdentityToken", format, args...)
}

// tokenError is AWS's answer to a token the verifier refused. The cause is
// in the error chain for the log; the answer says what AWS says.
func tokenError(err error) error {
	var exp *oidc.ExpiredError
	switch {
	case errors.As(err, &exp):
		return sealbox.Errorf("ExpiredTokenException", "Token expired: current date/time %d must be before the expiration date/time %d", exp.Now.Unix(), exp.Expiry.Unix())
	case errors.Is(err, oidc.ErrCommunication):
		return sealbox.Errorf("IDPCommunicationError", "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	case errors.Is(err, oidc.ErrSignature):
		return errInvalidToken("Couldn't retrieve verification key from your identity provider or the token's signature is invalid, please reference AssumeRoleWithWebIdentity documentation for requirements")
	case errors.Is(err, oidc.ErrNotValidYet):
		return errInvalidToken("Token is not valid yet: its nbf or iat claim is in the future")
	case errors.Is(err, oidc.ErrMalformed):
		return errInvalidToken("Couldn't parse the web identity token: it must be a JWT signed with RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or ES512, with iss, sub, aud and exp claims")
	}
	return err
}

// AssumeRoleWithWebIdentity returns temporary credentials for a role to
// the holder of an OpenID Connect ID token, as STS does for EKS service
// accounts and CI jobs. The request is not signed: the token is the
// credential. It is accepted only if
//
//   - its iss is the URL of an OpenID Connect provider registered in the
//     account (CreateOpenIDConnectProvider),
//   - its signature verifies with one of the issuer's keys, fetched over
//     https from its discovery document's jwks_uri, with an allowed
//     asymmetric algorithm, and it is within its exp, nbf and iat,
//   - its aud (or azp) is one of the provider's client ids now,
//   - the role's trust policy allows sts:AssumeRoleWithWebIdentity to the
//     Federated principal naming the provider, under its conditions on
//     <provider>:aud, <provider>:sub, <provider>:amr and
//     aws:FederatedProvider.
//
// Anything else is refused with AWS's error, and a role that does not
// exist as one that does not trust the token. Session policies, duration
// and session name are AssumeRole's. The token itself is never stored,
// logged or repeated in an answer.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in *AssumeRoleWithWebIdentityRequest) (*AssumeRoleWithWebIdentityResponse, error) {
	r := request(ctx)
	if err := sessionPolicyLimits(in.Policy, len(in.PolicyArns)); err != nil {
		return nil, err
	}
	if in.ProviderId != "" {
		// OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com
		// are not served: only OpenID Connect ID tokens.
		return nil, errInvalidToken("ProviderId %s is not supported: only OpenID Connect ID tokens are accepted, without ProviderId", in.ProviderId)
	}
	if s.web == nil {
		return nil, sealbox.Errorf("IDPCommunicationError", "Web identity federation is not configured on this server")
	}
	iss, err := oidc.Issuer(in.WebIdentityToken)
	if err != nil {
		return nil, tokenError(err)
	}
	name, ok := strings.CutPrefix(iss, "https://")
	var prov *identity.OIDCProvider
	if ok && name != "" {
		err = s.store.View(ctx, func(tx store.Tx) error {
			p, err := identity.LoadOIDCProvider(tx, name)
			if err == nil {
				prov = p
			} else if !identity.IsNotFound(err) {
				return err
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if prov == nil || prov.Issuer() != iss {
		return nil, errInvalidToken("No OpenIDConnect provider found in your account for %s", printableClaim(iss))
	}
	claims, err := s.web.Verify(ctx, in.WebIdentityToken, iss)
	if err != nil {
		return nil, tokenError(err)
	}
	// The audience: azp when it is a client id (as AWS reads Google's
	// tokens), else the first of aud's values that is.
	var aud string
	for _, a := range append([]string{claims.AuthorizedParty}, claims.Audience...) {
		if a != "" && slices.Contains(prov.ClientIDs, a) {
			aud = a
			break
		}
	}
	if aud == "" {
		return nil, errInvalidToken("Incorrect token audience")
	}
	providerARN := prov.ARN(s.account)
	caller := sealbox.Principal{
		Type:             identity.WebIdentityPrincipal,
		PrincipalID:      providerARN + ":" + aud + ":" + claims.Subject,
		UserName:         claims.Subject,
		IdentityProvider: providerARN,
	}
	r.Principal = caller // the call's audit event names who asked
	denied := identity.AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")

	role, err := s.loadRole(ctx, in.RoleArn, denied)
	if err != nil {
		return nil, err
	}

	policyArns, packed, err := s.sessionPolicies(in.Policy, in.PolicyArns, nil)
	if err != nil {
		return nil, err
	}

	duration := int(in.DurationSeconds)
	if duration == 0 {
		duration = defaultRoleSession
	}
	keys := map[string][]string{
		prov.Name + ":aud":      {aud},
		prov.Name + ":sub":      {claims.Subject},
		"aws:FederatedProvider": {providerARN},
	}
	if len(claims.AMR) > 0 {
		keys[prov.Name+":amr"] = claims.AMR
	}
	tctx := identity.WithAssumeRoleRequest(ctx, &identity.TrustRequest{
		RoleARN:         role.ARN(s.account),
		RoleSessionName: in.RoleSessionName,
		DurationSeconds: duration,
		WebIdentity:     keys,
	})
	allowed := false
	if s.checker != nil {
		if allowed, err = s.checker.TrustAllows(tctx, role.EvaluatedTrust(), caller, "sts:AssumeRoleWithWebIdentity"); err != nil {
			return nil, err
		}
	}
	if !allowed {
		return nil, denied
	}
	if duration > role.MaxSessionDuration {
		return nil, identity.ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	t := s.ids.Now()
	sess := newRoleSession(role, t, duration, in.RoleSessionName, in.Policy, policyArns)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cur, err := identity.LoadEntity(tx, identity.KindRole, role.Name)
		if identity.IsNotFound(err) || (err == nil && cur.ID != role.ID) {
			return denied // deleted meanwhile
		}
		if err != nil {
			return err
		}
		// The provider, and the audience, must still be there as the
		// session is made: one deleted or narrowed meanwhile trusts no one.
		p, err := identity.LoadOIDCProvider(tx, prov.Name)
		if identity.IsNotFound(err) {
			return errInvalidToken("No OpenIDConnect provider found in your account for %s", printableClaim(iss))
		}
		if err != nil {
			return err
		}
		if !slices.Contains(p.ClientIDs, aud) {
			return errInvalidToken("Incorrect token audience")
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
	return &AssumeRoleWithWebIdentityResponse{
		Credentials:                 credentialsOut(sess),
		SubjectFromWebIdentityToken: claims.Subject,
		AssumedRoleUser: &AssumedRoleUser{
			AssumedRoleId: role.ID + ":" + in.RoleSessionName,
			Arn:           identity.AssumedRoleARN(role.Partition, s.account, role.Name, in.RoleSessionName),
		},
		PackedPolicySize: int32(packed),
		Provider:         providerARN,
		Audience:         aud,
	}, nil
}

// printableClaim is an unverified claim as an error message may repeat
// it: at most 256 characters of printable text.
func printableClaim(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// sessionPolicyLimits bounds a session's inline Policy to
// maxSessionPolicyLen characters and its managed PolicyArns to
// maxSessionPolicyArn, as STS does and its model does not.
func sessionPolicyLimits(policy string, arns int) error {
	var v identity.ValidationErrors
	if utf8.RuneCountInString(policy) > maxSessionPolicyLen {
		v.Add("policy", &policy, "Member must have length less than or equal to "+strconv.Itoa(maxSessionPolicyLen))
	}
	if arns > maxSessionPolicyArn {
		v.Add("policyArns", nil, "Member must have length less than or equal to "+strconv.Itoa(maxSessionPolicyArn))
	}
	return v.Err()
}
