"""Parse REST-JSON answers with botocore's RestJSONParser.

Reads a JSON list of answers from stdin, each {"name", "model", "op",
"status", "headers", "body"} ("model" is "lambda" or a path to a model file;
the body is base64), and prints a JSON object of what botocore makes of each
as its client would (the output shape's parse, then for an error the parse
of the modelled error shape the code names), with timestamps as epoch
seconds and blobs as base64 (the JSON forms of sealbox's Go types), without
the response headers, and for errors the class botocore's client raises for
the code. Lambda uses the model bundled with botocore, so the test does not
trust our trimmed copy.
"""

import base64
import datetime
import io
import json
import sys

import botocore.session
from botocore.awsrequest import HeadersDict
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody

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
    if isinstance(v, StreamingBody):
        v = v.read()
    if isinstance(v, (bytes, bytearray)):
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
        headers = HeadersDict()
        for k, v in a['headers'].items():
            headers[k] = v
        body = base64.b64decode(a['body'])
        response = {'status_code': a['status'], 'headers': headers, 'body': body}
        if a['status'] < 300 and op.has_streaming_output:
            # As botocore's endpoint hands a blob payload over.
            response['body'] = StreamingBody(io.BytesIO(body), len(body))
        parsed = parser.parse(response, op.output_shape)
        if a['status'] >= 300:
            code = parsed.get('Error', {}).get('Code')
            shape = model.shape_for_error_code(code) if code else None
            if shape is not None:
                parsed.update(parser.parse(response, shape))
            exception = exception_for(a['model'], code or '')
            if exception:
                parsed['exception'] = exception
        meta = parsed.get('ResponseMetadata', {})
        meta.pop('HTTPHeaders', None)
        out[a['name']] = plain(parsed)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
