package functions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
)

// codeKeys lists the store keys of the code kept for functions.
func codeKeys(t *testing.T, st store.Store) []string {
	t.Helper()
	var keys []string
	if err := st.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan("fncode/", "", func(k string, _ []byte) error {
			keys = append(keys, k)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestCodeKept: an uploaded ZIP is kept while a version uses it and
// deleted with the last; a published version runs the code it froze; a
// kept package that does not hash to its CodeSha256 is not run.
func TestCodeKept(t *testing.T) {
	rie := lambdatest.Emulator(t)
	var st store.Store
	s := sealtest.StartWrapped(t, func(in store.Store) store.Store { st = in; return in }, func(c *config.Config) { c.LambdaRIE = rie })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	first := codeKeys(t, st)
	if len(first) < 2 { // the test bootstrap is over 1 MiB: several chunks
		t.Fatalf("code kept = %v", first)
	}
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))

	// New code for $LATEST: a package that is not the test function. The
	// first is kept for version 1.
	other, err := lambdatest.Zip(map[string][]byte{"bootstrap": []byte("#!/bin/sh\nexit 7\n")})
	if err != nil {
		t.Fatal(err)
	}
	must[*lambda.UpdateFunctionCodeOutput](t, "UpdateFunctionCode")(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: other}))
	if n := len(codeKeys(t, st)); n != len(first)+1 {
		t.Fatalf("after UpdateFunctionCode: %d chunks kept, want %d", n, len(first)+1)
	}
	if out, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1"), Payload: payload("env")}); out.FunctionError != nil || a.Count != 1 {
		t.Fatalf("version 1 = %v %s", out.FunctionError, out.Payload)
	}
	out := must[*lambda.InvokeOutput](t, "Invoke $LATEST")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}))
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Runtime.ExitError") {
		t.Fatalf("$LATEST (a bootstrap that exits) = %v %s", out.FunctionError, out.Payload)
	}
	// Without version 1, its code goes.
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction 1")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")}))
	if keys := codeKeys(t, st); len(keys) != 1 {
		t.Fatalf("after deleting version 1: %v", keys)
	}

	// A kept package altered below the service: refused, not run. (A
	// package not run before: the runner keeps the ones it unpacked.)
	third, err := lambdatest.Zip(map[string][]byte{"bootstrap": []byte("#!/bin/sh\nexit 8\n")})
	if err != nil {
		t.Fatal(err)
	}
	must[*lambda.CreateFunctionOutput](t, "CreateFunction billing")(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("billing"),
		Role: aws.String(exec.ARN), Runtime: "provided.al2023", Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: third}}))
	var chunk string
	for _, k := range codeKeys(t, st) {
		if strings.HasPrefix(k, "fncode/us-east-1/billing/") {
			chunk = k
			break
		}
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.Put(chunk, []byte("not the code")) }); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("billing"), Payload: payload("env")})
	if msg := wantError(t, "Invoke of altered code", err, "ServiceException", 500); !strings.Contains(msg, "does not match its CodeSha256") {
		t.Errorf("message = %q", msg)
	}

	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}))
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction billing")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("billing")}))
	if keys := codeKeys(t, st); len(keys) != 0 {
		t.Fatalf("after DeleteFunction: %v", keys)
	}
}
