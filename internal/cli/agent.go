package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/extensionsapi"
)

const agentUsage = `Usage: sealbox agent [flags]

A caching agent on 127.0.0.1:2773 in front of Parameter Store and Secrets
Manager, for code written against the AWS Parameters and Secrets Lambda
Extension or aws-secretsmanager-agent:

  GET /secretsmanager/get?secretId=ID[&versionId=V|&versionStage=S]
  GET /v1/ID                                  (aws-secretsmanager-agent's path style)
  GET /systemsmanager/parameters/get?name=NAME[&version=N|&label=L][&withDecryption=true]
  GET /ping                                   (200 healthy; no token)
  GET /metrics                                (Prometheus text format)
  refreshNow=true on any get skips the cache.
  A miss past --max-in-flight upstream fetches under way is answered 429.

Every request but /ping carries X-Aws-Parameters-Secrets-Token (or
X-Vault-Token): the token the agent takes at start from the first of
$AWS_TOKEN, $AWS_SESSION_TOKEN, $AWS_CONTAINER_AUTHORIZATION_TOKEN (a
file://PATH value is read from PATH, which must be ours and mode 0600 or
0400: a token file others may read or write is refused).

The upstream is wherever the AWS SDKs' configuration points: --endpoint,
else $AWS_ENDPOINT_URL_SECRETS_MANAGER / $AWS_ENDPOINT_URL_SSM, else
$AWS_ENDPOINT_URL, else AWS itself; credentials and region as every AWS
tool finds them. Against sealbox the agent subscribes to its change feed
and evicts a changed secret or parameter within a second; against AWS it
runs on TTLs alone, as the extension does.

The items --prefetch names are loaded before the first request is
answered (requests that arrive earlier wait), so a function's INIT phase
can read through the agent.

As a Lambda extension: with $AWS_LAMBDA_RUNTIME_API set (Lambda and
aws-lambda-rie set it), the agent registers through the Extensions API
under its executable's file name (--extension-name), serves as above with
the function's session token ($AWS_SESSION_TOKEN, never $AWS_TOKEN, which
the function's configuration may set) as its token, and exits at the SHUTDOWN
event; a failure to start is posted to extension/init/error, a later one
to extension/exit/error. Started from /opt/extensions with no arguments
(as Lambda starts extensions), sealbox runs as this agent.

Examples:
  AWS_TOKEN=s3cret AWS_ENDPOINT_URL=http://127.0.0.1:8777 sealbox agent
  sealbox agent --prefetch 'secret:prod/db,param-path:/app/prod/' --secrets-ttl 1h
  curl -H "X-Aws-Parameters-Secrets-Token: $AWS_TOKEN" 'http://127.0.0.1:2773/secretsmanager/get?secretId=prod/db'

Flags (each defaults to its environment variable when set):
`

// extensionsDir is where Lambda (and aws-lambda-rie) starts extensions
// from, with no arguments.
const extensionsDir = "/opt/extensions"

// startedAsExtension reports whether sealbox was started as Lambda starts
// an extension: from /opt/extensions, with no arguments.
func startedAsExtension(args []string, env Env) bool {
	return len(args) == 0 && env.Program != "" && filepath.Dir(env.Program) == extensionsDir &&
		env.Getenv("AWS_LAMBDA_RUNTIME_API") != ""
}

// agentRun is an agent ready to start: configured, listening.
type agentRun struct {
	a      *agent.Agent
	ln     net.Listener
	log    *slog.Logger
	region string
}

func runAgent(ctx context.Context, args []string, env Env) error {
	var extName string
	runtimeAPI := env.Getenv("AWS_LAMBDA_RUNTIME_API")
	tokenEnv := env.Getenv
	if runtimeAPI != "" {
		// As AWS's extension: the role session's token, which only the
		// function's own processes hold. Not AWS_TOKEN: whoever
		// configures the function may set it to a value others know,
		// and other environments share the host's loopback.
		tokenEnv = func(name string) string {
			if name == "AWS_SESSION_TOKEN" {
				return env.Getenv(name)
			}
			return ""
		}
	}
	prepare := func() (*agentRun, error) {
		cfg := agent.Default()
		fs := flag.NewFlagSet("sealbox agent", flag.ContinueOnError)
		fs.SetOutput(env.Stderr)
		fs.Usage = func() { fmt.Fprint(env.Stderr, agentUsage); fs.PrintDefaults() }
		cfg.Bind(fs, env.Getenv)
		ao := &awsOptions{}
		fs.StringVar(&ao.endpoint, "endpoint", "", "the upstream `URL` of both services (default as the AWS SDKs find it: $AWS_ENDPOINT_URL_SECRETS_MANAGER, $AWS_ENDPOINT_URL_SSM, $AWS_ENDPOINT_URL, else AWS)")
		fs.StringVar(&ao.region, "region", "", "the `region` (default as the AWS tools find it, else us-east-1)")
		fs.StringVar(&ao.profile, "profile", "", "the shared config `profile` (default $AWS_PROFILE)")
		feedEndpoint := fs.String("feed-endpoint", "", "the sealbox `URL` whose change feed to follow (default $AWS_ENDPOINT_URL_SEALBOX, else the upstream's endpoint)")
		fs.StringVar(&extName, "extension-name", filepath.Base(env.Program), "the `name` to register under with Lambda's Extensions API when $AWS_LAMBDA_RUNTIME_API is set: the file name of the executable in /opt/extensions (default this executable's)")
		if err := parseFlags(fs, args, env); err != nil {
			return nil, err
		}
		if runtimeAPI != "" && env.Getenv("AWS_SESSION_TOKEN") == "" {
			return nil, errors.New("no token: as a Lambda extension the agent's token is $AWS_SESSION_TOKEN, which is not set")
		}
		if err := cfg.LoadToken(tokenEnv); err != nil {
			return nil, err
		}
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		log := agent.NewLogger(env.Stderr, cfg.LogLevel)
		awsCfg, err := ao.load(ctx, env)
		if err != nil {
			return nil, err
		}
		a, err := agent.New(cfg, agent.Options{AWS: awsCfg, Endpoint: ao.endpoint, Feed: agentFeed(cfg, awsCfg, ao, *feedEndpoint, env, log), Logger: log})
		if err != nil {
			return nil, err
		}
		// 127.0.0.1 only, as the extension and aws-secretsmanager-agent.
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
		if err != nil {
			return nil, fmt.Errorf("failed to listen: %w", err)
		}
		return &agentRun{a: a, ln: ln, log: log, region: awsCfg.Region}, nil
	}

	if runtimeAPI != "" {
		return runAgentExtension(ctx, runtimeAPI, &extName, prepare, env)
	}
	run, err := prepare()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- run.a.Serve(ctx, run.ln) }()
	run.a.Start(ctx)
	if ctx.Err() == nil {
		fmt.Fprintf(env.Stdout, "sealbox agent listening on http://%s (region %s)\n", run.ln.Addr(), run.region)
	}
	err = <-served
	run.log.Info("shutting down")
	return err
}

