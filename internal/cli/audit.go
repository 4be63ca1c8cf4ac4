package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/server"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

const auditUsage = `Usage: sealbox audit <command> [flags]

Commands:
  tail     print the audit trail, a readable line per event, oldest first;
           -f follows new events as they are written
  verify   check the trail against its signed digests and report each event
           removed, altered, inserted or reordered, by file and line (or
           store sequence number), and every event no digest covers
  public-key
           print the audit key's public key (PEM, with its fingerprint) from
           the store, where whoever can edit the data folder cannot replace
           it: keep the copy away from the data folder and verify with it

Where they read:
  tail     the JSON-lines files of a data folder (--data), offline, with no
           server and no credentials; or, with --endpoint, a running server
           through CloudTrail's LookupEvents (cloudtrail:LookupEvents, the
           region's events, as the AWS tools find credentials and region).
  verify   offline only: the files and digests of a data folder (or of a copy
           of its audit folder, --audit-dir) with the exported public key; with
           --store, also the store itself, which needs the root key and the
           server stopped (the store's file is locked while it runs).

Run 'sealbox audit <command> -h' for a command's flags.

Examples:
  sealbox audit tail -f --action kms:Decrypt
  sealbox audit tail --since 24h --principal arn:aws:iam::123456789012:role/orders
  sealbox audit tail --endpoint http://127.0.0.1:8777 --resource alias/app
  sealbox audit verify --data sealbox-data --from 2026-11-01
  sealbox audit verify --data sealbox-data --store
  sealbox audit verify --data node-a-data --store postgres://sealbox@db/sealbox --root-key-file root.key
  sealbox audit public-key --data sealbox-data > ~/sealbox-audit.pem
  sealbox audit verify --data sealbox-data --public-key ~/sealbox-audit.pem
`

func runAudit(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, auditUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "tail":
		return runAuditTail(ctx, args[1:], env)
	case "verify":
		return runAuditVerify(ctx, args[1:], env)
	case "public-key":
		return runAuditPublicKey(ctx, args[1:], env)
	}
	fmt.Fprintf(env.Stderr, "sealbox audit: unknown command %q\n\n%s", args[0], auditUsage)
	return errUsage
}

// dataDir is the data folder a command reads: the flag, $SEALBOX_DATA, or
// the server's default.
func dataDir(flagValue string, env Env) string {
	if flagValue != "" {
		return flagValue
	}
	if v := env.Getenv("SEALBOX_DATA"); v != "" {
		return v
	}
	return "sealbox-data"
}

// parseWhen reads a time bound: RFC 3339, a date (UTC midnight), or a
// duration back from now ("24h", "7d").
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		s = n + "h"
		if d, err := time.ParseDuration(s); err == nil {
			return now.Add(-24 * d), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a time (RFC 3339 or YYYY-MM-DD) nor a duration back from now (24h, 7d)", s)
}

// --- tail ------------------------------------------------------------------

const tailUsage = `Usage: sealbox audit tail [flags]

Prints the audit trail, one line per event, oldest first: the time, the
outcome (ok or the error code), the action (service:Operation), the caller
(and the service that called on its behalf), the resources and the source
address. Without --since it prints the last --limit events; -f then follows
new ones until interrupted.

It reads the data folder's files (offline) unless --endpoint names a server,
which it then asks with LookupEvents.

Filters (all must match):
  --principal  the caller's ARN, its role's ARN (for an assumed role's
               sessions), a user or session name, or an access key id
  --resource   a resource's ARN or name (a key id, alias/x, /param/path, …)
  --action     kms:Decrypt, Decrypt, kms:*, ssm:Get* (eventSource prefix and
               eventName; * matches any run of characters)

Flags:
`

type tailOptions struct {
	data                        string
	follow, json                bool
	since, until                string
	principal, resource, action string
	limit                       int
	interval                    time.Duration
	aws                         *awsOptions
}

