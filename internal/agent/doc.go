// Package agent is `sealbox agent`: a caching HTTP agent on 127.0.0.1 in
// front of Parameter Store and Secrets Manager, drop-in for code written
// against the AWS Parameters and Secrets Lambda Extension or against
// aws-secretsmanager-agent, and kept current by sealbox's change feed.
//
// # Routes
//
//	GET /secretsmanager/get?secretId=ID[&versionId=V|&versionStage=S][&refreshNow=true]
//	GET /v1/ID[?versionId=V|&versionStage=S][&refreshNow=true]
//	GET /systemsmanager/parameters/get?name=NAME[&version=N|&label=L][&withDecryption=true][&refreshNow=true]
//	GET /ping      200 "healthy", no token
//	GET /metrics   Prometheus text format, token required
//
// A trailing slash before the query is accepted on both get routes. When
// version and label are both given, the first in the query counts, as the
// extension documents. A /aws/reference/secretsmanager/ID name is read
// through Parameter Store with decryption (which Parameter Store requires)
// and is evicted with the secret it names.
//
// Every request but /ping names a loopback host (127.0.0.0/8, ::1,
// localhost, *.localhost) in Host, else 403 "Bad Host": a web page that
// rebinds its own name to 127.0.0.1 gets nothing, not even a try at the
// token. Every request but /ping carries the token in
// X-Aws-Parameters-Secrets-Token or X-Vault-Token, compared as SHA-256
// digests in constant time. Checked in aws-secretsmanager-agent's order: a request
// with X-Forwarded-For is 400 "Forwarded", a missing or wrong token 403
// "Bad Token", a method other than GET 405 "Not allowed", an unknown path
// 404 "Not found", a bad or unknown query parameter 400 with what is wrong.
//
// # Answers
//
// 200 with the GetSecretValue or GetParameter output as aws-sdk-go-v2
// serialises it with encoding/json (the extension's form: "CreatedDate"
// and "LastModifiedDate" as RFC 3339, "SecretBinary" base64 or null,
// "ResultMetadata": {}). An upstream error answers the upstream's HTTP status
// and {"__type": code, "message": message}; a timeout 504 TimeoutError; a
// connection failure 502 ConnectionError.
//
// # Cache
//
// An LRU of at most CacheSize answers, each served for its service's TTL.
// Concurrent misses for one item make one upstream call. A miss retries
// transient failures (timeouts, connection failures, throttling, 5xx)
// with exponential backoff and full jitter; if they persist, a cached
// answer up to MaxStale past its TTL is served rather than an error. An
// answer that says the item is gone or unreadable drops it. refreshNow
// skips the cache and replaces the entry on success.
//
// The change feed (sealbox's Sealbox.GetChanges, through a Feed) evicts
// every entry of a changed secret (any version or label, and references
// to it) or parameter within the feed's latency, and drops everything
// when it may have missed changes. A fetch that was under way when a
// change arrived is answered but not cached. Without a feed, or while it
// is down, the TTL bounds staleness; the feed reconnects with backoff and
// full jitter.
//
// Values and the token are never logged; names and error codes are.
package agent
