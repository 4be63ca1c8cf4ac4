#!/usr/bin/env bash
# smoke-invoke-cli.sh deploys and invokes a function with the aws CLI, as
# the README's walkthrough does: a key, a secret, an execution role that
# may decrypt with the key and read the secret, create-function with a
# provided.al2023 package (a Go bootstrap), then invoke: cold, warm (the
# same process), after put-secret-value (the new value), --log-type Tail,
# Event and DryRun; a function with the AWS Parameters and Secrets
# extension's layer reads the secret through it (the server runs the
# extension as itself; it needs root, else the step is skipped); a role
# without kms:Decrypt gets KMSAccessDeniedException.
#
# Environment: SEALBOX_ENDPOINT; AWS_SHARED_CREDENTIALS_FILE and
# AWS_PROFILE=sealbox (the admin); AWS_REGION; FUNCTION_ZIP, the package
# (internal/lambdarun/testfn built as bootstrap, zipped). The server runs
# with --lambda-rie. Exits non-zero at the first mismatch, naming the step
# and what came back.
set -euo pipefail
SCRIPT=smoke-invoke-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"
: "${FUNCTION_ZIP:?set FUNCTION_ZIP to the function package}"

aws_() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" "$@"; }
fail() { echo "FAIL [$1]: $2" >&2; exit 1; }
ok() { echo "ok   $1${2:+: $2}"; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
R=$RANDOM$RANDOM
FN="orders-$R"
ACCOUNT=$(aws_ sts get-caller-identity --query Account --output text)

step="create-key, create-secret"
KEY=$(aws_ kms create-key --description "orders environment" --query KeyMetadata.Arn --output text)
SECRET=$(aws_ secretsmanager create-secret --name "orders-$R/db" --kms-key-id "$KEY" \
	--secret-string '{"password":"first-pa55"}' --query ARN --output text)
ok "$step"

step="create-role and its policy"
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
ROLE=$(aws_ iam create-role --role-name "orders-exec-$R" --assume-role-policy-document "$TRUST" --query Role.Arn --output text)
aws_ iam put-role-policy --role-name "orders-exec-$R" --policy-name run --policy-document '{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"kms:Decrypt","Resource":"'"$KEY"'"},
 {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"'"$SECRET"'"}]}'
ok "$step" "$ROLE"

step="create-function (provided.al2023)"
state=$(aws_ lambda create-function --function-name "$FN" --runtime provided.al2023 --handler bootstrap \
	--role "$ROLE" --zip-file "fileb://$FUNCTION_ZIP" --kms-key-arn "$KEY" --timeout 2 \
	--environment '{"Variables":{"DB_ENDPOINT":"orders-db.internal:5432","DB_PASSWORD":"{{resolve:secretsmanager:orders-'"$R"'/db:SecretString:password}}"}}' \
	--query State --output text)
[ "$state" = Active ] || fail "$step" "State = $state"
ok "$step"

