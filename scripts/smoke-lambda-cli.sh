#!/usr/bin/env bash
# smoke-lambda-cli.sh runs the first seed end to end with the aws CLI and
# sealbox exec: create-key and create-alias, an execution role with the
# seed's kms:Decrypt policy, create-function, update-function-configuration
# with --kms-key-arn and DB_ENDPOINT / DB_PORT, then `sealbox exec` as that
# role runs a program that prints them. Also: exec refused without the
# policy (and saying why), a 4 KB+ environment refused, a masked read and a
# permitted reveal, and references to a SecureString and to a secret's JSON
# key resolved at start, each with its audit event.
#
# Environment: SEALBOX_ENDPOINT, SEALBOX_BIN (the sealbox binary),
# SEALBOX_DATA (the server's data folder, for its audit files);
# AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE=sealbox (the admin); AWS_REGION.
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail
SCRIPT=smoke-lambda-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"
: "${SEALBOX_BIN:?set SEALBOX_BIN to the sealbox binary}"
: "${SEALBOX_DATA:?set SEALBOX_DATA to the server data folder}"

aws_() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" "$@"; }
fail() { echo "FAIL [$1]: $2" >&2; exit 1; }
ok() { echo "ok   $1${2:+: $2}"; }
# deployer CMD...: run CMD as the deploy user (the account's root may not
# assume roles, as in AWS).
deployer() { env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID="$DAK" AWS_SECRET_ACCESS_KEY="$DSK" "$@"; }
# sbexec ARGS...: sealbox exec as the deploy user (who assumes --role-arn).
sbexec() { deployer "$SEALBOX_BIN" exec --endpoint "$SEALBOX_ENDPOINT" "$@"; }
# as ROLE_ARN CMD...: run CMD with a session of the role in the environment.
as() {
	local role=$1
	shift
	local creds
	creds=$(deployer "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" sts assume-role --role-arn "$role" --role-session-name smoke \
		--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
	read -r ak sk st <<<"$creds"
	env -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" AWS_SESSION_TOKEN="$st" "$@"
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
R=$RANDOM$RANDOM
FN="orders-$R"
ACCOUNT=$(aws_ sts get-caller-identity --query Account --output text)

step="a deploy user that may assume roles"
aws_ iam create-user --user-name "deployer-$R" >/dev/null
aws_ iam put-user-policy --user-name "deployer-$R" --policy-name assume \
	--policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
read -r DAK DSK < <(aws_ iam create-access-key --user-name "deployer-$R" --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
ok "$step"

step="create-key and create-alias"
KEY=$(aws_ kms create-key --description "orders environment" --query KeyMetadata.Arn --output text)
aws_ kms create-alias --alias-name "alias/orders-$R" --target-key-id "$KEY"
ok "$step" "$KEY"

step="create-role and the seed's policy document"
TRUST='{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'"$ACCOUNT"':root"},"Action":"sts:AssumeRole"}]}'
ROLE=$(aws_ iam create-role --role-name "orders-exec-$R" --assume-role-policy-document "$TRUST" --query Role.Arn --output text)
POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"'"$KEY"'"}]}'
ok "$step" "$ROLE"

step="create-function"
printf 'def handler(event, context):\n    return "ok"\n' >"$TMP/app.py"
(cd "$TMP" && python3 -c 'import zipfile; z = zipfile.ZipFile("code.zip", "w"); z.write("app.py"); z.close()')
state=$(aws_ lambda create-function --function-name "$FN" --runtime python3.12 --handler app.handler \
	--role "$ROLE" --zip-file "fileb://$TMP/code.zip" --query State --output text)
[ "$state" = Active ] || fail "$step" "State = $state"
ok "$step"

step="update-function-configuration --kms-key-arn --environment"
got=$(aws_ lambda update-function-configuration --function-name "$FN" --kms-key-arn "$KEY" \
	--environment 'Variables={DB_ENDPOINT=orders-db.internal.example,DB_PORT=5432}' --query '[KMSKeyArn,LastUpdateStatus]' --output text)
[ "$got" = "$KEY	Successful" ] || fail "$step" "$got"
ok "$step"

step="exec without the policy is refused and says why"
if out=$(sbexec --function "$FN" --role-arn "$ROLE" -- sh -c 'echo started' 2>&1); then
	fail "$step" "exec ran: $out"
fi
case "$out" in *started*) fail "$step" "the program started: $out" ;; esac
case "$out" in *kms:Decrypt*"$KEY"*) ;; *) fail "$step" "the refusal does not name kms:Decrypt and the key: $out" ;; esac
ok "$step" "$out"

step="exec as the execution role prints the variables"
aws_ iam put-role-policy --role-name "orders-exec-$R" --policy-name env-decrypt --policy-document "$POLICY"
out=$(sbexec --function "$FN" --role-arn "$ROLE" -- sh -c 'echo "$DB_ENDPOINT $DB_PORT $AWS_LAMBDA_FUNCTION_NAME $AWS_LAMBDA_FUNCTION_VERSION"')
[ "$out" = "orders-db.internal.example 5432 $FN \$LATEST" ] || fail "$step" "printed: $out"
ok "$step" "$out"

step="exec passes the exit status through"
set +e
sbexec --function "$FN" --role-arn "$ROLE" -- sh -c 'exit 7'
rc=$?
set -e
[ "$rc" = 7 ] || fail "$step" "exit status $rc, want 7"
ok "$step"

step="a 4 KB+ environment is refused"
BIG=$(head -c 4100 /dev/zero | tr '\0' x)
if out=$(aws_ lambda update-function-configuration --function-name "$FN" --environment "{\"Variables\":{\"BIG\":\"$BIG\"}}" 2>&1); then
	fail "$step" "accepted"
