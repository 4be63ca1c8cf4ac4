#!/usr/bin/env bash
# smoke-agent.sh runs `sealbox agent` as Lambda runs the Parameters and
# Secrets extension: as the function's execution role (a session from
# sts assume-role, whose AWS_SESSION_TOKEN is also the agent's token), in
# front of the sealbox server, with a prefetch list. Then curl replays the
# documented requests and their errors, the function's own code
# (smoke_agent.py, urllib only) reads through the agent, a rotation by the
# built-in rotator reaches the function through the change feed long before
# the 300 s TTL, and SIGTERM stops the agent cleanly.
#
# Environment: SEALBOX_ENDPOINT, SEALBOX_BIN (the sealbox binary);
# AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE=sealbox (the admin); AWS_REGION.
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail
SCRIPT=smoke-agent
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"
: "${SEALBOX_BIN:?set SEALBOX_BIN to the sealbox binary}"
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)

aws_() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" "$@"; }
fail() { echo "FAIL [$1]: $2" >&2; exit 1; }
ok() { echo "ok   $1${2:+: $2}"; }

T=$RANDOM$RANDOM
SECRET="fn-$T/db"
FIRST='{"username":"app","password":"first-pass"}'
WORK=$(mktemp -d)
AGENT_PID=""
cleanup() {
	status=$?
	if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then kill "$AGENT_PID" 2>/dev/null || true; fi
	if [ "$status" != 0 ] && [ -f "$WORK/agent.err" ]; then
		echo "--- agent stdout" >&2; cat "$WORK/agent.out" >&2
		echo "--- agent stderr" >&2; cat "$WORK/agent.err" >&2
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

step="fixtures"
aws_ secretsmanager create-secret --name "$SECRET" --secret-string "$FIRST" >/dev/null
aws_ ssm put-parameter --name "/fn-$T/url" --type String --value "db.internal:5432" >/dev/null
aws_ ssm put-parameter --name "/fn-$T/key" --type SecureString --value "k3y-$T" >/dev/null
ok "$step"

step="execution role"
account=$(aws_ sts get-caller-identity --query Account --output text)
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$account"':root"},"Action":"sts:AssumeRole"}]}'
role=$(aws_ iam create-role --role-name "fn-$T" --assume-role-policy-document "$trust" --query Role.Arn --output text)
aws_ iam put-role-policy --role-name "fn-$T" --policy-name read --policy-document '{"Version":"2012-10-17","Statement":[
	{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:ListSecrets"],"Resource":"*"},
	{"Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParametersByPath","ssm:DescribeParameters"],"Resource":"*"},
	{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}'
