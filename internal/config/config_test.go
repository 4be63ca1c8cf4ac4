package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/primitive"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if c.Listen != "127.0.0.1:8777" || c.DataDir != "sealbox-data" || c.AccountID != "123456789012" {
		t.Fatalf("Default() = %+v", c)
	}
}

func TestFlagsOverEnvironment(t *testing.T) {
	env := map[string]string{"SEALBOX_LISTEN": "127.0.0.1:9000", "SEALBOX_DATA": "/env/data", "SEALBOX_ADMIN_ACCESS_KEY_ID": "AKIAEXAMPLE"}
	c := Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--data", "/flag/data"}); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" || c.DataDir != "/flag/data" || c.AdminAccessKeyID != "AKIAEXAMPLE" {
		t.Fatalf("config = %+v", c)
	}
}

func TestValidateSaysWhatIsWrong(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"account", func(c *Config) { c.AccountID = "123" }, "12 digits"},
		{"listen", func(c *Config) { c.Listen = "nohost" }, "host:port"},
		{"root key", func(c *Config) { c.RootKey = "hsm" }, `"file", "passphrase", "pkcs11", "kms" or "shamir"`},
		{"pkcs11 without module", func(c *Config) { pkcs11(c); c.PKCS11Module = "" }, "needs --pkcs11-module"},
		{"pkcs11 without token", func(c *Config) { pkcs11(c); c.PKCS11TokenLabel = "" }, "--pkcs11-token-label or --pkcs11-slot"},
		{"pkcs11 token twice", func(c *Config) { pkcs11(c); c.PKCS11Slot = "0" }, "--pkcs11-token-label or --pkcs11-slot"},
		{"pkcs11 slot not a number", func(c *Config) { pkcs11(c); c.PKCS11TokenLabel, c.PKCS11Slot = "", "first" }, `--pkcs11-slot "first" must be a slot number`},
		{"pkcs11 without key label", func(c *Config) { pkcs11(c); c.PKCS11KeyLabel = "" }, "needs --pkcs11-key-label"},
		{"pkcs11 without PIN", func(c *Config) { pkcs11(c); c.PKCS11PIN = primitive.Secret{} }, "--pkcs11-pin-file or $SEALBOX_PKCS11_PIN"},
		{"pkcs11 PIN twice", func(c *Config) { pkcs11(c); c.PKCS11PINFile = "pin" }, "--pkcs11-pin-file or $SEALBOX_PKCS11_PIN"},
		{"pkcs11 settings with file", func(c *Config) { c.PKCS11Module = "/lib.so" }, `--pkcs11-* (or $SEALBOX_PKCS11_PIN) go with --root-key pkcs11, not "file"`},
		{"kms without key", func(c *Config) { c.RootKey = "kms" }, "needs --root-key-kms-key-id"},
		{"kms endpoint not a URL", func(c *Config) {
			c.RootKey, c.RootKeyKMSKeyID, c.RootKeyKMSEndpoint = "kms", "alias/root", "kms.example:443"
		}, "must be an http:// or https:// URL"},
		{"kms settings with passphrase", func(c *Config) { c.RootKey, c.RootKeyKMSRegion = "passphrase", "eu-west-1" }, `--root-key-kms-* go with --root-key kms, not "passphrase"`},
		{"plain HTTP off loopback", func(c *Config) { c.Listen = "0.0.0.0:8777" }, "not a loopback address"},
		{"cert without key", func(c *Config) { c.TLSCert = "c.pem" }, "go together"},
		{"half admin pair", func(c *Config) { c.AdminAccessKeyID = "AKIA" }, "go together"},
		{"unknown audit sink", func(c *Config) { c.AuditSinks = "file,kafka" }, `unknown sink "kafka"`},
		{"syslog sink without a receiver", func(c *Config) { c.AuditSinks = "file,syslog" }, `--audit-syslog must name its receiver`},
		{"no audit sink", func(c *Config) { c.AuditSinks = " , " }, "at least one sink"},
		{"audit sink twice", func(c *Config) { c.AuditSinks = "store,store" }, `"store" twice`},
		{"negative retention", func(c *Config) { c.AuditRetention = -time.Hour }, "must not be negative"},
		{"unknown store", func(c *Config) { c.Store = "mysql://db" }, `"bolt:" (or "bolt:DIR") or a postgres:// URL`},
		{"password file for bolt", func(c *Config) { c.StorePasswordFile = "pw" }, "goes with a postgres:// --store"},
		{"unknown port guard mode", func(c *Config) { c.LambdaPortGuard = "on" }, `--lambda-port-guard "on" must be "auto", "require" or "off"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to say %q", err, tc.want)
			}
		})
	}
	c := Default()
	pkcs11(&c)
	if err := c.Validate(); err != nil {
		t.Fatalf("--root-key pkcs11 with every setting: Validate() = %v", err)
	}
	c = Default()
	c.RootKey, c.RootKeyKMSKeyID, c.RootKeyKMSEndpoint, c.RootKeyKMSRegion = "kms", "alias/root", "https://kms.example", "eu-west-1"
	if err := c.Validate(); err != nil {
		t.Fatalf("--root-key kms with every setting: Validate() = %v", err)
	}
	c = Default()
	c.Listen, c.TLS = "0.0.0.0:8777", "auto"
	if err := c.Validate(); err != nil {
		t.Fatalf("TLS off loopback: Validate() = %v", err)
	}
	for _, mode := range []string{"auto", "require", "off"} {
		c = Default()
		c.LambdaPortGuard = mode
		if err := c.Validate(); err != nil {
			t.Fatalf("--lambda-port-guard %s: Validate() = %v", mode, err)
		}
	}
	c = Default()
	c.Listen, c.InsecureHTTP = "[::]:8777", true
	if err := c.Validate(); err != nil {
		t.Fatalf("--insecure-http: Validate() = %v", err)
	}
}

func TestAuditFlags(t *testing.T) {
	c := Default()
	if sinks, err := c.AuditSinkList(); err != nil || strings.Join(sinks, ",") != "file,store" || c.AuditRetention != 90*24*time.Hour {
		t.Fatalf("default audit sinks = %v, %v, retention %v; want file,store and 90 days", sinks, err, c.AuditRetention)
	}
	env := map[string]string{"SEALBOX_AUDIT_SINKS": "store", "SEALBOX_AUDIT_RETENTION": "30d"}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if c.AuditSinks != "store" || c.AuditRetention != 30*24*time.Hour {
		t.Fatalf("from the environment: sinks %q, retention %v; want store, 720h", c.AuditSinks, c.AuditRetention)
	}
	if err := fs.Parse([]string{"--audit-sinks", "file", "--audit-retention", "36h"}); err != nil {
		t.Fatal(err)
	}
	if c.AuditSinks != "file" || c.AuditRetention != 36*time.Hour {
		t.Fatalf("from flags: sinks %q, retention %v; want file, 36h", c.AuditSinks, c.AuditRetention)
	}
	if err := fs.Parse([]string{"--audit-retention", "ninety"}); err == nil {
		t.Fatal("--audit-retention ninety parsed")
	}
}

func TestAuditMinFree(t *testing.T) {
	c := Default()
	if c.AuditMinFree != 64<<20 {
		t.Fatalf("default --audit-min-free = %d, want 64 MiB", c.AuditMinFree)
	}
	env := map[string]string{"SEALBOX_AUDIT_MIN_FREE": "2GiB"}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(nil); err != nil || c.AuditMinFree != 2<<30 {
		t.Fatalf("from the environment: %d, %v; want 2 GiB", c.AuditMinFree, err)
	}
	for in, want := range map[string]int64{"0": 0, "512": 512, "100KiB": 100 << 10, "64MiB": 64 << 20, "3TiB": 3 << 40} {
		if err := fs.Parse([]string{"--audit-min-free", in}); err != nil || c.AuditMinFree != want {
			t.Errorf("--audit-min-free %s = %d, %v; want %d", in, c.AuditMinFree, err, want)
		}
		if got := FormatSize(want); want > 0 {
			if back, err := ParseSize(got); err != nil || back != want {
				t.Errorf("FormatSize(%d) = %q, which parses as %d, %v", want, got, back, err)
			}
		}
	}
	for _, bad := range []string{"", "-1MiB", "lots", "1.5GiB", "9999999TiB"} {
		if err := fs.Parse([]string{"--audit-min-free", bad}); err == nil {
			t.Errorf("--audit-min-free %q parsed", bad)
		}
	}
}

func TestReadMetricsToken(t *testing.T) {
	dir := t.TempDir()
	file := func(content string) string {
		p := filepath.Join(dir, "token")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name          string
		env, fileText string
		want          string
		wantErr       bool
	}{
		{name: "none"},
		{name: "environment", env: "0123456789abcdef", want: "0123456789abcdef"},
		{name: "file, trimmed", fileText: "0123456789abcdef\n", want: "0123456789abcdef"},
		{name: "too short", env: "short", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.MetricsToken = primitive.NewSecret([]byte(tc.env))
			if tc.fileText != "" {
				c.MetricsTokenFile = file(tc.fileText)
			}
			got, err := c.ReadMetricsToken()
			if (err != nil) != tc.wantErr {
				t.Fatalf("ReadMetricsToken() err = %v, want error %v", err, tc.wantErr)
			}
			if string(got.Bytes()) != tc.want {
				t.Errorf("ReadMetricsToken() = %q, want %q", got.Bytes(), tc.want)
			}
		})
	}
	c := Default()
	c.MetricsToken = primitive.NewSecret([]byte("0123456789abcdef"))
	c.MetricsTokenFile = "x"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "metrics-token-file") {
		t.Errorf("Validate() with both the file and the variable = %v, want an error naming --metrics-token-file", err)
	}
}

func TestStore(t *testing.T) {
	env := map[string]string{"SEALBOX_STORE": "postgres://sealbox:env-pass@db.example:5432/sealbox?sslmode=verify-full"}
	c := Default()
	if c.Store != "bolt:" {
		t.Errorf("Default().Store = %q, want bolt:", c.Store)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if c.Store != StoreURL(env["SEALBOX_STORE"]) {
		t.Errorf("Store from $SEALBOX_STORE = %q, want %q", c.Store, env["SEALBOX_STORE"])
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() with a postgres store = %v", err)
	}
	if err := fs.Parse([]string{"--store", "postgresql://u:flag-pass@h/db?password=query-pass", "--store-password-file", "/run/pw"}); err != nil {
		t.Fatal(err)
	}
	if c.StorePasswordFile != "/run/pw" {
		t.Errorf("StorePasswordFile = %q, want /run/pw", c.StorePasswordFile)
	}
	// Printed in any way, the config shows no password.
	js, _ := json.Marshal(c)
	for _, printed := range []string{c.Store.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", &c), string(js)} {
		for _, pw := range []string{"flag-pass", "query-pass"} {
			if strings.Contains(printed, pw) {
				t.Errorf("the config printed shows the store password: %s", printed)
			}
		}
	}
	if got := c.Store.String(); !strings.Contains(got, "postgresql://u:xxxxx@h/db") {
		t.Errorf("Store.String() = %q, want the URL with the password masked", got)
	}
	for in, want := range map[string]StoreSpec{
		"bolt:":               {Kind: StoreBolt},
		"bolt:/var/lib/sb":    {Kind: StoreBolt, Dir: "/var/lib/sb"},
		"postgres://h/db":     {Kind: StorePostgres, URL: "postgres://h/db"},
		"postgresql://h/db?x": {Kind: StorePostgres, URL: "postgresql://h/db?x"},
	} {
		if got, err := ParseStore(in); err != nil || got != want {
			t.Errorf("ParseStore(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := ParseStore("postgres://u:p%zz@h/db"); err == nil || strings.Contains(err.Error(), "p%zz") {
		t.Errorf("ParseStore(a bad URL) = %v, want an error that does not quote it", err)
	}
}

// pkcs11 sets a complete --root-key pkcs11 configuration.
func pkcs11(c *Config) {
	c.RootKey = "pkcs11"
	c.PKCS11Module = "/usr/lib/softhsm/libsofthsm2.so"
	c.PKCS11TokenLabel = "sealbox"
	c.PKCS11KeyLabel = "barrier"
	c.PKCS11PIN = primitive.NewSecret([]byte("1234"))
}

func TestReadPKCS11PIN(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ content, want string }{
		"one line":         {"1234\n", "1234"},
		"CRLF":             {"1234\r\n", "1234"},
		"no newline":       {"1234", "1234"},
		"first line only":  {"1234\nsecond\n", "1234"},
		"spaces are a PIN": {" 12 34 \n", " 12 34 "},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(path, []byte(tc.content), 0o600)
		c := Config{PKCS11PINFile: path}
		pin, err := c.ReadPKCS11PIN()
		if err != nil || string(pin.Bytes()) != tc.want {
			t.Errorf("%s: ReadPKCS11PIN() = %q, %v; want %q", name, pin.Bytes(), err, tc.want)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	c := Config{PKCS11PINFile: empty}
	if _, err := c.ReadPKCS11PIN(); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("ReadPKCS11PIN() of an empty file = %v, want an error saying it is empty", err)
	}
	c = Config{PKCS11PINFile: filepath.Join(dir, "missing")}
	if _, err := c.ReadPKCS11PIN(); err == nil {
		t.Errorf("ReadPKCS11PIN() of a missing file = nil error")
	}
	c = Config{PKCS11PIN: primitive.NewSecret([]byte("from-env"))}
	if pin, err := c.ReadPKCS11PIN(); err != nil || string(pin.Bytes()) != "from-env" {
		t.Errorf("ReadPKCS11PIN() from the environment = %q, %v", pin.Bytes(), err)
	}
}

// The PIN is never a flag: only $SEALBOX_PKCS11_PIN sets it.
func TestPKCS11PINOnlyFromEnvironment(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs, func(k string) string {
		if k == "SEALBOX_PKCS11_PIN" {
			return "9876"
		}
		return ""
	})
	if fs.Lookup("pkcs11-pin") != nil {
		t.Errorf("there is a --pkcs11-pin flag: a PIN on the command line shows in the process list")
	}
	if string(c.PKCS11PIN.Bytes()) != "9876" {
		t.Errorf("PKCS11PIN from $SEALBOX_PKCS11_PIN = %q, want 9876", c.PKCS11PIN.Bytes())
	}
	if s := fmt.Sprintf("%v %+v", c, c); strings.Contains(s, "9876") {
		t.Errorf("printing the Config shows the PIN")
	}
}

func TestTrustedProxiesFlags(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs, func(k string) string {
		return map[string]string{"SEALBOX_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}[k]
	})
	if err := fs.Parse([]string{"--forwarded-header", "Forwarded"}); err != nil {
		t.Fatal(err)
	}
	if c.TrustedProxies != "10.0.0.0/8, 192.0.2.1" || c.ForwardedHeader != "Forwarded" {
		t.Fatalf("--trusted-proxies %q, --forwarded-header %q", c.TrustedProxies, c.ForwardedHeader)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	for _, bad := range []struct{ proxies, header string }{{"10.0.0.0/33", ""}, {"proxy.example", ""}, {"10.0.0.0/8", "X-Real-IP"}} {
		c := Default()
		c.TrustedProxies, c.ForwardedHeader = bad.proxies, bad.header
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
			t.Errorf("--trusted-proxies %q --forwarded-header %q: Validate() = %v, want an error naming the flag", bad.proxies, bad.header, err)
		}
	}
}
