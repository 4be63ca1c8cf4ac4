#!/usr/bin/env python3
"""smoke_ssm_boto3.py drives a running sealbox's Parameter Store through
boto3 the way the seeds' functions do: a database endpoint as a String, a
password as a SecureString read with get_parameter(..., WithDecryption=True),
the encrypted-at-deploy-time pattern (read the SecureString without
decryption and decrypt it with KMS under the PARAMETER_ARN context), and a
whole tree read with the GetParametersByPath paginator at cold start.

Environment: SEALBOX_ENDPOINT (required), AWS_SHARED_CREDENTIALS_FILE and
AWS_PROFILE (the server's admin-credentials file, profile sealbox),
SEALBOX_CA_BUNDLE for HTTPS. Prints one line per step; exits 1 at the first
mismatch, naming the step and what came back.
"""

import base64
import os
import sys
import uuid

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover
    sys.exit(f"smoke_ssm_boto3: boto3 is not importable: {e}")


def fail(step, msg):
    print(f"FAIL [{step}]: {msg}", flush=True)
    sys.exit(1)


def ok(step, detail=""):
    print(f"ok   {step}" + (f": {detail}" if detail else ""), flush=True)


def main():
    endpoint = os.environ.get("SEALBOX_ENDPOINT") or sys.exit("smoke_ssm_boto3: set SEALBOX_ENDPOINT")
    verify = os.environ.get("SEALBOX_CA_BUNDLE") or None
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"})
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION", "us-east-1"))
    ssm = session.client("ssm", endpoint_url=endpoint, verify=verify, config=cfg)
    kms = session.client("kms", endpoint_url=endpoint, verify=verify, config=cfg)
    app = "/smoke-" + uuid.uuid4().hex[:8]

    step = "put a String and a SecureString"
    v = ssm.put_parameter(Name=f"{app}/db/endpoint", Value="db.internal:5432", Type="String")
    if v["Version"] != 1:
        fail(step, f"Version = {v['Version']}")
    password = "correct-horse-" + uuid.uuid4().hex
    # A customer key: the deploy pattern decrypts the blob with KMS directly,
    # which the AWS-managed alias/aws/ssm key's policy allows only through SSM.
    key = kms.create_key(Description="app config")["KeyMetadata"]["Arn"]
    ssm.put_parameter(Name=f"{app}/db/password", Value=password, Type="SecureString", KeyId=key, Description="db password")
    ssm.put_parameter(Name=f"{app}/db/token", Value="default-key-" + password, Type="SecureString")
    ok(step)

    step = "get_parameter(WithDecryption=True)"
    p = ssm.get_parameter(Name=f"{app}/db/password", WithDecryption=True)["Parameter"]
    if p["Value"] != password or p["Type"] != "SecureString" or p["Version"] != 1:
        fail(step, f"got {p['Type']} v{p['Version']}")
    arn = p["ARN"]
    if arn != f"arn:aws:ssm:us-east-1:{arn.split(':')[4]}:parameter{app}/db/password":
        fail(step, f"ARN = {arn}")
    ok(step, arn)

    step = "the default key alias/aws/ssm works through Parameter Store only"
    t = ssm.get_parameter(Name=f"{app}/db/token", WithDecryption=True)["Parameter"]
    if t["Value"] != "default-key-" + password:
        fail(step, "the default-key SecureString did not decrypt")
    tblob = ssm.get_parameter(Name=f"{app}/db/token")["Parameter"]["Value"]
    try:
        kms.decrypt(CiphertextBlob=base64.b64decode(tblob), EncryptionContext={"PARAMETER_ARN": t["ARN"]})
        fail(step, "a direct KMS Decrypt under alias/aws/ssm succeeded")
    except ClientError as e:
        if e.response["Error"]["Code"] != "AccessDeniedException":
            fail(step, f"direct Decrypt: {e.response['Error']['Code']}")
    ok(step)

    step = "encrypted at deploy time: read without decryption, decrypt with KMS"
    blob = ssm.get_parameter(Name=f"{app}/db/password", WithDecryption=False)["Parameter"]["Value"]
    if blob == password:
        fail(step, "the value came back in clear without WithDecryption")
    plain = kms.decrypt(CiphertextBlob=base64.b64decode(blob), EncryptionContext={"PARAMETER_ARN": arn})["Plaintext"]
    if plain.decode() != password:
        fail(step, "KMS Decrypt of the blob gave another value")
    try:
        kms.decrypt(CiphertextBlob=base64.b64decode(blob), EncryptionContext={"PARAMETER_ARN": arn + "x"})
        fail(step, "Decrypt under another PARAMETER_ARN succeeded")
    except kms.exceptions.InvalidCiphertextException:
        pass
    ok(step)

    step = "versions and selectors"
    ssm.put_parameter(Name=f"{app}/db/endpoint", Value="db2.internal:5432", Type="String", Overwrite=True)
    if ssm.get_parameter(Name=f"{app}/db/endpoint:1")["Parameter"]["Value"] != "db.internal:5432":
        fail(step, "name:1 did not select version 1")
    ssm.label_parameter_version(Name=f"{app}/db/endpoint", ParameterVersion=1, Labels=["blue"])
    if ssm.get_parameter(Name=f"{app}/db/endpoint:blue")["Parameter"]["Value"] != "db.internal:5432":
        fail(step, "name:blue did not select the labelled version")
    try:
        ssm.put_parameter(Name=f"{app}/db/endpoint", Value="x", Type="String")
        fail(step, "a second put without Overwrite succeeded")
    except ssm.exceptions.ParameterAlreadyExists:
        pass
    ok(step)

    step = "a tree at cold start: get_parameters_by_path paginator"
    for i in range(25):
        ssm.put_parameter(Name=f"{app}/cfg/item{i:02d}", Value=str(i), Type="String")
    ssm.put_parameter(Name=f"{app}/cfg/deep/x", Value="deep", Type="String")
    names = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{app}/cfg", Recursive=False, PaginationConfig={"PageSize": 10}):
        names += [p["Name"] for p in page["Parameters"]]
    if len(names) != 25 or len(set(names)) != 25 or f"{app}/cfg/deep/x" in names:
        fail(step, f"one level: {len(names)} names")
    deep = sum(len(pg["Parameters"]) for pg in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{app}/cfg", Recursive=True))
    if deep != 26:
        fail(step, f"recursive: {deep} parameters, want 26")
    ok(step, "25 one level, 26 recursive")

    step = "errors are botocore's modelled exceptions"
    try:
        ssm.get_parameter(Name=f"{app}/missing")
        fail(step, "missing parameter found")
    except ssm.exceptions.ParameterNotFound:
        pass
    got = ssm.get_parameters(Names=[f"{app}/db/endpoint", f"{app}/missing"])
    if got["InvalidParameters"] != [f"{app}/missing"] or len(got["Parameters"]) != 1:
        fail(step, f"get_parameters = {got['InvalidParameters']}")
    try:
        ssm.put_parameter(Name="/aws/reserved", Value="x", Type="String")
        fail(step, "a name under /aws was accepted")
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("ValidationException", "AccessDeniedException"):
            fail(step, f"reserved name: {e.response['Error']['Code']}")
    ok(step)

    step = "delete"
    res = ssm.delete_parameters(Names=[f"{app}/db/endpoint", f"{app}/nope"])
    if res["DeletedParameters"] != [f"{app}/db/endpoint"] or res["InvalidParameters"] != [f"{app}/nope"]:
        fail(step, str(res))
    ok(step)
    print("ssm boto3 smoke passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except ClientError as e:
        print(f"FAIL: unexpected {e.response['Error']['Code']}: {e.response['Error'].get('Message')}", flush=True)
        sys.exit(1)
