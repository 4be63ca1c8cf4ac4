package kms

// Imported key material (BYOK): keys made with Origin EXTERNAL start in
// PendingImport with no material; GetParametersForImport hands out an RSA
// wrapping public key and an import token (valid 24 hours); ImportKeyMaterial
// unwraps a version of material in the keyring, with its own expiry, and the
// key is usable while every version is there. When a version's ValidTo
// passes, the sweeper deletes it (a DeleteExpiredKeyMaterial service event)
// and the key is PendingImport until it is imported again;
// DeleteImportedKeyMaterial does the same at once. Each version keeps the
// KeyMaterialDescription of its last import that gave one.
//
// Multi-Region keys (AWS copies no imported material between Regions): a
// replica expects its primary's versions and is PendingImport until each
// is imported into it too. New material goes into the primary
// (NEW_KEY_MATERIAL), then into each replica (EXISTING_KEY_MATERIAL); until
// every replica has it, it is PENDING_MULTI_REGION_IMPORT_AND_ROTATION in
// every Region, and RotateKeyOnDemand on the primary is refused.
//
// Wrapping: RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256 carry symmetric, HMAC
// and ECC material; RSA_AES_KEY_WRAP_SHA_1 and RSA_AES_KEY_WRAP_SHA_256
// (RSA-OAEP of an AES key, then AES key wrap with padding) carry material of
// every spec, and are the only ones for RSA private keys, as in AWS.
// RSAES_PKCS1_V1_5 is refused, as AWS refuses it since 2023.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	statePendingImport = "PendingImport"
	originAWSKMS       = "AWS_KMS"
	originExternal     = "EXTERNAL"

	expiresModel      = "KEY_MATERIAL_EXPIRES"
	doesNotExpire     = "KEY_MATERIAL_DOES_NOT_EXPIRE"
	importNewMaterial = "NEW_KEY_MATERIAL"
	importExisting    = "EXISTING_KEY_MATERIAL"

	importTokenLife = 24 * time.Hour
	maxValidTo      = 365 * 24 * time.Hour
)

// ImportKeyring is what imported material needs of the keyring.
type ImportKeyring interface {
	NewImportToken(tx store.Tx, p keyring.ImportParams) (token, public []byte, err error)
	Unwrap(tx store.Tx, region, keyID, spec string, token, wrapped []byte, now time.Time) (*keyring.Imported, error)
	Store(tx store.Tx, m *keyring.Imported) error
	DeleteMaterial(tx store.Tx, ref keyring.Ref) error
}

// importState is an EXTERNAL key's import: each version's expiry and
// whether its material is in the keyring, and what DescribeKey tells of
// them all. As in AWS, each import sets the expiry of the version it
// imports, and the key is usable only while every version of its material
// is there.
type importState struct {
	// ExpirationModel is KEY_MATERIAL_EXPIRES when an imported version
	// expires, else KEY_MATERIAL_DOES_NOT_EXPIRE (the last one while no
	// version is imported); ValidTo the earliest expiry of an imported
	// version. Both follow Versions (syncImport). Records stored before
	// expiry was per version had only these (upgrade).
	ExpirationModel string    `json:"expirationModel,omitempty"`
	ValidTo         time.Time `json:"validTo,omitzero"`
	// Missing is set while a version of the key's material is not in the
	// keyring (never imported, expired or deleted): the key is then
	// PendingImport.
	Missing bool `json:"missing,omitempty"`
	// Pending is NEW_KEY_MATERIAL imported and not yet made current by
	// RotateKeyOnDemand.
	Pending string `json:"pending,omitempty"`
	// Versions is the import of each version, current, older and pending,
	// by KeyMaterialId.
	Versions map[string]*importVersion `json:"versions,omitempty"`
}

// importVersion is one version's import.
type importVersion struct {
	ExpirationModel string    `json:"expirationModel,omitempty"`
	ValidTo         time.Time `json:"validTo,omitzero"` // zero unless KEY_MATERIAL_EXPIRES
	Missing         bool      `json:"missing,omitempty"`
	// Description is the KeyMaterialDescription of the version's last
	// import that gave one; it outlives a deletion or expiry, as AWS
	// keeps it for the reimport of the same material.
	Description string `json:"description,omitempty"`
}

