package iamapi

import (
	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

func errNoSuchUser(name string) error {
	return sealbox.Errorf("NoSuchEntity", "The user with name %s cannot be found.", name)
}

func errNoSuchEntity(kind identity.EntityKind, name string) error {
	return sealbox.Errorf("NoSuchEntity", "The %s with name %s cannot be found.", kind, name)
}

func errNoSuchInline(kind identity.EntityKind, policy string) error {
	return sealbox.Errorf("NoSuchEntity", "The %s policy with name %s cannot be found.", kind, policy)
}

func errNoSuchAccessKey(id string) error {
	return sealbox.Errorf("NoSuchEntity", "The Access Key with id %s cannot be found.", id)
}

func errPolicyNotFound(arn string) error {
	return sealbox.Errorf("NoSuchEntity", "Policy %s was not found.", arn)
}

func errPolicyNotAttachable(arn string) error {
	return sealbox.Errorf("NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
}

func errPolicyVersionNotFound(arn, version string) error {
	return sealbox.Errorf("NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", arn, version)
}

func errAlreadyExists(kind identity.EntityKind, name string) error {
	return sealbox.Errorf("EntityAlreadyExists", "%s with name %s already exists.", kind.Title(), name)
}

func errDeleteConflict(msg string) error {
	return &sealbox.Error{Code: "DeleteConflict", Message: msg}
}

func errQuota(quota string, n int) error {
	return sealbox.Errorf("LimitExceeded", "Cannot exceed quota for %s: %d", quota, n)
}

func errLimit(format string, args ...any) error {
	return sealbox.Errorf("LimitExceeded", format, args...)
}

// mustEntity loads the entity or answers NoSuchEntity in AWS's words.
func mustEntity(tx store.Tx, kind identity.EntityKind, name string) (*identity.Entity, error) {
	e, err := identity.LoadEntity(tx, kind, name)
	if identity.IsNotFound(err) {
		return nil, errNoSuchEntity(kind, name)
	}
	return e, err
}

// AWS's default quotas, as its LimitExceeded messages name them.
const (
	maxAttached         = 10
	maxGroupsPerUser    = 10
	maxPolicyVersions   = 5
	maxManagedPolicyLen = 6144 // characters, whitespace excluded
	maxTrustPolicyLen   = 2048
)
