// Package secrets serves the AWS Secrets Manager API (secretsmanager) over
// sealbox's store: secrets of up to 64 KiB with versions and staging labels
// (AWSCURRENT, AWSPREVIOUS, AWSPENDING), tags, resource policies, scheduled
// deletion with a recovery window, random passwords (secrets/password),
// rotation (rotate.go; the engine is secrets/rotation), replication to other
// Regions (replicate.go) and validation rules (validation.go; the validator
// is secrets/schema).
//
// Every version is sealed by envelope encryption, as AWS does it: a fresh
// AES-256 data key from KMS GenerateDataKey under the secret's key (the
// AWS-managed alias/aws/secretsmanager unless the secret names another),
// called on the caller's behalf (kms:ViaService =
// secretsmanager.<region>.amazonaws.com) with the encryption context
// {"SecretARN": <arn>, "SecretVersionId": <version id>}; the value is
// sealed with the plaintext data key by internal/envelope (AAD = the ARN and
// the version id) and the data key is forgotten; the encrypted data key is
// stored beside the sealed value. Reading asks KMS Decrypt for the data key,
// again on the caller's behalf, and opens the value. Plaintext values and
// data keys live only for the request that needs them.
//
// The package never parses HTTP (awsapi does), never touches key material
// (the keyring does) and reaches AES-GCM only through internal/envelope.
//
// # Storage
//
// A secret is one record keyed by region and name
// ("sm/<region>/secret/<name>") holding its metadata, tags, resource policy
// and the list of its versions with their staging labels; each version's
// sealed value is a record of its own ("sm/<region>/value/<name>:<version
// id>", ':' being a character no secret name may hold). Secrets scheduled
// for deletion are indexed by their deletion date under "sm/_due/", so the
// sweeper (RunDue) reads only what is due; rotations due are indexed the
// same way under "sm/_rot/" (rotation.DueKey). A replica is a secret record
// of the replica's Region, marked with its primary's Region, with value
// records of its own (replicate.go).
package secrets

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/accessquery"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/envelope"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/secrets/rotation/postgres"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/dueindex"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// KMS is what the service needs of the KMS service: the calls the
// envelope makes on the caller's behalf, with kms:ViaService =
// secretsmanager.<region>.amazonaws.com.
type KMS = envelope.KMS

// Service serves the Secrets Manager operations. Safe for concurrent use.
type Service struct {
	store store.Store
	env   *envelope.Envelope // seals values with KMS data keys, on the caller's behalf
	clock clock.Clock
	authz sealbox.Authorizer
	cache *recordcache.Cache // nil without a change feed: caches nothing

	rotation   *rotation.Engine
	recorder   sealbox.Recorder // nil: a batch's reads are not recorded one by one
	principals PrincipalPinner  // nil: resource policies are evaluated as written
}

// PrincipalPinner gives the form of a resource policy that is evaluated:
// the IAM users and roles it names pinned to their unique ids, so that one
// deleted and made again under the same name is not the one the policy
// names, as in AWS ("" when it names none). identity.Store is one.
type PrincipalPinner interface {
	PinPrincipals(ctx context.Context, doc string) (string, error)
}

// Config configures a Service.
type Config struct {
	Store      store.Store
	KMS        KMS
	Clock      clock.Clock        // nil: the real clock
	Authorizer sealbox.Authorizer // nil: allow every authenticated caller
	// Feed, when set, lets the read path cache decoded secret records and
	// sealed values: the feed tells the service the moment a record
	// changes. Plaintext values are never cached.
	Feed store.Feed
	// RotationTargets resolves the RotationLambdaARN of a secret to the
	// rotator the operator registered for it (nil: only the built-in
	// rotators).
	RotationTargets rotation.Targets
	// Notifier records each rotation step and its outcome (the audit
	// trail). nil records nothing.
	Notifier rotation.Notifier
	// Recorder records the GetSecretValue event of each secret a
	// BatchGetSecretValue reads, as AWS does. nil records nothing.
	Recorder sealbox.Recorder
	// Principals pins the users and roles a resource policy names to their
	// unique ids when it is put (nil: it is evaluated as written).
	Principals PrincipalPinner
}

