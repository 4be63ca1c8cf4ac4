#!/usr/bin/env python3
"""smoke_boto3.py drives a running sealbox through boto3: the KMS flow of
scripts/smoke-cli.sh, plus what only an SDK shows — that botocore maps the
server's errors onto its modeled exception classes, that timestamps parse,
that paginators page, and the envelope-encryption pattern.

Environment:
  SEALBOX_ENDPOINT             e.g. http://127.0.0.1:8777 (required)
  AWS_SHARED_CREDENTIALS_FILE  the server's admin-credentials file
  AWS_PROFILE                  sealbox
  AWS_REGION                   us-east-1 (the default)
  SEALBOX_CA_BUNDLE            the server's CA (--tls=auto) to verify HTTPS with
  SMOKE_KEEP=1                 leave the keys and alias behind

Prints one line per step; exits 1 at the first mismatch, naming the step and
what came back.
"""

import contextlib
import datetime
import json
import os
import sys
import time
import uuid

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import ClientError, ParamValidationError
except ImportError as e:  # pragma: no cover
    sys.exit(f"smoke_boto3: boto3 is not importable: {e}")

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # verified differently below
    AESGCM = None


class StepFailed(Exception):
    pass


STEP = ""


@contextlib.contextmanager
def step(name):
    global STEP
    STEP = name
    yield


def ok(detail=""):
    print(f"ok   {STEP}" + (f": {detail}" if detail else ""), flush=True)


