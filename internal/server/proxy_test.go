package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// The addresses of the proxy tests, all loopback (Linux routes the whole
// of 127.0.0.0/8 to lo): the trusted proxy, the office the policies
// allow, and an outsider.
const (
	proxyIP    = "127.0.0.2"
	officeIP   = "127.0.0.9"
	outsiderIP = "127.0.0.7"
)

// officePolicy allows ssm:GetParameter from the office's address only,
// and kms:ListKeys over TLS only.
const officePolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"` + officeIP + `/32"}}},
 {"Effect":"Allow","Action":"kms:ListKeys","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`

// clientFrom is an HTTP client whose connections leave from ip, sending
// headers on every request (after the SDK signed it, as a proxy or a
// forger would add them), trusting tlsCfg's roots.
func clientFrom(t *testing.T, ip string, tlsCfg *tls.Config, headers map[string]string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: tlsCfg, DisableKeepAlives: true}
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		return tr.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// reverseProxy is net/http/httputil's ReverseProxy on proxyIP in front of
// srv, over TLS (terminating it) or plain HTTP, appending the client to
// X-Forwarded-For and keeping the Host the client signed (nginx's
// "proxy_set_header Host $host"). It answers its URL and, over TLS, the
// client configuration that trusts it.
func reverseProxy(t *testing.T, srv *sealtest.Server, withTLS bool) (string, *tls.Config) {
	t.Helper()
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(proxyIP)}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
		},
		Transport: &http.Transport{DialContext: d.DialContext},
	}
	ln, err := net.Listen("tcp", proxyIP+":0")
	if err != nil {
		t.Skipf("cannot listen on %s (127.0.0.0/8 not all loopback here): %v", proxyIP, err)
	}
	ps := httptest.NewUnstartedServer(rp)
	ps.Listener.Close()
	ps.Listener = ln
	var cfg *tls.Config
	if withTLS {
		ps.StartTLS()
		cfg = ps.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		cfg.ServerName = "example.com" // httptest's certificate names it, and 127.0.0.1 only
	} else {
		ps.Start()
	}
	t.Cleanup(ps.Close)
	return ps.URL, cfg
}

func startBehindProxy(t *testing.T, opts ...sealtest.Option) *sealtest.Server {
	t.Helper()
	srv := sealtest.Start(t, append([]sealtest.Option{func(c *config.Config) { c.TrustedProxies = proxyIP + "/32" }}, opts...)...)
	ctx := context.Background()
	if _, err := srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/office/p"), Value: aws.String("v"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	return srv
}

func officeUser(t *testing.T, srv *sealtest.Server) aws.Credentials {
	t.Helper()
	creds := srv.NewUser(t, "office")
	if _, err := srv.IAM().PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("office"),
		PolicyName: aws.String("office"), PolicyDocument: aws.String(officePolicy)}); err != nil {
		t.Fatal(err)
	}
	return creds
}

// calls makes the office user's two calls through client at endpoint and
// says which were allowed; any error but AccessDenied fails the test.
func calls(t *testing.T, srv *sealtest.Server, creds aws.Credentials, endpoint string, client *http.Client) (getParameter, listKeys bool) {
	t.Helper()
	cfg := srv.AWSConfigAs("us-east-1", creds)
	cfg.BaseEndpoint, cfg.HTTPClient = aws.String(endpoint), client
	ctx := context.Background()
	allowed := func(call string, err error) bool {
		if err == nil {
			return true
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || !strings.Contains(ae.ErrorCode(), "AccessDenied") {
			t.Fatalf("%s through %s: %v, want success or AccessDenied", call, endpoint, err)
		}
		return false
	}
	_, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/office/p")})
	getParameter = allowed("GetParameter", err)
	_, err = kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{})
	listKeys = allowed("ListKeys", err)
	return getParameter, listKeys
}

// TestForgedForwardingIsIgnored: the denials first. A peer that is not a
// trusted proxy gets nothing from claiming the office's address or TLS,
// nor does a client that writes the office's address into the header a
// trusted proxy then appends its real address to.
func TestForgedForwardingIsIgnored(t *testing.T) {
	srv := startBehindProxy(t)
	creds := officeUser(t, srv)

	forged := clientFrom(t, outsiderIP, nil, map[string]string{"X-Forwarded-For": officeIP, "X-Forwarded-Proto": "https", "Forwarded": "for=" + officeIP + ";proto=https"})
	if get, list := calls(t, srv, creds, srv.URL, forged); get || list {
		t.Errorf("an untrusted peer claiming %s over https: GetParameter allowed %v, ListKeys allowed %v; want both denied", officeIP, get, list)
	}

	proxyURL, proxyTLS := reverseProxy(t, srv, true)
	spoofed := clientFrom(t, outsiderIP, proxyTLS, map[string]string{"X-Forwarded-For": officeIP})
	if get, _ := calls(t, srv, creds, proxyURL, spoofed); get {
		t.Errorf("X-Forwarded-For %q through the trusted proxy from %s: GetParameter allowed, want denied (the chain resolves to %s)", officeIP, outsiderIP, outsiderIP)
	}

	// A trusted proxy over plain HTTP says so: no aws:SecureTransport.
	plainURL, _ := reverseProxy(t, srv, false)
	plain := clientFrom(t, officeIP, nil, map[string]string{"X-Forwarded-Proto": "https"})
	if get, list := calls(t, srv, creds, plainURL, plain); !get || list {
		t.Errorf("from the office through a plain-HTTP proxy: GetParameter allowed %v, ListKeys allowed %v; want true, false", get, list)
	}

	// The audit trail names who the resolver found, not who they claimed.
	srv.Srv.FlushAudit()
	ips := map[string]int{}
	for _, e := range sealtest.AuditEvents(t, srv.Dir) {
		if e["eventName"] == "GetParameter" {
			ips[fmt.Sprint(e["sourceIPAddress"])]++
		}
	}
	if ips[outsiderIP] != 2 || ips[officeIP] != 1 || len(ips) != 2 {
		t.Errorf("GetParameter events by sourceIPAddress: %v, want 2 from %s and 1 from %s", ips, outsiderIP, officeIP)
	}
}

