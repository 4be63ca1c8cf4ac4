package lambdarun

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRuntimeAPI sends arbitrary requests from a function's runtime (code
// the function's owner wrote) through the runtimeAPI that stands before
// the emulator's Runtime API. The emulator here answers every request 200
// with the invocation's id: the proxy passes its answer on as it is (no
// 5xx of its own), notes a runtime error for the invocation being served
// only when the runtime posts to that invocation's /error, and names the
// invoked ARN only on /next's answer for that invocation.
func FuzzRuntimeAPI(f *testing.F) {
	const id, arn = "8476a536-e9f4-11e8-9739-2dfe598c3fcd", "arn:aws:lambda:eu-west-1:123456789012:function:f:prod"
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set(requestIDHeader, id)
		w.Header().Set(invokedARNHeader, "arn:aws:lambda:us-east-1:012345678912:function:f")
		io.WriteString(w, `{"event":1}`)
	}))
	f.Cleanup(upstream.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	a := startRuntimeAPI(ln, strings.TrimPrefix(upstream.URL, "http://"))
	f.Cleanup(a.close)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}
	for _, seed := range []struct {
		method       uint8
		target, body string
	}{
		{0, runtimeNextPath, ""},
		{1, runtimeInvPrefix + id + "/response", `{"ok":true}`},
		{1, runtimeInvPrefix + id + "/error", `{"errorMessage":"x","errorType":"Runtime.Unknown"}`},
		{1, runtimeInvPrefix + "other/error", `{}`},
		{1, runtimeInvPrefix + id + "%2Ferror", `{}`},
		{1, runtimeInvPrefix + "/error", ``},
		{1, "/2018-06-01/runtime/init/error", `{}`},
		{0, "/2018-06-01/runtime/invocation/next?x=1", ""},
		{0, "/2020-01-01/extension/event/next", ""},
	} {
		f.Add(seed.method, seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, method uint8, target, body string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") {
			return // not a request target a client can send
		}
		req, err := http.NewRequest(methods[int(method)%len(methods)], "http://"+ln.Addr().String()+target, strings.NewReader(body))
		if err != nil {
			return
		}
		a.begin(id, arn)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, target, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != `{"event":1}` {
			t.Fatalf("%s %s %q = %d %s, want the emulator's 200", req.Method, target, body, resp.StatusCode, b)
		}
		wantFailed := req.Method == http.MethodPost && req.URL.Path == runtimeInvPrefix+id+"/error"
		if got := a.runtimeFailed(id); got != wantFailed {
			t.Fatalf("%s %s: runtimeFailed = %v, want %v", req.Method, target, got, wantFailed)
		}
		wantARN := "arn:aws:lambda:us-east-1:012345678912:function:f"
		if req.Method == http.MethodGet && req.URL.Path == runtimeNextPath {
			wantARN = arn
		}
		if got := resp.Header.Get(invokedARNHeader); got != wantARN {
			t.Fatalf("%s %s: %s = %q, want %q", req.Method, target, invokedARNHeader, got, wantARN)
		}
	})
}
