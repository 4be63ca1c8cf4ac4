// Package config is the server's configuration: one typed struct with
// defaults, where each knob has one flag and one SEALBOX_* environment
// variable (the flag wins), and a Validate that says plainly what is wrong.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/primitive"
)

// Config is the server's configuration. The zero value is not useful: start
// from Default.
type Config struct {
	Listen    string // address to serve on
	DataDir   string // the data folder
	AccountID string // the one account served

	// Store is where the records live: "bolt:" (the data folder's
	// sealbox.db, the default) or a postgres:// (postgresql://) URL,
	// shared by several servers. See ParseStore.
	Store StoreURL
	// StorePasswordFile holds PostgreSQL's password (its first line),
	// when neither the URL nor PGPASSWORD/PGPASSFILE gives it.
	StorePasswordFile string
	// NodeID names this server among those sharing a PostgreSQL store (its
	// audit file trail's heads in the store). Empty: the data folder's
	// <data>/node-id, made on its first start on PostgreSQL.
	NodeID string

	RootKey string // root-key provider: "file", "passphrase", "pkcs11", "kms" or "shamir"
	// RootKeyFile is the file provider's key; empty means root.key in the
	// data folder. Keep it elsewhere (and out of the folder's backups) so
	// that a copy of the data folder alone reveals nothing.
	RootKeyFile string
	// Passphrase for the passphrase provider; empty means prompt on the
	// terminal. Only ever read from the environment, never a flag, so it
	// does not show in the process list.
	Passphrase primitive.Secret

	// The pkcs11 provider: the token's PKCS#11 library, the token (by
	// label, or by slot number), the key's label. The PIN comes from
	// PKCS11PINFile (its first line) or from $SEALBOX_PKCS11_PIN, never a
	// flag. PKCS11GenerateKey lets the first start make an AES-256 key in
	// the token when the label finds none.
	PKCS11Module      string
	PKCS11TokenLabel  string
	PKCS11Slot        string // a slot number; "" when the label names the token
	PKCS11KeyLabel    string
	PKCS11PINFile     string
	PKCS11PIN         primitive.Secret
	PKCS11GenerateKey bool

	// The kms provider: the key (id, ARN or alias), and optionally the
	// endpoint and region; the credentials are the AWS SDK's (environment,
	// shared files, profile).
	RootKeyKMSKeyID    string
	RootKeyKMSEndpoint string
	RootKeyKMSRegion   string

	TLS          string // "off", "auto" (self-signed in the data folder)
	TLSCert      string // certificate file; with TLSKey serves HTTPS
	TLSKey       string
	InsecureHTTP bool // allow plain HTTP on a non-loopback address

	// TrustedProxies lists the reverse proxies (comma-separated CIDRs or
	// addresses) whose forwarding header names the client; empty trusts
	// none. ForwardedHeader is that header: "X-Forwarded-For" (with
	// X-Forwarded-Proto) or "Forwarded" (RFC 7239). See clientaddr.
	TrustedProxies  string
	ForwardedHeader string

	AdminAccessKeyID     string           // preset access key of the IAM user admin (CI and tests)
	AdminSecretAccessKey primitive.Secret // its secret, from the environment only

	LogLevel      string        // debug, info, warn, error
	AuditFsync    bool          // fsync each audit event
	SweepInterval time.Duration // how often due deletions and rotations run

	// AuditSinks lists where audit events go, comma-separated: "file"
	// (JSON lines in <data>/audit) and "store" (the store: LookupEvents
	// and retention). One sink taking an event is enough.
	AuditSinks string
	// AuditMinFree is the free space (bytes) the audit folder's file
	// system must keep for a write call to go ahead: below it writes are
	// refused before they change anything, so that a full disk cannot
	// leave a change without its event. 0 turns the check off.
	AuditMinFree int64
	// AuditRetention is how long the store keeps events; 0 keeps them
	// forever. The files are never deleted by the server.
	AuditRetention time.Duration
	// AuditSyslog is the remote syslog receiver of the "syslog" sink:
	// host:port (TCP) or tls://host:port (TLS), RFC 5424 messages in RFC
	// 6587 octet-counting framing.
	AuditSyslog string
	// AuditDigestInterval is how often each sink signs a digest of the
	// events written since its last one.
	AuditDigestInterval time.Duration

	// MaskEnvironment masks the values of functions' environment
	// variables in Lambda's answers unless the caller may also perform
	// sealbox:RevealEnvironment; false answers them as Lambda does.
	MaskEnvironment bool

	// Console serves the web console at /console/ on the same listener.
	Console bool
	// ConsoleIdleTimeout ends a console session unused this long;
	// ConsoleMaxSession ends any session this long after its sign-in.
	ConsoleIdleTimeout time.Duration
	ConsoleMaxSession  time.Duration

	// BodySpoolDir is where request bodies larger than 1 MiB (Lambda code
	// uploads) are spooled while they are read and checked; "" is the
	// system's temporary folder. The files are unlinked as soon as made.
	BodySpoolDir string
	// OIDCCAFile is a PEM file of CA certificates trusted, besides the
	// system's roots, for the TLS of OpenID Connect issuers'
	// discovery documents and keys (AssumeRoleWithWebIdentity): private
	// issuers. There is no switch to trust any certificate.
	OIDCCAFile string
	// LargeBodies is how many such bodies may be in flight at once;
	// beyond it a request is answered 429 with Retry-After.
	LargeBodies int

	// RotationTargets is the JSON file that registers the HTTPS rotation
	// endpoints (webhooks) by RotationLambdaARN; a relative path is in the
	// data folder. Empty: only the built-in rotators.
	RotationTargets string

	// MetricsTokenFile holds the token that GET /metrics accepts as
	// "Authorization: Bearer <token>" (Prometheus' credentials_file);
	// MetricsToken is the token itself, from the environment only, never a
	// flag. Neither: /metrics answers only signed requests of principals
	// allowed sealbox:GetMetrics.
	MetricsTokenFile string
	MetricsToken     primitive.Secret

	// LambdaRIE is the path of aws-lambda-rie, which Invoke runs
	// functions with; "" looks for it on PATH.
	LambdaRIE string
	// LambdaUser is the "uid:gid" every function runs as; "" gives each
	// execution environment a user of its own (uids from 1879048192)
	// when the server runs as root.
	LambdaUser string
	// LambdaConcurrency bounds the execution environments running at
	// once, server-wide; beyond it Invoke is throttled.
	LambdaConcurrency int
	// LambdaIdle stops an execution environment unused this long.
	LambdaIdle time.Duration
	// LambdaAgent is the sealbox executable run as a function's
	// Parameters and Secrets extension, and that starts the execution
	// environments with extensions in their mount namespaces; "" runs
	// none. `sealbox server` sets it to itself.
	LambdaAgent string
	// LambdaPortGuard says whether the execution environments' emulator
	// ports are kept from other local users by netfilter rules: "auto"
	// (when the server runs as root and the kernel allows, else a
	// warning), "require" (no environment starts without) or "off".
	LambdaPortGuard string
	// LambdaAsyncRetryDelay is the wait before an Event invocation whose
	// function failed is tried again (Lambda's minute; the second retry
	// waits twice it).
	LambdaAsyncRetryDelay time.Duration
}

