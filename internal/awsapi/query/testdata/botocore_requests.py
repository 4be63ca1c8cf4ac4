"""Serialise real IAM, STS and test-model operations with botocore.

Prints a JSON list of cases: for each, the form body botocore's
QuerySerializer (EC2Serializer for the ec2 cases) sends, with its
Content-Type, and the body botocore's JSONSerializer would send for the same
parameters: the generic value query.Decode must produce. IAM and STS use the
models bundled with botocore, so the test does not trust our trimmed copies.

Usage: python3 botocore_requests.py testdata/testmodel.json
"""

import copy
import datetime
import json
import sys

import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.model import ServiceModel
from botocore.serialize import create_serializer

UTC = datetime.timezone.utc
SPECIAL = 'a <b> & "c" \'d\' \u00e9\u4e2d\U0001F512 +%=&?'
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}],
})

session = botocore.session.get_session()
loader = session.get_component('data_loader')


def raw_model(name):
    if name.endswith('.json'):
        with open(name) as f:
            return json.load(f)
    return loader.load_service_model(name, 'service-2')


def as_protocol(raw, protocol):
    raw = copy.deepcopy(raw)
    raw['metadata']['protocol'] = protocol
    raw['metadata']['protocols'] = [protocol]
    if protocol == 'json':
        raw['metadata']['jsonVersion'] = '1.1'
        raw['metadata']['targetPrefix'] = 'Test'
        # sealbox's generic value names structure members by their member
        # names (model.Validate, model.Redact and the Go types do), where
        # botocore's JSON serialiser would use a locationName.
        for shape in raw['shapes'].values():
            for ref in shape.get('members', {}).values():
                ref.pop('locationName', None)
    return raw


def case(name, model, op, params, protocol='query'):
    raw = raw_model(model)
    qm = ServiceModel(as_protocol(raw, protocol))
    jm = ServiceModel(as_protocol(raw, 'json'))
    req = create_serializer(protocol).serialize_to_request(params, qm.operation_model(op))
    prepared = AWSRequest(method=req['method'], url='https://example.com/', data=req['body'],
                          headers=req['headers']).prepare()
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode('utf-8')
    js = create_serializer('json', timestamp_precision='millisecond').serialize_to_request(
        params, jm.operation_model(op))
    jbody = js['body']
    if isinstance(jbody, bytes):
        jbody = jbody.decode('utf-8')
    return {'name': name, 'model': model if not model.endswith('.json') else 'test', 'protocol': protocol,
            'op': op, 'contentType': prepared.headers['Content-Type'], 'form': body, 'json': jbody or '{}'}


def without_empty_lists(v):
    if isinstance(v, dict):
        return {k: without_empty_lists(e) for k, e in v.items() if e != []}
    if isinstance(v, list):
        return [without_empty_lists(e) for e in v if e != []]
    return v


