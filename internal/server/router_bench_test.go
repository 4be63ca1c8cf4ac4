package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkRouter is the protocol layer's own cost per call: KMS
// GenerateRandom (no store, little work) through the real router, trusting
// the caller, answered into a recorder. It is the measure of what request
// metrics add to every call (allocs/op must not grow).
func BenchmarkRouter(b *testing.B) {
	rt := trustingRouter()
	const body = `{"NumberOfBytes":32}`
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
			w := httptest.NewRecorder()
			rt.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("GenerateRandom = %d %s", w.Code, w.Body.String())
			}
		}
	})
}