func runAuditTail(ctx context.Context, args []string, env Env) error {
	var o tailOptions
	fs := flag.NewFlagSet("sealbox audit tail", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, tailUsage); fs.PrintDefaults() }
	fs.StringVar(&o.data, "data", "", "the data `folder` whose files to read (default $SEALBOX_DATA, else sealbox-data)")
	fs.BoolVar(&o.follow, "f", false, "follow: keep printing new events until interrupted")
	fs.BoolVar(&o.follow, "follow", false, "same as -f")
	fs.BoolVar(&o.json, "json", false, "print each event's CloudTrail record (JSON) instead of a line")
	fs.StringVar(&o.since, "since", "", "only events at or after this `time` (RFC 3339, YYYY-MM-DD, or 24h/7d back)")
	fs.StringVar(&o.until, "until", "", "only events at or before this `time`")
	fs.StringVar(&o.principal, "principal", "", "only events of this `caller`")
	fs.StringVar(&o.resource, "resource", "", "only events on this `resource`")
	fs.StringVar(&o.action, "action", "", "only events of this `action`")
	fs.IntVar(&o.limit, "limit", 20, "print at most the last `n` events before following (0: all; with --since, all)")
	fs.DurationVar(&o.interval, "interval", 0, "how often -f looks for new events (default 500ms for files, 2s for a server)")
	o.aws = addAWSFlags(fs, false)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	now := env.clock().Now()
	f := &auditFilter{principal: o.principal, resource: o.resource, action: o.action}
	var err error
	if f.since, err = parseWhen(o.since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if f.until, err = parseWhen(o.until, now); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	if o.since != "" && !set["limit"] {
		o.limit = 0
	}
	print := func(r *auditRecord) {
		if o.json {
			fmt.Fprintln(env.Stdout, string(r.raw))
		} else {
			fmt.Fprintln(env.Stdout, r.line())
		}
	}
	if o.aws.endpoint != "" {
		if o.interval == 0 {
			o.interval = 2 * time.Second
		}
		return tailServer(ctx, env, &o, f, print)
	}
	if o.interval == 0 {
		o.interval = 500 * time.Millisecond
	}
	return tailFiles(ctx, env.clock(), filepath.Join(dataDir(o.data, env), "audit"), &o, f, print)
}

