package kms_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// rotationsOf lists every material version of keyID by KeyMaterialId, in
// order too.
func rotationsOf(t *testing.T, c *kms.Client, keyID string) (map[string]types.RotationsListEntry, []types.RotationsListEntry) {
	t.Helper()
	l := must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &keyID, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	out := map[string]types.RotationsListEntry{}
	for _, r := range l.Rotations {
		out[aws.ToString(r.KeyMaterialId)] = r
	}
	return out, l.Rotations
}

func importDescribed(c *kms.Client, keyID string, token, wrapped []byte, typ types.ImportType, desc string) (*kms.ImportKeyMaterialOutput, error) {
	in := &kms.ImportKeyMaterialInput{KeyId: &keyID, ImportToken: token, EncryptedKeyMaterial: wrapped,
		ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire, ImportType: typ}
	if desc != "" {
		in.KeyMaterialDescription = &desc
	}
	return c.ImportKeyMaterial(ctx, in)
}

// TestImportKeyMaterialDescription: each version keeps the description of
// its last import that gave one (a reimport without one keeps it, also
// after a deletion; with another one replaces it), ListKeyRotations shows
// it, and the model's length and pattern are enforced. KeyMaterialState
// follows NEW_KEY_MATERIAL through RotateKeyOnDemand.
func TestImportKeyMaterialDescription(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := *createExternal(t, c, "", "").KeyId
	first, second := bytes32(0x30), bytes32(0x40)

	token, wrapped := wrapFor(t, c, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	_, err := importDescribed(c, id, token, wrapped, "", strings.Repeat("a", 257))
	sealtest.APIErrorContaining(t, "ImportKeyMaterial(257-character description)", err, "ValidationException", 400,
		"1 validation error detected: Value '"+strings.Repeat("a", 257)+"' at 'keyMaterialDescription' failed to satisfy constraint: Member must have length less than or equal to 256")
	_, err = importDescribed(c, id, token, wrapped, "", "not allowed!")
	sealtest.APIErrorContaining(t, "ImportKeyMaterial(description out of pattern)", err, "ValidationException", 400,
		"at 'keyMaterialDescription' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\\s.-]+$")
	a := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(first)")(importDescribed(c, id, token, wrapped, "", "hsm-1: batch 2026/12 first"))
	r, _ := rotationsOf(t, c, id)
	if e := r[*a.KeyMaterialId]; aws.ToString(e.KeyMaterialDescription) != "hsm-1: batch 2026/12 first" || e.KeyMaterialState != types.KeyMaterialStateCurrent {
		t.Fatalf("first version = %+v", e)
	}

	// Reimport without a description keeps it; with one replaces it.
	token, wrapped = wrapFor(t, c, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(again, no description)")(importDescribed(c, id, token, wrapped, "", ""))
	if r, _ = rotationsOf(t, c, id); aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription) != "hsm-1: batch 2026/12 first" {
		t.Fatalf("description after a reimport without one = %q", aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription))
	}
	token, wrapped = wrapFor(t, c, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(again, new description)")(importDescribed(c, id, token, wrapped, types.ImportTypeExistingKeyMaterial, "renamed"))
	if r, _ = rotationsOf(t, c, id); aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription) != "renamed" {
		t.Fatalf("description after a reimport with another = %q", aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription))
	}

	// New material: PENDING_ROTATION (no rotation date or type), then
	// CURRENT, the first NON_CURRENT.
	token, wrapped = wrapFor(t, c, &id, types.AlgorithmSpecRsaesOaepSha256, second)
	_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: &id, ImportToken: token, EncryptedKeyMaterial: wrapped,
		ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire, ImportType: types.ImportTypeNewKeyMaterial, KeyMaterialId: a.KeyMaterialId})
	wantAPIError(t, "ImportKeyMaterial(NEW with a KeyMaterialId)", err, "ValidationException", 400)
	b := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(NEW)")(importDescribed(c, id, token, wrapped, types.ImportTypeNewKeyMaterial, "second"))
	r, list := rotationsOf(t, c, id)
	if e := r[*b.KeyMaterialId]; len(list) != 2 || e.KeyMaterialState != types.KeyMaterialStatePendingRotation || e.RotationDate != nil || e.RotationType != "" ||
		aws.ToString(e.KeyMaterialDescription) != "second" || e.ImportState != types.ImportStateImported || r[*a.KeyMaterialId].KeyMaterialState != types.KeyMaterialStateCurrent {
		t.Fatalf("ListKeyRotations with new material pending = %+v", list)
	}
	must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id}))
	r, list = rotationsOf(t, c, id)
	if e := r[*b.KeyMaterialId]; len(list) != 2 || e.KeyMaterialState != types.KeyMaterialStateCurrent || e.RotationType != types.RotationTypeOnDemand || e.RotationDate == nil ||
		aws.ToString(e.KeyMaterialDescription) != "second" || r[*a.KeyMaterialId].KeyMaterialState != types.KeyMaterialStateNonCurrent {
		t.Fatalf("ListKeyRotations after RotateKeyOnDemand = %+v", list)
	}

	// A deleted version keeps its description for its reimport.
	must[*kms.DeleteImportedKeyMaterialOutput](t, "DeleteImportedKeyMaterial")(c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: &id, KeyMaterialId: a.KeyMaterialId}))
	if r, _ = rotationsOf(t, c, id); r[*a.KeyMaterialId].ImportState != types.ImportStatePendingImport || aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription) != "renamed" {
		t.Fatalf("deleted version = %+v", r[*a.KeyMaterialId])
	}
	token, wrapped = wrapFor(t, c, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(after deletion)")(importDescribed(c, id, token, wrapped, "", ""))
	if r, _ = rotationsOf(t, c, id); r[*a.KeyMaterialId].ImportState != types.ImportStateImported || aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription) != "renamed" {
		t.Fatalf("reimported version = %+v", r[*a.KeyMaterialId])
	}

	// Asymmetric and HMAC keys take no description.
	hm := createExternal(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	token, wrapped = wrapFor(t, c, hm.KeyId, types.AlgorithmSpecRsaesOaepSha256, bytes32(0x50))
	_, err = importDescribed(c, *hm.KeyId, token, wrapped, "", "hmac")
	wantAPIError(t, "ImportKeyMaterial(HMAC key, description)", err, "UnsupportedOperationException", 400)
}

