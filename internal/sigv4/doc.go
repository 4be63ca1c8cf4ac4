// Package sigv4 verifies AWS Signature Version 4 on incoming requests, so
// that the aws CLI, boto3, aws-sdk-go-v2 and every other AWS client can call
// sealbox with their ordinary credentials.
//
// # What is checked
//
// Verify accepts both forms a client may use: the Authorization header
// (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…) and a
// presigned query string (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-SignedHeaders, X-Amz-Signature, optional X-Amz-Expires and
// X-Amz-Security-Token). Refusals carry AWS's wording. Verify checks, in
// this order (verifier.go):
//
//  1. the parts are all there;
//  2. the date is well formed and within the clock skew (a presigned
//     request: not dated in the future, and not past X-Amz-Expires or,
//     without one, the skew);
//  3. Host is signed;
//  4. the algorithm is AWS4-HMAC-SHA256;
//  5. the credential scope names a valid region, the expected service,
//     aws4_request and the signing day (all that is wrong, in one message);
//  6. sealbox's own check, stricter than SigV4: Content-Type, X-Amz-Target
//     and every other x-amz-* header the request carries are signed, so
//     that a signature cannot be replayed as another operation (see
//     signedheaders.go). X-Amz-Security-Token may be added after signing,
//     and x-amzn-* headers are not x-amz-* headers;
//  7. an announced X-Amz-Content-Sha256 is a hash that matches the body
//     (or UNSIGNED-PAYLOAD);
//  8. the request is not dated by the Date header alone (see below);
//  9. the access key is known: the first and only call to the identity
//     store;
//  10. the signature matches;
//  11. the session token is the key's own, and the key has not expired.
//
// Steps 6 to 8 need no key, so they come before the key lookup: a request
// that fails them costs no store read.
//
// # Who computes the signature
//
// The expected signature is computed here (expected.go), following the
// SigV4 specification as aws-sdk-go-v2's signer applies it: the canonical
// request is written into pooled buffers, hashed with crypto/sha256, and
// signed with HMAC-SHA256 under a signing key derived once per access
// key, day, region and service and cached (keycache.go) as a
// primitive.MACKey, whose standard-library HMAC states are reused. A cached key is
// used only with the secret it was derived from: the entry holds the
// secret's SHA-256, compared in constant time with that of the secret the
// identity store returns for this request. The store is asked on every
// request all the same, so revocation and expiry take effect at once.
// Signatures are compared with primitive.Equal, in constant time; only
// internal/primitive touches crypto/hmac.
//
// FuzzVerifyMatchesSDK holds the verifier to the SDK signer: for fuzzed
// requests both compute the same signature, and a change to any signed part
// is refused; botocore's signatures are checked by TestBotocore.
//
// # What cannot be verified
//
// The SDK signer always signs X-Amz-Date in a header-signed request, and
// signs Content-Length only when it is positive. A request dated by the
// Date header alone, or one that signed "content-length:0", has a canonical
// form the SDK cannot produce: the first is refused with a message saying
// so, the second fails as a signature mismatch. No AWS SDK sends either.
// Nor is a canonical form accepted that differs from the bytes sent: a
// second X-Amz-Date, or the signing time written otherwise, fails.
//
// # Performance
//
// Verify runs on every request. It parses without allocating, writes the
// canonical request into pooled buffers, derives a signing key once per
// scope, and touches the identity store once, after every check that needs
// no key. What it allocates on the header-signed path, for a caller whose
// signing key is cached, is the Result.
package sigv4
