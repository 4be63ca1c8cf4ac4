package identity

import (
	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

func errNoSuchUser(name string) error {
	return sealbox.Errorf("NoSuchEntity", "The user with name %s cannot be found.", name)
}

func errNoSuchEntity(kind entityKind, name string) error {
	return sealbox.Errorf("NoSuchEntity", "The %s with name %s cannot be found.", kind, name)
}

func errNoSuchInline(kind entityKind, policy string) error {
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

func errAlreadyExists(kind entityKind, name string) error {
	return sealbox.Errorf("EntityAlreadyExists", "%s with name %s already exists.", kind.title(), name)
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
func mustEntity(tx store.Tx, kind entityKind, name string) (*entity, error) {
	e, err := loadEntity(tx, kind, name)
	if isNotFound(err) {
		return nil, errNoSuchEntity(kind, name)
	}
	return e, err
}
