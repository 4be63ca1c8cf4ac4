package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

const encryptUsage = `Usage: sealbox encrypt --key KEY [--context key=value]... [VALUE]

Encrypts VALUE (or standard input) under a KMS key with kms:Encrypt and
prints the ciphertext in base64: the Lambda console's encryption helper, for
a variable that 'sealbox exec --decrypt-prefix' decrypts at start-up with
the same --context. KEY is a key id, key ARN, alias name or alias ARN.

Examples:
  sealbox encrypt --key alias/app --context LambdaFunctionName=orders 's3cr3t'
  sealbox encrypt --key alias/app < token.txt

Flags:
`

func runEncrypt(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("encrypt", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, encryptUsage); fs.PrintDefaults() }
	key := fs.String("key", "", "the KMS `key` (id, ARN, alias name or alias ARN)")
	var encContext pairs
	fs.Var(&encContext, "context", "encryption context `key=value` (repeatable)")
	ao := addAWSFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" || fs.NArg() > 1 {
		fs.Usage()
		return errUsage
	}
	var plaintext []byte
	if fs.NArg() == 1 {
		plaintext = []byte(fs.Arg(0))
	} else {
		if env.Stdin == nil {
			return errors.New("no VALUE and no standard input")
		}
		b, err := io.ReadAll(io.LimitReader(env.Stdin, 4097))
		if err != nil {
			return err
		}
		plaintext = []byte(strings.TrimSuffix(string(b), "\n"))
	}
	cfg, err := ao.load(ctx, env)
	if err != nil {
		return err
	}
	client := kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(ao.endpointFor("KMS", env)) })
	out, err := client.Encrypt(ctx, &kms.EncryptInput{KeyId: key, Plaintext: plaintext, EncryptionContext: encContext.m})
	clear(plaintext)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, base64.StdEncoding.EncodeToString(out.CiphertextBlob))
	return nil
}
