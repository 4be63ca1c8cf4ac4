#!/usr/bin/env python3
"""smoke_secrets_boto3.py drives a running sealbox's Secrets Manager through
boto3 the way the seeds' functions do: a database credential created as a
JSON SecretString and read with get_secret_value at cold start, rotated by
put_secret_value (AWSCURRENT moves, AWSPREVIOUS follows), staging labels
moved by hand with update_secret_version_stage, the same secret read through
Parameter Store with get_parameter(Name='/aws/reference/secretsmanager/<name>',
WithDecryption=True), a replica in another Region (read, refused a write,
removed), and a deletion with a recovery window and a restore.

Environment: SEALBOX_ENDPOINT (required), AWS_SHARED_CREDENTIALS_FILE and
AWS_PROFILE (the server's admin-credentials file, profile sealbox),
SEALBOX_CA_BUNDLE for HTTPS. Prints one line per step; exits 1 at the first
mismatch, naming the step and what came back.
"""

import json
import os
import sys
import uuid

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover
    sys.exit(f"smoke_secrets_boto3: boto3 is not importable: {e}")


def fail(step, msg):
    print(f"FAIL [{step}]: {msg}", flush=True)
    sys.exit(1)


def ok(step, detail=""):
    print(f"ok   {step}" + (f": {detail}" if detail else ""), flush=True)


def code(e):
    return e.response["Error"]["Code"]


