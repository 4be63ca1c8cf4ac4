package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/loadgen"
)

const benchUsage = `Usage: sealbox bench [flags]

Drives a running sealbox server with real SigV4-signed KMS requests over
keep-alive connections and prints, per operation and concurrency, the
operations per second, the p50 and p99 latency, and the ratio to the
server's bare GET /healthz (the "ceiling") at the same concurrency.

Operations: ceiling, encrypt (32 bytes), decrypt (that blob),
generate-data-key (AES_256), generate-random (32 bytes), describe-key;
sign-ecc-p256 (ECDSA_SHA_256), sign-rsa-2048 (RSASSA_PSS_SHA_256),
verify-ecc-p256 and verify-rsa-2048 (a signature made at set-up),
generate-mac (HMAC_SHA_256), each of a 32-byte RAW message; the Parameter
Store and Secrets Manager operations listed under --ops.
Set-up creates the keys the operations need (symmetric, ECC_NIST_P256,
RSA_2048, HMAC_256), scheduled for deletion (7 days) when the run ends.
The server audits every request: expect about 1 KB of audit log per request.
Any failed request makes the run fail (exit status 1).

Credentials, first found: --access-key-id/--secret-access-key;
--credentials-file/--profile; $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY
(and $AWS_SESSION_TOKEN); $AWS_SHARED_CREDENTIALS_FILE/$AWS_PROFILE; the
server's admin-credentials in $SEALBOX_DATA (default sealbox-data).

Examples:
  sealbox bench
  sealbox bench --endpoint https://127.0.0.1:8777 --ca-bundle sealbox-data/tls/ca.pem
  sealbox bench --ops ceiling,decrypt --concurrency 1,4,16 --duration 10s --format markdown

Flags:
`

type benchOptions struct {
	endpoint        string
	region          string
	accessKeyID     string
	secretAccessKey string
	credentialsFile string
	profile         string
	caBundle        string
	ops             string
	concurrency     string
	duration        time.Duration
	warmup          time.Duration
	format          string
	asRole          bool
	ssmTree         int
	ssmTotal        int
	serverPID       int
	serveFloor      string
}

