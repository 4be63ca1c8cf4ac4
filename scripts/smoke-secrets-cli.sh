#!/usr/bin/env bash
# smoke-secrets-cli.sh drives a running sealbox's Secrets Manager with the
# aws CLI, as deploy scripts do: create-secret, get-secret-value,
# put-secret-value, list-secret-version-ids, update-secret-version-stage,
# rotate-secret with the built-in sealbox-generate-password rotator (which
# runs asynchronously, as in AWS: the script waits for AWSCURRENT to move),
# the Parameter Store passthrough /aws/reference/secretsmanager/<name>, and
# delete-secret --force-delete-without-recovery.
#
# Environment: SEALBOX_ENDPOINT (required); AWS_SHARED_CREDENTIALS_FILE and
# AWS_PROFILE=sealbox (the server's admin-credentials file); AWS_REGION.
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail
SCRIPT=smoke-secrets-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"

sm() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" secretsmanager "$@"; }
ssm() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" ssm "$@"; }
sts() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" sts "$@"; }
fail() { echo "FAIL [$1]: $2" >&2; exit 1; }
ok() { echo "ok   $1${2:+: $2}"; }

NAME="smoke-cli/db-$RANDOM$RANDOM"
FIRST='{"username":"app","password":"first-pass"}'
SECOND='{"username":"app","password":"second-pass"}'

step="create-secret"
read -r arn v1 < <(sm create-secret --name "$NAME" --secret-string "$FIRST" --query '[ARN,VersionId]' --output text)
case "$arn" in arn:aws:secretsmanager:*:secret:"$NAME"-??????) ;; *) fail "$step" "ARN = $arn" ;; esac
ok "$step" "$arn"

step="get-secret-value"
got=$(sm get-secret-value --secret-id "$NAME" --query SecretString --output text)
[ "$got" = "$FIRST" ] || fail "$step" "SecretString = $got"
ok "$step"

step="put-secret-value"
v2=$(sm put-secret-value --secret-id "$NAME" --secret-string "$SECOND" --query VersionId --output text)
got=$(sm get-secret-value --secret-id "$NAME" --query SecretString --output text)
[ "$got" = "$SECOND" ] || fail "$step" "AWSCURRENT = $got"
got=$(sm get-secret-value --secret-id "$NAME" --version-stage AWSPREVIOUS --query SecretString --output text)
[ "$got" = "$FIRST" ] || fail "$step" "AWSPREVIOUS = $got"
ok "$step" "$v2"

step="list-secret-version-ids"
n=$(sm list-secret-version-ids --secret-id "$NAME" --query 'Versions[].VersionId' --output text | wc -w)
[ "$n" = 2 ] || fail "$step" "$n versions, want 2"
cur=$(sm list-secret-version-ids --secret-id "$NAME" --query 'Versions[?contains(VersionStages, `AWSCURRENT`)].VersionId' --output text)
[ "$cur" = "$v2" ] || fail "$step" "AWSCURRENT on $cur, want $v2"
ok "$step"

step="update-secret-version-stage: AWSCURRENT back to the first version"
sm update-secret-version-stage --secret-id "$NAME" --version-stage AWSCURRENT --move-to-version-id "$v1" --remove-from-version-id "$v2" >/dev/null
got=$(sm get-secret-value --secret-id "$NAME" --query SecretString --output text)
[ "$got" = "$FIRST" ] || fail "$step" "AWSCURRENT = $got"
got=$(sm get-secret-value --secret-id "$NAME" --version-stage AWSPREVIOUS --query VersionId --output text)
[ "$got" = "$v2" ] || fail "$step" "AWSPREVIOUS on $got, want $v2"
ok "$step"

step="rotate-secret with the built-in sealbox-generate-password"
account=$(sts get-caller-identity --query Account --output text)
fn="arn:aws:lambda:$AWS_DEFAULT_REGION:$account:function:sealbox-generate-password"
v3=$(sm rotate-secret --secret-id "$NAME" --rotation-lambda-arn "$fn" --rotation-rules AutomaticallyAfterDays=30 --query VersionId --output text)
[ -n "$v3" ] && [ "$v3" != "$v1" ] || fail "$step" "VersionId = $v3"
# The rotation runs in the background: wait (at most ~30 s) for AWSCURRENT.
now=""
for _ in $(seq 60); do
  now=$(sm get-secret-value --secret-id "$NAME" --query VersionId --output text)
  [ "$now" = "$v3" ] && break
  sleep 0.5
done
[ "$now" = "$v3" ] || fail "$step" "AWSCURRENT still on $now, want the rotation's version $v3"
rotated=$(sm get-secret-value --secret-id "$NAME" --query SecretString --output text)
case "$rotated" in *'"username":"app"'*) ;; *) fail "$step" "username not kept" ;; esac
case "$rotated" in *first-pass* | *second-pass*) fail "$step" "password unchanged" ;; esac
got=$(sm get-secret-value --secret-id "$NAME" --version-stage AWSPREVIOUS --query SecretString --output text)
[ "$got" = "$FIRST" ] || fail "$step" "AWSPREVIOUS = $got, want the value before rotation"
read -r enabled lambda < <(sm describe-secret --secret-id "$NAME" --query '[RotationEnabled,RotationLambdaARN]' --output text)
[ "$enabled" = True ] && [ "$lambda" = "$fn" ] || fail "$step" "describe-secret: RotationEnabled=$enabled RotationLambdaARN=$lambda"
ok "$step" "AWSCURRENT moved to $v3"

step="ssm get-parameter /aws/reference/secretsmanager/<name>"
got=$(ssm get-parameter --name "/aws/reference/secretsmanager/$NAME" --with-decryption --query Parameter.Value --output text)
[ "$got" = "$rotated" ] || fail "$step" "Value is not the secret's AWSCURRENT"
ok "$step"

step="delete-secret --force-delete-without-recovery"
sm delete-secret --secret-id "$NAME" --force-delete-without-recovery >/dev/null
if out=$(sm get-secret-value --secret-id "$NAME" 2>&1); then fail "$step" "still readable: $out"; fi
case "$out" in *ResourceNotFoundException*) ;; *) fail "$step" "$out" ;; esac
ok "$step"
echo "secretsmanager CLI smoke passed"
