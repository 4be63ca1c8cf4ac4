#!/usr/bin/env bash
# least-privilege-cli.sh runs the seeds' least-privilege scenario
# (internal/authz/leastprivilege_test.go) with the aws CLI alone, as the
# seeds' users would: the admin sets up a key, three roles and a CI user; the
# CI user assumes each role and keeps each session in its own profile; every
# allow and every deny is checked, denials by AWS's error code and message.
#
# It creates the roles deploy, exec and auditor and the user pipeline, so run
# it against a server that has none of them (a fresh data folder).
#
# Environment:
#   SEALBOX_ENDPOINT             e.g. http://127.0.0.1:8777 (required)
#   AWS_SHARED_CREDENTIALS_FILE  the server's admin-credentials file
#   AWS_PROFILE                  its profile, sealbox
#   AWS_REGION                   us-east-1 (aws CLI v1 only reads
#                                AWS_DEFAULT_REGION; it is set from this)
#   AWS_CA_BUNDLE                the server's CA when it serves HTTPS
#
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail

: "${AWS_SHARED_CREDENTIALS_FILE:?set AWS_SHARED_CREDENTIALS_FILE to the admin-credentials file of the server}"
SCRIPT=least-privilege-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"
ADMIN=${AWS_PROFILE:-sealbox}
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# One credentials file: the admin's profile, then one profile per identity.
CREDS="$TMP/credentials"
{ cat "$AWS_SHARED_CREDENTIALS_FILE"; echo; } >"$CREDS"
chmod 600 "$CREDS"
export AWS_SHARED_CREDENTIALS_FILE="$CREDS"

STEP=""
OUT=""

fail() {
	echo "FAIL [$1]: $2" >&2
	exit 1
}

ok() {
	echo "ok   $STEP${1:+: $1}"
}

# run_as PROFILE ARGS...: run aws ARGS with PROFILE's credentials.
run_as() {
	local profile=$1
	shift
	"$AWS" --endpoint-url "$SEALBOX_ENDPOINT" --profile "$profile" "$@"
}

# call PROFILE ARGS...: aws ARGS as PROFILE must succeed; stdout lands in OUT.
call() {
	local profile=$1
	if ! OUT=$(run_as "$@" 2>"$TMP/stderr"); then
		fail "$STEP" "as $profile, aws $2 $3 failed: $(cat "$TMP/stderr")"
	fi
}

# denied PROFILE WHO ACTION BECAUSE ARGS...: aws ARGS as PROFILE must fail
# with AccessDeniedException, saying "User: WHO is not authorized to perform:
# ACTION ... BECAUSE".
denied() {
	local profile=$1 who=$2 action=$3 because=$4 rc=0
	shift 4
	OUT=$(run_as "$profile" "$@" 2>"$TMP/stderr") || rc=$?
	[ "$rc" -ne 0 ] || fail "$STEP" "as $profile, aws $1 $2 should have been denied but succeeded: $OUT"
	local err
	err=$(cat "$TMP/stderr")
	case "$err" in
	*"An error occurred (AccessDeniedException) when calling the "*" operation: User: $who is not authorized to perform: $action"*) ;;
	*) fail "$STEP" "as $profile, aws $1 $2: want AccessDeniedException naming $who and $action; exit $rc, stderr: $err" ;;
	esac
	case "$err" in
	*"$because"*) ;;
	*) fail "$STEP" "as $profile, aws $1 $2: the message does not say '$because': $err" ;;
	esac
}

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$STEP" "$1: got '$2', want '$3'"
}

# b64file B64 FILE: decode base64 text into FILE.
b64file() {
	printf '%s' "$1" | base64 -d >"$2" 2>"$TMP/b64err" || fail "$STEP" "not base64: '$1' ($(cat "$TMP/b64err"))"
}

# same_bytes WHAT GOT_FILE WANT_FILE
same_bytes() {
	cmp -s "$2" "$3" || fail "$STEP" "$1 differ: got [$(od -An -c "$2" | tr -s ' \n' ' ')], want [$(od -An -c "$3" | tr -s ' \n' ' ')]"
}

