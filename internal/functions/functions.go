package functions

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

func save(tx store.Tx, fn *functionRecord) error {
	return store.PutJSON(tx, functionKey(fn.Region, fn.Name), fn)
}

// update changes the function seen in one write transaction: it reads the
// record afresh, checks it is still the same function and, when change is
// not empty, that $LATEST has not changed since it was seen (a write that
// prepared its environment from what it saw must not overwrite another's),
// lets f change it and saves it. f may write other records.
func (s *Service) update(ctx context.Context, seen *functionRecord, change string, f func(tx store.Tx, fn *functionRecord) error) (*functionRecord, error) {
	var out *functionRecord
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var fn functionRecord
		err := store.GetJSON(tx, functionKey(seen.Region, seen.Name), &fn)
		if isNotFound(err) || err == nil && fn.ARN != seen.ARN {
			return errFunctionNotFound(seen.ARN)
		}
		if err != nil {
			return err
		}
		if change != "" && fn.Latest.Change != change {
			return errInProgress(seen.ARN)
		}
		if err := f(tx, &fn); err != nil {
			return err
		}
		out = &fn
		return save(tx, &fn)
	})
	return out, err
}

// checkLimits reads Timeout and MemorySize.
func checkLimits(timeout, memory *int32) error {
	if timeout != nil && *timeout > maxTimeout {
		return errValidation("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to %d", *timeout, maxTimeout)
	}
	if memory != nil && *memory > 10240 {
		return errInvalid("'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 10240")
	}
	return nil
}

func variables(e *Environment) map[string]string {
	if e == nil {
		return nil
	}
	return e.Variables
}

// CreateFunction creates a function from its configuration and package
// (of which only the digest and size are kept), with its environment
// sealed under KMSKeyArn or alias/aws/lambda. The caller must be allowed
// lambda:CreateFunction (and lambda:TagResource with Tags) on the
// function's ARN and iam:PassRole on its Role. With Publish, version 1 is
// published at once and answered.
func (s *Service) CreateFunction(ctx context.Context, in *CreateFunctionRequest) (*FunctionConfiguration, error) {
	r := sealbox.MustRequest(ctx)
	ref, err := unqualified(r, in.FunctionName)
	if err != nil {
		return nil, err
	}
	if len(ref.name) > maxNameLength {
		return nil, errValidation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to %d", ref.name, maxNameLength)
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	pkg := in.PackageType
	if pkg == "" {
		pkg = packageZip
	}
	if pkg == packageZip && (in.Runtime == "" || in.Handler == "") {
		return nil, errInvalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := checkLimits(in.Timeout, in.MemorySize); err != nil {
		return nil, err
	}
	archs, err := checkArchitectures(in.Architectures)
	if err != nil {
		return nil, err
	}
	vars := variables(in.Environment)
	if err := checkEnvironment(vars); err != nil {
		return nil, err
	}
	// A new function has no value for {{sealbox:masked}} to keep.
	if _, err := s.newVariables(ctx, nil, nil, vars); err != nil {
		return nil, err
	}
	if in.Code == nil {
		in.Code = &FunctionCode{}
	}
	blob := in.Code.ZipFile
	code, err := newCode(pkg, blob, in.Code.S3Bucket, in.Code.S3Key, in.Code.S3ObjectVersion, in.Code.ImageUri)
	in.Code.ZipFile = nil
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceType, ref.arn)
	cond := requestTagConditions(tags)
	if err := s.authorize(ctx, "lambda:CreateFunction", ref.arn, nil, cond); err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		if err := s.authorize(ctx, "lambda:TagResource", ref.arn, nil, cond); err != nil {
			return nil, err
		}
	}
	if err := s.passRole(ctx, in.Role); err != nil {
		return nil, err
	}
	exists := false
	if err := s.view(ctx, func(tx store.Tx) error {
		_, err := tx.Get(functionKey(r.Region, ref.name))
		exists = err == nil
		if isNotFound(err) {
			return nil
		}
		return err
	}); err != nil {
		return nil, err
	}
	if exists {
		return nil, errExists(ref.name)
	}
	keyID := in.KMSKeyArn
	if keyID == defaultKeyAlias {
		keyID = ""
	}
	env, err := s.seal(ctx, ref.arn, keyID, vars)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	fn := &functionRecord{Name: ref.name, ARN: ref.arn, Region: r.Region, Partition: r.Partition, Account: r.AccountID,
		Created: now, Tags: tags, NextVersion: 1, ID: ids.UUID()}
	fn.Latest = configRecord{
		Version: latest, Description: in.Description, Role: in.Role, Runtime: in.Runtime, Handler: in.Handler,
		Timeout: defaultTimeout, MemorySize: defaultMemory, Architectures: archs, PackageType: pkg, Code: code,
		KMSKeyArn: keyID, Env: env, Modified: now, RevisionID: ids.UUID(), Change: ids.UUID(),
	}
	applySettings(&fn.Latest, in.Timeout, in.MemorySize, in.TracingConfig, in.EphemeralStorage, in.LoggingConfig)
	fn.Latest.Layers = append([]string(nil), in.Layers...)
	var published *configRecord
	built := *fn
	err = s.store.Update(ctx, func(tx store.Tx) error {
		// publishTx numbers the version in fn: a second run (after a
		// conflict on a shared store) starts again from the record as
		// built, or it would publish version 2.
		*fn, published = built, nil
		if _, err := tx.Get(functionKey(r.Region, ref.name)); err == nil {
			return errExists(ref.name)
		} else if !isNotFound(err) {
			return err
		}
		if err := putCode(tx, r.Region, ref.name, code, blob); err != nil {
			return err
		}
		if in.Publish {
			var err error
			if published, _, err = s.publishTx(tx, fn, nil); err != nil {
				return err
			}
		}
		return save(tx, fn)
	})
	if err != nil {
		return nil, err
	}
	if published != nil {
		return s.configuration(ctx, fn, published, fn.ARN)
	}
	return s.configuration(ctx, fn, &fn.Latest, fn.ARN)
}

