#!/usr/bin/env bash
# smoke-audit-cli.sh reads a running sealbox's audit trail the way people
# read CloudTrail's: `aws cloudtrail lookup-events` with each kind of lookup
# attribute, a time range, paging (--page-size makes the CLI follow
# NextToken) and CloudTrail's errors; the trail itself (describe-trails,
# get-trail, get-trail-status); then `sealbox audit tail` from the
# files and from the server, and `sealbox audit verify` of the files while
# the server runs. The calls it looks up are its own: a key, an encrypt and
# a decrypt under it, a decrypt refused.
#
# Environment: SEALBOX_ENDPOINT, SEALBOX_BIN (the sealbox binary),
# SEALBOX_DATA (the server's data folder); AWS_SHARED_CREDENTIALS_FILE and
# AWS_PROFILE=sealbox (the admin); AWS_REGION.
# Exits non-zero at the first mismatch, naming the step and what came back.
set -euo pipefail
SCRIPT=smoke-audit-cli
# shellcheck source=lib/aws-cli.sh
. "$(dirname "$0")/lib/aws-cli.sh"
: "${SEALBOX_BIN:?set SEALBOX_BIN to the sealbox binary}"
: "${SEALBOX_DATA:?set SEALBOX_DATA to the server data folder}"

aws_() { "$AWS" --endpoint-url "$SEALBOX_ENDPOINT" "$@"; }
ct() { aws_ cloudtrail lookup-events "$@"; }
fail() { echo "FAIL [$1]: $2" >&2; exit 1; }
ok() { echo "ok   $1${2:+: $2}"; }

step="the calls to look up"
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
KEY=$(aws_ kms create-key --description smoke-audit --query KeyMetadata.Arn --output text)
KEY_ID=${KEY##*/}
printf 'audited' >/tmp/smoke-audit-pt.$$
BLOB=$(aws_ kms encrypt --key-id "$KEY" --plaintext fileb:///tmp/smoke-audit-pt.$$ --encryption-context app=billing --query CiphertextBlob --output text)
rm -f /tmp/smoke-audit-pt.$$
echo "$BLOB" | base64 -d >/tmp/smoke-audit-blob.$$
got=$(aws_ kms decrypt --ciphertext-blob fileb:///tmp/smoke-audit-blob.$$ --encryption-context app=billing --query Plaintext --output text | base64 -d)
[ "$got" = audited ] || fail "$step" "decrypt = $got"
if aws_ kms decrypt --ciphertext-blob fileb:///tmp/smoke-audit-blob.$$ --encryption-context app=other >/dev/null 2>&1; then
	fail "$step" "decrypt with the wrong context succeeded"
fi
rm -f /tmp/smoke-audit-blob.$$
ok "$step" "$KEY"

step="lookup-events: newest first"
names=$(ct --max-results 5 --query 'Events[].EventName' --output text)
case "$names" in "Decrypt	Decrypt	Encrypt	CreateKey"*) ;; *) fail "$step" "$names" ;; esac
ok "$step" "$names"

step="lookup-events: EventName, and CloudTrailEvent as the record's JSON"
ev=$(ct --lookup-attributes AttributeKey=EventName,AttributeValue=Encrypt --query 'Events[0].CloudTrailEvent' --output text)
for want in '"eventSource":"kms.amazonaws.com"' '"eventName":"Encrypt"' '"encryptionContext":{"app":"billing"}' "\"ARN\":\"$KEY\""; do
	case "$ev" in *"$want"*) ;; *) fail "$step" "no $want in $ev" ;; esac
done
case "$ev" in *audited*) fail "$step" "the plaintext is in the event" ;; esac
ok "$step"

step="lookup-events: ResourceName (the ARN, and the key id), ResourceType"
n=$(ct --lookup-attributes "AttributeKey=ResourceName,AttributeValue=$KEY" --query 'length(Events)' --output text)
[ "$n" = 4 ] || fail "$step" "$n events on the key's ARN, want 4"
n=$(ct --lookup-attributes "AttributeKey=ResourceName,AttributeValue=$KEY_ID" --query 'length(Events)' --output text)
[ "$n" = 4 ] || fail "$step" "$n events on the key id, want 4"
res=$(ct --lookup-attributes AttributeKey=ResourceType,AttributeValue=AWS::KMS::Key --max-results 1 --query 'Events[0].Resources[0].[ResourceType,ResourceName]' --output text)
[ "$res" = "AWS::KMS::Key	$KEY" ] || fail "$step" "$res"
ok "$step"

step="lookup-events: ReadOnly, EventSource, Username, AccessKeyId, EventId"
n=$(ct --lookup-attributes AttributeKey=ReadOnly,AttributeValue=false --query 'Events[?EventName==`CreateKey`] | length(@)' --output text)
[ "$n" -ge 1 ] || fail "$step" "no CreateKey among the writes"
n=$(ct --lookup-attributes AttributeKey=ReadOnly,AttributeValue=false --query 'Events[?EventName==`Decrypt`] | length(@)' --output text)
[ "$n" = 0 ] || fail "$step" "a Decrypt among the writes"
src=$(ct --lookup-attributes AttributeKey=EventSource,AttributeValue=kms.amazonaws.com --max-results 1 --query 'Events[0].EventSource' --output text)
[ "$src" = kms.amazonaws.com ] || fail "$step" "EventSource $src"
AK=$("$AWS" configure get aws_access_key_id 2>/dev/null || true)
user=$(ct --lookup-attributes AttributeKey=Username,AttributeValue=admin --max-results 1 --query 'Events[0].Username' --output text)
[ "$user" = admin ] || fail "$step" "Username $user"
if [ -n "$AK" ]; then
	n=$(ct --lookup-attributes "AttributeKey=AccessKeyId,AttributeValue=$AK" --query 'length(Events)' --output text)
	[ "$n" -ge 4 ] || fail "$step" "$n events of $AK"