// TestMultiRegionImportedRotation: new material imported into a
// multi-Region primary is PENDING_MULTI_REGION_IMPORT_AND_ROTATION, in every
// Region, until each replica has imported it (EXISTING_KEY_MATERIAL); only
// then may the primary rotate to it. A replica expects the primary's
// versions, and its key state follows them at once.
func TestMultiRegionImportedRotation(t *testing.T) {
	s := sealtest.Start(t)
	ce, cw := s.KMSIn(east), s.KMSIn(west)
	id := *createMRK(t, ce, &kms.CreateKeyInput{Origin: types.OriginTypeExternal}).KeyId
	first, second, third, stranger := bytes32(0x60), bytes32(0x70), bytes32(0x80), bytes32(0x90)

	// A replica of a primary without material cannot import yet.
	must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(west)}))
	token, wrapped := wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	_, err := importDescribed(cw, id, token, wrapped, "", "")
	wantAPIError(t, "ImportKeyMaterial(replica before its primary)", err, "KMSInvalidStateException", 400)

	token, wrapped = wrapFor(t, ce, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	a := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(primary)")(importDescribed(ce, id, token, wrapped, "", "primary copy"))
	if r, _ := rotationsOf(t, cw, id); r[*a.KeyMaterialId].ImportState != types.ImportStatePendingImport {
		t.Fatalf("replica's view of the primary's first version = %+v", r)
	}
	if d := describe(t, cw, id); d.KeyState != types.KeyStatePendingImport {
		t.Fatalf("replica state before its import = %s", d.KeyState)
	}
	token, wrapped = wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, stranger)
	_, err = importDescribed(cw, id, token, wrapped, "", "")
	wantAPIError(t, "ImportKeyMaterial(replica, other material)", err, "IncorrectKeyMaterialException", 400)
	token, wrapped = wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(replica)")(importDescribed(cw, id, token, wrapped, "", "replica copy"))
	if d := describe(t, cw, id); d.KeyState != types.KeyStateEnabled || aws.ToString(d.CurrentKeyMaterialId) != *a.KeyMaterialId {
		t.Fatalf("replica after its import = %s, current %s", d.KeyState, aws.ToString(d.CurrentKeyMaterialId))
	}
	if r, _ := rotationsOf(t, cw, id); aws.ToString(r[*a.KeyMaterialId].KeyMaterialDescription) != "replica copy" {
		t.Fatalf("replica's description = %+v", r[*a.KeyMaterialId])
	}

	// New material goes into the primary, not a replica.
	token, wrapped = wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, second)
	_, err = importDescribed(cw, id, token, wrapped, types.ImportTypeNewKeyMaterial, "")
	wantAPIError(t, "ImportKeyMaterial(NEW into a replica)", err, "UnsupportedOperationException", 400)
	token, wrapped = wrapFor(t, ce, &id, types.AlgorithmSpecRsaesOaepSha256, second)
	b := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(NEW, primary)")(importDescribed(ce, id, token, wrapped, types.ImportTypeNewKeyMaterial, ""))
	for region, c := range map[string]*kms.Client{east: ce, west: cw} {
		r, list := rotationsOf(t, c, id)
		if e := r[*b.KeyMaterialId]; len(list) != 2 || e.KeyMaterialState != types.KeyMaterialStatePendingMultiRegionImportAndRotation {
			t.Fatalf("%s: ListKeyRotations with a replica lacking the new material = %+v", region, list)
		}
	}
	if r, _ := rotationsOf(t, cw, id); r[*b.KeyMaterialId].ImportState != types.ImportStatePendingImport {
		t.Fatalf("replica's import state of the new material = %+v", r[*b.KeyMaterialId])
	}
	if d := describe(t, cw, id); d.KeyState != types.KeyStateEnabled {
		t.Fatalf("replica state while new material is pending = %s", d.KeyState)
	}
	_, err = ce.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id})
	sealtest.APIErrorContaining(t, "RotateKeyOnDemand(a replica lacks the new material)", err, "KMSInvalidStateException", 400, "PENDING_MULTI_REGION_IMPORT_AND_ROTATION")

	token, wrapped = wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, second)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(replica, new material)")(importDescribed(cw, id, token, wrapped, types.ImportTypeExistingKeyMaterial, ""))
	for region, c := range map[string]*kms.Client{east: ce, west: cw} {
		if r, _ := rotationsOf(t, c, id); r[*b.KeyMaterialId].KeyMaterialState != types.KeyMaterialStatePendingRotation || r[*b.KeyMaterialId].ImportState != types.ImportStateImported {
			t.Fatalf("%s: new material once every replica has it = %+v", region, r[*b.KeyMaterialId])
		}
	}
	must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(ce.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id}))
	for region, c := range map[string]*kms.Client{east: ce, west: cw} {
		r, list := rotationsOf(t, c, id)
		if len(list) != 2 || r[*b.KeyMaterialId].KeyMaterialState != types.KeyMaterialStateCurrent || r[*a.KeyMaterialId].KeyMaterialState != types.KeyMaterialStateNonCurrent ||
			r[*b.KeyMaterialId].ImportState != types.ImportStateImported {
			t.Fatalf("%s: ListKeyRotations after rotation = %+v", region, list)
		}
		if d := describe(t, c, id); d.KeyState != types.KeyStateEnabled || aws.ToString(d.CurrentKeyMaterialId) != *b.KeyMaterialId {
			t.Fatalf("%s: after rotation = %s, current %s", region, d.KeyState, aws.ToString(d.CurrentKeyMaterialId))
		}
	}
	enc := must[*kms.EncryptOutput](t, "Encrypt(replica)")(cw.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("rotated")}))
	if dec := must[*kms.DecryptOutput](t, "Decrypt(primary)")(ce.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); aws.ToString(dec.KeyMaterialId) != *b.KeyMaterialId {
		t.Fatalf("the replica encrypted under %s, want %s", aws.ToString(dec.KeyMaterialId), *b.KeyMaterialId)
	}

	// Deleting the primary's pending material deletes the replicas'.
	token, wrapped = wrapFor(t, ce, &id, types.AlgorithmSpecRsaesOaepSha256, third)
	c3 := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(NEW third)")(importDescribed(ce, id, token, wrapped, types.ImportTypeNewKeyMaterial, ""))
	token, wrapped = wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, third)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(replica, third)")(importDescribed(cw, id, token, wrapped, "", ""))
	must[*kms.DeleteImportedKeyMaterialOutput](t, "DeleteImportedKeyMaterial(primary, pending)")(ce.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: &id, KeyMaterialId: c3.KeyMaterialId}))
	for region, c := range map[string]*kms.Client{east: ce, west: cw} {
		if _, list := rotationsOf(t, c, id); len(list) != 2 {
			t.Fatalf("%s: ListKeyRotations after deleting the pending material = %+v", region, list)
		}
	}
	_, err = cw.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: &id, KeyMaterialId: c3.KeyMaterialId})
	wantAPIError(t, "DeleteImportedKeyMaterial(replica, the deleted pending material)", err, "ValidationException", 400)
	_, err = ce.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id})
	wantAPIError(t, "RotateKeyOnDemand(pending material deleted)", err, "UnsupportedOperationException", 400)

	// A replica made now expects both versions: PendingImport until it has
	// both, Enabled at once when it does.
	const third3 = "ap-south-1"
	cs := s.KMSIn(third3)
	must[*kms.ReplicateKeyOutput](t, "ReplicateKey(third Region)")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(third3)}))
	r, list := rotationsOf(t, cs, id)
	if len(list) != 2 || r[*a.KeyMaterialId].ImportState != types.ImportStatePendingImport || r[*b.KeyMaterialId].ImportState != types.ImportStatePendingImport {
		t.Fatalf("new replica's rotations = %+v", list)
	}
	token, wrapped = wrapFor(t, cs, &id, types.AlgorithmSpecRsaesOaepSha256, second)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(new replica, current)")(importDescribed(cs, id, token, wrapped, "", ""))
	if d := describe(t, cs, id); d.KeyState != types.KeyStatePendingImport {
		t.Fatalf("new replica with one version of two = %s", d.KeyState)
	}
	token, wrapped = wrapFor(t, cs, &id, types.AlgorithmSpecRsaesOaepSha256, first)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(new replica, older)")(importDescribed(cs, id, token, wrapped, "", ""))
	if d := describe(t, cs, id); d.KeyState != types.KeyStateEnabled {
		t.Fatalf("new replica with both versions = %s", d.KeyState)
	}

	// New material again: the older replica has it, the new one not.
	token, wrapped = wrapFor(t, ce, &id, types.AlgorithmSpecRsaesOaepSha256, third)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(NEW third again)")(importDescribed(ce, id, token, wrapped, types.ImportTypeNewKeyMaterial, ""))
	token, wrapped = wrapFor(t, cw, &id, types.AlgorithmSpecRsaesOaepSha256, third)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(west, third)")(importDescribed(cw, id, token, wrapped, "", ""))
	_, err = ce.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id})
	sealtest.APIErrorContaining(t, "RotateKeyOnDemand(one replica of two lacks it)", err, "KMSInvalidStateException", 400, third3)
	if r, _ := rotationsOf(t, cw, id); r[*c3.KeyMaterialId].KeyMaterialState != types.KeyMaterialStatePendingMultiRegionImportAndRotation {
		t.Fatalf("west's view with %s lacking = %+v", third3, r[*c3.KeyMaterialId])
	}
}
