#!/usr/bin/env bash
# abac-cli.sh walks attribute-based access control with the aws CLI alone,
# as AWS's ABAC tutorial does: users tagged with their team, one role whose
# trust policy lets each caller tag its session with its own team only, one
# policy that reads the secrets tagged with the session's team. Each caller
# reads exactly its team's secret; a caller that tags its session with
# another team is refused (sts:TagSession).
#
# Environment: the line the server's first start prints (AWS_ENDPOINT_URL,
# AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, AWS_DEFAULT_REGION). Run it
# against a fresh data folder. Exits non-zero at the first mismatch.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the server, as the first start says}"
: "${AWS_SHARED_CREDENTIALS_FILE:?set AWS_SHARED_CREDENTIALS_FILE to the admin-credentials file, as the first start says}"
SEALBOX_ENDPOINT=$AWS_ENDPOINT_URL
SCRIPT=abac-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
STEP=""
OUT=""
fail() { echo "FAIL [$STEP]: $1" >&2; exit 1; }
ok() { echo "ok   $STEP${1:+: $1}"; }
call() { OUT=$("$AWS" "$@" 2>"$TMP/stderr") || fail "aws $1 $2 failed: $(cat "$TMP/stderr")"; }
# as KEY SECRET TOKEN ARGS...: aws ARGS with those credentials only.
as() {
	local k=$1 s=$2 t=$3
	shift 3
	env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID="$k" AWS_SECRET_ACCESS_KEY="$s" ${t:+AWS_SESSION_TOKEN="$t"} "$AWS" "$@"
}
# refused CODE WHO... -- ARGS: the call must fail with CODE.
refused() {
	local code=$1 rc=0
	shift
	OUT=$(as "$@" 2>"$TMP/stderr") || rc=$?
	[ "$rc" -ne 0 ] || fail "should have been refused but succeeded: $OUT"
	grep -q "An error occurred ($code)" "$TMP/stderr" || fail "want $code, got: $(cat "$TMP/stderr")"
}

call sts get-caller-identity --output text --query Account
ACCT=$OUT

STEP="admin: secrets tagged by team"
for team in red blue; do
	call secretsmanager create-secret --name "abac/$team" --secret-string "$team-password" --tags "Key=team,Value=$team"
done
ok "abac/red (team=red), abac/blue (team=blue)"

STEP="admin: users tagged by team, allowed sts:AssumeRole and sts:TagSession"
ASSUME='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}'
declare -A KEY SECRET
for u in alice:red bob:blue; do
	name=${u%%:*} team=${u##*:}
	call iam create-user --user-name "$name" --tags "Key=team,Value=$team"
	call iam put-user-policy --user-name "$name" --policy-name assume --policy-document "$ASSUME"
	call iam create-access-key --user-name "$name" --output text --query 'AccessKey.[AccessKeyId,SecretAccessKey]'
	IFS=$'\t' read -r KEY[$name] SECRET[$name] <<<"$OUT"
done
call iam list-user-tags --user-name alice --output text --query 'Tags[0].[Key,Value]'
[ "$OUT" = "team	red" ] || fail "alice's tags: $OUT"
ok "alice (team=red), bob (team=blue)"

STEP="admin: one role, one policy for every team"
TRUST='{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$ACCT"':root"},"Action":"sts:AssumeRole"},
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$ACCT"':root"},"Action":"sts:TagSession",
  "Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}]}'
READ='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",
  "Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}'
call iam create-role --role-name team-reader --assume-role-policy-document "$TRUST" --output text --query Role.Arn
ROLE=$OUT
call iam put-role-policy --role-name team-reader --policy-name read-own-team --policy-document "$READ"
ok "$ROLE"

for u in alice:red:blue bob:blue:red; do
	IFS=: read -r name team other <<<"$u"
	STEP="$name: sts assume-role --tags Key=team,Value=$team"
	OUT=$(as "${KEY[$name]}" "${SECRET[$name]}" "" sts assume-role --role-arn "$ROLE" --role-session-name "$name" \
		--tags "Key=team,Value=$team" --output text \
		--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' 2>"$TMP/stderr") || fail "$(cat "$TMP/stderr")"
	IFS=$'\t' read -r SK SS ST <<<"$OUT"
	ok

	STEP="$name's session: reads abac/$team"
	OUT=$(as "$SK" "$SS" "$ST" secretsmanager get-secret-value --secret-id "abac/$team" --output text --query SecretString 2>"$TMP/stderr") ||
		fail "$(cat "$TMP/stderr")"
	[ "$OUT" = "$team-password" ] || fail "SecretString '$OUT'"
	ok

	STEP="$name's session: abac/$other is refused"
	refused AccessDeniedException "$SK" "$SS" "$ST" secretsmanager get-secret-value --secret-id "abac/$other"
	ok

	STEP="$name: tagging the session with team=$other is refused"
	refused AccessDenied "${KEY[$name]}" "${SECRET[$name]}" "" sts assume-role --role-arn "$ROLE" --role-session-name "$name" \
		--tags "Key=team,Value=$other"
	grep -q "sts:TagSession" "$TMP/stderr" || fail "the refusal does not name sts:TagSession: $(cat "$TMP/stderr")"
	ok
done

echo "PASS abac walkthrough"