# profile NAME KEY SECRET [TOKEN]: add a profile to the credentials file.
profile() {
	{
		echo "[$1]"
		echo "aws_access_key_id = $2"
		echo "aws_secret_access_key = $3"
		[ -z "${4:-}" ] || echo "aws_session_token = $4"
		echo
	} >>"$CREDS"
}

# assume ROLE SESSION: pipeline assumes ROLE; its session becomes profile
# ROLE; SESSION_ARN is the assumed-role ARN.
assume() {
	call pipeline sts assume-role --role-arn "arn:aws:iam::$ACCT:role/$1" --role-session-name "$2" --output text \
		--query '[Credentials.AccessKeyId, Credentials.SecretAccessKey, Credentials.SessionToken, AssumedRoleUser.Arn]'
	local akid secret token
	IFS=$'\t' read -r akid secret token SESSION_ARN <<<"$OUT"
	[[ "$akid" == ASIA* ]] || fail "$STEP" "AccessKeyId '$akid' is not a session key (ASIA...)"
	[ -n "$token" ] && [ "$token" != None ] || fail "$STEP" "no SessionToken: '$OUT'"
	expect AssumedRoleUser.Arn "$SESSION_ARN" "arn:aws:sts::$ACCT:assumed-role/$1/$2"
	profile "$1" "$akid" "$secret" "$token"
}

echo "sealbox least-privilege CLI run against $SEALBOX_ENDPOINT ($("$AWS" --version 2>&1 | cut -d' ' -f1))"

printf 'db-password' >"$TMP/secret.txt"

# --- 1. the admin sets up the key, the roles and the CI user ---------------

STEP="admin: sts get-caller-identity"
call "$ADMIN" sts get-caller-identity --output text --query '[Account, Arn]'
IFS=$'\t' read -r ACCT admin_arn <<<"$OUT"
[[ "$ACCT" =~ ^[0-9]{12}$ ]] || fail "$STEP" "Account is not an account id: '$OUT'"
ok "$admin_arn"

STEP="admin: kms create-key"
call "$ADMIN" kms create-key --description "least-privilege app key" --output text --query '[KeyMetadata.KeyId, KeyMetadata.Arn]'
IFS=$'\t' read -r KEY_ID KEY_ARN <<<"$OUT"
[[ "$KEY_ARN" == arn:aws:kms:*:"$ACCT":key/"$KEY_ID" ]] || fail "$STEP" "Arn '$KEY_ARN' is not this account's key/$KEY_ID"
ok "$KEY_ARN"

TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$ACCT':root"},"Action":"sts:AssumeRole"}]}'
DEPLOY_POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"'$KEY_ARN'"}]}'
EXEC_POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"'$KEY_ARN'","Condition":{"StringEquals":{"kms:EncryptionContext:app":"billing"}}}]}'

# make_role NAME [POLICY]: a role the account may assume, with its policy.
make_role() {
	call "$ADMIN" iam create-role --role-name "$1" --assume-role-policy-document "$TRUST" --output text --query Role.Arn
	expect Role.Arn "$OUT" "arn:aws:iam::$ACCT:role/$1"
	if [ -n "${2:-}" ]; then
		call "$ADMIN" iam put-role-policy --role-name "$1" --policy-name inline --policy-document "$2"
	fi
}

STEP="admin: iam create-role deploy + put-role-policy (kms:Encrypt, kms:DescribeKey)"
make_role deploy "$DEPLOY_POLICY"
DEPLOY_ROLE="arn:aws:iam::$ACCT:role/deploy"
ok

STEP="admin: iam create-role exec + put-role-policy (kms:Decrypt if app=billing)"
make_role exec "$EXEC_POLICY"
EXEC_ROLE="arn:aws:iam::$ACCT:role/exec"
ok

STEP="admin: iam create-role auditor (no policy)"
make_role auditor
AUDITOR_ROLE="arn:aws:iam::$ACCT:role/auditor"
ok

STEP="admin: iam create-user pipeline + put-user-policy (sts:AssumeRole) + create-access-key"
call "$ADMIN" iam create-user --user-name pipeline --output text --query User.Arn
expect User.Arn "$OUT" "arn:aws:iam::$ACCT:user/pipeline"
call "$ADMIN" iam put-user-policy --user-name pipeline --policy-name assume \
	--policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
