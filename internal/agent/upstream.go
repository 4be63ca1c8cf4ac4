package agent

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// SecretsManager is what the agent calls of Secrets Manager.
type SecretsManager interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

// ParameterStore is what the agent calls of Parameter Store.
type ParameterStore interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetParametersByPath(context.Context, *ssm.GetParametersByPathInput, ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

var (
	_ SecretsManager = (*secretsmanager.Client)(nil)
	_ ParameterStore = (*ssm.Client)(nil)
)

// NewHTTPClient is the upstream HTTP client: at most maxConns connections
// to each host (PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS), kept alive.
func NewHTTPClient(n int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(maxConns(n))
}

func maxConns(n int) func(*http.Transport) {
	return func(t *http.Transport) {
		t.MaxConnsPerHost = n
		t.MaxIdleConnsPerHost = n
	}
}

// upstreamError is an answer the agent gives for a failed upstream call:
// the upstream's own status, code and message, or the agent's for a
// timeout (504) or a connection failure (502).
type upstreamError struct {
	status        int
	code, message string
	// transient errors are retried, and let a stale value be served.
	transient bool
	outcome   outcome
}

func (e *upstreamError) Error() string { return e.code + ": " + e.message }

// body is the answer's JSON: {"__type": code, "message": message}.
func (e *upstreamError) body() []byte {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.code, e.message})
	return b
}

var (
	errTimeout    = &upstreamError{status: http.StatusGatewayTimeout, code: "TimeoutError", message: "Timeout", transient: true, outcome: outcomeTimeout}
	errConnection = &upstreamError{status: http.StatusBadGateway, code: "ConnectionError", message: "Read Error", transient: true, outcome: outcomeConnection}
	errResponse   = &upstreamError{status: http.StatusBadGateway, code: "ConnectionError", message: "Response Error", transient: true, outcome: outcomeConnection}
	// errOverload answers a miss while MaxInFlight fetches are under way.
	// The extension documents no answer for this; 429 with the code AWS
	// services use for the same is what clients already back off on.
	errOverload = &upstreamError{status: http.StatusTooManyRequests, code: "TooManyRequestsException",
		message: "Too many upstream calls in flight; try again later", transient: true, outcome: outcomeError}
	errInternal = &upstreamError{status: http.StatusInternalServerError, code: "InternalFailure", outcome: outcomeError}
)

// throttling are the codes AWS services answer when a caller goes too
// fast: worth another try after a while.
var throttling = map[string]bool{
	"ThrottlingException": true, "Throttling": true, "ThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "RequestThrottled": true, "RequestThrottledException": true, "SlowDown": true,
	"InternalServiceError": true, "InternalFailure": true, "ServiceUnavailable": true,
}

// classify turns an SDK error into the agent's answer. timedOut says the
// attempt's own deadline passed.
func classify(err error, timedOut bool) *upstreamError {
	var api smithy.APIError
	var resp *awshttp.ResponseError
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	switch {
	case timedOut, errors.Is(err, context.DeadlineExceeded):
		return errTimeout
	case errors.As(err, &api) && api.ErrorCode() != "":
		status := http.StatusInternalServerError
		if errors.As(err, &resp) {
			status = resp.HTTPStatusCode()
		}
		return &upstreamError{
			status: status, code: api.ErrorCode(), message: api.ErrorMessage(),
			transient: status >= 500 || status == http.StatusTooManyRequests || throttling[api.ErrorCode()],
			outcome:   outcomeError,
		}
	case errors.As(err, &netErr) && netErr.Timeout():
		return errTimeout
	case errors.As(err, &send), errors.As(err, &netErr):
		return errConnection
	case errors.As(err, new(*smithy.DeserializationError)):
		return errResponse
	case errors.As(err, &resp):
		// An answer that is not an AWS error: pass its status on.
		return &upstreamError{status: resp.HTTPStatusCode(), code: "UnknownError", message: http.StatusText(resp.HTTPStatusCode()),
			transient: resp.HTTPStatusCode() >= 500, outcome: outcomeError}
	}
	return errInternal
}