def main():
    test_model = sys.argv[1]
    tags = [{'Key': 'team', 'Value': 'payments'}, {'Key': 'cost center', 'Value': SPECIAL}]
    everything = {
        'Str': SPECIAL,
        'Flag': False,
        'Count': -42,
        'Big': 9007199254740993,
        'Ratio': 0.25,
        'When': datetime.datetime(2026, 11, 23, 10, 0, 0, 250000, tzinfo=UTC),
        'Data': b'\x00\x01binary\xff',
        'Secret': 'hunter2',
        'Names': ['one', 'two', ''],
        'Flat': ['f1', 'f2'],
        'FlatNamed': ['n1', 'n2'],
        'Renamed': 'renamed value',
        'Items': [{'Id': 'i1', 'Enabled': True, 'Size': 3, 'Tags': ['x', 'y']},
                  {'Id': 'i2', 'Child': {'Id': 'i2c', 'Child': {'Id': 'deep', 'Tags': []}}}],
        'Attrs': {'color': 'blue', 'shape': SPECIAL},
        'FlatAttrs': {'k1': 'v1', 'k2': 'v2'},
        'NamedMap': {'first': {'Id': 'm1', 'Enabled': False}, 'second': {'Id': 'm2', 'Size': 0}},
        'Nested': {'Id': 'n', 'Enabled': True, 'Tags': ['a'], 'Child': {'Id': 'nc'}},
        'Matrix': [['a', 'b'], [], ['c']],
    }
    cases = [
        case('iam-CreateRole', 'iam', 'CreateRole', {
            'Path': '/service-role/', 'RoleName': 'lambda-payments', 'AssumeRolePolicyDocument': POLICY,
            'Description': SPECIAL, 'MaxSessionDuration': 7200,
            'PermissionsBoundary': 'arn:aws:iam::123456789012:policy/boundary', 'Tags': tags}),
        case('iam-PutRolePolicy', 'iam', 'PutRolePolicy', {
            'RoleName': 'lambda-payments', 'PolicyName': 'read-secrets', 'PolicyDocument': POLICY}),
        case('iam-CreateAccessKey', 'iam', 'CreateAccessKey', {'UserName': 'alice'}),
        case('iam-CreateAccessKey-empty', 'iam', 'CreateAccessKey', {}),
        case('iam-ListUsers', 'iam', 'ListUsers', {'PathPrefix': '/eng/', 'Marker': 'bWFya2Vy+/=', 'MaxItems': 50}),
        case('iam-UntagRole-empty-list', 'iam', 'UntagRole', {'RoleName': 'r', 'TagKeys': []}),
        case('iam-UpdateAccountPasswordPolicy', 'iam', 'UpdateAccountPasswordPolicy', {
            'MinimumPasswordLength': 14, 'RequireSymbols': True, 'RequireNumbers': False,
            'AllowUsersToChangePassword': True, 'HardExpiry': False, 'MaxPasswordAge': 90}),
        case('iam-GetAccountAuthorizationDetails', 'iam', 'GetAccountAuthorizationDetails', {
            'Filter': ['User', 'Role', 'LocalManagedPolicy'], 'MaxItems': 100}),
        case('iam-SimulatePrincipalPolicy', 'iam', 'SimulatePrincipalPolicy', {
            'PolicySourceArn': 'arn:aws:iam::123456789012:role/lambda-payments',
            'PolicyInputList': [POLICY],
            'ActionNames': ['kms:Decrypt', 'secretsmanager:GetSecretValue'],
            'ResourceArns': ['arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
            'ContextEntries': [
                {'ContextKeyName': 'aws:SourceIp', 'ContextKeyValues': ['10.0.0.1', '10.0.0.2'],
                 'ContextKeyType': 'ipList'},
                {'ContextKeyName': 'kms:EncryptionContext:app', 'ContextKeyValues': ['payments'],
                 'ContextKeyType': 'string'},
            ],
            'ResourceHandlingOption': 'EC2-Classic-InstanceStore', 'MaxItems': 10, 'Marker': 'next'}),
        case('sts-AssumeRole', 'sts', 'AssumeRole', {
            'RoleArn': 'arn:aws:iam::123456789012:role/lambda-payments', 'RoleSessionName': 'session-1',
            'PolicyArns': [{'arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'},
                           {'arn': 'arn:aws:iam::123456789012:policy/extra'}],
            'Policy': POLICY, 'DurationSeconds': 900, 'Tags': tags, 'TransitiveTagKeys': ['team'],
            'ExternalId': 'ext-123', 'SerialNumber': 'arn:aws:iam::123456789012:mfa/alice', 'TokenCode': '123456',
            'SourceIdentity': 'alice',
            'ProvidedContexts': [{'ProviderArn': 'arn:aws:iam::aws:contextProvider/IdentityCenter',
                                  'ContextAssertion': 'x' * 40}]}),
        case('sts-GetCallerIdentity', 'sts', 'GetCallerIdentity', {}),
        case('sts-GetSessionToken', 'sts', 'GetSessionToken', {'DurationSeconds': 3600}),
        case('test-Everything', test_model, 'Everything', everything),
        case('test-Nothing', test_model, 'Nothing', {}),
        # EC2 sends nothing for an empty list, so its case has none.
        case('ec2-Everything', test_model, 'Everything', without_empty_lists(everything), protocol='ec2'),
    ]
    json.dump(cases, sys.stdout, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
