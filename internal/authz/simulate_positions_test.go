package authz_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// positionsPolicy is written as IAM writes policies (4-space indent, the
// statements' braces indented 8), the layout of aws-cli's
// simulate-principal-policy example, whose answer for the first statement
// is StartPosition {3, 19}, EndPosition {9, 10}.
const positionsPolicy = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": "logs:*",
            "Resource": "*"
        },
        {
            "Sid": "Keys",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt"],
            "Resource": "*"
        },
        {
            "Sid": "NoDelete",
            "Effect": "Deny",
            "Action": "kms:ScheduleKeyDeletion",
            "Resource": "*"
        }
    ]
}`

// Positions in positionsPolicy, counted by hand (1-based): a statement
// starts just past the token before its { (the [ at line 3 column 18, or
// the previous statement's } at column 9) and ends just past its }.
var (
	logsAt     = "3:19-9:10"
	keysAt     = "9:10-15:10"
	noDeleteAt = "15:10-21:10"
)

// awsExample is aws-cli's simulate-custom-policy example, verbatim: its
// Statement a single object. AWS answers StartPosition {1, 38} (just past
// the statement's {, the 37th character) and EndPosition {1, 167} (just
// past its }, the 166th).
const awsExample = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`

// unicodePolicy: statements after characters beyond ASCII on their line
// (IAM's policyDocumentType admits Latin-1 only: each is one character,
// two bytes in UTF-8). The [ is the 42nd character (45th byte): the first
// statement runs from column 43 to just past its } at 140, the second from
// there to just past its } at 203.
const unicodePolicy = `{"Id": "Schlüssel für Clé", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": ["arn:aws:kms:*:*:alias/schlüssel", "*"]}, {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}`

// at is a matched statement as "policy type line:column-line:column".
func at(m iamtypes.Statement) string {
	s := aws.ToString(m.SourcePolicyId) + " " + string(m.SourcePolicyType)
	if m.StartPosition == nil || m.EndPosition == nil {
		return s + " (no position)"
	}
	return fmt.Sprintf("%s %d:%d-%d:%d", s, m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
}

// matched is each action's matched statements, as at gives them.
func matched(results []iamtypes.EvaluationResult) map[string][]string {
	out := map[string][]string{}
	for _, r := range results {
		out[aws.ToString(r.EvalActionName)] = []string{}
		for _, m := range r.MatchedStatements {
			out[aws.ToString(r.EvalActionName)] = append(out[aws.ToString(r.EvalActionName)], at(m))
		}
	}
	return out
}

func sameMatched(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for action, w := range want {
		if strings.Join(got[action], "; ") != strings.Join(w, "; ") {
			t.Errorf("%s: %s matched %q, want %q", what, action, got[action], w)
		}
	}
}

// TestSimulateStatementPositions: each matched statement carries where it
// is written in its policy, as AWS counts (see statementPositions): in a
// list, as the Statement object, with CRLF line ends, after multi-byte
// characters, in a principal's inline and managed policies and in
// simulation input.
func TestSimulateStatementPositions(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	crlf := strings.ReplaceAll(positionsPolicy, "\n", "\r\n")
	actions := []string{"logs:CreateLogGroup", "kms:Decrypt", "kms:ScheduleKeyDeletion", "s3:GetObject", "dynamodb:CreateBackup", "kms:Encrypt"}

	t.Run("SimulateCustomPolicy", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			docs []string
			want map[string][]string
		}{
			{"a list of statements", []string{positionsPolicy}, map[string][]string{
				"logs:CreateLogGroup":     {"PolicyInputList.1 none " + logsAt},
				"kms:Decrypt":             {"PolicyInputList.1 none " + keysAt},
				"kms:ScheduleKeyDeletion": {"PolicyInputList.1 none " + noDeleteAt},
				"s3:GetObject":            {},
			}},
			// CR LF is one line end: the same lines and columns.
			{"CRLF", []string{crlf}, map[string][]string{
				"logs:CreateLogGroup": {"PolicyInputList.1 none " + logsAt},
				"kms:Decrypt":         {"PolicyInputList.1 none " + keysAt},
			}},
			{"aws-cli's example, a single object", []string{awsExample}, map[string][]string{
				"dynamodb:CreateBackup": {"PolicyInputList.1 none 1:38-1:167"},
			}},
			{"after multi-byte characters", []string{unicodePolicy}, map[string][]string{
				"kms:Decrypt": {"PolicyInputList.1 none 1:43-1:141"},
				"kms:Encrypt": {"PolicyInputList.1 none 1:141-1:204"},
			}},
			// Every allowing statement, each in its own document; a deny
			// alone when denied.
			{"two policies", []string{awsExample, unicodePolicy, positionsPolicy}, map[string][]string{
				"kms:Decrypt":             {"PolicyInputList.2 none 1:43-1:141", "PolicyInputList.3 none " + keysAt},
				"kms:ScheduleKeyDeletion": {"PolicyInputList.3 none " + noDeleteAt},
				"dynamodb:CreateBackup":   {"PolicyInputList.1 none 1:38-1:167"},
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out := must[*iam.SimulateCustomPolicyOutput](t, "SimulateCustomPolicy")(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
					PolicyInputList: tc.docs, ActionNames: actions,
					ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:CurrentTime"), ContextKeyValues: []string{"2019-04-25T11:00:00Z"}, ContextKeyType: iamtypes.ContextKeyTypeEnumDate}}}))
				sameMatched(t, tc.name, matched(out.EvaluationResults), tc.want)
			})
		}
	})

	t.Run("SimulatePrincipalPolicy", func(t *testing.T) {
		roleARN := role(t, s, "positions", positionsPolicy)
		managed := *must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName: aws.String("keys-crlf"), PolicyDocument: aws.String(strings.ReplaceAll(unicodePolicy, ", {", ",\r\n  {"))})).Policy.Arn
		must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("positions"), PolicyArn: aws.String(managed)}))
		out := must[*iam.SimulatePrincipalPolicyOutput](t, "SimulatePrincipalPolicy")(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(roleARN), ActionNames: actions, PolicyInputList: []string{awsExample}}))
		// The managed policy's second statement is on line 2, after CRLF
		// and "  ": it starts just past the first's } (line 1, column 141);
		// its { is column 3, its } column 63.
		sameMatched(t, "principal", matched(out.EvaluationResults), map[string][]string{
			"logs:CreateLogGroup":     {"inline role " + logsAt},
			"kms:Decrypt":             {"inline role " + keysAt, "keys-crlf user-managed 1:43-1:141"},
			"kms:Encrypt":             {"inline role " + keysAt, "keys-crlf user-managed 1:141-2:64"},
			"kms:ScheduleKeyDeletion": {"inline role " + noDeleteAt},
			"dynamodb:CreateBackup":   {"PolicyInputList.1 none 1:38-1:167"},
			"s3:GetObject":            {},
		})
	})
}
