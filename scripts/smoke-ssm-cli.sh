#!/usr/bin/env bash
# smoke-ssm-cli.sh drives a running sealbox's Parameter Store with the aws
# CLI, as the seeds' deploy scripts do: a String and a SecureString, a read
# with decryption, the encrypted-at-deploy-time pattern (the ciphertext blob
# decrypted with KMS under the PARAMETER_ARN context), and a tree read by path.
#
# Environment: SEALBOX_ENDPOINT (required); AWS_SHARED_CREDENTIALS_FILE and
# AWS_PROFILE=sealbox (the server's admin-credentials file); AWS_REGION.
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail
SCRIPT=smoke-ssm-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"

ssm() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" ssm "$@"; }
kms() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" kms "$@"; }
fail() { echo "FAIL [$1]: $2" >&2; exit 1; }
ok() { echo "ok   $1${2:+: $2}"; }

APP="/smoke-cli-$RANDOM$RANDOM"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

step="put-parameter String and SecureString"
ssm put-parameter --name "$APP/db/endpoint" --value db.internal:5432 --type String >/dev/null
# A customer key: the deploy pattern below decrypts the blob with KMS
# directly, which alias/aws/ssm's policy allows only through SSM.
key=$(kms create-key --description "app config" --query KeyMetadata.Arn --output text)
ssm put-parameter --name "$APP/db/password" --value 'p@ss w0rd!' --type SecureString --key-id "$key" >/dev/null
ok "$step"

step="get-parameter --with-decryption"
got=$(ssm get-parameter --name "$APP/db/password" --with-decryption --query Parameter.Value --output text)
[ "$got" = 'p@ss w0rd!' ] || fail "$step" "value = $got"
arn=$(ssm get-parameter --name "$APP/db/password" --query Parameter.ARN --output text)
ok "$step" "$arn"

step="encrypted at deploy time: kms decrypt under PARAMETER_ARN"
ssm get-parameter --name "$APP/db/password" --no-with-decryption --query Parameter.Value --output text | base64 -d >"$TMP/blob"
plain=$(kms decrypt --ciphertext-blob "fileb://$TMP/blob" --encryption-context "PARAMETER_ARN=$arn" --query Plaintext --output text | base64 -d)
[ "$plain" = 'p@ss w0rd!' ] || fail "$step" "decrypted = $plain"
ok "$step"

step="get-parameters-by-path on a tree"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  ssm put-parameter --name "$APP/cfg/k$i" --value "$i" --type String >/dev/null
done
# The CLI pages on its own and applies --query to each page: count names.
n=$(ssm get-parameters-by-path --path "$APP/cfg" --query 'Parameters[].Name' --output text | wc -w)
[ "$n" = 12 ] || fail "$step" "$n parameters, want 12"
n=$(ssm get-parameters-by-path --path "$APP" --recursive --with-decryption --query 'Parameters[].Name' --output text | wc -w)
[ "$n" = 14 ] || fail "$step" "recursive: $n parameters, want 14"
ok "$step" "12 one level, 14 recursive"

step="missing parameter"
if out=$(ssm get-parameter --name "$APP/missing" 2>&1); then fail "$step" "found: $out"; fi
case "$out" in *ParameterNotFound*) ;; *) fail "$step" "$out" ;; esac
ok "$step"

step="delete-parameters"
ssm delete-parameters --names "$APP/db/endpoint" "$APP/db/password" >/dev/null
ok "$step"
echo "ssm CLI smoke passed"
