package kms

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// A grant lets a grantee principal perform some operations with a key,
// optionally only under an encryption context, until it is retired or
// revoked. Grants are kept on the key record.

type grantRecord struct {
	ID       string    `json:"id"`
	Token    string    `json:"token"`
	Name     string    `json:"name,omitempty"`
	Created  time.Time `json:"created"`
	Grantee  string    `json:"grantee"`
	Retiring string    `json:"retiring,omitempty"`
	// GranteeID and RetiringID are the unique ids the grantee and the
	// retiring principal, a user or a role, had when the grant was made
	// (PrincipalPinner): a user or role made again under the same name is
	// not the one the grant names. "" for other principals, and in grants
	// made before pinning.
	GranteeID   string            `json:"granteeId,omitempty"`
	RetiringID  string            `json:"retiringId,omitempty"`
	Operations  []string          `json:"operations"`
	Constraints *GrantConstraints `json:"constraints,omitempty"`
	Issuer      string            `json:"issuer"`
}

const maxGrantsPerKey = 50000

// grantee is whom the grant allows, as the authorizer matches it: the
// grantee's ARN, pinned to its unique id ("<arn>#<id>",
// iam.MatchGrantee) when it has one.
func (g *grantRecord) grantee() string { return pinned(g.Grantee, g.GranteeID) }

// retiring is the retiring principal as the authorizer matches it.
func (g *grantRecord) retiring() string { return pinned(g.Retiring, g.RetiringID) }

func pinned(arn, id string) string {
	if id == "" || arn == "" {
		return arn
	}
	return arn + "#" + id
}