// auditRecord is what tail reads of an event record.
type auditRecord struct {
	EventTime       time.Time `json:"eventTime"`
	EventSource     string    `json:"eventSource"`
	EventName       string    `json:"eventName"`
	EventID         string    `json:"eventID"`
	ErrorCode       string    `json:"errorCode"`
	SourceIPAddress string    `json:"sourceIPAddress"`
	UserIdentity    struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		UserName       string `json:"userName"`
		PrincipalID    string `json:"principalId"`
		AccessKeyID    string `json:"accessKeyId"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	Resources []struct {
		ARN string `json:"ARN"`
	} `json:"resources"`
	raw []byte
}

func parseRecord(b []byte) (*auditRecord, bool) {
	var r auditRecord
	if json.Unmarshal(b, &r) != nil || r.EventName == "" {
		return nil, false
	}
	r.raw = bytes.Clone(b)
	return &r, true
}

// action is the record's IAM-style action: "kms:Decrypt".
func (r *auditRecord) action() string {
	svc, _, _ := strings.Cut(r.EventSource, ".")
	return svc + ":" + r.EventName
}

func (r *auditRecord) line() string {
	outcome := "ok"
	if r.ErrorCode != "" {
		outcome = r.ErrorCode
	}
	u := &r.UserIdentity
	who := u.ARN
	switch {
	case u.Type == "AWSService":
		who = u.InvokedBy
	case u.InvokedBy != "":
		who += " via " + u.InvokedBy
	}
	if who == "" {
		who = "-"
	}
	res := "-"
	if len(r.Resources) > 0 {
		arns := make([]string, len(r.Resources))
		for i, x := range r.Resources {
			arns[i] = x.ARN
		}
		res = strings.Join(arns, ",")
	}
	return fmt.Sprintf("%s  %-14s  %-40s  %s  %s  from %s", r.EventTime.UTC().Format(time.RFC3339), outcome, r.action(), who, res, r.SourceIPAddress)
}

// auditFilter is tail's filters.
type auditFilter struct {
	principal, resource, action string
	since, until                time.Time
}

func (f *auditFilter) match(r *auditRecord) bool {
	if !f.since.IsZero() && r.EventTime.Before(f.since) || !f.until.IsZero() && r.EventTime.After(f.until) {
		return false
	}
	if p := f.principal; p != "" {
		u := &r.UserIdentity
		session := u.ARN[strings.LastIndexByte(u.ARN, '/')+1:]
		ok := p == u.ARN || p == u.UserName || p == u.AccessKeyID || p == u.PrincipalID || (u.Type == "AssumedRole" && p == session) ||
			(u.SessionContext != nil && u.SessionContext.SessionIssuer != nil && p == u.SessionContext.SessionIssuer.ARN)
		if !ok {
			return false
		}
	}
	if f.resource != "" {
		ok := false
		for _, x := range r.Resources {
			ok = ok || x.ARN == f.resource || audit.ResourceName(x.ARN) == f.resource
		}
		if !ok {
			return false
		}
	}
	if a := f.action; a != "" {
		got := r.action()
		if !strings.Contains(a, ":") {
			got = r.EventName
		}
		if ok, _ := path.Match(strings.ToLower(a), strings.ToLower(got)); !ok {
			return false
		}
	}
	return true
}

// tailFiles prints from the day files in dir, then follows them.
func tailFiles(ctx context.Context, clk clock.Clock, dir string, o *tailOptions, f *auditFilter, print func(*auditRecord)) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no audit folder at %s (is --data the server's data folder?): %w", dir, err)
	}
	t := &fileTail{dir: dir, offsets: map[string]int64{}}
	var last []*auditRecord
	err := t.poll(f, func(r *auditRecord) {
		last = append(last, r)
		if o.limit > 0 && len(last) > o.limit {
			last = last[1:]
		}
	})
	if err != nil {
		return err
	}
	for _, r := range last {
		print(r)
	}
	if !o.follow {
		return nil
	}
	return every(ctx, clk, o.interval, func() error { return t.poll(f, print) })
}

// every calls fn each interval of clk until ctx is done (then nil) or fn
// fails.
func every(ctx context.Context, clk clock.Clock, interval time.Duration, fn func() error) error {
	tick := clk.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		}
		if err := fn(); err != nil {
			return err
		}
	}
}

// fileTail reads what was appended to the day files since it last looked.
type fileTail struct {
	dir     string
	offsets map[string]int64 // bytes read, whole lines only
	first   string           // the oldest file still of interest
}

func (t *fileTail) poll(f *auditFilter, fn func(*auditRecord)) error {
	names, err := filepath.Glob(filepath.Join(t.dir, "????-??-??.jsonl"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, p := range names {
		name := filepath.Base(p)
		day, err := time.Parse("2006-01-02", strings.TrimSuffix(name, ".jsonl"))
		if err != nil || name < t.first || (!f.since.IsZero() && day.Add(24*time.Hour).Before(f.since)) || (!f.until.IsZero() && day.After(f.until)) {
			continue
		}
		if err := t.read(p, f, fn); err != nil {
			return err
		}
		// Events are filed by their own day: a late one may still land in
		// yesterday's file, but not in older ones.
		if prev := day.Add(-24 * time.Hour).Format("2006-01-02"); prev+".jsonl" > t.first {
			t.first = prev + ".jsonl"
		}
	}
	return nil
}

func (t *fileTail) read(p string, f *auditFilter, fn func(*auditRecord)) error {
	file, err := os.Open(p)
	if err != nil {
		return err
	}
	defer file.Close()
	off := t.offsets[filepath.Base(p)]
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	end := bytes.LastIndexByte(data, '\n') + 1 // a line still being written waits
	for _, line := range bytes.Split(data[:end], []byte{'\n'}) {
		if r, ok := parseRecord(line); ok && f.match(r) {
			fn(r)
		}
	}
	t.offsets[filepath.Base(p)] = off + int64(end)
	return nil
}

// tailServer prints from LookupEvents, then follows by asking again.
func tailServer(ctx context.Context, env Env, o *tailOptions, f *auditFilter, print func(*auditRecord)) error {
	cfg, err := o.aws.load(ctx, env)
	if err != nil {
		return err
	}
	c := cloudtrail.NewFromConfig(cfg, func(co *cloudtrail.Options) { co.BaseEndpoint = aws.String(o.aws.endpointFor("CLOUDTRAIL", env)) })
	attrs := serverAttributes(f)
	var newest []*auditRecord // newest first
	err = lookupEvents(ctx, c, attrs, f.since, f.until, func(r *auditRecord) bool {
		if f.match(r) {
			newest = append(newest, r)
		}
		return o.limit == 0 || len(newest) < o.limit
	})
	if err != nil {
		return err
	}
	seen := map[string]time.Time{}
	var from time.Time
	for i := len(newest) - 1; i >= 0; i-- {
		print(newest[i])
	}
	for _, r := range newest {
		seen[r.EventID] = r.EventTime
		if r.EventTime.After(from) {
			from = r.EventTime
		}
	}
	if !o.follow {
		return nil
	}
	if from.IsZero() {
		from = env.clock().Now().Add(-time.Minute)
	}
	return every(ctx, env.clock(), o.interval, func() error {
		var fresh []*auditRecord
		err := lookupEvents(ctx, c, attrs, from.Truncate(time.Second), f.until, func(r *auditRecord) bool {
			if _, dup := seen[r.EventID]; !dup && f.match(r) {
				fresh = append(fresh, r)
			}
			return true
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for i := len(fresh) - 1; i >= 0; i-- {
			print(fresh[i])
			seen[fresh[i].EventID] = fresh[i].EventTime
			if fresh[i].EventTime.After(from) {
				from = fresh[i].EventTime
			}
		}
		for id, at := range seen {
			if at.Before(from.Add(-time.Minute)) {
				delete(seen, id)
			}
		}
		return nil
	})
}

// serverAttributes picks the one lookup attribute the server filters by;
// the client applies every filter anyway.
func serverAttributes(f *auditFilter) []cttypes.LookupAttribute {
	attr := func(k cttypes.LookupAttributeKey, v string) []cttypes.LookupAttribute {
		return []cttypes.LookupAttribute{{AttributeKey: k, AttributeValue: aws.String(v)}}
	}
	switch {
	case f.action != "" && !strings.ContainsAny(f.action, "*?["):
		_, name, found := strings.Cut(f.action, ":")
		if !found {
			name = f.action
		}
		return attr(cttypes.LookupAttributeKeyEventName, name)
	case f.resource != "":
		return attr(cttypes.LookupAttributeKeyResourceName, f.resource)
	case strings.HasPrefix(f.principal, "AKIA") || strings.HasPrefix(f.principal, "ASIA"):
		return attr(cttypes.LookupAttributeKeyAccessKeyId, f.principal)
	}
	return nil
}

// lookupEvents calls fn with the events of CloudTrail's LookupEvents
// between start and end (either zero: open), newest first, page after
// page, until fn returns false or the pages end.
func lookupEvents(ctx context.Context, c *cloudtrail.Client, attrs []cttypes.LookupAttribute, start, end time.Time, fn func(*auditRecord) bool) error {
	in := &cloudtrail.LookupEventsInput{LookupAttributes: attrs}
	if !start.IsZero() {
		in.StartTime = aws.Time(start)
	}
	if !end.IsZero() {
		in.EndTime = aws.Time(end)
	}
	for p := cloudtrail.NewLookupEventsPaginator(c, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) {
				return fmt.Errorf("LookupEvents: %s: %s", ae.ErrorCode(), ae.ErrorMessage())
			}
			return err
		}
		for _, e := range out.Events {
			r, ok := parseRecord([]byte(aws.ToString(e.CloudTrailEvent)))
			if !ok {
				continue
			}
			if !fn(r) {
				return nil
			}
		}
	}
	return nil
}

// --- verify ----------------------------------------------------------------

const verifyUsage = `Usage: sealbox audit verify [flags]

Checks the audit trail against the digests the server signed (an Ed25519
key kept sealed in the store) and prints each problem on a line of its own,
then a summary per trail:

  2026-11-23.jsonl line 12: altered: does not match the event signed at line 12
  2026-11-23.jsonl line 7: removed: the event signed at line 7 is not there
  2026-11-23.jsonl line 31: unsigned: lines 31 to 32 (...) are older than the digest interval plus its grace and no digest signs them
  2026-11-23.jsonl line 40: unverified: line 40 to line 40 are not vouched for (digest 9): ...
  store seq 40: inserted: no digest signs it

It proves completeness as well as consistency: the digests folder must be
there, the digests numbered without a gap, and every event older than
--digest-interval plus --grace covered by a digest. Younger events after a
trail's last digest are counted as not signed yet. Lines the server found at
start and could not vouch for (written while it was stopped, or left by a
crash with nothing to check them against) are "unverified"; a file deleted
or replaced while the server ran shows as lines "removed" from its earlier
segment. Exit status 1 if anything is wrong.

The files are checked offline, even while the server runs. --store also
checks the store, which needs the root key (the file provider's root.key,
or the server's SEALBOX_ROOT_KEY and its provider's variables, e.g.
$SEALBOX_PASSPHRASE, SEALBOX_PKCS11_*, SEALBOX_ROOT_KEY_KMS_*) and the server
stopped, and compares the files with the store event by event (each event
one side lacks, each line out of the store's order); it then checks the
files with the key the store holds, so that a public-key.pem someone
replaced cannot vouch for forged digests.

Several servers on PostgreSQL share one store trail, each with its own
files: --store postgres://... (or $SEALBOX_STORE; the password from the URL,
PGPASSWORD/PGPASSFILE or --store-password-file) with --root-key-file the
servers share checks the store trail while they run, and compares the
files of --data's server with the events that server wrote (by its
<data>/node-id). Run it once per server's data folder.

