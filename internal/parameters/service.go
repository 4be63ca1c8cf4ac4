// Package parameters serves the Parameter Store API (AmazonSSM) over
// sealbox's store: hierarchical String, StringList and SecureString
// parameters with versions, labels, tags, tiers, parameter policies and
// by-path reads.
//
// SecureString values are encrypted through the KMS service, never by this
// package: each version is one kms Encrypt under the parameter's key with
// the encryption context {"PARAMETER_ARN": <arn>}, called on the caller's
// behalf (kms:ViaService = ssm.<region>.amazonaws.com), exactly as AWS does.
// The stored ciphertext is a KMS ciphertext blob, so a client that reads a
// SecureString without decryption gets a blob it can decrypt with KMS
// itself. The package never parses HTTP (awsapi does) and never touches key
// material (the keyring does).
//
// # Storage
//
// The current version of each parameter is one record keyed by region and
// name ("ssm/<region>/param/<name without its leading slash>"), so that a
// by-path read is one ordered prefix scan; labels and tags live in it.
// Older versions are records of their own ("ssm/<region>/hist/<name>:<version>",
// ':' being a character no name may hold, so no parameter's history prefix
// covers another's). Parameters whose policies fall due are indexed by time
// under "ssm/_due/", so the scheduler reads only what is due.
package parameters

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/accessquery"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/dueindex"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// KMS is what the service needs of the KMS service: the calls it makes on
// the caller's behalf. The context of each call carries a copy of the
// caller's request with ViaService set, so KMS authorizes the same caller
// with kms:ViaService.
type KMS interface {
	Encrypt(ctx context.Context, in *kms.EncryptRequest) (*kms.EncryptResponse, error)
	Decrypt(ctx context.Context, in *kms.DecryptRequest) (*kms.DecryptResponse, error)
	ManagedKeyARN(ctx context.Context, alias string) (string, error)
}

// Notification is one parameter policy that fell due: an
// ExpirationNotification before (or after) a parameter expires, a
// NoChangeNotification for a parameter left unchanged, or the Expiration
// that deleted a parameter. It never carries a value.
type Notification struct {
	// PolicyType is "Expiration", "ExpirationNotification" or
	// "NoChangeNotification", the policy-type AWS's Parameter Store policy
	// events carry.
	PolicyType string
	Region     string
	AccountID  string
	Name       string
	ARN        string
	Version    int64
	Time       time.Time
	// PolicyText is the policy's JSON text, as DescribeParameters shows it.
	PolicyText string
}

// Notifier receives the notifications parameter policies produce. An error
// leaves the policy pending: RunDue tries it again on its next run.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) error
}

// Service serves the Parameter Store operations. Safe for concurrent use.
type Service struct {
	store  store.Store
	kms    KMS
	clock  clock.Clock
	authz  sealbox.Authorizer
	notify Notifier
	// secrets answers references to secrets; nil refuses them.
	secrets Secrets
	cache   *recordcache.Cache // nil without a change feed
}

// Config configures a Service.
type Config struct {
	Store      store.Store
	KMS        KMS
	Clock      clock.Clock        // nil: the real clock
	Authorizer sealbox.Authorizer // nil: allow every authenticated caller
	Notifier   Notifier           // nil: policy notifications are dropped
	// Secrets answers /aws/reference/secretsmanager/<secret-id>; nil
	// refuses such references.
	Secrets Secrets
	// Feed, when set, lets the read path cache decoded parameter records:
	// the feed tells the service the moment a record changes.
	Feed store.Feed
}

// New returns a Service.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	s := &Service{store: c.Store, kms: c.KMS, clock: c.Clock, authz: c.Authorizer, notify: c.Notifier, secrets: c.Secrets}
	if c.Feed != nil {
		s.cache = recordcache.New(c.Feed, "ssm/")
	}
	return s
}

// Parameter types, tiers and the other constants of Parameter Store.
const (
	typeString       = "String"
	typeStringList   = "StringList"
	typeSecureString = "SecureString"

	tierStandard     = "Standard"
	tierAdvanced     = "Advanced"
	tierIntelligent  = "Intelligent-Tiering"
	maxStandardValue = 4096
	maxAdvancedValue = 8192

	dataTypeText  = "text"
	dataTypeImage = "aws:ec2:image"

	defaultKeyAlias = "alias/aws/ssm"
	contextKey      = "PARAMETER_ARN"
	resourceType    = "AWS::SSM::Parameter"

	maxVersions = 100
	maxLabels   = 10
	maxTags     = 50
)

