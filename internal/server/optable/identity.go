package optable

import (
	"github.com/sealbox/sealbox/internal/authz"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
)

// IAM is the IAM operation table (AWS Query, Action=<Op>): each served
// operation, whether it changes state (CloudTrail's readOnly: Get*, List*
// and Simulate* are reads), and the method that serves it.
func IAM(s *iamapi.Service, sim *authz.Simulator) *awsapi.Service {
	return &awsapi.Service{
		Name: "iam", EventSource: "iam.amazonaws.com", InternalError: "ServiceFailure",
		Operations: []awsapi.Operation{
			awsapi.Write("CreateUser", s.CreateUser),
			awsapi.Read("GetUser", s.GetUser),
			awsapi.Read("ListUsers", s.ListUsers),
			awsapi.Write("DeleteUser", s.DeleteUser),
			awsapi.Write("UpdateUser", s.UpdateUser),
			awsapi.Write("CreateRole", s.CreateRole),
			awsapi.Read("GetRole", s.GetRole),
			awsapi.Read("ListRoles", s.ListRoles),
			awsapi.Write("DeleteRole", s.DeleteRole),
			awsapi.Write("UpdateAssumeRolePolicy", s.UpdateAssumeRolePolicy),
			awsapi.Write("UpdateRole", s.UpdateRole),
			awsapi.Write("CreateAccessKey", s.CreateAccessKey),
			awsapi.Read("ListAccessKeys", s.ListAccessKeys),
			awsapi.Write("UpdateAccessKey", s.UpdateAccessKey),
			awsapi.Write("DeleteAccessKey", s.DeleteAccessKey),
			awsapi.Read("GetAccessKeyLastUsed", s.GetAccessKeyLastUsed),
			awsapi.Write("PutUserPolicy", s.PutUserPolicy),
			awsapi.Write("PutRolePolicy", s.PutRolePolicy),
			awsapi.Write("PutGroupPolicy", s.PutGroupPolicy),
			awsapi.Read("GetUserPolicy", s.GetUserPolicy),
			awsapi.Read("GetRolePolicy", s.GetRolePolicy),
			awsapi.Read("GetGroupPolicy", s.GetGroupPolicy),
			awsapi.Read("ListUserPolicies", s.ListUserPolicies),
			awsapi.Read("ListRolePolicies", s.ListRolePolicies),
			awsapi.Read("ListGroupPolicies", s.ListGroupPolicies),
			awsapi.Write("DeleteUserPolicy", s.DeleteUserPolicy),
			awsapi.Write("DeleteRolePolicy", s.DeleteRolePolicy),
			awsapi.Write("DeleteGroupPolicy", s.DeleteGroupPolicy),
			awsapi.Write("CreatePolicy", s.CreatePolicy),
			awsapi.Read("GetPolicy", s.GetPolicy),
			awsapi.Read("GetPolicyVersion", s.GetPolicyVersion),
			awsapi.Write("CreatePolicyVersion", s.CreatePolicyVersion),
			awsapi.Write("DeletePolicyVersion", s.DeletePolicyVersion),
			awsapi.Write("SetDefaultPolicyVersion", s.SetDefaultPolicyVersion),
			awsapi.Read("ListPolicyVersions", s.ListPolicyVersions),
			awsapi.Read("ListPolicies", s.ListPolicies),
			awsapi.Read("ListEntitiesForPolicy", s.ListEntitiesForPolicy),
			awsapi.Write("DeletePolicy", s.DeletePolicy),
			awsapi.Write("AttachUserPolicy", s.AttachUserPolicy),
			awsapi.Write("AttachRolePolicy", s.AttachRolePolicy),
			awsapi.Write("AttachGroupPolicy", s.AttachGroupPolicy),
			awsapi.Write("DetachUserPolicy", s.DetachUserPolicy),
			awsapi.Write("DetachRolePolicy", s.DetachRolePolicy),
			awsapi.Write("DetachGroupPolicy", s.DetachGroupPolicy),
			awsapi.Read("ListAttachedUserPolicies", s.ListAttachedUserPolicies),
			awsapi.Read("ListAttachedRolePolicies", s.ListAttachedRolePolicies),
			awsapi.Read("ListAttachedGroupPolicies", s.ListAttachedGroupPolicies),
			awsapi.Write("CreateGroup", s.CreateGroup),
			awsapi.Read("GetGroup", s.GetGroup),
			awsapi.Read("ListGroups", s.ListGroups),
			awsapi.Write("DeleteGroup", s.DeleteGroup),
			awsapi.Write("AddUserToGroup", s.AddUserToGroup),
			awsapi.Write("RemoveUserFromGroup", s.RemoveUserFromGroup),
			awsapi.Read("ListGroupsForUser", s.ListGroupsForUser),
			awsapi.Write("TagUser", s.TagUser),
			awsapi.Write("UntagUser", s.UntagUser),
			awsapi.Read("ListUserTags", s.ListUserTags),
			awsapi.Write("TagRole", s.TagRole),
			awsapi.Write("UntagRole", s.UntagRole),
			awsapi.Read("ListRoleTags", s.ListRoleTags),
			awsapi.Write("PutUserPermissionsBoundary", s.PutUserPermissionsBoundary),
			awsapi.Write("PutRolePermissionsBoundary", s.PutRolePermissionsBoundary),
			awsapi.Write("DeleteUserPermissionsBoundary", s.DeleteUserPermissionsBoundary),
			awsapi.Write("DeleteRolePermissionsBoundary", s.DeleteRolePermissionsBoundary),
			awsapi.Write("CreateOpenIDConnectProvider", s.CreateOpenIDConnectProvider),
			awsapi.Read("GetOpenIDConnectProvider", s.GetOpenIDConnectProvider),
			awsapi.Read("ListOpenIDConnectProviders", s.ListOpenIDConnectProviders),
			awsapi.Write("DeleteOpenIDConnectProvider", s.DeleteOpenIDConnectProvider),
			awsapi.Write("AddClientIDToOpenIDConnectProvider", s.AddClientIDToOpenIDConnectProvider),
			awsapi.Write("RemoveClientIDFromOpenIDConnectProvider", s.RemoveClientIDFromOpenIDConnectProvider),
			awsapi.Write("UpdateOpenIDConnectProviderThumbprint", s.UpdateOpenIDConnectProviderThumbprint),
			awsapi.Write("TagOpenIDConnectProvider", s.TagOpenIDConnectProvider),
			awsapi.Write("UntagOpenIDConnectProvider", s.UntagOpenIDConnectProvider),
			awsapi.Read("ListOpenIDConnectProviderTags", s.ListOpenIDConnectProviderTags),
			awsapi.Read("SimulatePrincipalPolicy", sim.SimulatePrincipalPolicy),
			awsapi.Read("SimulateCustomPolicy", sim.SimulateCustomPolicy),
		},
	}
}

// STS is the STS operation table (AWS Query); CloudTrail marks all
// of them readOnly.
func STS(s *stsapi.Service) *awsapi.Service {
	return &awsapi.Service{
		Name: "sts", EventSource: "sts.amazonaws.com", InternalError: "InternalFailure",
		Operations: []awsapi.Operation{
			awsapi.Read("GetCallerIdentity", s.GetCallerIdentity),
			awsapi.Read("AssumeRole", s.AssumeRole),
			// Unsigned, as in AWS (the model's authtype "none"): the web
			// identity token is the credential, verified by the operation.
			awsapi.Read("AssumeRoleWithWebIdentity", s.AssumeRoleWithWebIdentity).WithoutSignature(),
			awsapi.Read("GetSessionToken", s.GetSessionToken),
		},
	}
}
