package agent_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/agent"
)

func bind(t *testing.T, env map[string]string, args ...string) (agent.Config, error) {
	t.Helper()
	cfg := agent.Default()
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.Token = "t"
	return cfg, cfg.Validate()
}

// TestConfigDefaults are the extension's documented defaults.
func TestConfigDefaults(t *testing.T) {
	cfg, err := bind(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := agent.Default()
	want.Token = "t"
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config from an empty environment = %+v, want %+v", cfg, want)
	}
	if cfg.Port != 2773 || !cfg.CacheEnabled || cfg.CacheSize != 1000 || cfg.MaxConnections != 3 || cfg.LogLevel != "info" ||
		cfg.SecretsTTL != 300*time.Second || cfg.ParametersTTL != 300*time.Second || cfg.SecretsTimeout != 0 || cfg.ParametersTimeout != 0 {
		t.Fatalf("defaults = %+v, want the extension's", cfg)
	}
}

// TestConfigEnvironment: each of the extension's variables, its misspelt
// twin, and the flags over both.
func TestConfigEnvironment(t *testing.T) {
	env := map[string]string{
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT":       "2774",
		"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED":   "FALSE",
		"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE":      "50",
		"PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS": "7",
		"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL":       "DEBUG",
		"SECRETS_MANAGER_TTL":                          "60",
		"SSM_PARAMETER_STORE_TTL":                      "0",
		"SECRETS_MANAGER_TIMEOUT_MILLIS":               "1500",
		"SSM_PARAMETER_STORE_TIMEOUT_MILLIS":           "250",
		"SEALBOX_AGENT_PREFETCH":                       "secret:prod/db,param-path:/app/",
		"SEALBOX_AGENT_MAX_STALE":                      "10m",
		"SEALBOX_AGENT_ATTEMPTS":                       "5",
		"SEALBOX_AGENT_FEED":                           "false",
	}
	cfg, err := bind(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 2774 || cfg.CacheEnabled || cfg.CacheSize != 50 || cfg.MaxConnections != 7 || cfg.LogLevel != "debug" ||
		cfg.SecretsTTL != time.Minute || cfg.ParametersTTL != 0 || cfg.SecretsTimeout != 1500*time.Millisecond || cfg.ParametersTimeout != 250*time.Millisecond ||
		cfg.MaxStale != 10*time.Minute || cfg.Attempts != 5 || cfg.Feed {
		t.Fatalf("config = %+v", cfg)
	}
	if want := []agent.PrefetchItem{{"secret", "prod/db"}, {"param-path", "/app/"}}; !reflect.DeepEqual(cfg.Prefetch, want) {
		t.Fatalf("prefetch = %v, want %v", cfg.Prefetch, want)
	}

	// The misspelt names some tools set, when the right one is not.
	cfg, err = bind(t, map[string]string{"PARAMETERS_AND_SECRETS_EXTENSION_CACHE_SIZE": "9", "PARAMETERS_AND_SECRETS_EXTENSION_HTTP_PORT": "3000",
		"PARAMETERS_AND_SECRETS_EXTENSION_CACHE_ENABLED": "false", "PARAMETERS_AND_SECRETS_EXTENSION_MAX_CONNECTIONS": "2", "PARAMETERS_AND_SECRETS_EXTENSION_LOG_LEVEL": "warn"})
	if err != nil || cfg.CacheSize != 9 || cfg.Port != 3000 || cfg.CacheEnabled || cfg.MaxConnections != 2 || cfg.LogLevel != "warn" {
		t.Fatalf("misspelt names: %+v, %v", cfg, err)
	}
	cfg, _ = bind(t, map[string]string{"PARAMETERS_AND_SECRETS_EXTENSION_CACHE_SIZE": "9", "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": "8"})
	if cfg.CacheSize != 8 {
		t.Fatalf("with both names set the cache size is %d, want the right name's 8", cfg.CacheSize)
	}

	// Flags override the environment.
	cfg, err = bind(t, env, "--port", "0", "--cache-enabled=true", "--secrets-ttl", "2h", "--parameters-timeout", "3s", "--prefetch", "param:/x", "--prefetch", "secret-tag:team=blue", "--feed")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 0 || !cfg.CacheEnabled || cfg.SecretsTTL != 2*time.Hour || cfg.ParametersTimeout != 3*time.Second || !cfg.Feed {
		t.Fatalf("flags did not override: %+v", cfg)
	}
	if want := []agent.PrefetchItem{{"param", "/x"}, {"secret-tag", "team=blue"}}; !reflect.DeepEqual(cfg.Prefetch, want) {
		t.Fatalf("--prefetch twice = %v, want %v (the flags replace the environment's list)", cfg.Prefetch, want)
	}
}

// TestConfigInvalid: a malformed variable stops the agent with what is
// wrong, all at once.
func TestConfigInvalid(t *testing.T) {
	_, err := bind(t, map[string]string{"SECRETS_MANAGER_TTL": "5m", "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "yes please",
		"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "loud", "PARAMETERS_AND_SECRETS_EXTENSION_CACHE_SIZE": "-1", "SEALBOX_AGENT_PREFETCH": "file:/etc/passwd"})
	if err == nil {
		t.Fatal("Validate = nil, want errors")
	}
	for _, want := range []string{"$SECRETS_MANAGER_TTL", "$PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", `log level "loud"`, "$PARAMETERS_AND_SECRETS_EXTENSION_CACHE_SIZE", "$SEALBOX_AGENT_PREFETCH"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to name %s", err, want)
		}
	}
	if _, err := bind(t, nil, "--max-connections", "0"); err == nil || !strings.Contains(err.Error(), "max connections") {
		t.Errorf("--max-connections 0: %v", err)
	}
}

// TestToken: the first of AWS_TOKEN, AWS_SESSION_TOKEN,
// AWS_CONTAINER_AUTHORIZATION_TOKEN; file:// reads the file.
func TestToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(dir, "blank")
	if err := os.WriteFile(blank, []byte(" \n\t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(name string, perm os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("shared\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
		err  string
	}{
		// A token file others can read, or write, is refused, as ssh
		// refuses such a key.
		{"a world-readable file", map[string]string{"AWS_TOKEN": "file://" + open("world", 0o644)}, "", "permissions 0644 for " + dir + "/world are too open"},
		{"a group-readable file", map[string]string{"AWS_TOKEN": "file://" + open("group", 0o640)}, "", "are too open"},
		{"a group-writable file", map[string]string{"AWS_TOKEN": "file://" + open("gwrite", 0o620)}, "", "are too open"},
		{"a file readable by its owner only", map[string]string{"AWS_TOKEN": "file://" + open("owner", 0o400)}, "shared", ""},
		{"a directory", map[string]string{"AWS_TOKEN": "file://" + dir}, "", "not a regular file"},
		{"AWS_TOKEN first", map[string]string{"AWS_TOKEN": "a", "AWS_SESSION_TOKEN": "b", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "a", ""},
		{"AWS_SESSION_TOKEN", map[string]string{"AWS_SESSION_TOKEN": "b", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "b", ""},
		{"AWS_CONTAINER_AUTHORIZATION_TOKEN", map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "c", ""},
		{"file", map[string]string{"AWS_TOKEN": "file://" + file}, "from-file", ""},
		{"missing file", map[string]string{"AWS_TOKEN": "file://" + filepath.Join(dir, "nope")}, "", "no such file"},
		{"none", nil, "", "no token"},
		// A token of white space would let any header of spaces in: refused.
		{"white space", map[string]string{"AWS_TOKEN": " \t\n "}, "", "$AWS_TOKEN holds only white space"},
		{"white space, not the next", map[string]string{"AWS_TOKEN": "  ", "AWS_SESSION_TOKEN": "b"}, "", "$AWS_TOKEN holds only white space"},
		{"a file of white space", map[string]string{"AWS_TOKEN": "file://" + blank}, "", "is empty"},
		{"trimmed", map[string]string{"AWS_SESSION_TOKEN": " b\n"}, "b", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := agent.Default()
			err := cfg.LoadToken(func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("LoadToken = %v, want an error containing %q", err, c.err)
				}
				return
			}
			if err != nil || cfg.Token != c.want {
				t.Fatalf("LoadToken: token %q, %v; want %q", cfg.Token, err, c.want)
			}
		})
	}
}

// TestTokenFileOfAnotherUser: a token file another user owns is refused
// even with mode 0600 (they may read it, or change it under us).
func TestTokenFileOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("theirs"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	cfg := agent.Default()
	err := cfg.LoadToken(func(k string) string { return map[string]string{"AWS_TOKEN": "file://" + p}[k] })
	if err == nil || !strings.Contains(err.Error(), "is owned by uid 65534") {
		t.Fatalf("LoadToken = %v (token %q), want a refusal for the owner", err, cfg.Token)
	}
}

func TestParsePrefetch(t *testing.T) {
	got, err := agent.ParsePrefetch("secret:prod/db, secret-prefix:prod/,secret-tag:team=blue,param:/app/x:3,param-path:/app/,param-tag:env=prod,")
	if err != nil {
		t.Fatal(err)
	}
	want := []agent.PrefetchItem{{"secret", "prod/db"}, {"secret-prefix", "prod/"}, {"secret-tag", "team=blue"}, {"param", "/app/x:3"}, {"param-path", "/app/"}, {"param-tag", "env=prod"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParsePrefetch = %v, want %v", got, want)
	}
	for _, bad := range []string{"prod/db", "secret:", "file:/x", "secret-tag:team", "param-path:app/", "param-tag:=v"} {
		if _, err := agent.ParsePrefetch(bad); err == nil {
			t.Errorf("ParsePrefetch(%q) = nil error, want one", bad)
		}
	}
}