// version is one version of a parameter: what PutParameter wrote.
type version struct {
	Version        int64     `json:"version"`
	Type           string    `json:"type"`
	Value          string    `json:"value,omitempty"` // String and StringList
	Blob           []byte    `json:"blob,omitempty"`  // SecureString: a KMS ciphertext blob
	KeyID          string    `json:"keyId,omitempty"` // as the caller named it
	KeyARN         string    `json:"keyArn,omitempty"`
	Description    string    `json:"description,omitempty"`
	AllowedPattern string    `json:"allowedPattern,omitempty"`
	DataType       string    `json:"dataType"`
	Tier           string    `json:"tier"`
	Policies       []policy  `json:"policies,omitempty"`
	Modified       time.Time `json:"modified"`
	ModifiedUser   string    `json:"modifiedUser"`
}

// paramRecord is a parameter: its current version, its labels and tags.
type paramRecord struct {
	version
	// Name is the name as it was created (with or without a leading slash).
	Name      string `json:"name"`
	Region    string `json:"region"`
	Partition string `json:"partition"`
	Account   string `json:"account"`
	// Oldest is the oldest version still kept; versions Oldest..Version
	// all exist (only the oldest is ever dropped).
	Oldest int64            `json:"oldest"`
	Labels map[string]int64 `json:"labels,omitempty"` // label → version
	Tags   []Tag            `json:"tags,omitempty"`
	// Due is when the next policy action falls due (zero: none); the
	// parameter is indexed under dueKey(Due) while it is set.
	Due time.Time `json:"due,omitzero"`

	// shared is what Share derived for the record cache's readers; nil
	// for a record read otherwise (hot.go).
	shared *paramShared
}

func (p *paramRecord) arn() string {
	if p.shared != nil {
		return p.shared.arn
	}
	return parameterARN(p.Partition, p.Region, p.Account, p.Name)
}

