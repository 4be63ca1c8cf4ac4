package restjson_test

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
)

// FuzzSplitBlobs holds SplitBlobs, the streaming scanner that takes
// ZipFile out of a body, to the strict decoder that reads the rest
// (jsonvalue): a body the decoder refuses is refused, and a body both
// accept reads the same, the blob's bytes being its base64 text decoded.
func FuzzSplitBlobs(f *testing.F) {
	for _, body := range []string{
		``, `{}`, `{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="},"Tags":{"t":"v"}}`,
		`{"Code":{"Zip\u0046ile":"\u0041AAA","S3Bucket":"b"}}`, `{"Code":{"ZipFile":"AAAA","ZipFile":"AAAA"}}`,
		`{"Code":{"ZipFile":12}}`, `{"Code":[{"ZipFile":"AAAA"}]}`, `{"Code":{"ZipFile":"AA\/A"}} `, `{"Code":{"ZipFile":"A`,
	} {
		f.Add(body)
	}
	m := model.Load("lambda")
	paths := restjson.BlobPaths(m, m.InputShape("CreateFunction"))
	f.Fuzz(func(t *testing.T, body string) {
		whole, werr := jsonvalue.DecodeObject([]byte(body))
		rest, blobs, err := restjson.SplitBlobs(strings.NewReader(body), m, paths, 1<<20, collect)
		if err != nil {
			if werr == nil && !refusedBlob(whole, paths) {
				t.Fatalf("SplitBlobs(%q) = %v; the decoder reads it and its blobs are base64", body, err)
			}
			return
		}
		parts, perr := jsonvalue.DecodeObject(rest)
		if werr != nil {
			if perr == nil && body != "" {
				t.Fatalf("SplitBlobs(%q) left %q, which decodes, though the body does not: %v", body, rest, werr)
			}
			return
		}
		if perr != nil {
			t.Fatalf("SplitBlobs(%q) left %q, which does not decode (%v), though the body does", body, rest, perr)
		}
		for _, p := range paths {
			key := strings.Join(p, ".")
			text, isString := at(whole, p).(string)
			blob, streamed := blobs[key]
			if isString != streamed {
				t.Fatalf("SplitBlobs(%q): %s streamed %v, but the body holds %#v there", body, key, streamed, at(whole, p))
			}
			if !streamed {
				continue
			}
			want, _ := base64.StdEncoding.DecodeString(text)
			if blob != string(want) || at(parts, p) != nil {
				t.Fatalf("SplitBlobs(%q): %s = %q and %#v in the rest; want %q and null", body, key, blob, at(parts, p), want)
			}
			set(parts, p, text)
		}
		if !reflect.DeepEqual(parts, whole) {
			t.Fatalf("SplitBlobs(%q) rest reads %#v; the body reads %#v", body, parts, whole)
		}
	})
}

// refusedBlob reports whether a blob path holds a string that is not
// base64, which SplitBlobs refuses as it streams and the decoder leaves to
// validation.
func refusedBlob(v map[string]any, paths [][]string) bool {
	for _, p := range paths {
		if s, ok := at(v, p).(string); ok {
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return true
			}
		}
	}
	return false
}

func at(v map[string]any, p []string) any {
	var cur any = v
	for _, k := range p {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func set(v map[string]any, p []string, x any) {
	for _, k := range p[:len(p)-1] {
		v = v[k].(map[string]any)
	}
	v[p[len(p)-1]] = x
}
