package optable_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/server/optable/optabletest"
)

// TestFuzzSeedsReachTheServices keeps the request fuzzers' seeds deep: a
// valid request of IAM, STS and CloudTrail through the trusting router
// succeeds, so what the fuzzers mutate starts past validation.
func TestFuzzSeedsReachTheServices(t *testing.T) {
	r := optabletest.TrustingRouter()
	for _, q := range []struct {
		form   string
		asUser bool
	}{
		{"Action=GetUser&Version=2010-05-08&UserName=" + optabletest.User, false},
		{"Action=CreateRole&Version=2010-05-08&" + form("RoleName", "n", "AssumeRolePolicyDocument", trustUser), false},
		{"Action=PutRolePolicy&Version=2010-05-08&" + form("RoleName", optabletest.Role, "PolicyName", "inline", "PolicyDocument", denyKMS), false},
		{"Action=AssumeRole&Version=2011-06-15&" + form("RoleArn", "arn:aws:iam::"+fuzzAccount+":role/n", "RoleSessionName", "ss", "ExternalId", "xx", "Policy", allowAll), true},
		{"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900", true},
	} {
		if w := r.Query(q.form, q.asUser); w.Code != http.StatusOK {
			t.Errorf("%s (as the user: %v) = %d %s, want 200", q.form, q.asUser, w.Code, w.Body)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Decrypt"}]}`))
	req.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusOK || strings.Count(w.Body.String(), `"EventName":"Decrypt"`) != 1 {
		t.Errorf("LookupEvents(EventName=Decrypt) = %d %s, want the trail's one Decrypt event", w.Code, w.Body)
	}
}
