"""Serialise real Lambda and test-model operations with botocore.

Prints a JSON list of cases: for each, the request botocore's
RestJSONSerializer sends (method, path with query, headers, body as base64),
and the body botocore's JSONSerializer would send for the same parameters:
the generic value restjson.Decode must produce. Lambda uses the model bundled
with botocore, so the test does not trust our trimmed copy.

Usage: python3 botocore_requests.py testdata/testmodel.json
"""

import base64
import copy
import datetime
import json
import sys
import urllib.parse

import botocore.session
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import ServiceModel
from botocore.serialize import create_serializer

UTC = datetime.timezone.utc
SPECIAL = 'a <b> & "c" \'d\' \u00e9\u4e2d\U0001F512 +%=&?/:;,'
ARN = 'arn:aws:lambda:us-east-1:123456789012:function:payments'
ROLE = 'arn:aws:iam::123456789012:role/service-role/lambda-payments'
ZIP = b'PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00!\x00\xff\xfe binary zip'

session = botocore.session.get_session()
loader = session.get_component('data_loader')


def raw_model(name):
    if name.endswith('.json'):
        with open(name) as f:
            return json.load(f)
    return loader.load_service_model(name, 'service-2')


def as_json_protocol(raw):
    """The model as an AWS JSON 1.1 service: every member in the body under
    its member name, timestamps as epoch seconds, no payload: the form of
    sealbox's generic value."""
    raw = copy.deepcopy(raw)
    raw['metadata']['protocol'] = 'json'
    raw['metadata']['protocols'] = ['json']
    raw['metadata']['jsonVersion'] = '1.1'
    raw['metadata']['targetPrefix'] = 'Test'
    for shape in raw['shapes'].values():
        shape.pop('payload', None)
        shape.pop('timestampFormat', None)
        for ref in shape.get('members', {}).values():
            for k in ('location', 'locationName', 'timestampFormat', 'jsonvalue'):
                ref.pop(k, None)
    return raw


def json_params(raw, op, params):
    """jsonvalue headers carry JSON text: the generic value is that text."""
    shape = raw['shapes'][raw['operations'][op]['input']['shape']]
    out = dict(params)
    for name, ref in shape.get('members', {}).items():
        if ref.get('jsonvalue') and name in out:
            out[name] = json.dumps(out[name], separators=(',', ':'))
    return out


def case(name, model, op, params):
    raw = raw_model(model)
    rm = ServiceModel(raw)
    jm = ServiceModel(as_json_protocol(raw))
    req = create_serializer('rest-json').serialize_to_request(params, rm.operation_model(op))
    prepare_request_dict(req, endpoint_url='https://example.com')
    prepared = create_request_object(req).prepare()
    url = urllib.parse.urlsplit(prepared.url)
    target = url.path + ('?' + url.query if url.query else '')
    body = prepared.body or b''
    if isinstance(body, str):
        body = body.encode('utf-8')
    if hasattr(body, 'read'):
        body = body.read()
    js = create_serializer('json', timestamp_precision='millisecond').serialize_to_request(
        json_params(raw, op, params), jm.operation_model(op))
    jbody = js['body']
    if isinstance(jbody, bytes):
        jbody = jbody.decode('utf-8')
    headers = {k: (v.decode('utf-8') if isinstance(v, bytes) else v) for k, v in prepared.headers.items()}
    return {'name': name, 'model': 'test' if model.endswith('.json') else model, 'op': op,
            'method': prepared.method, 'target': target, 'headers': headers,
            'body': base64.b64encode(body).decode('ascii'), 'json': jbody or '{}'}


