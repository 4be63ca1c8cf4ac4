#!/usr/bin/env bash
# web-identity-cli.sh walks web identity federation with the aws CLI alone,
# as an EKS pod or a GitHub Actions job uses it: the administrator registers
# an OpenID Connect issuer and a role that trusts its tokens for one
# subject; the workload, holding no key, only a token file, reads the
# secret its role may read (the CLI's own AWS_WEB_IDENTITY_TOKEN_FILE +
# AWS_ROLE_ARN provider calls AssumeRoleWithWebIdentity, unsigned), and no
# other; a token for another subject, and a forged one, are refused.
#
# Environment: the line the server's first start prints (AWS_ENDPOINT_URL,
# AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, AWS_DEFAULT_REGION), and
#   ISSUER_URL         the issuer (https://host:port), whose CA the server trusts (--oidc-ca-file)
#   TOKEN_FILE         a token of the issuer for aud sts.amazonaws.com, sub system:serviceaccount:prod:app
#   OTHER_TOKEN_FILE   a token of the issuer for sub system:serviceaccount:dev:app
#   FORGED_TOKEN_FILE  TOKEN_FILE's token with its signature changed
# Run it against a fresh data folder. Exits non-zero at the first mismatch.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the server, as the first start says}"
: "${ISSUER_URL:?set ISSUER_URL}" "${TOKEN_FILE:?}" "${OTHER_TOKEN_FILE:?}" "${FORGED_TOKEN_FILE:?}"
SEALBOX_ENDPOINT=$AWS_ENDPOINT_URL
SCRIPT=web-identity-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
STEP=""
OUT=""
fail() { echo "FAIL [$STEP]: $1" >&2; exit 1; }
ok() { echo "ok   $STEP${1:+: $1}"; }
call() { OUT=$("$AWS" "$@" 2>"$TMP/stderr") || fail "aws $1 $2 failed: $(cat "$TMP/stderr")"; }
# pod TOKEN ARGS...: aws ARGS as a workload with only the token file and the
# role, and a HOME of its own: the CLI caches the session it gets under
# ~/.aws/cli/cache by role and session name, not by token.
pod() {
	local token=$1
	shift
	HOME=$(mktemp -d -p "$TMP") env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		AWS_WEB_IDENTITY_TOKEN_FILE="$token" AWS_ROLE_ARN="$ROLE" AWS_ROLE_SESSION_NAME=app-pod "$AWS" "$@"
}
# refused CODE TOKEN ARGS...: the workload's call must fail with CODE.
refused() {
	local code=$1 rc=0
	shift
	OUT=$(pod "$@" 2>"$TMP/stderr") || rc=$?
	[ "$rc" -ne 0 ] || fail "should have been refused but succeeded: $OUT"
	grep -q "($code)" "$TMP/stderr" || fail "want $code, got: $(cat "$TMP/stderr")"
}

call sts get-caller-identity --output text --query Account
ACCT=$OUT
HOST=${ISSUER_URL#https://}

STEP="admin: register the issuer"
call iam create-open-id-connect-provider --url "$ISSUER_URL" --client-id-list sts.amazonaws.com --output text --query OpenIDConnectProviderArn
PROVIDER=$OUT
[ "$PROVIDER" = "arn:aws:iam::$ACCT:oidc-provider/$HOST" ] || fail "provider ARN $PROVIDER"
call iam list-open-id-connect-providers --output text --query 'OpenIDConnectProviderList[].Arn'
[ "$OUT" = "$PROVIDER" ] || fail "list: $OUT"
ok "$PROVIDER"

STEP="admin: a role for the service account prod:app, two secrets"
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"'"$PROVIDER"'"},
 "Action":"sts:AssumeRoleWithWebIdentity",
 "Condition":{"StringEquals":{"'"$HOST"':aud":"sts.amazonaws.com","'"$HOST"':sub":"system:serviceaccount:prod:app"}}}]}'
READ='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue",
 "Resource":"arn:aws:secretsmanager:*:'"$ACCT"':secret:prod/app/*"}]}'
call iam create-role --role-name app --assume-role-policy-document "$TRUST" --output text --query Role.Arn
ROLE=$OUT
call iam put-role-policy --role-name app --policy-name read --policy-document "$READ"
call secretsmanager create-secret --name prod/app/db --secret-string app-db-password
call secretsmanager create-secret --name prod/billing/db --secret-string billing-db-password
ok "$ROLE"

STEP="workload: who am I, with only the token file"
OUT=$(pod "$TOKEN_FILE" sts get-caller-identity --output text --query Arn 2>"$TMP/stderr") || fail "$(cat "$TMP/stderr")"
[ "$OUT" = "arn:aws:sts::$ACCT:assumed-role/app/app-pod" ] || fail "caller $OUT"
ok "$OUT"

STEP="workload: reads its secret"
OUT=$(pod "$TOKEN_FILE" secretsmanager get-secret-value --secret-id prod/app/db --output text --query SecretString 2>"$TMP/stderr") || fail "$(cat "$TMP/stderr")"
[ "$OUT" = "app-db-password" ] || fail "secret $OUT"
ok

STEP="workload: not another's"
refused AccessDeniedException "$TOKEN_FILE" secretsmanager get-secret-value --secret-id prod/billing/db
ok "AccessDeniedException"

STEP="workload: the CLI's own assume-role-with-web-identity"
OUT=$(env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE "$AWS" sts assume-role-with-web-identity --role-arn "$ROLE" --role-session-name direct \
	--web-identity-token "$(cat "$TOKEN_FILE")" --no-sign-request --output text \
	--query '[SubjectFromWebIdentityToken,Audience,Provider]' 2>"$TMP/stderr") || fail "$(cat "$TMP/stderr")"
[ "$OUT" = "system:serviceaccount:prod:app	sts.amazonaws.com	$PROVIDER" ] || fail "answer $OUT"
ok "$OUT"

STEP="another service account's token"
refused AccessDenied "$OTHER_TOKEN_FILE" sts get-caller-identity
ok "AccessDenied"

STEP="a forged token"
refused InvalidIdentityToken "$FORGED_TOKEN_FILE" sts get-caller-identity
ok "InvalidIdentityToken"

STEP="admin: the audience removed"
call iam remove-client-id-from-open-id-connect-provider --open-id-connect-provider-arn "$PROVIDER" --client-id sts.amazonaws.com
refused InvalidIdentityToken "$TOKEN_FILE" sts get-caller-identity
ok "InvalidIdentityToken"

echo "web-identity-cli: all checks passed"