// Default returns the defaults of README's one-command start.
func Default() Config {
	return Config{
		Listen:          "127.0.0.1:8777",
		DataDir:         "sealbox-data",
		AccountID:       "123456789012",
		Store:           "bolt:",
		RootKey:         "file",
		TLS:             "off",
		ForwardedHeader: "X-Forwarded-For",
		LogLevel:        "info",
		SweepInterval:   time.Minute,

		AuditSinks:          "file,store",
		AuditMinFree:        64 << 20,
		AuditRetention:      90 * 24 * time.Hour,
		AuditDigestInterval: time.Minute,

		MaskEnvironment: true,

		Console:            true,
		ConsoleIdleTimeout: 15 * time.Minute,
		ConsoleMaxSession:  8 * time.Hour,

		LargeBodies: 8,

		LambdaConcurrency:     32,
		LambdaIdle:            5 * time.Minute,
		LambdaAsyncRetryDelay: time.Minute,
		LambdaPortGuard:       "auto",
	}
}

// Bind registers the server's flags on fs, each defaulting to its
// environment variable if set, else to c's value. Call fs.Parse afterwards.
func (c *Config) Bind(fs *flag.FlagSet, getenv func(string) string) {
	str := func(p *string, name, env, usage string) {
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" ($"+env+")")
	}
	boolean := func(p *bool, name, env, usage string) {
		if v, err := strconv.ParseBool(getenv(env)); err == nil {
			*p = v
		}
		fs.BoolVar(p, name, *p, usage+" ($"+env+")")
	}
	duration := func(p *time.Duration, name, env, usage string) {
		if v, err := time.ParseDuration(getenv(env)); err == nil {
			*p = v
		}
		fs.DurationVar(p, name, *p, usage+" ($"+env+")")
	}
	str(&c.Listen, "listen", "SEALBOX_LISTEN", "address to listen on")
	str(&c.DataDir, "data", "SEALBOX_DATA", "data folder")
	str(&c.AccountID, "account-id", "SEALBOX_ACCOUNT_ID", "12-digit account id served")
	if v := getenv("SEALBOX_STORE"); v != "" {
		c.Store = StoreURL(v)
	}
	fs.Var(&c.Store, "store", `where the records live: "bolt:" (sealbox.db in the data folder) or postgres://user@host/db?sslmode=verify-full, shared by several servers ($SEALBOX_STORE)`)
	str(&c.NodeID, "node-id", "SEALBOX_NODE_ID", "this server's name among those sharing a PostgreSQL store (its audit file trail's); kept in <data>/node-id on the first start, which a later start must match; default: a name made on the first start")
	str(&c.StorePasswordFile, "store-password-file", "SEALBOX_STORE_PASSWORD_FILE", "file holding PostgreSQL's password, when neither the --store URL nor PGPASSWORD/PGPASSFILE gives it")
	str(&c.RootKey, "root-key", "SEALBOX_ROOT_KEY", `root-key provider: "file" (root.key in the data folder), "passphrase" (Argon2id; $SEALBOX_PASSPHRASE or a prompt), "pkcs11" (a key in an HSM or token: --pkcs11-*), "kms" (a KMS key: --root-key-kms-*) or "shamir" (starts sealed: 'sealbox operator init', then 'unseal' with key shares)`)
	str(&c.RootKeyFile, "root-key-file", "SEALBOX_ROOT_KEY_FILE", "the file provider's root key (default root.key in the data folder; keep it elsewhere so a copy of the data folder alone reveals nothing)")
	str(&c.PKCS11Module, "pkcs11-module", "SEALBOX_PKCS11_MODULE", "--root-key pkcs11: the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so")
	str(&c.PKCS11TokenLabel, "pkcs11-token-label", "SEALBOX_PKCS11_TOKEN_LABEL", "--root-key pkcs11: the token's label (or --pkcs11-slot)")
	str(&c.PKCS11Slot, "pkcs11-slot", "SEALBOX_PKCS11_SLOT", "--root-key pkcs11: the token's slot number (or --pkcs11-token-label)")
	str(&c.PKCS11KeyLabel, "pkcs11-key-label", "SEALBOX_PKCS11_KEY_LABEL", "--root-key pkcs11: the label of the token key that wraps the barrier key (an AES key, or an RSA key pair)")
	str(&c.PKCS11PINFile, "pkcs11-pin-file", "SEALBOX_PKCS11_PIN_FILE", "--root-key pkcs11: file holding the token's user PIN (its first line), unless $SEALBOX_PKCS11_PIN holds it; never a flag value")
	boolean(&c.PKCS11GenerateKey, "pkcs11-generate-key", "SEALBOX_PKCS11_GENERATE_KEY", "--root-key pkcs11: at the first start, make an AES-256 key with --pkcs11-key-label in the token (sensitive, never extractable) if it has none; off, a missing key is an error")
	str(&c.RootKeyKMSKeyID, "root-key-kms-key-id", "SEALBOX_ROOT_KEY_KMS_KEY_ID", "--root-key kms: the KMS key (id, ARN, alias/NAME or alias ARN) that wraps the barrier key; credentials as the AWS SDKs find them (AWS_* environment, shared files, AWS_PROFILE)")
	str(&c.RootKeyKMSEndpoint, "root-key-kms-endpoint", "SEALBOX_ROOT_KEY_KMS_ENDPOINT", "--root-key kms: the KMS endpoint URL, for a KMS-compatible service (default: the SDK's, AWS's for the region)")
	str(&c.RootKeyKMSRegion, "root-key-kms-region", "SEALBOX_ROOT_KEY_KMS_REGION", "--root-key kms: the KMS key's region (default: the SDK's, AWS_REGION or the profile's)")
	str(&c.TLS, "tls", "SEALBOX_TLS", `"auto" makes a self-signed certificate in the data folder; "off" serves plain HTTP (loopback only)`)
	str(&c.TLSCert, "tls-cert", "SEALBOX_TLS_CERT", "TLS certificate file (PEM)")
	str(&c.TLSKey, "tls-key", "SEALBOX_TLS_KEY", "TLS private key file (PEM)")
	boolean(&c.InsecureHTTP, "insecure-http", "SEALBOX_INSECURE_HTTP", "allow plain HTTP on a non-loopback address")
	str(&c.TrustedProxies, "trusted-proxies", "SEALBOX_TRUSTED_PROXIES", "reverse proxies whose forwarding header names the client (aws:SourceIp, aws:SecureTransport, the audit trail's sourceIPAddress, the console), comma-separated CIDRs or addresses; empty trusts no header from anyone")
	str(&c.ForwardedHeader, "forwarded-header", "SEALBOX_FORWARDED_HEADER", `the header --trusted-proxies write: "X-Forwarded-For" (with X-Forwarded-Proto) or "Forwarded" (RFC 7239); the other is ignored`)
	str(&c.LogLevel, "log-level", "SEALBOX_LOG_LEVEL", "debug, info, warn or error")
	str(&c.RotationTargets, "rotation-targets", "SEALBOX_ROTATION_TARGETS", "JSON file registering the HTTPS rotation endpoints by RotationLambdaARN (relative: in the data folder)")
	boolean(&c.AuditFsync, "audit-fsync", "SEALBOX_AUDIT_FSYNC", "fsync every audit event before answering")
	boolean(&c.MaskEnvironment, "mask-environment", "SEALBOX_MASK_ENVIRONMENT", "mask functions' environment values unless the caller may also perform sealbox:RevealEnvironment (false: as Lambda, values shown to whoever may read the configuration and decrypt)")
	boolean(&c.Console, "console", "SEALBOX_CONSOLE", "serve the web console at /console/ (every action in it is an API call made as the signed-in principal)")
	duration(&c.ConsoleIdleTimeout, "console-idle-timeout", "SEALBOX_CONSOLE_IDLE_TIMEOUT", "a console session unused this long ends")
	duration(&c.ConsoleMaxSession, "console-max-session", "SEALBOX_CONSOLE_MAX_SESSION", "a console session ends this long after its sign-in, used or not")
	str(&c.MetricsTokenFile, "metrics-token-file", "SEALBOX_METRICS_TOKEN_FILE", "file holding the token GET /metrics accepts as \"Authorization: Bearer <token>\" (or the token itself in $SEALBOX_METRICS_TOKEN); without one, /metrics answers only requests signed by a principal allowed sealbox:GetMetrics")
	str(&c.OIDCCAFile, "oidc-ca-file", "SEALBOX_OIDC_CA_FILE", "PEM file of CA certificates trusted, besides the system's roots, for OpenID Connect issuers' discovery and keys (AssumeRoleWithWebIdentity from private issuers)")
	str(&c.BodySpoolDir, "body-spool-dir", "SEALBOX_BODY_SPOOL_DIR", "folder for request bodies over 1 MiB (Lambda code uploads) while they are read and checked (default: the system's temporary folder)")
	if v, err := strconv.Atoi(getenv("SEALBOX_LARGE_BODIES")); err == nil {
		c.LargeBodies = v
	}
	fs.IntVar(&c.LargeBodies, "large-bodies", c.LargeBodies, "how many request bodies over 1 MiB may be in flight at once; beyond it: 429 with Retry-After ($SEALBOX_LARGE_BODIES)")
	str(&c.LambdaRIE, "lambda-rie", "SEALBOX_LAMBDA_RIE", "path of aws-lambda-rie, which Invoke runs functions with (default: on PATH; install: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d)")
	str(&c.LambdaUser, "lambda-user", "SEALBOX_LAMBDA_USER", `"uid:gid" that every function runs as, sharing it (default: when the server runs as root, each execution environment a user of its own, uid and gid from 1879048192)`)
	if v, err := strconv.Atoi(getenv("SEALBOX_LAMBDA_CONCURRENCY")); err == nil {
		c.LambdaConcurrency = v
	}
	fs.IntVar(&c.LambdaConcurrency, "lambda-concurrency", c.LambdaConcurrency, "how many function execution environments may run at once; beyond it Invoke answers TooManyRequestsException ($SEALBOX_LAMBDA_CONCURRENCY)")
	str(&c.LambdaPortGuard, "lambda-port-guard", "SEALBOX_LAMBDA_PORT_GUARD", `"auto", "require" or "off": netfilter rules (nftables, the server running as root) let only the server and an execution environment's own user connect to its emulator's loopback ports; auto goes without, with a warning, where they cannot be made, require refuses to start then`)
	duration(&c.LambdaIdle, "lambda-idle", "SEALBOX_LAMBDA_IDLE", "a function execution environment unused this long is stopped")
	duration(&c.LambdaAsyncRetryDelay, "lambda-async-retry-delay", "SEALBOX_LAMBDA_ASYNC_RETRY_DELAY", "wait before an Event invocation whose function failed is tried again (twice, the second after twice the wait; throttled ones' waits scale alike), as Lambda's minute")
	duration(&c.SweepInterval, "sweep-interval", "SEALBOX_SWEEP_INTERVAL", "how often due key deletions and rotations run")
	str(&c.AuditSinks, "audit-sinks", "SEALBOX_AUDIT_SINKS", `where audit events go, comma-separated: "file" (<data>/audit/*.jsonl), "store" (LookupEvents, retention), "syslog" (--audit-syslog); one taking an event is enough`)
	days := func(p *time.Duration, name, env, usage string) {
		if v, err := ParseDays(getenv(env)); err == nil {
			*p = v
		}
		fs.Func(name, usage+" ($"+env+") (default "+FormatDays(*p)+")", func(s string) error {
			v, err := ParseDays(s)
			if err != nil {
				return err
			}
			*p = v
			return nil
		})
	}
	if v, err := ParseSize(getenv("SEALBOX_AUDIT_MIN_FREE")); err == nil {
		c.AuditMinFree = v
	}
	fs.Func("audit-min-free", `refuse write calls while the audit folder's file system has less free space than this, e.g. "64MiB", "1GiB"; 0 turns it off ($SEALBOX_AUDIT_MIN_FREE) (default `+FormatSize(c.AuditMinFree)+")", func(s string) error {
		v, err := ParseSize(s)
		if err != nil {
			return err
		}
		c.AuditMinFree = v
		return nil
	})
	str(&c.AuditSyslog, "audit-syslog", "SEALBOX_AUDIT_SYSLOG", `the "syslog" sink's receiver: host:port (TCP) or tls://host:port (TLS), RFC 5424 over RFC 6587 framing`)
	days(&c.AuditRetention, "audit-retention", "SEALBOX_AUDIT_RETENTION", `how long the store keeps audit events, e.g. "90d" or "720h"; 0 keeps them forever`)
	duration(&c.AuditDigestInterval, "audit-digest-interval", "SEALBOX_AUDIT_DIGEST_INTERVAL", "how often the audit sinks sign a digest of their new events")
	c.Passphrase = primitive.NewSecret([]byte(getenv("SEALBOX_PASSPHRASE")))
	c.PKCS11PIN = primitive.NewSecret([]byte(getenv("SEALBOX_PKCS11_PIN")))
	c.MetricsToken = primitive.NewSecret([]byte(getenv("SEALBOX_METRICS_TOKEN")))
	c.AdminAccessKeyID = getenv("SEALBOX_ADMIN_ACCESS_KEY_ID")
	c.AdminSecretAccessKey = primitive.NewSecret([]byte(getenv("SEALBOX_ADMIN_SECRET_ACCESS_KEY")))
}