def main():
    endpoint = os.environ.get("SEALBOX_ENDPOINT") or sys.exit("smoke_secrets_boto3: set SEALBOX_ENDPOINT")
    verify = os.environ.get("SEALBOX_CA_BUNDLE") or None
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"})
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION", "us-east-1"))
    sm = session.client("secretsmanager", endpoint_url=endpoint, verify=verify, config=cfg)
    ssm = session.client("ssm", endpoint_url=endpoint, verify=verify, config=cfg)
    name = "smoke-" + uuid.uuid4().hex[:8] + "/db"

    step = "create_secret with a JSON SecretString"
    first = {"username": "app", "password": "first-" + uuid.uuid4().hex}
    created = sm.create_secret(Name=name, SecretString=json.dumps(first), Description="db credentials",
                               Tags=[{"Key": "team", "Value": "blue"}])
    arn = created["ARN"]
    if created["Name"] != name or not arn.startswith("arn:aws:secretsmanager:us-east-1:") or arn[-7] != "-":
        fail(step, f"ARN = {arn}")
    ok(step, arn)

    step = "get_secret_value at cold start"
    got = sm.get_secret_value(SecretId=name)
    if json.loads(got["SecretString"]) != first or got["VersionStages"] != ["AWSCURRENT"] or got["ARN"] != arn:
        fail(step, f"got stages {got['VersionStages']}")
    for sid in (arn, arn[:-7]):
        if json.loads(sm.get_secret_value(SecretId=sid)["SecretString"]) != first:
            fail(step, f"SecretId {sid} read another value")
    ok(step)

    step = "put_secret_value moves AWSCURRENT, AWSPREVIOUS follows"
    second = {"username": "app", "password": "second-" + uuid.uuid4().hex}
    token = str(uuid.uuid4())
    put = sm.put_secret_value(SecretId=name, SecretString=json.dumps(second), ClientRequestToken=token)
    if put["VersionId"] != token or put["VersionStages"] != ["AWSCURRENT"]:
        fail(step, str(put))
    again = sm.put_secret_value(SecretId=name, SecretString=json.dumps(second), ClientRequestToken=token)
    if again["VersionId"] != token:
        fail(step, "an idempotent retry answered another version")
    try:
        sm.put_secret_value(SecretId=name, SecretString="other", ClientRequestToken=token)
        fail(step, "the same token with another value was accepted")
    except ClientError as e:
        if code(e) != "ResourceExistsException":
            fail(step, f"token reuse: {code(e)}")
    if json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) != second:
        fail(step, "AWSCURRENT is not the new value")
    prev = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    if json.loads(prev["SecretString"]) != first or prev["VersionId"] != created["VersionId"]:
        fail(step, "AWSPREVIOUS is not the first value")
    ok(step)

    step = "staging labels: a pending version, then promoted by hand"
    pending = sm.put_secret_value(SecretId=name, SecretString="third", VersionStages=["AWSPENDING"])
    if sm.get_secret_value(SecretId=name)["SecretString"] == "third":
        fail(step, "an AWSPENDING put moved AWSCURRENT")
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                   MoveToVersionId=pending["VersionId"], RemoveFromVersionId=token)
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=pending["VersionId"])
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    if stages.get(pending["VersionId"]) != ["AWSCURRENT"] or stages.get(token) != ["AWSPREVIOUS"] or created["VersionId"] in stages:
        fail(step, str(stages))
    versions = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    if len(versions) != 3:
        fail(step, f"{len(versions)} versions listed")
    ok(step)

    step = "ssm.get_parameter on /aws/reference/secretsmanager"
    p = ssm.get_parameter(Name=f"/aws/reference/secretsmanager/{name}", WithDecryption=True)["Parameter"]
    if p["Value"] != "third" or p["Type"] != "SecureString" or p["ARN"] != arn:
        fail(step, f"{p['Type']} {p['ARN']}")
    p = ssm.get_parameter(Name=f"/aws/reference/secretsmanager/{name}:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    if json.loads(p["Value"]) != second:
        fail(step, "the :AWSPREVIOUS selector read another value")
    try:
        ssm.get_parameter(Name=f"/aws/reference/secretsmanager/{name}")
        fail(step, "a reference without WithDecryption was answered")
    except ClientError as e:
        if code(e) != "ValidationException":
            fail(step, f"without decryption: {code(e)}")
    ok(step)

    step = "list_secrets filters and batch_get_secret_value"
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [name.split("/")[0]]}])["SecretList"]
    if [s["Name"] for s in listed] != [name]:
        fail(step, str([s["Name"] for s in listed]))
    batch = sm.batch_get_secret_value(SecretIdList=[name, "smoke-absent-secret"])
    if len(batch["SecretValues"]) != 1 or batch["Errors"][0]["ErrorCode"] != "ResourceNotFoundException":
        fail(step, str(batch["Errors"]))
    pw = sm.get_random_password(PasswordLength=24, ExcludePunctuation=True)["RandomPassword"]
    if len(pw) != 24 or not pw.isalnum():
        fail(step, "get_random_password ignored its options")
    ok(step)

    step = "replicate to eu-west-1: the replica reads, is read-only, then is removed"
    replica_region = "eu-west-1"
    eu = session.client("secretsmanager", region_name=replica_region, endpoint_url=endpoint, verify=verify, config=cfg)
    rep = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": replica_region}])
    if [(s["Region"], s["Status"]) for s in rep["ReplicationStatus"]] != [(replica_region, "InSync")]:
        fail(step, str(rep["ReplicationStatus"]))
    replica_arn = arn.replace(":us-east-1:", ":" + replica_region + ":")
    if eu.get_secret_value(SecretId=replica_arn)["SecretString"] != sm.get_secret_value(SecretId=name)["SecretString"]:
        fail(step, "the replica holds another value")
    if eu.describe_secret(SecretId=name).get("PrimaryRegion") != "us-east-1":
        fail(step, "the replica does not name its primary Region")
    try:
        eu.put_secret_value(SecretId=name, SecretString="x")
        fail(step, "a write to the replica was accepted")
    except ClientError as e:
        if code(e) != "InvalidParameterException":
            fail(step, f"write to the replica: {code(e)}")
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[replica_region])
    try:
        eu.describe_secret(SecretId=name)
        fail(step, "a removed replica is still described")
    except eu.exceptions.ResourceNotFoundException:
        pass
    ok(step, replica_arn)

    step = "delete with a recovery window, then restore"
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    try:
        sm.get_secret_value(SecretId=name)
        fail(step, "a secret scheduled for deletion was read")
    except ClientError as e:
        if code(e) != "InvalidRequestException":
            fail(step, f"read while scheduled: {code(e)}")
    sm.restore_secret(SecretId=name)
    if sm.get_secret_value(SecretId=name)["SecretString"] != "third":
        fail(step, "the restored secret lost its value")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    try:
        sm.describe_secret(SecretId=name)
        fail(step, "a force-deleted secret is still described")
    except sm.exceptions.ResourceNotFoundException:
        pass
    ok(step)
    print("secretsmanager boto3 smoke passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except ClientError as e:
        print(f"FAIL: unexpected {e.response['Error']['Code']}: {e.response['Error'].get('Message')}", flush=True)
        sys.exit(1)
