"""Parse Query answers with botocore's QueryParser.

Reads a JSON list of answers from stdin, each {"name", "model", "op",
"status", "body"} ("model" is "iam", "sts" or a path to a model file), and
prints a JSON object of what botocore makes of each, with timestamps as epoch
seconds and blobs as base64 (the JSON forms of sealbox's Go types), and for
errors the class botocore's client raises for the code. IAM and STS use the
models bundled with botocore, so the test does not trust our trimmed copies.
"""

import base64
import datetime
import json
import sys

import botocore.session
from botocore.model import ServiceModel
from botocore.parsers import create_parser

session = botocore.session.get_session()
models = {}
clients = {}


def service_model(name):
    if name not in models:
        if name.endswith('.json'):
            with open(name) as f:
                models[name] = ServiceModel(json.load(f))
        else:
            models[name] = session.get_service_model(name)
    return models[name]


def exception_for(model, code):
    if model.endswith('.json'):
        return None
    if model not in clients:
        clients[model] = session.create_client(
            model, region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret')
    return clients[model].exceptions.from_code(code).__name__


def plain(v):
    if isinstance(v, datetime.datetime):
        return round(v.timestamp() * 1000) / 1000
    if isinstance(v, bytes):
        return base64.b64encode(v).decode('ascii')
    if isinstance(v, dict):
        return {k: plain(e) for k, e in v.items()}
    if isinstance(v, list):
        return [plain(e) for e in v]
    return v


def main():
    out = {}
    for a in json.load(sys.stdin):
        model = service_model(a['model'])
        op = model.operation_model(a['op'])
        parser = create_parser(model.metadata['protocol'])
        parsed = parser.parse({'status_code': a['status'], 'headers': {}, 'body': a['body'].encode('utf-8')},
                              op.output_shape)
        parsed = plain(parsed)
        if 'Error' in parsed:
            parsed['exception'] = exception_for(a['model'], parsed['Error'].get('Code', ''))
        out[a['name']] = parsed
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
