#!/usr/bin/env python3
"""Sign requests the way botocore (boto3, aws CLI) does, for sigv4's tests.

Usage: botocore_sign.py ENDPOINT ACCESS_KEY SECRET_KEY SESSION_TOKEN REGION

Prints a JSON list of signed requests, each with name, service, method,
url, headers (a list of [name, value] pairs, in order) and body, exactly as
botocore would send them. SESSION_TOKEN may be "" for long-term keys.
"""
import json
import sys

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(name, auth, service, method, url, body=b"", headers=None):
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    auth.add_auth(request)
    prepared = request.prepare()
    body = prepared.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return {
        "name": name,
        "service": service,
        "method": prepared.method,
        "url": prepared.url,
        "headers": [[k, v] for k, v in prepared.headers.items()],
        "body": body,
    }


def main():
    endpoint, access_key, secret_key, token, region = sys.argv[1:6]
    creds = Credentials(access_key, secret_key, token or None)
    kms_body = json.dumps({"KeyId": "alias/app", "Plaintext": "aGVsbG8=", "EncryptionContext": {"app": "web"}}).encode()
    json_headers = {
        "X-Amz-Target": "TrentService.Encrypt",
        "Content-Type": "application/x-amz-json-1.1",
        # Spaces botocore collapses when it canonicalises the value.
        "X-Amz-Meta-Note": "  two   spaced  words ",
        # botocore (like the Java and JS SDKs) collapses tabs too; Go's
        # signer keeps them.
        "X-Amz-Meta-Tabbed": "tab\tseparated",
    }
    out = [
        sign("kms json 1.1", SigV4Auth(creds, "kms", region), "kms", "POST", endpoint + "/",
             kms_body, json_headers),
        sign("iam query", SigV4Auth(creds, "iam", region), "iam", "POST", endpoint + "/",
             b"Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fteam%2F",
             {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}),
        sign("lambda rest-json path", SigV4Auth(creds, "lambda", region), "lambda", "GET",
             endpoint + "/2015-03-31/functions/my%20fn/configuration?Qualifier=%24LATEST&A=b%2Fc"),
        sign("sts presigned", SigV4QueryAuth(creds, "sts", region, expires=300), "sts", "GET",
             endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15"),
    ]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
