package identity

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The request path checks every input against the model (required
// members, lengths, ranges, enums, patterns) before a handler runs. These
// are the rules of IAM and STS that the model does not say.

// uniqueTags answers InvalidInput when two tags share a key, compared
// regardless of case, as IAM does.
func uniqueTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return errInvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// someTags refuses TagUser's and TagRole's Tags given as an empty list
// ("Tags="), which the model, whose list has no minimum, lets through:
// tagging with nothing is refused as tagging without Tags.
func someTags(tags []Tag) error {
	if len(tags) == 0 {
		var v validationErrors
		v.add("tags", nil, "Member must not be null")
		return v.err()
	}
	return nil
}

// sessionPolicyLimits bounds AssumeRole's session policies as STS does and
// its model does not: an inline Policy of at most maxSessionPolicyLen
// characters and at most maxSessionPolicyArn managed PolicyArns.
func sessionPolicyLimits(in *AssumeRoleRequest) error {
	var v validationErrors
	if utf8.RuneCountInString(in.Policy) > maxSessionPolicyLen {
		v.add("policy", &in.Policy, "Member must have length less than or equal to "+strconv.Itoa(maxSessionPolicyLen))
	}
	if len(in.PolicyArns) > maxSessionPolicyArn {
		v.add("policyArns", nil, "Member must have length less than or equal to "+strconv.Itoa(maxSessionPolicyArn))
	}
	return v.err()
}
