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
	// GrantAllows says a KMS grant allows the call; like a key policy that
	// names the caller, it allows unless a policy explicitly denies.
	GrantAllows bool
	// Context holds the service's condition keys (lower-case names), e.g.
	// "kms:encryptioncontext:tenant" → ["acme"].
	Context map[string][]string
}
