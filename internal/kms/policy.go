package kms

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/store"
)

const defaultPolicyName = "default"

// defaultPolicy is the key policy AWS gives a key created without one: the
// account may do everything, through IAM policies.
func defaultPolicy(r *sealbox.Request) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:` + r.Partition + `:iam::` + r.AccountID + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// managedPolicy is the fixed policy of an AWS-managed key: use through the
// owning service by anyone in the account, metadata reads for the account.
func managedPolicy(r *sealbox.Request, service string) string {
	b, _ := json.MarshalIndent(map[string]any{
		"Version": "2012-10-17",
		"Id":      "auto-" + service + "-1",
		"Statement": []any{
			map[string]any{
				"Sid":       "Allow access through " + service + " for all principals in the account that are authorized to use " + service,
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "*"},
				"Action":    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"},
				"Resource":  "*",
				"Condition": map[string]any{"StringEquals": map[string]string{
					"kms:CallerAccount": r.AccountID,
					"kms:ViaService":    service + "." + r.Region + ".amazonaws.com",
				}},
			},
			map[string]any{
				"Sid":       "Allow direct access to key metadata to the account",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "arn:" + r.Partition + ":iam::" + r.AccountID + ":root"},
				"Action":    []string{"kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"},
				"Resource":  "*",
			},
		},
	}, "", "  ")
	return string(b)
}

// maxKeyPolicy is KMS's key policy size limit.
const maxKeyPolicy = 32 * 1024

// newKeyPolicyTags are a new key's policy (the default one for r unless
// given, and then it must be valid) and its tags (checked as TagResource
// checks them), for CreateKey and ReplicateKey.
func newKeyPolicyTags(r *sealbox.Request, policy string, tags []Tag) (string, []Tag, error) {
	if policy == "" {
		policy = defaultPolicy(r)
	} else if err := validatePolicy(policy); err != nil {
		return "", nil, err
	}
	tags, err := mergeTags(nil, tags)
	if err != nil {
		return "", nil, err
	}
	return policy, tags, nil
}

// validatePolicy checks a key policy's grammar with the policy engine.
func validatePolicy(policy string) error {
	if len(policy) > maxKeyPolicy {
		return sealbox.Errorf("LimitExceededException", "The key policy exceeds the maximum size of %d bytes.", maxKeyPolicy)
	}
	if _, err := iam.Parse(policy, iam.KindKey); err != nil {
		var pe *iam.ParseError
		if errors.As(err, &pe) {
			return sealbox.Errorf("MalformedPolicyDocumentException", "%s", pe.Message)
		}
		return err
	}
	return nil
}

// checkLockout is KMS's policy lockout safety check: unless the caller
// bypasses it, a new key policy must still let the caller change the key
// policy, so that nobody locks the key away by accident.
func (s *Service) checkLockout(ctx context.Context, keyARN, policy string, bypass bool) error {
	if bypass || s.authz == nil {
		return nil
	}
	err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "kms:PutKeyPolicy", Resource: keyARN, ResourcePolicy: policy, ResourcePolicyGates: true,
		Context: map[string][]string{"kms:calleraccount": {sealbox.MustRequest(ctx).Principal.AccountID}}})
	if err != nil {
		return sealbox.Errorf("MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
	}
	return nil
}

func checkPolicyName(name string) error {
	if name != "" && name != defaultPolicyName {
		return sealbox.Errorf("NotFoundException", "No such policy exists")
	}
	return nil
}

// GetKeyPolicy returns a key's policy (its only policy is named "default").
func (s *Service) GetKeyPolicy(ctx context.Context, in *GetKeyPolicyRequest) (*GetKeyPolicyResponse, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	k, err := s.read(ctx, in.KeyId, "kms:GetKeyPolicy", false)
	if err != nil {
		return nil, err
	}
	return &GetKeyPolicyResponse{Policy: k.Policy, PolicyName: defaultPolicyName}, nil
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, in *PutKeyPolicyRequest) (*Empty, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	pinned, invalid, err := s.pin(ctx, in.Policy)
	if err != nil {
		return nil, err
	}
	_, err = s.update(ctx, in.KeyId, "kms:PutKeyPolicy", map[string][]string{"kms:bypasspolicylockoutsafetycheck": {strconv.FormatBool(in.BypassPolicyLockoutSafetyCheck)}}, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:PutKeyPolicy"); err != nil {
			return err
		}
		if err := validatePolicy(in.Policy); err != nil {
			return err
		}
		if invalid != nil {
			return invalid
		}
		if err := s.checkLockout(ctx, k.arn(), in.Policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
			return err
		}
		k.Policy, k.PolicyPinned = in.Policy, pinned
		return nil
	})
	return &Empty{}, err
}

// ListKeyPolicies lists a key's policy names: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, in *ListKeyPoliciesRequest) (*ListKeyPoliciesResponse, error) {
	if _, err := s.read(ctx, in.KeyId, "kms:ListKeyPolicies", false); err != nil {
		return nil, err
	}
	return &ListKeyPoliciesResponse{PolicyNames: []string{defaultPolicyName}}, nil
}
