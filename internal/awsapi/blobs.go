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
// never holding it whole, and places the Blob in the decoded input. A
// Blob has no JSON form (it marshals as null and unmarshals from null
// alone), so it crosses the JSON binding of the typed input here, from the
// decoded value to the struct field, and a client's JSON can never name a
// Blob, its own or another request's.

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

// attachBlobs sets each *spool.Blob field of v (a struct) to the Blob at
// the same member of raw, the decoded input, allocating the structs on the
// way.
func attachBlobs(v reflect.Value, raw any) {
	m, ok := raw.(map[string]any)
	if !ok {
		return
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || !hasBlobs(f.Type) {
			continue
		}
		mv, ok := m[jsonName(f)]
		if !ok {
			continue
		}
		fv := v.Field(i)
		if f.Type == blobPtrType {
			if b, ok := mv.(*spool.Blob); ok {
				fv.Set(reflect.ValueOf(b))
			}
			continue
		}
		if f.Type.Kind() == reflect.Pointer {
			if fv.IsNil() {
				fv.Set(reflect.New(f.Type.Elem()))
			}
			fv = fv.Elem()
		}
		attachBlobs(fv, mv)
	}
}

// jsonName is the member name encoding/json binds f to.
func jsonName(f reflect.StructField) string {
	if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
		return n
	}
	return f.Name
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
