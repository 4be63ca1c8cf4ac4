package kms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sealbox/sealbox"
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

// validatePolicy checks that a key policy is a JSON policy document with
// statements. The identity issue's policy engine checks its grammar fully.
func validatePolicy(policy string) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return sealbox.Errorf("MalformedPolicyDocumentException", "The key policy is not a valid JSON document: %s", jsonProblem(err))
	}
	st, ok := doc["Statement"]
	if !ok || len(st) == 0 || string(st) == "null" || string(st) == "[]" {
		return sealbox.Errorf("MalformedPolicyDocumentException", "Policy contains a statement with no statement.")
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
func (s *Service) GetKeyPolicy(ctx context.Context, in *GetKeyPolicyInput) (*GetKeyPolicyOutput, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	k, err := s.read(ctx, in.KeyId, "kms:GetKeyPolicy", false)
	if err != nil {
		return nil, err
	}
	return &GetKeyPolicyOutput{Policy: k.Policy, PolicyName: defaultPolicyName}, nil
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, in *PutKeyPolicyInput) (*Empty, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := validatePolicy(in.Policy); err != nil {
		return nil, err
	}
	_, err := s.update(ctx, in.KeyId, "kms:PutKeyPolicy", map[string][]string{"kms:bypasspolicylockoutsafetycheck": {strconv.FormatBool(in.BypassPolicyLockoutSafetyCheck)}}, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:PutKeyPolicy"); err != nil {
			return err
		}
		k.Policy = in.Policy
		return nil
	})
	return &Empty{}, err
}

// ListKeyPolicies lists a key's policy names: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, in *ListKeyPoliciesInput) (*ListKeyPoliciesOutput, error) {
	if _, err := s.read(ctx, in.KeyId, "kms:ListKeyPolicies", false); err != nil {
		return nil, err
	}
	return &ListKeyPoliciesOutput{PolicyNames: []string{defaultPolicyName}}, nil
}

// jsonProblem says where a JSON document broke, without echoing it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	}
	return "it must be a JSON object"
}
