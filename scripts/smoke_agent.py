"""smoke_agent.py is a function's code reading its secrets and parameters
through `sealbox agent` as code written for the AWS Parameters and Secrets
Lambda Extension does: the standard library only (urllib), localhost on
$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, the X-Aws-Parameters-Secrets-Token
header set to $AWS_SESSION_TOKEN.

Usage:
  smoke_agent.py read SECRET_ID PARAMETER SECURE_PARAMETER
      prints one JSON object: the secret's value (AWSCURRENT), the two
      parameters' values, and what the agent answers for a secret that does
      not exist and for a request without the token.
  smoke_agent.py wait-change SECRET_ID OLD_VALUE TIMEOUT_SECONDS
      reads the secret until its value is no longer OLD_VALUE and prints
      the new value and how long it took (exit 1 on timeout).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PORT = os.environ.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2773")
ENDPOINT = f"http://localhost:{PORT}"
HEADERS = {"X-Aws-Parameters-Secrets-Token": os.environ["AWS_SESSION_TOKEN"]}


def get_secret(secret_id, version_stage=None):
    url = f"{ENDPOINT}/secretsmanager/get?secretId={urllib.parse.quote(secret_id, safe='')}"
    if version_stage:
        url += f"&versionStage={version_stage}"
    req = urllib.request.Request(url, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["SecretString"]


def get_parameter(name, with_decryption=False):
    url = (f"{ENDPOINT}/systemsmanager/parameters/get?name={urllib.parse.quote(name, safe='')}"
           f"&withDecryption={'true' if with_decryption else 'false'}")
    req = urllib.request.Request(url, headers=HEADERS)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["Parameter"]["Value"]


def status_of(url, headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main():
    mode = sys.argv[1]
    if mode == "read":
        secret_id, param, secure = sys.argv[2:5]
        missing_code, missing_body = status_of(f"{ENDPOINT}/secretsmanager/get?secretId=does-not-exist", HEADERS)
        no_token_code, _ = status_of(f"{ENDPOINT}/secretsmanager/get?secretId={urllib.parse.quote(secret_id)}", {})
        print(json.dumps({
            "secret": json.loads(get_secret(secret_id)),
            "parameter": get_parameter(param),
            "secure": get_parameter(secure, with_decryption=True),
            "missing": [missing_code, json.loads(missing_body)["__type"]],
            "no_token": no_token_code,
        }, sort_keys=True))
    elif mode == "wait-change":
        secret_id, old, timeout = sys.argv[2], sys.argv[3], float(sys.argv[4])
        start = time.monotonic()
        while True:
            value = get_secret(secret_id)
            if value != old:
                print(json.dumps({"value": value, "seconds": round(time.monotonic() - start, 3)}))
                return
            if time.monotonic() - start > timeout:
                sys.exit(f"the agent still serves the old value after {timeout} s")
            time.sleep(0.005)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