def main():
    test_model = sys.argv[1]
    when = datetime.datetime(2026, 11, 23, 10, 0, 0, 250000, tzinfo=UTC)
    whole = datetime.datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    # botocore writes epoch seconds in a REST-JSON body without their
    # fraction, so body timestamps here are whole seconds.
    item = {'Id': 'i1', 'Enabled': True, 'Size': 3, 'Tags': ['x', SPECIAL], 'When': whole, 'Renamed': 'r1',
            'Child': {'Id': 'deep', 'Tags': [], 'Child': {'Id': 'deeper', 'Enabled': False}}}
    cases = [
        # Lambda, with botocore's own model.
        case('lambda-CreateFunction', 'lambda', 'CreateFunction', {
            'FunctionName': 'payments', 'Runtime': 'python3.12', 'Role': ROLE, 'Handler': 'app.handler',
            'Code': {'ZipFile': ZIP}, 'Description': SPECIAL, 'Timeout': 30, 'MemorySize': 512, 'Publish': True,
            'VpcConfig': {'SubnetIds': ['subnet-1', 'subnet-2'], 'SecurityGroupIds': ['sg-1'], 'Ipv6AllowedForDualStack': False},
            'Environment': {'Variables': {'STAGE': 'prod', 'DB_URL': 'postgres://db:5432/x?sslmode=require', 'EMPTY': ''}},
            'TracingConfig': {'Mode': 'Active'}, 'Tags': {'team': 'payments', 'cost center': SPECIAL},
            'Layers': ['arn:aws:lambda:us-east-1:123456789012:layer:deps:3'], 'Architectures': ['arm64'],
            'EphemeralStorage': {'Size': 1024}, 'KMSKeyArn': 'arn:aws:kms:us-east-1:123456789012:key/k',
            'DeadLetterConfig': {'TargetArn': 'arn:aws:sqs:us-east-1:123456789012:dlq'}}),
        case('lambda-GetFunctionConfiguration-arn', 'lambda', 'GetFunctionConfiguration', {
            'FunctionName': ARN, 'Qualifier': '$LATEST'}),
        case('lambda-GetFunction-partial-arn', 'lambda', 'GetFunction', {
            'FunctionName': '123456789012:function:payments:live'}),
        case('lambda-UpdateFunctionConfiguration', 'lambda', 'UpdateFunctionConfiguration', {
            'FunctionName': 'payments', 'RevisionId': '7b2f4e1a-0000-4000-8000-000000000001', 'Timeout': 60,
            'Environment': {'Variables': {}}, 'Layers': [], 'Description': ''}),
        case('lambda-UpdateFunctionCode', 'lambda', 'UpdateFunctionCode', {
            'FunctionName': ARN, 'ZipFile': ZIP, 'Publish': False, 'DryRun': True, 'RevisionId': 'r1'}),
        case('lambda-ListFunctions', 'lambda', 'ListFunctions', {
            'MasterRegion': 'ALL', 'FunctionVersion': 'ALL', 'Marker': 'bWFya2Vy+/= &x', 'MaxItems': 50}),
        case('lambda-ListFunctions-empty', 'lambda', 'ListFunctions', {}),
        case('lambda-PublishVersion', 'lambda', 'PublishVersion', {
            'FunctionName': 'payments', 'CodeSha256': 'abc=', 'Description': 'v2', 'RevisionId': 'r2'}),
        case('lambda-PublishVersion-empty', 'lambda', 'PublishVersion', {'FunctionName': 'payments'}),
        case('lambda-CreateAlias', 'lambda', 'CreateAlias', {
            'FunctionName': 'payments', 'Name': 'live', 'FunctionVersion': '1', 'Description': SPECIAL,
            'RoutingConfig': {'AdditionalVersionWeights': {'2': 0.25}}}),
        case('lambda-GetAlias', 'lambda', 'GetAlias', {'FunctionName': ARN, 'Name': 'live'}),
        case('lambda-DeleteAlias', 'lambda', 'DeleteAlias', {'FunctionName': 'payments', 'Name': 'live'}),
        case('lambda-ListVersionsByFunction', 'lambda', 'ListVersionsByFunction', {
            'FunctionName': ARN, 'Marker': 'm', 'MaxItems': 10}),
        case('lambda-ListAliases', 'lambda', 'ListAliases', {'FunctionName': 'payments', 'FunctionVersion': '$LATEST'}),
        case('lambda-TagResource', 'lambda', 'TagResource', {'Resource': ARN, 'Tags': {'team': 'payments', 'k': ''}}),
        case('lambda-UntagResource', 'lambda', 'UntagResource', {'Resource': ARN, 'TagKeys': ['team', 'cost center', 'a&b=c']}),
        case('lambda-ListTags', 'lambda', 'ListTags', {'Resource': ARN}),
        case('lambda-DeleteFunction', 'lambda', 'DeleteFunction', {'FunctionName': 'payments', 'Qualifier': '3'}),
        case('lambda-GetLayerVersionByArn', 'lambda', 'GetLayerVersionByArn', {
            'Arn': 'arn:aws:lambda:us-east-1:123456789012:layer:deps:3'}),
        case('lambda-ListLayers', 'lambda', 'ListLayers', {'CompatibleRuntime': 'python3.12', 'MaxItems': 5}),
        case('lambda-GetLayerVersion', 'lambda', 'GetLayerVersion', {'LayerName': 'deps', 'VersionNumber': 3}),
        case('lambda-ListProvisionedConcurrencyConfigs', 'lambda', 'ListProvisionedConcurrencyConfigs', {
            'FunctionName': 'payments', 'MaxItems': 5}),
        case('lambda-GetProvisionedConcurrencyConfig', 'lambda', 'GetProvisionedConcurrencyConfig', {
            'FunctionName': 'payments', 'Qualifier': 'live'}),
        case('lambda-AddPermission', 'lambda', 'AddPermission', {
            'FunctionName': 'payments', 'StatementId': 's3-invoke', 'Action': 'lambda:InvokeFunction',
            'Principal': 's3.amazonaws.com', 'SourceArn': 'arn:aws:s3:::bucket', 'SourceAccount': '123456789012',
            'Qualifier': 'live', 'RevisionId': 'r3'}),
        case('lambda-RemovePermission', 'lambda', 'RemovePermission', {
            'FunctionName': 'payments', 'StatementId': 's3-invoke', 'Qualifier': 'live', 'RevisionId': 'r4'}),
        case('lambda-PutFunctionEventInvokeConfig', 'lambda', 'PutFunctionEventInvokeConfig', {
            'FunctionName': 'payments', 'Qualifier': 'live', 'MaximumRetryAttempts': 0, 'MaximumEventAgeInSeconds': 60,
            'DestinationConfig': {'OnSuccess': {'Destination': ARN + '-sink'},
                                  'OnFailure': {'Destination': 'arn:aws:sqs:us-east-1:123456789012:failed'}}}),
        case('lambda-ListFunctionEventInvokeConfigs', 'lambda', 'ListFunctionEventInvokeConfigs', {
            'FunctionName': 'payments', 'Marker': 'next', 'MaxItems': 5}),
        case('lambda-DeleteFunctionEventInvokeConfig', 'lambda', 'DeleteFunctionEventInvokeConfig', {
            'FunctionName': 'payments', 'Qualifier': '3'}),
        case('lambda-PutFunctionConcurrency', 'lambda', 'PutFunctionConcurrency', {
            'FunctionName': 'payments', 'ReservedConcurrentExecutions': 0}),
        case('lambda-Invoke', 'lambda', 'Invoke', {
            'FunctionName': 'payments', 'InvocationType': 'RequestResponse', 'LogType': 'Tail',
            'ClientContext': base64.b64encode(b'{"custom":{}}').decode('ascii'), 'Qualifier': 'live',
            'Payload': b'{"order": 42, "note": "\xc3\xa9"}'}),
        case('lambda-ListDurableExecutionsByFunction', 'lambda', 'ListDurableExecutionsByFunction', {
            'FunctionName': 'payments', 'Statuses': ['RUNNING', 'SUCCEEDED'], 'StartedAfter': when,
            'StartedBefore': whole, 'ReverseOrder': True, 'MaxItems': 10}),
        # The test model: what Lambda lacks.
        case('test-PutThing', test_model, 'PutThing', {
            'ThingId': 'thing/' + SPECIAL, 'PartPath': 'a/b c/' + SPECIAL,
            'QStr': SPECIAL, 'QFlag': False, 'QCount': -42, 'QBig': 9007199254740993, 'QRatio': 0.25,
            'QWhen': when, 'QWhenEpoch': whole, 'QNames': ['one', '', SPECIAL], 'QNums': [1, -2, 3],
            'Extra': {'extra1': 'v1', 'extra 2': SPECIAL},
            'HStr': 'header text', 'HFlag': True, 'HCount': 7, 'HWhen': whole, 'HWhenIso': whole,
            'HList': ['a', 'b,c', 'd"e', ''], 'HDates': [whole, whole + datetime.timedelta(days=1)],
            'HJson': {'k': [1, 'two', None], 'nested': {'ok': True}},
            'Meta': {'color': 'blue', 'owner-team': 'payments'},
            'Name': SPECIAL, 'Renamed': 'renamed value', 'Secret': 'hunter2', 'Count': 3, 'Big': -9007199254740993,
            'Ratio': 1.5, 'Flag': False, 'Created': whole, 'CreatedIso': whole, 'CreatedShapeIso': whole,
            'Data': b'\x00\x01binary\xff', 'Items': [item, {'Id': 'i2'}],
            'ItemsByName': {'first': item, 'second': {'Id': 'm2', 'Size': 0}},
            'Attrs': {'color': 'blue', 'empty': ''}, 'Multi': {'k': ['v1', 'v2'], 'none': []}, 'Nested': item}),
        case('test-PutThing-minimal', test_model, 'PutThing', {'ThingId': 't', 'PartPath': 'p'}),
        case('test-ListThings', test_model, 'ListThings', {'MaxItems': 5, 'Marker': 'next'}),
        case('test-ListThingVersions', test_model, 'ListThingVersions', {'ThingId': 'special'}),
        case('test-GetThing-special-id', test_model, 'GetThing', {'ThingId': 'special thing', 'Version': '2'}),
        case('test-UploadBlob', test_model, 'UploadBlob', {
            'Key': 'dir/sub dir/file.bin', 'Checksum': 'sha256=abc', 'Content': b'\x00\xff raw bytes \r\n'}),
        case('test-UploadBlob-empty', test_model, 'UploadBlob', {'Key': 'k'}),
        case('test-SendDoc', test_model, 'SendDoc', {'DocId': 'd1', 'Doc': item}),
        case('test-SendDoc-empty', test_model, 'SendDoc', {'DocId': 'd1'}),
        case('test-PutText', test_model, 'PutText', {'Key': 'k', 'Text': SPECIAL + '\n'}),
        case('test-GetFileMeta', test_model, 'GetFileMeta', {'Path': 'a/b/meta/c'}),
        case('test-DeleteThing', test_model, 'DeleteThing', {'ThingId': ARN}),
    ]
    json.dump(cases, sys.stdout, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