fi
ID=$(ct --lookup-attributes AttributeKey=EventName,AttributeValue=CreateKey --max-results 1 --query 'Events[0].EventId' --output text)
got=$(ct --lookup-attributes "AttributeKey=EventId,AttributeValue=$ID" --query 'Events[].EventName' --output text)
[ "$got" = CreateKey ] || fail "$step" "EventId $ID = $got"
ok "$step"

step="lookup-events: a time range"
n=$(ct --start-time "$START" --end-time "$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)" --lookup-attributes "AttributeKey=ResourceName,AttributeValue=$KEY" --query 'length(Events)' --output text)
[ "$n" = 4 ] || fail "$step" "$n events since $START, want 4"
n=$(ct --end-time 2001-01-01T00:00:00Z --query 'length(Events)' --output text)
[ "$n" = 0 ] || fail "$step" "$n events before 2001"
ok "$step"

step="lookup-events: paging through NextToken"
ids=$(ct --lookup-attributes "AttributeKey=ResourceName,AttributeValue=$KEY" --page-size 1 --query 'Events[].EventId' --output text)
n=$(echo "$ids" | wc -w)
u=$(echo "$ids" | tr '\t ' '\n\n' | sort -u | grep -c .)
[ "$n" = 4 ] && [ "$u" = 4 ] || fail "$step" "$n events ($u distinct) one page at a time, want 4"
ok "$step"

step="lookup-events: CloudTrail's errors"
expect_error() {
	local code=$1
	shift
	local out
	if out=$(ct "$@" 2>&1); then fail "$step" "$* succeeded: $out"; fi
	case "$out" in *"($code)"*) ;; *) fail "$step" "$* = $out, want $code" ;; esac
}
expect_error InvalidLookupAttributesException --lookup-attributes AttributeKey=EventName,AttributeValue=Decrypt AttributeKey=ReadOnly,AttributeValue=true
expect_error InvalidTimeRangeException --start-time 2026-01-02T00:00:00Z --end-time 2026-01-01T00:00:00Z
expect_error InvalidNextTokenException --starting-token bm90LWEtdG9rZW4 --max-items 1
ok "$step"

step="the trail: describe-trails, get-trail, get-trail-status"
# The name resolves in the trail's home region (us-east-1); elsewhere the
# trail is a multi-region trail's shadow, named by its ARN, as in AWS.
ACCOUNT=$(aws_ sts get-caller-identity --query Account --output text)
TRAIL_ARN="arn:aws:cloudtrail:us-east-1:$ACCOUNT:trail/sealbox"
got=$(aws_ cloudtrail describe-trails --query 'trailList[].[Name,TrailARN,IsMultiRegionTrail,LogFileValidationEnabled]' --output text)
[ "$got" = "sealbox	$TRAIL_ARN	True	True" ] || fail "$step" "describe-trails = $got"
got=$(aws_ cloudtrail get-trail --region us-east-1 --name sealbox --query Trail.HomeRegion --output text)
[ "$got" = us-east-1 ] || fail "$step" "get-trail = $got"
got=$(aws_ cloudtrail get-trail-status --region us-east-1 --name sealbox --query '[IsLogging,LatestDeliveryError]' --output text)
[ "$got" = "True	None" ] || fail "$step" "get-trail-status = $got"
got=$(aws_ cloudtrail get-trail-status --name "$TRAIL_ARN" --query LatestDeliveryTime --output text)
case "$got" in [0-9]*) ;; *) fail "$step" "get-trail-status by ARN: LatestDeliveryTime = $got" ;; esac
if out=$(aws_ cloudtrail get-trail-status --region us-east-1 --name other 2>&1); then fail "$step" "get-trail-status of another trail succeeded: $out"; fi
case "$out" in *"(TrailNotFoundException)"*"Unknown trail: arn:aws:cloudtrail:us-east-1:$ACCOUNT:trail/other for the user: $ACCOUNT"*) ;; *) fail "$step" "get-trail-status --name other = $out" ;; esac
ok "$step"

step="sealbox audit tail (files)"
out=$("$SEALBOX_BIN" audit tail --data "$SEALBOX_DATA" --resource "$KEY" --action kms:Decrypt)
[ "$(echo "$out" | grep -c 'kms:Decrypt')" = 2 ] || fail "$step" "$out"
echo "$out" | grep -q InvalidCiphertextException || fail "$step" "the refused decrypt is not shown: $out"
ok "$step"

step="sealbox audit tail (the server, through LookupEvents)"
out=$("$SEALBOX_BIN" audit tail --endpoint "$SEALBOX_ENDPOINT" --resource "$KEY" --limit 0)
[ "$(echo "$out" | grep -c "$KEY")" = 4 ] || fail "$step" "$out"
echo "$out" | head -1 | grep -q 'kms:CreateKey' || fail "$step" "not oldest first: $out"
ok "$step"

step="sealbox audit verify (the files, while the server runs)"
out=$("$SEALBOX_BIN" audit verify --data "$SEALBOX_DATA") || fail "$step" "$out"
echo "$out" | grep -q '^files: .*: OK$' || fail "$step" "$out"
ok "$step" "$out"
