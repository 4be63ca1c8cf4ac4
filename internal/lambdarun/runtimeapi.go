package lambdarun

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The Runtime API's paths and headers a runtimeAPI looks at.
const (
	runtimeNextPath  = "/2018-06-01/runtime/invocation/next"
	runtimeInvPrefix = "/2018-06-01/runtime/invocation/"
	requestIDHeader  = "Lambda-Runtime-Aws-Request-Id"
	invokedARNHeader = "Lambda-Runtime-Invoked-Function-Arn"
)

// runtimeAPI stands between the function's runtime and the emulator's
// Runtime API, for what the emulator does not do as Lambda does:
//
//   - it names every invocation's function
//     arn:aws:lambda:us-east-1:012345678912:function:NAME, whatever the
//     function's region and account and the qualifier it was invoked
//     with; the runtime's /next answer is given the invoked ARN instead
//     (the context's InvokedFunctionArn);
//   - it answers an error the runtime posts (/invocation/{id}/error) as
//     it answers a result, dropping the error's type: the runtime's
//     error is noted here, so that a result shaped like an error is
//     not taken for one.
//
// The runtime is given its address as AWS_LAMBDA_RUNTIME_API (the
// emulator's own goes on serving the extensions). It serves one
// invocation at a time, as its environment does.
type runtimeAPI struct {
	ln        net.Listener
	srv       *http.Server
	transport *http.Transport

	mu      sync.Mutex
	id, arn string // the invocation being served
	failed  bool   // its runtime posted an error
}

// startRuntimeAPI serves on ln, forwarding to the emulator's Runtime API
// at target (host:port).
func startRuntimeAPI(ln net.Listener, target string) *runtimeAPI {
	// The runtime's /next waits for the next event: no deadline.
	a := &runtimeAPI{ln: ln, transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: target})
		},
		Transport:      a.transport,
		ModifyResponse: a.named,
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Noted before it is passed on: the emulator answers the
		// invocation as soon as it has the error.
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, runtimeInvPrefix) && strings.HasSuffix(r.URL.Path, "/error") {
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, runtimeInvPrefix), "/error")
			a.mu.Lock()
			if id == a.id {
				a.failed = true
			}
			a.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	})
	a.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go a.srv.Serve(ln)
	return a
}

// begin says which invocation the environment serves next, and the ARN
// it was invoked as.
func (a *runtimeAPI) begin(id, arn string) {
	a.mu.Lock()
	a.id, a.arn, a.failed = id, arn, false
	a.mu.Unlock()
}

// runtimeFailed reports whether the runtime posted an error for
// invocation id.
func (a *runtimeAPI) runtimeFailed(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.id == id && a.failed
}

// named gives the runtime's next event the ARN its invocation was
// invoked as.
func (a *runtimeAPI) named(resp *http.Response) error {
	req := resp.Request
	if req.Method != http.MethodGet || req.URL.Path != runtimeNextPath || resp.StatusCode != http.StatusOK {
		return nil
	}
	a.mu.Lock()
	if resp.Header.Get(requestIDHeader) == a.id && a.arn != "" {
		resp.Header.Set(invokedARNHeader, a.arn)
	}
	a.mu.Unlock()
	return nil
}

// close stops serving; the runtime's waiting /next is cut off.
func (a *runtimeAPI) close() {
	a.srv.Close()
	a.transport.CloseIdleConnections()
}
