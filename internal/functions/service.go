// Package functions serves the configuration side of the AWS Lambda API
// (REST-JSON under /2015-03-31/): functions, their published versions and
// aliases, tags, and the environment each version carries. sealbox keeps a
// function's configuration and hands its environment over at start-up
// (GetFunctionEnvironment, sealbox exec), and runs a function's code on
// Invoke (invoke.go) through a Runner: an uploaded ZIP is kept, sealed by
// the barrier like every record, and checked against its CodeSha256 when
// it is read back.
//
// # The environment
//
// A version's variables are sealed by envelope encryption, as Lambda does
// it: a fresh AES-256 data key from KMS GenerateDataKey under the
// function's KMSKeyArn (the AWS-managed alias/aws/lambda, created on first
// use, when none is given), called on the caller's behalf (kms:ViaService =
// lambda.<region>.amazonaws.com) with the encryption context
// {"aws:lambda:FunctionArn": <unqualified function ARN>}; the JSON of the
// variables is sealed with the plaintext data key by internal/envelope and
// the data key is forgotten. Only the variables' names stay readable in the
// record; a published version keeps the sealed environment of $LATEST as it
// was, so it needs no decryption to publish.
//
// Reads answer every name but mask each value as {{sealbox:masked}} unless
// the caller may also perform sealbox:RevealEnvironment on the function and
// kms:Decrypt on its key (the decryption runs as the caller); a server
// setting turns masking off for Lambda's own behaviour. An update that
// sends a variable as {{sealbox:masked}} keeps its current value, so tools
// that read, change and write a configuration back do not clobber secrets.
//
// A value may hold CloudFormation dynamic references to Parameter Store
// ({{resolve:ssm:/path}}, {{resolve:ssm-secure:/path:3}}) and Secrets
// Manager ({{resolve:secretsmanager:id:SecretString:key:stage:version}}):
// stored as written, resolved only by GetFunctionEnvironment, with the
// execution role's own permissions, one audit event per reference.
//
// The package never parses HTTP (awsapi does), never touches key material
// (the keyring does) and reaches AES-GCM only through internal/envelope.
//
// # Storage
//
// A function is one record keyed by region and name
// ("fn/<region>/fn/<name>") holding its $LATEST configuration, tags and
// aliases; each published version is a record of its own
// ("fn/<region>/ver/<name>/<version, ten digits>"), so that versions list
// in order with one prefix scan.
package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/envelope"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// KMS is what the service needs of the KMS service: the calls the
// envelope makes on the caller's behalf, with kms:ViaService =
// lambda.<region>.amazonaws.com.
type KMS = envelope.KMS

// Parameters is what GetFunctionEnvironment needs of Parameter Store to
// resolve {{resolve:ssm:…}} and {{resolve:ssm-secure:…}}: one GetParameter,
// made as the caller.
type Parameters interface {
	GetParameter(ctx context.Context, in *parameters.GetParameterRequest) (*parameters.GetParameterResult, error)
}

// Secrets is what GetFunctionEnvironment needs of Secrets Manager to
// resolve {{resolve:secretsmanager:…}}: one GetSecretValue, made as the
// caller.
type Secrets interface {
	GetSecretValue(ctx context.Context, in *secrets.GetSecretValueRequest) (*secrets.GetSecretValueResponse, error)
}

// Roles answers whether a role exists and trusts the AWS service principal
// to assume it (lambda.amazonaws.com), as Lambda checks a function's Role.
type Roles interface {
	ServiceMayAssume(ctx context.Context, roleARN, service string) (bool, error)
}

