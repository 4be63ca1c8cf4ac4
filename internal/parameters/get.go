package parameters

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// resolved is one version a read found.
type resolved struct {
	p   *paramRecord
	v   *version
	sel string // ":3" or ":label" when the read named a version
}

// find resolves ref in tx: the current version, or the version its
// selector names. It returns store.ErrNotFound for a missing parameter and
// ParameterVersionNotFound for a missing version or label.
func (s *Service) find(tx store.Tx, region string, ref ref) (*resolved, error) {
	p, err := s.load(tx, region, ref.name)
	if err != nil {
		return nil, err
	}
	if ref.selector == "" {
		return &resolved{p: p, v: &p.version}, nil
	}
	want := ref.version
	if want == 0 {
		lv, ok := p.Labels[ref.selector]
		if !ok {
			return nil, errVersionNotFound(ref.selector, ref.name)
		}
		want = lv
	}
	v, err := versionOf(tx, p, want)
	if isNotFound(err) {
		return nil, errVersionNotFound(ref.selector, ref.name)
	}
	if err != nil {
		return nil, err
	}
	return &resolved{p: p, v: v, sel: ":" + ref.selector}, nil
}

// value is what a read answers for v's Value: the plaintext; for a
// SecureString, decrypted through KMS with decrypt, or else the KMS
// ciphertext blob in base64, which KMS Decrypt opens under the encryption
// context {"PARAMETER_ARN": arn}.
func (s *Service) value(ctx context.Context, v *version, arn string, decrypt bool) (string, error) {
	return s.valueIn(ctx, v, nil, arn, decrypt)
}

// valueIn is value for a version of p, whose encryption context is
// shared when p is; p nil binds to arn.
func (s *Service) valueIn(ctx context.Context, v *version, p *paramRecord, arn string, decrypt bool) (string, error) {
	if v.Type != typeSecureString {
		return v.Value, nil
	}
	if !decrypt {
		return base64.StdEncoding.EncodeToString(v.Blob), nil
	}
	var ec map[string]string
	if p != nil {
		ec = p.context()
	} else {
		ec = map[string]string{contextKey: arn}
	}
	out, err := s.kms.Decrypt(viaSSM(ctx), &kms.DecryptRequest{CiphertextBlob: v.Blob, EncryptionContext: ec})
	if err != nil {
		return "", kmsError(ctx, err)
	}
	val := string(out.Plaintext)
	clear(out.Plaintext)
	return val, nil
}

func (s *Service) parameter(ctx context.Context, res *resolved, decrypt bool) (*Parameter, error) {
	arn := res.p.arn()
	val, err := s.valueIn(ctx, res.v, res.p, arn, decrypt)
	if err != nil {
		return nil, err
	}
	return &Parameter{Name: res.p.Name, Type: res.v.Type, Value: val, Version: res.v.Version, Selector: res.sel,
		LastModifiedDate: sealbox.At(res.v.Modified), ARN: arn, DataType: res.v.DataType}, nil
}