// allows reports whether the grant's operations and constraints allow
// action under ec. Whom the grant allows is the authorizer's to decide
// (iam.MatchGrantee): a grant to the account is not a grant to each of its
// principals.
func (g *grantRecord) allows(action string, ec map[string]string) bool {
	op := strings.TrimPrefix(action, "kms:")
	found := false
	for _, o := range g.Operations {
		if o == op {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	if c := g.Constraints; c != nil {
		if c.EncryptionContextEquals != nil {
			if len(ec) != len(c.EncryptionContextEquals) {
				return false
			}
			for k, v := range c.EncryptionContextEquals {
				if got, ok := ec[k]; !ok || got != v {
					return false
				}
			}
		}
		for k, v := range c.EncryptionContextSubset {
			if got, ok := ec[k]; !ok || got != v {
				return false
			}
		}
	}
	return true
}

// grantees returns the grantee principals of k's grants that allow action
// under ec, each once, for the authorizer to match against the caller.
func (k *keyRecord) grantees(action string, ec map[string]string) []string {
	var out []string
	for i := range k.Grants {
		g := &k.Grants[i]
		if g.allows(action, ec) && !slices.Contains(out, g.grantee()) {
			out = append(out, g.grantee())
		}
	}
	return out
}

func checkGrantPrincipal(name, arn string) error {
	if arn == "" {
		return nil
	}
	if _, err := sealbox.ParseARN(arn); err != nil && !strings.HasSuffix(arn, ".amazonaws.com") {
		return sealbox.Errorf("InvalidArnException", "%s is not a valid %s", arn, name)
	}
	return nil
}

// CreateGrant adds a grant to a key. A grant with the same name and the same
// terms as an existing one is that grant (CreateGrant is idempotent by name).
func (s *Service) CreateGrant(ctx context.Context, in *CreateGrantRequest) (*CreateGrantResponse, error) {
	if err := checkGrantPrincipal("grantee principal", in.GranteePrincipal); err != nil {
		return nil, err
	}
	if err := checkGrantPrincipal("retiring principal", in.RetiringPrincipal); err != nil {
		return nil, err
	}
	cond := map[string][]string{
		"kms:grantoperations":       in.Operations,
		"kms:granteeprincipal":      {in.GranteePrincipal},
		"kms:grantisforawsresource": {"false"},
	}
	if in.RetiringPrincipal != "" {
		cond["kms:retiringprincipal"] = []string{in.RetiringPrincipal}
	}
	if c := in.Constraints; c != nil {
		if c.EncryptionContextEquals != nil {
			cond["kms:grantconstrainttype"] = []string{"EncryptionContextEquals"}
		} else if c.EncryptionContextSubset != nil {
			cond["kms:grantconstrainttype"] = []string{"EncryptionContextSubset"}
		}
	}
	var ids [2]string
	if s.principals != nil {
		for i, arn := range []string{in.GranteePrincipal, in.RetiringPrincipal} {
			var err error
			if ids[i], err = s.principals.PinPrincipal(ctx, arn); err != nil {
				return nil, err
			}
		}
	}
	r := sealbox.MustRequest(ctx)
	var out *CreateGrantResponse
	err := s.store.Update(ctx, func(tx store.Tx) error {
		k, err := s.resolve(ctx, tx, in.KeyId, false)
		if err != nil {
			return err
		}
		valid := grantOperations(k)
		for _, op := range in.Operations {
			if !slices.Contains(valid, op) {
				return sealbox.Errorf("ValidationException", "Grant operation %s is not valid for %s.", op, keyKind(k))
			}
		}
		if err := s.authorizeWith(ctx, "kms:CreateGrant", k, nil, cryptoConds{extra: cond}, k.creators(in)); err != nil {
			return err
		}
		if out, err = s.createGrant(k, in, r, ids); err != nil {
			return err
		}
		return saveKey(tx, k)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// creators returns the grantees of k's grants that allow CreateGrant of a
// grant on in's terms. As AWS limits a principal who may create grants
// only through a grant, the new grant's operations must be among that
// grant's, and its constraints at least as strict: a grant allowing
// CreateGrant is not a way to grant oneself more than it allows.
func (k *keyRecord) creators(in *CreateGrantRequest) []string {
	var out []string
	for i := range k.Grants {
		g := &k.Grants[i]
		if !slices.Contains(g.Operations, "CreateGrant") || slices.Contains(out, g.grantee()) {
			continue
		}
		ok := stricter(in.Constraints, g.Constraints)
		for _, op := range in.Operations {
			ok = ok && slices.Contains(g.Operations, op)
		}
		if ok {
			out = append(out, g.grantee())
		}
	}
	return out
}

// stricter reports whether constraints c allow no encryption context that
// parent does not: every context c accepts, parent accepts.
func stricter(c, parent *GrantConstraints) bool {
	if parent == nil {
		return true
	}
	if c == nil {
		return false
	}
	if parent.EncryptionContextEquals != nil {
		return c.EncryptionContextEquals != nil && maps.Equal(c.EncryptionContextEquals, parent.EncryptionContextEquals) &&
			includes(c.EncryptionContextEquals, c.EncryptionContextSubset)
	}
	// parent requires a subset: every pair of it must be required by c.
	if c.EncryptionContextEquals != nil {
		return includes(c.EncryptionContextEquals, parent.EncryptionContextSubset)
	}
	return includes(c.EncryptionContextSubset, parent.EncryptionContextSubset)
}

// includes reports whether every pair of sub is in m.
func includes(m, sub map[string]string) bool {
	for k, v := range sub {
		if got, ok := m[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// createGrant adds the grant in describes to k (or finds the grant of the
// same name and terms), once the caller may.
func (s *Service) createGrant(k *keyRecord, in *CreateGrantRequest, r *sealbox.Request, ids [2]string) (*CreateGrantResponse, error) {
	if k.State == statePendingDeletion {
		return nil, errPendingDeletion(k)
	}
	if k.State == stateDisabled {
		return nil, errDisabled(k)
	}
	if in.DryRun {
		return nil, errDryRun()
	}
	if in.Name != "" {
		for _, g := range k.Grants {
			if g.Name == in.Name && g.Grantee == in.GranteePrincipal && g.GranteeID == ids[0] && strings.Join(g.Operations, ",") == strings.Join(in.Operations, ",") {
				return &CreateGrantResponse{GrantId: g.ID, GrantToken: g.Token}, nil
			}
		}
	}
	if len(k.Grants) >= maxGrantsPerKey {
		return nil, sealbox.Errorf("LimitExceededException", "The key has reached the grants limit.")
	}
	g := grantRecord{
		ID:          randomHex(32),
		Token:       randomToken(),
		Name:        in.Name,
		Created:     s.clock.Now().UTC(),
		Grantee:     in.GranteePrincipal,
		Retiring:    in.RetiringPrincipal,
		GranteeID:   ids[0],
		RetiringID:  ids[1],
		Operations:  in.Operations,
		Constraints: in.Constraints,
		Issuer:      "arn:" + r.Partition + ":iam::" + r.AccountID + ":root",
	}
	k.Grants = append(k.Grants, g)
	return &CreateGrantResponse{GrantId: g.ID, GrantToken: g.Token}, nil
}

func entry(k *keyRecord, g *grantRecord) GrantListEntry {
	return GrantListEntry{KeyId: k.arn(), GrantId: g.ID, Name: g.Name, CreationDate: sealbox.At(g.Created),
		GranteePrincipal: g.Grantee, RetiringPrincipal: g.Retiring, IssuingAccount: g.Issuer,
		Operations: g.Operations, Constraints: g.Constraints}
}

// ListGrants lists a key's grants, optionally one grant or one grantee's.
func (s *Service) ListGrants(ctx context.Context, in *ListGrantsRequest) (*ListGrantsResponse, error) {
	k, err := s.read(ctx, in.KeyId, "kms:ListGrants", false)
	if err != nil {
		return nil, err
	}
	all := []GrantListEntry{}
	for i := range k.Grants {
		g := &k.Grants[i]
		if (in.GrantId == "" || g.ID == in.GrantId) && (in.GranteePrincipal == "" || g.Grantee == in.GranteePrincipal) {
			all = append(all, entry(k, g))
		}
	}
	return pageGrants(all, in.Marker, in.Limit)
}

func pageGrants(all []GrantListEntry, marker string, limit int32) (*ListGrantsResponse, error) {
	start := 0
	if marker != "" {
		start = -1
		for i, g := range all {
			if g.GrantId == marker {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, errInvalidMarker()
		}
	}
	end := start + pageLimit(limit, 50)
	if end >= len(all) {
		return &ListGrantsResponse{Grants: all[start:]}, nil
	}
	return &ListGrantsResponse{Grants: all[start:end], NextMarker: all[end-1].GrantId, Truncated: true}, nil
}

// ListRetirableGrants lists the region's grants a principal may retire.
func (s *Service) ListRetirableGrants(ctx context.Context, in *ListRetirableGrantsRequest) (*ListGrantsResponse, error) {
	r := sealbox.MustRequest(ctx)
	if err := s.authorize(ctx, "kms:ListRetirableGrants", nil, nil, nil); err != nil {
		return nil, err
	}
	all := []GrantListEntry{}
	err := s.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan(keyPrefix(r.Region), "", func(_ string, v []byte) error {
			k, err := decodeKey(v)
			if err != nil {
				return err
			}
			for i := range k.Grants {
				if k.Grants[i].Retiring == in.RetiringPrincipal {
					all = append(all, entry(k, &k.Grants[i]))
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return pageGrants(all, in.Marker, in.Limit)
}

// RetireGrant removes a grant, named by its token or by key and grant id.
// As in AWS, the grant's retiring principal, or its grantee when the grant
// allows RetireGrant, may retire it without any policy saying so (unless
// that principal is the account: then an identity policy of the caller
// must allow kms:RetireGrant).
func (s *Service) RetireGrant(ctx context.Context, in *RetireGrantRequest) (*Empty, error) {
	r := sealbox.MustRequest(ctx)
	if in.GrantToken == "" && (in.KeyId == "" || in.GrantId == "") {
		return nil, errValidation("Either GrantToken or both KeyId and GrantId must be specified.")
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var k *keyRecord
		idx := -1
		if in.KeyId != "" {
			var err error
			if k, err = s.resolve(ctx, tx, in.KeyId, false); err != nil {
				return err
			}
			for i, g := range k.Grants {
				if g.ID == in.GrantId || (in.GrantId == "" && g.Token == in.GrantToken) {
					idx = i
				}
			}
		} else {
			err := tx.Scan(keyPrefix(r.Region), "", func(_ string, v []byte) error {
				cand, err := decodeKey(v)
				if err != nil {
					return err
				}
				for i, g := range cand.Grants {
					if g.Token == in.GrantToken {
						k, idx = cand, i
						return store.ErrStop
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if k != nil {
				r.AddResource(resourceTypeKey, k.arn())
			}
		}
		if idx < 0 {
			if in.GrantToken != "" && in.GrantId == "" {
				return sealbox.Errorf("InvalidGrantTokenException", "The grant token is not valid.")
			}
			return sealbox.Errorf("NotFoundException", "Grant ID %s not found", in.GrantId)
		}
		// The grant's retiring principal, and its grantee when the grant
		// allows RetireGrant, may retire it as if a grant allowed them;
		// through the one decision, so that a grant to the account
		// delegates to the account's identity policies, a session policy
		// bounds it and an explicit deny wins.
		g := k.Grants[idx]
		retirers := []string{g.retiring()}
		if slices.Contains(g.Operations, "RetireGrant") {
			retirers = append(retirers, g.grantee())
		}
		if err := s.authorizeWith(ctx, "kms:RetireGrant", k, nil, cryptoConds{}, retirers); err != nil {
			return err
		}
		if in.DryRun {
			return errDryRun()
		}
		k.Grants = append(k.Grants[:idx:idx], k.Grants[idx+1:]...)
		return saveKey(tx, k)
	})
	return &Empty{}, err
}

// RevokeGrant removes a grant on the key administrator's authority.
func (s *Service) RevokeGrant(ctx context.Context, in *RevokeGrantRequest) (*Empty, error) {
	_, err := s.update(ctx, in.KeyId, "kms:RevokeGrant", nil, func(_ store.Tx, k *keyRecord) error {
		for i, g := range k.Grants {
			if g.ID == in.GrantId {
				if in.DryRun {
					return errDryRun()
				}
				k.Grants = append(k.Grants[:i:i], k.Grants[i+1:]...)
				return nil
			}
		}
		return sealbox.Errorf("NotFoundException", "Grant ID %s not found", in.GrantId)
	})
	return &Empty{}, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken is an opaque grant token. Grants here take effect at once, so
// a token is only ever needed to name a grant to RetireGrant.
func randomToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