# invoke PAYLOAD [ARGS...]: invoke the function, its answer in $TMP/out.json,
# the CLI's output (StatusCode, FunctionError, LogResult) in $TMP/meta.json.
# (aws CLI v2 reads a blob argument as base64 unless told otherwise; v1
# takes it raw.)
BINFMT=()
"$AWS" --version 2>&1 | grep -q '^aws-cli/2' && BINFMT=(--cli-binary-format raw-in-base64-out)
invoke() {
	local payload=$1
	shift
	aws_ lambda invoke --function-name "$FN" "${BINFMT[@]}" --payload "$payload" "$@" "$TMP/out.json" >"$TMP/meta.json"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"; }

step="invoke, cold"
invoke '{"action":"env"}'
[ "$(field "$TMP/out.json" db_endpoint)" = orders-db.internal:5432 ] || fail "$step" "$(cat "$TMP/out.json")"
[ "$(field "$TMP/out.json" secret)" = first-pa55 ] || fail "$step" "$(cat "$TMP/out.json")"
[ "$(field "$TMP/out.json" count)" = 1 ] || fail "$step" "$(cat "$TMP/out.json")"
pid=$(field "$TMP/out.json" pid)
ok "$step" "pid $pid"

step="invoke, warm: the same process"
invoke '{"action":"env"}'
[ "$(field "$TMP/out.json" count)" = 2 ] && [ "$(field "$TMP/out.json" pid)" = "$pid" ] || fail "$step" "$(cat "$TMP/out.json")"
ok "$step"

step="put-secret-value, then invoke: the new value"
aws_ secretsmanager put-secret-value --secret-id "orders-$R/db" --secret-string '{"password":"second-pa55"}' >/dev/null
invoke '{"action":"env"}'
[ "$(field "$TMP/out.json" secret)" = second-pa55 ] || fail "$step" "$(cat "$TMP/out.json")"
ok "$step"

step="invoke --log-type Tail"
invoke '{"action":"env"}' --log-type Tail
log=$(field "$TMP/meta.json" LogResult | base64 -d)
case "$log" in *'testfn: action "env"'*REPORT\ RequestId:*) ;; *) fail "$step" "$log" ;; esac
ok "$step"

step="invoke, the function fails"
invoke '{"action":"error"}'
[ "$(field "$TMP/meta.json" FunctionError)" = Unhandled ] || fail "$step" "$(cat "$TMP/meta.json")"
ok "$step" "$(cat "$TMP/out.json")"

step="invoke, a timeout"
invoke '{"action":"sleep","seconds":5}'
[ "$(field "$TMP/out.json" errorType)" = Sandbox.Timedout ] || fail "$step" "$(cat "$TMP/out.json")"
ok "$step" "$(field "$TMP/out.json" errorMessage)"

step="invoke --invocation-type Event, DryRun"
invoke '{"action":"env"}' --invocation-type Event
[ "$(field "$TMP/meta.json" StatusCode)" = 202 ] || fail "$step" "$(cat "$TMP/meta.json")"
invoke '{}' --invocation-type DryRun
[ "$(field "$TMP/meta.json" StatusCode)" = 204 ] || fail "$step" "$(cat "$TMP/meta.json")"
ok "$step"

step="create-function --layers (the Parameters and Secrets extension), invoke: the secret read through it"
if [ "$(id -u)" = 0 ]; then
	aws_ lambda create-function --function-name "$FN-ext" --runtime provided.al2023 --handler bootstrap \
		--role "$ROLE" --zip-file "fileb://$FUNCTION_ZIP" --timeout 5 \
		--layers arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12 >/dev/null
	aws_ lambda invoke --function-name "$FN-ext" "${BINFMT[@]}" --payload '{"action":"extension","secret_id":"orders-'"$R"'/db"}' \
		"$TMP/out.json" >"$TMP/meta.json"
	[ "$(field "$TMP/out.json" ext_status)" = 200 ] || fail "$step" "$(cat "$TMP/out.json")"
	case "$(field "$TMP/out.json" ext_value)" in *second-pa55*) ;; *) fail "$step" "$(cat "$TMP/out.json")" ;; esac
	ok "$step" "port $(field "$TMP/out.json" ext_port)"
	aws_ lambda delete-function --function-name "$FN-ext" >/dev/null
else
	echo "skip $step: the server must run as root"
fi

step="a role without kms:Decrypt: KMSAccessDeniedException"
aws_ iam delete-role-policy --role-name "orders-exec-$R" --policy-name run
aws_ lambda update-function-configuration --function-name "$FN" --description "drop the warm environment" >/dev/null
if invoke '{"action":"env"}' 2>"$TMP/err"; then fail "$step" "invoked"; fi
grep -q KMSAccessDeniedException "$TMP/err" || fail "$step" "$(cat "$TMP/err")"
ok "$step"
echo "$SCRIPT: all steps passed"
