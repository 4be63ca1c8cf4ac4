// Package kms serves the AWS KMS API (TrentService) over sealbox's store and
// keyring: keys and their states, aliases, tags, key policies, rotation,
// scheduled deletion, and the symmetric cryptographic operations. It never
// sees raw key material (the keyring does) and never parses HTTP (awsapi
// does).
package kms

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/accessquery"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// Keyring is what the service needs of the key-material holder.
type Keyring interface {
	Create(tx store.Tx, region, keyID string) (materialID string, err error)
	CreateSpec(tx store.Tx, region, keyID, spec string) (materialID string, err error)
	Delete(tx store.Tx, region, keyID string) error
	Replicate(tx store.Tx, from, to, keyID string, materialIDs ...string) error
	Encrypt(tx store.Tx, region, keyID, materialID string, plaintext []byte, ec map[string]string) ([]byte, error)
	Decrypt(tx store.Tx, region string, blob []byte, ec map[string]string) ([]byte, error)
	// DecryptAs is Decrypt for a blob whose header the caller read.
	DecryptAs(tx store.Tx, region string, h keyring.Header, blob []byte, ec map[string]string) ([]byte, error)
	AsymmetricKeyring
	ImportKeyring
}

// Service serves the KMS operations. Safe for concurrent use.
type Service struct {
	store store.Store
	ring  Keyring
	clock clock.Clock
	authz sealbox.Authorizer
	cache *recordcache.Cache // nil without a change feed
	usage usageLog           // uses noted for GetKeyLastUsage (lastusage.go)
	rec   sealbox.Recorder   // nil: no events in other Regions (multiregion.go)
	// notify receives what KMS does to keys on its own; nil drops it.
	notify Notifier
	// principals pins the users and roles a key policy names; nil: key
	// policies are evaluated as written.
	principals PrincipalPinner
}

// PrincipalPinner gives the form of a key policy that is evaluated: the
// IAM users and roles it names pinned to their unique ids, so that one
// deleted and made again under the same name is not the one the policy
// names, as in AWS ("" when it names none). identity.Store is one.
// PinPrincipal does the same for a grant's grantee or retiring principal:
// the unique id it is bound to ("" for what is not a user or role).
type PrincipalPinner interface {
	PinPrincipals(ctx context.Context, doc string) (string, error)
	PinPrincipal(ctx context.Context, arn string) (string, error)
}

// pin is the pinned form of a key policy ("" without a pinner). invalid
// is the MalformedPolicyDocumentException AWS answers a policy naming a
// user or role of the account that does not exist: the caller returns it
// only once the request is authorized, so that whether a user exists is
// not told to one who may not set the policy.
func (s *Service) pin(ctx context.Context, policy string) (pinned string, invalid, err error) {
	if s.principals == nil {
		return "", nil, nil
	}
	pinned, err = s.principals.PinPrincipals(ctx, policy)
	var unknown *identity.UnknownPrincipalError
	if errors.As(err, &unknown) {
		return "", sealbox.Errorf("MalformedPolicyDocumentException", "%s", iam.MsgKeyPrincipals), nil
	}
	return pinned, nil, err
}

// Config configures a Service.
type Config struct {
	Store      store.Store
	Keyring    Keyring
	Clock      clock.Clock        // nil: the real clock
	Authorizer sealbox.Authorizer // nil: allow every authenticated caller
	// Feed, when set, lets the read path cache records: the feed tells the
	// service the moment a record changes, on this server or another.
	Feed store.Feed
	// Recorder, when set, takes the events a multi-Region call writes in
	// another Region than the one called (ReplicateKey's CreateKey in the
	// replica Region, UpdatePrimaryRegion's in the new primary's).
	Recorder sealbox.Recorder
	// Notifier receives the service events of RunDue; nil drops them.
	Notifier Notifier
	// Principals pins the users and roles a key policy names to their
	// unique ids when it is set (nil: it is evaluated as written).
	Principals PrincipalPinner
}

