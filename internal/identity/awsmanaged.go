package identity

import (
	"crypto/sha256"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The AWS managed policies sealbox serves, read-only, under
// arn:aws:iam::aws:policy/: those people attach for the services sealbox
// serves. Each one is as AWS publishes it (its managed policy reference,
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html,
// and iam:GetPolicy/GetPolicyVersion as recorded by
// https://github.com/zoph-io/MAMIP, policies/<Name> and policies-list.json,
// as of February 2026): AWS's PolicyId, creation time, default version id
// and that version's date, and its document, statements in AWS's order
// with their Sid, Action, Resource and Condition unchanged.
//
// Sealbox serves IAM, STS, KMS, SSM, Secrets Manager, Lambda and
// CloudTrail's LookupEvents. Where AWS's document also names services
// sealbox does not serve, their actions are left out of a statement that
// mixes services and a statement only for them is left out whole, and the
// policy's Trimmed flag says so. What was left out, policy by policy:
//
//   - ReadOnlyAccess: every action but cloudtrail, iam, kms, lambda,
//     secretsmanager, ssm and sts ones from ReadOnlyActionsGroup1 and
//     ReadOnlyActionsGroup2.
//   - SecretsManagerReadWrite: the cloudformation, docdb-elastic, ec2, rds,
//     redshift, redshift-serverless and tag actions of BasePermissions;
//     the SARPermissions (serverlessrepo) and S3Permissions statements.
//   - AmazonSSMFullAccess: cloudwatch:PutMetricData, ds:CreateComputer,
//     ds:DescribeDirectories, ec2:DescribeInstanceStatus, logs:* and
//     ec2messages:* of the first statement; the ssmmessages statement.
//   - AWSLambda_ReadOnlyAccess: the cloudformation, cloudwatch, ec2, logs,
//     states, tag and xray actions of the first statement; the statement of
//     logs actions on arn:aws:logs:*:*:log-group:/aws/lambda/*.
//   - AWSLambda_FullAccess: the same actions of the first statement; the
//     statement of logs actions on the /aws/lambda/ log groups.
//
// AWSLambdaBasicExecutionRole is served whole (it is logs actions only,
// for a function's execution role). The others are AWS's documents whole.
// So a policy allows here exactly what it allows in AWS on the services
// both serve.
var awsManaged = map[string]builtinPolicy{
	"AdministratorAccess": {
		ID:          "ANPAIWMBCKSKIEE64ZLYK",
		Description: "Provides full access to AWS services and resources.",
		Created:     time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC),
		Version:     "v1",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	},
	"PowerUserAccess": {
		ID:          "ANPAJYRXTHIB4FOVS3ZXS",
		Description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
		Created:     time.Date(2015, 2, 6, 18, 39, 47, 0, time.UTC),
		Updated:     time.Date(2026, 2, 12, 17, 59, 14, 0, time.UTC),
		Version:     "v12",
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions",` +
			`"iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}`,
	},
	"ReadOnlyAccess": {
		ID:          "ANPAILL3HVNFSB6DCOWYQ",
		Description: "Provides read-only access to AWS services and resources.",
		Created:     time.Date(2015, 2, 6, 18, 39, 48, 0, time.UTC),
		Updated:     time.Date(2026, 2, 12, 18, 1, 33, 0, time.UTC),
		Version:     "v178",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"ReadOnlyActionsGroup1","Effect":"Allow","Action":[` +
			`"cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents",` +
			`"iam:Generate*","iam:Get*","iam:List*","iam:Simulate*"],"Resource":"*"},` +
			`{"Sid":"ReadOnlyActionsGroup2","Effect":"Allow","Action":[` +
			`"kms:Describe*","kms:Get*","kms:List*",` +
			`"lambda:Get*","lambda:List*",` +
			`"secretsmanager:Describe*","secretsmanager:GetResourcePolicy","secretsmanager:List*",` +
			`"ssm:Describe*","ssm:Get*","ssm:List*",` +
			`"sts:GetAccessKeyInfo","sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"}]}`,
	},
	"IAMReadOnlyAccess": {
		ID:          "ANPAJKSO7NDY4T57MWDSQ",
		Description: "Provides read only access to IAM via the AWS Management Console.",
		Created:     time.Date(2015, 2, 6, 18, 40, 39, 0, time.UTC),
		Updated:     time.Date(2018, 1, 25, 19, 11, 27, 0, time.UTC),
		Version:     "v4",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails",` +
			`"iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`,
	},
	"IAMFullAccess": {
		ID:          "ANPAI7XKCFMBPM3QQRRVQ",
		Description: "Provides full access to IAM via the AWS Management Console.",
		Created:     time.Date(2015, 2, 6, 18, 40, 38, 0, time.UTC),
		Updated:     time.Date(2019, 6, 21, 19, 40, 0, 0, time.UTC),
		Version:     "v2",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization",` +
			`"organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents",` +
			`"organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`,
	},
	"SecretsManagerReadWrite": {
		ID:          "ANPAI3VG7CI5BIQZQ6G2E",
		Description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required.",
		Created:     time.Date(2018, 4, 4, 18, 5, 29, 0, time.UTC),
		Updated:     time.Date(2024, 2, 22, 18, 12, 6, 0, time.UTC),
		Version:     "v5",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"BasePermissions","Effect":"Allow","Action":["secretsmanager:*","kms:DescribeKey","kms:ListAliases","kms:ListKeys","lambda:ListFunctions"],"Resource":"*"},` +
			`{"Sid":"LambdaPermissions","Effect":"Allow","Action":["lambda:AddPermission","lambda:CreateFunction","lambda:GetFunction","lambda:InvokeFunction","lambda:UpdateFunctionConfiguration"],` +
			`"Resource":"arn:aws:lambda:*:*:function:SecretsManager*"}]}`,
	},
	"AWSKeyManagementServicePowerUser": {
		ID:          "ANPAJNPP7PPPPMJRV2SA4",
		Description: "Provides access to AWS Key Management Service (KMS).",
		Created:     time.Date(2015, 2, 6, 18, 40, 40, 0, time.UTC),
		Updated:     time.Date(2017, 3, 7, 0, 55, 11, 0, time.UTC),
		Version:     "v2",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*",` +
			`"kms:GenerateRandom","kms:Get*","kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}`,
	},
	"AmazonSSMReadOnlyAccess": {
		ID:          "ANPAJODSKQGGJTHRYZ5FC",
		Description: "Provides read only access to Amazon SSM.",
		Created:     time.Date(2015, 5, 29, 17, 44, 19, 0, time.UTC),
		Version:     "v1",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]}`,
	},
	"AmazonSSMFullAccess": {
		ID:          "ANPAJA7V6HI4ISQFMDYAG",
		Description: "Provides full access to Amazon SSM.",
		Created:     time.Date(2015, 5, 29, 17, 39, 47, 0, time.UTC),
		Updated:     time.Date(2019, 11, 20, 20, 8, 56, 0, time.UTC),
		Version:     "v4",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":["ssm:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*",` +
			`"Condition":{"StringLike":{"iam:AWSServiceName":"ssm.amazonaws.com"}}},` +
			`{"Effect":"Allow","Action":["iam:DeleteServiceLinkedRole","iam:GetServiceLinkedRoleDeletionStatus"],` +
			`"Resource":"arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*"}]}`,
	},
	"AWSLambda_ReadOnlyAccess": {
		ID:          "ANPAZKAPJZG4IERNVMNPE",
		Description: "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
		Created:     time.Date(2020, 11, 17, 21, 10, 32, 0, time.UTC),
		Updated:     time.Date(2026, 2, 12, 18, 2, 55, 0, time.UTC),
		Version:     "v5",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:ListAliases","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy",` +
			`"iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","lambda:Get*","lambda:List*"],"Resource":"*"}]}`,
	},
	"AWSLambda_FullAccess": {
		ID:          "ANPAZKAPJZG4OXQPYWZ5D",
		Description: "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
		Created:     time.Date(2020, 11, 17, 21, 14, 8, 0, time.UTC),
		Updated:     time.Date(2026, 2, 12, 18, 0, 51, 0, time.UTC),
		Version:     "v7",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":["kms:DescribeKey","kms:ListAliases","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy",` +
			`"iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","lambda:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},` +
			`{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda",` +
			`"Condition":{"StringEquals":{"iam:AWSServiceName":"lambda.amazonaws.com"}}}]}`,
	},
	"AWSLambdaBasicExecutionRole": {
		ID:          "ANPAJNCQGXC42545SKXIK",
		Path:        "/service-role/",
		Description: "Provides write permissions to CloudWatch Logs.",
		Created:     time.Date(2015, 4, 9, 15, 3, 43, 0, time.UTC),
		Version:     "v1",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`,
	},
}

// managedID is the policy id of an AWS managed policy that has no id of
// AWS's here (every one served has today): ANPA and 17 characters of base32 from the name's digest, so
// that it is stable across servers and restarts.
func managedID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy/" + name))
	out := []byte("ANPA")
	for _, c := range sum[:17] {
		out = append(out, base32Upper[c&31])
	}
	return string(out)
}

// builtinPolicy is an AWS managed policy served read-only: one version,
// the default AWS publishes (see awsManaged).
type builtinPolicy struct {
	ID          string // AWS's PolicyId; "": managedID(name)
	Path        string // "": "/"
	Description string
	Created     time.Time
	// Updated is when AWS made the default version (the policy's
	// UpdateDate); zero: Created.
	Updated  time.Time
	Version  string // the default version's id, as AWS numbers it
	Document string
	// Trimmed says statements or actions for services sealbox does not
	// serve were left out of AWS's document.
	Trimmed bool
}

func builtinRecord(name, partition string) (*PolicyRecord, bool) {
	b, ok := awsManaged[name]
	if !ok {
		return nil, false
	}
	id, path := b.ID, b.Path
	if id == "" {
		id = managedID(name)
	}
	if path == "" {
		path = "/"
	}
	updated := b.Updated
	if updated.IsZero() {
		updated = b.Created
	}
	next, _ := strconv.Atoi(strings.TrimPrefix(b.Version, "v"))
	return &PolicyRecord{
		Name: name, ID: id, Path: path, Partition: partition, Description: b.Description,
		Created: b.Created, Updated: updated, Default: b.Version, NextVersion: next + 1,
		Versions: []PolicyVersionRecord{{ID: b.Version, Document: b.Document, Created: updated}},
		aws:      true,
	}, true
}

type awsAttachments struct {
	Attachments  int `json:"attachments"`
	BoundaryUses int `json:"boundaryUses,omitempty"`
}

// AWSManagedARNs lists the ARNs of the AWS managed policies served, in the
// partition, by name.
func AWSManagedARNs(partition string) []string {
	names := slices.Sorted(maps.Keys(awsManaged))
	arns := make([]string, 0, len(names))
	for _, name := range names {
		p, _ := builtinRecord(name, partition)
		arns = append(arns, p.ARN(""))
	}
	return arns
}
