package awsapi

import (
	"io"
	"reflect"
	"strings"

	"github.com/sealbox/sealbox/internal/spool"
)

// A blob member of an input may be bound to a *spool.Blob instead of a
// []byte (Lambda's ZipFile, up to 50 MB): the REST-JSON path then streams
// it out of the body into its own spooled Blob (restjson.SplitBlobs),
// never holding it whole, and places the Blob in the decoded input, from
// where the binder (bindBlob) takes it into the struct field. Nothing a
// client writes decodes to a Blob, so a client can never name one, its
// own or another request's.

var blobPtrType = reflect.TypeFor[*spool.Blob]()

// hasBlobs reports whether t holds a *spool.Blob field, through structs
// and pointers to structs.
func hasBlobs(t reflect.Type) bool { return hasBlobsDepth(t, 0) }

func hasBlobsDepth(t reflect.Type, depth int) bool {
	if t == blobPtrType {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || depth > 8 {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && hasBlobsDepth(f.Type, depth+1) {
			return true
		}
	}
	return false
}

// bindBlob binds a blob member bound to a *spool.Blob: only a Blob the
// protocol layer streamed and placed in the decoded value is taken; a
// member the client wrote as JSON (null aside) is refused.
func bindBlob(v any, dst reflect.Value, path string) error {
	switch b := v.(type) {
	case *spool.Blob:
		dst.Set(reflect.ValueOf(b))
		return nil
	case nil:
		return nil
	}
	return &bindError{path: path, want: "streamed bytes"}
}

// placeBlobs puts each streamed blob into raw at its path ("Code.ZipFile"),
// making the structures on the way.
func placeBlobs(raw map[string]any, blobs map[string]any) {
	for key, b := range blobs {
		parts := strings.Split(key, ".")
		m := raw
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = b
	}
}

// closeBlobs closes the streamed blobs when the request ends.
func closeBlobs(blobs map[string]any) {
	for _, b := range blobs {
		if c, ok := b.(io.Closer); ok {
			c.Close()
		}
	}
}