// Config configures a Service.
type Config struct {
	Store store.Store
	KMS   KMS
	// Roles checks that a function's Role may be assumed by Lambda; nil
	// accepts any role ARN (unit tests).
	Roles      Roles
	Clock      clock.Clock        // nil: the real clock
	Authorizer sealbox.Authorizer // nil: allow every authenticated caller
	// Feed, when set, lets the read path cache decoded function records:
	// the feed tells the service the moment a record changes. Plaintext
	// values are never cached.
	Feed store.Feed
	// Parameters and Secrets resolve references at GetFunctionEnvironment;
	// nil refuses references to that service there.
	Parameters Parameters
	Secrets    Secrets
	// Recorder records the events a call makes beside its own: each
	// reference GetFunctionEnvironment resolves. (The KMS calls made on the
	// caller's behalf are recorded by the KMS the server hands in.) nil
	// records nothing.
	Recorder sealbox.Recorder
	// UnmaskEnvironment shows variables' values to whoever may read a
	// configuration and decrypt with its key, as Lambda does. The zero
	// value masks them unless the caller may also perform
	// sealbox:RevealEnvironment on the function.
	UnmaskEnvironment bool
	// Principals pins the principals function policies name; nil pins
	// nothing (unit tests).
	Principals Principals
	// Runner runs code on Invoke; nil answers that no emulator is found.
	Runner Runner
	// Sessions makes execution role sessions for Invoke's INIT.
	Sessions Sessions
	// Endpoint is the URL a function reaches sealbox at
	// (AWS_ENDPOINT_URL in its environment); nil sets none.
	Endpoint func() string
	// Agent is the sealbox executable a function listing the Parameters
	// and Secrets extension's layer gets as that extension (it runs as the
	// agent when started from /opt/extensions); "" starts none.
	Agent string
	// Logger logs what an Event invocation does; nil logs nothing.
	Logger *slog.Logger
	// AsyncRetryDelay is the wait before an Event invocation whose
	// function failed is tried again (the second retry waits twice it,
	// and a throttled one's waits are scaled alike); 0 is Lambda's
	// minute.
	AsyncRetryDelay time.Duration
}

// Service serves the Lambda configuration operations. Safe for concurrent
// use.
type Service struct {
	store      store.Store
	env        *envelope.Envelope // seals environments with KMS data keys, on the caller's behalf
	roles      Roles
	clock      clock.Clock
	authz      sealbox.Authorizer
	params     Parameters
	secrets    Secrets
	recorder   sealbox.Recorder
	unmask     bool
	cache      *recordcache.Cache // nil without a change feed: caches nothing
	runner     Runner
	sessions   Sessions
	endpoint   func() string
	agent      string
	log        *slog.Logger
	async      *asyncQueue
	principals Principals
}

// New returns a Service.
func New(c Config) *Service {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	s := &Service{store: c.Store, env: envelope.New(c.KMS, defaultKeyAlias), roles: c.Roles, clock: c.Clock, authz: c.Authorizer, params: c.Parameters,
		secrets: c.Secrets, recorder: c.Recorder, unmask: c.UnmaskEnvironment, runner: c.Runner, sessions: c.Sessions,
		endpoint: c.Endpoint, agent: c.Agent, log: c.Logger, async: newAsyncQueue(c.AsyncRetryDelay), principals: c.Principals}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if c.Feed != nil {
		s.cache = recordcache.New(c.Feed, "fn/")
	}
	return s
}

// Constants of Lambda and of sealbox's environment model.
const (
	// MaskedValue stands for a variable's value a reader may not see; sent
	// back in an update, it keeps the variable's current value.
	MaskedValue = "{{sealbox:masked}}"

	// RevealAction lets a reader of a configuration see its values (with
	// kms:Decrypt on the key).
	RevealAction = "sealbox:RevealEnvironment"

	latest          = "$LATEST"
	defaultKeyAlias = "alias/aws/lambda"
	resourceType    = "AWS::Lambda::Function"
	// contextARN is the encryption context name Lambda binds a function's
	// environment to.
	contextARN = "aws:lambda:FunctionArn"

	defaultTimeout = 3
	maxTimeout     = 900
	defaultMemory  = 128
	maxEnvBytes    = 4096
	maxTags        = 50
	maxNameLength  = 64
	defaultPage    = 50
	// maxCode is the largest ZipFile CreateFunction and UpdateFunctionCode
	// take directly (Lambda's 50 MB, zipped).
	maxCode = 50 * 1024 * 1024

	stateActive    = "Active"
	updateSuccess  = "Successful"
	packageZip     = "Zip"
	packageImage   = "Image"
	defaultArch    = "x86_64"
	lambdaService  = "lambda.amazonaws.com"
	tracingDefault = "PassThrough"
)

