package functions_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// BenchmarkInvoke measures Invoke through aws-sdk-go-v2 against an
// in-process server running the test function with aws-lambda-rie: warm
// (an environment reused), and cold (every environment dropped before
// each call, outside the timer). A cold start is split as the runner
// times it (ms/op each): sealbox-init-ms is sealbox's INIT (the role's
// session, the environment decrypted with the customer key, one secret
// reference resolved, each audited), sealbox-unpack-ms reading the code
// from the store, checking its digest and unzipping it, rie-start-ms the
// emulator's process up and listening, bootstrap-invoke-ms the emulator's
// answer (the bootstrap's own start and the handler).
func BenchmarkInvoke(b *testing.B) { benchmarkInvoke(b, startRunner(b)) }

// BenchmarkInvokeOwnMounts is BenchmarkInvoke with the server's sealbox
// executable (as `sealbox server` runs, and as root): each environment in
// a mount namespace of its own, its own /tmp, /var/tmp, /dev/shm and
// /proc, made by the helper step.
func BenchmarkInvokeOwnMounts(b *testing.B) { benchmarkInvoke(b, startWithExtension(b)) }

func benchmarkInvoke(b *testing.B, s *sealtest.Server) {
	c := s.Lambda()
	key := *must[*kms.CreateKeyOutput](b, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.Arn
	secret := must[*secretsmanager.CreateSecretOutput](b, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("orders/db"), KmsKeyId: aws.String(key), SecretString: aws.String(`{"password":"pa55"}`)}))
	exec := newRole(b, s, "orders-exec", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+key+`"},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+*secret.ARN+`"}]}`)
	fn := deploy(b, c, "orders", exec.ARN, key, map[string]string{"DB_ENDPOINT": "orders-db.internal:5432",
		"DB_PASSWORD": "{{resolve:secretsmanager:orders/db:SecretString:password}}"})
	in := &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}
	invoke := func(b *testing.B) {
		out, err := c.Invoke(ctx, in)
		if err != nil || out.FunctionError != nil {
			b.Fatalf("Invoke = %v %v", err, out)
		}
	}
	runner := s.Srv.Runner()
	b.Run("warm", func(b *testing.B) {
		invoke(b)
		for b.Loop() {
			invoke(b)
		}
	})
	b.Run("cold", func(b *testing.B) {
		n0, t0 := runner.ColdStarts()
		for b.Loop() {
			b.StopTimer()
			runner.Drop(*fn.FunctionArn)
			for runner.Environments() > 0 {
				time.Sleep(time.Millisecond)
			}
			b.StartTimer()
			invoke(b)
		}
		n, t := runner.ColdStarts()
		if n -= n0; n != b.N {
			b.Fatalf("%d cold starts in %d calls", n, b.N)
		}
		per := func(d time.Duration) float64 { return float64(d) / float64(n) / 1e6 }
		b.ReportMetric(per(t.Init-t0.Init), "sealbox-init-ms")
		b.ReportMetric(per(t.Unpack-t0.Unpack), "sealbox-unpack-ms")
		b.ReportMetric(per(t.Start-t0.Start), "rie-start-ms")
		b.ReportMetric(per(t.Invoke-t0.Invoke), "bootstrap-invoke-ms")
	})
}
