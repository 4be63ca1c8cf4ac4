package agent

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the agent's configuration. Default gives the Parameters and
// Secrets Lambda Extension's defaults; Bind reads the extension's
// environment variables and registers a flag for each knob.
type Config struct {
	// Port is the port on 127.0.0.1 to serve on
	// (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, 2773; 0 picks a free one).
	Port int
	// CacheEnabled turns the cache on
	// (PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED, true).
	CacheEnabled bool
	// CacheSize is the most items cached; 0 bypasses the cache
	// (PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE, 1000).
	CacheSize int
	// MaxConnections bounds the connections to each upstream service
	// (PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS, 3).
	MaxConnections int
	// LogLevel is debug, info, warn, error or none
	// (PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL, info).
	LogLevel string
	// SecretsTTL and ParametersTTL are how long a value is served from the
	// cache; 0 bypasses it (SECRETS_MANAGER_TTL, SSM_PARAMETER_STORE_TTL,
	// in seconds, 300).
	SecretsTTL, ParametersTTL time.Duration
	// SecretsTimeout and ParametersTimeout bound each upstream call; 0 is
	// no bound (SECRETS_MANAGER_TIMEOUT_MILLIS,
	// SSM_PARAMETER_STORE_TIMEOUT_MILLIS).
	SecretsTimeout, ParametersTimeout time.Duration

	// Token is what the X-Aws-Parameters-Secrets-Token (or X-Vault-Token)
	// header must hold: the first of AWS_TOKEN, AWS_SESSION_TOKEN,
	// AWS_CONTAINER_AUTHORIZATION_TOKEN; a file:// value names a file
	// holding it. Never logged.
	Token string

	// Prefetch is loaded before the agent answers its first request
	// (SEALBOX_AGENT_PREFETCH).
	Prefetch []PrefetchItem
	// MaxStale is how far past its TTL a cached value is still served
	// while the upstream fails transiently (SEALBOX_AGENT_MAX_STALE, 1h);
	// 0 never serves past the TTL.
	MaxStale time.Duration
	// Attempts is how many times a miss calls the upstream before it
	// gives up on a transient error (SEALBOX_AGENT_ATTEMPTS, 3).
	Attempts int
	// RetryBase and RetryCap shape the backoff between attempts and
	// between reconnections of the change feed: attempt n waits a random
	// time in [0, min(RetryCap, RetryBase·2ⁿ)) (full jitter).
	RetryBase, RetryCap time.Duration
	// Feed subscribes to the upstream's change feed when it has one
	// (SEALBOX_AGENT_FEED, true).
	Feed bool
	// MaxInFlight bounds the upstream fetches under way for requests
	// (SEALBOX_AGENT_MAX_IN_FLIGHT, 64): with a stalled upstream and no
	// timeout, each distinct item asked for would otherwise hold a
	// goroutine and its connection wait for ever. A miss past the bound
	// is answered 429 at once (or from the cache past its TTL, as for any
	// transient failure).
	MaxInFlight int

	envErrs []error
}

// Default is the extension's configuration, with sealbox's additions.
func Default() Config {
	return Config{
		Port:           2773,
		CacheEnabled:   true,
		CacheSize:      1000,
		MaxConnections: 3,
		LogLevel:       "info",
		SecretsTTL:     300 * time.Second,
		ParametersTTL:  300 * time.Second,
		MaxStale:       time.Hour,
		Attempts:       3,
		RetryBase:      50 * time.Millisecond,
		RetryCap:       5 * time.Second,
		Feed:           true,
		MaxInFlight:    64,
	}
}

