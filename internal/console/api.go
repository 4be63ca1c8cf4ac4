package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// UserAgent is the User-Agent of every call the console makes: the audit
// trail's userAgent names the console.
const UserAgent = "sealbox-console/1"

// Every console action is an ordinary AWS API call, signed by the SDK with
// the signed-in principal's credentials and served by the server's own
// handler: the signature check, the authorizer and the audit trail see it
// as they see any call. inproc carries it without a socket.
type inproc struct {
	api http.Handler
}

// browserKey carries the browser's request into the API calls made for it:
// the caller's address and whether it came over TLS (aws:SourceIp,
// aws:SecureTransport and the event's sourceIPAddress are the browser's).
type browserKey struct{}

func withBrowser(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, browserKey{}, r)
}

func (t inproc) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RemoteAddr = "127.0.0.1:0"
	if b, ok := req.Context().Value(browserKey{}).(*http.Request); ok {
		in.RemoteAddr, in.TLS = b.RemoteAddr, b.TLS
	}
	// The SDK does not sign User-Agent, so naming the console here leaves
	// the signature as it was.
	in.Header.Set("User-Agent", UserAgent)
	w := &recorder{header: http.Header{}}
	t.api.ServeHTTP(w, in)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status: http.StatusText(w.status), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

// recorder is the answer of one in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// clients are one session's API clients.
type clients struct {
	KMS        *kms.Client
	SSM        *ssm.Client
	Secrets    *secretsmanager.Client
	Lambda     *lambda.Client
	IAM        *iam.Client
	STS        *sts.Client
	CloudTrail *cloudtrail.Client
}

// newClients makes the clients that sign with creds in region. Calls are
// made once (no retry): a throttled or failed action is shown as it was
// answered.
func newClients(api http.Handler, region string, creds aws.CredentialsProvider) *clients {
	cfg := aws.Config{
		Region:       region,
		Credentials:  creds,
		HTTPClient:   &http.Client{Transport: inproc{api: api}},
		BaseEndpoint: aws.String("http://console.sealbox.internal"),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	return &clients{
		KMS:        kms.NewFromConfig(cfg),
		SSM:        ssm.NewFromConfig(cfg),
		Secrets:    secretsmanager.NewFromConfig(cfg),
		Lambda:     lambda.NewFromConfig(cfg),
		IAM:        iam.NewFromConfig(cfg),
		STS:        sts.NewFromConfig(cfg),
		CloudTrail: cloudtrail.NewFromConfig(cfg),
	}
}

// apiError is an API call's failure as the page shows it: AWS's code and
// message, and the HTTP status the API answered.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// asAPIError turns an SDK error into what the page shows. The message is
// AWS's own (the server puts no secret in one). An *apiError the console
// made itself (a parameter that is not there) is shown as it is, not as
// a failed call.
func asAPIError(err error) *apiError {
	if err == nil {
		return nil
	}
	if own, ok := err.(*apiError); ok {
		return own
	}
	out := &apiError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "the call failed"}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		out.Code, out.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		out.Status = re.HTTPStatusCode()
	}
	if out.Message == "" {
		out.Message = strings.TrimSpace(out.Code)
	}
	return out
}

// IsAccessDenied says whether an API error is an authorization denial.
func (e *apiError) IsAccessDenied() bool {
	return e != nil && (e.Status == http.StatusForbidden || strings.Contains(e.Code, "AccessDenied"))
}
