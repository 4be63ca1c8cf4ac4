package iam

import (
	"errors"
	"fmt"
)

// MaxPolicySize is the largest document Parse reads, in bytes. It is
// checked before any parsing. Services with a smaller quota (IAM managed
// policies: 6,144 characters; KMS key policies: 32 KiB) check theirs first.
const MaxPolicySize = 128 << 10

// ErrPolicyTooLarge is wrapped by the ParseError of a document larger than
// MaxPolicySize, so that callers can answer LimitExceededException.
var ErrPolicyTooLarge = errors.New("policy document too large")

// ParseError is the error of Parse: why a policy document was refused.
//
// Message is worded as AWS words MalformedPolicyDocument, and is safe to
// return to the caller as is: where AWS has a message for the problem it is
// AWS's own ("Syntax errors in policy.", "Policy document should not specify
// a principal.", "Policy statement must contain actions.", ...); otherwise it
// names the problem and the statement in the same style ("Missing required
// field Effect in statement 1", "Invalid Condition operator StringEqualz in
// statement 2"). Message never echoes more of the document than the element
// at fault.
type ParseError struct {
	Message string
	// Statement is the 1-based index of the statement at fault, or 0 when
	// the problem is with the document as a whole.
	Statement int

	err error
}

func (e *ParseError) Error() string { return e.Message }

// Unwrap returns ErrPolicyTooLarge for a document over MaxPolicySize.
func (e *ParseError) Unwrap() error { return e.err }

// AWS's own wording, quoted where sealbox answers the same problem. All
// are IAM's (MalformedPolicyDocument from CreatePolicy, PutUserPolicy,
// CreateRole, UpdateAssumeRolePolicy) except MsgKeyPrincipals, which is KMS's
// (MalformedPolicyDocumentException from CreateKey and PutKeyPolicy).
const (
	msgSyntax             = "Syntax errors in policy."
	msgNoPrincipalAllowed = "Policy document should not specify a principal."
	msgNoActions          = "Policy statement must contain actions."
	msgNoResources        = "Policy statement must contain resources."
	msgDuplicateSid       = "Statement IDs (SID) in a single policy must be unique."
	msgVendor             = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon           = "Actions/Condition can contain only one colon."
	msgResourceVendor     = "Resource vendor must be fully qualified and cannot contain regexes."
	msgTrustResource      = "Has prohibited field Resource."
	MsgKeyPrincipals      = "Policy contains a statement with one or more invalid principals."
	// IAM's trust-policy message, verbatim with its two spaces before "and".
	msgTrustActions = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
)

func docError(format string, args ...any) *ParseError {
	return &ParseError{Message: fmt.Sprintf(format, args...)}
}

// stmtError words a problem with statement n (1-based), AWS-style.
func stmtError(n int, format string, args ...any) *ParseError {
	return &ParseError{Message: fmt.Sprintf(format, args...) + fmt.Sprintf(" in statement %d", n), Statement: n}
}

// stmtVerbatim returns one of AWS's messages as is, remembering the statement.
func stmtVerbatim(n int, msg string) *ParseError {
	return &ParseError{Message: msg, Statement: n}
}
