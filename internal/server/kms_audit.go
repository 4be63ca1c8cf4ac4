package server

import (
	"context"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/kms"
)

// kmsNotifier records what KMS does to keys on its own as CloudTrail does
// (AWS's example of DeleteExpiredKeyMaterial, eventVersion 1.11):
// eventType AwsServiceEvent, userIdentity {accountId, invokedBy: "AWS
// Internal"}, sourceIPAddress and userAgent "AWS Internal", no request
// parameters or response elements, the key as the one resource, and
// serviceEventDetails {keyId, keyMaterialId}. userIdentity.type is
// AWSService, as sealbox's other service events have it (AWS's example
// has none).
type kmsNotifier struct {
	audit     *audit.Logger
	accountID string
}

func (n *kmsNotifier) Notify(ctx context.Context, e *kms.ServiceEvent) error {
	const internal = "AWS Internal"
	details := map[string]any{"keyId": e.KeyID}
	if e.KeyMaterialID != "" {
		details["keyMaterialId"] = e.KeyMaterialID
	}
	return n.audit.Log(ctx, &audit.Event{
		EventVersion:        "1.08",
		UserIdentity:        audit.UserIdentity{Type: "AWSService", AccountID: e.AccountID, InvokedBy: internal},
		EventTime:           e.Time,
		EventSource:         "kms.amazonaws.com",
		EventName:           e.EventName,
		AWSRegion:           e.Region,
		SourceIPAddress:     internal,
		UserAgent:           internal,
		RequestID:           ids.UUID(),
		EventID:             ids.UUID(),
		Resources:           []audit.ResourceRef{{AccountID: e.AccountID, Type: "AWS::KMS::Key", ARN: e.KeyARN}},
		EventType:           "AwsServiceEvent",
		ManagementEvent:     true,
		RecipientAccountID:  n.accountID,
		EventCategory:       "Management",
		ServiceEventDetails: details,
	})
}

// onBehalfKMS is the KMS service as Parameter Store, Secrets Manager and
// Lambda call it on a caller's behalf: every call is also recorded as the
// caller's own KMS event, with userIdentity.invokedBy the calling service
// (the Request's ViaService), as CloudTrail shows the KMS calls AWS
// services make for you. The event names the key and the encryption
// context, never a plaintext or a ciphertext; a failed call is recorded
// with its error. If the record cannot be kept, the call fails (the audit
// trail fails closed) and a data key it produced is wiped.
type onBehalfKMS struct {
	k   *kms.Service
	rec sealbox.Recorder
}

func (o *onBehalfKMS) ManagedKeyARN(ctx context.Context, alias string) (string, error) {
	return o.k.ManagedKeyARN(ctx, alias)
}

func (o *onBehalfKMS) Encrypt(ctx context.Context, in *kms.EncryptRequest) (*kms.EncryptResponse, error) {
	out, err := o.k.Encrypt(ctx, in)
	o.k.NoteUse(ctx, "Encrypt", err)
	ev := o.event("Encrypt", keyOf(out, in.KeyId))
	ev.str("keyId", in.KeyId)
	ev.param("encryptionAlgorithm", algorithm(in.EncryptionAlgorithm))
	ev.context("encryptionContext", in.EncryptionContext)
	if rerr := o.record(ctx, ev, err); rerr != nil {
		return nil, rerr
	}
	return out, err
}

func (o *onBehalfKMS) Decrypt(ctx context.Context, in *kms.DecryptRequest) (*kms.DecryptResponse, error) {
	out, err := o.k.Decrypt(ctx, in)
	o.k.NoteUse(ctx, "Decrypt", err)
	key := in.KeyId
	if out != nil {
		key = out.KeyId // the key the ciphertext named, as the audit asks
	}
	ev := o.event("Decrypt", key)
	ev.param("encryptionAlgorithm", algorithm(in.EncryptionAlgorithm))
	ev.context("encryptionContext", in.EncryptionContext)
	if key != "" {
		ev.str("keyId", key)
	}
	if rerr := o.record(ctx, ev, err); rerr != nil {
		if out != nil {
			clear(out.Plaintext)
		}
		return nil, rerr
	}
	return out, err
}