// ServiceEvent is something KMS does to a key on its own, which CloudTrail
// records as an AwsServiceEvent invoked by kms.amazonaws.com. EventName is
// CloudTrail's: DeleteExpiredKeyMaterial when imported material reaches
// its ValidTo. It names the key, never material.
type ServiceEvent struct {
	EventName                        string
	Region, AccountID, KeyID, KeyARN string
	// KeyMaterialID is the version of imported material the event is about.
	KeyMaterialID string
	Time          time.Time
}

// Notifier receives service events. An error leaves the work undone:
// RunDue tries it again, and sends the event again, on its next run.
type Notifier interface {
	Notify(ctx context.Context, e *ServiceEvent) error
}

// New returns a Service.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	s := &Service{store: c.Store, ring: c.Keyring, clock: c.Clock, authz: c.Authorizer, rec: c.Recorder, notify: c.Notifier, principals: c.Principals}
	if c.Feed != nil {
		s.cache = recordcache.New(c.Feed, "kms/")
	}
	return s
}

// Key states and the other constants of the symmetric keys served.
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"

	symmetricDefault = "SYMMETRIC_DEFAULT"
	encryptDecrypt   = "ENCRYPT_DECRYPT"
	managerCustomer  = "CUSTOMER"
	managerAWS       = "AWS"

	resourceTypeKey = "AWS::KMS::Key"
)

// keyRecord is a key's stored metadata. Its material lives in the keyring.
type keyRecord struct {
	ID            string    `json:"id"`
	Spec          string    `json:"spec,omitempty"`  // KeySpec; "" is SYMMETRIC_DEFAULT
	Usage         string    `json:"usage,omitempty"` // KeyUsage; "" is ENCRYPT_DECRYPT
	Region        string    `json:"region"`
	Partition     string    `json:"partition"`
	Account       string    `json:"account"`
	Description   string    `json:"description"`
	Created       time.Time `json:"created"`
	State         string    `json:"state"`
	Manager       string    `json:"manager"`
	DeletionDate  time.Time `json:"deletionDate,omitzero"`
	PendingWindow int       `json:"pendingWindow,omitempty"`
	Policy        string    `json:"policy"`
	// PolicyPinned is Policy as it is evaluated (PrincipalPinner); "" when
	// it names no user or role, or was set before pinning.
	PolicyPinned string `json:"policyPinned,omitempty"`
	Tags         []Tag  `json:"tags,omitempty"`

	RotationEnabled bool      `json:"rotationEnabled,omitempty"`
	RotationPeriod  int       `json:"rotationPeriod,omitempty"`
	NextRotation    time.Time `json:"nextRotation,omitzero"`
	// Materials lists the key's material versions, oldest first; the last
	// is current and encrypts.
	Materials []materialRef `json:"materials"`
	// Aliases are the names pointing at the key (kms:ResourceAliases), kept
	// here so the read path needs no alias scan.
	Aliases []string `json:"aliases,omitempty"`
	// Grants are the key's grants; they travel with the key so the read
	// path's cache serves them too.
	Grants []grantRecord `json:"grants,omitempty"`
	// Import is set for a key with imported material (Origin EXTERNAL).
	Import *importState `json:"import,omitempty"`

	multiRegion // multiregion.go

	// shared is what Share derived for the record cache's readers; nil
	// for a record read otherwise (hot.go).
	shared *keyShared
}

type materialRef struct {
	ID           string    `json:"id"`
	Created      time.Time `json:"created"`
	RotationType string    `json:"rotationType,omitempty"` // "" for the original material
}

func (k *keyRecord) arn() string {
	if k.shared != nil {
		return k.shared.arn
	}
	return "arn:" + k.Partition + ":kms:" + k.Region + ":" + k.Account + ":key/" + k.ID
}

// current is the material version that encrypts; zero for a key without
// material (PendingImport), which no cryptographic operation reaches.
func (k *keyRecord) current() materialRef {
	if len(k.Materials) == 0 {
		return materialRef{}
	}
	return k.Materials[len(k.Materials)-1]
}

func (k *keyRecord) materialIDs() []string {
	ids := make([]string, len(k.Materials))
	for i, m := range k.Materials {
		ids[i] = m.ID
	}
	return ids
}

func (k *keyRecord) hasMaterial(id string) bool {
	for _, m := range k.Materials {
		if m.ID == id {
			return true
		}
	}
	return false
}