// upgrade gives a record stored before expiry was per version the same
// import for each version as the key had: one expiry, and expiry and
// deletion took every version.
func (st *importState) upgrade(materials []materialRef) {
	if st == nil || st.Versions != nil {
		return
	}
	st.Versions = map[string]*importVersion{}
	for _, m := range materials {
		st.Versions[m.ID] = &importVersion{ExpirationModel: st.ExpirationModel, ValidTo: st.ValidTo, Missing: st.Missing}
	}
	if st.Pending != "" {
		st.Versions[st.Pending] = &importVersion{ExpirationModel: st.ExpirationModel, ValidTo: st.ValidTo}
	}
}

// importVersion is the import of k's material id (nil for one never
// imported here, such as a version a multi-Region primary rotated to). It
// reads a record stored before expiry was per version as upgrade would
// make it, without changing it (records on the read path are shared).
func (k *keyRecord) importVersion(id string) *importVersion {
	st := k.Import
	if st.Versions != nil {
		return st.Versions[id]
	}
	switch {
	case id == st.Pending:
		return &importVersion{ExpirationModel: st.ExpirationModel, ValidTo: st.ValidTo}
	case k.hasMaterial(id):
		return &importVersion{ExpirationModel: st.ExpirationModel, ValidTo: st.ValidTo, Missing: st.Missing}
	}
	return nil
}

// setVersion records the import of version id.
func (k *keyRecord) setVersion(id string, v *importVersion) {
	k.Import.upgrade(k.Materials)
	k.Import.Versions[id] = v
}

// syncImport derives the key's import state, and its state, from its
// versions: PendingImport while one is missing (PendingDeletion stays as
// it is, as does PendingReplicaDeletion), Enabled again once every one is
// imported.
func (k *keyRecord) syncImport() {
	st := k.Import
	st.upgrade(k.Materials)
	st.Missing, st.ValidTo = len(k.Materials) == 0, time.Time{}
	imported, expires := false, false
	for _, m := range k.Materials {
		v := st.Versions[m.ID]
		if v == nil || v.Missing {
			st.Missing = true
			continue
		}
		imported = true
		if v.ExpirationModel == expiresModel {
			expires = true
			if st.ValidTo.IsZero() || v.ValidTo.Before(st.ValidTo) {
				st.ValidTo = v.ValidTo
			}
		}
	}
	switch {
	case expires:
		st.ExpirationModel = expiresModel
	case imported:
		st.ExpirationModel = doesNotExpire
	}
	switch {
	case st.Missing && k.State != statePendingDeletion && k.State != statePendingReplicaDeletion:
		k.State = statePendingImport
	case !st.Missing && k.State == statePendingImport:
		k.State = stateEnabled
	}
}

func (k *keyRecord) origin() string {
	if k.Import != nil {
		return originExternal
	}
	return originAWSKMS
}

func errPendingImport(k *keyRecord) error {
	return sealbox.Errorf("KMSInvalidStateException", "%s is pending import.", k.arn())
}

func errNotExternal(k *keyRecord) error {
	return sealbox.Errorf("UnsupportedOperationException", "%s origin is %s which is not valid for this operation.", k.arn(), k.origin())
}

func errIncorrectMaterial(k *keyRecord) error {
	return sealbox.Errorf("IncorrectKeyMaterialException", "The key material being imported does not match the key material expected for %s.", k.arn())
}

// checkOrigin validates CreateKey's Origin and tells whether the key is
// EXTERNAL.
func checkOrigin(origin, spec string) (bool, error) {
	switch origin {
	case "", originAWSKMS:
		return false, nil
	case originExternal:
	case "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE":
		return false, sealbox.Errorf("UnsupportedOperationException", "Origin %s is not supported in this Region.", origin)
	default:
		return false, errValidation("1 validation error detected: Value '%s' at 'origin' failed to satisfy constraint: Member must satisfy enum value set: [EXTERNAL_KEY_STORE, AWS_CLOUDHSM, AWS_KMS, EXTERNAL]", origin)
	}
	switch spec {
	case "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "SM2":
		return false, sealbox.Errorf("UnsupportedOperationException", "Importing %s key material is not supported in this Region.", spec)
	}
	return true, nil
}

// external makes k an EXTERNAL key without material, PendingImport.
func (k *keyRecord) external() {
	k.Import = &importState{Missing: true, Versions: map[string]*importVersion{}}
	k.State = statePendingImport
}

