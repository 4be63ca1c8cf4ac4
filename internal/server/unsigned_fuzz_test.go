package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

// FuzzUnsignedEndpoints sends arbitrary requests to what the server answers
// without a signature: the operator's seal-status, init and unseal,
// /healthz, /readyz and /metrics (with any Authorization), and anything
// else, to a server that serves (a key file's) and to one that starts
// sealed (shamir's; an input may initialize it, and later ones give it
// shares). No input may panic or get a 500; a 503 comes only from a sealed
// server, which is what it answers while sealed.
func FuzzUnsignedEndpoints(f *testing.F) {
	servers := []*sealtest.Server{sealtest.Start(f), sealtest.Start(f, withShamir)}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodHead}
	for _, seed := range []struct {
		method             uint8
		target, body, auth string
	}{
		{0, server.OperatorSealStatusPath, "", ""},
		{1, server.OperatorInitPath, `{"KeyShares":5,"KeyThreshold":3}`, ""},
		{1, server.OperatorInitPath, `{"KeyShares":1,"KeyThreshold":1}`, ""},
		{1, server.OperatorInitPath, `{"KeyShares":300,"KeyThreshold":0,"X":1}`, ""},
		{1, server.OperatorUnsealPath, `{"Key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"}`, ""},
		{1, server.OperatorUnsealPath, `{"Key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`, ""},
		{1, server.OperatorUnsealPath, `{"Reset":true}`, ""},
		{1, server.OperatorUnsealPath, `{"Key":"!","Reset":true} {}`, ""},
		{0, "/healthz", "", ""}, {0, "/readyz", "", ""},
		{0, "/metrics", "", "Bearer " + sealtest.MetricsToken}, {0, "/metrics", "", "Bearer x"},
		{0, "/metrics", "", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/sealbox/aws4_request, SignedHeaders=host, Signature=00"},
		{1, "/", `{}`, ""}, {0, "/console/", "", ""}, {0, "/sealbox/operator/%ff", "", ""},
	} {
		for i := range servers {
			f.Add(uint8(i), seed.method, seed.target, seed.body, seed.auth)
		}
	}
	f.Fuzz(func(t *testing.T, which, method uint8, target, body, auth string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") {
			return // not a request target a client can send
		}
		req, err := http.NewRequest(methods[int(method)%len(methods)], "http://sealbox"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		s := servers[int(which)%len(servers)]
		sealed := s.Srv.Sealed()
		w := httptest.NewRecorder()
		s.Srv.Handler().ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError || w.Code >= 500 && !(w.Code == http.StatusServiceUnavailable && (sealed || s.Srv.Sealed())) {
			t.Fatalf("%s %s %q (Authorization %q) to the %s server = %d %s", req.Method, target, body, auth,
				map[bool]string{true: "sealed", false: "serving"}[sealed], w.Code, w.Body)
		}
	})
}
