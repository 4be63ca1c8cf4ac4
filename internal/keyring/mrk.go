package keyring

// Multi-Region keys. A multi-Region key's id is "mrk-" and 32 hex digits;
// a blob made under one says so in its version byte (2 rather than 1: the
// header is otherwise the same, and the byte is authenticated), so the blob
// names its key exactly. A replica holds copies of its primary's material
// versions, stored (sealed) in the replica's Region under the same material
// ids: a blob or signature made in one Region opens or verifies in each.

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	blobVersionMRK = 2
	mrkPrefix      = "mrk-"
)

// parseKeyID reads a key id, a UUID or a multi-Region id, as the blob
// version that names it and its 16 bytes.
func parseKeyID(keyID string) (version byte, id [16]byte, ok bool) {
	if rest, found := strings.CutPrefix(keyID, mrkPrefix); found {
		if len(rest) != 32 {
			return 0, id, false
		}
		if _, err := hex.Decode(id[:], []byte(rest)); err != nil {
			return 0, id, false
		}
		return blobVersionMRK, id, true
	}
	id, ok = ids.ParseUUID(keyID)
	return blobVersion, id, ok
}

func formatKeyID(version byte, id [16]byte) string {
	if version == blobVersionMRK {
		return mrkPrefix + hex.EncodeToString(id[:])
	}
	return ids.FormatUUID(id)
}

func checkKeyID(keyID string) error {
	if _, _, ok := parseKeyID(keyID); !ok {
		return fmt.Errorf("keyring: key id %q is not a key id", keyID)
	}
	return nil
}

// Replicate copies the material versions materialIDs of keyID from Region
// from to Region to inside tx (a replica's material, or a multi-Region
// rotation's new version reaching the replicas).
func (r *Ring) Replicate(tx store.Tx, from, to, keyID string, materialIDs ...string) error {
	if err := checkKeyID(keyID); err != nil {
		return err
	}
	for _, mid := range materialIDs {
		v, err := r.material(tx, from, keyID, mid)
		if err != nil {
			return err
		}
		if err := tx.Put(materialKey(to, keyID, mid), v); err != nil {
			return fmt.Errorf("failed to store key material: %w", err)
		}
	}
	return nil
}