// TestSourceIPThroughTrustedProxy: the office, through a TLS-terminating
// reverse proxy the server trusts, is the office over TLS: for the
// authorizer, the audit trail and CloudTrail's LookupEvents.
func TestSourceIPThroughTrustedProxy(t *testing.T) {
	srv := startBehindProxy(t)
	creds := officeUser(t, srv)
	proxyURL, proxyTLS := reverseProxy(t, srv, true)
	office := clientFrom(t, officeIP, proxyTLS, nil)
	if get, list := calls(t, srv, creds, proxyURL, office); !get || !list {
		t.Fatalf("from the office through the TLS proxy: GetParameter allowed %v, ListKeys allowed %v; want both", get, list)
	}
	// Without trusting it, the same proxy is the client (the default).
	untrusting := startBehindProxy(t, func(c *config.Config) { c.TrustedProxies = "" })
	untrustingURL, _ := reverseProxy(t, untrusting, true)
	if get, list := calls(t, untrusting, officeUser(t, untrusting), untrustingURL, office); get || list {
		t.Errorf("through a proxy not trusted: GetParameter allowed %v, ListKeys allowed %v; want both denied", get, list)
	}

	srv.Srv.FlushAudit()
	out, err := cloudtrail.NewFromConfig(srv.AWSConfig("us-east-1")).LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("ListKeys")}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range out.Events {
		var rec struct {
			SourceIPAddress string `json:"sourceIPAddress"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
			t.Fatal(err)
		}
		got = append(got, rec.SourceIPAddress)
	}
	if strings.Join(got, ",") != officeIP {
		t.Errorf("LookupEvents ListKeys sourceIPAddress = %v, want [%s]", got, officeIP)
	}
}

// TestMalformedForwardingNeverWidens: whatever a trusted proxy forwards,
// the answer is the resolved client's or a 400, never a 5xx, and never
// an allow the office policy would not give the proxy itself.
func TestMalformedForwardingNeverWidens(t *testing.T) {
	srv := startBehindProxy(t)
	creds := officeUser(t, srv)
	for _, xff := range []string{
		"garbage", "fe80::1%eth0", "[fe80::1%25lo]:80", "127.0.0.9:99999", "127.0.0.9:80:80", strings.Repeat("9", 8000),
		strings.Repeat(proxyIP+",", 200) + proxyIP, ",,,", "unknown", "127.0.0.009",
	} {
		// From the trusted proxy's address, as a broken proxy would send it.
		c := clientFrom(t, proxyIP, nil, map[string]string{"X-Forwarded-For": xff})
		cfg := srv.AWSConfigAs("us-east-1", creds)
		cfg.HTTPClient = c
		cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
		_, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/office/p")})
		var re interface{ HTTPStatusCode() int }
		if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
			t.Errorf("X-Forwarded-For %.40q from the trusted proxy: %v, want a 400 refusal", xff, err)
		}
	}
	// A raw request too, the body never read: 400 with a plain answer.
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Forwarded-For", "not-an-ip")
	resp, err := clientFrom(t, proxyIP, nil, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "forwarding header") {
		t.Errorf("raw garbage from the trusted proxy: %d %q, want 400", resp.StatusCode, body)
	}
	if n := strings.Count(srv.Logs.String(), "forwarding header cannot be read\""); n != 1 {
		t.Errorf("%d log lines for %d refusals, want 1 (the rest counted, not written)", n, 11)
	}
}

// TestConsoleCookiesBehindProxy: the console's cookies are Secure and
// __Host- when the browser's connection was TLS, as the trusted proxy
// says; a forged X-Forwarded-Proto from anyone else changes nothing.
func TestConsoleCookiesBehindProxy(t *testing.T) {
	srv := startBehindProxy(t)
	proxyURL, proxyTLS := reverseProxy(t, srv, true)
	for _, tc := range []struct {
		name   string
		url    string
		client *http.Client
		secure bool
	}{
		{"through the TLS proxy", proxyURL, clientFrom(t, officeIP, proxyTLS, nil), true},
		{"forged proto from an untrusted peer", srv.URL, clientFrom(t, outsiderIP, nil, map[string]string{"X-Forwarded-For": officeIP, "X-Forwarded-Proto": "https"}), false},
		{"plain HTTP from the trusted proxy's address", srv.URL, clientFrom(t, proxyIP, nil, map[string]string{"X-Forwarded-For": officeIP, "X-Forwarded-Proto": "http"}), false},
	} {
		resp, err := tc.client.Get(tc.url + "/console/signin")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		cookies := resp.Cookies()
		if len(cookies) == 0 {
			t.Fatalf("%s: no cookie", tc.name)
		}
		for _, c := range cookies {
			if got := strings.HasPrefix(c.Name, "__Host-") && c.Secure && c.Path == "/"; got != tc.secure {
				t.Errorf("%s: cookie %s Secure %v Path %s; want __Host- and Secure: %v", tc.name, c.Name, c.Secure, c.Path, tc.secure)
			}
		}
	}
}
