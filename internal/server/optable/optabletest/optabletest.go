// Package optabletest builds, for tests, the real protocol layer over the
// real services on a memory store, trusting every caller: what fuzzers and
// router benchmarks drive is what follows the signature check.
package optabletest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/authz"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/cloudtrail"
	"github.com/sealbox/sealbox/internal/functions"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/server/optable"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// AccountID is the account the router serves.
const AccountID = "123456789012"

// TrustAll authenticates every request as the account's root.
type TrustAll struct{}

func (TrustAll) VerifyPayload(context.Context, *http.Request, string, string) (*sigv4.Result, error) {
	return &sigv4.Result{Principal: sealbox.Principal{Type: "Root", ARN: "arn:aws:iam::" + AccountID + ":root", AccountID: AccountID},
		Region: "us-east-1", Service: "kms"}, nil
}

// CallerHeader, set to "user" on a request, makes the Router authenticate
// it as the IAM user User instead of the root: the root may not assume a
// role, the user may.
const CallerHeader = "X-Sealbox-Test-Caller"

// trusting is TrustAll, but for the requests CallerHeader names the user.
type trusting struct{ user sealbox.Principal }

func (t *trusting) VerifyPayload(ctx context.Context, r *http.Request, service, hash string) (*sigv4.Result, error) {
	if r.Header.Get(CallerHeader) == "user" {
		return &sigv4.Result{Principal: t.user, Region: "us-east-1", Service: "kms"}, nil
	}
	return TrustAll{}.VerifyPayload(ctx, r, service, hash)
}

type discard struct{}

func (discard) Log(context.Context, *audit.Event) error { return nil }

// Router is the operation tables of KMS, SSM, Secrets Manager, Lambda,
// IAM, STS and CloudTrail on a router that trusts every caller and audits
// nowhere. The services are wired as the server wires them where that
// reaches more code: IAM and STS check policies and trust policies with
// the real authorizer, and KMS and Secrets Manager pin the principals of
// the policies they save through the identity store (which holds the
// user User and the role Role, so that there is something to pin).
// CloudTrail reads a store trail that holds a few events.
type Router struct {
	*awsapi.Router
	KMS, SSM, Secrets, Lambda, IAM, STS, CloudTrail *awsapi.Service
	// Identities is the identity store the services pin principals with.
	Identities *identity.Store
}

// The user and role every Router's identity store holds.
const (
	User = "u"
	Role = "r"
)

// TrustingRouter builds a Router over fresh services on a memory store. It
// panics if it cannot make its user, role or trail: a test helper's
// broken set-up.
func TrustingRouter() Router {
	st := store.WithFeed(memstore.New())
	c := clock.Real{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ids := identity.New(st, st, AccountID, c)
	az := authz.New(ids, st, c, log)
	check := authz.Checker{A: az}
	sts := stsapi.New(ids, stsapi.Config{Checker: check})
	k := kms.New(kms.Config{Store: st, Keyring: keyring.New(nil), Principals: ids})
	ps := parameters.New(parameters.Config{Store: st, KMS: k})
	sm := secrets.New(secrets.Config{Store: st, KMS: k, Principals: ids})
	trail := audit.NewStoreSink(st, audit.StoreOptions{ElectedDigests: true, Logger: log})
	auth := &trusting{}
	r := Router{
		Router: awsapi.NewRouter(awsapi.Config{AccountID: AccountID, Auth: auth, Audit: discard{}, Logger: log}),
		KMS:    optable.KMS(k), SSM: optable.SSM(ps), Secrets: optable.Secrets(sm),
		Lambda: optable.Lambda(functions.New(functions.Config{Store: st, KMS: k, Parameters: ps, Secrets: sm, Roles: sts})),
		IAM:    optable.IAM(iamapi.New(ids, iamapi.Config{Checker: check}), &authz.Simulator{A: az, ID: ids}),
		STS:    optable.STS(sts),
		CloudTrail: optable.CloudTrail(cloudtrail.New(cloudtrail.Config{Events: trail, Trail: fixedTrail{},
			AccountID: AccountID, HomeRegion: "us-east-1"})),
		Identities: ids,
	}
	for _, svc := range []*awsapi.Service{r.KMS, r.SSM, r.Secrets, r.Lambda, r.IAM, r.STS, r.CloudTrail} {
		r.Register(svc)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + AccountID + `:root","Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, form := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=" + User,
		"Action=CreateRole&Version=2010-05-08&RoleName=" + Role + "&AssumeRolePolicyDocument=" + url.QueryEscape(trust),
	} {
		if w := r.Query(form, false); w.Code != http.StatusOK {
			panic(fmt.Sprintf("optabletest: %s = %d %s", form, w.Code, w.Body))
		}
	}
	user, ok, err := ids.Principal(context.Background(), "arn:aws:iam::"+AccountID+":user/"+User)
	if err != nil || !ok {
		panic(fmt.Sprintf("optabletest: the user %s: %v %v", User, ok, err))
	}
	user.AccessKeyID = "AKIAOPTABLETEST00001"
	auth.user = user
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, name := range []string{"CreateKey", "Decrypt", "GetSecretValue"} {
		e := &audit.Event{EventVersion: "1.08", EventTime: t0.Add(time.Duration(i) * time.Minute), EventSource: "kms.amazonaws.com",
			EventName: name, AWSRegion: "us-east-1", RequestID: fmt.Sprintf("req-%d", i), EventID: fmt.Sprintf("ev-%d", i),
			EventType: "AwsApiCall", ReadOnly: name != "CreateKey", ManagementEvent: true, RecipientAccountID: AccountID,
			UserIdentity: audit.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::" + AccountID + ":user/" + User, UserName: User},
			Resources:    []audit.ResourceRef{{AccountID: AccountID, ARN: "arn:aws:kms:us-east-1:" + AccountID + ":key/1234abcd-12ab-34cd-56ef-1234567890ab", Type: "AWS::KMS::Key"}}}
		line, err := json.Marshal(e)
		if err == nil {
			err = trail.Write(context.Background(), e, append(line, '\n'))
		}
		if err != nil {
			panic("optabletest: writing the trail: " + err.Error())
		}
	}
	return r
}

// Query serves one AWS Query request (IAM, STS) with form as its body,
// from the root, or from the user User if asUser.
func (r Router) Query(form string, asUser bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if asUser {
		req.Header.Set(CallerHeader, "user")
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// fixedTrail is a trail that is logging since t0.
type fixedTrail struct{}

func (fixedTrail) TrailStatus(context.Context) (cloudtrail.TrailStatus, error) {
	return cloudtrail.TrailStatus{Logging: true, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, nil
}
