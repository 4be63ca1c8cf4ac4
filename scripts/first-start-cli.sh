#!/usr/bin/env bash
# first-start-cli.sh is every least-privilege walkthrough, with the aws CLI
# alone and nothing but the environment the server's first start prints
# (README, quick start): the admin user makes a role that trusts the
# account, assumes it with `aws sts assume-role`, and the role can do
# exactly what its policy allows. No --endpoint-url: AWS_ENDPOINT_URL
# points the CLI at sealbox.
#
# Environment (the line the first start prints):
#   AWS_SHARED_CREDENTIALS_FILE  the server's admin-credentials file
#   AWS_PROFILE                  sealbox
#   AWS_DEFAULT_REGION           us-east-1 (AWS_REGION for the other SDKs)
#   AWS_ENDPOINT_URL             the server, e.g. http://127.0.0.1:8777
#
# It creates the role walkthrough and the secrets walkthrough/*, so run it
# against a fresh data folder. Exits non-zero at the first mismatch.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the server, as the first start says}"
: "${AWS_SHARED_CREDENTIALS_FILE:?set AWS_SHARED_CREDENTIALS_FILE to the admin-credentials file, as the first start says}"
SEALBOX_ENDPOINT=$AWS_ENDPOINT_URL
SCRIPT=first-start-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
STEP=""
OUT=""
fail() { echo "FAIL [$STEP]: $1" >&2; exit 1; }
ok() { echo "ok   $STEP${1:+: $1}"; }
# call ARGS...: aws ARGS must succeed; stdout lands in OUT.
call() { OUT=$("$AWS" "$@" 2>"$TMP/stderr") || fail "aws $1 $2 failed: $(cat "$TMP/stderr")"; }
# as_role ARGS...: aws ARGS with the role session's credentials only.
as_role() { env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID="$RAK" AWS_SECRET_ACCESS_KEY="$RSK" AWS_SESSION_TOKEN="$RST" "$@"; }

echo "sealbox first-start walkthrough against $AWS_ENDPOINT_URL ($("$AWS" --version 2>&1 | cut -d' ' -f1)), from $(pwd)"

STEP="admin: sts get-caller-identity"
call sts get-caller-identity --output text --query '[Account, Arn]'
IFS=$'\t' read -r ACCT ARN <<<"$OUT"
[ "$ARN" = "arn:aws:iam::$ACCT:user/admin" ] || fail "the first start's key is $ARN, want the IAM user admin"
ok "$ARN"

STEP="admin: iam list-attached-user-policies"
call iam list-attached-user-policies --user-name admin --output text --query 'AttachedPolicies[].PolicyArn'
[ "$OUT" = "arn:aws:iam::aws:policy/AdministratorAccess" ] || fail "admin's policies: $OUT"
ok "$OUT"

STEP="admin: secretsmanager create-secret (two secrets)"
call secretsmanager create-secret --name walkthrough/db --secret-string 'db-password' --output text --query ARN
DB_ARN=$OUT
call secretsmanager create-secret --name walkthrough/other --secret-string 'not-yours' --output text --query ARN
ok "$DB_ARN"

STEP="admin: iam create-role (trusting the account) and put-role-policy"
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$ACCT"':root"},"Action":"sts:AssumeRole"}]}'
call iam create-role --role-name walkthrough --assume-role-policy-document "$TRUST" --output text --query Role.Arn
ROLE_ARN=$OUT
POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"'"$DB_ARN"'"}]}'
call iam put-role-policy --role-name walkthrough --policy-name read-db --policy-document "$POLICY"
ok "$ROLE_ARN"

STEP="admin: sts assume-role"
call sts assume-role --role-arn "$ROLE_ARN" --role-session-name walkthrough --output text \
	--query '[Credentials.AccessKeyId, Credentials.SecretAccessKey, Credentials.SessionToken, AssumedRoleUser.Arn]'
IFS=$'\t' read -r RAK RSK RST SESSION <<<"$OUT"
[[ "$RAK" == ASIA* ]] || fail "AccessKeyId '$RAK' is not a session key"
[ "$SESSION" = "arn:aws:sts::$ACCT:assumed-role/walkthrough/walkthrough" ] || fail "AssumedRoleUser.Arn $SESSION"
ok "$SESSION"

# call_role ARGS...: aws ARGS as the role must succeed; stdout in OUT.
call_role() { OUT=$(as_role "$AWS" "$@" 2>"$TMP/stderr") || fail "as the role, aws $1 $2 failed: $(cat "$TMP/stderr")"; }

STEP="role: sts get-caller-identity"
call_role sts get-caller-identity --output text --query Arn
[ "$OUT" = "$SESSION" ] || fail "the role's caller identity is $OUT"
ok "$OUT"

STEP="role: secretsmanager get-secret-value (allowed)"
call_role secretsmanager get-secret-value --secret-id walkthrough/db --output text --query SecretString
[ "$OUT" = db-password ] || fail "SecretString '$OUT'"
ok

STEP="role: everything else is refused"
# refused_role CODE ARGS...: aws ARGS as the role must fail with CODE.
refused_role() {
	local code=$1 rc=0
	shift
	OUT=$(as_role "$AWS" "$@" 2>"$TMP/stderr") || rc=$?
	[ "$rc" -ne 0 ] || fail "as the role, aws $1 $2 should have been refused but succeeded: $OUT"
	grep -q "An error occurred ($code)" "$TMP/stderr" || fail "as the role, aws $1 $2: want $code, got: $(cat "$TMP/stderr")"
}
refused_role AccessDeniedException secretsmanager get-secret-value --secret-id walkthrough/other
refused_role AccessDeniedException secretsmanager put-secret-value --secret-id walkthrough/db --secret-string changed
refused_role AccessDeniedException kms create-key
refused_role AccessDenied iam list-users
refused_role AccessDenied iam create-role --role-name escalate --assume-role-policy-document "$TRUST"
ok "other secret, put-secret-value, kms create-key, iam list-users, iam create-role"

STEP="admin: the value is unchanged"
call secretsmanager get-secret-value --secret-id walkthrough/db --output text --query SecretString
[ "$OUT" = db-password ] || fail "SecretString '$OUT'"
ok

echo "PASS first-start walkthrough"
