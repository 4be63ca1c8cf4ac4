package loadgen

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// keyKind is a kind of KMS key the set-up makes: one of each kind the
// run's operations need.
type keyKind int

const (
	symmetricKey keyKind = iota
	eccKey               // ECC_NIST_P256, SIGN_VERIFY
	rsaKey               // RSA_2048, SIGN_VERIFY
	hmacKey              // HMAC_256, GENERATE_VERIFY_MAC
)

// keyKinds lists the kinds in the order set-up makes them.
var keyKinds = []keyKind{symmetricKey, eccKey, rsaKey, hmacKey}

// createInput is the kind's CreateKey input.
func (k keyKind) createInput(description string) map[string]string {
	in := map[string]string{"Description": description}
	switch k {
	case eccKey:
		in["KeySpec"], in["KeyUsage"] = "ECC_NIST_P256", "SIGN_VERIFY"
	case rsaKey:
		in["KeySpec"], in["KeyUsage"] = "RSA_2048", "SIGN_VERIFY"
	case hmacKey:
		in["KeySpec"], in["KeyUsage"] = "HMAC_256", "GENERATE_VERIFY_MAC"
	}
	return in
}

// signingAlgorithm is the algorithm sign and verify use with the kind's key.
func (k keyKind) signingAlgorithm() string {
	if k == rsaKey {
		return "RSASSA_PSS_SHA_256"
	}
	return "ECDSA_SHA_256"
}

// signInput is Sign's input for plaintext with keyARN, a key of kind k;
// Verify's is the same with the signature.
func signInput(keyARN string, k keyKind) map[string]string {
	return map[string]string{
		"KeyId":            keyARN,
		"Message":          base64.StdEncoding.EncodeToString(plaintext),
		"MessageType":      "RAW",
		"SigningAlgorithm": k.signingAlgorithm(),
	}
}

// setupKeys makes the keys ops need, a blob for decrypt and a signature for
// each verify. On failure the keys already made are scheduled for deletion.
func (c *client) setupKeys(ctx context.Context, hc *http.Client, ops []Op, fx *fixture) (err error) {
	need := map[keyKind]bool{}
	needBlob := false
	verify := map[keyKind]bool{}
	for _, op := range ops {
		if k, ok := op.key(); ok {
			need[k] = true
		}
		needBlob = needBlob || op == Decrypt
		if op == VerifyECCP256 || op == VerifyRSA2048 {
			k, _ := op.key()
			verify[k] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	defer func() {
		if err != nil {
			c.cleanup(fx.keyARNs())
			*fx = fixture{}
		}
	}()
	fx.keys, fx.sigs = map[keyKind]string{}, map[keyKind][]byte{}
	description := "sealbox bench " + time.Now().UTC().Format(time.RFC3339)
	for _, k := range keyKinds {
		if !need[k] {
			continue
		}
		rq, err := newRequest("", "TrentService.CreateKey", k.createInput(description))
		if err != nil {
			return err
		}
		var created struct{ KeyMetadata struct{ Arn string } }
		if err := c.send(ctx, hc, &rq, &created); err != nil {
			return fmt.Errorf("failed to create the bench key: %w", err)
		}
		if created.KeyMetadata.Arn == "" {
			return errors.New("failed to create the bench key: CreateKey answered no KeyMetadata.Arn")
		}
		fx.keys[k] = created.KeyMetadata.Arn
	}
	fx.keyARN = fx.keys[symmetricKey]
	if needBlob {
		rq, err := prepare(Encrypt, *fx)
		if err != nil {
			return err
		}
		var enc struct{ CiphertextBlob []byte }
		if err := c.send(ctx, hc, &rq, &enc); err != nil {
			return fmt.Errorf("failed to encrypt the blob for decrypt: %w", err)
		}
		fx.blob = enc.CiphertextBlob
	}
	for _, k := range keyKinds {
		if !verify[k] {
			continue
		}
		rq, err := newRequest("", "TrentService.Sign", signInput(fx.keys[k], k))
		if err != nil {
			return err
		}
		var signed struct{ Signature []byte }
		if err := c.send(ctx, hc, &rq, &signed); err != nil {
			return fmt.Errorf("failed to sign the message for verify: %w", err)
		}
		if len(signed.Signature) == 0 {
			return errors.New("failed to sign the message for verify: Sign answered no Signature")
		}
		fx.sigs[k] = signed.Signature
	}
	return nil
}

// keyARNs lists the keys set-up made, in the order it made them.
func (fx *fixture) keyARNs() []string {
	var arns []string
	for _, k := range keyKinds {
		if arn := fx.keys[k]; arn != "" {
			arns = append(arns, arn)
		}
	}
	return arns
}

// cleanup schedules the bench keys for deletion, in the shortest window.
func (c *client) cleanup(keyARNs []string) error {
	t := c.transport(1)
	defer t.CloseIdleConnections()
	hc := newHTTPClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, arn := range keyARNs {
		rq, err := newRequest("", "TrentService.ScheduleKeyDeletion", map[string]any{"KeyId": arn, "PendingWindowInDays": 7})
		if err != nil {
			return err
		}
		if err := c.send(ctx, hc, &rq, nil); err != nil {
			errs = append(errs, fmt.Errorf("failed to schedule the bench key %s for deletion: %w", arn, err))
		}
	}
	return errors.Join(errs...)
}
