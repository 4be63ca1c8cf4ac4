package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store"
)

// Store is the identity store: it serves access-key lookups for request
// verification (long-term AKIA… keys of the account and its users, and STS
// ASIA… sessions), manages the administrator key, and holds the state the
// IAM and STS services share. Lookups and policy sets are cached in memory;
// the store's change feed drops an entry the moment what it was made from
// changes, on this server or another. Safe for concurrent use.
type Store struct {
	store   store.Store
	account string
	clock   clock.Clock

	// The caches' sizes bound what a caller can make the server hold
	// (every STS session it creates and uses adds an entry to each). A
	// fill takes a ticket that any invalidation outdates.
	keys     *cache.Cache[string, sigv4.Key]   // access key id → key and principal
	policies *cache.Cache[string, []PolicyDoc] // principal or session → policy documents
	keyUses  keyUses                           // when each key's use was last recorded
}

// cacheSize is how many entries each of the store's caches keeps: the
// access keys and sessions in use, and their policy documents.
const cacheSize = 4096

// New returns a Store over st for the account; feed invalidates its caches
// (see keysStale and policiesStale), and its registry lists them.
func New(st store.Store, feed store.Feed, account string, c clock.Clock) *Store {
	if c == nil {
		c = clock.Real{}
	}
	s := &Store{store: st, account: account, clock: c}
	s.keys = cache.New[string, sigv4.Key](feed, "identity/keys", cacheSize)
	s.keys.Follow("iam/", keysStale)
	s.policies = cache.New[string, []PolicyDoc](feed, "identity/policies", cacheSize)
	s.policies.Follow("iam/", policiesStale)
	s.keyUses.last = cache.New[string, time.Time](feed, "identity/keyuses", cacheSize)
	s.keyUses.last.Local("this server's own record of when it last wrote each key's use; the writes it remembers are its own")
	return s
}

// keysStale says which access-key lookup a committed change makes stale:
// the key's or the session's own record, or every lookup when a user or a
// role is deleted (its keys and sessions are unknown from then on).
func keysStale(ch store.Change) (string, cache.Scope) {
	rest := strings.TrimPrefix(ch.Key, "iam/")
	switch {
	case strings.HasPrefix(rest, "accesskey/"):
		return strings.TrimPrefix(rest, "accesskey/"), cache.DropKey
	case strings.HasPrefix(rest, "session/"):
		return strings.TrimPrefix(rest, "session/"), cache.DropKey
	case ch.Bookkeeping:
		// A role's LastUsed, a key's last use.
		return "", cache.Keep
	case ch.Deleted && (strings.HasPrefix(rest, "user/") || strings.HasPrefix(rest, "role/")):
		return "", cache.DropAll
	}
	return "", cache.Keep
}

// policiesStale says which policy documents a committed change makes
// stale: a session's record drops that session's; users, groups, roles,
// policies and memberships (what applies to whom) drop every set: these
// change rarely. Indexes, keys, a key's last use and a role's LastUsed
// change no policy.
func policiesStale(ch store.Change) (string, cache.Scope) {
	rest := strings.TrimPrefix(ch.Key, "iam/")
	switch {
	case strings.HasPrefix(rest, "session/"):
		return sessionCacheKey(strings.TrimPrefix(rest, "session/")), cache.DropKey
	case strings.HasPrefix(rest, "accesskey/"), strings.HasPrefix(rest, "keys-of/"), strings.HasPrefix(rest, "sessions-of/"), strings.HasPrefix(rest, "keyused/"):
		return "", cache.Keep
	case ch.Bookkeeping && (strings.HasPrefix(rest, "user/") || strings.HasPrefix(rest, "role/")):
		return "", cache.Keep
	}
	return "", cache.DropAll
}

// Backend is the store.Store the records live in: the IAM and STS
// services read and write them in its transactions.
func (s *Store) Backend() store.Store { return s.store }

// Now is the time on the store's clock, to the second, as IAM records
// times.
func (s *Store) Now() time.Time { return now(s.clock.Now()) }

// Account is the account the store serves.
func (s *Store) Account() string { return s.account }

// RootPrincipal is the account's root-equivalent principal.
func (s *Store) RootPrincipal(accessKeyID string) sealbox.Principal {
	return sealbox.Principal{
		Type:        "Root",
		ARN:         RootARN("aws", s.account),
		AccountID:   s.account,
		PrincipalID: s.account,
		AccessKeyID: accessKeyID,
	}
}

// LookupAccessKey implements sigv4.Credentials. It serves the account's and
// IAM users' long-term keys (AKIA…; an Inactive key is unknown) and STS
// sessions (ASIA…, with their token and expiry, so that the verifier
// answers ExpiredToken once a session has expired and until the sweeper
// removes it). A key whose user or role is gone is unknown.
func (s *Store) LookupAccessKey(ctx context.Context, accessKeyID string) (sigv4.Key, error) {
	if k, ok := s.keys.Get(accessKeyID); ok {
		return k, nil
	}
	ticket := s.keys.Ticket() // before the snapshot is taken
	var k sigv4.Key
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		k, err = s.lookup(tx, accessKeyID)
		return err
	})
	if err != nil {
		return sigv4.Key{}, err
	}
	s.keys.Put(accessKeyID, k, ticket)
	return k, nil
}