// labelsOf lists the labels on version v, sorted.
func (p *paramRecord) labelsOf(v int64) []string {
	var out []string
	for l, lv := range p.Labels {
		if lv == v {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// parameterARN is arn:<partition>:ssm:<region>:<account>:parameter/<name
// without its leading slash>.
func parameterARN(partition, region, account, name string) string {
	return "arn:" + partition + ":ssm:" + region + ":" + account + ":parameter/" + strings.TrimPrefix(name, "/")
}

func requestARN(r *sealbox.Request, name string) string {
	return parameterARN(r.Partition, r.Region, r.AccountID, name)
}

// Store keys.
func paramPrefix(region string) string { return "ssm/" + region + "/param/" }
func paramKey(region, name string) string {
	return paramPrefix(region) + strings.TrimPrefix(name, "/")
}
func histPrefix(region, name string) string {
	return "ssm/" + region + "/hist/" + strings.TrimPrefix(name, "/") + ":"
}
func histKey(region, name string, v int64) string {
	return histPrefix(region, name) + fmt.Sprintf("%020d", v)
}

// dues indexes the parameters by the next time a policy of theirs is due
// ("_" is in no region name).
const dues = dueindex.Index("ssm/_due/")

func dueKey(at time.Time, region, name string) string {
	return dues.Key(at, region, strings.TrimPrefix(name, "/"))
}

// viaSSM returns a context whose Request is a copy of the caller's with
// ViaService set: KMS authorizes the same caller, with kms:ViaService =
// ssm.<region>.amazonaws.com, as it does when Parameter Store calls it.
func viaSSM(ctx context.Context) context.Context {
	return sealbox.MustRequest(ctx).ViaContext(ctx, "ssm")
}

// load reads a parameter's record, through the cache on the read path. The
// record returned on the read path is shared and must not be modified.
func (s *Service) load(tx store.Tx, region, name string) (*paramRecord, error) {
	key, known := paramKeys.Get([2]string{region, name})
	if !known {
		key = paramKey(region, name)
	}
	p, err := recordcache.Get[paramRecord](tx, key)
	if err == nil && !known && p.shared != nil {
		paramKeys.Put([2]string{region, name}, key)
	}
	return p, err
}

// loadForUpdate reads a parameter's record for changing it (never cached).
func loadForUpdate(tx store.Tx, region, name string) (*paramRecord, error) {
	var p paramRecord
	if err := store.GetJSON(tx, paramKey(region, name), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// loadAuthorized loads the parameter name of r's region for a change by
// action. The parameter (its ARN, or the one the name would have) is the
// call's resource, and the caller must be allowed action on it before
// whether it exists is told: a parameter that does not exist is the store's
// not-found error (isNotFound), after the authorization.
func (s *Service) loadAuthorized(ctx context.Context, tx store.Tx, r *sealbox.Request, name, action string) (*paramRecord, error) {
	p, err := loadForUpdate(tx, r.Region, name)
	arn := requestARN(r, name)
	if err == nil {
		arn = p.arn()
	}
	r.AddResource(resourceType, arn)
	if aerr := s.authorize(ctx, action, arn, p, nil); aerr != nil {
		return nil, aerr
	}
	return p, err
}

func save(tx store.Tx, p *paramRecord) error {
	return store.PutJSON(tx, paramKey(p.Region, p.Name), p)
}

// view runs fn in a read transaction whose reads may use the cache.
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.cache.View(ctx, s.store, fn)
}

// versionOf returns version v of p: the current version from the record,
// an older one from its history record.
func versionOf(tx store.Tx, p *paramRecord, v int64) (*version, error) {
	if v == p.Version {
		return &p.version, nil
	}
	if v < p.Oldest || v > p.Version {
		return nil, store.ErrNotFound
	}
	var old version
	if err := store.GetJSON(tx, histKey(p.Region, p.Name, v), &old); err != nil {
		return nil, err
	}
	return &old, nil
}

// authorize asks the authorizer whether the caller may perform action on
// resource (a parameter ARN, or "*"); p, when known, adds its tags as
// aws:ResourceTag/<key> and ssm:resourceTag/<key>, and extra the
// operation's condition keys.
func (s *Service) authorize(ctx context.Context, action, resource string, p *paramRecord, extra map[string][]string) error {
	if s.authz == nil {
		return nil
	}
	b := accessquery.Get()
	defer b.Put()
	cond := b.Cond
	for k, v := range extra {
		cond[k] = v
	}
	if p != nil {
		if sh := p.shared; sh != nil {
			maps.Copy(cond, sh.tags)
		} else {
			for _, t := range p.Tags {
				sealbox.SetResourceTag(cond, "ssm", t.Key, t.Value)
			}
		}
	}
	b.Q = sealbox.AccessQuery{Action: action, Resource: resource, Context: cond}
	return s.authz.Authorize(ctx, &b.Q)
}

// Errors, worded as AWS words them.

func errValidation(format string, args ...any) error {
	return sealbox.Errorf("ValidationException", format, args...)
}

// errNotFound is GetParameter's and DeleteParameter's ParameterNotFound:
// AWS sends it without a message.
var errNotFound = &sealbox.Error{Code: "ParameterNotFound"}

func errNotFoundNamed(name string) error {
	return sealbox.Errorf("ParameterNotFound", "Parameter %s not found.", name)
}

func errVersionNotFound(sel, name string) error {
	return sealbox.Errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", sel, name)
}

func errInvalidToken() error {
	return sealbox.Errorf("InvalidNextToken", "The specified token isn't valid.")
}

// kmsError words an error KMS returned to Parameter Store as Parameter
// Store passes it on: a denial stays AccessDeniedException, anything else
// about the key is InvalidKeyId; both carry KMS's message followed by
// "(Service: AWSKMS; Status Code: 400; Error Code: …; Request ID: …; Proxy: null)".
func kmsError(ctx context.Context, err error) error {
	e, ok := sealbox.AsError(err)
	if !ok {
		return err
	}
	if e.Server {
		return &sealbox.Error{Code: "InternalServerError", Message: "An error occurred on the server side.", Server: true}
	}
	code := "InvalidKeyId"
	if e.Code == "AccessDeniedException" {
		code = e.Code
	}
	msg := e.Message
	if msg == "" && e.Code == "InvalidCiphertextException" {
		msg = "null"
	}
	return sealbox.Errorf(code, "%s (Service: AWSKMS; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", msg, e.Code, sealbox.MustRequest(ctx).ID)
}

// isNotFound reports whether err is the store's ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func boolString(b bool) string { return strconv.FormatBool(b) }

// RecordKey is the store key of the parameter name in region: a change to
// it is a change to the parameter (the Lambda runner drops environments
// that resolved it).
func RecordKey(region, name string) string { return paramKey(region, name) }