// functionRecord is a function: its $LATEST configuration, tags, aliases
// and what publishing needs to know.
type functionRecord struct {
	Name      string                  `json:"name"`
	ARN       string                  `json:"arn"` // unqualified
	Region    string                  `json:"region"`
	Partition string                  `json:"partition"`
	Account   string                  `json:"account"`
	Created   time.Time               `json:"created"`
	Tags      map[string]string       `json:"tags,omitempty"`
	Latest    configRecord            `json:"latest"`
	Aliases   map[string]*aliasRecord `json:"aliases,omitempty"`
	// NextVersion is the number the next published version takes; numbers
	// are never reused, even after a version is deleted.
	NextVersion int64 `json:"nextVersion"`
	// Published is the last version published and the Change of $LATEST
	// it was published from: publishing an unchanged $LATEST answers it.
	Published       int64  `json:"published,omitempty"`
	PublishedChange string `json:"publishedChange,omitempty"`
	// Reserved is the function's reserved concurrency
	// (PutFunctionConcurrency): at most that many of its execution
	// environments at once, 0 none; nil: no reservation.
	Reserved *int32 `json:"reserved,omitempty"`
	// ID tells this function from one deleted and made again under its
	// name: an Event invocation's retry runs only the function it was
	// queued for. "" in records made before it was kept.
	ID string `json:"id,omitempty"`
	// Policies are the resource-based policies (AddPermission) of the
	// function ("") and of its versions and aliases, by qualifier.
	Policies map[string]*policyRecord `json:"policies,omitempty"`
	// EventInvoke are the asynchronous invocation settings
	// (PutFunctionEventInvokeConfig) by qualifier ("$LATEST" for the
	// unqualified function).
	EventInvoke map[string]*eventInvokeRecord `json:"eventInvoke,omitempty"`
}

// policyFor is the policy the authorizer evaluates for action on the
// function as qualifier names it: only a lambda: action is granted by a
// function's policy (its Action "*" grants no sealbox: or other
// service's action here).
func (fn *functionRecord) policyFor(action, qualifier string) string {
	if !strings.HasPrefix(action, "lambda:") {
		return ""
	}
	p := fn.Policies[qualifier]
	if p == nil {
		return ""
	}
	return p.evaluated()
}

// configRecord is one version's configuration.
type configRecord struct {
	Version       string         `json:"version"` // "$LATEST" or a number
	Description   string         `json:"description,omitempty"`
	Role          string         `json:"role"`
	Runtime       string         `json:"runtime,omitempty"`
	Handler       string         `json:"handler,omitempty"`
	Timeout       int            `json:"timeout"`
	MemorySize    int            `json:"memorySize"`
	Architectures []string       `json:"architectures"`
	PackageType   string         `json:"packageType"`
	Code          codeRecord     `json:"code"`
	KMSKeyArn     string         `json:"kmsKeyArn,omitempty"` // as given; "" is alias/aws/lambda
	Env           *sealedEnv     `json:"env,omitempty"`
	Tracing       string         `json:"tracing,omitempty"`
	Ephemeral     int            `json:"ephemeral,omitempty"`
	Logging       *LoggingConfig `json:"logging,omitempty"`
	Layers        []string       `json:"layers,omitempty"` // layer version ARNs, as given
	Modified      time.Time      `json:"modified"`
	RevisionID    string         `json:"revisionId"`
	Change        string         `json:"change"` // changes with the configuration or code, not on publishing
}

// codeRecord describes a package; the bytes of an uploaded ZIP are records
// of their own (putCode).
type codeRecord struct {
	Sha256          string `json:"sha256"`
	Size            int64  `json:"size"`
	S3Bucket        string `json:"s3Bucket,omitempty"`
	S3Key           string `json:"s3Key,omitempty"`
	S3ObjectVersion string `json:"s3ObjectVersion,omitempty"`
	ImageURI        string `json:"imageUri,omitempty"`
}

// sealedEnv is a version's environment: the names in the clear (a masked
// read shows them without decrypting), the variables' JSON sealed with a
// data key, and that data key encrypted by KMS.
type sealedEnv struct {
	Names   []string `json:"names"` // sorted
	KeyARN  string   `json:"keyArn"`
	DataKey []byte   `json:"dataKey"` // a KMS ciphertext blob
	Sealed  []byte   `json:"sealed"`
}

type aliasRecord struct {
	Name        string             `json:"name"`
	Version     string             `json:"version"`
	Description string             `json:"description,omitempty"`
	Weights     map[string]float64 `json:"weights,omitempty"`
	RevisionID  string             `json:"revisionId"`
}

