package iamapi

import "github.com/sealbox/sealbox/internal/identity"

// The request path checks every input against the model (required
// members, lengths, ranges, enums, patterns) before a handler runs. These
// are the rules of IAM that the model does not say (those STS shares are
// in package identity: UniqueTags).

// someTags refuses TagUser's and TagRole's Tags given as an empty list
// ("Tags="), which the model, whose list has no minimum, lets through:
// tagging with nothing is refused as tagging without Tags.
func someTags(tags []Tag) error {
	if len(tags) == 0 {
		var v identity.ValidationErrors
		v.Add("tags", nil, "Member must not be null")
		return v.Err()
	}
	return nil
}
