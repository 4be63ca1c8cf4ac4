package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
)

// sameAsJSON fails t unless audit's encoding of e is json.Marshal's, byte
// for byte, or both fail.
func sameAsJSON(t testing.TB, e *audit.Event) {
	t.Helper()
	want, werr := json.Marshal(e)
	got, gerr := audit.EncodeEvent(e)
	switch {
	case werr != nil && gerr == nil:
		t.Fatalf("json.Marshal fails (%v), the encoder gives %s", werr, got)
	case werr != nil:
		return // Log then fails with json.Marshal's error
	case gerr != nil:
		t.Fatalf("the encoder fails (%v), json.Marshal gives %s", gerr, want)
	case !bytes.Equal(got, want):
		t.Fatalf("encoder and json.Marshal differ:\n got %s\nwant %s", got, want)
	}
}

// capture is a sink that keeps the lines it is given.
type capture struct {
	mu    sync.Mutex
	lines [][]byte
	evs   []*audit.Event
}

func (c *capture) Name() string { return "capture" }
func (c *capture) Write(_ context.Context, e *audit.Event, line []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, line)
	c.evs = append(c.evs, e)
	return nil
}
func (c *capture) Close() error { return nil }

type upper string

func (u upper) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.ToUpper(string(u)))
}

type spaced struct{}

// MarshalJSON gives JSON with space and HTML characters, which
// encoding/json compacts and escapes.
func (spaced) MarshalJSON() ([]byte, error) { return []byte(`{ "a" : "<b>" , "c": [1, 2] }`), nil }

type named string