// TokenVariables are the environment variables the token is taken from,
// first set first, as both the extension and aws-secretsmanager-agent do.
var TokenVariables = []string{"AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}

// lookup returns the value of the extension's variable name, or of its
// misspelt PARAMETERS_AND_SECRETS_EXTENSION_* twin that some tools set.
func lookup(getenv func(string) string, name string) (string, string) {
	if v := getenv(name); v != "" {
		return v, name
	}
	if rest, ok := strings.CutPrefix(name, "PARAMETERS_SECRETS_EXTENSION_"); ok {
		alt := "PARAMETERS_AND_SECRETS_EXTENSION_" + rest
		if v := getenv(alt); v != "" {
			return v, alt
		}
	}
	return "", name
}

// Bind sets c from the environment and registers a flag for each knob on
// fs, defaulting to what the environment said: flags override the
// environment. A malformed variable is reported by Validate.
func (c *Config) Bind(fs *flag.FlagSet, getenv func(string) string) {
	bad := func(env, v string, err error) {
		c.envErrs = append(c.envErrs, fmt.Errorf("$%s=%q: %v", env, v, err))
	}
	integer := func(p *int, flagName, env, usage string) {
		if v, name := lookup(getenv, env); v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				bad(name, v, errors.New("want a whole number, 0 or more"))
			} else {
				*p = n
			}
		}
		fs.IntVar(p, flagName, *p, usage+" ($"+env+")")
	}
	// The extension's durations are whole seconds or milliseconds; the
	// flags take Go durations (300s, 5m, 250ms).
	duration := func(p *time.Duration, flagName, env string, unit time.Duration, usage string) {
		if v, name := lookup(getenv, env); v != "" {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				bad(name, v, errors.New("want a whole number, 0 or more"))
			} else {
				*p = time.Duration(n) * unit
			}
		}
		fs.DurationVar(p, flagName, *p, usage+" ($"+env+")")
	}
	goDuration := func(p *time.Duration, flagName, env, usage string) {
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				bad(env, v, errors.New("want a duration such as 30m"))
			} else {
				*p = d
			}
		}
		fs.DurationVar(p, flagName, *p, usage+" ($"+env+")")
	}
	boolean := func(p *bool, flagName, env, usage string) {
		if v, name := lookup(getenv, env); v != "" {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				bad(name, v, errors.New("want TRUE or FALSE"))
			} else {
				*p = b
			}
		}
		fs.BoolVar(p, flagName, *p, usage+" ($"+env+")")
	}

	integer(&c.Port, "port", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "port to serve on, on 127.0.0.1 only")
	boolean(&c.CacheEnabled, "cache-enabled", "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "cache parameters and secrets")
	integer(&c.CacheSize, "cache-size", "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "most items cached, least recently used out first; 0 bypasses the cache")
	integer(&c.MaxConnections, "max-connections", "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", "most connections to each upstream service")
	if v, _ := lookup(getenv, "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"); v != "" {
		c.LogLevel = strings.ToLower(strings.TrimSpace(v))
	}
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn, error or none ($PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL)")
	duration(&c.SecretsTTL, "secrets-ttl", "SECRETS_MANAGER_TTL", time.Second, "how long a secret is served from the cache; 0 bypasses it (the variable in seconds)")
	duration(&c.ParametersTTL, "parameters-ttl", "SSM_PARAMETER_STORE_TTL", time.Second, "how long a parameter is served from the cache; 0 bypasses it (the variable in seconds)")
	duration(&c.SecretsTimeout, "secrets-timeout", "SECRETS_MANAGER_TIMEOUT_MILLIS", time.Millisecond, "bound on each call to Secrets Manager; 0 is none (the variable in milliseconds)")
	duration(&c.ParametersTimeout, "parameters-timeout", "SSM_PARAMETER_STORE_TIMEOUT_MILLIS", time.Millisecond, "bound on each call to Parameter Store; 0 is none (the variable in milliseconds)")

	prefetch := &prefetchFlag{items: &c.Prefetch}
	if v := getenv("SEALBOX_AGENT_PREFETCH"); v != "" {
		if err := prefetch.Set(v); err != nil {
			bad("SEALBOX_AGENT_PREFETCH", v, err)
		}
		prefetch.fromEnv = true
	}
	fs.Var(prefetch, "prefetch", "`items` to load before the first answer, comma-separated: secret:ID, secret-prefix:P, secret-tag:K=V, param:NAME[:SELECTOR], param-path:/PATH/, param-tag:K=V; repeatable ($SEALBOX_AGENT_PREFETCH)")
	goDuration(&c.MaxStale, "max-stale", "SEALBOX_AGENT_MAX_STALE", "serve a cached value up to this long past its TTL while the upstream fails transiently; 0 never")
	integer(&c.Attempts, "attempts", "SEALBOX_AGENT_ATTEMPTS", "upstream calls per miss on transient errors, with exponential backoff and full jitter")
	boolean(&c.Feed, "feed", "SEALBOX_AGENT_FEED", "subscribe to the upstream's change feed (sealbox) and evict changed items at once")
	integer(&c.MaxInFlight, "max-in-flight", "SEALBOX_AGENT_MAX_IN_FLIGHT", "most upstream fetches under way for requests; a miss past it is answered 429")
}

// LoadToken sets c.Token from the first of TokenVariables that is set,
// reading the file a file:// value names (refused if it is not ours or
// others may read or write it). The token is trimmed of white
// space (a header's value is: a token with spaces around it could never
// match), and one that is empty afterwards is refused rather than skipped.
func (c *Config) LoadToken(getenv func(string) string) error {
	for _, name := range TokenVariables {
		v := getenv(name)
		if v == "" {
			continue
		}
		if v = strings.TrimSpace(v); v == "" {
			return fmt.Errorf("$%s holds only white space: set a token (a value, or file://PATH)", name)
		}
		if path, ok := strings.CutPrefix(v, "file://"); ok {
			b, err := readTokenFile(path)
			if err != nil {
				return fmt.Errorf("the token file $%s names: %w", name, err)
			}
			v = strings.TrimSpace(string(b))
			if v == "" {
				return fmt.Errorf("the token file %s ($%s) is empty", path, name)
			}
		}
		c.Token = v
		return nil
	}
	return fmt.Errorf("no token: set one of $%s (a value, or file://PATH)", strings.Join(TokenVariables, ", $"))
}

// Validate says what is wrong with c, all at once.
func (c *Config) Validate() error {
	errs := append([]error(nil), c.envErrs...)
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d: want 1 to 65535 (0: any free port)", c.Port))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("cache size %d: want 0 or more", c.CacheSize))
	}
	if c.MaxConnections < 1 {
		errs = append(errs, fmt.Errorf("max connections %d: want 1 or more", c.MaxConnections))
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		errs = append(errs, fmt.Errorf("log level %q: want debug, info, warn, error or none", c.LogLevel))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"secrets TTL", c.SecretsTTL}, {"parameters TTL", c.ParametersTTL}, {"secrets timeout", c.SecretsTimeout},
		{"parameters timeout", c.ParametersTimeout}, {"max stale", c.MaxStale}, {"retry base", c.RetryBase}, {"retry cap", c.RetryCap}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v: want 0 or more", d.name, d.v))
		}
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, fmt.Errorf("max in flight %d: want 1 or more", c.MaxInFlight))
	}
	if c.Attempts < 1 {
		errs = append(errs, fmt.Errorf("attempts %d: want 1 or more", c.Attempts))
	}
	if strings.TrimSpace(c.Token) == "" {
		errs = append(errs, errors.New("no token"))
	}
	return errors.Join(errs...)
}

// caching reports whether anything is cached at all.
func (c *Config) caching() bool {
	return c.CacheEnabled && c.CacheSize > 0 && (c.SecretsTTL > 0 || c.ParametersTTL > 0)
}

// prefetchFlag is the repeatable --prefetch flag; the first flag replaces
// what the environment said.
type prefetchFlag struct {
	items   *[]PrefetchItem
	fromEnv bool
}

func (p *prefetchFlag) String() string {
	if p == nil || p.items == nil {
		return ""
	}
	s := make([]string, len(*p.items))
	for i, it := range *p.items {
		s[i] = it.String()
	}
	return strings.Join(s, ",")
}

func (p *prefetchFlag) Set(v string) error {
	items, err := ParsePrefetch(v)
	if err != nil {
		return err
	}
	if p.fromEnv {
		*p.items, p.fromEnv = nil, false
	}
	*p.items = append(*p.items, items...)
	return nil
}
