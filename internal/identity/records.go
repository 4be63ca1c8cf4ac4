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

// entityKind is a kind of IAM identity that holds policies: user, group or
// role. Its string form is the word AWS's messages use ("user").
type entityKind string

const (
	kindUser  entityKind = "user"
	kindGroup entityKind = "group"
	kindRole  entityKind = "role"
)

func (k entityKind) title() string { return strings.ToUpper(string(k[:1])) + string(k[1:]) }

// prefix is where records of the kind live.
func (k entityKind) prefix() string { return "iam/" + string(k) + "/" }

// idPrefix is the first four characters of the kind's unique ids.
func (k entityKind) idPrefix() string {
	switch k {
	case kindUser:
		return "AIDA"
	case kindGroup:
		return "AGPA"
	default:
		return "AROA"
	}
}

// resourceType is the kind's CloudTrail resource type.
func (k entityKind) resourceType() string { return "AWS::IAM::" + k.title() }

// AWS's default quotas, as its LimitExceeded messages name them.
const (
	maxAccessKeys       = 2
	maxAttached         = 10
	maxGroupsPerUser    = 10
	maxPolicyVersions   = 5
	maxManagedPolicyLen = 6144 // characters, whitespace excluded
	maxTrustPolicyLen   = 2048
	maxSessionPolicyLen = 2048
)

func (k entityKind) attachedQuota() string {
	return "PoliciesPer" + k.title()
}

// inlineLimit is the aggregate size of the kind's inline policies, in
// characters without whitespace: AWS's "Maximum policy size of N bytes
// exceeded for user X".
func (k entityKind) inlineLimit() int {
	switch k {
	case kindUser:
		return 2048
	case kindGroup:
		return 5120
	default:
		return 10240
	}
}

// entity is the stored record of a user, group or role.
type entity struct {
	Kind      entityKind `json:"kind"`
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
	TrustPolicy        string    `json:"trustPolicy,omitempty"`
	Description        string    `json:"description,omitempty"`
	MaxSessionDuration int       `json:"maxSessionDuration,omitempty"`
	LastUsed           time.Time `json:"lastUsed,omitzero"`
	LastUsedRegion     string    `json:"lastUsedRegion,omitempty"`
}

func entityKey(kind entityKind, name string) string { return kind.prefix() + strings.ToLower(name) }

func (e *entity) key() string { return entityKey(e.Kind, e.Name) }

// arn is arn:<partition>:iam::<account>:<kind><path><name>.
func (e *entity) arn(account string) string {
	return "arn:" + e.Partition + ":iam::" + account + ":" + string(e.Kind) + e.Path + e.Name
}