func errExists(name string) error {
	return sealbox.Errorf("ResourceConflictException", "Function already exist: %s", name)
}

// applySettings sets the settings a create or update sends.
func applySettings(c *configRecord, timeout, memory *int32, tracing *TracingConfig, eph *EphemeralStorage, logging *LoggingConfig) {
	if timeout != nil {
		c.Timeout = int(*timeout)
	}
	if memory != nil {
		c.MemorySize = int(*memory)
	}
	if tracing != nil && tracing.Mode != "" {
		c.Tracing = tracing.Mode
	}
	if eph != nil {
		c.Ephemeral = int(eph.Size)
	}
	if logging != nil {
		l := *logging
		c.Logging = &l
	}
}

// GetFunction answers a version's configuration (masked as the caller may
// see it), where its package is, and the function's tags. Qualifier (or a
// qualifier in FunctionName) names a version or alias; none is $LATEST.
func (s *Service) GetFunction(ctx context.Context, in *GetFunctionRequest) (*GetFunctionResponse, error) {
	ref, err := parseFunction(sealbox.MustRequest(ctx), in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:GetFunction", ref, nil)
	if err != nil {
		return nil, err
	}
	cfg, err := s.configuration(ctx, t.fn, t.cfg, t.arn)
	if err != nil {
		return nil, err
	}
	out := &GetFunctionResponse{Configuration: cfg, Code: codeLocation(t.fn, t.cfg)}
	if t.fn.Reserved != nil {
		n := *t.fn.Reserved
		out.Concurrency = &Concurrency{ReservedConcurrentExecutions: &n}
	}
	if len(t.fn.Tags) > 0 {
		out.Tags = cloneMap(t.fn.Tags)
	}
	return out, nil
}

// GetFunctionConfiguration answers a version's configuration, its
// environment masked as the caller may see it.
func (s *Service) GetFunctionConfiguration(ctx context.Context, in *GetFunctionConfigurationRequest) (*FunctionConfiguration, error) {
	ref, err := parseFunction(sealbox.MustRequest(ctx), in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:GetFunctionConfiguration", ref, nil)
	if err != nil {
		return nil, err
	}
	return s.configuration(ctx, t.fn, t.cfg, t.arn)
}

// UpdateFunctionConfiguration changes $LATEST's settings. An Environment
// replaces the variables (a variable sent as {{sealbox:masked}} keeps its
// value) and is sealed anew; a new KMSKeyArn ("" for alias/aws/lambda)
// alone moves the sealed environment to it (KMS ReEncrypt). A RevisionId
// that is not $LATEST's is refused with PreconditionFailedException.
func (s *Service) UpdateFunctionConfiguration(ctx context.Context, in *UpdateFunctionConfigurationRequest) (*FunctionConfiguration, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:UpdateFunctionConfiguration", ref, nil)
	if err != nil {
		return nil, err
	}
	fn, cur := t.fn, &t.fn.Latest
	if in.RevisionId != "" && in.RevisionId != cur.RevisionID {
		return nil, errRevision()
	}
	if in.Role != "" {
		if err := s.passRole(ctx, in.Role); err != nil {
			return nil, err
		}
	}
	if err := checkLimits(in.Timeout, in.MemorySize); err != nil {
		return nil, err
	}
	keyID := cur.KMSKeyArn
	if in.KMSKeyArn != nil {
		keyID = *in.KMSKeyArn
		if keyID == defaultKeyAlias {
			keyID = ""
		}
	}
	env := cur.Env
	switch {
	case in.Environment != nil:
		vars := in.Environment.Variables
		if err := checkNames(vars); err != nil {
			return nil, err
		}
		if vars, err = s.newVariables(ctx, fn, cur.Env, vars); err != nil {
			return nil, err
		}
		if err := checkSize(vars); err != nil {
			return nil, err
		}
		if err := checkReferences(vars); err != nil {
			return nil, err
		}
		if env, err = s.seal(ctx, fn.ARN, keyID, vars); err != nil {
			return nil, err
		}
	case keyID != cur.KMSKeyArn && cur.Env != nil:
		if env, err = s.rekey(ctx, fn.ARN, keyID, cur.Env); err != nil {
			return nil, err
		}
	}
	out, err := s.update(ctx, fn, cur.Change, func(_ store.Tx, f *functionRecord) error {
		c := &f.Latest
		if in.RevisionId != "" && in.RevisionId != c.RevisionID {
			return errRevision()
		}
		if in.Role != "" {
			c.Role = in.Role
		}
		if in.Handler != "" {
			c.Handler = in.Handler
		}
		if in.Runtime != "" {
			c.Runtime = in.Runtime
		}
		if in.Description != nil {
			c.Description = *in.Description
		}
		applySettings(c, in.Timeout, in.MemorySize, in.TracingConfig, in.EphemeralStorage, in.LoggingConfig)
		if in.Layers != nil {
			c.Layers = append([]string(nil), in.Layers...)
		}
		c.KMSKeyArn, c.Env = keyID, env
		s.touch(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.configuration(ctx, out, &out.Latest, out.ARN)
}

// touch marks $LATEST changed: a new RevisionId and Change, and now.
func (s *Service) touch(c *configRecord) {
	c.Modified = s.clock.Now().UTC()
	c.RevisionID, c.Change = ids.UUID(), ids.UUID()
}

// UpdateFunctionCode replaces $LATEST's package (its digest and size are
// kept, not its bytes); with Publish, a version is published from it and
// answered; with DryRun, nothing is saved.
func (s *Service) UpdateFunctionCode(ctx context.Context, in *UpdateFunctionCodeRequest) (*FunctionConfiguration, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:UpdateFunctionCode", ref, nil)
	if err != nil {
		return nil, err
	}
	fn := t.fn
	if in.RevisionId != "" && in.RevisionId != fn.Latest.RevisionID {
		return nil, errRevision()
	}
	blob := in.ZipFile
	code, err := newCode(fn.Latest.PackageType, blob, in.S3Bucket, in.S3Key, in.S3ObjectVersion, in.ImageUri)
	in.ZipFile = nil
	if err != nil {
		return nil, err
	}
	var archs []string
	if len(in.Architectures) > 0 {
		if archs, err = checkArchitectures(in.Architectures); err != nil {
			return nil, err
		}
	}
	apply := func(c *configRecord) {
		c.Code = code
		if archs != nil {
			c.Architectures = archs
		}
	}
	if in.DryRun {
		c := fn.Latest.clone()
		apply(c)
		return s.configuration(ctx, fn, c, fn.ARN)
	}
	var published *configRecord
	out, err := s.update(ctx, fn, "", func(tx store.Tx, f *functionRecord) error {
		if in.RevisionId != "" && in.RevisionId != f.Latest.RevisionID {
			return errRevision()
		}
		if err := putCode(tx, f.Region, f.Name, code, blob); err != nil {
			return err
		}
		apply(&f.Latest)
		s.touch(&f.Latest)
		if in.Publish {
			var err error
			if published, _, err = s.publishTx(tx, f, nil); err != nil {
				return err
			}
		}
		// The code $LATEST had is kept only while a version uses it.
		keep, err := codeInUse(tx, f)
		if err != nil {
			return err
		}
		return deleteCode(tx, f.Region, f.Name, keep)
	})
	if err != nil {
		return nil, err
	}
	if published != nil {
		return s.configuration(ctx, out, published, qualified(out.ARN, published.Version))
	}
	return s.configuration(ctx, out, &out.Latest, out.ARN)
}

// listItem is one configuration a list answers, with the ARN it shows.
type listItem struct {
	key string // sorts as the list does: name, NUL, version
	fn  *functionRecord
	cfg *configRecord
	arn string
}

// itemKey sorts a function's versions after its name, $LATEST first
// ("$" sorts before digits), and before any longer name.
func itemKey(name, version string) string {
	if version != latest {
		n, _ := strconv.ParseInt(version, 10, 64)
		version = strconv.FormatInt(1e10+n, 10)
	}
	return name + "\x00" + version
}

func encodeMarker(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeMarker(m string) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) == 0 {
		return "", errInvalidMarker()
	}
	return string(b), nil
}

func pageSize(maxItems int32) int {
	if maxItems <= 0 || maxItems > defaultPage {
		return defaultPage
	}
	return int(maxItems)
}

// ListFunctions lists the region's functions by name, each as $LATEST
// under its unqualified ARN, or with FunctionVersion ALL every version
// under its qualified ARN; at most 50 (or MaxItems) a page, the rest after
// NextMarker. Environments are masked as the caller may see each.
func (s *Service) ListFunctions(ctx context.Context, in *ListFunctionsRequest) (*ListFunctionsResponse, error) {
	r := sealbox.MustRequest(ctx)
	if err := s.authorize(ctx, "lambda:ListFunctions", "*", nil, nil); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	all := in.FunctionVersion == "ALL"
	limit := pageSize(in.MaxItems)
	var items []listItem
	err = s.view(ctx, func(tx store.Tx) error {
		return tx.Scan(functionPrefix(r.Region), "", func(key string, raw []byte) error {
			fn, err := recordcache.Decode[functionRecord](tx, key, raw)
			if err != nil {
				return err
			}
			add := func(c *configRecord, arn string) bool {
				k := itemKey(fn.Name, c.Version)
				if k <= after {
					return true
				}
				items = append(items, listItem{key: k, fn: fn, cfg: c, arn: arn})
				return len(items) <= limit
			}
			if !all {
				if !add(&fn.Latest, fn.ARN) {
					return store.ErrStop
				}
				return nil
			}
			if !add(&fn.Latest, qualified(fn.ARN, latest)) {
				return store.ErrStop
			}
			vs, err := versions(tx, fn)
			if err != nil {
				return err
			}
			for _, c := range vs {
				if !add(c, qualified(fn.ARN, c.Version)) {
					return store.ErrStop
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := &ListFunctionsResponse{Functions: []FunctionConfiguration{}}
	if len(items) > limit {
		items = items[:limit]
		out.NextMarker = encodeMarker(items[limit-1].key)
	}
	for _, it := range items {
		cfg, err := s.configuration(ctx, it.fn, it.cfg, it.arn)
		if err != nil {
			return nil, err
		}
		out.Functions = append(out.Functions, *cfg)
	}
	return out, nil
}

// versions reads fn's published versions in tx, in order.
func versions(tx store.Tx, fn *functionRecord) ([]*configRecord, error) {
	var out []*configRecord
	err := tx.Scan(versionPrefix(fn.Region, fn.Name), "", func(key string, raw []byte) error {
		c, err := recordcache.Decode[configRecord](tx, key, raw)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// DeleteFunction deletes a function with its versions and aliases, or,
// with a version number as Qualifier, that version alone (unless an alias
// points to it). $LATEST is deleted only with the function.
func (s *Service) DeleteFunction(ctx context.Context, in *DeleteFunctionRequest) (*DeleteFunctionResponse, error) {
	ref, err := parseFunction(sealbox.MustRequest(ctx), in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	if ref.qualifier == latest {
		return nil, errInvalid("$LATEST version cannot be deleted without deleting the function.")
	}
	t, err := s.access(ctx, "lambda:DeleteFunction", ref, nil)
	if err != nil {
		return nil, err
	}
	if t.alias != "" {
		return nil, errInvalid("Deletion of aliases is not supported by DeleteFunction. Use DeleteAlias to delete alias %s.", t.alias)
	}
	fn := t.fn
	if ref.qualifier != "" {
		v := ref.qualifier
		_, err = s.update(ctx, fn, "", func(tx store.Tx, f *functionRecord) error {
			var users []string
			for _, name := range sortedKeys(f.Aliases) {
				a := f.Aliases[name]
				if _, weighted := a.Weights[v]; a.Version == v || weighted {
					users = append(users, name)
				}
			}
			if len(users) > 0 {
				return sealbox.Errorf("ResourceConflictException", "Unable to delete version because the following aliases reference it: [%s]", strings.Join(users, ", "))
			}
			// The version's policy and settings go with it.
			delete(f.Policies, v)
			delete(f.EventInvoke, v)
			n, _ := strconv.ParseInt(v, 10, 64)
			if err := tx.Delete(versionKey(f.Region, f.Name, n)); err != nil {
				return err
			}
			keep, err := codeInUse(tx, f)
			if err != nil {
				return err
			}
			return deleteCode(tx, f.Region, f.Name, keep)
		})
		if err != nil {
			return nil, err
		}
		return &DeleteFunctionResponse{StatusCode: 204}, nil
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var keys []string
		if err := tx.Scan(versionPrefix(fn.Region, fn.Name), "", func(key string, _ []byte) error {
			keys = append(keys, key)
			return nil
		}); err != nil {
			return err
		}
		for _, k := range append(keys, functionKey(fn.Region, fn.Name)) {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return deleteCode(tx, fn.Region, fn.Name, nil)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteFunctionResponse{StatusCode: 204}, nil
}
