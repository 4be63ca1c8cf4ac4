package suggest_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/suggest"
)

var ctx = context.Background()

func must[T any](t *testing.T, call string) func(T, error) T { return sealtest.Must[T](t, call) }

// session makes a role with the inline policy and returns the config of a
// session of it, and the role's ARN.
func session(t *testing.T, s *sealtest.Server, name, policy string) (aws.Config, string) {
	t.Helper()
	r := s.NewRole(t, name, "", policy, "work")
	return r.Config(s), r.ARN
}

// TestSuggestedPolicyAllowsExactlyWhatWasDone: a role with every right does
// its work; the policy drawn from the trail, given to a fresh role, allows
// every call that was seen and denies those that were not (other
// resources, another encryption context, other actions), decided by the
// server's own authorizer.
func TestSuggestedPolicyAllowsExactlyWhatWasDone(t *testing.T) {
	s := sealtest.Start(t)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	other := must[*kms.CreateKeyOutput](t, "CreateKey other")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	for _, p := range []struct{ name, typ string }{{"/app/url", "String"}, {"/app/pw", "SecureString"}, {"/other/x", "String"}} {
		must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(p.name), Value: aws.String("v"), Type: ssmtypes.ParameterType(p.typ)}))
	}
	for _, n := range []string{"app/db", "other/db"} {
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(n), SecretString: aws.String("v")}))
	}
	start := time.Now().Add(-time.Minute)

	// The work, as a role that may do anything.
	work := func(cfg aws.Config) []error {
		k, p, m := kms.NewFromConfig(cfg), ssm.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg)
		ec := map[string]string{"app": "billing"}
		var errs []error
		enc, err := k.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.Arn, Plaintext: []byte("x"), EncryptionContext: ec})
		errs = append(errs, err)
		if err == nil {
			_, err = k.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
		}
		errs = append(errs, err)
		_, err = p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/url")})
		errs = append(errs, err)
		_, err = p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/pw"), WithDecryption: aws.Bool(true)})
		errs = append(errs, err)
		_, err = m.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
		errs = append(errs, err)
		_, err = p.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app")})
		errs = append(errs, err)
		_, err = p.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/new"), Value: aws.String("n"), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
		errs = append(errs, err)
		_, err = m.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		errs = append(errs, err)
		return errs
	}
	cfg, roleARN := session(t, s, "worker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	for i, err := range work(cfg) {
		if err != nil {
			t.Fatalf("the work, call %d: %v", i, err)
		}
	}
	// A denied attempt is not something the role did.
	kms.NewFromConfig(cfg).ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String("alias/none")})

	events, err := suggest.ReadDir(s.Dir + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	policy, ok := suggest.Suggest(events, roleARN, start)
	if !ok {
		t.Fatalf("no calls of %s in %d events", roleARN, len(events))
	}
	doc, _ := json.MarshalIndent(policy, "", "  ")
	t.Logf("suggested:\n%s", doc)

	fresh, _ := session(t, s, "fresh", string(doc))
	for i, err := range work(fresh) {
		if err != nil {
			t.Fatalf("the suggested policy denies call %d that was seen: %v", i, err)
		}
	}
	denied := func(what string, err error) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || (ae.ErrorCode() != "AccessDeniedException" && ae.ErrorCode() != "AccessDenied") {
			t.Errorf("%s (never seen) = %v, want a denial", what, err)
		}
	}
	k, p, m := kms.NewFromConfig(fresh), ssm.NewFromConfig(fresh), secretsmanager.NewFromConfig(fresh)
	_, err = k.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.Arn, Plaintext: []byte("x"), EncryptionContext: map[string]string{"app": "other"}})
	denied("Encrypt with another encryption context", err)
	_, err = k.Encrypt(ctx, &kms.EncryptInput{KeyId: other.KeyMetadata.Arn, Plaintext: []byte("x"), EncryptionContext: map[string]string{"app": "billing"}})
	denied("Encrypt under another key", err)
	_, err = p.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/other/x")})
	denied("GetParameter /other/x", err)
	_, err = p.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("w"), Overwrite: aws.Bool(true)})
	denied("PutParameter", err)
	_, err = p.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), Recursive: aws.Bool(true)})
	denied("GetParametersByPath /app recursively (seen only one level deep)", err)
	_, err = p.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/new"), Value: aws.String("w"), Type: ssmtypes.ParameterTypeString})
	denied("PutParameter /app/new without Overwrite (seen only with it)", err)
	_, err = m.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/db")})
	denied("GetSecretValue other/db", err)
	_, err = k.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.Arn, PendingWindowInDays: aws.Int32(7)})
	denied("ScheduleKeyDeletion", err)
}