// New returns a Service.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	s := &Service{store: c.Store, env: envelope.New(c.KMS, defaultKeyAlias), clock: c.Clock, authz: c.Authorizer, recorder: c.Recorder, principals: c.Principals}
	f := forRotation{s}
	s.rotation = rotation.New(rotation.Config{Store: c.Store, Secrets: f, Clock: c.Clock, Targets: c.RotationTargets, Notifier: c.Notifier,
		BuiltIns: map[string]rotation.Rotator{
			rotation.BuiltInPasswordRotator: rotation.Password{Secrets: f},
			postgres.SingleUser:             postgres.New(f, false),
			postgres.MultiUser:              postgres.New(f, true),
		}})
	if c.Feed != nil {
		s.cache = recordcache.New(c.Feed, "sm/")
	}
	return s
}

// Staging labels and the other constants of Secrets Manager.
const (
	StageCurrent  = rotation.StageCurrent
	StagePrevious = rotation.StagePrevious
	StagePending  = rotation.StagePending

	defaultKeyAlias = "alias/aws/secretsmanager"
	resourceType    = "AWS::SecretsManager::Secret"

	// Encryption context names, as AWS's Secrets Manager sends them to KMS.
	contextARN     = "SecretARN"
	contextVersion = "SecretVersionId"

	maxValue = 65536
	maxTags  = 50
	// keepVersions is how many of the most recent versions a secret keeps
	// at least; older versions without a staging label go, unless they
	// were created in the last keepYoung (PutSecretValue's documentation).
	keepVersions = 100
	keepYoung    = 24 * time.Hour

	defaultRecoveryDays = 30
)

// versionMeta is one version of a secret: everything but its value.
type versionMeta struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Stages  []string  `json:"stages,omitempty"`
	KeyARN  string    `json:"keyArn"`
	Binary  bool      `json:"binary,omitempty"`
	// DefaultKey marks a version under the AWS-managed key, which
	// ListSecretVersionIds names "DefaultEncryptionKey".
	DefaultKey bool      `json:"defaultKey,omitempty"`
	Accessed   time.Time `json:"accessed,omitzero"` // the day it was last read
}

// secretRecord is a secret's stored metadata and the list of its versions,
// oldest first.
type secretRecord struct {
	Name        string    `json:"name"`
	ARN         string    `json:"arn"`
	Region      string    `json:"region"`
	Partition   string    `json:"partition"`
	Account     string    `json:"account"`
	Description string    `json:"description,omitempty"`
	KmsKeyID    string    `json:"kmsKeyId,omitempty"` // as the caller named it; "" is alias/aws/secretsmanager
	Type        string    `json:"type,omitempty"`
	Created     time.Time `json:"created"`
	Changed     time.Time `json:"changed"`
	Accessed    time.Time `json:"accessed,omitzero"`
	Deletion    time.Time `json:"deletion,omitzero"` // when a scheduled deletion falls due
	Tags        []Tag     `json:"tags,omitempty"`
	Policy      string    `json:"policy,omitempty"`
	// PolicyPinned is Policy as it is evaluated (PrincipalPinner); "" when
	// it names no user or role, or was put before pinning.
	PolicyPinned string          `json:"policyPinned,omitempty"`
	Versions     []versionMeta   `json:"versions,omitempty"`
	Rotation     *rotation.State `json:"rotation,omitempty"`
	// Replicas are a primary's replicas in other Regions (replicate.go).
	Replicas []replicaState `json:"replicas,omitempty"`
	// PrimaryRegion is set on a replica: the Region of its primary.
	PrimaryRegion string `json:"primaryRegion,omitempty"`

	// shared is what Share derived for the record cache's readers; nil
	// for a record read otherwise (hot.go).
	shared *secretShared
}

// valueRecord is one version's sealed value and its encrypted data key.
type valueRecord struct {
	Sealed  []byte `json:"sealed"`
	DataKey []byte `json:"dataKey"` // a KMS ciphertext blob
}

func (s *secretRecord) deleted() bool { return !s.Deletion.IsZero() }

// Store keys.
func secretPrefix(region string) string       { return "sm/" + region + "/secret/" }
func secretKey(region, name string) string    { return secretPrefix(region) + name }
func valuePrefix(region, name string) string  { return "sm/" + region + "/value/" + name + ":" }
func valueKey(region, name, id string) string { return valuePrefix(region, name) + id }

// deletions indexes the secrets scheduled for deletion by the end of their
// recovery window ("_" is in no region name).
const deletions = dueindex.Index("sm/_due/")

func dueKey(at time.Time, region, name string) string { return deletions.Key(at, region, name) }

