package functions

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/spool"
	"github.com/sealbox/sealbox/internal/store"
)

// newCode reads the package a write sends: for an uploaded ZIP, which the
// protocol layer streamed into a spool.Blob (hashed and counted on the
// way, never held whole in memory), its SHA-256 (base64, as Lambda's
// CodeSha256) and size, after checking Lambda's limits on it (zipped and
// unzipped); the ZIP itself is kept by putCode in the write's transaction.
// For an S3 object or an image, its location as given (sealbox fetches
// neither). pkg is the function's package type.
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
		zr, err := zip.NewReader(zipFile.ReaderAt(), zipFile.Size())
		if err != nil {
			return codeRecord{}, errInvalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
		}
		// Summed so that it cannot wrap: declared sizes of 2^64-1 and 2
		// must not pass as 1 byte (the runner also counts what it writes).
		var unzipped uint64
		for _, f := range zr.File {
			if f.UncompressedSize64 >= lambdarun.MaxUnzipped-unzipped {
				return codeRecord{}, errInvalid("Unzipped size must be smaller than %d bytes", lambdarun.MaxUnzipped)
			}
			unzipped += f.UncompressedSize64
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

// The bytes of an uploaded ZIP are kept under
// "fncode/<region>/<name>/<sha256 hex>/<chunk, six digits>", in chunks of
// codeChunk bytes, each sealed by the barrier as every record is: a
// version's code is found by its digest, shared by the versions published
// from it, and deleted with the function. (Not under "fn/": the record
// cache and the change feed's watchers of functions need not hear of
// every chunk.)
const codeChunk = 1 << 20

func codePrefix(region, name string) string { return "fncode/" + region + "/" + name + "/" }

func codeKey(region, name, sha256b64 string) string {
	return codePrefix(region, name) + hex.EncodeToString(mustDecode(sha256b64)) + "/"
}

// putCode keeps the ZIP blob as the code of the function name in tx,
// unless code of that digest is kept already.
func putCode(tx store.Tx, region, name string, code codeRecord, blob *spool.Blob) error {
	if blob == nil || code.Size == 0 {
		return nil
	}
	prefix := codeKey(region, name, code.Sha256)
	if _, err := tx.Get(prefix + fmt.Sprintf("%06d", 0)); err == nil {
		return nil
	} else if !isNotFound(err) {
		return err
	}
	r := blob.ReaderAt()
	buf := make([]byte, codeChunk)
	for i, off := 0, int64(0); off < code.Size; i, off = i+1, off+codeChunk {
		n, err := r.ReadAt(buf[:min(codeChunk, code.Size-off)], off)
		if err != nil && !(errors.Is(err, io.EOF) && int64(n) == min(codeChunk, code.Size-off)) {
			return fmt.Errorf("failed to read the uploaded code: %w", err)
		}
		if err := tx.Put(prefix+fmt.Sprintf("%06d", i), append([]byte(nil), buf[:n]...)); err != nil {
			return err
		}
	}
	return nil
}

// errCodeNotKept answers an Invoke of a version whose code sealbox does not
// hold: one given as an S3 object or image, or uploaded before sealbox
// kept code.
func errCodeNotKept(arn string) error {
	return errInvalid("The code of %s is not held by this server: sealbox runs code uploaded as a ZipFile (CreateFunction or UpdateFunctionCode), not an S3 object or a container image.", arn)
}

// readCode reads the code of c, a version of fn, and checks it against its
// CodeSha256: a ZIP that does not hash to it is not run.
func (s *Service) readCode(ctx context.Context, fn *functionRecord, c *configRecord, arn string) ([]byte, error) {
	code := c.Code
	if code.ImageURI != "" || code.S3Bucket != "" || code.Size == 0 {
		return nil, errCodeNotKept(arn)
	}
	out := make([]byte, 0, code.Size)
	err := s.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan(codeKey(fn.Region, fn.Name, code.Sha256), "", func(_ string, v []byte) error {
			if int64(len(out)+len(v)) > code.Size {
				return errCodeCorrupt(arn)
			}
			out = append(out, v...)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errCodeNotKept(arn)
	}
	sum := sha256.Sum256(out)
	if int64(len(out)) != code.Size || base64.StdEncoding.EncodeToString(sum[:]) != code.Sha256 {
		return nil, errCodeCorrupt(arn)
	}
	return out, nil
}

func errCodeCorrupt(arn string) error {
	return &sealbox.Error{Code: "ServiceException", Server: true,
		Message: fmt.Sprintf("The code kept for %s does not match its CodeSha256; it is not run.", arn)}
}

// deleteCode deletes the kept code of the function name in tx whose digest
// no remaining version (keep) uses; keep nil deletes all of it.
func deleteCode(tx store.Tx, region, name string, keep map[string]bool) error {
	var keys []string
	prefix := codePrefix(region, name)
	err := tx.Scan(prefix, "", func(key string, _ []byte) error {
		digest, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), "/")
		if !keep[digest] {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// codeInUse is the hex digests of the code the function's versions use,
// $LATEST's among them.
func codeInUse(tx store.Tx, fn *functionRecord) (map[string]bool, error) {
	keep := map[string]bool{hex.EncodeToString(mustDecode(fn.Latest.Code.Sha256)): true}
	vs, err := versions(tx, fn)
	for _, c := range vs {
		keep[hex.EncodeToString(mustDecode(c.Code.Sha256))] = true
	}
	return keep, err
}