Without --store, pin the key:
--public-key with a copy kept away from the data folder (sealbox audit
public-key prints it), or --fingerprint as the server printed it; with
neither, verify warns that it uses the key file found beside the trail.

Flags:
`

func runAuditVerify(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("sealbox audit verify", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, verifyUsage); fs.PrintDefaults() }
	data := fs.String("data", "", "the data `folder` (default $SEALBOX_DATA, else sealbox-data)")
	auditDir := fs.String("audit-dir", "", "the audit `folder` to check, e.g. a copy (default <data>/audit)")
	publicKey := fs.String("public-key", "", "the public key `file` (PEM) to check digests with: a copy kept away from the data folder")
	fingerprint := fs.String("fingerprint", "", "the audit key's `fingerprint` (as the server printed it): check only with that key")
	withStore := &storeFlag{}
	fs.Var(withStore, "store", "also check the store, and compare the files with it event by event (needs the root key; the server stopped, on bbolt); --store=URL (or --store URL) checks a postgres:// store (default $SEALBOX_STORE, else bolt: the data folder's)")
	pwFile := fs.String("store-password-file", "", "`file` holding PostgreSQL's password, when neither the --store URL nor PGPASSWORD/PGPASSFILE gives it (default $SEALBOX_STORE_PASSWORD_FILE)")
	rootKeyFile := fs.String("root-key-file", "", "the file provider's root key (default $SEALBOX_ROOT_KEY_FILE, else <data>/root.key)")
	fromFlag := fs.String("from", "", "check from this `time` (RFC 3339, YYYY-MM-DD, or 7d back; files by day)")
	toFlag := fs.String("to", "", "check up to this `time`")
	interval := fs.Duration("digest-interval", time.Minute, "the server's --audit-digest-interval")
	grace := fs.Duration("grace", time.Minute, "how much longer than the interval an event may wait for its digest")
	if err := parseFlags(fs, joinStoreURL(args), env); err != nil {
		return err
	}
	now := time.Now()
	from, err := parseWhen(*fromFlag, now)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := parseWhen(*toFlag, now)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	o := audit.VerifyOptions{From: from, To: to, Now: now, MaxUnsigned: *interval + *grace}
	dd := dataDir(*data, env)
	dir := *auditDir
	if dir == "" {
		dir = filepath.Join(dd, "audit")
	}
	keyFile := *publicKey
	if keyFile == "" {
		keyFile = filepath.Join(dir, audit.PublicKeyFile)
	}
	keys, keyErr := audit.ReadPublicKeys(keyFile)
	problems := 0

	if withStore.set {
		rk := *rootKeyFile
		if rk == "" {
			rk = env.Getenv("SEALBOX_ROOT_KEY_FILE")
		}
		spec := withStore.url
		if spec == "" {
			spec = env.Getenv("SEALBOX_STORE")
		}
		pw := *pwFile
		if pw == "" {
			pw = env.Getenv("SEALBOX_STORE_PASSWORD_FILE")
		}
		st, closeStore, node, err := openStoreFor(ctx, spec, pw, dd, rk, env)
		if err != nil {
			return err
		}
		defer closeStore()
		// On PostgreSQL the files are this server's among several: compare
		// them with its own events (by its <data>/node-id).
		o := o
		o.Node = node
		storeKey, err := audit.StoredPublicKey(ctx, st)
		if err != nil {
			return err
		}
		if keyErr == nil && !containsKey(keys, storeKey) {
			fmt.Fprintf(env.Stdout, "%s: the store's audit key (%s) is not in it: someone replaced it\n", keyFile, audit.Fingerprint(storeKey))
			problems++
		}
		for _, k := range keys {
			if !k.Equal(storeKey) {
				fmt.Fprintf(env.Stdout, "%s: holds a key the server does not hold (%s)\n", keyFile, audit.Fingerprint(k))
				problems++
			}
		}
		// The files are checked with the key the server holds.
		keys, keyErr = []ed25519.PublicKey{storeKey}, nil
		rep, err := audit.VerifyStore(ctx, st, keys, o)
		if err != nil {
			return err
		}
		problems += printReport(env, "store", rep)
		if _, err := os.Stat(dir); err == nil {
			rep, err := audit.CompareFilesStore(ctx, dir, st, o)
			if err != nil {
				return err
			}
			problems += printReport(env, "files against the store", rep)
		}
	} else if keyErr == nil {
		switch {
		case *fingerprint != "":
			var pinned []ed25519.PublicKey
			for _, k := range keys {
				if audit.Fingerprint(k) == strings.ToLower(*fingerprint) {
					pinned = append(pinned, k)
				}
			}
			if len(pinned) == 0 {
				return fmt.Errorf("%s holds no key with fingerprint %s: it was replaced, or the fingerprint is not this server's", keyFile, *fingerprint)
			}
			keys = pinned
		case *publicKey == "":
			// Whoever can edit the trail can replace this key and sign
			// their own digests: say so where it cannot be missed.
			fmt.Fprintf(env.Stderr, "WARNING: checking with %s, the key file found beside the trail. Anyone who can edit the trail can replace it.\n"+
				"WARNING: pin the key: --public-key <a copy kept elsewhere>, --fingerprint <as the server printed it>, or --store.\n", keyFile)
			fmt.Fprintf(env.Stdout, "WARNING: the public key is not pinned (%s was found beside the trail)\n", keyFile)
		}
	}
	if keyErr != nil {
		return fmt.Errorf("no public key to check digests with: %w (pass --public-key)", keyErr)
	}
	if _, err := os.Stat(dir); err != nil {
		if !withStore.set {
			return fmt.Errorf("no audit folder at %s: %w", dir, err)
		}
	} else {
		rep, err := audit.VerifyFiles(dir, keys, o)
		if err != nil {
			return err
		}
		problems += printReport(env, "files", rep)
	}
	if problems > 0 {
		return fmt.Errorf("the audit trail does not verify: %d problem(s)", problems)
	}
	return nil
}

func containsKey(keys []ed25519.PublicKey, k ed25519.PublicKey) bool {
	for _, x := range keys {
		if x.Equal(k) {
			return true
		}
	}
	return false
}

// storeFlag is verify's --store: alone, check the store too (the one
// $SEALBOX_STORE names, else the data folder's); --store=URL names it.
type storeFlag struct {
	set bool
	url string
}

func (f *storeFlag) IsBoolFlag() bool { return true }

// String never shows the URL: it may hold a password.
func (f *storeFlag) String() string { return "" }

func (f *storeFlag) Set(v string) error {
	switch v {
	case "true":
		f.set = true
	case "false":
		f.set, f.url = false, ""
	default:
		if _, err := config.ParseStore(v); err != nil {
			return err
		}
		f.set, f.url = true, v
	}
	return nil
}

// joinStoreURL turns "--store URL" into "--store=URL": --store is also a
// flag alone, which the flag package would end at.
func joinStoreURL(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if (a == "--store" || a == "-store") && i+1 < len(args) {
			next := args[i+1]
			if strings.HasPrefix(next, "postgres://") || strings.HasPrefix(next, "postgresql://") || strings.HasPrefix(next, "bolt:") {
				out = append(out, a+"="+next)
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// openStoreFor opens the store spec names ("" is the data folder's bbolt
// file) through the barrier, for reading, and answers the node id of the
// data folder's server when the store is PostgreSQL's (shared: "" on
// bbolt). passwordFile holds PostgreSQL's password for a URL without one.
func openStoreFor(ctx context.Context, spec, passwordFile, dd, rootKeyFile string, env Env) (store.Store, func(), string, error) {
	sp, err := config.ParseStore(spec)
	if err != nil {
		return nil, nil, "", err
	}
	if sp.Kind != config.StorePostgres {
		if sp.Dir != "" {
			dd = sp.Dir
		}
		st, closeStore, err := openStoreOffline(ctx, dd, rootKeyFile, env)
		return st, closeStore, "", err
	}
	opts := pgstore.Options{}
	if passwordFile != "" {
		if opts.Password, err = server.ReadPasswordFile(passwordFile); err != nil {
			return nil, nil, "", err
		}
	}
	raw, err := pgstore.Open(ctx, sp.URL, opts)
	if err != nil {
		return nil, nil, "", fmt.Errorf("failed to open the store %s: %w", config.StoreURL(spec), err)
	}
	node := ""
	if b, err := os.ReadFile(filepath.Join(dd, server.NodeIDFileName)); err == nil {
		node = strings.TrimSpace(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		raw.Close()
		return nil, nil, "", err
	}
	st, closeStore, err := unseal(ctx, raw, config.StoreURL(spec).String(), dd, rootKeyFile, env)
	return st, closeStore, node, err
}

// openStoreOffline opens the data folder's store through the barrier, for
// reading (nothing is written to an initialized store). The server must be
// stopped: its store's file is locked while it runs.
func openStoreOffline(ctx context.Context, dd, rootKeyFile string, env Env) (store.Store, func(), error) {
	raw, err := boltstore.Open(filepath.Join(dd, boltstore.DefaultFileName), boltstore.Options{})
	if errors.Is(err, boltstore.ErrInUse) {
		return nil, nil, fmt.Errorf("the server is running on %s: stop it to check the store (the files can be checked while it runs): %w", dd, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return unseal(ctx, raw, dd, dd, rootKeyFile, env)
}

// unseal opens the barrier over raw (named where for errors) with the root
// key the server's settings in the environment name (SEALBOX_ROOT_KEY and
// the provider's variables; the file provider's key is rootKeyFile, by
// default <dd>/root.key), made as the server makes it. It closes raw on
// failure.
func unseal(ctx context.Context, raw store.Store, where, dd, rootKeyFile string, env Env) (store.Store, func(), error) {
	ok, err := barrier.Initialized(ctx, raw)
	if err == nil && !ok {
		err = fmt.Errorf("%s holds no sealbox store", where)
	}
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	cfg := config.Default()
	cfg.Bind(flag.NewFlagSet("environment", flag.ContinueOnError), env.Getenv)
	cfg.DataDir = dd
	if rootKeyFile != "" {
		cfg.RootKeyFile = rootKeyFile
	}
	p, err := server.RootKeyProvider(ctx, cfg, nil)
	if err != nil {
		raw.Close()
		return nil, nil, err
	}
	// The barrier keeps the barrier key, not the provider.
	defer server.CloseRootKey(p)
	b, err := barrier.Open(ctx, raw, p)
	if err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("failed to unseal the store: %w", err)
	}
	return b, func() { b.Close() }, nil
}

const publicKeyUsage = `Usage: sealbox audit public-key [flags]