// corpus is events as the server makes them: through CallEvent, Identity
// and Record, with each kind of caller, errors, resources, nested
// parameters and service events, and strings that need escaping.
func corpus(t testing.TB) []*audit.Event {
	at := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	root := sealbox.Principal{Type: "Root", ARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012", PrincipalID: "123456789012", AccessKeyID: "AKIAIOSFODNN7EXAMPLE"}
	user := sealbox.Principal{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012", PrincipalID: "AIDAEXAMPLE", AccessKeyID: "AKIAEXAMPLE2", UserName: "alice"}
	role := sealbox.Principal{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci", AccountID: "123456789012",
		PrincipalID: "AROAEXAMPLE:ci", AccessKeyID: "ASIAEXAMPLE", RoleARN: "arn:aws:iam::123456789012:role/path/deploy", SessionName: "ci", Temporary: true}
	fed := sealbox.Principal{Type: "FederatedUser", ARN: "arn:aws:sts::123456789012:federated-user/bob", AccountID: "123456789012", PrincipalID: "123456789012:bob", AccessKeyID: "ASIAFED", Temporary: true}
	req := func(p sealbox.Principal) *sealbox.Request {
		return &sealbox.Request{ID: "5e2f5c1c-8a3a-4b39-9a0b-0f9f3a4c1b2d", Time: at, Region: "us-east-1", AccountID: "123456789012",
			Principal: p, SourceIP: "203.0.113.7", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux <script>&"}
	}
	var evs []*audit.Event

	// Decrypt as the router records it: the encryption context, the key
	// id and algorithm the service added.
	r := req(root)
	r.Resources = []sealbox.Resource{{AccountID: "123456789012", Type: "AWS::KMS::Key", ARN: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}
	e := audit.CallEvent(r, "kms.amazonaws.com", "Decrypt", true)
	e.RequestParameters = map[string]any{"encryptionContext": map[string]any{"app": "billing", "Department": "10<20&30>5"},
		"keyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
	evs = append(evs, e)

	// An assumed role's call through Secrets Manager, denied.
	r = req(role)
	r.ViaService = "secretsmanager.us-east-1.amazonaws.com"
	e = audit.CallEvent(r, "kms.amazonaws.com", "GenerateDataKey", true)
	e.ErrorCode, e.ErrorMessage = audit.ErrorCode("AccessDeniedException"), `User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: kms:GenerateDataKey on resource: "key/1" because no identity-based policy allows it`
	e.RequestParameters = map[string]any{"keySpec": "AES_256", "encryptionContext": map[string]string{"SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "SecretVersionId": "v1"}}
	evs = append(evs, e)

	// A federated user (temporary, no role): a session context without
	// an issuer. A write with response elements.
	e = audit.CallEvent(req(fed), "ssm.amazonaws.com", "PutParameter", false)
	e.RequestParameters = map[string]any{"name": "/app/db/url", "type": "SecureString", "overwrite": true, "tier": "Standard",
		"tags": []any{map[string]any{"key": "team", "value": "db"}, map[string]any{"key": "é", "value": "\u2028\u2029"}}, "policies": nil}
	e.ResponseElements = map[string]any{"version": json.Number("3"), "tier": "Standard"}
	evs = append(evs, e)

	// An IAM user's query-protocol call, with numbers of every kind.
	e = audit.CallEvent(req(user), "iam.amazonaws.com", "ListUsers", true)
	e.RequestParameters = map[string]any{"maxItems": json.Number("100"), "f": json.Number("-1.5e-10"), "zero": json.Number(""),
		"floats": []any{0.0, 1.0, -2.5, 1e21, 1e20, 1e-6, 1e-7, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64, float32(1e-7), float32(3.4e38), float32(0.1)},
		"ints":   []any{0, -1, int8(-128), int16(300), int32(-70000), int64(math.MinInt64), uint(7), uint8(255), uint16(65535), uint32(1 << 31), uint64(math.MaxUint64)},
		"empty":  map[string]any{}, "emptyList": []any{}, "nilMap": map[string]any(nil), "nilList": []any(nil), "strings": []string{"a", "<b>"}, "nilStrings": []string(nil)}
	e.ResponseElements = []any{nil, true, false, "x"}
	evs = append(evs, e)

	// Values of types the encoder hands to encoding/json.
	e = audit.CallEvent(req(user), "lambda.amazonaws.com", "Invoke", false)
	e.RequestParameters = map[string]any{"t": at, "p": &sealbox.Resource{ARN: "a&b"}, "b": []byte("\x00\xffbytes"), "n": named("<named>"),
		"raw": json.RawMessage(`{"z": 1, "a" : "<"}`), "m": upper("shout"), "sp": spaced{}, "ints": map[string]int{"b": 2, "a": 1},
		"nested": map[string]any{"res": sealbox.Resource{AccountID: "1", Type: "T", ARN: "arn"}, "list": []map[string]any{{"k": 1.5}}}}
	e.ResponseElements = map[string]string{"only": "strings"}
	evs = append(evs, e)

	// Strings that need escaping everywhere, keys included; invalid UTF-8.
	weird := "q\"b\\s/ \b\f\n\r\t\x00\x01\x1f\x7f <>& é 世界 😀 \u2028 \u2029 \xff\xfe bad\xe2\x82 end\xed\xa0\x80"
	e = audit.CallEvent(req(user), weird, weird, false)
	e.UserAgent, e.SourceIPAddress, e.ErrorCode, e.ErrorMessage = weird, weird, weird, weird
	e.RequestParameters = map[string]any{weird: weird, "": "", "\xff": "x", "a\u2028": []any{weird}}
	e.AdditionalData = map[string]any{weird: map[string]string{weird: weird}}
	e.Resources = append(e.Resources, audit.ResourceRef{AccountID: weird, Type: weird, ARN: weird})
	e.UserIdentity.InvokedBy = weird
	evs = append(evs, e)

	// Service events, as the server's notifiers make them.
	evs = append(evs, &audit.Event{EventVersion: "1.08", UserIdentity: audit.UserIdentity{Type: "AWSService", AccountID: "123456789012", InvokedBy: "AWS Internal"},
		EventTime: at, EventSource: "kms.amazonaws.com", EventName: "RotateKey", AWSRegion: "us-east-1", SourceIPAddress: "AWS Internal", UserAgent: "AWS Internal",
		RequestID: "r", EventID: "e", Resources: []audit.ResourceRef{{AccountID: "123456789012", Type: "AWS::KMS::Key", ARN: "arn:aws:kms:us-east-1:123456789012:key/k"}},
		EventType: "AwsServiceEvent", ManagementEvent: true, RecipientAccountID: "123456789012", EventCategory: "Management",
		ServiceEventDetails: map[string]any{"keyId": "k", "keyMaterialId": "m"}})
	evs = append(evs, &audit.Event{EventVersion: "1.08", UserIdentity: audit.UserIdentity{Type: "AWSService", InvokedBy: "secretsmanager.amazonaws.com"},
		EventTime: at.In(time.FixedZone("x", -7*3600-30*60)), EventSource: "secretsmanager.amazonaws.com", EventName: "RotationStep",
		EventType: "AwsServiceEvent", ErrorCode: "RotationFailed", ErrorMessage: "the lambda said <no>",
		AdditionalData: map[string]any{"name": "db", "attempt": 3, "step": "testSecret", "outcome": "Failed", "firstLine": uint64(1), "lastLine": uint64(99)}})

	// Records logged beside a call (BatchGetSecretValue's GetSecretValue).
	c := &capture{}
	l := audit.NewLogger(nil, c)
	r = req(role)
	ctx := sealbox.NewContext(context.Background(), r)
	for _, rec := range []*sealbox.Record{
		{EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue", ReadOnly: true, RequestParameters: map[string]any{"secretId": "db"},
			Resources: []sealbox.Resource{{AccountID: "123456789012", Type: "AWS::SecretsManager::Secret", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}}},
		{EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue", ReadOnly: true, ErrorCode: "ResourceNotFoundException",
			ErrorMessage: "Secrets Manager can't find the specified secret.", AdditionalData: map[string]any{"functionName": "f", "functionVersion": "$LATEST"}},
	} {
		if err := l.Record(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	evs = append(evs, c.evs...)

	// A clock reading with its monotonic part, and the zero event.
	evs = append(evs, &audit.Event{EventTime: time.Now()}, &audit.Event{})
	return evs
}

// Every event of the corpus encodes exactly as json.Marshal encodes it,
// and Log hands the sinks exactly that line.
func TestEncodeEventMatchesJSON(t *testing.T) {
	evs := corpus(t)
	for _, e := range evs {
		sameAsJSON(t, e)
	}
	c := &capture{}
	l := audit.NewLogger(nil, c)
	for _, e := range evs {
		if err := l.Log(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range evs {
		want, _ := json.Marshal(e)
		if !bytes.Equal(c.lines[i], append(want, '\n')) {
			t.Fatalf("Log's line %d:\n got %s\nwant %s\n", i, c.lines[i], want)
		}
	}
	// Each line is the sink's own: a later event does not write over it.
	if bytes.Equal(c.lines[0], c.lines[1]) || &c.lines[0][0] == &c.lines[1][0] {
		t.Fatal("lines share a buffer")
	}
}

// What json.Marshal refuses, Log refuses: the event is not written.
func TestEncodeEventFailsAsJSON(t *testing.T) {
	loop := map[string]any{}
	loop["self"] = loop
	deep := map[string]any{}
	for range 500 {
		deep = map[string]any{"d": deep, "l": []any{1, map[string]any{"x": 1}}}
		deep = map[string]any{"in": []any{deep}}
	}
	for name, mod := range map[string]func(e *audit.Event){
		"NaN":            func(e *audit.Event) { e.RequestParameters = map[string]any{"x": math.NaN()} },
		"Inf":            func(e *audit.Event) { e.ResponseElements = []any{math.Inf(-1)} },
		"float32 Inf":    func(e *audit.Event) { e.AdditionalData = map[string]any{"x": float32(math.Inf(1))} },
		"bad number":     func(e *audit.Event) { e.RequestParameters = map[string]any{"x": json.Number("01")} },
		"bad number 2":   func(e *audit.Event) { e.RequestParameters = json.Number("1e") },
		"year 10000":     func(e *audit.Event) { e.EventTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"year -1":        func(e *audit.Event) { e.EventTime = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) },
		"zone 24h":       func(e *audit.Event) { e.EventTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)) },
		"zone -24h":      func(e *audit.Event) { e.EventTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -24*3600-60)) },
		"cycle":          func(e *audit.Event) { e.RequestParameters = loop },
		"channel":        func(e *audit.Event) { e.ServiceEventDetails = map[string]any{"c": make(chan int)} },
		"func":           func(e *audit.Event) { e.ResponseElements = func() {} },
		"complex":        func(e *audit.Event) { e.ResponseElements = []any{complex(1, 2)} },
		"deep, no cycle": func(e *audit.Event) { e.RequestParameters = deep },
		"zone 23:59":     func(e *audit.Event) { e.EventTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600-60)) },
		"year 0":         func(e *audit.Event) { e.EventTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		t.Run(name, func(t *testing.T) {
			e := decryptEvent()
			mod(e)
			sameAsJSON(t, e)
			_, jerr := json.Marshal(e)
			err := audit.NewLogger(nil, &capture{}).Log(context.Background(), e)
			if (err == nil) != (jerr == nil) {
				t.Fatalf("Log = %v, json.Marshal's error %v", err, jerr)
			}
			if jerr != nil && !strings.Contains(err.Error(), jerr.Error()) {
				t.Fatalf("Log = %v, want json.Marshal's error %v", err, jerr)
			}
		})
	}
}

// fill sets every field of v, recursively, to a value that is not its
// zero value, so that a field added to Event (or to the types it holds)
// that the encoder does not write shows here.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n)
		fill(s.Index(1), n)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k, x := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(x, n)
			m.SetMapIndex(k, x)
		}
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"k": []any{"v", json.Number("1")}}))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 10, 0, 0, *n, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

// Every field of Event, set, is encoded as json.Marshal encodes it.
func TestEncodeEventKnowsEveryField(t *testing.T) {
	var e audit.Event
	n := 0
	fill(reflect.ValueOf(&e).Elem(), &n)
	sameAsJSON(t, &e)
	var m map[string]any
	b, _ := json.Marshal(&e)
	json.Unmarshal(b, &m)
	if len(m) != reflect.TypeFor[audit.Event]().NumField() {
		t.Fatalf("%d members for %d fields: a field left empty", len(m), reflect.TypeFor[audit.Event]().NumField())
	}
}

// gen builds generic values from fuzz input.
type gen struct {
	data []byte
	strs []string
}

func (g *gen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

// str takes a string of the input's bytes, as they are (invalid UTF-8
// included), or one of the fuzzer's strings.
func (g *gen) str() string {
	n := int(g.byte())
	if n >= 0xf0 && len(g.strs) > 0 {
		return g.strs[n%len(g.strs)]
	}
	n %= 24
	n = min(n, len(g.data))
	s := string(g.data[:n])
	g.data = g.data[n:]
	return s
}

func (g *gen) u64() uint64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(g.byte())
	}
	return v
}

func (g *gen) value(depth int) any {
	k := g.byte()
	if depth > 6 {
		k %= 8
	}
	switch k % 22 {
	case 0:
		return nil
	case 1, 2:
		return g.str()
	case 3:
		return g.byte()&1 == 1
	case 4:
		return math.Float64frombits(g.u64())
	case 5:
		return float64(int64(g.u64())) / float64(1+g.byte())
	case 6:
		return json.Number(g.str())
	case 7:
		return int64(g.u64())
	case 8:
		return float32(math.Float32frombits(uint32(g.u64())))
	case 9:
		return g.u64()
	case 10:
		return int(int8(g.byte()))
	case 11, 12, 13:
		return g.object(depth)
	case 14, 15:
		n := int(g.byte() % 5)
		l := make([]any, n)
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		if n == 0 && g.byte()&1 == 1 {
			return []any(nil)
		}
		return l
	case 16:
		m := map[string]string{}
		for range g.byte() % 4 {
			m[g.str()] = g.str()
		}
		return m
	case 17:
		return []string{g.str(), g.str()}
	case 18:
		return []byte(g.str()) // encoding/json's: base64
	case 20:
		str := g.str()
		return &str // a record's string parameter, boxed by pointer
	case 21: // a record's parameter list (sealbox.Params): each name once
		var p sealbox.Params
		seen := map[string]bool{}
		for range g.byte() % 6 {
			if name := g.str(); !seen[name] {
				seen[name] = true
				p = append(p, sealbox.AuditParameter{Name: name, Value: g.value(depth + 1)})
			}
		}
		if p == nil && g.byte()&1 == 1 {
			return (*sealbox.Params)(nil)
		}
		return &p
	default:
		return map[string]any(nil)
	}
}

func (g *gen) object(depth int) map[string]any {
	m := map[string]any{}
	for range g.byte() % 6 {
		m[g.str()] = g.value(depth + 1)
	}
	return m
}

// FuzzEncodeEventMatchesJSON: for any event, of arbitrary strings and
// nested generic values, the encoder writes json.Marshal's bytes (or both
// fail).
func FuzzEncodeEventMatchesJSON(f *testing.F) {
	for _, e := range corpus(f) {
		b, _ := json.Marshal(e)
		f.Add(b, e.EventName, e.ErrorMessage, e.EventTime.UnixNano(), int16(0))
	}
	f.Add([]byte("\x0b\x05\x03abc\x0e\x03\x01\x04\xff\xff\xff\xff\xff\xff\xff\xff"), "<\u2028>", "\xff&", int64(-1), int16(90))
	f.Add([]byte{11, 4, 14, 3, 6, 3, '0', '1', 'e'}, "", "", int64(1<<62), int16(-1439))
	f.Fuzz(func(t *testing.T, data []byte, s1, s2 string, ns int64, zone int16) {
		g := &gen{data: data, strs: []string{s1, s2}}
		p := sealbox.Principal{Type: g.str(), ARN: g.str(), AccountID: s1, PrincipalID: g.str() + ":" + g.str(), AccessKeyID: s2, UserName: g.str(),
			RoleARN: g.str(), Temporary: g.byte()&1 == 1}
		r := &sealbox.Request{ID: s1, Time: time.Unix(0, ns).In(time.FixedZone(s2, int(zone)*60)), Region: g.str(), AccountID: g.str(),
			Principal: p, SourceIP: g.str(), UserAgent: s2, ViaService: g.str()}
		for range g.byte() % 3 {
			r.Resources = append(r.Resources, sealbox.Resource{AccountID: g.str(), Type: g.str(), ARN: g.str()})
		}
		e := audit.CallEvent(r, s1, s2, g.byte()&1 == 1)
		e.ErrorCode, e.ErrorMessage = g.str(), g.str()
		e.RequestParameters = g.value(0)
		e.ResponseElements = g.value(0)
		if g.byte()&1 == 1 {
			e.AdditionalData = g.object(0)
		}
		if g.byte()&1 == 1 {
			e.ServiceEventDetails = g.object(0)
		}
		e.EventType, e.EventCategory, e.RecipientAccountID, e.EventVersion = g.str(), g.str(), g.str(), g.str()
		sameAsJSON(t, e)
	})
}

// LogAll encodes a group's events into one buffer: each line is still
// json.Marshal's, newline included (times at the edges the encoder takes
// among them); each line is its own (appending to one does not write into
// the next); and an event json.Marshal refuses fails the group, with
// nothing written.
func TestLogAllMatchesJSON(t *testing.T) {
	evs := corpus(t)
	for _, mod := range []func(e *audit.Event){
		func(e *audit.Event) { e.EventTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600-60)) },
		func(e *audit.Event) { e.EventTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		e := decryptEvent()
		mod(e)
		evs = append(evs[:2:2], append([]*audit.Event{e}, evs[2:]...)...)
	}
	c := &capture{}
	if err := audit.NewLogger(nil, c).LogAll(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if len(c.lines) != len(evs) {
		t.Fatalf("%d lines written, want %d", len(c.lines), len(evs))
	}
	for i, e := range evs {
		want, _ := json.Marshal(e)
		if !bytes.Equal(c.lines[i], append(want, '\n')) {
			t.Fatalf("LogAll's line %d:\n got %s\nwant %s\n", i, c.lines[i], want)
		}
	}
	next := bytes.Clone(c.lines[1])
	_ = append(c.lines[0], "overwritten"...)
	if !bytes.Equal(c.lines[1], next) {
		t.Fatal("appending to a line wrote into the next")
	}

	bad := decryptEvent()
	bad.RequestParameters = map[string]any{"x": math.NaN()}
	c = &capture{}
	if err := audit.NewLogger(nil, c).LogAll(context.Background(), []*audit.Event{decryptEvent(), bad}); err == nil || len(c.lines) != 0 {
		t.Fatalf("LogAll with an event json.Marshal refuses = %v, %d lines written", err, len(c.lines))
	}
}
