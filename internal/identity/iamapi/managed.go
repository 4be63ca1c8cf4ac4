package iamapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// mustPolicy resolves a policy ARN or answers NoSuchEntity with notFound.
func (s *Service) mustPolicy(tx store.Tx, arn string, notFound func(string) error) (*identity.PolicyRecord, error) {
	p, err := s.ids.FindPolicy(tx, arn)
	if identity.IsNotFound(err) {
		return nil, notFound(arn)
	}
	return p, err
}

// awsReadOnly refuses changes to AWS managed policies, as AWS does.
func (s *Service) awsReadOnly(ctx context.Context, p *identity.PolicyRecord, action string) error {
	if !p.AWSManaged() {
		return nil
	}
	return identity.AccessDenied("User: %s is not authorized to perform: %s on resource: policy %s", request(ctx).Principal.ARN, action, p.ARN(s.account))
}

func (s *Service) policyOut(p *identity.PolicyRecord, full bool) Policy {
	out := Policy{
		PolicyName:                    p.Name,
		PolicyId:                      p.ID,
		Arn:                           p.ARN(s.account),
		Path:                          p.Path,
		DefaultVersionId:              p.Default,
		AttachmentCount:               int32(p.Attachments),
		IsAttachable:                  true,
		PermissionsBoundaryUsageCount: int32(p.BoundaryUses),
		CreateDate:                    sealbox.At(p.Created),
		UpdateDate:                    sealbox.At(p.Updated),
	}
	if full {
		out.Description = p.Description
		out.Tags = tagsOut(p.Tags)
	}
	return out
}

func versionOut(p *identity.PolicyRecord, v *identity.PolicyVersionRecord, withDoc bool) PolicyVersion {
	out := PolicyVersion{VersionId: v.ID, IsDefaultVersion: v.ID == p.Default, CreateDate: sealbox.At(v.Created)}
	if withDoc {
		out.Document = encodeDocument(v.Document)
	}
	return out
}

// checkManagedDocument checks a managed policy document: quota, grammar.
func (s *Service) checkManagedDocument(doc string) error {
	if identity.CompactLen(doc) > maxManagedPolicyLen {
		return errQuota("PolicySize", maxManagedPolicyLen)
	}
	return identity.ValidateDocument(s.checker, doc, identity.IdentityPolicy)
}

// authorizePolicy asks about action on the policy arn names, before and
// outside the operation's transaction.
func (s *Service) authorizePolicy(ctx context.Context, action, arn string) error {
	if s.authz == nil {
		return nil
	}
	return s.authorize(ctx, action, arn)
}