Prints the public key of the key that signs the audit trail's digests, as
PEM with its fingerprint, read from the store (sealed there by the barrier:
it needs the root key, and on bbolt the server stopped; on PostgreSQL,
--store postgres://..., the servers may run). The copy in
<data>/audit/public-key.pem is a convenience: whoever can edit the trail
can replace it. Keep this output elsewhere and verify with --public-key.

Flags:
`

func runAuditPublicKey(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("sealbox audit public-key", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, publicKeyUsage); fs.PrintDefaults() }
	data := fs.String("data", "", "the data `folder` (default $SEALBOX_DATA, else sealbox-data)")
	rootKeyFile := fs.String("root-key-file", "", "the file provider's root key (default $SEALBOX_ROOT_KEY_FILE, else <data>/root.key)")
	storeURL := fs.String("store", "", "the store: bolt: (the data folder's) or a postgres:// `URL` (default $SEALBOX_STORE)")
	pwFile := fs.String("store-password-file", "", "`file` holding PostgreSQL's password, when neither the --store URL nor PGPASSWORD/PGPASSFILE gives it (default $SEALBOX_STORE_PASSWORD_FILE)")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	rk := *rootKeyFile
	if rk == "" {
		rk = env.Getenv("SEALBOX_ROOT_KEY_FILE")
	}
	spec, pw := *storeURL, *pwFile
	if spec == "" {
		spec = env.Getenv("SEALBOX_STORE")
	}
	if pw == "" {
		pw = env.Getenv("SEALBOX_STORE_PASSWORD_FILE")
	}
	st, closeStore, _, err := openStoreFor(ctx, spec, pw, dataDir(*data, env), rk, env)
	if err != nil {
		return err
	}
	defer closeStore()
	pub, err := audit.StoredPublicKey(ctx, st)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	return pem.Encode(env.Stdout, &pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Fingerprint": audit.Fingerprint(pub)}, Bytes: der})
}

// printReport prints a report's problems and its summary, and returns how
// many problems it had.
func printReport(env Env, what string, rep *audit.Report) int {
	for _, p := range rep.Problems {
		fmt.Fprintln(env.Stdout, p.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", what)
	switch what {
	case "files":
		fmt.Fprintf(&b, "%d files, ", rep.Trails)
	case "files against the store":
		fmt.Fprintf(&b, "%d files, %d events in both", rep.Trails, rep.Events)
	}
	if what != "files against the store" {
		fmt.Fprintf(&b, "%d events in %d digests", rep.Events, rep.Digests)
	}
	if rep.Unsigned > 0 {
		fmt.Fprintf(&b, ", %d written since the last digest (not signed yet)", rep.Unsigned)
	}
	if rep.Expired > 0 {
		fmt.Fprintf(&b, ", %d deleted by retention", rep.Expired)
	}
	if !rep.LastDigest.IsZero() {
		fmt.Fprintf(&b, ", last digest signed %s", rep.LastDigest.UTC().Format(time.RFC3339))
	}
	if rep.OK() {
		b.WriteString(": OK")
	} else {
		fmt.Fprintf(&b, ": %d problem(s)", len(rep.Problems))
	}
	fmt.Fprintln(env.Stdout, b.String())
	return len(rep.Problems)
}