// secretARN is arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<suffix>.
func secretARN(r *sealbox.Request, name, suffix string) string {
	return partialARN(r, name) + "-" + suffix
}

// partialARN is a secret's ARN without its random suffix.
func partialARN(r *sealbox.Request, name string) string {
	return "arn:" + r.Partition + ":secretsmanager:" + r.Region + ":" + r.AccountID + ":secret:" + name
}

// viaSecretsManager returns a context whose Request is a copy of the
// caller's with ViaService set: KMS authorizes the same caller, with
// kms:ViaService = secretsmanager.<region>.amazonaws.com, as it does when
// Secrets Manager calls it.
func viaSecretsManager(ctx context.Context) context.Context {
	return sealbox.MustRequest(ctx).ViaContext(ctx, "secretsmanager")
}

// view runs fn in a read transaction whose reads may use the cache of
// decoded secret records and sealed values (never plaintexts).
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.cache.View(ctx, s.store, fn)
}

func save(tx store.Tx, sec *secretRecord) error {
	return store.PutJSON(tx, secretKey(sec.Region, sec.Name), sec)
}

// authorize asks the authorizer whether the caller may perform action
// (without its "secretsmanager:" prefix) on the secret sec, or on resource
// when sec is nil (a secret that does not exist, or "*"). sec adds its
// resource policy and its tags (aws:ResourceTag/<key> and
// secretsmanager:ResourceTag/<key>); extra adds the operation's keys.
func (s *Service) authorize(ctx context.Context, action, resource string, sec *secretRecord, extra map[string][]string) error {
	if s.authz == nil {
		return nil
	}
	b := accessquery.Get()
	defer b.Put()
	cond := b.Cond
	for k, v := range extra {
		cond[k] = v
	}
	b.Q = sealbox.AccessQuery{Action: iamAction(action), Resource: resource, Context: cond}
	q := &b.Q
	if sec != nil {
		q.Resource, q.ResourcePolicy = sec.ARN, sec.Policy
		if sec.PolicyPinned != "" {
			q.ResourcePolicy = sec.PolicyPinned
		}
		if sh := sec.shared; sh != nil {
			cond["secretsmanager:secretid"] = sh.secretID
			maps.Copy(cond, sh.tags)
		} else {
			cond["secretsmanager:secretid"] = []string{sec.ARN}
			for _, t := range sec.Tags {
				sealbox.SetResourceTag(cond, "secretsmanager", t.Key, t.Value)
			}
		}
	}
	return s.authz.Authorize(ctx, q)
}

// Errors, worded as AWS words them.

// errNotFound is the answer for a secret that does not exist, worded as AWS
// words it (LocalStack's snapshot-tested SecretNotFoundException).
func errNotFound() error {
	return sealbox.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// errMarkedForDeletion is every operation's answer on a secret scheduled
// for deletion but RestoreSecret's and DescribeSecret's.
func errMarkedForDeletion() error {
	return sealbox.Errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

func errInvalidParameter(format string, args ...any) error {
	return sealbox.Errorf("InvalidParameterException", format, args...)
}

func errInvalidRequest(format string, args ...any) error {
	return sealbox.Errorf("InvalidRequestException", format, args...)
}

func errInvalidToken() error {
	return sealbox.Errorf("InvalidNextTokenException", "The NextToken value is invalid.")
}

// kmsError words an error KMS returned to Secrets Manager as Secrets
// Manager passes it on: a denial is AccessDeniedException "Access to KMS is
// not allowed"; any other refusal is EncryptionFailure (writing) or
// DecryptionFailure (reading), in the words of the model.
func kmsError(err error, writing bool) error {
	e, ok := sealbox.AsError(err)
	if !ok {
		return err
	}
	switch {
	case e.Server:
		return &sealbox.Error{Code: "InternalServiceError", Message: "An error occurred on the server side.", Server: true}
	case e.Code == "AccessDeniedException":
		return sealbox.Errorf("AccessDeniedException", "Access to KMS is not allowed")
	case writing:
		return sealbox.Errorf("EncryptionFailure", "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state. (%s)", e.Message)
	default:
		return sealbox.Errorf("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key. (%s)", e.Message)
	}
}

// isNotFound reports whether err is the store's ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// RecordKey is the store key of the secret name's record in region, which
// every new value and staging label change rewrites (the Lambda runner
// drops environments that resolved it).
func RecordKey(region, name string) string { return secretKey(region, name) }
