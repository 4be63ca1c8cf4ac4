package sealbox

// AccessQuery is one authorization question a service asks the authorizer:
// may the caller of the request in the context perform Action on Resource?
// Services fill in what only they know (the resource's policy, their
// condition keys); the authorizer adds the caller and the global keys
// (aws:PrincipalArn, aws:SourceIp, aws:CurrentTime …) and decides with
// AWS's evaluation logic.
type AccessQuery struct {
	// Action is the IAM action, e.g. "kms:Decrypt".
	Action string
	// Resource is the resource's ARN, or "*" for actions on no resource.
	Resource string
	// ResourcePolicy is the resource's policy document ("" for none).
	ResourcePolicy string
	// ResourcePolicyGates says the resource policy must allow the call,
	// directly or by delegating to the account's IAM policies, as a KMS key
	// policy must. Otherwise either an identity or a resource policy may
	// allow it, as for Secrets Manager.
	ResourcePolicyGates bool
	// Grantees are the principals (ARNs or service principals) of the KMS
	// grants on the resource whose operations and constraints allow the
	// call; for kms:RetireGrant, the grant's retiring principal too. The
	// authorizer decides how each names the caller: a grant to the caller
	// allows as a key policy naming the caller does; a grant to the
	// caller's account delegates to the caller's identity policies, as a
	// key policy naming the account does.
	Grantees []string
	// Context holds the service's condition keys (lower-case names), e.g.
	// "kms:encryptioncontext:tenant" → ["acme"].
	Context map[string][]string
}
