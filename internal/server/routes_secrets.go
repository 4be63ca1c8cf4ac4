package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/secrets"
)

// secretsService is the Secrets Manager operation table (AWS JSON 1.1,
// X-Amz-Target secretsmanager.<Op>): each served operation, whether it
// changes state (CloudTrail's readOnly: Get*, List*, Describe*, BatchGet*,
// ValidateResourcePolicy and GetRandomPassword are reads), and the method
// that serves it. Rotation (RotateSecret, CancelRotateSecret) and
// replication are not served yet.
func secretsService(s *secrets.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "secretsmanager",
		EventSource:   "secretsmanager.amazonaws.com",
		InternalError: "InternalServiceError",
		Operations: []awsapi.Operation{
			awsapi.Write("CreateSecret", s.CreateSecret),
			awsapi.Read("DescribeSecret", s.DescribeSecret),
			awsapi.Read("GetSecretValue", s.GetSecretValue),
			awsapi.Read("BatchGetSecretValue", s.BatchGetSecretValue),
			awsapi.Write("PutSecretValue", s.PutSecretValue),
			awsapi.Write("UpdateSecret", s.UpdateSecret),
			awsapi.Write("UpdateSecretVersionStage", s.UpdateSecretVersionStage),
			awsapi.Read("ListSecrets", s.ListSecrets),
			awsapi.Read("ListSecretVersionIds", s.ListSecretVersionIds),
			awsapi.Write("DeleteSecret", s.DeleteSecret),
			awsapi.Write("RestoreSecret", s.RestoreSecret),
			awsapi.Write("TagResource", s.TagResource),
			awsapi.Write("UntagResource", s.UntagResource),
			awsapi.Read("GetResourcePolicy", s.GetResourcePolicy),
			awsapi.Write("PutResourcePolicy", s.PutResourcePolicy),
			awsapi.Write("DeleteResourcePolicy", s.DeleteResourcePolicy),
			awsapi.Read("ValidateResourcePolicy", s.ValidateResourcePolicy),
			awsapi.Read("GetRandomPassword", s.GetRandomPassword),
		},
	}
}