func (s *Store) lookup(tx store.Tx, id string) (sigv4.Key, error) {
	if strings.HasPrefix(id, "ASIA") {
		return s.lookupSession(tx, id)
	}
	var rec AccessKeyRecord
	err := GetAccessKey(tx, id, &rec)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Status != StatusActive) {
		return sigv4.Key{}, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return sigv4.Key{}, err
	}
	if rec.Owner == OwnerRoot {
		return sigv4.Key{Secret: rec.Secret, Principal: s.RootPrincipal(rec.ID)}, nil
	}
	u, err := LoadEntity(tx, KindUser, rec.UserName)
	if IsNotFound(err) {
		return sigv4.Key{}, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return sigv4.Key{}, err
	}
	return sigv4.Key{Secret: rec.Secret, Principal: s.userPrincipal(u, rec.ID, false)}, nil
}

func (s *Store) lookupSession(tx store.Tx, id string) (sigv4.Key, error) {
	var sess SessionRecord
	err := GetSession(tx, id, &sess)
	if errors.Is(err, store.ErrNotFound) {
		return sigv4.Key{}, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return sigv4.Key{}, err
	}
	p, ok, err := s.sessionPrincipal(tx, &sess)
	if err != nil {
		return sigv4.Key{}, err
	}
	if !ok {
		return sigv4.Key{}, sigv4.ErrUnknownAccessKey
	}
	return sigv4.Key{Secret: sess.Secret, SessionToken: sess.Token, Expires: sess.Expires, Principal: p}, nil
}

// sessionPrincipal is who a session stands for, or false if its user or
// role no longer exists (deleting either deletes its sessions; this check
// also covers one deleted and made again under the same name).
func (s *Store) sessionPrincipal(tx store.Tx, sess *SessionRecord) (sealbox.Principal, bool, error) {
	switch sess.Kind {
	case "role":
		role, err := LoadEntity(tx, KindRole, sess.Name)
		if IsNotFound(err) || (err == nil && role.ID != sess.UID) {
			return sealbox.Principal{}, false, nil
		}
		if err != nil {
			return sealbox.Principal{}, false, err
		}
		return s.assumedRolePrincipal(role, sess.SessionName, sess.ID), true, nil
	case "user":
		u, err := LoadEntity(tx, KindUser, sess.Name)
		if IsNotFound(err) || (err == nil && u.ID != sess.UID) {
			return sealbox.Principal{}, false, nil
		}
		if err != nil {
			return sealbox.Principal{}, false, err
		}
		return s.userPrincipal(u, sess.ID, true), true, nil
	default:
		p := s.RootPrincipal(sess.ID)
		p.Temporary = true
		return p, true, nil
	}
}

func (s *Store) userPrincipal(u *Entity, keyID string, temporary bool) sealbox.Principal {
	return sealbox.Principal{
		Type:        "IAMUser",
		ARN:         u.ARN(s.account),
		AccountID:   s.account,
		PrincipalID: u.ID,
		AccessKeyID: keyID,
		UserName:    u.Name,
		Temporary:   temporary,
	}
}

func (s *Store) assumedRolePrincipal(role *Entity, session, keyID string) sealbox.Principal {
	return sealbox.Principal{
		Type:        "AssumedRole",
		ARN:         AssumedRoleARN(role.Partition, s.account, role.Name, session),
		AccountID:   s.account,
		PrincipalID: role.ID + ":" + session,
		AccessKeyID: keyID,
		RoleARN:     role.ARN(s.account),
		SessionName: session,
		Temporary:   true,
	}
}

// NewSecret returns a 40-character secret access key in AWS's alphabet.
func NewSecret() primitive.Secret { return randomBase64(30) }

// NewSessionToken returns an opaque session token as long as AWS's short
// ones; only the store knows what it stands for.
func NewSessionToken() primitive.Secret { return randomBase64(192) }

// randomBase64 is n random bytes in base64, as a secret from the start.
func randomBase64(n int) primitive.Secret {
	b := make([]byte, n)
	rand.Read(b)
	out := make([]byte, base64.StdEncoding.EncodedLen(n))
	base64.StdEncoding.Encode(out, b)
	return primitive.NewSecret(out)
}

const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// Interface guard.
var _ sigv4.Credentials = (*Store)(nil)

// sessionExpired reports whether a session is past its expiry at t.
func sessionExpired(sess *SessionRecord, t time.Time) bool { return !t.Before(sess.Expires) }

// DeleteExpiredSessions deletes the sessions expired at t, with their
// index entries, in batches.
func (s *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (removed int, err error) {
	type expired struct{ id, owner string }
	var due []expired
	err = s.store.View(ctx, func(tx store.Tx) error {
		due = due[:0]
		return tx.Scan(sessionPrefix, "", func(_ string, v []byte) error {
			var sess SessionRecord
			if err := decodeSession(v, &sess); err != nil {
				return err
			}
			if sessionExpired(&sess, t) {
				due = append(due, expired{sess.ID, sess.indexOwner()})
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	const batch = 500
	for len(due) > 0 {
		n := min(batch, len(due))
		chunk := due[:n]
		due = due[n:]
		err := s.store.Update(ctx, func(tx store.Tx) error {
			for _, e := range chunk {
				if err := tx.Delete(sessionKey(e.id)); err != nil {
					return err
				}
				if err := tx.Delete(SessionsOfKey(e.owner, e.id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return removed, err
		}
		removed += n
	}
	return removed, nil
}
