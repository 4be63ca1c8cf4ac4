package sigv4

import (
	"context"
	"net/http"
	"testing"
)

// TestVerifyRefusesAHeaderAddedBesideASignedOne: with X-Amz-Target signed,
// a second X-Amz-Target added after signing, under the same spelling or
// another case, is not covered by the signature: the request is refused,
// whether it reaches the server over the wire (which folds the spellings
// into one header of two values, and the signature no longer matches) or
// is handed over as built (the second spelling counts as unsigned).
func TestVerifyRefusesAHeaderAddedBesideASignedOne(t *testing.T) {
	for _, tt := range []struct {
		name string
		wire bool
		add  func(h http.Header)
	}{
		{"second value, over the wire", true, func(h http.Header) { h.Add("X-Amz-Target", "TrentService.ScheduleKeyDeletion") }},
		{"second value first, over the wire", true, func(h http.Header) {
			h["X-Amz-Target"] = append([]string{"TrentService.ScheduleKeyDeletion"}, h["X-Amz-Target"]...)
		}},
		{"lower-case spelling, over the wire", true, func(h http.Header) { h["x-amz-target"] = []string{"TrentService.ScheduleKeyDeletion"} }},
		{"upper-case spelling, over the wire", true, func(h http.Header) { h["X-AMZ-TARGET"] = []string{"TrentService.ScheduleKeyDeletion"} }},
		{"lower-case spelling, as built", false, func(h http.Header) { h["x-amz-target"] = []string{"TrentService.ScheduleKeyDeletion"} }},
		{"content-type in another spelling, as built", false, func(h http.Header) { h["content-type"] = []string{"application/json"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := kmsRequest().signed(t, longTerm, testRegion, testService, t0)
			tt.add(req.Header)
			body := []byte(kmsRequest().body)
			if tt.wire {
				req, body = onServer(t, req)
			}
			got, err := newVerifier(newCreds(), t0).Verify(context.Background(), req, body, testService)
			if err == nil || kindOf(err) != KindBadSignature {
				t.Fatalf("Verify(headers %v) = %+v, %v; want %v", req.Header, got, err, KindBadSignature)
			}
		})
	}
}