type aliasRecord struct {
	Name    string    `json:"name"`
	KeyID   string    `json:"keyId"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

func keyStoreKey(region, id string) string     { return "kms/" + region + "/key/" + id }
func aliasStoreKey(region, name string) string { return "kms/" + region + "/alias/" + name }
func keyPrefix(region string) string           { return "kms/" + region + "/key/" }
func aliasPrefix(region string) string         { return "kms/" + region + "/alias/" }
func aliasARN(r *sealbox.Request, name string) string {
	return "arn:" + r.Partition + ":kms:" + r.Region + ":" + r.AccountID + ":" + name
}
func keyARN(r *sealbox.Request, id string) string {
	return "arn:" + r.Partition + ":kms:" + r.Region + ":" + r.AccountID + ":key/" + id
}

func loadKey(tx store.Tx, region, id string) (*keyRecord, error) {
	var k keyRecord
	if err := store.GetJSON(tx, keyStoreKey(region, id), &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// loadKey reads a key record, through the cache on the read path. The
// record returned on the read path is shared and must not be modified.
func (s *Service) loadKey(tx store.Tx, region, id string) (*keyRecord, error) {
	key := hotKeyStoreKey(region, id)
	k, err := recordcache.Get[keyRecord](tx, key)
	if err == nil && k.shared != nil {
		storeKeys.Put([2]string{region, id}, key)
	}
	return k, err
}

func saveKey(tx store.Tx, k *keyRecord) error {
	if err := syncShared(tx, k); err != nil {
		return err
	}
	return store.PutJSON(tx, keyStoreKey(k.Region, k.ID), k)
}

// Errors, worded as AWS words them.

func errNotFoundKey(r *sealbox.Request, id string) error {
	display := id
	if !strings.HasPrefix(id, "arn:") {
		display = keyARN(r, id)
	}
	return sealbox.Errorf("NotFoundException", "Key '%s' does not exist", display)
}

func errNotFoundAlias(r *sealbox.Request, name string) error {
	display := name
	if !strings.HasPrefix(name, "arn:") {
		display = aliasARN(r, name)
	}
	return sealbox.Errorf("NotFoundException", "Alias %s is not found.", display)
}

func errInvalidKeyID(id string) error {
	return sealbox.Errorf("NotFoundException", "Invalid keyId %s", id)
}

func errDisabled(k *keyRecord) error {
	return sealbox.Errorf("DisabledException", "%s is disabled.", k.arn())
}

func errPendingDeletion(k *keyRecord) error {
	return sealbox.Errorf("KMSInvalidStateException", "%s is pending deletion.", k.arn())
}

func errValidation(format string, args ...any) error {
	return sealbox.Errorf("ValidationException", format, args...)
}

var errInvalidCiphertext = &sealbox.Error{Code: "InvalidCiphertextException"}

// resolve finds the key keyID names: a key id, a key ARN, and, where
// aliases is set, an alias name or alias ARN. AWS-managed aliases
// (alias/aws/ssm …) are created on first use, as AWS does.
func (s *Service) resolve(ctx context.Context, tx store.Tx, keyID string, aliases bool) (*keyRecord, error) {
	r := sealbox.MustRequest(ctx)
	id := keyID
	if strings.HasPrefix(keyID, "arn:") {
		a, err := sealbox.ParseARN(keyID)
		if err != nil || a.Service != "kms" {
			return nil, sealbox.Errorf("InvalidArnException", "Invalid arn %s", keyID)
		}
		if a.Region != r.Region || a.AccountID != r.AccountID || a.Partition != r.Partition {
			if strings.HasPrefix(a.Resource, "alias/") {
				return nil, errNotFoundAlias(r, keyID)
			}
			return nil, errNotFoundKey(r, keyID)
		}
		switch {
		case strings.HasPrefix(a.Resource, "key/"):
			id = strings.TrimPrefix(a.Resource, "key/")
		case strings.HasPrefix(a.Resource, "alias/") && aliases:
			return s.resolveAlias(ctx, tx, a.Resource, keyID)
		case strings.HasPrefix(a.Resource, "alias/"):
			return nil, sealbox.Errorf("InvalidArnException", "Key Aliases are not supported for this operation")
		default:
			return nil, sealbox.Errorf("InvalidArnException", "Invalid arn %s", keyID)
		}
	} else if strings.HasPrefix(keyID, "alias/") {
		if !aliases {
			return nil, errInvalidKeyID(keyID)
		}
		return s.resolveAlias(ctx, tx, keyID, keyID)
	}
	if !validKeyID(strings.ToLower(id)) {
		return nil, errInvalidKeyID(keyID)
	}
	k, err := s.loadKey(tx, r.Region, strings.ToLower(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFoundKey(r, keyID)
	}
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceTypeKey, k.arn())
	return k, nil
}

func (s *Service) resolveAlias(ctx context.Context, tx store.Tx, name, display string) (*keyRecord, error) {
	r := sealbox.MustRequest(ctx)
	a, err := recordcache.Get[aliasRecord](tx, aliasStoreKey(r.Region, name))
	if errors.Is(err, store.ErrNotFound) {
		if svc, ok := managedAliases[name]; ok {
			return s.ensureManaged(ctx, tx, name, svc)
		}
		return nil, errNotFoundAlias(r, display)
	}
	if err != nil {
		return nil, err
	}
	k, err := s.loadKey(tx, r.Region, a.KeyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFoundAlias(r, display)
	}
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceTypeKey, k.arn())
	return k, nil
}

// view runs fn in a read transaction whose reads may use the cache; if fn
// must write (an AWS-managed key made on first use) it runs again in an
// Update.
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.cache.View(ctx, s.store, fn)
}

// authorize asks the authorizer whether the caller may perform action on
// k (nil for actions on no key). ec is the request's encryption context for
// cryptographic operations; extra adds operation-specific condition keys.
func (s *Service) authorize(ctx context.Context, action string, k *keyRecord, ec map[string]string, extra map[string][]string) error {
	return s.authorizeCrypto(ctx, action, k, ec, cryptoConds{extra: extra})
}

// cryptoConds are a call's own condition keys: extra, and for a
// cryptographic operation kms:EncryptionAlgorithm (alg, set: true) and
// kms:RequestAlias (alias), which need no map of their own.
type cryptoConds struct {
	extra map[string][]string
	alg   string
	set   bool // alg is given: kms:encryptionalgorithm is orDefault(alg)
	alias string
}

// authorizeCrypto is authorize with the call's condition keys in c.
func (s *Service) authorizeCrypto(ctx context.Context, action string, k *keyRecord, ec map[string]string, c cryptoConds) error {
	var grantees []string
	if k != nil {
		grantees = k.grantees(action, ec)
	}
	return s.authorizeWith(ctx, action, k, ec, c, grantees)
}

// authorizeWith is authorizeCrypto with the grantees of the grants that
// allow the call given (sealbox.AccessQuery.Grantees).
func (s *Service) authorizeWith(ctx context.Context, action string, k *keyRecord, ec map[string]string, c cryptoConds, grantees []string) error {
	if s.authz == nil {
		return nil
	}
	r := sealbox.MustRequest(ctx)
	b := accessquery.Get()
	defer b.Put()
	cond := b.Cond
	cond["kms:calleraccount"] = b.One(r.Principal.AccountID)
	if r.ViaService != "" {
		cond["kms:viaservice"] = b.One(r.ViaService)
	}
	if c.set {
		cond["kms:encryptionalgorithm"] = b.One(orDefault(c.alg))
	}
	if c.alias != "" {
		cond["kms:requestalias"] = b.One(c.alias)
	}
	for name, v := range c.extra {
		cond[name] = v
	}
	b.Q = sealbox.AccessQuery{Action: action, Resource: "*", Context: cond}
	q := &b.Q
	if k != nil {
		q.Resource, q.ResourcePolicy, q.ResourcePolicyGates = k.arn(), k.Policy, true
		if k.PolicyPinned != "" {
			q.ResourcePolicy = k.PolicyPinned
		}
		if sh := k.shared; sh != nil {
			cond["kms:keyspec"], cond["kms:keyusage"], cond["kms:keyorigin"] = sh.spec, sh.usage, sh.origin
			cond["kms:multiregion"] = sh.multiRegion
			if sh.multiRegionType != nil {
				cond["kms:multiregionkeytype"] = sh.multiRegionType
			}
			maps.Copy(cond, sh.tags)
		} else {
			cond["kms:keyspec"] = b.One(k.spec())
			cond["kms:keyusage"] = b.One(k.usage())
			cond["kms:keyorigin"] = b.One(k.origin())
			multiRegionConditions(k, cond)
			for _, t := range k.Tags {
				sealbox.SetResourceTag(cond, "", t.TagKey, t.TagValue)
			}
		}
		if len(k.Aliases) > 0 {
			cond["kms:resourcealiases"] = k.Aliases
		}
		q.Grantees = grantees
	}
	if ec != nil || isCryptoAction(action) {
		for name, v := range ec {
			cond[ecConditionKey(name)] = b.One(v)
		}
		if len(ec) > 0 {
			// The names, in one slice after the values.
			cond["kms:encryptioncontextkeys"] = b.Keys(ec)
		}
		if _, ok := cond["kms:encryptionalgorithm"]; !ok {
			cond["kms:encryptionalgorithm"] = b.One(symmetricDefault)
		}
	}
	return s.authz.Authorize(ctx, q)
}

func isCryptoAction(action string) bool {
	switch action {
	case "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext":
		return true
	}
	return false
}

// usable checks that k may encrypt or decrypt now.
func usable(k *keyRecord) error {
	switch k.State {
	case stateEnabled:
		return nil
	case stateDisabled:
		return errDisabled(k)
	case statePendingDeletion:
		return errPendingDeletion(k)
	case statePendingImport:
		return errPendingImport(k)
	default:
		return sealbox.Errorf("KMSInvalidStateException", "%s is %s.", k.arn(), k.State)
	}
}

// mutable checks that k may be changed: not pending deletion, and not an
// AWS-managed key, whose fixed policy lets nobody change it.
func mutable(ctx context.Context, k *keyRecord, action string) error {
	if k.Manager == managerAWS {
		p := sealbox.MustRequest(ctx).Principal
		return sealbox.Errorf("AccessDeniedException", "User: %s is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", p.ARN, action, k.arn(), action)
	}
	if k.State == statePendingDeletion || k.State == statePendingReplicaDeletion {
		return errPendingDeletion(k)
	}
	return nil
}

func (s *Service) metadata(k *keyRecord) *KeyMetadata {
	m := &KeyMetadata{
		AWSAccountId:          k.Account,
		KeyId:                 k.ID,
		Arn:                   k.arn(),
		CreationDate:          sealbox.At(k.Created),
		Enabled:               k.State == stateEnabled,
		Description:           k.Description,
		KeyUsage:              k.usage(),
		KeyState:              k.State,
		Origin:                "AWS_KMS",
		KeyManager:            k.Manager,
		CustomerMasterKeySpec: customerMasterKeySpec(k.spec()),
		KeySpec:               k.spec(),
		CurrentKeyMaterialId:  k.current().ID,
	}
	a := k.algorithms()
	m.EncryptionAlgorithms, m.SigningAlgorithms, m.MacAlgorithms, m.KeyAgreementAlgorithms = a.enc, a.sign, a.mac, a.agree
	if k.State == statePendingDeletion {
		m.DeletionDate = sealbox.At(k.DeletionDate)
		m.PendingDeletionWindowInDays = int32(k.PendingWindow)
	}
	importMetadata(k, m)
	multiRegionMetadata(k, m)
	return m
}

func isKeyRecordKey(storeKey string) bool {
	// kms/<region>/key/<id>
	rest := strings.TrimPrefix(storeKey, "kms/")
	i := strings.IndexByte(rest, '/')
	return i > 0 && strings.HasPrefix(rest[i:], "/key/")
}

func decodeKey(v []byte) (*keyRecord, error) {
	var k keyRecord
	if err := json.Unmarshal(v, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// RecordKey is the store key of the key id's record in region, which
// enabling, disabling and rotating it rewrite (the Lambda runner drops
// environments whose variables it decrypted).
func RecordKey(region, id string) string { return keyStoreKey(region, id) }