// importMetadata adds what DescribeKey tells of an EXTERNAL key.
func importMetadata(k *keyRecord, m *KeyMetadata) {
	m.Origin = k.origin()
	if k.Import == nil {
		return
	}
	m.ExpirationModel = k.Import.ExpirationModel
	m.ValidTo = sealbox.At(k.Import.ValidTo)
	if len(k.Materials) == 0 || k.importVersion(k.current().ID) == nil {
		// No material, or a multi-Region replica's version never
		// imported into it.
		m.CurrentKeyMaterialId = ""
	}
}

// externalKey checks that k takes imported material now.
func externalKey(k *keyRecord) error {
	if k.Import == nil {
		return errNotExternal(k)
	}
	if k.State == statePendingDeletion {
		return errPendingDeletion(k)
	}
	return nil
}

// GetParametersForImport makes a wrapping key pair for k and returns its
// public key with an import token valid for 24 hours.
func (s *Service) GetParametersForImport(ctx context.Context, in *GetParametersForImportRequest) (*GetParametersForImportResponse, error) {
	switch in.WrappingAlgorithm {
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256":
	case "RSAES_PKCS1_V1_5":
		return nil, sealbox.Errorf("UnsupportedOperationException", "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.")
	case "SM2PKE":
		return nil, sealbox.Errorf("UnsupportedOperationException", "The SM2PKE wrapping algorithm is supported only in China Regions.")
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSA_AES_KEY_WRAP_SHA_256, RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, SM2PKE, RSAES_OAEP_SHA_1]", in.WrappingAlgorithm)
	}
	switch in.WrappingKeySpec {
	case "RSA_2048", "RSA_3072", "RSA_4096":
	case "SM2":
		return nil, sealbox.Errorf("UnsupportedOperationException", "The SM2 wrapping key spec is supported only in China Regions.")
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, SM2]", in.WrappingKeySpec)
	}
	extra := map[string][]string{"kms:wrappingalgorithm": {in.WrappingAlgorithm}, "kms:wrappingkeyspec": {in.WrappingKeySpec}}
	out := &GetParametersForImportResponse{}
	_, err := s.update(ctx, in.KeyId, "kms:GetParametersForImport", extra, func(tx store.Tx, k *keyRecord) error {
		if err := externalKey(k); err != nil {
			return err
		}
		if strings.HasPrefix(k.spec(), "RSA_") && !strings.HasPrefix(in.WrappingAlgorithm, "RSA_AES_KEY_WRAP_") {
			// An RSA private key is longer than RSA-OAEP can carry.
			return sealbox.Errorf("UnsupportedOperationException", "%s key material cannot be wrapped with the %s wrapping algorithm. Use RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.", k.spec(), in.WrappingAlgorithm)
		}
		expires := s.clock.Now().UTC().Add(importTokenLife)
		token, public, err := s.ring.NewImportToken(tx, keyring.ImportParams{
			Region: k.Region, KeyID: k.ID, WrappingKeySpec: in.WrappingKeySpec, WrappingAlgorithm: in.WrappingAlgorithm, Expires: expires,
		})
		if err != nil {
			return err
		}
		*out = GetParametersForImportResponse{KeyId: k.arn(), ImportToken: token, PublicKey: public, ParametersValidTo: sealbox.At(expires)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ImportKeyMaterial unwraps material with an import token's wrapping key
// and makes it the key's: the first import, the same material again
// (EXISTING_KEY_MATERIAL), or, for a symmetric key, new material that
// RotateKeyOnDemand then makes current (NEW_KEY_MATERIAL).
func (s *Service) ImportKeyMaterial(ctx context.Context, in *ImportKeyMaterialRequest) (*ImportKeyMaterialResponse, error) {
	if in.ImportToken == nil {
		return nil, errValidation("1 validation error detected: Value null at 'importToken' failed to satisfy constraint: Member must not be null")
	}
	if in.EncryptedKeyMaterial == nil {
		return nil, errValidation("1 validation error detected: Value null at 'encryptedKeyMaterial' failed to satisfy constraint: Member must not be null")
	}
	now := s.clock.Now().UTC()
	model := in.ExpirationModel
	if model == "" {
		model = expiresModel
	}
	var validTo time.Time
	switch model {
	case expiresModel:
		if in.ValidTo == nil {
			return nil, errValidation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
		}
		validTo = in.ValidTo.UTC()
		if !validTo.After(now) {
			return nil, errValidation("The validTo date must be in the future")
		}
		if validTo.After(now.Add(maxValidTo)) {
			return nil, errValidation("The validTo date must be at most 365 days in the future")
		}
	case doesNotExpire:
		if in.ValidTo != nil {
			return nil, errValidation("A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
		}
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'expirationModel' failed to satisfy constraint: Member must satisfy enum value set: [KEY_MATERIAL_DOES_NOT_EXPIRE, KEY_MATERIAL_EXPIRES]", in.ExpirationModel)
	}
	switch in.ImportType {
	case "", importExisting, importNewMaterial:
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'importType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_KEY_MATERIAL, EXISTING_KEY_MATERIAL]", in.ImportType)
	}
	if in.ImportType == importNewMaterial && in.KeyMaterialId != "" {
		// AWS: "You cannot specify a key material ID with ImportType set
		// to NEW_KEY_MATERIAL."
		return nil, errValidation("A key material ID cannot be specified when the ImportType is NEW_KEY_MATERIAL")
	}
	extra := map[string][]string{"kms:expirationmodel": {model}}
	if !validTo.IsZero() {
		extra["kms:validto"] = []string{validTo.Format(time.RFC3339)}
	}
	var materialID string
	k, err := s.update(ctx, in.KeyId, "kms:ImportKeyMaterial", extra, func(tx store.Tx, k *keyRecord) error {
		if err := externalKey(k); err != nil {
			return err
		}
		m, err := s.ring.Unwrap(tx, k.Region, k.ID, k.spec(), in.ImportToken, in.EncryptedKeyMaterial, now)
		switch {
		case errors.Is(err, keyring.ErrImportToken):
			return sealbox.Errorf("InvalidImportTokenException", "Import token is invalid or is not associated with %s.", k.arn())
		case errors.Is(err, keyring.ErrImportTokenExpired):
			return sealbox.Errorf("ExpiredImportTokenException", "The import token is expired. Use GetParametersForImport to get a new import token and public key.")
		case errors.Is(err, keyring.ErrImportMaterial):
			return sealbox.Errorf("InvalidCiphertextException", "The encrypted key material could not be unwrapped with the wrapping key and algorithm of the import token.")
		case errors.Is(err, keyring.ErrImportSpec):
			return sealbox.Errorf("IncorrectKeyMaterialException", "The key material being imported is not valid key material for the key spec %s of %s.", k.spec(), k.arn())
		case err != nil:
			return err
		}
		materialID = m.MaterialID
		if in.KeyMaterialId != "" && in.KeyMaterialId != materialID {
			return errIncorrectMaterial(k)
		}
		if in.KeyMaterialDescription != "" && k.spec() != symmetricDefault {
			return sealbox.Errorf("UnsupportedOperationException", "%s key spec is %s: a key material description is supported only for symmetric encryption keys.", k.arn(), k.spec())
		}
		if k.isReplica() {
			if err := s.replicaImport(tx, k, in.ImportType, materialID); err != nil {
				return err
			}
		} else if in.ImportType == importNewMaterial {
			if k.spec() != symmetricDefault {
				return sealbox.Errorf("UnsupportedOperationException", "%s key spec is %s: only symmetric encryption keys take new key material.", k.arn(), k.spec())
			}
			if len(k.Materials) == 0 || k.hasMaterial(materialID) || k.Import.Pending == materialID {
				return errIncorrectMaterial(k)
			}
			k.Import.Pending = materialID
		} else if len(k.Materials) == 0 {
			k.Materials = []materialRef{{ID: materialID, Created: now}}
		} else if !k.hasMaterial(materialID) && k.Import.Pending != materialID {
			return errIncorrectMaterial(k)
		}
		if err := s.ring.Store(tx, m); err != nil {
			return err
		}
		v := &importVersion{ExpirationModel: model, ValidTo: validTo, Description: in.KeyMaterialDescription}
		if old := k.importVersion(materialID); old != nil && v.Description == "" {
			// AWS: without a description, the reimport keeps the one
			// given when the same material was last imported.
			v.Description = old.Description
		}
		k.setVersion(materialID, v)
		k.syncImport()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ImportKeyMaterialResponse{KeyId: k.arn(), KeyMaterialId: materialID}, nil
}

// replicaImport checks material imported into a multi-Region replica: the
// primary's versions are the set's, so the material must be one of them,
// current, older or pending rotation (new material is imported into the
// primary alone, then into each replica as EXISTING_KEY_MATERIAL). The
// replica's versions are brought up to the primary's first, which also
// mends records stored before the replica held the primary's versions.
func (s *Service) replicaImport(tx store.Tx, k *keyRecord, importType, materialID string) error {
	if importType == importNewMaterial {
		return sealbox.Errorf("UnsupportedOperationException", "%s is a multi-Region replica key: import new key material into its primary key in %s, then the same key material into each replica key with ImportType EXISTING_KEY_MATERIAL.", k.arn(), k.PrimaryRegion)
	}
	p, err := loadKey(tx, k.PrimaryRegion, k.ID)
	if errors.Is(err, store.ErrNotFound) {
		return errIncorrectMaterial(k)
	} else if err != nil {
		return err
	}
	if p.Import == nil {
		return errIncorrectMaterial(k)
	}
	if len(p.Materials) == 0 {
		return sealbox.Errorf("KMSInvalidStateException", "%s is a multi-Region replica key: import key material into its primary key in %s first.", k.arn(), k.PrimaryRegion)
	}
	k.shareVersions(p)
	if !k.hasMaterial(materialID) && k.Import.Pending != materialID {
		return errIncorrectMaterial(k)
	}
	return nil
}

// shareVersions gives replica k the versions of its primary p: the same
// material versions and the same material pending rotation. A version k
// gets here it has not imported (PENDING_IMPORT), so k is PendingImport
// until it imports that material too; k's import of pending material p no
// longer has is forgotten.
func (k *keyRecord) shareVersions(p *keyRecord) {
	k.Import.upgrade(k.Materials) // before Materials change: a version new here is not imported here
	k.Materials = slices.Clone(p.Materials)
	pending := ""
	if p.Import != nil {
		pending = p.Import.Pending
	}
	if old := k.Import.Pending; old != "" && old != pending && !k.hasMaterial(old) {
		delete(k.Import.Versions, old)
	}
	k.Import.Pending = pending
	k.syncImport()
}

// DeleteImportedKeyMaterial deletes a version of imported material (the
// current one by default). Without it the key is PendingImport until the
// same material is imported again; pending NEW_KEY_MATERIAL is simply gone.
func (s *Service) DeleteImportedKeyMaterial(ctx context.Context, in *DeleteImportedKeyMaterialRequest) (*DeleteImportedKeyMaterialResponse, error) {
	var materialID string
	k, err := s.update(ctx, in.KeyId, "kms:DeleteImportedKeyMaterial", nil, func(tx store.Tx, k *keyRecord) error {
		if err := externalKey(k); err != nil {
			return err
		}
		materialID = in.KeyMaterialId
		if materialID == "" {
			materialID = k.current().ID
		} else if !k.hasMaterial(materialID) && k.Import.Pending != materialID {
			return errValidation("Key material %s is not associated with %s.", materialID, k.arn())
		}
		if materialID == "" { // nothing was ever imported
			return nil
		}
		return s.deleteVersion(tx, k, materialID)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteImportedKeyMaterialResponse{KeyId: k.arn(), KeyMaterialId: materialID}, nil
}

// deleteVersion deletes version id of k's imported material: pending
// material is forgotten, a version of the key's is missing until imported
// again.
func (s *Service) deleteVersion(tx store.Tx, k *keyRecord, id string) error {
	if err := s.ring.DeleteMaterial(tx, keyring.Ref{Region: k.Region, KeyID: k.ID, MaterialID: id}); err != nil {
		return err
	}
	k.Import.upgrade(k.Materials)
	switch {
	case id == k.Import.Pending && k.isReplica():
		// The pending material is the primary's: this replica no longer
		// has it, the others and the primary keep theirs.
		delete(k.Import.Versions, id)
	case id == k.Import.Pending:
		// AWS: deleting a primary's material pending rotation deletes the
		// replicas' too (syncShared forgets their imports of it).
		k.Import.Pending = ""
		delete(k.Import.Versions, id)
		if k.isPrimary() {
			for _, region := range k.ReplicaRegions {
				if err := s.ring.DeleteMaterial(tx, keyring.Ref{Region: region, KeyID: k.ID, MaterialID: id}); err != nil {
					return err
				}
			}
		}
	default:
		v := &importVersion{Missing: true}
		if old := k.Import.Versions[id]; old != nil {
			v.Description = old.Description
		}
		k.Import.Versions[id] = v
	}
	k.syncImport()
	return nil
}

// expiredVersions are the versions of k's imported material whose ValidTo
// has passed by now, still in the keyring.
func expiredVersions(k *keyRecord, now time.Time) []string {
	if k.Import == nil {
		return nil
	}
	var out []string
	for _, id := range append(k.materialIDs(), k.Import.Pending) {
		v := k.importVersion(id)
		if id != "" && v != nil && !v.Missing && v.ExpirationModel == expiresModel && !now.Before(v.ValidTo) {
			out = append(out, id)
		}
	}
	return out
}

// expireImport deletes the versions of k's material whose ValidTo has
// passed by now.
func (s *Service) expireImport(tx store.Tx, k *keyRecord, now time.Time) error {
	for _, id := range expiredVersions(k, now) {
		if err := s.deleteVersion(tx, k, id); err != nil {
			return err
		}
	}
	return nil
}

// importExpired reports whether a version of k's imported material expires
// by now.
func importExpired(k *keyRecord, now time.Time) bool {
	return len(expiredVersions(k, now)) > 0
}

// rotateImported makes the NEW_KEY_MATERIAL imported into k current. A
// multi-Region primary's replicas (peers, for a primary) must each have
// imported it first.
func rotateImported(k *keyRecord, peers []*keyRecord, kind string, now time.Time) error {
	if kind != rotationOnDemand {
		return sealbox.Errorf("UnsupportedOperationException", "%s origin is EXTERNAL: automatic rotation is not supported for keys with imported key material.", k.arn())
	}
	if k.State == statePendingImport {
		return errPendingImport(k)
	}
	if k.Import.Pending == "" || slices.ContainsFunc(k.Materials, func(m materialRef) bool { return m.ID == k.Import.Pending }) {
		return sealbox.Errorf("UnsupportedOperationException", "%s has no new key material to rotate to: import it with ImportType NEW_KEY_MATERIAL first.", k.arn())
	}
	if lacking := lackingPending(k.Import.Pending, peers); len(lacking) > 0 {
		return sealbox.Errorf("KMSInvalidStateException", "The key material %s of %s is in PENDING_MULTI_REGION_IMPORT_AND_ROTATION state: import it into the replica keys in %s before rotating.", k.Import.Pending, k.arn(), strings.Join(lacking, ", "))
	}
	k.Materials = append(k.Materials, materialRef{ID: k.Import.Pending, Created: now, RotationType: kind})
	k.Import.Pending = ""
	k.syncImport()
	return nil
}

// notPendingImport refuses to enable or disable a key without material.
func notPendingImport(k *keyRecord) error {
	if k.State == statePendingImport {
		return errPendingImport(k)
	}
	return nil
}

func orDefaultOrigin(origin string) string {
	if origin == "" {
		return originAWSKMS
	}
	return origin
}

// lackingPending are the Regions of the replicas among records that have
// not imported material pending (sorted).
func lackingPending(pending string, records []*keyRecord) []string {
	var out []string
	for _, r := range records {
		if !r.isReplica() || r.Import == nil {
			continue
		}
		if v := r.importVersion(pending); v == nil || v.Missing {
			out = append(out, r.Region)
		}
	}
	slices.Sort(out)
	return out
}

// importRotations adds what ListKeyRotations tells of an EXTERNAL key: each
// version's import state, expiry and description, and NEW_KEY_MATERIAL not
// yet rotated to: PENDING_ROTATION, or, while a replica of a multi-Region
// key has not imported it, PENDING_MULTI_REGION_IMPORT_AND_ROTATION. peers
// are the key's other multi-Region records.
func importRotations(k *keyRecord, peers []*keyRecord, all []RotationsListEntry) []RotationsListEntry {
	if k.Import == nil {
		return all
	}
	if pending := k.Import.Pending; pending != "" && !k.hasMaterial(pending) {
		state := "PENDING_ROTATION"
		if len(lackingPending(pending, append(peers, k))) > 0 {
			state = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
		}
		all = append(all, RotationsListEntry{KeyId: k.arn(), KeyMaterialId: pending, KeyMaterialState: state})
	}
	for i := range all {
		v := k.importVersion(all[i].KeyMaterialId)
		if v != nil {
			all[i].KeyMaterialDescription = v.Description
		}
		if v == nil || v.Missing {
			all[i].ImportState = "PENDING_IMPORT"
			continue
		}
		all[i].ImportState = "IMPORTED"
		all[i].ExpirationModel = v.ExpirationModel
		if v.ExpirationModel == expiresModel {
			all[i].ValidTo = sealbox.At(v.ValidTo)
		}
	}
	return all
}
