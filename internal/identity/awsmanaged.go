package identity

import (
	"crypto/sha256"
	"time"
)

// The AWS managed policies sealbox serves, read-only, under
// arn:aws:iam::aws:policy/: those people attach for the services sealbox
// serves. Each document is the default version AWS publishes in its
// managed policy reference
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html),
// with that version's id. Where AWS's document also names services sealbox
// does not serve (CloudFormation, EC2, CloudWatch, RDS ...), the statements
// and actions for those are left out and the policy's trimmed flag says so;
// what remains is as AWS publishes it, so a policy allows here exactly what
// it allows in AWS on the services both serve. Policy ids are sealbox's own
// (ANPA and a digest of the name), except AdministratorAccess's, which is
// AWS's.
var awsManaged = map[string]builtinPolicy{
	"AdministratorAccess": {
		ID:          "ANPAIWMBCKSKIEE64ZLYK",
		Description: "Provides full access to AWS services and resources.",
		Created:     time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC),
		Version:     "v1",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	},
	"PowerUserAccess": {
		Description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
		Created:     time.Date(2015, 2, 6, 18, 39, 0, 0, time.UTC),
		Version:     "v12",
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions",` +
			`"iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}`,
	},
	"ReadOnlyAccess": {
		Description: "Provides read-only access to AWS services and resources.",
		Created:     time.Date(2015, 2, 6, 18, 39, 0, 0, time.UTC),
		Version:     "v1",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` +
			`"cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents",` +
			`"iam:Generate*","iam:Get*","iam:List*","iam:Simulate*",` +
			`"kms:Describe*","kms:Get*","kms:List*",` +
			`"lambda:Get*","lambda:List*",` +
			`"secretsmanager:Describe*","secretsmanager:GetResourcePolicy","secretsmanager:List*",` +
			`"ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]}`,
	},
	"IAMReadOnlyAccess": {
		Description: "Provides read only access to IAM via the AWS Management Console.",
		Created:     time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC),
		Version:     "v4",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails",` +
			`"iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`,
	},
	"IAMFullAccess": {
		Description: "Provides full access to IAM via the AWS Management Console.",
		Created:     time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC),
		Version:     "v2",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization",` +
			`"organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents",` +
			`"organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`,
	},
	"SecretsManagerReadWrite": {
		Description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console. Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required.",
		Created:     time.Date(2018, 4, 4, 18, 5, 0, 0, time.UTC),
		Version:     "v5",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"BasePermissions","Effect":"Allow","Action":["secretsmanager:*","kms:DescribeKey","kms:ListAliases","kms:ListKeys","lambda:ListFunctions"],"Resource":"*"},` +
			`{"Sid":"LambdaPermissions","Effect":"Allow","Action":["lambda:AddPermission","lambda:CreateFunction","lambda:GetFunction","lambda:InvokeFunction","lambda:UpdateFunctionConfiguration"],` +
			`"Resource":"arn:aws:lambda:*:*:function:SecretsManager*"}]}`,
	},
	"AWSKeyManagementServicePowerUser": {
		Description: "Provides access to AWS Key Management Service (KMS).",
		Created:     time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC),
		Version:     "v2",
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*",` +
			`"kms:GenerateRandom","kms:Get*","kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}`,
	},
	"AmazonSSMReadOnlyAccess": {
		Description: "Provides read only access to Amazon SSM.",
		Created:     time.Date(2015, 5, 29, 17, 44, 0, 0, time.UTC),
		Version:     "v1",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:Describe*","ssm:Get*","ssm:List*"],"Resource":"*"}]}`,
	},
	"AmazonSSMFullAccess": {
		Description: "Provides full access to Amazon SSM.",
		Created:     time.Date(2015, 5, 29, 17, 39, 0, 0, time.UTC),
		Version:     "v5",
		Trimmed:     true,
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*"],"Resource":"*"}]}`,
	},
	"AWSLambda_ReadOnlyAccess": {
		Description: "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
		Created:     time.Date(2020, 11, 17, 21, 10, 0, 0, time.UTC),
		Version:     "v1",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy",` +
			`"iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","kms:ListAliases","lambda:Get*","lambda:List*"],"Resource":"*"}]}`,
	},
	"AWSLambda_FullAccess": {
		Description: "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
		Created:     time.Date(2020, 11, 17, 21, 14, 0, 0, time.UTC),
		Version:     "v2",
		Trimmed:     true,
		Document: `{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":["kms:ListAliases","iam:GetPolicy","iam:GetPolicyVersion","iam:GetRole","iam:GetRolePolicy",` +
			`"iam:ListAttachedRolePolicies","iam:ListRolePolicies","iam:ListRoles","lambda:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`,
	},
	"AWSLambdaBasicExecutionRole": {
		Path:        "/service-role/",
		Description: "Provides write permissions to CloudWatch Logs.",
		Created:     time.Date(2015, 4, 9, 15, 3, 43, 0, time.UTC),
		Version:     "v1",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`,
	},
}

// managedID is the policy id of an AWS managed policy that has no id of
// AWS's here: ANPA and 17 characters of base32 from the name's digest, so
// that it is stable across servers and restarts.
func managedID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy/" + name))
	out := []byte("ANPA")
	for _, c := range sum[:17] {
		out = append(out, base32Upper[c&31])
	}
	return string(out)
}