call "$ADMIN" iam create-access-key --user-name pipeline --output text --query '[AccessKey.AccessKeyId, AccessKey.SecretAccessKey]'
IFS=$'\t' read -r akid secret <<<"$OUT"
[[ "$akid" == AKIA* ]] || fail "$STEP" "AccessKeyId '$akid' is not a long-term key (AKIA...)"
profile pipeline "$akid" "$secret"
ok "$akid"

# --- 2. the CI user assumes each role --------------------------------------

STEP="pipeline: sts get-caller-identity"
call pipeline sts get-caller-identity --output text --query Arn
expect Arn "$OUT" "arn:aws:iam::$ACCT:user/pipeline"
ok "$OUT"

STEP="pipeline: sts assume-role deploy"
assume deploy ci-42
DEPLOY_SESSION=$SESSION_ARN
ok "$DEPLOY_SESSION"

STEP="pipeline: sts assume-role exec"
assume exec fn-cold-start
EXEC_SESSION=$SESSION_ARN
ok "$EXEC_SESSION"

STEP="pipeline: sts assume-role auditor"
assume auditor audit
AUDITOR_SESSION=$SESSION_ARN
ok "$AUDITOR_SESSION"

# --- 3. deploy encrypts and describes, but cannot decrypt ------------------

STEP="deploy: sts get-caller-identity"
call deploy sts get-caller-identity --output text --query '[Arn, Account, UserId]'
IFS=$'\t' read -r arn account userid <<<"$OUT"
expect Arn "$arn" "$DEPLOY_SESSION"
expect Account "$account" "$ACCT"
[[ "$userid" == *:ci-42 ]] || fail "$STEP" "UserId '$userid' does not end in :ci-42"
ok "$userid"

STEP="deploy: kms encrypt (app=billing)"
call deploy kms encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/secret.txt" --encryption-context app=billing \
	--output text --query '[KeyId, CiphertextBlob]'
IFS=$'\t' read -r kid ct <<<"$OUT"
expect KeyId "$kid" "$KEY_ARN"
b64file "$ct" "$TMP/billing.bin"
ok "$(wc -c <"$TMP/billing.bin" | tr -d ' ') byte blob"

STEP="deploy: kms describe-key"
call deploy kms describe-key --key-id "$KEY_ID" --output text --query KeyMetadata.Arn
expect Arn "$OUT" "$KEY_ARN"
ok

STEP="deploy: kms decrypt is denied"
denied deploy "$DEPLOY_SESSION" kms:Decrypt "because no identity-based policy allows the kms:Decrypt action" \
	kms decrypt --ciphertext-blob "fileb://$TMP/billing.bin" --encryption-context app=billing
ok "AccessDeniedException, no identity-based policy"

# --- 4. exec decrypts under app=billing, and nothing else ------------------

STEP="exec: sts get-caller-identity"
call exec sts get-caller-identity --output text --query Arn
expect Arn "$OUT" "arn:aws:sts::$ACCT:assumed-role/exec/fn-cold-start"
ok "$OUT"

STEP="exec: kms decrypt (app=billing)"
call exec kms decrypt --ciphertext-blob "fileb://$TMP/billing.bin" --encryption-context app=billing --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/secret.txt"
ok "'$(cat "$TMP/plain.out")'"

STEP="exec: kms encrypt is denied"
denied exec "$EXEC_SESSION" kms:Encrypt "because no identity-based policy allows the kms:Encrypt action" \
	kms encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/secret.txt" --encryption-context app=billing
ok "AccessDeniedException, no identity-based policy"

STEP="exec: kms decrypt (app=payroll) is denied"
call "$ADMIN" kms encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/secret.txt" --encryption-context app=payroll --output text --query CiphertextBlob
b64file "$OUT" "$TMP/payroll.bin"
denied exec "$EXEC_SESSION" kms:Decrypt "because no identity-based policy allows the kms:Decrypt action" \
	kms decrypt --ciphertext-blob "fileb://$TMP/payroll.bin" --encryption-context app=payroll
ok "AccessDeniedException, the condition does not match"

# --- 5. a grant lets auditor decrypt, until it is retired ------------------

