// Package audit records one CloudTrail-shaped event per API call and hands it
// to its sinks before the answer leaves. If no sink takes the event, Log
// fails and the caller refuses to answer (fail closed). Events never hold
// secret values: the protocol layer strips the members the service models
// mark sensitive, and every blob, before an event is built.
//
// Two sinks keep events: FileSink, JSON lines in a file a day, and
// StoreSink, records of the store, which CloudTrail's LookupEvents reads and
// a retention sweep (Expire) ages out. Each keeps its events as a
// hash-chained trail and signs a digest of it every interval with the
// server's Ed25519 key (chain.go, key.go); VerifyFiles and VerifyStore
// find an event removed, altered, inserted or reordered, by position.
package audit

import (
	"time"
)

// Event is one record in CloudTrail's shape (eventVersion 1.08).
type Event struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       UserIdentity   `json:"userIdentity"`
	EventTime          time.Time      `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	SourceIPAddress    string         `json:"sourceIPAddress"`
	UserAgent          string         `json:"userAgent"`
	ErrorCode          string         `json:"errorCode,omitempty"`
	ErrorMessage       string         `json:"errorMessage,omitempty"`
	RequestParameters  any            `json:"requestParameters"`
	ResponseElements   any            `json:"responseElements"`
	RequestID          string         `json:"requestID"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	Resources          []ResourceRef  `json:"resources,omitempty"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
	AdditionalData     map[string]any `json:"additionalEventData,omitempty"`
	// ServiceEventDetails is what an AwsServiceEvent tells of the service's
	// own action (KMS: keyId, keyMaterialId).
	ServiceEventDetails map[string]any `json:"serviceEventDetails,omitempty"`
}

// UserIdentity is CloudTrail's userIdentity block.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	InvokedBy   string `json:"invokedBy,omitempty"`
	// IdentityProvider is a web identity caller's provider ARN.
	IdentityProvider string `json:"identityProvider,omitempty"`
	// SessionContext is set for temporary credentials (assumed roles).
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext is CloudTrail's sessionContext: which role issued the
// session.
type SessionContext struct {
	SessionIssuer *SessionIssuer `json:"sessionIssuer,omitempty"`
	// Attributes of CallEvent's and Identity's events are one map they
	// share: replace it, never change it.
	Attributes map[string]string `json:"attributes"`
}

// SessionIssuer is the role (or user) a session belongs to.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// ResourceRef is one entry of CloudTrail's resources list.
type ResourceRef struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}
