#!/usr/bin/env bash
# smoke-cli.sh drives a running sealbox through the real aws CLI: the whole
# KMS flow a user would try first, checking real outcomes (bytes round-trip,
# key states, modeled error codes), one short line per step.
#
# Environment:
#   SEALBOX_ENDPOINT             e.g. http://127.0.0.1:8777 (required)
#   AWS_SHARED_CREDENTIALS_FILE  the server's admin-credentials file
#   AWS_PROFILE                  sealbox
#   AWS_REGION                   us-east-1 (aws CLI v1 only reads
#                                AWS_DEFAULT_REGION; it is set from this)
#   AWS_CA_BUNDLE                the server's CA when it serves HTTPS with
#                                --tls=auto
#   SMOKE_KEEP=1                 leave the keys and alias behind
#
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail

SCRIPT=smoke-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"

# Blob parameters: v1 sends a string argument as its raw bytes; v2 by default
# expects base64 unless told raw-in-base64-out. Make both send raw bytes.
BLOB_ARGS=()
if "$AWS" --version 2>&1 | grep -q '^aws-cli/2'; then
	BLOB_ARGS=(--cli-binary-format raw-in-base64-out)
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

STEP=""
OUT=""

fail() {
	echo "FAIL [$1]: $2" >&2
	exit 1
}

ok() {
	echo "ok   $STEP${1:+: $1}"
}

kms() {
	"$AWS" --endpoint-url "$SEALBOX_ENDPOINT" "${BLOB_ARGS[@]}" kms "$@"
}

# call ARGS...: run aws kms ARGS in step $STEP; its stdout lands in OUT.
call() {
	if ! OUT=$(kms "$@" 2>"$TMP/stderr"); then
		fail "$STEP" "aws kms $1 failed: $(cat "$TMP/stderr")"
	fi
}

# call_err CODE ARGS...: aws kms ARGS must fail with the AWS error CODE.
call_err() {
	local code=$1 rc=0
	shift
	OUT=$(kms "$@" 2>"$TMP/stderr") || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$STEP" "aws kms $1 should have failed with $code but succeeded: $OUT"
	fi
	if ! grep -qF "An error occurred ($code)" "$TMP/stderr"; then
		fail "$STEP" "aws kms $1 should have failed with $code; exit $rc, stderr: $(cat "$TMP/stderr")"
	fi
}

# expect WHAT GOT WANT
expect() {
	if [ "$2" != "$3" ]; then
		fail "$STEP" "$1: got '$2', want '$3'"
	fi
}

# b64file B64 FILE: decode base64 text into FILE.
b64file() {
	if ! printf '%s' "$1" | base64 -d >"$2" 2>"$TMP/b64err"; then
		fail "$STEP" "not base64: '$1' ($(cat "$TMP/b64err"))"
	fi
}

# same_bytes WHAT GOT_FILE WANT_FILE
same_bytes() {
	if ! cmp -s "$2" "$3"; then
		fail "$STEP" "$1 differ: got $(wc -c <"$2") bytes [$(od -An -tx1 "$2" | head -c 120 | tr -s ' \n' ' ')], want $(wc -c <"$3") bytes [$(od -An -tx1 "$3" | head -c 120 | tr -s ' \n' ' ')]"
	fi
}

size() { wc -c <"$1" | tr -d ' '; }

RUN="smoke-$(date +%s)-$$-$RANDOM"
ALIAS="alias/$RUN"
CTX="purpose=smoke,run=$RUN"
WRONG_CTX="purpose=smoke,run=someone-else"

echo "sealbox CLI smoke against $SEALBOX_ENDPOINT ($("$AWS" --version 2>&1 | cut -d' ' -f1))"

STEP="create-key"
call create-key --description "sealbox smoke $RUN" --tags TagKey=purpose,TagValue=smoke TagKey=run,TagValue="$RUN" \
	--output text --query '[KeyMetadata.KeyId, KeyMetadata.Arn, KeyMetadata.KeyState, KeyMetadata.Description, KeyMetadata.KeySpec]'
