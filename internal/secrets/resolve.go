package secrets

import (
	"context"
	"regexp"
	"strings"
	"unicode"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// validName is what CreateSecret accepts: ASCII letters, numbers and
// /_+=.@- (CreateSecret's Name documentation).
var validName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)

// checkName refuses a name CreateSecret does not accept, with the message
// LocalStack answers for it.
func checkName(name string) error {
	if !validName.MatchString(name) {
		return sealbox.Errorf("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	return nil
}

// checkToken refuses a ClientRequestToken with a control character. The
// model allows any 32 to 64 characters; the token becomes a VersionId,
// which is shown, logged and compared, so sealbox keeps them printable.
// The message leaves the value out.
func checkToken(token string) error {
	for _, r := range token {
		if unicode.IsControl(r) {
			return sealbox.Errorf("ValidationException", "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must not contain control characters")
		}
	}
	return nil
}

// find resolves a SecretId in tx: a name, a full ARN, or a partial ARN (the
// ARN without its "-XXXXXX" suffix). It returns store.ErrNotFound when no
// secret answers to id in the caller's account and region.
func (s *Service) find(tx store.Tx, r *sealbox.Request, id string) (*secretRecord, error) {
	if !strings.HasPrefix(id, "arn:") {
		key, known := hotSecretKey(r.Region, id)
		sec, err := recordcache.Get[secretRecord](tx, key)
		if err == nil && !known && sec.shared != nil {
			storeKeys.Put(recordName{false, r.Region, id, ""}, key)
		}
		return sec, err
	}
	rest, ok := strings.CutPrefix(id, partialARN(r, ""))
	if !ok || rest == "" {
		return nil, store.ErrNotFound
	}
	// A full ARN: the name is what precedes the 7-character "-XXXXXX"
	// suffix, and the secret's ARN must be exactly id (a secret deleted and
	// created again under its name has another suffix).
	if n := len(rest) - 7; n > 0 && rest[n] == '-' {
		sec, err := recordcache.Get[secretRecord](tx, secretKey(r.Region, rest[:n]))
		if err == nil && sec.ARN == id {
			return sec, nil
		}
		if err != nil && !isNotFound(err) {
			return nil, err
		}
	}
	// A partial ARN names the secret without its suffix.
	return recordcache.Get[secretRecord](tx, secretKey(r.Region, rest))
}

// resourceFor is the resource a call on id is authorized against when no
// secret answers to it: the ARN given, or the partial ARN of the name.
func resourceFor(r *sealbox.Request, id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return partialARN(r, id)
}

// load resolves id in a cacheable read; a missing secret is nil, nil.
func (s *Service) load(ctx context.Context, id string) (*secretRecord, error) {
	r := sealbox.MustRequest(ctx)
	sec, err := s.loadIn(ctx, r, id)
	if isNotFound(err) {
		return nil, nil
	}
	return sec, err
}

// loadIn is s.cache.Read of s.find, the cache's hot transaction first
// without a closure (a batch read loads one secret after another).
func (s *Service) loadIn(ctx context.Context, r *sealbox.Request, id string) (*secretRecord, error) {
	if tx := s.cache.Hot(); tx != nil {
		sec, err := s.find(tx, r, id)
		if recordcache.Done(tx) {
			return sec, err
		}
	}
	var sec *secretRecord
	err := s.cache.View(ctx, s.store, func(tx store.Tx) (err error) {
		sec, err = s.find(tx, r, id)
		return err
	})
	return sec, err
}

// access resolves the secret a call names, records it for the audit event
// and authorizes action on it, in that order, so that a caller who may not
// act on a name learns nothing about it. A secret scheduled for deletion is
// refused unless deletedOK. The record returned is shared: clone it to
// change it.
func (s *Service) access(ctx context.Context, id, action string, extra map[string][]string, deletedOK bool) (*secretRecord, error) {
	return s.accessOn(ctx, id, action, extra, deletedOK, refusedOnReplica[action])
}

// accessOn is access; notOnReplica refuses the call on a replica.
func (s *Service) accessOn(ctx context.Context, id, action string, extra map[string][]string, deletedOK, notOnReplica bool) (*secretRecord, error) {
	r := sealbox.MustRequest(ctx)
	sec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	var resource string
	if sec != nil {
		resource = sec.ARN
	} else {
		resource = resourceFor(r, id)
	}
	r.AddResource(resourceType, resource)
	if err := s.authorize(ctx, action, resource, sec, extra); err != nil {
		return nil, err
	}
	if sec == nil {
		return nil, errNotFound()
	}
	if sec.isReplica() && notOnReplica {
		return nil, errOnReplica()
	}
	if sec.deleted() && !deletedOK {
		return nil, errMarkedForDeletion()
	}
	return sec, nil
}

// update changes the secret seen as seen in one write transaction: it reads
// the record afresh, checks it is still the same secret in the same state
// of deletion, lets fn change it and saves it. fn may write other records.
// The secret's replicas are written in the same transaction, as it now is.
func (s *Service) update(ctx context.Context, seen *secretRecord, deletedOK bool, fn func(tx store.Tx, sec *secretRecord) error) (*secretRecord, error) {
	return s.change(ctx, seen, deletedOK, true, nil, fn)
}

// updateAdding is update for a write whose fn commits the versions fresh:
// they are sealed for each replica before the transaction.
func (s *Service) updateAdding(ctx context.Context, seen *secretRecord, fresh []*pendingVersion, fn func(tx store.Tx, sec *secretRecord) error) (*secretRecord, error) {
	return s.change(ctx, seen, false, true, fresh, fn)
}

// change is update; replicate false leaves the replicas alone (bookkeeping
// of the primary's own reads).
func (s *Service) change(ctx context.Context, seen *secretRecord, deletedOK, replicate bool, fresh []*pendingVersion, fn func(tx store.Tx, sec *secretRecord) error) (*secretRecord, error) {
	var plans map[string]*replicaPlan
	if replicate && !seen.isReplica() {
		plans = s.plans(ctx, seen, fresh)
	}
	var out *secretRecord
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var sec secretRecord
		err := store.GetJSON(tx, secretKey(seen.Region, seen.Name), &sec)
		if isNotFound(err) || err == nil && sec.ARN != seen.ARN {
			return errNotFound()
		}
		if err != nil {
			return err
		}
		if sec.deleted() && !deletedOK {
			return errMarkedForDeletion()
		}
		if err := fn(tx, &sec); err != nil {
			return err
		}
		if plans != nil {
			if err := s.applyReplicas(tx, &sec, plans); err != nil {
				return err
			}
		}
		out = &sec
		return save(tx, &sec)
	})
	return out, err
}
