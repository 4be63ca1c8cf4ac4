package kms_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestRotationOnDemand(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "rotating")
	id := md.KeyId
	before := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("old")}))
	list := must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id}))
	if len(list.Rotations) != 0 {
		t.Fatalf("a new key lists %d rotations", len(list.Rotations))
	}
	out := must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id}))
	if *out.KeyId != *md.Arn {
		t.Fatalf("RotateKeyOnDemand.KeyId = %s", *out.KeyId)
	}
	after := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("new")}))
	d1 := must[*kms.DecryptOutput](t, "Decrypt(old blob)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: before.CiphertextBlob}))
	d2 := must[*kms.DecryptOutput](t, "Decrypt(new blob)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: after.CiphertextBlob}))
	if string(d1.Plaintext) != "old" || string(d2.Plaintext) != "new" {
		t.Fatalf("decrypted %q and %q", d1.Plaintext, d2.Plaintext)
	}
	if *d1.KeyMaterialId != *md.CurrentKeyMaterialId || *d2.KeyMaterialId == *md.CurrentKeyMaterialId {
		t.Fatalf("material ids: old blob %s, new blob %s, original %s", *d1.KeyMaterialId, *d2.KeyMaterialId, *md.CurrentKeyMaterialId)
	}
	list = must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id}))
	if len(list.Rotations) != 1 || list.Rotations[0].RotationType != types.RotationTypeOnDemand ||
		list.Rotations[0].KeyMaterialState != types.KeyMaterialStateCurrent || *list.Rotations[0].KeyMaterialId != *d2.KeyMaterialId {
		t.Fatalf("ListKeyRotations = %+v", list.Rotations)
	}
	all := must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations(all)")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	if len(all.Rotations) != 2 || all.Rotations[0].KeyMaterialState != types.KeyMaterialStateNonCurrent {
		t.Fatalf("ListKeyRotations(ALL_KEY_MATERIAL) = %+v", all.Rotations)
	}
	// A re-encryption moves an old blob to the current material.
	re := must[*kms.ReEncryptOutput](t, "ReEncrypt")(c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: before.CiphertextBlob, DestinationKeyId: id}))
	if *re.SourceKeyMaterialId != *d1.KeyMaterialId || *re.DestinationKeyMaterialId != *d2.KeyMaterialId {
		t.Fatalf("ReEncrypt materials %s → %s", *re.SourceKeyMaterialId, *re.DestinationKeyMaterialId)
	}
	for i := 0; i < 24; i++ {
		must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id}))
	}
	_, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id})
	wantAPIError(t, "RotateKeyOnDemand(26th)", err, "LimitExceededException", 400)
	d := must[*kms.DecryptOutput](t, "Decrypt(after 25 rotations)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: before.CiphertextBlob}))
	if !bytes.Equal(d.Plaintext, []byte("old")) {
		t.Fatalf("oldest blob decrypts to %q", d.Plaintext)
	}
}

func TestAutomaticRotation(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "auto").KeyId
	for _, days := range []int32{89, 2561} {
		_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id, RotationPeriodInDays: aws.Int32(days)})
		wantAPIError(t, "EnableKeyRotation", err, "ValidationException", 400)
	}
	st := must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id}))
	if st.KeyRotationEnabled {
		t.Fatalf("rotation enabled on a new key")
	}
	must[*kms.EnableKeyRotationOutput](t, "EnableKeyRotation")(c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id}))
	st = must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id}))
	if !st.KeyRotationEnabled || aws.ToInt32(st.RotationPeriodInDays) != 365 || st.NextRotationDate == nil {
		t.Fatalf("GetKeyRotationStatus = %+v", st)
	}
	must[*kms.EnableKeyRotationOutput](t, "EnableKeyRotation(90)")(c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id, RotationPeriodInDays: aws.Int32(90)}))
	st = must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id}))
	if aws.ToInt32(st.RotationPeriodInDays) != 90 {
		t.Fatalf("RotationPeriodInDays = %d, want 90", aws.ToInt32(st.RotationPeriodInDays))
	}
	old := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("before rotation")}))

	s.Clock.Advance(90*24*time.Hour + time.Minute)
	s.WaitSweep()
	l := must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id}))
	if len(l.Rotations) != 1 || l.Rotations[0].RotationType != types.RotationTypeAutomatic {
		t.Fatalf("ListKeyRotations after its period and a sweep = %+v, want one automatic rotation", l.Rotations)
	}
	st2 := must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id}))
	if !st2.NextRotationDate.After(*st.NextRotationDate) {
		t.Fatalf("NextRotationDate did not move: %v then %v", st.NextRotationDate, st2.NextRotationDate)
	}
	d := must[*kms.DecryptOutput](t, "Decrypt(pre-rotation blob)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: old.CiphertextBlob}))
	if string(d.Plaintext) != "before rotation" {
		t.Fatalf("Decrypt = %q", d.Plaintext)
	}
	must[*kms.DisableKeyRotationOutput](t, "DisableKeyRotation")(c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id}))
	st = must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id}))
	if st.KeyRotationEnabled || st.NextRotationDate != nil {
		t.Fatalf("GetKeyRotationStatus after disable = %+v", st)
	}
	must[*kms.DisableKeyOutput](t, "DisableKey")(c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}))
	_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id})
	wantAPIError(t, "EnableKeyRotation(disabled key)", err, "DisabledException", 400)
}