aws_ iam create-user --user-name "deploy-$T" >/dev/null
aws_ iam put-user-policy --user-name "deploy-$T" --policy-name assume --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"'"$role"'"}]}'
read -r dak dsk < <(aws_ iam create-access-key --user-name "deploy-$T" --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
read -r ak sk st < <(env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID="$dak" AWS_SECRET_ACCESS_KEY="$dsk" \
	"$AWS" --endpoint-url "$SEALBOX_ENDPOINT" sts assume-role --role-arn "$role" --role-session-name fn \
	--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
[ -n "$st" ] || fail "$step" "no session token"
ok "$step" "$role"

# fn CMD...: run CMD with the function's environment: the role's session and
# the extension's port, as Lambda gives it.
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fn() {
	env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_TOKEN AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" AWS_SESSION_TOKEN="$st" \
		AWS_REGION="${AWS_REGION:-us-east-1}" PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="$PORT" "$@"
}

step="agent starts, prefetched"
# (env, not fn: $! must be the agent's own process id, for SIGTERM.)
env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_TOKEN AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" AWS_SESSION_TOKEN="$st" \
	AWS_REGION="${AWS_REGION:-us-east-1}" PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="$PORT" AWS_ENDPOINT_URL="$SEALBOX_ENDPOINT" \
	SEALBOX_AGENT_PREFETCH="secret:$SECRET,param-path:/fn-$T/" PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=debug \
	"$SEALBOX_BIN" agent >"$WORK/agent.out" 2>"$WORK/agent.err" &
AGENT_PID=$!
for _ in $(seq 200); do
	grep -q '^sealbox agent listening on http://127.0.0.1:' "$WORK/agent.out" && break
	kill -0 "$AGENT_PID" 2>/dev/null || fail "$step" "the agent exited: $(cat "$WORK/agent.err")"
	sleep 0.05
done
grep -q "^sealbox agent listening on http://127.0.0.1:$PORT " "$WORK/agent.out" || fail "$step" "no banner: $(cat "$WORK/agent.out")"
grep -q 'msg=prefetched items=3 failed=0' "$WORK/agent.err" || fail "$step" "prefetch: $(grep prefetch "$WORK/agent.err")"
ok "$step" "port $PORT"

A="http://localhost:$PORT"
H="X-Aws-Parameters-Secrets-Token: $st"
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

step="curl: the documented requests"
[ "$(curl -s "$A/ping")" = healthy ] || fail "$step" "/ping"
[ "$(curl -s -H "$H" "$A/secretsmanager/get?secretId=$SECRET" | jq -r .SecretString)" = "$FIRST" ] || fail "$step" "secretsmanager/get"
[ "$(curl -s -H "$H" "$A/v1/$SECRET" | jq -r .SecretString)" = "$FIRST" ] || fail "$step" "/v1/"
[ "$(curl -s -H "$H" "$A/systemsmanager/parameters/get/?name=%2Ffn-$T%2Furl" | jq -r .Parameter.Value)" = "db.internal:5432" ] || fail "$step" "parameters/get"
[ "$(curl -s -H "$H" "$A/systemsmanager/parameters/get?name=%2Ffn-$T%2Fkey&withDecryption=true" | jq -r .Parameter.Value)" = "k3y-$T" ] || fail "$step" "SecureString"
[ "$(curl -s -H "$H" "$A/systemsmanager/parameters/get?name=%2Faws%2Freference%2Fsecretsmanager%2F${SECRET//\//%2F}&withDecryption=true" | jq -r .Parameter.Value)" = "$FIRST" ] ||
	fail "$step" "/aws/reference/secretsmanager/"
ok "$step"

step="curl: the errors"
c=$(code "$A/secretsmanager/get?secretId=$SECRET"); [ "$c" = 403 ] || fail "$step" "no token: $c"
c=$(code -H "X-Aws-Parameters-Secrets-Token: wrong" "$A/secretsmanager/get?secretId=$SECRET"); [ "$c" = 403 ] || fail "$step" "wrong token: $c"
c=$(code -H "$H" -H "X-Forwarded-For: 10.1.2.3" "$A/secretsmanager/get?secretId=$SECRET"); [ "$c" = 400 ] || fail "$step" "X-Forwarded-For: $c"
c=$(code -X POST -H "$H" "$A/secretsmanager/get?secretId=$SECRET"); [ "$c" = 405 ] || fail "$step" "POST: $c"
c=$(code -H "$H" "$A/secretsmanager/get?secretId=nope-$T"); [ "$c" = 400 ] || fail "$step" "unknown secret: $c"
[ "$(jq -r .__type "$WORK/body")" = ResourceNotFoundException ] || fail "$step" "unknown secret: $(cat "$WORK/body")"
c=$(code -H "$H" "$A/nope"); [ "$c" = 404 ] || fail "$step" "unknown path: $c"
ok "$step"

step="the function reads through the agent (urllib)"
out=$(fn "$PYTHON" "$HERE/smoke_agent.py" read "$SECRET" "/fn-$T/url" "/fn-$T/key")
want='{"missing": [400, "ResourceNotFoundException"], "no_token": 403, "parameter": "db.internal:5432", "secret": {"password": "first-pass", "username": "app"}, "secure": "k3y-'"$T"'"}'
[ "$out" = "$want" ] || fail "$step" "$out"
ok "$step"

step="served from the cache"
hits=$(curl -s -H "$H" "$A/metrics" | awk '/^sealbox_agent_cache_hits_total\{service="secretsmanager"\}/ {print $2}')
[ "${hits:-0}" -ge 3 ] || fail "$step" "secret hits = $hits"
state=$(curl -s -H "$H" "$A/metrics" | awk '/^sealbox_agent_feed_state\{state="connected"\}/ {print $2}')
[ "$state" = 1 ] || fail "$step" "the change feed is not connected"
ok "$step" "$hits secret hits"

step="rotation reaches the function through the change feed"
aws_ secretsmanager rotate-secret --secret-id "$SECRET" \
	--rotation-lambda-arn "arn:aws:lambda:us-east-1:$account:function:sealbox-generate-password" >/dev/null
out=$(fn "$PYTHON" "$HERE/smoke_agent.py" wait-change "$SECRET" "$FIRST" 10)
new=$(jq -r .value <<<"$out")
[ "$(jq -r .username <<<"$new")" = app ] && [ "$(jq -r .password <<<"$new")" != first-pass ] || fail "$step" "$out"
current=$(aws_ secretsmanager get-secret-value --secret-id "$SECRET" --query SecretString --output text)
[ "$current" = "$new" ] || fail "$step" "the agent serves $new, the server $current"
ok "$step" "$(jq -r .seconds <<<"$out") s after rotate-secret returned (TTL 300 s)"

step="values never logged"
for v in first-pass "k3y-$T" "$(jq -r .password <<<"$new")" "$st"; do
	if grep -qF -- "$v" "$WORK/agent.err"; then fail "$step" "the agent's log holds a value or the token"; fi
done
ok "$step"

step="SIGTERM"
kill -TERM "$AGENT_PID"
rc=0
wait "$AGENT_PID" || rc=$?
AGENT_PID=""
[ "$rc" = 0 ] || fail "$step" "exit status $rc"
grep -q 'msg="shutting down"' "$WORK/agent.err" || fail "$step" "no shutdown message"
ok "$step"