func (c *configRecord) clone() *configRecord {
	out := *c
	out.Architectures = append([]string(nil), c.Architectures...)
	out.Layers = append([]string(nil), c.Layers...)
	if c.Env != nil {
		e := *c.Env
		e.Names = append([]string(nil), c.Env.Names...)
		out.Env = &e
	}
	if c.Logging != nil {
		l := *c.Logging
		out.Logging = &l
	}
	return &out
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Store keys.
func functionPrefix(region string) string      { return "fn/" + region + "/fn/" }
func functionKey(region, name string) string   { return functionPrefix(region) + name }
func versionPrefix(region, name string) string { return "fn/" + region + "/ver/" + name + "/" }
func versionKey(region, name string, v int64) string {
	return versionPrefix(region, name) + fmt.Sprintf("%010d", v)
}

// qualified is arn with ":qualifier", or arn alone for none.
func qualified(arn, qualifier string) string {
	if qualifier == "" {
		return arn
	}
	return arn + ":" + qualifier
}

// viaLambda returns a context whose Request is a copy of the caller's with
// ViaService set: KMS authorizes the same caller, with kms:ViaService =
// lambda.<region>.amazonaws.com, as it does when Lambda calls it.
func viaLambda(ctx context.Context) context.Context {
	return sealbox.MustRequest(ctx).ViaContext(ctx, "lambda")
}

// view runs fn in a read transaction whose reads may use the cache of
// decoded records (never plaintexts).
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.cache.View(ctx, s.store, fn)
}

// authorize asks the authorizer whether the caller may perform action (a
// full IAM action, "lambda:GetFunction") on resource. fn, when known, adds
// its tags (aws:ResourceTag/<key>); extra adds the operation's keys.
func (s *Service) authorize(ctx context.Context, action, resource string, fn *functionRecord, extra map[string][]string) error {
	return s.authorizeWith(ctx, action, resource, fn, "", extra)
}

// authorizeWith is authorize with the resource-based policy of the
// function, version or alias resource names ("" for none): it may allow on
// its own, as a secret's policy may (iam.Decide).
func (s *Service) authorizeWith(ctx context.Context, action, resource string, fn *functionRecord, policy string, extra map[string][]string) error {
	if s.authz == nil {
		return nil
	}
	cond := make(map[string][]string, len(extra)+4)
	for k, v := range extra {
		cond[k] = v
	}
	if fn != nil {
		for k, v := range fn.Tags {
			sealbox.SetResourceTag(cond, "", k, v)
		}
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: resource, ResourcePolicy: policy, Context: cond})
}

// passRole authorizes iam:PassRole of role to Lambda, as AWS does when a
// function is given an execution role.
// passRole checks that the caller may pass role to Lambda (iam:PassRole)
// and that Lambda may assume it: the role exists and trusts
// lambda.amazonaws.com, else Lambda's own refusal.
func (s *Service) passRole(ctx context.Context, role string) error {
	if s.authz != nil {
		if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:PassRole", Resource: role,
			Context: map[string][]string{"iam:passedtoservice": {lambdaService}}}); err != nil {
			return err
		}
	}
	if s.roles == nil {
		return nil
	}
	ok, err := s.roles.ServiceMayAssume(ctx, role, lambdaService)
	if err != nil {
		return err
	}
	if !ok {
		return errInvalid("The role defined for the function cannot be assumed by Lambda.")
	}
	return nil
}

// lambdaTime is Lambda's LastModified text: 2026-11-23T18:43:24.887+0000.
func lambdaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// Errors, worded as Lambda words them.

func errInvalid(format string, args ...any) error {
	return sealbox.Errorf("InvalidParameterValueException", format, args...)
}

func errValidation(format string, args ...any) error {
	return sealbox.Errorf("ValidationException", format, args...)
}

func errFunctionNotFound(arn string) error {
	return sealbox.Errorf("ResourceNotFoundException", "Function not found: %s", arn)
}

func errAliasNotFound(arn string) error {
	return sealbox.Errorf("ResourceNotFoundException", "Cannot find alias arn: %s", arn)
}

func errRevision() error {
	return sealbox.Errorf("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

// errInProgress is Lambda's answer to a write that raced another.
func errInProgress(arn string) error {
	return sealbox.Errorf("ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", arn)
}

func errInvalidMarker() error {
	return errInvalid("Invalid marker.")
}

// isNotFound reports whether err is the store's ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// isDenied reports whether err is a refusal of access: the authorizer's
// and KMS's AccessDeniedException, or IAM's and STS's AccessDenied. It
// decides whether a refused sealbox:RevealEnvironment masks the values
// (rather than failing the read), and how a refused role session is
// answered; a refusal spelt either way must take the same path.
func isDenied(err error) bool {
	e, ok := sealbox.AsError(err)
	return ok && (e.Code == "AccessDeniedException" || e.Code == "AccessDenied")
}
