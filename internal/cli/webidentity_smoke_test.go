package cli_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestWebIdentityAWSCLI is web identity federation as an EKS pod or a CI
// job uses it, with the aws CLI alone (scripts/web-identity-cli.sh): the
// real binary trusts a real OpenID Connect issuer's CA (--oidc-ca-file),
// and the CLI's own AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN provider
// turns the issuer's token into the role's session.
func TestWebIdentityAWSCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	is := sealtest.StartIssuer(t)
	srv := startSealbox(t, "--oidc-ca-file", is.CAFile)
	dir := t.TempDir()
	now := time.Now()
	token := func(sub string) string {
		return is.Sign(t, map[string]any{"iss": is.URL, "aud": "sts.amazonaws.com", "sub": sub,
			"iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix()})
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := token("system:serviceaccount:prod:app")
	i := strings.LastIndexByte(good, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(good[i+1:])
	sig[0] ^= 0x80
	env := append(cleanEnv(), srv.exports...)
	env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"ISSUER_URL="+is.URL,
		"TOKEN_FILE="+write("token", good),
		"OTHER_TOKEN_FILE="+write("other", token("system:serviceaccount:dev:app")),
		"FORGED_TOKEN_FILE="+write("forged", good[:i+1]+base64.RawURLEncoding.EncodeToString(sig)))
	runScriptIn(t, t.TempDir(), 3*time.Minute, env, "bash", scriptPath(t, "web-identity-cli.sh"))
	srv.stop(t)
}