// GetParameter reads one parameter, or the version a selector ("name:3",
// "name:label") names; WithDecryption decrypts a SecureString through KMS.
func (s *Service) GetParameter(ctx context.Context, in *GetParameterRequest) (*GetParameterResult, error) {
	r := sealbox.MustRequest(ctx)
	if isReference(in.Name) {
		p, err := s.reference(ctx, "ssm:GetParameter", in.Name, in.WithDecryption)
		if err != nil {
			return nil, err
		}
		return &GetParameterResult{Parameter: p}, nil
	}
	ref, ok := parseRef(r, in.Name)
	if !ok {
		return nil, errValidation("%s", msgNameRules)
	}
	var res *resolved
	err := s.cache.Read(ctx, s.store, func(tx store.Tx) (err error) {
		res, err = s.find(tx, r.Region, ref)
		return err
	})
	var p *paramRecord
	var arn string
	if res != nil {
		p = res.p
		arn = p.arn()
	} else {
		arn = requestARN(r, ref.name)
	}
	r.AddResource(resourceType, arn)
	if aerr := s.authorize(ctx, "ssm:GetParameter", arn, p, nil); aerr != nil {
		return nil, aerr
	}
	if isNotFound(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	out, err := s.parameter(ctx, res, in.WithDecryption)
	if err != nil {
		return nil, err
	}
	return &GetParameterResult{Parameter: out}, nil
}

// GetParameters reads up to 10 parameters; names that find nothing are
// listed in InvalidParameters. The caller must be allowed
// ssm:GetParameters on every parameter named.
func (s *Service) GetParameters(ctx context.Context, in *GetParametersRequest) (*GetParametersResult, error) {
	r := sealbox.MustRequest(ctx)
	out := &GetParametersResult{Parameters: []Parameter{}, InvalidParameters: []string{}}
	type item struct {
		raw string
		ref ref
		ok  bool
		res *resolved
		err error
		sec *Parameter // a reference to a secret, answered
	}
	items := make([]*item, 0, len(in.Names))
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		it := &item{raw: n}
		if isReference(n) {
			// A reference that cannot be answered is listed as invalid;
			// a denial fails the call.
			p, err := s.reference(ctx, "ssm:GetParameters", n, in.WithDecryption)
			if e, ok := sealbox.AsError(err); err != nil && (!ok || e.Server || e.Code == "AccessDeniedException") {
				return nil, err
			}
			it.sec = p
			items = append(items, it)
			continue
		}
		it.ref, it.ok = parseRef(r, n)
		items = append(items, it)
	}
	err := s.view(ctx, func(tx store.Tx) error {
		for _, it := range items {
			if !it.ok {
				continue
			}
			it.res, it.err = s.find(tx, r.Region, it.ref)
			if it.err != nil && !isNotFound(it.err) {
				if _, api := sealbox.AsError(it.err); !api {
					return it.err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if !it.ok {
			continue
		}
		var p *paramRecord
		arn := requestARN(r, it.ref.name)
		if it.res != nil {
			p, arn = it.res.p, it.res.p.arn()
		}
		r.AddResource(resourceType, arn)
		if err := s.authorize(ctx, "ssm:GetParameters", arn, p, nil); err != nil {
			return nil, err
		}
	}
	for _, it := range items {
		if it.sec != nil {
			out.Parameters = append(out.Parameters, *it.sec)
			continue
		}
		if it.res == nil {
			out.InvalidParameters = append(out.InvalidParameters, it.raw)
			continue
		}
		p, err := s.parameter(ctx, it.res, in.WithDecryption)
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, *p)
	}
	return out, nil
}

// GetParameterHistory lists every kept version of a parameter, oldest
// first, with its labels and policies; WithDecryption decrypts SecureString
// values. NextToken is the last version returned.
func (s *Service) GetParameterHistory(ctx context.Context, in *GetParameterHistoryRequest) (*GetParameterHistoryResult, error) {
	r := sealbox.MustRequest(ctx)
	ref, ok := parseRef(r, in.Name)
	if !ok || ref.selector != "" {
		return nil, errValidation("%s", msgNameRules)
	}
	limit := int(in.MaxResults)
	if limit <= 0 {
		limit = 50
	}
	var after int64
	if in.NextToken != "" {
		tok, err := decodeToken(in.NextToken, "history", r.Region, trimSlash(ref.name))
		if err != nil {
			return nil, err
		}
		if after, err = parseVersion(tok); err != nil {
			return nil, errInvalidToken()
		}
	}
	arn := requestARN(r, ref.name)
	var p *paramRecord
	var versions []*version
	more := false
	err := s.view(ctx, func(tx store.Tx) (err error) {
		p, err = s.load(tx, r.Region, ref.name)
		if err != nil {
			return err
		}
		start := p.Oldest
		if after >= start {
			start = after + 1
		}
		for v := start; v <= p.Version; v++ {
			if len(versions) == limit {
				more = true
				break
			}
			ver, err := versionOf(tx, p, v)
			if err != nil {
				return err
			}
			versions = append(versions, ver)
		}
		return nil
	})
	if p != nil {
		arn = p.arn()
	}
	r.AddResource(resourceType, arn)
	if aerr := s.authorize(ctx, "ssm:GetParameterHistory", arn, p, nil); aerr != nil {
		return nil, aerr
	}
	if isNotFound(err) {
		return nil, errNotFoundNamed(ref.name)
	}
	if err != nil {
		return nil, err
	}
	out := &GetParameterHistoryResult{Parameters: make([]ParameterHistory, 0, len(versions))}
	for _, v := range versions {
		val, err := s.value(ctx, v, arn, in.WithDecryption)
		if err != nil {
			return nil, err
		}
		h := ParameterHistory{Name: p.Name, Type: v.Type, LastModifiedDate: sealbox.At(v.Modified), LastModifiedUser: v.ModifiedUser,
			Description: v.Description, Value: val, AllowedPattern: v.AllowedPattern, Version: v.Version, Labels: p.labelsOf(v.Version),
			Tier: v.Tier, Policies: inlinePolicies(v.Policies), DataType: v.DataType}
		if v.Type == typeSecureString {
			h.KeyId = v.KeyID
		}
		if h.Labels == nil {
			h.Labels = []string{}
		}
		out.Parameters = append(out.Parameters, h)
	}
	if more {
		out.NextToken = encodeToken("history", r.Region, trimSlash(ref.name), formatVersion(versions[len(versions)-1].Version))
	}
	return out, nil
}

// GetParametersByPath reads the parameters under a path: one level, or with
// Recursive every level below. Filters Type, KeyId (Equals, BeginsWith) and
// Label (Equals; the labelled version is returned) narrow the result. The
// read is one ordered scan of the path's prefix; one level skips deeper
// subtrees without reading them. NextToken holds the last name returned, so
// paging stays right while parameters come and go.
func (s *Service) GetParametersByPath(ctx context.Context, in *GetParametersByPathRequest) (*GetParametersByPathResult, error) {
	r := sealbox.MustRequest(ctx)
	prefix, err := checkPath(in.Path)
	if err != nil {
		return nil, err
	}
	filters, err := parseFilters(in.ParameterFilters, byPathFilters)
	if err != nil {
		return nil, err
	}
	limit := int(in.MaxResults)
	if limit <= 0 {
		limit = 10
	}
	scope := boolString(in.Recursive) + ":" + prefix
	base := paramPrefix(r.Region)
	after, err := resumeAfter(in.NextToken, "path", r.Region, scope, prefix) // "": from the beginning of the path
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "ssm:GetParametersByPath", pathARN(r, prefix), nil, map[string][]string{"ssm:recursive": {boolString(in.Recursive)}}); err != nil {
		return nil, err
	}
	var found []*resolved
	more := false
	err = s.view(ctx, func(tx store.Tx) error {
		return scanLevel(tx, base+prefix, after, in.Recursive, func(key string, raw []byte) (bool, error) {
			p, err := recordcache.Decode[paramRecord](tx, key, raw)
			if err != nil {
				return false, err
			}
			res, err := filters.resolve(tx, p)
			if err != nil || res == nil {
				return false, err
			}
			if len(found) == limit {
				more = true
				return true, nil
			}
			found = append(found, res)
			return false, nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := &GetParametersByPathResult{Parameters: make([]Parameter, 0, len(found))}
	for _, res := range found {
		r.AddResource(resourceType, res.p.arn())
		p, err := s.parameter(ctx, res, in.WithDecryption)
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, *p)
	}
	if more {
		out.NextToken = encodeToken("path", r.Region, scope, trimSlash(found[len(found)-1].p.Name))
	}
	return out, nil
}

// scanLevel calls fn, in key order, for the records under prefix that sort
// after after: every one when recursive, else only those directly under
// prefix, jumping over each deeper subtree in one step (after "" starts
// at the beginning). fn returns true to stop.
func scanLevel(tx store.Tx, prefix, after string, recursive bool, fn func(key string, raw []byte) (bool, error)) error {
	for {
		skipTo, stop := "", false
		err := tx.Scan(prefix, after, func(key string, raw []byte) error {
			rest := key[len(prefix):]
			if i := strings.IndexByte(rest, '/'); i >= 0 && !recursive {
				// A deeper level: skip its whole subtree. Names hold only
				// bytes below 0x7f, so prefix+segment+"/\x7f" sorts after
				// every key in it.
				skipTo = prefix + rest[:i+1] + "\x7f"
				return store.ErrStop
			}
			var err error
			stop, err = fn(key, raw)
			if err != nil {
				return err
			}
			if stop {
				return store.ErrStop
			}
			return nil
		})
		if err != nil || stop || skipTo == "" {
			return err
		}
		after = skipTo
	}
}