// agentFeed is the change feed to follow, or nil: sealbox's at the first
// endpoint configured, none against AWS.
func agentFeed(cfg agent.Config, awsCfg aws.Config, ao *awsOptions, feedEndpoint string, env Env, log *slog.Logger) agent.Feed {
	if !cfg.Feed {
		return nil
	}
	ep := feedEndpoint
	for _, v := range []string{env.Getenv("AWS_ENDPOINT_URL_SEALBOX"), ao.endpoint, env.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"), env.Getenv("AWS_ENDPOINT_URL")} {
		if ep == "" {
			ep = v
		}
	}
	if ep == "" {
		log.Info("no sealbox endpoint configured (the upstream is AWS): cached values refresh after their TTL")
		return nil
	}
	return agent.NewSealboxFeed(awsCfg, ep)
}

// The error types the agent reports to the Extensions API
// (Lambda-Extension-Function-Error-Type, "Extension.<Reason>").
const (
	extErrConfig = "Extension.ConfigurationError" // init/error: flags, variables, token, listener
	extErrServe  = "Extension.ServeFailed"        // exit/error: the listener failed
	extErrEvents = "Extension.EventsFailed"       // exit/error: event/next failed
)

// runAgentExtension is the agent as a Lambda extension. It gets ready to
// serve (configured, listening: requests wait until the prefetch is done)
// before it registers, so the runtime, which Lambda starts once every
// extension has registered, finds 127.0.0.1:2773 open; it registers, and
// reports a failure to get ready with init/error; it follows the change
// feed and prefetches, then asks for events until SHUTDOWN: its first
// event/next lets INIT finish.
func runAgentExtension(ctx context.Context, runtimeAPI string, name *string, prepare func() (*agentRun, error), env Env) error {
	run, perr := prepare()
	if errors.Is(perr, flag.ErrHelp) {
		return perr
	}
	if *name == "" || *name == "." || *name == "/" {
		*name = "sealbox"
	}
	ext, _, err := extensionsapi.Register(ctx, runtimeAPI, *name, extensionsapi.Invoke, extensionsapi.Shutdown)
	if err != nil {
		if run != nil {
			run.ln.Close()
		}
		return errors.Join(fmt.Errorf("failed to register as extension %q: %w", *name, err), perr)
	}
	if perr != nil {
		if errors.Is(perr, errUsage) {
			perr = errors.New("bad flags or arguments (see the log above)")
		}
		if err := ext.InitError(ctx, extErrConfig, perr); err != nil {
			fmt.Fprintf(env.Stderr, "sealbox agent: failed to report the error to extension/init/error: %v\n", err)
		}
		return perr
	}
	run.log.Info("registered as a Lambda extension", "name", *name)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- run.a.Serve(ctx, run.ln) }()
	run.a.Start(ctx)

	type next struct {
		ev  extensionsapi.Event
		err error
	}
	events := make(chan next, 1)
	for {
		go func() {
			ev, err := ext.Next(ctx)
			events <- next{ev, err}
		}()
		select {
		case err := <-served:
			if ctx.Err() != nil {
				return nil // stopped by a signal
			}
			// The listener failed (Serve returns nil only once ctx ends).
			if err == nil {
				err = errors.New("the listener closed")
			}
			if rerr := ext.ExitError(context.WithoutCancel(ctx), extErrServe, err); rerr != nil {
				run.log.Error("failed to report to extension/exit/error", "err", rerr)
			}
			return fmt.Errorf("failed to serve: %w", err)
		case n := <-events:
			switch {
			case n.err != nil && ctx.Err() != nil:
				// Stopped by a signal: Lambda sends none to an extension
				// subscribed to SHUTDOWN, but a person may.
				cancel()
				<-served
				return nil
			case n.err != nil:
				if rerr := ext.ExitError(ctx, extErrEvents, n.err); rerr != nil {
					run.log.Error("failed to report to extension/exit/error", "err", rerr)
				}
				cancel()
				<-served
				return fmt.Errorf("failed to get the next event: %w", n.err)
			case n.ev.EventType == extensionsapi.Shutdown:
				run.log.Info("shutting down", "reason", n.ev.ShutdownReason)
				cancel()
				return <-served
			default:
				run.log.Debug("event", "type", n.ev.EventType, "request", n.ev.RequestID)
			}
		}
	}
}