func (e *entity) inlineNames() []string {
	names := make([]string, 0, len(e.Inline))
	for n := range e.Inline {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (e *entity) isAttached(arn string) bool { return slices.Contains(e.Attached, arn) }

func loadEntity(tx store.Tx, kind entityKind, name string) (*entity, error) {
	var e entity
	if err := store.GetJSON(tx, entityKey(kind, name), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

func saveEntity(tx store.Tx, e *entity) error { return store.PutJSON(tx, e.key(), e) }

// policyRecord is a managed policy: customer managed (stored whole) or AWS
// managed (built in; only its attachment count is stored).
type policyRecord struct {
	Name        string          `json:"name"`
	ID          string          `json:"id"`
	Path        string          `json:"path"`
	Partition   string          `json:"partition"`
	Description string          `json:"description,omitempty"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
	Tags        []Tag           `json:"tags,omitempty"`
	Default     string          `json:"default"`
	NextVersion int             `json:"nextVersion"`
	Versions    []policyVersion `json:"versions"`
	Attachments int             `json:"attachments"`
	// BoundaryUses counts the users and roles whose permissions boundary
	// the policy is.
	BoundaryUses int `json:"boundaryUses,omitempty"`

	aws bool // built in; never stored whole
}

type policyVersion struct {
	ID       string    `json:"id"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
}

func policyKey(name string) string    { return "iam/policy/" + strings.ToLower(name) }
func awsPolicyKey(name string) string { return "iam/awspolicy/" + name }

func (p *policyRecord) arn(account string) string {
	if p.aws {
		return "arn:" + p.Partition + ":iam::aws:policy" + p.Path + p.Name
	}
	return "arn:" + p.Partition + ":iam::" + account + ":policy" + p.Path + p.Name
}

func (p *policyRecord) version(id string) *policyVersion {
	for i := range p.Versions {
		if p.Versions[i].ID == id {
			return &p.Versions[i]
		}
	}
	return nil
}

func (p *policyRecord) defaultVersion() *policyVersion { return p.version(p.Default) }

// accessKeyRecord is a long-term access key (AKIA…). Owner is "root" for
// the account's own keys (the administrator's among them) and "user" for an
// IAM user's.
//
// It holds a primitive.Secret, which refuses to be marshalled: the record
// is read and written with getAccessKey and saveAccessKey, never with
// store.GetJSON and store.PutJSON.
type accessKeyRecord struct {
	ID       string           `json:"id"`
	Secret   primitive.Secret `json:"secret"`
	Status   string           `json:"status"`
	Owner    string           `json:"owner"`
	UserName string           `json:"userName,omitempty"`
	Created  time.Time        `json:"created"`
}

func accessKeyKey(id string) string { return "iam/accesskey/" + id }

// ownerOf names whose keys and sessions an index lists: "root" or
// "user/<name>" or "role/<name>".
func ownerOf(kind entityKind, name string) string {
	return string(kind) + "/" + strings.ToLower(name)
}

const ownerRoot = "root"

func keysOfPrefix(owner string) string  { return "iam/keys-of/" + owner + "/" }
func keysOfKey(owner, id string) string { return keysOfPrefix(owner) + id }

func (k *accessKeyRecord) owner() string {
	if k.Owner == ownerRoot {
		return ownerRoot
	}
	return ownerOf(kindUser, k.UserName)
}

func memberKey(group, user string) string {
	return "iam/member/" + strings.ToLower(group) + "/" + strings.ToLower(user)
}
func memberPrefix(group string) string { return "iam/member/" + strings.ToLower(group) + "/" }
func groupsOfKey(user, group string) string {
	return "iam/groups-of/" + strings.ToLower(user) + "/" + strings.ToLower(group)
}
func groupsOfPrefix(user string) string { return "iam/groups-of/" + strings.ToLower(user) + "/" }

// sessionRecord is an STS session (ASIA…): its credentials, who it stands
// for and, for an assumed role, the session policies that narrow it. Like
// accessKeyRecord it is read and written with its own functions
// (getSession, decodeSession, saveSession).
type sessionRecord struct {
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
		*accessKeyRecord
		Secret string `json:"secret"`
	}
	storedSession struct {
		*sessionRecord
		Secret string `json:"secret"`
		Token  string `json:"token"`
	}
)

// getAccessKey reads the access key id into rec.
func getAccessKey(tx store.Tx, id string, rec *accessKeyRecord) error {
	st := storedAccessKey{accessKeyRecord: rec}
	if err := store.GetJSON(tx, accessKeyKey(id), &st); err != nil {
		return err
	}
	rec.Secret = primitive.NewSecret([]byte(st.Secret))
	return nil
}

// saveAccessKey writes rec (and no index).
func saveAccessKey(tx store.Tx, rec *accessKeyRecord) error {
	return store.PutJSON(tx, accessKeyKey(rec.ID), storedAccessKey{rec, string(rec.Secret.Bytes())})
}

// getSession reads the session id into sess.
func getSession(tx store.Tx, id string, sess *sessionRecord) error {
	raw, err := tx.Get(sessionKey(id))
	if err != nil {
		return err
	}
	return decodeSession(raw, sess)
}

// decodeSession decodes a stored session into sess.
func decodeSession(raw []byte, sess *sessionRecord) error {
	st := storedSession{sessionRecord: sess}
	if err := json.Unmarshal(raw, &st); err != nil {
		return err
	}
	sess.Secret, sess.Token = primitive.NewSecret([]byte(st.Secret)), primitive.NewSecret([]byte(st.Token))
	return nil
}

// saveSession writes sess (and no index).
func saveSession(tx store.Tx, sess *sessionRecord) error {
	return store.PutJSON(tx, sessionKey(sess.ID), storedSession{sess, string(sess.Secret.Bytes()), string(sess.Token.Bytes())})
}

const sessionPrefix = "iam/session/"

func (s *sessionRecord) owner() string {
	switch s.Kind {
	case "role":
		return ownerOf(kindRole, s.Name)
	case "user":
		return ownerOf(kindUser, s.Name)
	default:
		return ownerRoot
	}
}

func sessionsOfPrefix(owner string) string  { return "iam/sessions-of/" + owner + "/" }
func sessionsOfKey(owner, id string) string { return sessionsOfPrefix(owner) + id }

// deleteSessionsOf deletes every session of owner, with the index; the
// change feed drops them from the lookup cache.
func deleteSessionsOf(tx store.Tx, owner string) error {
	var ids []string
	err := tx.Scan(sessionsOfPrefix(owner), "", func(key string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(key, sessionsOfPrefix(owner)))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Delete(sessionKey(id)); err != nil {
			return err
		}
		if err := tx.Delete(sessionsOfKey(owner, id)); err != nil {
			return err
		}
	}
	return nil
}

// ARNs of principals.

func rootARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

func assumedRoleARN(partition, account, role, session string) string {
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + role + "/" + session
}

// Identifiers.

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// uniqueID returns an IAM unique id: the four-letter prefix of its kind
// (AIDA, AROA, AGPA, ANPA) and 17 characters, 21 in all, as AWS makes them.
func uniqueID(prefix string) string {
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

// compactLen is the length of doc without whitespace, which is how IAM
// measures a policy against its quotas.
func compactLen(doc string) int {
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

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

// listIndex returns the last key segments under an index prefix, in order.
func listIndex(tx store.Tx, prefix string) ([]string, error) {
	var out []string
	err := tx.Scan(prefix, "", func(key string, _ []byte) error {
		out = append(out, strings.TrimPrefix(key, prefix))
		return nil
	})
	return out, err
}

func putSession(tx store.Tx, sess *sessionRecord) error {
	if err := saveSession(tx, sess); err != nil {
		return err
	}
	return tx.Put(sessionsOfKey(sess.owner(), sess.ID), nil)
}
