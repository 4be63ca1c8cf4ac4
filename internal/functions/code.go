package functions

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/spool"
)

// newCode is what is kept of the package a write sends: its SHA-256
// (base64, as Lambda's CodeSha256) and size for an uploaded ZIP, which the
// protocol layer streamed into a spool.Blob (hashed and counted on the
// way, never held whole in memory) and which is then dropped; the location
// of an S3 object or an image as given. pkg is the function's package
// type.
func newCode(pkg string, zipFile *spool.Blob, bucket, key, objVersion, image string) (codeRecord, error) {
	if pkg == packageImage {
		if image == "" {
			return codeRecord{}, errInvalid("Please provide ImageUri when the function's packageType is Image.")
		}
		if zipFile != nil || bucket != "" {
			return codeRecord{}, errInvalid("Please provide ImageUri when updating a function with packageType Image.")
		}
		digest := ""
		if _, d, ok := strings.Cut(image, "@sha256:"); ok && len(d) == 64 {
			digest = d
		} else {
			sum := sha256.Sum256([]byte(image))
			digest = hex.EncodeToString(sum[:])
		}
		return codeRecord{Sha256: digest, ImageURI: image}, nil
	}
	if image != "" {
		return codeRecord{}, errInvalid("Please don't provide ImageUri when updating a function with packageType Zip.")
	}
	switch {
	case zipFile != nil && bucket != "":
		return codeRecord{}, errInvalid("Please provide either ZipFile or S3Bucket and S3Key, not both.")
	case zipFile != nil:
		if zipFile.Size() > maxCode {
			return codeRecord{}, sealbox.Errorf("RequestTooLargeException", "Zipped size must be smaller than %d bytes", maxCode)
		}
		if _, err := zip.NewReader(zipFile.ReaderAt(), zipFile.Size()); err != nil {
			return codeRecord{}, errInvalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
		sum := zipFile.SHA256()
		return codeRecord{Sha256: base64.StdEncoding.EncodeToString(sum[:]), Size: zipFile.Size()}, nil
	case bucket != "":
		if key == "" {
			return codeRecord{}, errInvalid("Please provide S3Key with S3Bucket.")
		}
		// sealbox does not fetch the object: its digest stands for the
		// object's location and version.
		sum := sha256.Sum256([]byte("s3://" + bucket + "/" + key + "?versionId=" + objVersion))
		return codeRecord{Sha256: base64.StdEncoding.EncodeToString(sum[:]), S3Bucket: bucket, S3Key: key, S3ObjectVersion: objVersion}, nil
	}
	return codeRecord{}, errInvalid("Please provide a source for function code: ZipFile, or S3Bucket and S3Key.")
}

// checkArchitectures reads Architectures: one of x86_64 and arm64 (the
// model checks the names), x86_64 when none is given.
func checkArchitectures(list []string) ([]string, error) {
	if len(list) == 0 {
		return []string{defaultArch}, nil
	}
	if len(list) != 1 {
		return nil, errValidation("1 validation error detected: Value '[%s]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1", strings.Join(list, ", "))
	}
	return []string{list[0]}, nil
}
