package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

var errNotFound = store.ErrNotFound

// EntityKind is a kind of IAM identity that holds policies: user, group or
// role. Its string form is the word AWS's messages use ("user").
type EntityKind string

const (
	KindUser  EntityKind = "user"
	KindGroup EntityKind = "group"
	KindRole  EntityKind = "role"
)

func (k EntityKind) Title() string { return strings.ToUpper(string(k[:1])) + string(k[1:]) }

// Prefix is where records of the kind live.
func (k EntityKind) Prefix() string { return "iam/" + string(k) + "/" }

// IDPrefix is the first four characters of the kind's unique ids.
func (k EntityKind) IDPrefix() string {
	switch k {
	case KindUser:
		return "AIDA"
	case KindGroup:
		return "AGPA"
	default:
		return "AROA"
	}
}

// ResourceType is the kind's CloudTrail resource type.
func (k EntityKind) ResourceType() string { return "AWS::IAM::" + k.Title() }

// MaxAccessKeys is how many access keys a user, or the account's root, may
// have: AWS's default quota.
const MaxAccessKeys = 2

func (k EntityKind) AttachedQuota() string {
	return "PoliciesPer" + k.Title()
}

// InlineLimit is the aggregate size of the kind's inline policies, in
// characters without whitespace: AWS's "Maximum policy size of N bytes
// exceeded for user X".
func (k EntityKind) InlineLimit() int {
	switch k {
	case KindUser:
		return 2048
	case KindGroup:
		return 5120
	default:
		return 10240
	}
}

// Entity is the stored record of a user, group or role.
type Entity struct {
	Kind      EntityKind `json:"kind"`
	Name      string     `json:"name"`
	ID        string     `json:"id"`
	Path      string     `json:"path"`
	Partition string     `json:"partition"`
	Created   time.Time  `json:"created"`
	Tags      []Tag      `json:"tags,omitempty"`
	// Inline maps an inline policy's name to its document.
	Inline map[string]string `json:"inline,omitempty"`
	// Attached lists the ARNs of the attached managed policies, in the
	// order they were attached.
	Attached []string `json:"attached,omitempty"`
	// Boundary is the ARN of the managed policy that is the user's or
	// role's permissions boundary; "" for none.
	Boundary string `json:"boundary,omitempty"`

	// Roles only.
	TrustPolicy string `json:"trustPolicy,omitempty"`
	// TrustPinned is TrustPolicy as it is evaluated: its users and roles
	// pinned to their unique ids when it was saved (PinPrincipals); "" when
	// it names none, or was saved before pinning.
	TrustPinned        string    `json:"trustPinned,omitempty"`
	Description        string    `json:"description,omitempty"`
	MaxSessionDuration int       `json:"maxSessionDuration,omitempty"`
	LastUsed           time.Time `json:"lastUsed,omitzero"`
	LastUsedRegion     string    `json:"lastUsedRegion,omitempty"`
}

func entityKey(kind EntityKind, name string) string { return kind.Prefix() + strings.ToLower(name) }

func (e *Entity) Key() string { return entityKey(e.Kind, e.Name) }

// ARN is ARN:<partition>:iam::<account>:<kind><path><name>.
func (e *Entity) ARN(account string) string {
	return "arn:" + e.Partition + ":iam::" + account + ":" + string(e.Kind) + e.Path + e.Name
}

// EvaluatedTrust is the trust policy AssumeRole evaluates: the pinned
// form when there is one.
func (e *Entity) EvaluatedTrust() string {
	if e.TrustPinned != "" {
		return e.TrustPinned
	}
	return e.TrustPolicy
}

