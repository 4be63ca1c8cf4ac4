// Package iam is the AWS IAM policy language: it compiles policy documents
// (identity policies, resource policies, KMS key policies, role trust
// policies) and decides requests against them with AWS's documented
// semantics. It is a pure library: no I/O, no store, no clock, no HTTP;
// callers hand it documents and the facts of a request.
//
// # Parsing
//
// Parse reads a document once, refusing what AWS refuses (unknown fields,
// a Principal in an identity policy, a resource policy without one, Action
// with NotAction, unknown condition operators, malformed values) with
// AWS's MalformedPolicyDocument wording, and refusing what makes parsing a
// denial-of-service vector (documents over MaxPolicySize, deep nesting,
// duplicate fields). The result is compiled: action and resource patterns
// are split, condition values parsed, policy variables located.
//
// # Evaluating
//
// Policy.Evaluate answers for one policy (Deny, Allow or NoMatch); Decide
// combines everything that bears on a request (Facts: the caller's identity
// and session policies, the resource's policy, a KMS grant): explicit deny
// wins, then an allow from an identity policy, the resource policy or a
// grant, else implicit deny. A KMS key policy or a trust policy must allow,
// directly or by naming the account; naming the account delegates to the
// account's identity policies. A role session's session policies bound
// every allow except one from a resource policy naming the session itself.
// Both run on every request and do not allocate.
//
// The language supported: Version 2012-10-17 and 2008-10-17 (policy
// variables only in 2012-10-17), Id, Statement as an object or a list, Sid,
// Effect, Principal and NotPrincipal ("*", AWS accounts, users, roles, role
// sessions, services; Federated, an OpenID Connect provider's ARN, names
// exactly the web identities that provider vouches for and nothing else;
// CanonicalUser is accepted and matches nothing), Action and NotAction (case-insensitive, with * and ?), Resource
// and NotResource (case-sensitive, matched per ARN part, with * and ?), and
// Condition with every operator family, the IfExists suffix and the
// ForAnyValue: and ForAllValues: set operators (package condition). Policy
// variables (${aws:username}, ${aws:PrincipalTag/team}, ${key, 'default'},
// ${*}, ${?}, ${$}) resolve from the request context in Resource and in the
// String, Arn and Bool operators; a variable that does not resolve makes its
// element match nothing.
//
// Policy, Request and Decision values are safe for concurrent reading.
package iam