// newBenchFlagSet registers the bench's flags over o, each defaulting to
// its environment variable if set.
func newBenchFlagSet(o *benchOptions, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("sealbox bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	str := func(p *string, name, env, def, usage string) {
		*p = def
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" ($"+env+")")
	}
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		*p = def
		if v, err := time.ParseDuration(getenv(env)); err == nil {
			*p = v
		}
		fs.DurationVar(p, name, *p, usage+" ($"+env+")")
	}
	str(&o.endpoint, "endpoint", "SEALBOX_ENDPOINT", "http://127.0.0.1:8777", "the server's URL")
	str(&o.region, "region", "AWS_REGION", "us-east-1", "signing region")
	// The credentials' environment variables are read after parsing, not
	// made flag defaults: -h would print them.
	fs.StringVar(&o.accessKeyID, "access-key-id", "", "access key id ($AWS_ACCESS_KEY_ID)")
	fs.StringVar(&o.secretAccessKey, "secret-access-key", "", "secret access key; prefer the environment, flags show in the process list ($AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&o.credentialsFile, "credentials-file", "", "AWS shared-credentials file (default: the server's admin-credentials if present, else ~/.aws/credentials) ($AWS_SHARED_CREDENTIALS_FILE)")
	fs.StringVar(&o.profile, "profile", "", `profile in the credentials file (default: "default", or the file's only profile) ($AWS_PROFILE)`)
	str(&o.caBundle, "ca-bundle", "AWS_CA_BUNDLE", "", "PEM certificates to trust for an https endpoint, besides the system's")
	str(&o.ops, "ops", "SEALBOX_BENCH_OPS", "ceiling,encrypt,decrypt,generate-data-key", "operations to run, comma-separated: ceiling, encrypt, decrypt, generate-data-key, generate-random, describe-key, sign-ecc-p256, sign-rsa-2048, verify-ecc-p256, verify-rsa-2048, generate-mac, get-parameter, get-secure-parameter, get-parameters-by-path, put-parameter, get-secret-value, batch-get-secret-value")
	str(&o.concurrency, "concurrency", "SEALBOX_BENCH_CONCURRENCY", "1,8,32", "concurrency levels, comma-separated: connections, each with one request in flight")
	dur(&o.duration, "duration", "SEALBOX_BENCH_DURATION", 5*time.Second, "measured time per operation and concurrency")
	dur(&o.warmup, "warmup", "SEALBOX_BENCH_WARMUP", time.Second, "unmeasured time before each measurement")
	str(&o.format, "format", "SEALBOX_BENCH_FORMAT", "text", `output: "text", "markdown" (a table for the README) or "tsv" (one line a cell, for scripts)`)
	fs.IntVar(&o.ssmTree, "ssm-tree", 10000, "parameters in the tree get-parameters-by-path pages through")
	fs.IntVar(&o.ssmTotal, "ssm-total", 10000, "parameters the set-up makes in all (at least --ssm-tree): by-path latency must not grow with it")
	o.serverPID, _ = strconv.Atoi(getenv("SEALBOX_BENCH_SERVER_PID"))
	fs.IntVar(&o.serverPID, "server-pid", o.serverPID, "the server's process id, when it runs on this machine: each cell also reports the server's CPU time per request, from /proc (Linux) ($SEALBOX_BENCH_SERVER_PID)")
	fs.StringVar(&o.serveFloor, "serve-floor", "", "instead of a run, serve the floor at this address (host:port) until interrupted: a bare net/http server answering 200 \"ok\" to every request, to measure beside a server with --ops ceiling")
	fs.BoolVar(&o.asRole, "as-role", getenv("SEALBOX_BENCH_AS_ROLE") == "true", "run as an assumed role whose identity policy allows the operations, through the key policy's delegation: the credentials given make the user, role and session ($SEALBOX_BENCH_AS_ROLE)")
	return fs
}

func runBench(ctx context.Context, args []string, env Env) error {
	var o benchOptions
	fs := newBenchFlagSet(&o, env.Getenv)
	fs.SetOutput(env.Stderr)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.serveFloor != "" {
		return serveFloor(ctx, o.serveFloor, env)
	}

	cfg, source, err := o.config(set, env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sealbox bench: %v\n", err)
		return errUsage
	}
	cfg.Progress = benchProgress(env.Stderr, cfg.Cells())
	cfg.TreeSize, cfg.TotalParameters = o.ssmTree, o.ssmTotal
	if o.asRole {
		creds, arn, err := loadgen.AssumeRole(ctx, cfg)
		if err != nil {
			return err
		}
		cfg.Credentials, source = creds, arn
	}

	who := "unsigned"
	if id := cfg.Credentials.AccessKeyID; id != "" {
		who = id + " (" + source + ")"
	}
	fmt.Fprintf(env.Stderr, "benchmarking %s as %s: %d operations × %d concurrency levels, %v warm-up + %v each: about %v\n",
		cfg.Endpoint, who, len(cfg.Ops), len(cfg.Concurrency), cfg.Warmup, cfg.Duration, cfg.Estimate().Round(time.Second))
	rep, err := loadgen.Run(ctx, cfg)
	if rep != nil && len(rep.Results) > 0 {
		switch o.format {
		case "markdown":
			writeBenchMarkdown(env.Stdout, rep)
		case "tsv":
			writeBenchTSV(env.Stdout, rep)
		default:
			writeBenchText(env.Stdout, rep)
		}
	}
	if rep != nil && rep.CleanupErr != nil {
		fmt.Fprintf(env.Stderr, "warning: %v\n", rep.CleanupErr)
	}
	if rep != nil && rep.Errors() > 0 {
		writeBenchFailures(env.Stderr, rep)
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	return err
}

// config turns the options into the engine's configuration, and says where
// the credentials came from.
func (o *benchOptions) config(set map[string]bool, getenv func(string) string) (loadgen.Config, string, error) {
	cfg := loadgen.Config{
		Endpoint: strings.TrimSuffix(o.endpoint, "/"),
		Region:   o.region,
		Duration: o.duration,
		Warmup:   o.warmup,

		ServerPID: o.serverPID,
	}
	var err error
	if cfg.Ops, err = loadgen.ParseOps(o.ops); err != nil {
		return cfg, "", fmt.Errorf("--ops: %v", err)
	}
	if cfg.Concurrency, err = parseConcurrency(o.concurrency); err != nil {
		return cfg, "", fmt.Errorf("--concurrency: %v", err)
	}
	if o.format != "text" && o.format != "markdown" && o.format != "tsv" {
		return cfg, "", fmt.Errorf(`--format %q must be "text", "markdown" or "tsv"`, o.format)
	}
	if u, err := url.Parse(cfg.Endpoint); err == nil && u.Scheme == "https" {
		if cfg.TLS, err = tlsConfig(o.caBundle); err != nil {
			return cfg, "", err
		}
	}
	source := "unsigned"
	if len(cfg.Ops) > 1 || cfg.Ops[0] != loadgen.Ceiling {
		if cfg.Credentials, source, err = o.credentials(set, getenv); err != nil {
			return cfg, "", err
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", err
	}
	return cfg, source, nil
}

func parseConcurrency(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("no levels in %q", s)
	}
	return ns, nil
}

// tlsConfig trusts the system's roots and, if set, the certificates in
// bundle (as the AWS SDKs do with AWS_CA_BUNDLE).
func tlsConfig(bundle string) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if bundle != "" {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return nil, fmt.Errorf("--ca-bundle: %v", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-bundle: no PEM certificates in %s", bundle)
		}
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// credentials finds the signing credentials, flags first, then the
// environment, then the server's admin-credentials file.
func (o *benchOptions) credentials(set map[string]bool, getenv func(string) string) (aws.Credentials, string, error) {
	pair := func(id, secret, token, source string) (aws.Credentials, string, error) {
		if id == "" || secret == "" {
			return aws.Credentials{}, "", fmt.Errorf("%s: an access key id and a secret access key go together", source)
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: source}, source, nil
	}
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	adminFile := filepath.Join(or(getenv("SEALBOX_DATA"), "sealbox-data"), "admin-credentials")
	fromFile := func(file, profile string) (aws.Credentials, string, error) {
		if file == "" {
			file = adminFile
			if _, err := os.Stat(file); err != nil {
				home := getenv("HOME")
				if home == "" {
					return aws.Credentials{}, "", errors.New("no credentials file: set --credentials-file")
				}
				file = filepath.Join(home, ".aws", "credentials")
			}
		}
		return sharedCredentials(file, profile)
	}
	switch {
	case set["access-key-id"] || set["secret-access-key"]:
		return pair(or(o.accessKeyID, getenv("AWS_ACCESS_KEY_ID")), or(o.secretAccessKey, getenv("AWS_SECRET_ACCESS_KEY")), "", "--access-key-id")
	case set["credentials-file"] || set["profile"]:
		return fromFile(or(o.credentialsFile, getenv("AWS_SHARED_CREDENTIALS_FILE")), or(o.profile, getenv("AWS_PROFILE")))
	case getenv("AWS_ACCESS_KEY_ID") != "" || getenv("AWS_SECRET_ACCESS_KEY") != "":
		return pair(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"), "$AWS_ACCESS_KEY_ID")
	case getenv("AWS_SHARED_CREDENTIALS_FILE") != "" || getenv("AWS_PROFILE") != "":
		return fromFile(getenv("AWS_SHARED_CREDENTIALS_FILE"), getenv("AWS_PROFILE"))
	}
	if _, err := os.Stat(adminFile); err == nil {
		return sharedCredentials(adminFile, "sealbox")
	}
	return aws.Credentials{}, "", fmt.Errorf("no credentials: use --access-key-id with $AWS_SECRET_ACCESS_KEY, or --credentials-file (the server writes %s)", adminFile)
}

// sharedCredentials reads profile from an AWS shared-credentials file. An
// empty profile is "default", or the file's only profile.
func sharedCredentials(file, profile string) (aws.Credentials, string, error) {
	f, err := os.Open(file)
	if err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to read credentials: %w", err)
	}
	defer f.Close()
	profiles := map[string]map[string]string{}
	var order []string
	var cur map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			name := strings.TrimSpace(line[1 : len(line)-1])
			name = strings.TrimSpace(strings.TrimPrefix(name, "profile "))
			if profiles[name] == nil {
				profiles[name] = map[string]string{}
				order = append(order, name)
			}
			cur = profiles[name]
		default:
			k, v, ok := strings.Cut(line, "=")
			if ok && cur != nil {
				cur[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to read credentials: %w", err)
	}
	if profile == "" {
		switch {
		case profiles["default"] != nil:
			profile = "default"
		case len(order) == 1:
			profile = order[0]
		default:
			return aws.Credentials{}, "", fmt.Errorf("%s has no default profile: choose one of %s with --profile", file, strings.Join(order, ", "))
		}
	}
	p := profiles[profile]
	if p == nil {
		return aws.Credentials{}, "", fmt.Errorf("%s has no profile %q", file, profile)
	}
	source := fmt.Sprintf("profile %s in %s", profile, file)
	if p["aws_access_key_id"] == "" || p["aws_secret_access_key"] == "" {
		return aws.Credentials{}, "", fmt.Errorf("%s: aws_access_key_id and aws_secret_access_key must both be set", source)
	}
	return aws.Credentials{AccessKeyID: p["aws_access_key_id"], SecretAccessKey: p["aws_secret_access_key"], SessionToken: p["aws_session_token"], Source: source}, source, nil
}

func benchProgress(w io.Writer, cells int) func(loadgen.Result) {
	done := 0
	return func(r loadgen.Result) {
		done++
		errs := ""
		if r.Errors > 0 {
			errs = fmt.Sprintf("  %d ERRORS", r.Errors)
		}
		fmt.Fprintf(w, "  [%d/%d] %s at %d: %s ops/s, p99 %s%s\n", done, cells, r.Op, r.Concurrency, fmtRate(r.OpsPerSec()), fmtLatency(r.Latency.Quantile(0.99)), errs)
	}
}

func writeBenchText(w io.Writer, rep *loadgen.Report) {
	cfg := rep.Config
	fmt.Fprintf(w, "sealbox bench: %s, %v per cell after %v warm-up, client GOMAXPROCS %d, took %v\n\n",
		cfg.Endpoint, cfg.Duration, cfg.Warmup, runtime.GOMAXPROCS(0), rep.Took.Round(100*time.Millisecond))
	errCol := rep.Errors() > 0
	header := fmt.Sprintf("%-18s %11s %10s %9s %9s %12s", "op", "concurrency", "ops/s", "p50", "p99", "vs ceiling")
	cpuCol := cfg.ServerPID > 0
	if cpuCol {
		header += fmt.Sprintf(" %14s", "server CPU/op")
	}
	if errCol {
		header += fmt.Sprintf(" %8s", "errors")
	}
	fmt.Fprintln(w, header)
	for i := range rep.Results {
		r := &rep.Results[i]
		line := fmt.Sprintf("%-18s %11d %10s %9s %9s %12s", r.Op, r.Concurrency, fmtRate(r.OpsPerSec()),
			fmtLatency(r.Latency.Quantile(0.5)), fmtLatency(r.Latency.Quantile(0.99)), fmtRatio(rep, r))
		if cpuCol {
			line += fmt.Sprintf(" %14s", fmtServerCPU(r))
		}
		if errCol {
			line += fmt.Sprintf(" %8d", r.Errors)
		}
		fmt.Fprintln(w, line)
	}
}

func writeBenchMarkdown(w io.Writer, rep *loadgen.Report) {
	cpuCol := rep.Config.ServerPID > 0
	if cpuCol {
		fmt.Fprintln(w, "| op | concurrency | ops/s | p50 | p99 | ratio to ceiling | server CPU per op |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	} else {
		fmt.Fprintln(w, "| op | concurrency | ops/s | p50 | p99 | ratio to ceiling |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |", r.Op, r.Concurrency, fmtRate(r.OpsPerSec()),
			fmtLatency(r.Latency.Quantile(0.5)), fmtLatency(r.Latency.Quantile(0.99)), fmtRatio(rep, r))
		if cpuCol {
			fmt.Fprintf(w, " %s |", fmtServerCPU(r))
		}
		fmt.Fprintln(w)
	}
}

// writeBenchTSV writes one line a cell, for scripts (scripts/bench-peers.sh):
// op, concurrency, ops/s, p50 and p99 in µs, server CPU per op in µs (0:
// not measured), errors.
func writeBenchTSV(w io.Writer, rep *loadgen.Report) {
	fmt.Fprintln(w, "op\tconcurrency\tops_per_sec\tp50_us\tp99_us\tserver_cpu_us\terrors")
	for i := range rep.Results {
		r := &rep.Results[i]
		per, _ := r.ServerCPUPerOp()
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%d\n", r.Op, r.Concurrency, r.OpsPerSec(),
			micros(r.Latency.Quantile(0.5)), micros(r.Latency.Quantile(0.99)), micros(per), r.Errors)
	}
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func fmtServerCPU(r *loadgen.Result) string {
	per, ok := r.ServerCPUPerOp()
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1fµs", micros(per))
}

// writeBenchFailures says loudly that the run had failed requests, and why.
func writeBenchFailures(w io.Writer, rep *loadgen.Report) {
	var total int64
	for _, r := range rep.Results {
		total += r.Requests + r.Errors
	}
	fmt.Fprintf(w, "\n!!! FAILED: %d of %d requests failed; the figures above are not valid.\n", rep.Errors(), total)
	for _, r := range rep.Results {
		kinds := r.ErrorKinds // most frequent first
		for i, k := range kinds {
			if i == 3 {
				fmt.Fprintf(w, "!!!   %s at %d: %d more kinds\n", r.Op, r.Concurrency, len(kinds)-i)
				break
			}
			fmt.Fprintf(w, "!!!   %s at %d: %d × %s\n", r.Op, r.Concurrency, k.Count, k.Message)
		}
	}
}

func fmtRatio(rep *loadgen.Report, r *loadgen.Result) string {
	ratio, ok := rep.Ratio(r)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", ratio)
}

func fmtRate(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// fmtLatency prints d with three significant digits.
func fmtLatency(d time.Duration) string {
	three := func(v float64, unit string) string {
		switch {
		case v < 10:
			return strconv.FormatFloat(v, 'f', 2, 64) + unit
		case v < 100:
			return strconv.FormatFloat(v, 'f', 1, 64) + unit
		}
		return strconv.FormatFloat(v, 'f', 0, 64) + unit
	}
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return three(float64(d)/1e3, "µs")
	case d < time.Second:
		return three(float64(d)/1e6, "ms")
	}
	return three(d.Seconds(), "s")
}