func (e *Entity) InlineNames() []string {
	names := make([]string, 0, len(e.Inline))
	for n := range e.Inline {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (e *Entity) IsAttached(arn string) bool { return slices.Contains(e.Attached, arn) }

func LoadEntity(tx store.Tx, kind EntityKind, name string) (*Entity, error) {
	var e Entity
	if err := store.GetJSON(tx, entityKey(kind, name), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

func SaveEntity(tx store.Tx, e *Entity) error { return store.PutJSON(tx, e.Key(), e) }

// PolicyRecord is a managed policy: customer managed (stored whole) or AWS
// managed (built in; only its attachment count is stored).
type PolicyRecord struct {
	Name        string                `json:"name"`
	ID          string                `json:"id"`
	Path        string                `json:"path"`
	Partition   string                `json:"partition"`
	Description string                `json:"description,omitempty"`
	Created     time.Time             `json:"created"`
	Updated     time.Time             `json:"updated"`
	Tags        []Tag                 `json:"tags,omitempty"`
	Default     string                `json:"default"`
	NextVersion int                   `json:"nextVersion"`
	Versions    []PolicyVersionRecord `json:"versions"`
	Attachments int                   `json:"attachments"`
	// BoundaryUses counts the users and roles whose permissions boundary
	// the policy is.
	BoundaryUses int `json:"boundaryUses,omitempty"`

	aws bool // built in; never stored whole
}

type PolicyVersionRecord struct {
	ID       string    `json:"id"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
}

func PolicyKey(name string) string    { return "iam/policy/" + strings.ToLower(name) }
func awsPolicyKey(name string) string { return "iam/awspolicy/" + name }

func (p *PolicyRecord) ARN(account string) string {
	if p.aws {
		return "arn:" + p.Partition + ":iam::aws:policy" + p.Path + p.Name
	}
	return "arn:" + p.Partition + ":iam::" + account + ":policy" + p.Path + p.Name
}

// AWSManaged reports a policy AWS manages: served read-only, only its
// attachment counts stored.
func (p *PolicyRecord) AWSManaged() bool { return p.aws }

func (p *PolicyRecord) Version(id string) *PolicyVersionRecord {
	for i := range p.Versions {
		if p.Versions[i].ID == id {
			return &p.Versions[i]
		}
	}
	return nil
}

func (p *PolicyRecord) defaultVersion() *PolicyVersionRecord { return p.Version(p.Default) }

// AccessKeyRecord is a long-term access key (AKIA…). Owner is "root" for
// the account's own keys (the administrator's among them) and "user" for an
// IAM user's.
//
// It holds a primitive.Secret, which refuses to be marshalled: the record
// is read and written with getAccessKey and saveAccessKey, never with
// store.GetJSON and store.PutJSON.
type AccessKeyRecord struct {
	ID       string           `json:"id"`
	Secret   primitive.Secret `json:"secret"`
	Status   string           `json:"status"`
	Owner    string           `json:"owner"`
	UserName string           `json:"userName,omitempty"`
	Created  time.Time        `json:"created"`
}

func AccessKeyKey(id string) string { return "iam/accesskey/" + id }

// OwnerOf names whose keys and sessions an index lists: "root" or
// "user/<name>" or "role/<name>".
func OwnerOf(kind EntityKind, name string) string {
	return string(kind) + "/" + strings.ToLower(name)
}

const OwnerRoot = "root"

func KeysOfPrefix(owner string) string  { return "iam/keys-of/" + owner + "/" }
func KeysOfKey(owner, id string) string { return KeysOfPrefix(owner) + id }

func (k *AccessKeyRecord) IndexOwner() string {
	if k.Owner == OwnerRoot {
		return OwnerRoot
	}
	return OwnerOf(KindUser, k.UserName)
}

func MemberKey(group, user string) string {
	return "iam/member/" + strings.ToLower(group) + "/" + strings.ToLower(user)
}
func MemberPrefix(group string) string { return "iam/member/" + strings.ToLower(group) + "/" }
func GroupsOfKey(user, group string) string {
	return "iam/groups-of/" + strings.ToLower(user) + "/" + strings.ToLower(group)
}
func GroupsOfPrefix(user string) string { return "iam/groups-of/" + strings.ToLower(user) + "/" }

// SessionRecord is an STS session (ASIA…): its credentials, who it stands
// for and, for an assumed role, the session policies that narrow it. Like
// accessKeyRecord it is read and written with its own functions
// (getSession, decodeSession, saveSession).
type SessionRecord struct {
	ID      string           `json:"id"`
	Secret  primitive.Secret `json:"secret"`
	Token   primitive.Secret `json:"token"`
	Created time.Time        `json:"created"`
	Expires time.Time        `json:"expires"`
	// Kind is "role" for AssumeRole, "user" or "root" for GetSessionToken.
	Kind      string `json:"kind"`
	Partition string `json:"partition"`
	// Name is the user's or the role's name, UID its unique id (AIDA…,
	// AROA…), Path its path.
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
	Path string `json:"path,omitempty"`

	// Assumed roles only.
	SessionName    string   `json:"sessionName,omitempty"`
	Policy         string   `json:"policy,omitempty"`
	PolicyArns     []string `json:"policyArns,omitempty"`
	Tags           []Tag    `json:"tags,omitempty"`
	TransitiveTags []string `json:"transitiveTags,omitempty"`
	SourceIdentity string   `json:"sourceIdentity,omitempty"`
	ExternalID     string   `json:"externalId,omitempty"`
}

func sessionKey(id string) string { return "iam/session/" + id }

// The stored forms of the records that hold secrets: the record, with its
// secrets as the JSON strings every version has stored (the outer fields
// hide the record's own of the same JSON name). This is the one place the
// secrets become strings, on their way into the store, whose barrier
// seals the whole value; and the one place they are read back.
type (
	storedAccessKey struct {
		*AccessKeyRecord
		Secret string `json:"secret"`
	}
	storedSession struct {
		*SessionRecord
		Secret string `json:"secret"`
		Token  string `json:"token"`
	}
)

// GetAccessKey reads the access key id into rec.
func GetAccessKey(tx store.Tx, id string, rec *AccessKeyRecord) error {
	st := storedAccessKey{AccessKeyRecord: rec}
	if err := store.GetJSON(tx, AccessKeyKey(id), &st); err != nil {
		return err
	}
	rec.Secret = primitive.NewSecret([]byte(st.Secret))
	return nil
}

// SaveAccessKey writes rec (and no index).
func SaveAccessKey(tx store.Tx, rec *AccessKeyRecord) error {
	return store.PutJSON(tx, AccessKeyKey(rec.ID), storedAccessKey{rec, string(rec.Secret.Bytes())})
}

// GetSession reads the session id into sess.
func GetSession(tx store.Tx, id string, sess *SessionRecord) error {
	raw, err := tx.Get(sessionKey(id))
	if err != nil {
		return err
	}
	return decodeSession(raw, sess)
}

// decodeSession decodes a stored session into sess.
func decodeSession(raw []byte, sess *SessionRecord) error {
	st := storedSession{SessionRecord: sess}
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	sess.Secret, sess.Token = primitive.NewSecret([]byte(st.Secret)), primitive.NewSecret([]byte(st.Token))
	return nil
}

// SaveSession writes sess (and no index).
func SaveSession(tx store.Tx, sess *SessionRecord) error {
	return store.PutJSON(tx, sessionKey(sess.ID), storedSession{sess, string(sess.Secret.Bytes()), string(sess.Token.Bytes())})
}

const sessionPrefix = "iam/session/"

func (s *SessionRecord) indexOwner() string {
	switch s.Kind {
	case "role":
		return OwnerOf(KindRole, s.Name)
	case "user":
		return OwnerOf(KindUser, s.Name)
	default:
		return OwnerRoot
	}
}

func SessionsOfPrefix(owner string) string  { return "iam/sessions-of/" + owner + "/" }
func SessionsOfKey(owner, id string) string { return SessionsOfPrefix(owner) + id }

// DeleteSessionsOf deletes every session of owner, with the index; the
// change feed drops them from the lookup cache.
func DeleteSessionsOf(tx store.Tx, owner string) error {
	var ids []string
	err := tx.Scan(SessionsOfPrefix(owner), "", func(key string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(key, SessionsOfPrefix(owner)))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Delete(sessionKey(id)); err != nil {
			return err
		}
		if err := tx.Delete(SessionsOfKey(owner, id)); err != nil {
			return err
		}
	}
	return nil
}

// ARNs of principals.

func RootARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

func AssumedRoleARN(partition, account, role, session string) string {
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + role + "/" + session
}

// Identifiers.

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// UniqueID returns an IAM unique id: the four-letter prefix of its kind
// (AIDA, AROA, AGPA, ANPA) and 17 characters, 21 in all, as AWS makes them.
func UniqueID(prefix string) string {
	var b [17]byte
	rand.Read(b[:])
	out := []byte(prefix)
	for _, c := range b {
		out = append(out, base32Upper[c&31])
	}
	return string(out)
}

// docHash is the short document digest that makes PolicyDoc sources unique.
func docHash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:8])
}

// now is t truncated to the second: IAM reports times to the second.
func now(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// CompactLen is the length of doc without whitespace, which is how IAM
// measures a policy against its quotas.
func CompactLen(doc string) int {
	n := 0
	for _, r := range doc {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

// ListIndex returns the last key segments under an index prefix, in order.
func ListIndex(tx store.Tx, prefix string) ([]string, error) {
	var out []string
	err := tx.Scan(prefix, "", func(key string, _ []byte) error {
		out = append(out, strings.TrimPrefix(key, prefix))
		return nil
	})
	return out, err
}

func PutSession(tx store.Tx, sess *SessionRecord) error {
	if err := SaveSession(tx, sess); err != nil {
		return err
	}
	return tx.Put(SessionsOfKey(sess.indexOwner(), sess.ID), nil)
}
