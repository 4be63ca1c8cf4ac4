// Package extensionsapi is a client of AWS Lambda's Extensions API
// (/2020-01-01/extension/...), the calls an external extension makes to
// the execution environment at $AWS_LAMBDA_RUNTIME_API: register, wait
// for the next event, report a failure. Lambda and aws-lambda-rie serve
// the same API; the behaviour documented here was read from rie's source
// (internal/lambda/rapi) and checked against it in sealbox's tests.
//
// # The contract
//
// Lambda starts every executable in /opt/extensions at INIT, each with
// the function's environment (its variables and credentials) and
// AWS_LAMBDA_RUNTIME_API. An extension registers under its executable's
// file name (anything else is taken for an internal extension, which may
// not subscribe to SHUTDOWN); Lambda starts the runtime once every
// extension has registered, and lets INIT finish once every extension has
// called Next for the first time, so an extension gets ready before its
// first Next. Each INVOKE is delivered to Next; the extension's next Next
// says it is done with it. SHUTDOWN is the last event: the extension exits
// before its deadline (exit status 0), or is killed.
//
// A failure before the first Next is reported with InitError (INIT fails,
// the function's invocation answers the error type), a later one with
// ExitError; either way the extension then exits.
package extensionsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The event types an extension may subscribe to.
const (
	Invoke   = "INVOKE"
	Shutdown = "SHUTDOWN"
)

// The Extensions API's headers.
const (
	headerName      = "Lambda-Extension-Name"
	headerID        = "Lambda-Extension-Identifier"
	headerErrorType = "Lambda-Extension-Function-Error-Type"
)

// Event is what Next returns: an INVOKE or the SHUTDOWN.
type Event struct {
	EventType  string `json:"eventType"`
	DeadlineMs int64  `json:"deadlineMs"`
	// INVOKE's.
	RequestID          string `json:"requestId,omitempty"`
	InvokedFunctionArn string `json:"invokedFunctionArn,omitempty"`
	// SHUTDOWN's: spindown, timeout or failure.
	ShutdownReason string `json:"shutdownReason,omitempty"`
}

// Registration is what Register learnt of the function.
type Registration struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
}

// Client is a registered extension. Next is called from one goroutine at a
// time; InitError and ExitError may be called from any.
type Client struct {
	base string // http://host:port/2020-01-01/extension
	id   string // Lambda-Extension-Identifier
	hc   *http.Client
}

// Error is an answer other than the one a call expects: the Extensions
// API's {"errorType", "errorMessage"} and its HTTP status.
type Error struct {
	Op         string // register, event/next, init/error, exit/error
	StatusCode int
	Type       string
	Message    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("extension %s: HTTP %d %s: %s", e.Op, e.StatusCode, e.Type, e.Message)
}

// newHTTPClient talks to the runtime API directly: never through a proxy
// the function's environment may name, and without a timeout, since Next
// waits as long as the environment is idle.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2,
	}}
}

// Register registers the extension name (its executable's file name) at
// runtimeAPI (host:port, $AWS_LAMBDA_RUNTIME_API) for events.
func Register(ctx context.Context, runtimeAPI, name string, events ...string) (*Client, Registration, error) {
	if runtimeAPI == "" {
		return nil, Registration{}, errors.New("no runtime API address ($AWS_LAMBDA_RUNTIME_API)")
	}
	c := &Client{base: "http://" + runtimeAPI + "/2020-01-01/extension", hc: newHTTPClient()}
	body, _ := json.Marshal(struct {
		Events []string `json:"events"`
	}{events})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/register", bytes.NewReader(body))
	if err != nil {
		return nil, Registration{}, err
	}
	req.Header.Set(headerName, name)
	req.Header.Set("Content-Type", "application/json")
	var reg Registration
	h, err := c.do(req, "register", http.StatusOK, &reg)
	if err != nil {
		return nil, Registration{}, err
	}
	if c.id = h.Get(headerID); c.id == "" {
		return nil, Registration{}, fmt.Errorf("extension register: the answer has no %s header", headerID)
	}
	return c, reg, nil
}

// ID is the extension's identifier (Lambda-Extension-Identifier).
func (c *Client) ID() string { return c.id }

// Next waits for the next event. The first call says the extension is
// ready (INIT may finish); each later one says it is done with the last
// INVOKE.
func (c *Client) Next(ctx context.Context) (Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/event/next", nil)
	if err != nil {
		return Event{}, err
	}
	req.Header.Set(headerID, c.id)
	var ev Event
	_, err = c.do(req, "event/next", http.StatusOK, &ev)
	return ev, err
}

// InitError reports that the extension failed to start, as errorType
// ("Extension.<Reason>"); INIT fails with it. cause's text goes in the
// body's errorMessage, so it must not hold a secret.
func (c *Client) InitError(ctx context.Context, errorType string, cause error) error {
	return c.report(ctx, "init/error", errorType, cause)
}

// ExitError reports that the extension failed after INIT, as errorType;
// the extension exits afterwards.
func (c *Client) ExitError(ctx context.Context, errorType string, cause error) error {
	return c.report(ctx, "exit/error", errorType, cause)
}

func (c *Client) report(ctx context.Context, op, errorType string, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	body, _ := json.Marshal(struct {
		ErrorMessage string   `json:"errorMessage"`
		ErrorType    string   `json:"errorType"`
		StackTrace   []string `json:"stackTrace"`
	}{msg, errorType, []string{}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+op, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set(headerID, c.id)
	req.Header.Set(headerErrorType, errorType)
	req.Header.Set("Content-Type", "application/json")
	_, err = c.do(req, op, http.StatusAccepted, nil)
	return err
}

// do sends req and decodes a want answer's JSON body into out (nil: the
// body is read and dropped).
func (c *Client) do(req *http.Request, op string, want int, out any) (http.Header, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("extension %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("extension %s: reading the answer: %w", op, err)
	}
	if resp.StatusCode != want {
		e := &Error{Op: op, StatusCode: resp.StatusCode}
		var body struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if json.Unmarshal(b, &body) == nil && body.Type != "" {
			e.Type, e.Message = body.Type, body.Message
		} else {
			e.Message = strings.TrimSpace(string(b))
		}
		return nil, e
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("extension %s: the answer is not the expected JSON: %w", op, err)
		}
	}
	return resp.Header, nil
}