// backoff is the wait before attempt n+1 (n from 0): full jitter, a
// uniformly random time in [0, min(cap, base·2ⁿ)).
func backoff(n int, base, cap time.Duration, r func(int64) int64) time.Duration {
	if base <= 0 {
		return 0
	}
	ceil := cap
	if n < 62 && base<<n > 0 && base<<n < cap {
		ceil = base << n
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(r(int64(ceil)))
}

func jitter(n int64) int64 { return rand.Int64N(n) }

// call runs fn with the kind's timeout per attempt, retrying transient
// failures with backoff, and records each attempt in the metrics.
func (a *Agent) call(ctx context.Context, k kind, fn func(ctx context.Context) error) *upstreamError {
	timeout := a.cfg.SecretsTimeout
	if k == kindParam {
		timeout = a.cfg.ParametersTimeout
	}
	for n := 0; ; n++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, timeout)
		}
		a.m.upstreamActive.Add(1)
		start := time.Now()
		err := fn(actx)
		a.m.upstreamTime[k].observe(time.Since(start))
		a.m.upstreamActive.Add(-1)
		timedOut := err != nil && actx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		if err == nil {
			a.m.upstreamCalls[k].add(outcomeOK, 1)
			return nil
		}
		if ctx.Err() != nil {
			a.m.upstreamCalls[k].add(outcomeError, 1)
			return errInternal
		}
		ue := classify(err, timedOut)
		a.m.upstreamCalls[k].add(ue.outcome, 1)
		if ue == errInternal {
			// Not an AWS answer: say why in the log (never a value: the
			// SDK's errors carry no request or response bodies).
			a.log.Warn("upstream call failed", "service", kindNames[k], "err", err)
		}
		if !ue.transient || n+1 >= a.cfg.Attempts {
			return ue
		}
		wait := backoff(n, a.cfg.RetryBase, a.cfg.RetryCap, a.rand)
		a.log.Debug("upstream call failed; retrying", "service", kindNames[k], "code", ue.code, "attempt", n+1, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return errInternal
		}
	}
}

// fetch asks the upstream for r and returns the entry to cache and serve.
func (a *Agent) fetch(ctx context.Context, r request) (*entry, *upstreamError) {
	switch r.kind {
	case kindSecret:
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(r.id)}
		if r.versionID != "" {
			in.VersionId = aws.String(r.versionID)
		}
		if r.stage != "" {
			in.VersionStage = aws.String(r.stage)
		}
		var out *secretsmanager.GetSecretValueOutput
		if ue := a.call(ctx, kindSecret, func(ctx context.Context) (err error) {
			out, err = a.sm.GetSecretValue(ctx, in)
			return err
		}); ue != nil {
			return nil, ue
		}
		return a.secretEntry(r, out), nil
	default:
		name := r.id + r.selector
		var out *ssm.GetParameterOutput
		if ue := a.call(ctx, kindParam, func(ctx context.Context) (err error) {
			out, err = a.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(r.decrypt)})
			return err
		}); ue != nil {
			return nil, ue
		}
		return a.parameterEntry(r, out), nil
	}
}

// secretEntry is the cache entry for a GetSecretValue answer, serialised
// as aws-sdk-go-v2 serialises its output (the extension's form).
func (a *Agent) secretEntry(r request, out *secretsmanager.GetSecretValueOutput) *entry {
	if out.CreatedDate != nil {
		t := out.CreatedDate.UTC()
		out.CreatedDate = &t
	}
	body, _ := json.Marshal(out)
	e := &entry{key: r.key(), req: r, body: body, fetched: a.clock.Now(), ttl: a.cfg.SecretsTTL, secure: true}
	if n := aws.ToString(out.Name); n != "" {
		e.ids = append(e.ids, secretID(n))
	}
	if arn := aws.ToString(out.ARN); arn != "" {
		e.ids = append(e.ids, arnID(arn))
	}
	return e
}

// parameterEntry is the cache entry for a GetParameter answer. A reference
// to a secret is filed under that secret, so a change to the secret
// evicts it.
func (a *Agent) parameterEntry(r request, out *ssm.GetParameterOutput) *entry {
	e := &entry{key: r.key(), req: r, fetched: a.clock.Now(), ttl: a.cfg.ParametersTTL}
	if p := out.Parameter; p != nil {
		if p.LastModifiedDate != nil {
			t := p.LastModifiedDate.UTC()
			p.LastModifiedDate = &t
		}
		e.secure = p.Type == "SecureString"
		arn := aws.ToString(p.ARN)
		if arn != "" {
			e.ids = append(e.ids, arnID(arn))
		}
		if r.reference() {
			name := secretNameFromARN(arn)
			var src struct{ Name string }
			if json.Unmarshal([]byte(aws.ToString(p.SourceResult)), &src) == nil && src.Name != "" {
				name = src.Name
			}
			if name == "" {
				// No ARN and no source: the id after the prefix, up to a
				// selector, is the secret's name or ARN.
				id, _, _ := strings.Cut(strings.TrimPrefix(r.id, referencePrefix), ":")
				name = id
			}
			e.ids = append(e.ids, secretID(name))
		} else if n := aws.ToString(p.Name); n != "" {
			e.ids = append(e.ids, paramID(n))
		}
	}
	e.body, _ = json.Marshal(out)
	return e
}

// secretNameFromARN is the secret's name in its full ARN
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random>),
// or "" if arn is not a secret's full ARN.
func secretNameFromARN(arn string) string {
	_, res, ok := strings.Cut(arn, ":secret:")
	if !ok || !strings.HasPrefix(arn, "arn:") || len(res) < 8 || res[len(res)-7] != '-' {
		return ""
	}
	return res[:len(res)-7]
}
