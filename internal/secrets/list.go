package secrets

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// ListSecrets lists the secrets of the region, sorted by CreatedDate (or
// SortBy) in SortOrder (asc by default), without those scheduled for
// deletion unless IncludePlannedDeletion. Filters narrow the list: name,
// tag-key, tag-value, primary-region and owning-service match a prefix,
// case-sensitively; description and all break the value into words, each
// of which must start a word of the attributes, case-insensitively (all:
// the name, the description, the tags' keys and values; see splitWords);
// a value starting with "!" negates. NextToken holds the
// sort key and name of the last secret returned, so paging stays right
// while secrets come and go.
func (s *Service) ListSecrets(ctx context.Context, in *ListSecretsRequest) (*ListSecretsResponse, error) {
	if err := s.authorize(ctx, "ListSecrets", "*", nil, nil); err != nil {
		return nil, err
	}
	limit := int(in.MaxResults)
	if limit == 0 {
		limit = 100
	}
	page, next, err := s.list(ctx, in.Filters, in.IncludePlannedDeletion, in.SortBy, in.SortOrder, limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListSecretsResponse{SecretList: make([]SecretListEntry, 0, len(page)), NextToken: next}
	for _, sec := range page {
		e := SecretListEntry{ARN: sec.ARN, Name: sec.Name, Type: sec.Type, Description: sec.Description,
			KmsKeyId: sec.KmsKeyID, LastChangedDate: sealbox.At(sec.Changed), LastAccessedDate: sealbox.At(sec.Accessed),
			DeletedDate: sealbox.At(sec.Deletion), Tags: sec.Tags, SecretVersionsToStages: sec.stagesMap(), CreatedDate: sealbox.At(sec.Created)}
		e.RotationEnabled, e.RotationLambdaARN, e.RotationRules, e.LastRotatedDate, e.NextRotationDate = s.rotationShown(ctx, sec).rotationFields()
		e.PrimaryRegion = sec.primaryRegion()
		out.SecretList = append(out.SecretList, e)
	}
	return out, nil
}

// list reads one page of the secrets that pass filters, in the order asked.
func (s *Service) list(ctx context.Context, filters []Filter, withDeleted bool, sortBy, order string, limit int, token string) ([]*secretRecord, string, error) {
	r := sealbox.MustRequest(ctx)
	for _, f := range filters {
		if len(f.Values) == 0 {
			return nil, "", errInvalidParameter("Invalid filter values: each filter needs at least one value.")
		}
	}
	key := sortKey(sortBy)
	var all []*secretRecord
	err := s.view(ctx, func(tx store.Tx) error {
		return tx.Scan(secretPrefix(r.Region), "", func(k string, raw []byte) error {
			sec, err := recordcache.Decode[secretRecord](tx, k, raw)
			if err != nil {
				return err
			}
			if (withDeleted || !sec.deleted()) && matches(sec, filters) {
				all = append(all, sec)
			}
			return nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	desc := order == "desc"
	cmp := func(a, b *secretRecord) int {
		c := strings.Compare(key(a), key(b))
		if c == 0 {
			c = strings.Compare(a.Name, b.Name)
		}
		if desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(all, cmp)
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		k, name, ok := strings.Cut(string(raw), "\x00")
		if err != nil || !ok {
			return nil, "", errInvalidToken()
		}
		cursor := &secretRecord{Name: name}
		start = len(all)
		for i, sec := range all {
			c := strings.Compare(key(sec), k)
			if c == 0 {
				c = strings.Compare(sec.Name, cursor.Name)
			}
			if desc {
				c = -c
			}
			if c > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+limit, len(all))
	page := all[start:end]
	next := ""
	if end < len(all) {
		last := all[end-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(key(last) + "\x00" + last.Name))
	}
	return page, next, nil
}

// sortKey returns the key secrets are ordered by for SortBy.
func sortKey(by string) func(*secretRecord) string {
	stamp := func(nanos int64) string { return fmt.Sprintf("%020d", nanos) }
	switch by {
	case "name":
		return func(s *secretRecord) string { return s.Name }
	case "last-changed-date":
		return func(s *secretRecord) string { return stamp(s.Changed.UnixNano()) }
	case "last-accessed-date":
		return func(s *secretRecord) string {
			if s.Accessed.IsZero() {
				return stamp(0)
			}
			return stamp(s.Accessed.UnixNano())
		}
	default: // created-date
		return func(s *secretRecord) string { return stamp(s.Created.UnixNano()) }
	}
}

// matches reports whether sec passes every filter. Within a filter, a
// secret passes if any value matches (a "!value" matches when none of the
// secret's attributes do).
func matches(sec *secretRecord, filters []Filter) bool {
	for _, f := range filters {
		var attrs []string
		words := false
		switch f.Key {
		case "name":
			attrs = []string{sec.Name}
		case "description":
			attrs, words = []string{sec.Description}, true
		case "tag-key":
			for _, t := range sec.Tags {
				attrs = append(attrs, t.Key)
			}
		case "tag-value":
			for _, t := range sec.Tags {
				attrs = append(attrs, t.Value)
			}
		case "primary-region":
			// The Region the secret originated in: a replica's primary's.
			attrs = []string{sec.primaryRegion()}
		case "owning-service":
			// sealbox's secrets are never managed by another service.
		case "all":
			words = true
			// A name with two different separators ("prod-app/db") gives
			// AWS's search no words: it is found by no "all" value.
			if !mixedSeparators(sec.Name) {
				attrs = append(attrs, sec.Name)
			}
			attrs = append(attrs, sec.Description)
			for _, t := range sec.Tags {
				attrs = append(attrs, t.Key, t.Value)
			}
		}
		pass := false
		for _, v := range f.Values {
			neg := strings.HasPrefix(v, "!")
			v = strings.TrimPrefix(v, "!")
			hit := false
			for _, a := range attrs {
				if a != "" && matchValue(v, a, words) {
					hit = true
					break
				}
			}
			if hit != neg {
				pass = true
				break
			}
		}
		if !pass {
			return false
		}
	}
	return true
}

// matchValue matches one filter value: a case-sensitive prefix, or for the
// word-matching keys, every word of the value a case-insensitive prefix of
// some word of the attribute.
func matchValue(v, attr string, words bool) bool {
	if !words {
		return strings.HasPrefix(attr, v)
	}
	want := splitWords(v)
	if len(want) == 0 {
		return false
	}
	have := splitWords(attr)
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// separators are the characters between the words of a name (besides
// white space).
const separators = "/_+=.@-"

// mixedSeparators reports whether name holds two different separators.
func mixedSeparators(name string) bool {
	seen := -1
	for _, c := range name {
		if i := strings.IndexRune(separators, c); i >= 0 {
			if seen >= 0 && seen != i {
				return true
			}
			seen = i
		}
	}
	return false
}

// splitWords splits s into lower-case words, as Secrets Manager's search
// does: at white space and the separators /_+=.@-, before a capital that
// follows a lower-case letter or a digit ("MyDbSecret" is my, db, secret),
// and before the last capital of a run that a lower-case letter follows
// ("SecretFTag" is secret, f, tag; "COMPANYthings" is compan, ythings).
func splitWords(s string) []string {
	rs := []rune(s)
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			out = append(out, strings.ToLower(string(rs[start:end])))
		}
		start = -1
	}
	for i, c := range rs {
		if unicode.IsSpace(c) || strings.ContainsRune(separators, c) {
			flush(i)
			continue
		}
		if start >= 0 && unicode.IsUpper(c) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush(i)
			}
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(rs))
	return out
}