// LambdaCredential reads LambdaUser: the uid and gid functions run as, ok
// false for the default.
func (c *Config) LambdaCredential() (ids [2]uint32, err error) {
	if c.LambdaUser == "" {
		return ids, nil
	}
	u, g, found := strings.Cut(c.LambdaUser, ":")
	uid, err1 := strconv.ParseUint(u, 10, 32)
	gid, err2 := strconv.ParseUint(g, 10, 32)
	if !found || err1 != nil || err2 != nil || uid == 0 {
		return ids, fmt.Errorf(`--lambda-user %q must be "uid:gid", numbers, not root's`, c.LambdaUser)
	}
	return [2]uint32{uint32(uid), uint32(gid)}, nil
}

// FromEnv is Default with the environment applied, without flags.
func FromEnv() Config {
	c := Default()
	c.Bind(flag.NewFlagSet("env", flag.ContinueOnError), os.Getenv)
	return c
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Validate checks the configuration and says what to change.
func (c *Config) Validate() error {
	var errs []error
	if !accountPattern.MatchString(c.AccountID) {
		errs = append(errs, fmt.Errorf("--account-id %q must be 12 digits", c.AccountID))
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		errs = append(errs, fmt.Errorf("--listen %q must be host:port: %v", c.Listen, err))
	}
	if sp, err := ParseStore(string(c.Store)); err != nil {
		errs = append(errs, err)
	} else if c.StorePasswordFile != "" && sp.Kind != StorePostgres {
		errs = append(errs, errors.New("--store-password-file goes with a postgres:// --store"))
	}
	if c.NodeID != "" && (len(c.NodeID) > 128 || strings.ContainsAny(c.NodeID, "/ \t\r\n")) {
		errs = append(errs, fmt.Errorf("--node-id %q must be one word of at most 128 characters, without a slash", c.NodeID))
	}
	errs = append(errs, c.rootKeyErrors()...)
	switch c.TLS {
	case "off", "auto":
	default:
		errs = append(errs, fmt.Errorf(`--tls %q must be "auto" or "off"`, c.TLS))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.TLSCert != "" && c.TLS == "auto" {
		errs = append(errs, errors.New("--tls=auto and --tls-cert exclude each other"))
	}
	if err == nil && !c.TLSEnabled() && !c.InsecureHTTP && !isLoopback(host) {
		errs = append(errs, fmt.Errorf("refusing to serve plain HTTP on %s, which is not a loopback address: secrets would cross the network unencrypted. Use --tls=auto or --tls-cert/--tls-key, or --insecure-http if something in front terminates TLS", c.Listen))
	}
	if _, err := c.LambdaCredential(); err != nil {
		errs = append(errs, err)
	}
	switch c.LambdaPortGuard {
	case "", "auto", "require", "off": // "": a Config not from Default
	default:
		errs = append(errs, fmt.Errorf(`--lambda-port-guard %q must be "auto", "require" or "off"`, c.LambdaPortGuard))
	}
	if c.LambdaConcurrency < 1 || c.LambdaIdle <= 0 {
		errs = append(errs, errors.New("--lambda-concurrency must be at least 1 and --lambda-idle positive"))
	}
	if (c.AdminAccessKeyID == "") != (c.AdminSecretAccessKey.Len() == 0) {
		errs = append(errs, errors.New("SEALBOX_ADMIN_ACCESS_KEY_ID and SEALBOX_ADMIN_SECRET_ACCESS_KEY go together"))
	}
	if c.MetricsTokenFile != "" && c.MetricsToken.Len() > 0 {
		errs = append(errs, errors.New("--metrics-token-file and $SEALBOX_METRICS_TOKEN exclude each other: give the token one way"))
	}
	if c.Console && (c.ConsoleIdleTimeout <= 0 || c.ConsoleMaxSession <= 0) {
		errs = append(errs, errors.New("--console-idle-timeout and --console-max-session must be positive"))
	}
	if _, err := clientaddr.New(c.TrustedProxies, c.ForwardedHeader); err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies/--forwarded-header: %w", err))
	}
	if c.LargeBodies < 1 {
		errs = append(errs, errors.New("--large-bodies must be at least 1"))
	}
	if c.SweepInterval <= 0 {
		errs = append(errs, errors.New("--sweep-interval must be positive"))
	}
	if _, err := c.AuditSinkList(); err != nil {
		errs = append(errs, err)
	}
	if c.AuditRetention < 0 {
		errs = append(errs, errors.New("--audit-retention must not be negative (0 keeps events forever)"))
	}
	if c.AuditDigestInterval <= 0 {
		errs = append(errs, errors.New("--audit-digest-interval must be positive"))
	}
	return errors.Join(errs...)
}

// The root-key providers (--root-key).
const (
	RootKeyFile       = "file"
	RootKeyPassphrase = "passphrase"
	RootKeyPKCS11     = "pkcs11"
	RootKeyKMS        = "kms"
	// RootKeyShamir starts sealed: the unseal key is split into shares
	// that operators give to unseal (sealbox operator init, unseal).
	RootKeyShamir = "shamir"
)

// ValidateRootKey checks the root-key settings alone (Validate does too),
// for the commands that unseal a store without serving it.
func (c *Config) ValidateRootKey() error { return errors.Join(c.rootKeyErrors()...) }

func (c *Config) rootKeyErrors() []error {
	var errs []error
	pkcs11Set := c.PKCS11Module != "" || c.PKCS11TokenLabel != "" || c.PKCS11Slot != "" || c.PKCS11KeyLabel != "" ||
		c.PKCS11PINFile != "" || c.PKCS11PIN.Len() > 0
	kmsSet := c.RootKeyKMSKeyID != "" || c.RootKeyKMSEndpoint != "" || c.RootKeyKMSRegion != ""
	switch c.RootKey {
	case RootKeyFile, RootKeyPassphrase, RootKeyShamir:
	case RootKeyPKCS11:
		if c.PKCS11Module == "" {
			errs = append(errs, errors.New("--root-key pkcs11 needs --pkcs11-module: the token's PKCS#11 library (.so)"))
		}
		switch {
		case (c.PKCS11TokenLabel == "") == (c.PKCS11Slot == ""):
			errs = append(errs, errors.New("--root-key pkcs11 needs the token named one way: --pkcs11-token-label or --pkcs11-slot"))
		case c.PKCS11Slot != "":
			if _, err := strconv.ParseUint(c.PKCS11Slot, 10, 0); err != nil {
				errs = append(errs, fmt.Errorf("--pkcs11-slot %q must be a slot number", c.PKCS11Slot))
			}
		}
		if c.PKCS11KeyLabel == "" {
			errs = append(errs, errors.New("--root-key pkcs11 needs --pkcs11-key-label: the label of the key in the token"))
		}
		if (c.PKCS11PINFile == "") == (c.PKCS11PIN.Len() == 0) {
			errs = append(errs, errors.New("--root-key pkcs11 needs the token's PIN one way: --pkcs11-pin-file or $SEALBOX_PKCS11_PIN"))
		}
	case RootKeyKMS:
		if c.RootKeyKMSKeyID == "" {
			errs = append(errs, errors.New("--root-key kms needs --root-key-kms-key-id: the KMS key's id, ARN or alias"))
		}
		if e := c.RootKeyKMSEndpoint; e != "" {
			if u, err := url.Parse(e); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, fmt.Errorf("--root-key-kms-endpoint %q must be an http:// or https:// URL", e))
			}
		}
	default:
		return []error{fmt.Errorf(`--root-key %q must be "file", "passphrase", "pkcs11", "kms" or "shamir"`, c.RootKey)}
	}
	if pkcs11Set && c.RootKey != RootKeyPKCS11 {
		errs = append(errs, fmt.Errorf("--pkcs11-* (or $SEALBOX_PKCS11_PIN) go with --root-key pkcs11, not %q", c.RootKey))
	}
	if kmsSet && c.RootKey != RootKeyKMS {
		errs = append(errs, fmt.Errorf("--root-key-kms-* go with --root-key kms, not %q", c.RootKey))
	}
	return errs
}