STEP="auditor: kms decrypt is denied before the grant"
denied auditor "$AUDITOR_SESSION" kms:Decrypt "because no identity-based policy allows the kms:Decrypt action" \
	kms decrypt --ciphertext-blob "fileb://$TMP/billing.bin" --encryption-context app=billing
ok "AccessDeniedException"

STEP="admin: kms create-grant (auditor, Decrypt)"
call "$ADMIN" kms create-grant --key-id "$KEY_ID" --grantee-principal "$AUDITOR_ROLE" --operations Decrypt --output text --query GrantId
GRANT_ID=$OUT
[ -n "$GRANT_ID" ] && [ "$GRANT_ID" != None ] || fail "$STEP" "no GrantId: '$OUT'"
ok "$GRANT_ID"

STEP="auditor: kms decrypt with the grant"
call auditor kms decrypt --ciphertext-blob "fileb://$TMP/billing.bin" --encryption-context app=billing --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/secret.txt"
ok "'$(cat "$TMP/plain.out")'"

STEP="admin: kms retire-grant"
call "$ADMIN" kms retire-grant --key-id "$KEY_ARN" --grant-id "$GRANT_ID"
expect output "$OUT" ""
ok

STEP="auditor: kms decrypt is denied after retire-grant"
denied auditor "$AUDITOR_SESSION" kms:Decrypt "because no identity-based policy allows the kms:Decrypt action" \
	kms decrypt --ciphertext-blob "fileb://$TMP/billing.bin" --encryption-context app=billing
ok "AccessDeniedException"

# --- 6. the key policy stops delegating to IAM -----------------------------

STEP="admin: kms put-key-policy (only deploy may kms:Encrypt)"
call "$ADMIN" kms put-key-policy --key-id "$KEY_ID" --policy-name default --bypass-policy-lockout-safety-check \
	--policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"'"$DEPLOY_ROLE"'"},"Action":"kms:Encrypt","Resource":"*"}]}'
ok

STEP="exec: kms decrypt is denied without delegation"
denied exec "$EXEC_SESSION" kms:Decrypt "because no resource-based policy allows the kms:Decrypt action" \
	kms decrypt --ciphertext-blob "fileb://$TMP/billing.bin" --encryption-context app=billing
ok "AccessDeniedException, no resource-based policy"

STEP="deploy: kms encrypt, named by the key policy"
call deploy kms encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/secret.txt" --output text --query KeyId
expect KeyId "$OUT" "$KEY_ARN"
ok

# --- 7. the policy simulator agrees ----------------------------------------

STEP="admin: iam simulate-principal-policy (exec, app=billing)"
call "$ADMIN" iam simulate-principal-policy --policy-source-arn "$EXEC_ROLE" --action-names kms:Decrypt kms:Encrypt \
	--resource-arns "$KEY_ARN" --context-entries ContextKeyName=kms:EncryptionContext:app,ContextKeyValues=billing,ContextKeyType=string \
	--output text --query 'EvaluationResults[].[EvalActionName, EvalDecision]'
got=$(printf '%s\n' "$OUT" | sort | tr '\t\n' '=;')
expect EvalDecisions "$got" "kms:Decrypt=allowed;kms:Encrypt=implicitDeny;"
ok "$got"

STEP="admin: iam simulate-principal-policy: where the deciding statement is written"
call "$ADMIN" iam simulate-principal-policy --policy-source-arn "$EXEC_ROLE" --action-names kms:Decrypt \
	--resource-arns "$KEY_ARN" --context-entries ContextKeyName=kms:EncryptionContext:app,ContextKeyValues=billing,ContextKeyType=string \
	--output text --query 'EvaluationResults[0].MatchedStatements[].[SourcePolicyId, SourcePolicyType, StartPosition.Line, StartPosition.Column, EndPosition.Line, EndPosition.Column]'
got=$(printf '%s' "$OUT" | tr '\t' ' ')
# EXEC_POLICY is one line, its statement the only item of the list: AWS
# counts from just past the [ (the 37th character) to just past the
# statement's } (the document ends with it and "]}").
expect MatchedStatements "$got" "inline role 1 38 1 $((${#EXEC_POLICY} - 1))"
ok "$got"

echo "PASS: sealbox least-privilege CLI run"