IFS=$'\t' read -r KEY_ID KEY_ARN state desc spec <<<"$OUT"
[[ "$KEY_ID" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || fail "$STEP" "KeyId is not a key id: '$OUT'"
[[ "$KEY_ARN" == arn:aws:kms:*:key/"$KEY_ID" ]] || fail "$STEP" "Arn '$KEY_ARN' does not end in key/$KEY_ID"
expect KeyState "$state" Enabled
expect Description "$desc" "sealbox smoke $RUN"
expect KeySpec "$spec" SYMMETRIC_DEFAULT
ok "$KEY_ID"

STEP="describe-key"
call describe-key --key-id "$KEY_ID" --output text --query '[KeyMetadata.Arn, KeyMetadata.KeyState, KeyMetadata.Enabled, KeyMetadata.Description, KeyMetadata.KeyUsage]'
IFS=$'\t' read -r arn state enabled desc usage <<<"$OUT"
expect Arn "$arn" "$KEY_ARN"
expect KeyState "$state" Enabled
expect Enabled "$enabled" True
expect Description "$desc" "sealbox smoke $RUN"
expect KeyUsage "$usage" ENCRYPT_DECRYPT
ok "$state"

STEP="describe-key (missing key)"
call_err NotFoundException describe-key --key-id 00000000-0000-4000-8000-000000000000
ok "NotFoundException"

STEP="list-keys"
call list-keys --output text --query "Keys[?KeyId=='$KEY_ID'].KeyArn"
expect "KeyArn listed" "$OUT" "$KEY_ARN"
ok "key listed"

STEP="create-alias"
call create-alias --alias-name "$ALIAS" --target-key-id "$KEY_ID"
expect output "$OUT" ""
ok "$ALIAS"

STEP="create-alias (duplicate)"
call_err AlreadyExistsException create-alias --alias-name "$ALIAS" --target-key-id "$KEY_ID"
ok "AlreadyExistsException"

STEP="list-aliases"
call list-aliases --key-id "$KEY_ID" --output text --query "Aliases[?AliasName=='$ALIAS'].[TargetKeyId, AliasArn]"
IFS=$'\t' read -r target alias_arn <<<"$OUT"
expect TargetKeyId "$target" "$KEY_ID"
[[ "$alias_arn" == arn:aws:kms:*:"$ALIAS" ]] || fail "$STEP" "AliasArn '$alias_arn' does not end in $ALIAS"
ok "$ALIAS -> $target"

STEP="describe-key (by alias)"
call describe-key --key-id "$ALIAS" --output text --query KeyMetadata.KeyId
expect KeyId "$OUT" "$KEY_ID"
ok "alias resolves"

# Binary plaintext with every awkward byte: NUL, newline, 0xff, high bytes.
printf 'bin\000ary\n\377\376 secret \001\002\003' >"$TMP/plain.bin"
head -c 200 /dev/urandom >>"$TMP/plain.bin"

STEP="encrypt (fileb://, via alias)"
call encrypt --key-id "$ALIAS" --plaintext "fileb://$TMP/plain.bin" --encryption-context "$CTX" \
	--output text --query '[KeyId, EncryptionAlgorithm, CiphertextBlob]'
IFS=$'\t' read -r kid alg ct <<<"$OUT"
expect KeyId "$kid" "$KEY_ARN"
expect EncryptionAlgorithm "$alg" SYMMETRIC_DEFAULT
b64file "$ct" "$TMP/ct.bin"
ok "$(size "$TMP/plain.bin") bytes -> $(size "$TMP/ct.bin") byte blob"

STEP="decrypt (fileb://)"
call decrypt --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX" --output text --query KeyId
expect KeyId "$OUT" "$KEY_ARN"
call decrypt --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/plain.bin"
ok "byte-for-byte equal"

STEP="decrypt (with --key-id)"
call decrypt --key-id "$KEY_ID" --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/plain.bin"
ok "byte-for-byte equal"

# aws CLI v1 sends a plain string given to a blob parameter as its raw bytes
# (v2 would want base64, hence BLOB_ARGS above).
STR='hello, sealbox: plain string ✓'
STEP="encrypt (plain string)"
call encrypt --key-id "$KEY_ID" --plaintext "$STR" --encryption-context "$CTX" --output text --query CiphertextBlob
b64file "$OUT" "$TMP/ct-str.bin"
ok "$(size "$TMP/ct-str.bin") byte blob"

STEP="decrypt (plain string)"
call decrypt --ciphertext-blob "fileb://$TMP/ct-str.bin" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/str.out"
printf '%s' "$STR" >"$TMP/str.want"
same_bytes plaintexts "$TMP/str.out" "$TMP/str.want"
ok "'$(cat "$TMP/str.out")'"

STEP="decrypt (wrong encryption context)"
call_err InvalidCiphertextException decrypt --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$WRONG_CTX"
ok "InvalidCiphertextException"

STEP="decrypt (no encryption context)"
call_err InvalidCiphertextException decrypt --ciphertext-blob "fileb://$TMP/ct.bin"
ok "InvalidCiphertextException"

STEP="decrypt (tampered blob)"
cp "$TMP/ct.bin" "$TMP/ct-bad.bin"
# Flip the last byte (inside the authentication tag).
last=$(tail -c 1 "$TMP/ct-bad.bin" | od -An -tu1 | tr -d ' ')
truncate -s -1 "$TMP/ct-bad.bin"
printf "\\$(printf '%03o' $(((last ^ 1) & 255)))" >>"$TMP/ct-bad.bin"
call_err InvalidCiphertextException decrypt --ciphertext-blob "fileb://$TMP/ct-bad.bin" --encryption-context "$CTX"
ok "InvalidCiphertextException"

STEP="create-key (second key)"
call create-key --description "sealbox smoke $RUN (re-encrypt target)" --output text --query '[KeyMetadata.KeyId, KeyMetadata.Arn]'
IFS=$'\t' read -r KEY2_ID KEY2_ARN <<<"$OUT"
[ -n "$KEY2_ID" ] && [ "$KEY2_ID" != "$KEY_ID" ] || fail "$STEP" "bad second key: '$OUT'"
ok "$KEY2_ID"

STEP="decrypt (wrong --key-id)"
call_err IncorrectKeyException decrypt --key-id "$KEY2_ID" --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX"
ok "IncorrectKeyException"

STEP="generate-data-key"
call generate-data-key --key-id "$KEY_ID" --key-spec AES_256 --encryption-context "$CTX" \
	--output text --query '[KeyId, Plaintext, CiphertextBlob]'
IFS=$'\t' read -r kid dk_plain dk_ct <<<"$OUT"
expect KeyId "$kid" "$KEY_ARN"
b64file "$dk_plain" "$TMP/dk.plain"
b64file "$dk_ct" "$TMP/dk.ct"
expect "Plaintext length" "$(size "$TMP/dk.plain")" 32
ok "32-byte data key"

STEP="decrypt (data key)"
call decrypt --ciphertext-blob "fileb://$TMP/dk.ct" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/dk.out"
same_bytes "data keys" "$TMP/dk.out" "$TMP/dk.plain"
ok "equals the Plaintext"

STEP="generate-data-key-without-plaintext"
call generate-data-key-without-plaintext --key-id "$ALIAS" --key-spec AES_256 --encryption-context "$CTX" \
	--output text --query '[KeyId, CiphertextBlob, Plaintext]'
IFS=$'\t' read -r kid dk2_ct dk2_plain <<<"$OUT"
expect KeyId "$kid" "$KEY_ARN"
expect "Plaintext (must be absent)" "$dk2_plain" None
b64file "$dk2_ct" "$TMP/dk2.ct"
call decrypt --ciphertext-blob "fileb://$TMP/dk2.ct" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/dk2.out"
expect "decrypted data key length" "$(size "$TMP/dk2.out")" 32
ok "no Plaintext; decrypts to 32 bytes"

STEP="re-encrypt"
call re-encrypt --ciphertext-blob "fileb://$TMP/ct.bin" --source-encryption-context "$CTX" \
	--destination-key-id "$KEY2_ID" --destination-encryption-context "purpose=reencrypted" \
	--output text --query '[SourceKeyId, KeyId, CiphertextBlob]'
IFS=$'\t' read -r src dst rct <<<"$OUT"
expect SourceKeyId "$src" "$KEY_ARN"
expect KeyId "$dst" "$KEY2_ARN"
b64file "$rct" "$TMP/rct.bin"
call decrypt --ciphertext-blob "fileb://$TMP/rct.bin" --encryption-context "purpose=reencrypted" --output text --query '[KeyId, Plaintext]'
IFS=$'\t' read -r kid p <<<"$OUT"
expect "decrypt KeyId" "$kid" "$KEY2_ARN"
b64file "$p" "$TMP/rct.out"
same_bytes plaintexts "$TMP/rct.out" "$TMP/plain.bin"
call_err InvalidCiphertextException decrypt --ciphertext-blob "fileb://$TMP/rct.bin" --encryption-context "$CTX"
ok "now under the second key, same bytes"

STEP="generate-random"
call generate-random --number-of-bytes 48 --output text --query Plaintext
b64file "$OUT" "$TMP/rand1"
call generate-random --number-of-bytes 48 --output text --query Plaintext
b64file "$OUT" "$TMP/rand2"
expect "random length" "$(size "$TMP/rand1")" 48
if cmp -s "$TMP/rand1" "$TMP/rand2"; then fail "$STEP" "two calls returned the same bytes"; fi
ok "48 bytes, different each call"

STEP="get-key-rotation-status (before)"
call get-key-rotation-status --key-id "$KEY_ID" --output text --query KeyRotationEnabled
expect KeyRotationEnabled "$OUT" False
ok "$OUT"

STEP="enable-key-rotation"
call enable-key-rotation --key-id "$KEY_ID"
call get-key-rotation-status --key-id "$KEY_ID" --output text --query '[KeyRotationEnabled, RotationPeriodInDays]'
IFS=$'\t' read -r enabled period <<<"$OUT"
expect KeyRotationEnabled "$enabled" True
[[ "$period" =~ ^[0-9]+$ ]] || fail "$STEP" "RotationPeriodInDays: got '$period'"
ok "enabled, every $period days"

STEP="rotate-key-on-demand"
call describe-key --key-id "$KEY_ID" --output text --query KeyMetadata.CurrentKeyMaterialId
material_before=$OUT
call rotate-key-on-demand --key-id "$KEY_ID" --output text --query KeyId
expect KeyId "$OUT" "$KEY_ARN"
call describe-key --key-id "$KEY_ID" --output text --query KeyMetadata.CurrentKeyMaterialId
if [ "$material_before" != None ] && [ "$OUT" = "$material_before" ]; then
	fail "$STEP" "CurrentKeyMaterialId did not change: $OUT"
fi
ok "rotated"

STEP="list-key-rotations"
call list-key-rotations --key-id "$KEY_ID" --output text --query 'Rotations[].[KeyId, RotationType]'
expect "rotations" "$OUT" "$KEY_ARN"$'\t'"ON_DEMAND"
ok "1 ON_DEMAND rotation"

STEP="decrypt (old ciphertext after rotation)"
call decrypt --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/plain.bin"
call encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/plain.bin" --output text --query CiphertextBlob
b64file "$OUT" "$TMP/ct-new.bin"
call decrypt --ciphertext-blob "fileb://$TMP/ct-new.bin" --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/plain.bin"
ok "old and new ciphertexts both decrypt"

STEP="tag-resource"
call tag-resource --key-id "$KEY_ID" --tags TagKey=team,TagValue=platform TagKey=purpose,TagValue=smoke-test
expect output "$OUT" ""
ok "2 tags"

STEP="list-resource-tags"
call list-resource-tags --key-id "$KEY_ID" --output text --query 'Tags[].[TagKey, TagValue]'
tags=$(printf '%s\n' "$OUT" | sort | tr '\t\n' '=;')
expect tags "$tags" "purpose=smoke-test;run=$RUN;team=platform;"
ok "$tags"

STEP="untag-resource"
call untag-resource --key-id "$KEY_ID" --tag-keys team
call list-resource-tags --key-id "$KEY_ID" --output text --query 'Tags[].TagKey'
tags=$(printf '%s' "$OUT" | tr '\t' '\n' | sort | tr '\n' ' ')
expect "tag keys" "$tags" "purpose run "
ok "team removed"

STEP="get-key-policy"
call get-key-policy --key-id "$KEY_ID" --policy-name default --output text --query Policy
printf '%s' "$OUT" | grep -q '"Statement"' || fail "$STEP" "no Statement in the policy: $OUT"
printf '%s' "$OUT" | grep -q '"kms:\*"' || fail "$STEP" "the default policy does not allow kms:*: $OUT"
if command -v python3 >/dev/null; then
	printf '%s' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>"$TMP/json" || fail "$STEP" "policy is not JSON: $(cat "$TMP/json")"
fi
ok "default policy allows kms:*"

STEP="disable-key"
call disable-key --key-id "$KEY_ID"
call describe-key --key-id "$KEY_ID" --output text --query '[KeyMetadata.KeyState, KeyMetadata.Enabled]'
IFS=$'\t' read -r state enabled <<<"$OUT"
expect KeyState "$state" Disabled
expect Enabled "$enabled" False
ok "$state"

STEP="encrypt (disabled key)"
call_err DisabledException encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/plain.bin"
ok "DisabledException"

STEP="decrypt (disabled key)"
call_err DisabledException decrypt --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX"
ok "DisabledException"

STEP="enable-key"
call enable-key --key-id "$KEY_ID"
call describe-key --key-id "$KEY_ID" --output text --query KeyMetadata.KeyState
expect KeyState "$OUT" Enabled
call encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/plain.bin" --output text --query KeyId
expect "encrypt KeyId" "$OUT" "$KEY_ARN"
ok "Enabled, encrypt works again"

STEP="schedule-key-deletion"
call schedule-key-deletion --key-id "$KEY_ID" --pending-window-in-days 7 \
	--output text --query '[KeyId, KeyState, PendingWindowInDays, DeletionDate]'
IFS=$'\t' read -r kid state window date <<<"$OUT"
expect KeyId "$kid" "$KEY_ARN"
expect KeyState "$state" PendingDeletion
expect PendingWindowInDays "$window" 7
[ -n "$date" ] && [ "$date" != None ] || fail "$STEP" "no DeletionDate: '$OUT'"
ok "deletion on $date"

STEP="describe-key (pending deletion)"
call describe-key --key-id "$KEY_ID" --output text --query '[KeyMetadata.KeyState, KeyMetadata.Enabled, KeyMetadata.DeletionDate]'
IFS=$'\t' read -r state enabled date <<<"$OUT"
expect KeyState "$state" PendingDeletion
expect Enabled "$enabled" False
[ -n "$date" ] && [ "$date" != None ] || fail "$STEP" "no DeletionDate: '$OUT'"
ok "$state"

STEP="encrypt (pending deletion)"
call_err KMSInvalidStateException encrypt --key-id "$KEY_ID" --plaintext "fileb://$TMP/plain.bin"
ok "KMSInvalidStateException"

STEP="cancel-key-deletion"
call cancel-key-deletion --key-id "$KEY_ID" --output text --query KeyId
expect KeyId "$OUT" "$KEY_ARN"
# As in AWS KMS, a key whose deletion is cancelled comes back Disabled.
call describe-key --key-id "$KEY_ID" --output text --query '[KeyMetadata.KeyState, KeyMetadata.DeletionDate]'
IFS=$'\t' read -r state date <<<"$OUT"
expect KeyState "$state" Disabled
expect DeletionDate "$date" None
call enable-key --key-id "$KEY_ID"
call decrypt --ciphertext-blob "fileb://$TMP/ct.bin" --encryption-context "$CTX" --output text --query Plaintext
b64file "$OUT" "$TMP/plain.out"
same_bytes plaintexts "$TMP/plain.out" "$TMP/plain.bin"
ok "Disabled, re-enabled, decrypts"

if [ "${SMOKE_KEEP:-}" != 1 ]; then
	STEP="cleanup"
	call delete-alias --alias-name "$ALIAS"
	call schedule-key-deletion --key-id "$KEY_ID" --pending-window-in-days 7
	call schedule-key-deletion --key-id "$KEY2_ID" --pending-window-in-days 7
	ok "alias deleted, keys scheduled for deletion"
fi

echo "PASS: sealbox CLI smoke"
