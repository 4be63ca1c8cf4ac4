package functions

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

var (
	validName      = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	validQualifier = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]+)$`)
	validAlias     = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	versionNumber  = regexp.MustCompile(`^[0-9]+$`)
)

const functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`

// fnRef is a FunctionName as a call gives it: a name, a partial ARN
// (123456789012:function:name) or a full ARN, each perhaps with a
// qualifier after ':'.
type fnRef struct {
	name      string
	qualifier string // from the name or the Qualifier member; "" for none
	arn       string // the unqualified ARN it names
}

// resource is the ARN a call on ref is authorized against: qualified when
// the call names a version or alias.
func (f fnRef) resource() string { return qualified(f.arn, f.qualifier) }

// parseFunction reads a FunctionName and the call's Qualifier member.
func parseFunction(r *sealbox.Request, s, qualifier string) (fnRef, error) {
	parts := strings.Split(s, ":")
	partition, region, account := r.Partition, r.Region, r.AccountID
	var name, qual string
	bad := func() (fnRef, error) {
		return fnRef{}, errValidation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", s, functionNamePattern)
	}
	switch {
	case parts[0] == "arn":
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return bad()
		}
		partition, region, account, name = parts[1], parts[3], parts[4], parts[6]
		if len(parts) == 8 {
			qual = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 {
			return bad()
		}
		account, name = parts[0], parts[2]
		if len(parts) == 4 {
			qual = parts[3]
		}
	case len(parts) >= 4 && parts[2] == "function":
		if len(parts) > 5 {
			return bad()
		}
		region, account, name = parts[0], parts[1], parts[3]
		if len(parts) == 5 {
			qual = parts[4]
		}
	case len(parts) <= 2:
		name = parts[0]
		if len(parts) == 2 {
			qual = parts[1]
		}
	default:
		return bad()
	}
	if !validName.MatchString(name) || len(parts) > 1 && qual == "" && parts[len(parts)-1] == "" {
		return bad()
	}
	if qual != "" && !validQualifier.MatchString(qual) {
		return bad()
	}
	if region != r.Region {
		return fnRef{}, sealbox.Errorf("ResourceNotFoundException", "Functions from '%s' are not reachable in this region ('%s')", region, r.Region)
	}
	switch {
	case qual != "" && qualifier != "" && qual != qualifier:
		return fnRef{}, errInvalid("The derived qualifier from the function name does not match the specified qualifier.")
	case qual == "":
		qual = qualifier
	}
	arn := "arn:" + partition + ":lambda:" + region + ":" + account + ":function:" + name
	return fnRef{name: name, qualifier: qual, arn: arn}, nil
}

// unqualified reads a FunctionName for an operation on the function itself,
// which takes no qualifier.
func unqualified(r *sealbox.Request, s string) (fnRef, error) {
	ref, err := parseFunction(r, s, "")
	if err != nil {
		return ref, err
	}
	if ref.qualifier != "" {
		return ref, errInvalid("Unsupported qualifier: this operation acts on the function (%s), not on a version or alias.", ref.arn)
	}
	return ref, nil
}

// target is what a call's FunctionName and Qualifier resolved to.
type target struct {
	fn    *functionRecord
	cfg   *configRecord // $LATEST or a published version
	alias string        // the alias the call named, if any
	arn   string        // the ARN answers show: qualified as the call named it
}

// loadFunction reads the function ref names in tx; a function of another
// account is store.ErrNotFound.
func (s *Service) loadFunction(tx store.Tx, r *sealbox.Request, ref fnRef) (*functionRecord, error) {
	fn, err := recordcache.Get[functionRecord](tx, functionKey(r.Region, ref.name))
	if err != nil {
		return nil, err
	}
	if fn.ARN != ref.arn {
		return nil, store.ErrNotFound
	}
	return fn, nil
}

// loadVersion reads published version v of fn in tx.
func loadVersion(tx store.Tx, fn *functionRecord, v string) (*configRecord, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, store.ErrNotFound
	}
	return recordcache.Get[configRecord](tx, versionKey(fn.Region, fn.Name, n))
}

// resolveQualifier finds the configuration qualifier names in fn: $LATEST
// for none, a version, or the version an alias points to.
func resolveQualifier(tx store.Tx, fn *functionRecord, qualifier string) (*configRecord, string, error) {
	var alias string
	v := qualifier
	switch {
	case v == "" || v == latest:
		return &fn.Latest, "", nil
	case !versionNumber.MatchString(v):
		a, ok := fn.Aliases[v]
		if !ok {
			return nil, "", errFunctionNotFound(qualified(fn.ARN, qualifier))
		}
		alias, v = a.Name, a.Version
		if v == latest {
			return &fn.Latest, alias, nil
		}
	}
	c, err := loadVersion(tx, fn, v)
	if isNotFound(err) {
		return nil, "", errFunctionNotFound(qualified(fn.ARN, qualifier))
	}
	return c, alias, err
}

// access resolves what a call names, records it for the audit event and
// authorizes action on it, in that order, so that a caller who may not act
// on a name learns nothing about it. The records returned are shared:
// clone them to change them.
func (s *Service) access(ctx context.Context, action string, ref fnRef, extra map[string][]string) (*target, error) {
	r := sealbox.MustRequest(ctx)
	var t *target
	var resolveErr error
	err := s.view(ctx, func(tx store.Tx) error {
		fn, err := s.loadFunction(tx, r, ref)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		t = &target{fn: fn, arn: ref.resource()}
		t.cfg, t.alias, resolveErr = resolveQualifier(tx, fn, ref.qualifier)
		if resolveErr != nil {
			if _, ok := sealbox.AsError(resolveErr); !ok {
				return resolveErr
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceType, ref.arn)
	var fn *functionRecord
	var policy string
	if t != nil {
		fn = t.fn
		policy = t.fn.policyFor(action, ref.qualifier)
	}
	if err := s.authorizeWith(ctx, action, ref.resource(), fn, policy, extra); err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errFunctionNotFound(ref.resource())
	}
	if resolveErr != nil {
		return nil, resolveErr
	}
	return t, nil
}
