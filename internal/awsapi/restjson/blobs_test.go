package restjson_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
)

func TestBlobPaths(t *testing.T) {
	m := model.Load("lambda")
	for op, want := range map[string][][]string{
		"CreateFunction":     {{"Code", "ZipFile"}},
		"UpdateFunctionCode": {{"ZipFile"}},
		"GetFunction":        nil,
	} {
		if got := restjson.BlobPaths(m, m.InputShape(op)); !reflect.DeepEqual(got, want) {
			t.Errorf("BlobPaths(lambda %s) = %q, want %q", op, got, want)
		}
	}
}

// collect is a sink that reads the stream into a string.
func collect(r io.Reader) (any, error) {
	b, err := io.ReadAll(r)
	return string(b), err
}

func TestSplitBlobs(t *testing.T) {
	m := model.Load("lambda")
	paths := [][]string{{"Code", "ZipFile"}}
	zip := base64.StdEncoding.EncodeToString([]byte("PK\x03\x04 zip bytes / with + odd ones"))
	tests := []struct {
		name      string
		body      string
		wantRest  string
		wantBlobs map[string]any
	}{
		{"empty body", "", "", nil},
		{"no blob", `{"FunctionName":"f","Timeout":3}`, `{"FunctionName":"f","Timeout":3}`, nil},
		{"blob streamed", `{"FunctionName":"f","Code":{"ZipFile":"` + zip + `","S3Bucket":null},"Tags":{"a":"b"}}`,
			`{"FunctionName":"f","Code":{"ZipFile":null,"S3Bucket":null},"Tags":{"a":"b"}}`,
			map[string]any{"Code.ZipFile": "PK\x03\x04 zip bytes / with + odd ones"}},
		{"white space and escapes", " {\n\"Code\" : { \"ZipFile\" : \"" + strings.ReplaceAll(zip, "/", `\/`) + `\n" } , "Layers":["a",{"ZipFile":"x"}] } `,
			`{"Code":{"ZipFile":null},"Layers":["a",{"ZipFile":"x"}]}`,
			map[string]any{"Code.ZipFile": "PK\x03\x04 zip bytes / with + odd ones"}},
		{"escaped key", `{"Code":{"Zip\u0046ile":"` + zip + `"}}`, `{"Code":{"Zip\u0046ile":null}}`,
			map[string]any{"Code.ZipFile": "PK\x03\x04 zip bytes / with + odd ones"}},
		{"same name elsewhere is left", `{"ZipFile":"AAAA","Environment":{"Code":{"ZipFile":"AAAA"}}}`,
			`{"ZipFile":"AAAA","Environment":{"Code":{"ZipFile":"AAAA"}}}`, nil},
		// Left for Decode, which says what is wrong with it.
		{"not a string", `{"Code":{"ZipFile":12}}`, `{"Code":{"ZipFile":12}}`, nil},
		{"empty blob", `{"Code":{"ZipFile":""}}`, `{"Code":{"ZipFile":null}}`, map[string]any{"Code.ZipFile": ""}},
		{"escaped base64 character", `{"Code":{"ZipFile":"\u0041\u0041\u0041\u0041"}}`, `{"Code":{"ZipFile":null}}`, map[string]any{"Code.ZipFile": "\x00\x00\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, blobs, err := restjson.SplitBlobs(strings.NewReader(tt.body), m, paths, 1<<10, collect)
			if err != nil || string(rest) != tt.wantRest || !reflect.DeepEqual(blobs, tt.wantBlobs) {
				t.Fatalf("SplitBlobs(%s) = %s, %q, %v;\nwant %s, %q, nil", tt.body, rest, blobs, err, tt.wantRest, tt.wantBlobs)
			}
		})
	}

	refused := []struct {
		name, body, code, msg string
	}{
		{"not base64", `{"Code":{"ZipFile":"not base64!"}}`, "InvalidRequestContentException", "Unexpected value type at 'code.zipFile': expected base64-encoded bytes."},
		{"non-ascii escape", `{"Code":{"ZipFile":"AA\u00e9A"}}`, "InvalidRequestContentException", "Unexpected value type at 'code.zipFile': expected base64-encoded bytes."},
		{"bad escape digits", `{"Code":{"ZipFile":"AA\u00zzA"}}`, "InvalidRequestContentException", "Unexpected value type at 'code.zipFile': expected base64-encoded bytes."},
		{"given twice", `{"Code":{"ZipFile":"AAAA","ZipFile":"AAAA"}}`, "InvalidRequestContentException", "Could not parse request body into json: Code.ZipFile is given twice."},
		{"cut short", `{"Code":{"ZipFile":"AAAA`, "InvalidRequestContentException", "Could not parse request body into json: the body is not valid JSON."},
		{"trailing data", `{} {}`, "InvalidRequestContentException", "Could not parse request body into json: the body is not valid JSON."},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "InvalidRequestContentException", "Could not parse request body into json: the body is not valid JSON."},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			rest, blobs, err := restjson.SplitBlobs(strings.NewReader(tt.body), m, paths, 1<<10, collect)
			e, ok := sealbox.AsError(err)
			if !ok || e.Code != tt.code || e.Message != tt.msg {
				t.Fatalf("SplitBlobs(%s) = %s, %q, %v; want %s %q", tt.body, rest, blobs, err, tt.code, tt.msg)
			}
		})
	}

	// What is not streamed counts against maxRest; the blob does not.
	big := `{"Code":{"ZipFile":"` + strings.Repeat("AAAA", 1000) + `"},"Description":"` + strings.Repeat("d", 500) + `"}`
	if _, _, err := restjson.SplitBlobs(strings.NewReader(big), m, paths, 1<<10, collect); err != nil {
		t.Errorf("SplitBlobs(4000-byte blob, 500-byte rest, maxRest 1024) err = %v", err)
	}
	big = `{"Description":"` + strings.Repeat("d", 2000) + `"}`
	if _, _, err := restjson.SplitBlobs(strings.NewReader(big), m, paths, 1<<10, collect); !errors.Is(err, restjson.ErrRestTooLarge) {
		t.Errorf("SplitBlobs(2000-byte rest, maxRest 1024) err = %v, want ErrRestTooLarge", err)
	}

	// A sink's error is returned as it is, and what it made is closed.
	errSink := errors.New("disk full")
	_, _, err := restjson.SplitBlobs(strings.NewReader(`{"Code":{"ZipFile":"AAAA"}}`), m, paths, 1<<10, func(r io.Reader) (any, error) { return nil, errSink })
	if !errors.Is(err, errSink) {
		t.Errorf("SplitBlobs(sink fails) err = %v, want the sink's", err)
	}
}

// TestSplitBlobsLarge streams a blob far larger than the reader's buffer.
func TestSplitBlobsLarge(t *testing.T) {
	m := model.Load("lambda")
	data := make([]byte, 3<<20+7)
	for i := range data {
		data[i] = byte(i * 31)
	}
	body := fmt.Sprintf(`{"ZipFile":"%s","Publish":true}`, base64.StdEncoding.EncodeToString(data))
	var n int
	rest, blobs, err := restjson.SplitBlobs(strings.NewReader(body), m, [][]string{{"ZipFile"}}, 1<<10, func(r io.Reader) (any, error) {
		b, err := io.ReadAll(r)
		n = len(b)
		return bytes.Equal(b, data), err
	})
	if err != nil || string(rest) != `{"ZipFile":null,"Publish":true}` || blobs["ZipFile"] != true {
		t.Fatalf("SplitBlobs(3 MiB blob) = %s, %v (%d bytes), %v", rest, blobs, n, err)
	}
}