// CreatePolicy creates a customer managed policy, version v1. Names are
// unique in the account regardless of path and case.
func (s *Service) CreatePolicy(ctx context.Context, in *CreatePolicyRequest) (*CreatePolicyResponse, error) {
	if err := identity.UniqueTags(tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	if err := s.checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	t := s.ids.Now()
	p := &identity.PolicyRecord{
		Name:        in.PolicyName,
		ID:          identity.UniqueID("ANPA"),
		Path:        defaultPath(in.Path),
		Partition:   partition(request(ctx)),
		Description: in.Description,
		Created:     t,
		Updated:     t,
		Tags:        tagsIn(in.Tags),
		Default:     "v1",
		NextVersion: 2,
		Versions:    []identity.PolicyVersionRecord{{ID: "v1", Document: in.PolicyDocument, Created: t}},
	}
	if err := s.authorizePolicy(ctx, "iam:CreatePolicy", p.ARN(s.account)); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(identity.PolicyKey(p.Name)); err == nil {
			return sealbox.Errorf("EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", p.Name)
		} else if !identity.IsNotFound(err) {
			return err
		}
		return identity.SavePolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	request(ctx).AddResource("AWS::IAM::Policy", p.ARN(s.account))
	out := s.policyOut(p, true)
	return &CreatePolicyResponse{Policy: &out}, nil
}

// GetPolicy returns a managed policy's metadata (its document is in
// GetPolicyVersion).
func (s *Service) GetPolicy(ctx context.Context, in *GetPolicyRequest) (*GetPolicyResponse, error) {
	if err := s.authorizePolicy(ctx, "iam:GetPolicy", in.PolicyArn); err != nil {
		return nil, err
	}
	var p *identity.PolicyRecord
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		p, err = s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := s.policyOut(p, true)
	return &GetPolicyResponse{Policy: &out}, nil
}

// GetPolicyVersion returns one version of a managed policy with its
// document, percent-encoded.
func (s *Service) GetPolicyVersion(ctx context.Context, in *GetPolicyVersionRequest) (*GetPolicyVersionResponse, error) {
	if err := s.authorizePolicy(ctx, "iam:GetPolicyVersion", in.PolicyArn); err != nil {
		return nil, err
	}
	var out PolicyVersion
	err := s.store.View(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		v := p.Version(in.VersionId)
		if v == nil {
			return errPolicyVersionNotFound(p.ARN(s.account), in.VersionId)
		}
		out = versionOut(p, v, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &GetPolicyVersionResponse{PolicyVersion: &out}, nil
}

// CreatePolicyVersion adds a version to a managed policy, the default one
// with SetAsDefault. A policy has at most five versions.
func (s *Service) CreatePolicyVersion(ctx context.Context, in *CreatePolicyVersionRequest) (*CreatePolicyVersionResponse, error) {
	if err := s.checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := s.authorizePolicy(ctx, "iam:CreatePolicyVersion", in.PolicyArn); err != nil {
		return nil, err
	}
	var out PolicyVersion
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		if err := s.awsReadOnly(ctx, p, "iam:CreatePolicyVersion"); err != nil {
			return err
		}
		if len(p.Versions) >= maxPolicyVersions {
			return errLimit("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		t := s.ids.Now()
		v := identity.PolicyVersionRecord{ID: "v" + strconv.Itoa(p.NextVersion), Document: in.PolicyDocument, Created: t}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		if in.SetAsDefault {
			p.Default = v.ID
			p.Updated = t
		}
		out = versionOut(p, &v, false)
		request(ctx).AddResource("AWS::IAM::Policy", p.ARN(s.account))
		return identity.SavePolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &CreatePolicyVersionResponse{PolicyVersion: &out}, nil
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, in *DeletePolicyVersionRequest) (*Empty, error) {
	if err := s.authorizePolicy(ctx, "iam:DeletePolicyVersion", in.PolicyArn); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		if err := s.awsReadOnly(ctx, p, "iam:DeletePolicyVersion"); err != nil {
			return err
		}
		if p.Version(in.VersionId) == nil {
			return errPolicyVersionNotFound(p.ARN(s.account), in.VersionId)
		}
		if in.VersionId == p.Default {
			return errDeleteConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = slices.DeleteFunc(p.Versions, func(v identity.PolicyVersionRecord) bool { return v.ID == in.VersionId })
		request(ctx).AddResource("AWS::IAM::Policy", p.ARN(s.account))
		return identity.SavePolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// SetDefaultPolicyVersion makes a version the one that applies.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, in *SetDefaultPolicyVersionRequest) (*Empty, error) {
	if err := s.authorizePolicy(ctx, "iam:SetDefaultPolicyVersion", in.PolicyArn); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		if err := s.awsReadOnly(ctx, p, "iam:SetDefaultPolicyVersion"); err != nil {
			return err
		}
		if p.Version(in.VersionId) == nil {
			return errPolicyVersionNotFound(p.ARN(s.account), in.VersionId)
		}
		if p.Default == in.VersionId {
			return nil
		}
		p.Default = in.VersionId
		p.Updated = s.ids.Now()
		request(ctx).AddResource("AWS::IAM::Policy", p.ARN(s.account))
		return identity.SavePolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// versionKey orders version ids by number for paging (v10 after v9).
func versionKey(v PolicyVersion) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(v.VersionId, "v"))
	return fmt.Sprintf("%010d", n)
}

// ListPolicyVersions lists a policy's versions, oldest first, without
// documents.
func (s *Service) ListPolicyVersions(ctx context.Context, in *ListPolicyVersionsRequest) (*ListPolicyVersionsResponse, error) {
	if err := s.authorizePolicy(ctx, "iam:ListPolicyVersions", in.PolicyArn); err != nil {
		return nil, err
	}
	out := &ListPolicyVersionsResponse{}
	err := s.store.View(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		all := make([]PolicyVersion, 0, len(p.Versions))
		for i := range p.Versions {
			all = append(all, versionOut(p, &p.Versions[i], false))
		}
		slices.SortFunc(all, func(a, b PolicyVersion) int { return strings.Compare(versionKey(a), versionKey(b)) })
		out.Versions, out.Marker, out.IsTruncated = page(all, versionKey, in.Marker, int(in.MaxItems))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListPolicies lists managed policies: Scope Local (the account's), AWS
// (the AWS managed policies served) or All (the default); OnlyAttached
// keeps those attached to a user, group or role.
func (s *Service) ListPolicies(ctx context.Context, in *ListPoliciesRequest) (*ListPoliciesResponse, error) {
	if err := s.authorize(ctx, "iam:ListPolicies", "*"); err != nil {
		return nil, err
	}
	scope := in.Scope
	if scope == "" {
		scope = "All"
	}
	type item struct {
		key string
		p   *identity.PolicyRecord
	}
	var all []item
	keep := func(p *identity.PolicyRecord) bool {
		if !strings.HasPrefix(p.Path, in.PathPrefix) {
			return false
		}
		if in.OnlyAttached && p.Attachments == 0 && p.BoundaryUses == 0 {
			return false
		}
		switch in.PolicyUsageFilter {
		case "PermissionsBoundary":
			return p.BoundaryUses > 0
		case "PermissionsPolicy":
			return p.Attachments > 0 || p.BoundaryUses == 0
		}
		return true
	}
	err := s.store.View(ctx, func(tx store.Tx) error {
		if scope != "Local" {
			for _, arn := range identity.AWSManagedARNs(partition(request(ctx))) {
				p, err := s.ids.FindPolicy(tx, arn)
				if err != nil {
					return err
				}
				if keep(p) {
					all = append(all, item{"aws/" + p.Name, p})
				}
			}
		}
		if scope == "AWS" {
			return nil
		}
		return tx.Scan("iam/policy/", "", func(key string, v []byte) error {
			var p identity.PolicyRecord
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if keep(&p) {
				all = append(all, item{"local/" + strings.TrimPrefix(key, "iam/policy/"), &p})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	items, marker, more := page(all, func(it item) string { return it.key }, in.Marker, int(in.MaxItems))
	out := &ListPoliciesResponse{Policies: []Policy{}, IsTruncated: more, Marker: marker}
	for _, it := range items {
		out.Policies = append(out.Policies, s.policyOut(it.p, false))
	}
	return out, nil
}

// DeletePolicy deletes a customer managed policy that is attached to
// nothing and has no versions besides the default, as AWS requires.
func (s *Service) DeletePolicy(ctx context.Context, in *DeletePolicyRequest) (*Empty, error) {
	if err := s.authorizePolicy(ctx, "iam:DeletePolicy", in.PolicyArn); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		if err := s.awsReadOnly(ctx, p, "iam:DeletePolicy"); err != nil {
			return err
		}
		if p.Attachments > 0 || p.BoundaryUses > 0 {
			return errDeleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return errDeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		request(ctx).AddResource("AWS::IAM::Policy", p.ARN(s.account))
		return tx.Delete(identity.PolicyKey(p.Name))
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (s *Service) attach(ctx context.Context, kind identity.EntityKind, name, arn string) error {
	if err := s.authorizeOn(ctx, "iam:Attach"+kind.Title()+"Policy", kind, name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		p, err := s.mustPolicy(tx, arn, errPolicyNotAttachable)
		if err != nil {
			return err
		}
		canonical := p.ARN(s.account)
		if e.IsAttached(canonical) {
			return nil
		}
		if len(e.Attached) >= maxAttached {
			return errQuota(kind.AttachedQuota(), maxAttached)
		}
		e.Attached = append(slices.Clip(e.Attached), canonical)
		p.Attachments++
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		request(ctx).AddResource("AWS::IAM::Policy", canonical)
		if err := identity.SaveEntity(tx, e); err != nil {
			return err
		}
		return identity.SavePolicy(tx, p)
	})
}

func (s *Service) detach(ctx context.Context, kind identity.EntityKind, name, arn string) error {
	if err := s.authorizeOn(ctx, "iam:Detach"+kind.Title()+"Policy", kind, name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		p, err := s.mustPolicy(tx, arn, errPolicyNotFound)
		if err != nil {
			return err
		}
		canonical := p.ARN(s.account)
		if !e.IsAttached(canonical) {
			return errPolicyNotFound(arn)
		}
		e.Attached = slices.DeleteFunc(slices.Clone(e.Attached), func(a string) bool { return a == canonical })
		if p.Attachments > 0 {
			p.Attachments--
		}
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		request(ctx).AddResource("AWS::IAM::Policy", canonical)
		if err := identity.SaveEntity(tx, e); err != nil {
			return err
		}
		return identity.SavePolicy(tx, p)
	})
}

func (s *Service) listAttached(ctx context.Context, kind identity.EntityKind, name, pathPrefix, marker string, maxItems int) (*ListAttachedUserPoliciesResponse, error) {
	if err := s.authorizeOn(ctx, "iam:ListAttached"+kind.Title()+"Policies", kind, name); err != nil {
		return nil, err
	}
	out := &ListAttachedUserPoliciesResponse{AttachedPolicies: []AttachedPolicy{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		var all []AttachedPolicy
		for _, arn := range e.Attached {
			p, err := s.ids.FindPolicy(tx, arn)
			if identity.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if strings.HasPrefix(p.Path, pathPrefix) {
				all = append(all, AttachedPolicy{PolicyName: p.Name, PolicyArn: arn})
			}
		}
		slices.SortFunc(all, func(a, b AttachedPolicy) int { return strings.Compare(a.PolicyArn, b.PolicyArn) })
		list, next, more := page(all, func(a AttachedPolicy) string { return a.PolicyArn }, marker, maxItems)
		out.AttachedPolicies = append(out.AttachedPolicies, list...)
		out.Marker, out.IsTruncated = next, more
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AttachUserPolicy attaches a managed policy to a user (at most 10).
func (s *Service) AttachUserPolicy(ctx context.Context, in *AttachUserPolicyRequest) (*Empty, error) {
	if err := s.attach(ctx, identity.KindUser, in.UserName, in.PolicyArn); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AttachRolePolicy attaches a managed policy to a role (at most 10).
func (s *Service) AttachRolePolicy(ctx context.Context, in *AttachRolePolicyRequest) (*Empty, error) {
	if err := s.attach(ctx, identity.KindRole, in.RoleName, in.PolicyArn); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AttachGroupPolicy attaches a managed policy to a group (at most 10).
func (s *Service) AttachGroupPolicy(ctx context.Context, in *AttachGroupPolicyRequest) (*Empty, error) {
	if err := s.attach(ctx, identity.KindGroup, in.GroupName, in.PolicyArn); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, in *DetachUserPolicyRequest) (*Empty, error) {
	if err := s.detach(ctx, identity.KindUser, in.UserName, in.PolicyArn); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, in *DetachRolePolicyRequest) (*Empty, error) {
	if err := s.detach(ctx, identity.KindRole, in.RoleName, in.PolicyArn); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, in *DetachGroupPolicyRequest) (*Empty, error) {
	if err := s.detach(ctx, identity.KindGroup, in.GroupName, in.PolicyArn); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, in *ListAttachedUserPoliciesRequest) (*ListAttachedUserPoliciesResponse, error) {
	return s.listAttached(ctx, identity.KindUser, in.UserName, in.PathPrefix, in.Marker, int(in.MaxItems))
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, in *ListAttachedRolePoliciesRequest) (*ListAttachedRolePoliciesResponse, error) {
	out, err := s.listAttached(ctx, identity.KindRole, in.RoleName, in.PathPrefix, in.Marker, int(in.MaxItems))
	return (*ListAttachedRolePoliciesResponse)(out), err
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, in *ListAttachedGroupPoliciesRequest) (*ListAttachedGroupPoliciesResponse, error) {
	out, err := s.listAttached(ctx, identity.KindGroup, in.GroupName, in.PathPrefix, in.Marker, int(in.MaxItems))
	return (*ListAttachedGroupPoliciesResponse)(out), err
}