fi
case "$out" in *InvalidParameterValueException*4KB*) ;; *) fail "$step" "$out" ;; esac
case "$out" in *xxxxxxxx*) fail "$step" "the refusal quotes the value" ;; esac
ok "$step"

step="a masked read for a reader that may not reveal"
READ='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunctionConfiguration","Resource":"*"}]}'
READER=$(aws_ iam create-role --role-name "orders-reader-$R" --assume-role-policy-document "$TRUST" --query Role.Arn --output text)
aws_ iam put-role-policy --role-name "orders-reader-$R" --policy-name read --policy-document "$READ"
got=$(as "$READER" "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" lambda get-function-configuration --function-name "$FN" \
	--query '[Environment.Variables.DB_ENDPOINT,Environment.Variables.DB_PORT]' --output text)
[ "$got" = '{{sealbox:masked}}	{{sealbox:masked}}' ] || fail "$step" "$got"
ok "$step"

step="a permitted reveal"
REVEAL='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:GetFunctionConfiguration","sealbox:RevealEnvironment"],"Resource":"*"},
 {"Effect":"Allow","Action":"kms:Decrypt","Resource":"'"$KEY"'"}]}'
REVEALER=$(aws_ iam create-role --role-name "orders-revealer-$R" --assume-role-policy-document "$TRUST" --query Role.Arn --output text)
aws_ iam put-role-policy --role-name "orders-revealer-$R" --policy-name reveal --policy-document "$REVEAL"
got=$(as "$REVEALER" "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" lambda get-function-configuration --function-name "$FN" \
	--query Environment.Variables.DB_ENDPOINT --output text)
[ "$got" = orders-db.internal.example ] || fail "$step" "$got"
ok "$step"

step="references to a SecureString and to a secret's JSON key, resolved at start"
aws_ ssm put-parameter --name "/orders-$R/db-password" --type SecureString --key-id "$KEY" --value 'pa55-from-ssm' >/dev/null
SECRET=$(aws_ secretsmanager create-secret --name "orders-$R/api" --kms-key-id "$KEY" \
	--secret-string '{"token":"tok-from-secrets","other":"x"}' --query ARN --output text)
aws_ lambda update-function-configuration --function-name "$FN" --environment "{\"Variables\":{
 \"DB_ENDPOINT\":\"orders-db.internal.example\",
 \"DB_PASSWORD\":\"{{resolve:ssm-secure:/orders-$R/db-password}}\",
 \"API_TOKEN\":\"{{resolve:secretsmanager:orders-$R/api:SecretString:token}}\"}}" >/dev/null
REFS='{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:'"$ACCOUNT"':parameter/orders-'"$R"'/*"},
 {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"'"$SECRET"'"}]}'
aws_ iam put-role-policy --role-name "orders-exec-$R" --policy-name references --policy-document "$REFS"
out=$(sbexec --function "$FN" --role-arn "$ROLE" -- sh -c 'echo "$DB_PASSWORD $API_TOKEN"')
[ "$out" = "pa55-from-ssm tok-from-secrets" ] || fail "$step" "printed: $out"
stored=$(aws_ lambda get-function-configuration --function-name "$FN" --query Environment.Variables.API_TOKEN --output text)
[ "$stored" = "{{resolve:secretsmanager:orders-$R/api:SecretString:token}}" ] || fail "$step" "stored as $stored"
ok "$step"

step="one audit event per resolved reference"
for var in DB_PASSWORD API_TOKEN; do
	n=$(cat "$SEALBOX_DATA"/audit/*.jsonl | grep '"eventName":"ResolveEnvironmentReference"' | grep -c "\"variable\":\"$var\"" || true)
	[ "$n" -ge 1 ] || fail "$step" "no ResolveEnvironmentReference event for $var"
done
if grep -q -e 'pa55-from-ssm' -e 'tok-from-secrets' -e 'orders-db.internal.example' "$SEALBOX_DATA"/audit/*.jsonl; then
	fail "$step" "a value reached the audit trail"
fi
ok "$step"

step="a reference the role may not read stops exec"
aws_ iam delete-role-policy --role-name "orders-exec-$R" --policy-name references
if out=$(sbexec --function "$FN" --role-arn "$ROLE" -- sh -c 'echo started' 2>&1); then
	fail "$step" "exec ran: $out"
fi
case "$out" in *ssm:GetParameter*"/orders-$R/db-password"* | *secretsmanager:GetSecretValue*) ;; *) fail "$step" "$out" ;; esac
ok "$step"

step="sealbox encrypt and exec --decrypt-prefix"
CT=$("$SEALBOX_BIN" encrypt --endpoint "$SEALBOX_ENDPOINT" --key "alias/orders-$R" --context "LambdaFunctionName=$FN" 'helper-secret')
out=$(ENCRYPTED_HELPER="$CT" "$SEALBOX_BIN" exec --endpoint "$SEALBOX_ENDPOINT" --decrypt-prefix ENCRYPTED_ --context "LambdaFunctionName=$FN" -- sh -c 'echo "$HELPER ${ENCRYPTED_HELPER:-gone}"')
[ "$out" = "helper-secret gone" ] || fail "$step" "printed: $out"
ok "$step"

step="delete-function"
aws_ lambda delete-function --function-name "$FN"
if aws_ lambda get-function --function-name "$FN" >/dev/null 2>&1; then
	fail "$step" "still there"
fi
ok "$step"
echo "PASS $SCRIPT"