def fail(msg):
    raise StepFailed(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def eq(what, got, want):
    if got != want:
        fail(f"{what}: got {got!r}, want {want!r}")


def describe_error(e):
    if isinstance(e, ClientError):
        md = e.response.get("ResponseMetadata", {})
        return (
            f"{type(e).__module__}.{type(e).__name__} code={e.response.get('Error', {}).get('Code')!r} "
            f"message={e.response.get('Error', {}).get('Message')!r} status={md.get('HTTPStatusCode')}"
        )
    return f"{type(e).__name__}: {e}"


def raises(exc_class, fn, *args, **kwargs):
    """fn(*args, **kwargs) must raise exactly the modeled exc_class."""
    try:
        out = fn(*args, **kwargs)
    except ClientError as e:
        if type(e) is not exc_class:
            fail(f"{fn.__name__} raised {describe_error(e)}, want {exc_class.__name__}")
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(400 <= status < 500, f"{exc_class.__name__} came with HTTP status {status}, want 4xx")
        return e
    out.pop("ResponseMetadata", None)
    fail(f"{fn.__name__} succeeded with {out!r}, want {exc_class.__name__}")


def raises_code(code, fn, *args, **kwargs):
    """fn(*args, **kwargs) must raise a ClientError with error code code."""
    try:
        out = fn(*args, **kwargs)
    except ClientError as e:
        got = e.response.get("Error", {}).get("Code")
        if got != code:
            fail(f"{fn.__name__} raised {describe_error(e)}, want code {code}")
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(400 <= status < 500, f"{code} came with HTTP status {status}, want 4xx")
        return e
    out.pop("ResponseMetadata", None)
    fail(f"{fn.__name__} succeeded with {str(out)[:200]}, want {code}")


def near(what, got, want, slack):
    check(isinstance(got, datetime.datetime), f"{what} is {type(got).__name__} {got!r}, want a datetime")
    check(got.tzinfo is not None, f"{what} {got!r} has no time zone")
    check(abs(got - want) <= slack, f"{what} is {got.isoformat()}, want about {want.isoformat()}")


def main():
    endpoint = os.environ.get("SEALBOX_ENDPOINT")
    if not endpoint:
        sys.exit("smoke_boto3: set SEALBOX_ENDPOINT, e.g. http://127.0.0.1:8777")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    verify = os.environ.get("SEALBOX_CA_BUNDLE") or None
    if endpoint.startswith("https://") and verify is None and not os.environ.get("AWS_CA_BUNDLE"):
        print("note: HTTPS without SEALBOX_CA_BUNDLE: verifying against the system CAs", flush=True)

    session = boto3.session.Session(region_name=region)
    # One attempt: a flaky server should fail the smoke test, not hide in retries.
    retries = {"mode": "standard", "total_max_attempts": 1}
    kms = session.client("kms", endpoint_url=endpoint, verify=verify, config=Config(retries=retries))
    # The same client without botocore's client-side checks, to get the
    # server's own answer to invalid input.
    raw = session.client(
        "kms", endpoint_url=endpoint, verify=verify, config=Config(retries=retries, parameter_validation=False)
    )
    X = kms.exceptions

    print(f"sealbox boto3 smoke against {endpoint} (boto3 {boto3.__version__}, botocore {botocore.__version__}"
          f"{', verify=' + verify if verify else ''})", flush=True)

    run = f"smoke-{int(time.time())}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    alias = f"alias/{run}"
    ctx = {"purpose": "smoke", "run": run}
    wrong_ctx = {"purpose": "smoke", "run": "someone-else"}
    now = datetime.datetime.now(datetime.timezone.utc)
    minute = datetime.timedelta(minutes=5)

    with step("create_key"):
        md = kms.create_key(
            Description=f"sealbox smoke {run}",
            Tags=[{"TagKey": "purpose", "TagValue": "smoke"}, {"TagKey": "run", "TagValue": run}],
        )["KeyMetadata"]
        key_id, key_arn = md["KeyId"], md["Arn"]
        check(uuid.UUID(key_id) is not None, f"KeyId {key_id!r}")
        check(key_arn.startswith(f"arn:aws:kms:{region}:") and key_arn.endswith(f":key/{key_id}"),
              f"Arn {key_arn!r} for {key_id}")
        eq("KeyState", md["KeyState"], "Enabled")
        eq("Enabled", md["Enabled"], True)
        eq("Description", md["Description"], f"sealbox smoke {run}")
        eq("KeySpec", md["KeySpec"], "SYMMETRIC_DEFAULT")
        eq("KeyUsage", md["KeyUsage"], "ENCRYPT_DECRYPT")
        eq("KeyManager", md["KeyManager"], "CUSTOMER")
        eq("Origin", md["Origin"], "AWS_KMS")
        eq("EncryptionAlgorithms", md["EncryptionAlgorithms"], ["SYMMETRIC_DEFAULT"])
        near("CreationDate", md["CreationDate"], now, minute)
        account = key_arn.split(":")[4]
        eq("AWSAccountId", md["AWSAccountId"], account)
        ok(key_id)

    with step("describe_key"):
        md = kms.describe_key(KeyId=key_arn)["KeyMetadata"]
        eq("KeyId", md["KeyId"], key_id)
        eq("KeyState", md["KeyState"], "Enabled")
        check("DeletionDate" not in md, f"DeletionDate on an enabled key: {md!r}")
        ok(md["KeyState"])

    with step("describe_key (missing key) -> NotFoundException"):
        raises(X.NotFoundException, kms.describe_key, KeyId=str(uuid.uuid4()))
        raises(X.NotFoundException, kms.describe_key, KeyId=f"alias/{run}-missing")
        ok()

    with step("update_key_description"):
        kms.update_key_description(KeyId=key_id, Description=f"sealbox smoke {run} (updated)")
        eq("Description", kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"], f"sealbox smoke {run} (updated)")
        ok()

    with step("create_key (second key)"):
        key2_id = kms.create_key(Description=f"sealbox smoke {run} (re-encrypt target)")["KeyMetadata"]["KeyId"]
        key2_arn = kms.describe_key(KeyId=key2_id)["KeyMetadata"]["Arn"]
        check(key2_id != key_id, "same key id twice")
        ok(key2_id)

    with step("list_keys (paginated, 1 per page)"):
        pages, ids = 0, []
        for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}):
            pages += 1
            check(len(page["Keys"]) <= 1, f"page of {len(page['Keys'])} keys with Limit=1")
            ids += [k["KeyId"] for k in page["Keys"]]
            if pages > 10000:
                fail("more than 10000 pages: the marker does not advance")
        check(key_id in ids and key2_id in ids, f"keys {key_id}, {key2_id} not both listed in {ids}")
        eq("duplicate listings", len(ids), len(set(ids)))
        ok(f"{len(ids)} keys in {pages} pages")

    with step("create_alias"):
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        ok(alias)

    with step("create_alias (duplicate) -> AlreadyExistsException"):
        raises(X.AlreadyExistsException, kms.create_alias, AliasName=alias, TargetKeyId=key2_id)
        ok()

    with step("list_aliases"):
        aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
        mine = [a for a in aliases if a["AliasName"] == alias]
        check(len(mine) == 1, f"{alias} not in {aliases!r}")
        eq("TargetKeyId", mine[0]["TargetKeyId"], key_id)
        check(mine[0]["AliasArn"].endswith(f":{alias}"), f"AliasArn {mine[0]['AliasArn']!r}")
        eq("resolve alias", kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"], key_id)
        ok(f"{alias} -> {key_id}")

    plaintext = bytes(range(256)) * 4  # every byte value, 1024 bytes
    with step("encrypt (with encryption context, via alias)"):
        r = kms.encrypt(KeyId=alias, Plaintext=plaintext, EncryptionContext=ctx)
        eq("KeyId", r["KeyId"], key_arn)
        eq("EncryptionAlgorithm", r["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        blob = r["CiphertextBlob"]
        check(isinstance(blob, bytes) and len(blob) > len(plaintext), f"CiphertextBlob of {len(blob)} bytes")
        check(plaintext not in blob, "the plaintext is visible in the ciphertext")
        ok(f"{len(plaintext)} -> {len(blob)} bytes")

    with step("decrypt"):
        r = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
        eq("Plaintext", r["Plaintext"], plaintext)
        eq("KeyId", r["KeyId"], key_arn)
        eq("EncryptionAlgorithm", r["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        eq("Plaintext (KeyId given)", kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=key_id)["Plaintext"], plaintext)
        ok("byte-for-byte equal")

    with step("encrypt/decrypt (str plaintext)"):
        s = "hello, sealbox ✓"
        b = kms.encrypt(KeyId=key_id, Plaintext=s)["CiphertextBlob"]
        eq("Plaintext", kms.decrypt(CiphertextBlob=b)["Plaintext"], s.encode())
        ok()

    with step("decrypt (wrong encryption context) -> InvalidCiphertextException"):
        raises(X.InvalidCiphertextException, kms.decrypt, CiphertextBlob=blob, EncryptionContext=wrong_ctx)
        raises(X.InvalidCiphertextException, kms.decrypt, CiphertextBlob=blob)
        ok()

    with step("decrypt (tampered or garbage blob) -> InvalidCiphertextException"):
        bad = bytearray(blob)
        bad[-1] ^= 1
        raises(X.InvalidCiphertextException, kms.decrypt, CiphertextBlob=bytes(bad), EncryptionContext=ctx)
        raises(X.InvalidCiphertextException, kms.decrypt, CiphertextBlob=os.urandom(len(blob)))
        ok()

    with step("decrypt (wrong KeyId) -> IncorrectKeyException"):
        raises(X.IncorrectKeyException, kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx, KeyId=key2_id)
        ok()

    with step("encrypt 4096 bytes (the limit)"):
        b = kms.encrypt(KeyId=key_id, Plaintext=b"\x01" * 4096)["CiphertextBlob"]
        eq("Plaintext", kms.decrypt(CiphertextBlob=b)["Plaintext"], b"\x01" * 4096)
        ok()

    with step("encrypt 4097 bytes -> ValidationException"):
        # The server's own answer, botocore's parameter checks off.
        e = raises_code("ValidationException", raw.encrypt, KeyId=key_id, Plaintext=b"\x01" * 4097)
        # With the checks on, botocore (which checks minimums, not maximums)
        # either refuses client-side or passes the server's answer on.
        try:
            kms.encrypt(KeyId=key_id, Plaintext=b"\x01" * 4097)
            fail("a 4097-byte plaintext was encrypted")
        except ParamValidationError:
            pass
        except ClientError as ce:
            eq("error code (validating client)", ce.response["Error"]["Code"], "ValidationException")
        ok(e.response["Error"].get("Message", "")[:80])

    with step("generate_data_key AES_256"):
        r = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=ctx)
        eq("KeyId", r["KeyId"], key_arn)
        eq("len(Plaintext)", len(r["Plaintext"]), 32)
        eq("decrypted data key", kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"], r["Plaintext"])
        raises(X.InvalidCiphertextException, kms.decrypt, CiphertextBlob=r["CiphertextBlob"], EncryptionContext=wrong_ctx)
        ok("decrypts to the Plaintext")

    with step("generate_data_key AES_128 / NumberOfBytes"):
        eq("AES_128 length", len(kms.generate_data_key(KeyId=key_id, KeySpec="AES_128")["Plaintext"]), 16)
        r = kms.generate_data_key(KeyId=key_id, NumberOfBytes=64)
        eq("NumberOfBytes=64 length", len(r["Plaintext"]), 64)
        eq("decrypted", kms.decrypt(CiphertextBlob=r["CiphertextBlob"])["Plaintext"], r["Plaintext"])
        ok()

    with step("generate_data_key_without_plaintext"):
        r = kms.generate_data_key_without_plaintext(KeyId=alias, KeySpec="AES_256", EncryptionContext=ctx)
        check("Plaintext" not in r, f"response has a Plaintext: {sorted(r)}")
        eq("KeyId", r["KeyId"], key_arn)
        eq("decrypted length", len(kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"]), 32)
        ok()

    with step("envelope encryption"):
        document = b"database password: correct horse battery staple\n" + os.urandom(100)
        r = kms.generate_data_key(KeyId=alias, KeySpec="AES_256", EncryptionContext={"file": "config.json"})
        data_key, stored_key = r["Plaintext"], r["CiphertextBlob"]
        if AESGCM is not None:
            nonce = os.urandom(12)
            sealed = AESGCM(data_key).encrypt(nonce, document, b"config.json")
            how = "AES-256-GCM via cryptography"
        else:
            kept = data_key
            how = "cryptography not importable: data key round trip only"
        del data_key, r  # keep only the encrypted data key
        recovered = kms.decrypt(CiphertextBlob=stored_key, EncryptionContext={"file": "config.json"})["Plaintext"]
        if AESGCM is not None:
            eq("opened document", AESGCM(recovered).decrypt(nonce, sealed, b"config.json"), document)
        else:
            eq("recovered data key", recovered, kept)
        ok(how)

    with step("re_encrypt"):
        r = kms.re_encrypt(
            CiphertextBlob=blob,
            SourceEncryptionContext=ctx,
            DestinationKeyId=key2_id,
            DestinationEncryptionContext={"purpose": "reencrypted"},
        )
        eq("SourceKeyId", r["SourceKeyId"], key_arn)
        eq("KeyId", r["KeyId"], key2_arn)
        eq("SourceEncryptionAlgorithm", r.get("SourceEncryptionAlgorithm"), "SYMMETRIC_DEFAULT")
        eq("DestinationEncryptionAlgorithm", r.get("DestinationEncryptionAlgorithm"), "SYMMETRIC_DEFAULT")
        d = kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext={"purpose": "reencrypted"})
        eq("Plaintext", d["Plaintext"], plaintext)
        eq("decrypt KeyId", d["KeyId"], key2_arn)
        raises(X.InvalidCiphertextException, kms.re_encrypt, CiphertextBlob=blob, SourceEncryptionContext=wrong_ctx,
               DestinationKeyId=key2_id)
        ok("now under the second key")

    with step("generate_random"):
        a = kms.generate_random(NumberOfBytes=32)["Plaintext"]
        b = kms.generate_random(NumberOfBytes=32)["Plaintext"]
        eq("length", len(a), 32)
        check(a != b, "two calls returned the same bytes")
        ok()

    with step("key rotation"):
        eq("KeyRotationEnabled before", kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"], False)
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        st = kms.get_key_rotation_status(KeyId=key_id)
        eq("KeyRotationEnabled", st["KeyRotationEnabled"], True)
        eq("RotationPeriodInDays", st.get("RotationPeriodInDays"), 90)
        if "NextRotationDate" in st:
            near("NextRotationDate", st["NextRotationDate"], now + datetime.timedelta(days=90), datetime.timedelta(days=1))
        eq("rotate_key_on_demand KeyId", kms.rotate_key_on_demand(KeyId=key_id)["KeyId"], key_arn)
        rots = kms.list_key_rotations(KeyId=key_id)["Rotations"]
        eq("rotations", [(x["KeyId"], x["RotationType"]) for x in rots], [(key_arn, "ON_DEMAND")])
        near("RotationDate", rots[0]["RotationDate"], now, minute)
        eq("old ciphertext after rotation", kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"], plaintext)
        b = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
        eq("new ciphertext after rotation", kms.decrypt(CiphertextBlob=b)["Plaintext"], plaintext)
        ok("every 90 days; 1 on-demand rotation; old and new ciphertexts decrypt")

    with step("tags"):
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "platform"},
                                             {"TagKey": "purpose", "TagValue": "smoke-test"}])
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
        eq("tags", tags, {"purpose": "smoke-test", "run": run, "team": "platform"})
        kms.untag_resource(KeyId=key_id, TagKeys=["team"])
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
        eq("tags after untag", tags, {"purpose": "smoke-test", "run": run})
        ok(str(tags))

    with step("key policy"):
        eq("list_key_policies", kms.list_key_policies(KeyId=key_id)["PolicyNames"], ["default"])
        policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        check(isinstance(policy.get("Statement"), list) and policy["Statement"], f"policy without statements: {policy!r}")
        check(any(s.get("Action") in ("kms:*", ["kms:*"]) for s in policy["Statement"]), f"no kms:* statement: {policy!r}")
        ok("default policy allows kms:*")

    with step("disable_key -> DisabledException"):
        kms.disable_key(KeyId=key_id)
        md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        eq("KeyState", md["KeyState"], "Disabled")
        eq("Enabled", md["Enabled"], False)
        raises(X.DisabledException, kms.encrypt, KeyId=key_id, Plaintext=b"x")
        raises(X.DisabledException, kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
        raises(X.DisabledException, kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
        kms.enable_key(KeyId=key_id)
        eq("KeyState after enable_key", kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"], "Enabled")
        eq("decrypt after enable_key", kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"], plaintext)
        ok()

    with step("schedule_key_deletion (6 days) -> ValidationException"):
        raises_code("ValidationException", raw.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=6)
        eq("KeyState", kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"], "Enabled")
        ok()

    with step("schedule_key_deletion -> KMSInvalidStateException"):
        r = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        eq("KeyId", r["KeyId"], key_arn)
        eq("KeyState", r.get("KeyState"), "PendingDeletion")
        eq("PendingWindowInDays", r.get("PendingWindowInDays"), 7)
        near("DeletionDate", r["DeletionDate"], now + datetime.timedelta(days=7), datetime.timedelta(days=1))
        md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        eq("KeyState", md["KeyState"], "PendingDeletion")
        eq("Enabled", md["Enabled"], False)
        near("describe DeletionDate", md.get("DeletionDate"), now + datetime.timedelta(days=7), datetime.timedelta(days=1))
        raises(X.KMSInvalidStateException, kms.encrypt, KeyId=key_id, Plaintext=b"x")
        raises(X.KMSInvalidStateException, kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
        raises(X.KMSInvalidStateException, kms.enable_key, KeyId=key_id)
        ok("PendingDeletion until " + md["DeletionDate"].isoformat())

    with step("cancel_key_deletion"):
        eq("KeyId", kms.cancel_key_deletion(KeyId=key_id)["KeyId"], key_arn)
        md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        eq("KeyState (as in AWS: Disabled)", md["KeyState"], "Disabled")
        check("DeletionDate" not in md, f"DeletionDate left after cancel: {md.get('DeletionDate')!r}")
        kms.enable_key(KeyId=key_id)
        eq("decrypt after cancel+enable", kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"], plaintext)
        ok("Disabled, re-enabled, decrypts")

    asym_keys = asymmetric(kms, X)

    if os.environ.get("SMOKE_KEEP") != "1":
        with step("cleanup"):
            kms.delete_alias(AliasName=alias)
            raises(X.NotFoundException, kms.describe_key, KeyId=alias)
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
            kms.schedule_key_deletion(KeyId=key2_id, PendingWindowInDays=7)
            for k in asym_keys:
                kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
            ok("alias deleted, keys scheduled for deletion")

    print("PASS: sealbox boto3 smoke", flush=True)


def asymmetric(kms, X):
    """Asymmetric and HMAC keys, each result checked with the `cryptography`
    package from GetPublicKey's DER: RSA-OAEP made here and decrypted by KMS,
    PSS and ECDSA signatures verified here, data key pairs whose private key
    matches the public key. Returns the keys made, for the cleanup."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, padding
    except ImportError:
        print("skip asymmetric keys: the cryptography package is not importable", flush=True)
        return []
    made = []
    message = b"signed by KMS, verified by cryptography"

    with step("asymmetric: RSA_2048 ENCRYPT_DECRYPT, OAEP made locally, decrypted by KMS"):
        md = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
        made.append(md["KeyId"])
        eq("EncryptionAlgorithms", md.get("EncryptionAlgorithms"), ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        pub = serialization.load_der_public_key(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"])
        for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
            ct = pub.encrypt(b"local plaintext", padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None))
            r = kms.decrypt(CiphertextBlob=ct, KeyId=md["KeyId"], EncryptionAlgorithm=alg)
            eq(f"decrypt {alg}", r["Plaintext"], b"local plaintext")
            eq("EncryptionAlgorithm", r["EncryptionAlgorithm"], alg)
        raises(X.InvalidCiphertextException, kms.decrypt, CiphertextBlob=ct)
        ok("both OAEP hashes decrypt")

    with step("asymmetric: RSA_3072 PSS and PKCS1 signatures verified locally"):
        md = kms.create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        made.append(md["KeyId"])
        pub = serialization.load_der_public_key(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"])
        for alg, h in (("RSASSA_PSS_SHA_256", hashes.SHA256()), ("RSASSA_PSS_SHA_512", hashes.SHA512())):
            sig = kms.sign(KeyId=md["KeyId"], Message=message, SigningAlgorithm=alg)["Signature"]
            pub.verify(sig, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
        sig = kms.sign(KeyId=md["KeyId"], Message=message, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_384")["Signature"]
        pub.verify(sig, message, padding.PKCS1v15(), hashes.SHA384())
        eq("verify", kms.verify(KeyId=md["KeyId"], Message=message, Signature=sig, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_384")["SignatureValid"], True)
        bad = bytes([sig[0] ^ 1]) + sig[1:]
        raises(X.KMSInvalidSignatureException, kms.verify, KeyId=md["KeyId"], Message=message, Signature=bad, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_384")
        raises(X.InvalidKeyUsageException, kms.sign, KeyId=md["KeyId"], Message=message, SigningAlgorithm="ECDSA_SHA_256")
        raises(X.UnsupportedOperationException, kms.enable_key_rotation, KeyId=md["KeyId"])
        ok("PSS SHA-256/512, PKCS1 SHA-384 verify; tampered -> KMSInvalidSignatureException")

    with step("asymmetric: ECDSA P-256 and P-384 (RAW and DIGEST) verified locally"):
        for spec, alg, h in (("ECC_NIST_P256", "ECDSA_SHA_256", hashes.SHA256()), ("ECC_NIST_P384", "ECDSA_SHA_384", hashes.SHA384())):
            md = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
            made.append(md["KeyId"])
            eq("SigningAlgorithms", md.get("SigningAlgorithms"), [alg])
            pub = serialization.load_der_public_key(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"])
            sig = kms.sign(KeyId=md["KeyId"], Message=message, SigningAlgorithm=alg)["Signature"]
            pub.verify(sig, message, ec.ECDSA(h))
            d = hashes.Hash(h)
            d.update(message)
            sig = kms.sign(KeyId=md["KeyId"], Message=d.finalize(), MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
            pub.verify(sig, message, ec.ECDSA(h))
            raises_code("ValidationException", kms.sign, KeyId=md["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm=alg)
        ok("both curves, both message types")

    with step("asymmetric: HMAC_256 GenerateMac / VerifyMac"):
        md = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
        made.append(md["KeyId"])
        mac = kms.generate_mac(KeyId=md["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")["Mac"]
        eq("MAC length", len(mac), 32)
        eq("verify_mac", kms.verify_mac(KeyId=md["KeyId"], Message=message, Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"], True)
        raises(X.KMSInvalidMacException, kms.verify_mac, KeyId=md["KeyId"], Message=message + b"!", Mac=mac, MacAlgorithm="HMAC_SHA_256")
        raises(X.InvalidKeyUsageException, kms.generate_mac, KeyId=md["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_512")
        ok("MAC verifies; another message -> KMSInvalidMacException")

    with step("asymmetric: GenerateDataKeyPair ECC_NIST_P256, private key matches"):
        sym = kms.create_key()["KeyMetadata"]["KeyId"]
        made.append(sym)
        ctx = {"purpose": "smoke"}
        r = kms.generate_data_key_pair(KeyId=sym, KeyPairSpec="ECC_NIST_P256", EncryptionContext=ctx)
        priv = serialization.load_der_private_key(r["PrivateKeyPlaintext"], password=None)
        der = priv.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        eq("public key of the private key", der, r["PublicKey"])
        eq("decrypted private key", kms.decrypt(CiphertextBlob=r["PrivateKeyCiphertextBlob"], EncryptionContext=ctx)["Plaintext"], r["PrivateKeyPlaintext"])
        ok("PKCS #8 private key matches; its ciphertext decrypts under the context")
    return made


if __name__ == "__main__":
    try:
        main()
    except StepFailed as e:
        print(f"FAIL [{STEP}]: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception as e:  # an unexpected error from boto3 or the server
        print(f"FAIL [{STEP}]: unexpected {describe_error(e)}", file=sys.stderr, flush=True)
        sys.exit(1)