// ReadPKCS11PIN is the token's PIN: $SEALBOX_PKCS11_PIN, or the first line
// of PKCS11PINFile.
func (c *Config) ReadPKCS11PIN() (primitive.Secret, error) {
	if c.PKCS11PINFile == "" {
		return c.PKCS11PIN, nil
	}
	b, err := os.ReadFile(c.PKCS11PINFile)
	if err != nil {
		return primitive.Secret{}, fmt.Errorf("failed to read --pkcs11-pin-file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	pin := bytes.Clone(bytes.TrimSuffix(line, []byte("\r")))
	clear(b)
	if len(pin) == 0 {
		return primitive.Secret{}, fmt.Errorf("--pkcs11-pin-file %s is empty: its first line must be the token's PIN", c.PKCS11PINFile)
	}
	return primitive.NewSecret(pin), nil
}

// The audit sinks.
const (
	AuditFile   = "file"
	AuditStore  = "store"
	AuditSyslog = "syslog"
)

// AuditSinkList is AuditSinks as a list, checked: known names, no name
// twice, at least one.
func (c *Config) AuditSinkList() ([]string, error) {
	var out []string
	for _, s := range strings.Split(c.AuditSinks, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			continue
		case s != AuditFile && s != AuditStore && s != AuditSyslog:
			return nil, fmt.Errorf(`--audit-sinks: unknown sink %q: the sinks are "file", "store" and "syslog"`, s)
		case s == AuditSyslog && c.AuditSyslog == "":
			return nil, errors.New(`--audit-sinks names "syslog": --audit-syslog must name its receiver (host:port or tls://host:port)`)
		case slices.Contains(out, s):
			return nil, fmt.Errorf("--audit-sinks names %q twice", s)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New(`--audit-sinks must name at least one sink ("file", "store"): every call is audited`)
	}
	return out, nil
}

// sizeUnits are the suffixes ParseSize reads, largest first.
var sizeUnits = []struct {
	suffix string
	n      int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseSize parses a byte count: a whole number with an optional KiB, MiB,
// GiB or TiB (or B) suffix.
func ParseSize(s string) (int64, error) {
	num, unit := s, int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = n, u.n
			break
		}
	}
	v, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || v < 0 || v > (1<<62)/unit {
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes, or of KiB, MiB, GiB or TiB", s)
	}
	return v * unit, nil
}

// FormatSize writes n as ParseSize reads it, in the largest whole unit.
func FormatSize(n int64) string {
	for _, u := range sizeUnits {
		if n >= u.n && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// ParseDays parses a duration as time.ParseDuration does, and also a whole
// number of days: "90d".
func ParseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// FormatDays writes d as ParseDays reads it, in days when it is whole days.
func FormatDays(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// MinMetricsToken is the shortest token /metrics accepts: 16 bytes, 128
// bits if they are random.
const MinMetricsToken = 16

// ReadMetricsToken is the token GET /metrics accepts: MetricsToken, or the
// content of MetricsTokenFile without its surrounding white space; the
// empty Secret when neither is set. A token shorter than MinMetricsToken
// is an error: it would be guessed.
func (c *Config) ReadMetricsToken() (primitive.Secret, error) {
	tok := c.MetricsToken
	if c.MetricsTokenFile != "" {
		b, err := os.ReadFile(c.MetricsTokenFile)
		if err != nil {
			return primitive.Secret{}, fmt.Errorf("failed to read --metrics-token-file: %w", err)
		}
		tok = primitive.NewSecret(bytes.TrimSpace(b))
	}
	if n := tok.Len(); n > 0 && n < MinMetricsToken {
		return primitive.Secret{}, fmt.Errorf("the metrics token must be at least %d bytes (e.g. openssl rand -hex 16); it has %d", MinMetricsToken, n)
	}
	return tok, nil
}

// RotationTargetsPath is the rotation targets file, or "" for none.
func (c *Config) RotationTargetsPath() string {
	if c.RotationTargets == "" || filepath.IsAbs(c.RotationTargets) {
		return c.RotationTargets
	}
	return filepath.Join(c.DataDir, c.RotationTargets)
}

// RootKeyPath is where the file provider keeps the root key.
func (c *Config) RootKeyPath() string {
	if c.RootKeyFile != "" {
		return c.RootKeyFile
	}
	return filepath.Join(c.DataDir, "root.key")
}

// TLSEnabled reports whether the server serves HTTPS.
func (c *Config) TLSEnabled() bool { return c.TLS == "auto" || c.TLSCert != "" }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// StoreURL is the --store setting. It prints with any password masked, so
// that a Config can be logged.
type StoreURL string

// String implements fmt.Stringer and flag.Value: the URL, password masked.
func (u StoreURL) String() string {
	sp, err := ParseStore(string(u))
	if err != nil {
		if strings.HasPrefix(string(u), "bolt:") {
			return string(u)
		}
		return "(an unreadable store URL)"
	}
	if sp.Kind != StorePostgres {
		return string(u)
	}
	parsed, _ := url.Parse(sp.URL)
	if q := parsed.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		parsed.RawQuery = q.Encode()
	}
	return parsed.Redacted()
}

// GoString is String, for %#v.
func (u StoreURL) GoString() string { return strconv.Quote(u.String()) }

// MarshalText is String, for encoders (a JSON log of the Config).
func (u StoreURL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// Set implements flag.Value.
func (u *StoreURL) Set(s string) error {
	*u = StoreURL(s)
	return nil
}

// The store kinds.
const (
	StoreBolt     = "bolt"
	StorePostgres = "postgres"
)

// StoreSpec is a parsed --store.
type StoreSpec struct {
	Kind string // StoreBolt or StorePostgres
	// Dir is the bolt store's folder, "" for the data folder: the file
	// is sealbox.db in it.
	Dir string
	URL string // the PostgreSQL URL, as given
}

// ParseStore reads a store setting: "bolt:" or "bolt:DIR" (sealbox.db in
// DIR; "" is the data folder), or a postgres:// or postgresql:// URL.
func ParseStore(s string) (StoreSpec, error) {
	if dir, ok := strings.CutPrefix(s, "bolt:"); ok {
		return StoreSpec{Kind: StoreBolt, Dir: dir}, nil
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if _, err := url.Parse(s); err != nil {
			// url's errors quote the URL: the password with it.
			return StoreSpec{}, errors.New("--store: the PostgreSQL URL does not parse (check its syntax and %-escape special characters; the password is not shown)")
		}
		return StoreSpec{Kind: StorePostgres, URL: s}, nil
	}
	if s == "" {
		return StoreSpec{Kind: StoreBolt}, nil
	}
	return StoreSpec{}, errors.New(`--store must be "bolt:" (or "bolt:DIR") or a postgres:// URL`)
}
