package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"

	"github.com/sealbox/sealbox/internal/agent"
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

Every request but /ping carries X-Aws-Parameters-Secrets-Token (or
X-Vault-Token): the token the agent takes at start from the first of
$AWS_TOKEN, $AWS_SESSION_TOKEN, $AWS_CONTAINER_AUTHORIZATION_TOKEN (a
file://PATH value is read from PATH).

The upstream is wherever the AWS SDKs' configuration points: --endpoint,
else $AWS_ENDPOINT_URL_SECRETS_MANAGER / $AWS_ENDPOINT_URL_SSM, else
$AWS_ENDPOINT_URL, else AWS itself; credentials and region as every AWS
tool finds them. Against sealbox the agent subscribes to its change feed
and evicts a changed secret or parameter within a second; against AWS it
runs on TTLs alone, as the extension does.

The items --prefetch names are loaded before the first request is
answered (requests that arrive earlier wait), so a function's INIT phase
can read through the agent.

Examples:
  AWS_TOKEN=s3cret AWS_ENDPOINT_URL=http://127.0.0.1:8777 sealbox agent
  sealbox agent --prefetch 'secret:prod/db,param-path:/app/prod/' --secrets-ttl 1h
  curl -H "X-Aws-Parameters-Secrets-Token: $AWS_TOKEN" 'http://127.0.0.1:2773/secretsmanager/get?secretId=prod/db'

Flags (each defaults to its environment variable when set):
`

func runAgent(ctx context.Context, args []string, env Env) error {
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
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if err := cfg.LoadToken(env.Getenv); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := agent.NewLogger(env.Stderr, cfg.LogLevel)
	awsCfg, err := ao.load(ctx, env)
	if err != nil {
		return err
	}

	var feed agent.Feed
	if cfg.Feed {
		ep := *feedEndpoint
		for _, v := range []string{env.Getenv("AWS_ENDPOINT_URL_SEALBOX"), ao.endpoint, env.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"), env.Getenv("AWS_ENDPOINT_URL")} {
			if ep == "" {
				ep = v
			}
		}
		if ep == "" {
			log.Info("no sealbox endpoint configured (the upstream is AWS): cached values refresh after their TTL")
		} else {
			feed = agent.NewSealboxFeed(awsCfg, ep)
		}
	}

	a, err := agent.New(cfg, agent.Options{AWS: awsCfg, Endpoint: ao.endpoint, Feed: feed, Logger: log})
	if err != nil {
		return err
	}
	// 127.0.0.1 only, as the extension and aws-secretsmanager-agent.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	a.Start(ctx)
	if ctx.Err() == nil {
		fmt.Fprintf(env.Stdout, "sealbox agent listening on http://%s (region %s)\n", ln.Addr(), awsCfg.Region)
	}
	err = <-served
	log.Info("shutting down")
	return err
}