func (o *onBehalfKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyRequest) (*kms.GenerateDataKeyResponse, error) {
	out, err := o.k.GenerateDataKey(ctx, in)
	o.k.NoteUse(ctx, "GenerateDataKey", err)
	key := in.KeyId
	if out != nil {
		key = out.KeyId
	}
	ev := o.event("GenerateDataKey", key)
	ev.str("keyId", in.KeyId)
	ev.context("encryptionContext", in.EncryptionContext)
	if in.KeySpec != "" {
		ev.str("keySpec", in.KeySpec)
	}
	if in.NumberOfBytes != 0 {
		ev.param("numberOfBytes", in.NumberOfBytes)
	}
	if rerr := o.record(ctx, ev, err); rerr != nil {
		if out != nil {
			clear(out.Plaintext)
		}
		return nil, rerr
	}
	return out, err
}

func (o *onBehalfKMS) ReEncrypt(ctx context.Context, in *kms.ReEncryptRequest) (*kms.ReEncryptResponse, error) {
	out, err := o.k.ReEncrypt(ctx, in)
	o.k.NoteUse(ctx, "ReEncrypt", err)
	key := in.DestinationKeyId
	if out != nil {
		key = out.KeyId
	}
	ev := o.event("ReEncrypt", key)
	ev.str("destinationKeyId", in.DestinationKeyId)
	ev.context("sourceEncryptionContext", in.SourceEncryptionContext)
	ev.context("destinationEncryptionContext", in.DestinationEncryptionContext)
	ev.param("sourceEncryptionAlgorithm", algorithm(in.SourceEncryptionAlgorithm))
	ev.param("destinationEncryptionAlgorithm", algorithm(in.DestinationEncryptionAlgorithm))
	if rerr := o.record(ctx, ev, err); rerr != nil {
		return nil, rerr
	}
	return out, err
}

// onBehalfEvent is one on-behalf KMS event being made: the record, its one
// resource and its parameters in one allocation (a batch read records one
// for each secret), the parameters a list (sealbox.Params) rather than a
// map, and its strings copied here so that they are boxed by pointer (the
// event is encoded when the call ends: nothing of the request is pointed
// into).
type onBehalfEvent struct {
	sealbox.Record
	resource [1]sealbox.Resource
	params   [5]sealbox.AuditParameter
	strs     [2]string
	nstrs    int
	key      string
}

func (o *onBehalfKMS) event(name, key string) *onBehalfEvent {
	ev := &onBehalfEvent{Record: sealbox.Record{EventSource: "kms.amazonaws.com", EventName: name, ReadOnly: true}, key: key}
	ev.Params = ev.params[:0]
	return ev
}

func (ev *onBehalfEvent) param(name string, v any) {
	ev.Params = append(ev.Params, sealbox.AuditParameter{Name: name, Value: v})
}

// str adds a string parameter, held in ev.
func (ev *onBehalfEvent) str(name, v string) {
	p := &ev.strs[ev.nstrs]
	ev.nstrs++
	*p = v
	ev.param(name, p)
}

// context adds an encryption context, unless it is empty: an event names
// no context the call did not give.
func (ev *onBehalfEvent) context(name string, ec map[string]string) {
	if len(ec) > 0 {
		ev.param(name, ec)
	}
}

// record keeps one on-behalf KMS event. A failure that is not an AWS error
// (an internal one) is not an answer KMS gave; the call fails and is
// logged as such.
func (o *onBehalfKMS) record(ctx context.Context, ev *onBehalfEvent, callErr error) error {
	if o.rec == nil {
		return nil
	}
	if r := sealbox.RequestFromContext(ctx); r == nil || r.ViaService == "" {
		return nil // a direct call: the router records it
	}
	rec := &ev.Record
	if a, err := sealbox.ParseARN(ev.key); err == nil && a.Service == "kms" {
		ev.resource[0] = sealbox.Resource{AccountID: a.AccountID, Type: "AWS::KMS::Key", ARN: ev.key}
		rec.Resources = ev.resource[:]
	}
	if callErr != nil {
		e, ok := sealbox.AsError(callErr)
		if !ok {
			return nil
		}
		rec.ErrorCode, rec.ErrorMessage = e.Code, e.Message
	}
	return o.rec.Record(ctx, rec)
}

// algorithm is the encryptionAlgorithm an event records, as the any the
// event's parameters hold: the default is boxed once, not on every call.
func algorithm(a string) any {
	if a == "" {
		return symmetricDefault
	}
	return a
}

var symmetricDefault any = "SYMMETRIC_DEFAULT"

func keyOf(out *kms.EncryptResponse, fallback string) string {
	if out != nil {
		return out.KeyId
	}
	return fallback
}
