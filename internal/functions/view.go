package functions

import (
	"context"
	"encoding/base64"
	"strings"
)

// configuration is what every operation that answers a configuration
// shows of c, a version of fn, under arn (qualified as the call named it),
// with its environment as the caller may see it.
func (s *Service) configuration(ctx context.Context, fn *functionRecord, c *configRecord, arn string) (*FunctionConfiguration, error) {
	env, err := s.environment(ctx, fn, c, arn)
	if err != nil {
		return nil, err
	}
	return s.configurationWith(fn, c, arn, env), nil
}

func (s *Service) configurationWith(fn *functionRecord, c *configRecord, arn string, env *EnvironmentResponse) *FunctionConfiguration {
	out := &FunctionConfiguration{
		FunctionName:     fn.Name,
		FunctionArn:      arn,
		Runtime:          c.Runtime,
		Role:             c.Role,
		Handler:          c.Handler,
		CodeSize:         c.Code.Size,
		Description:      c.Description,
		Timeout:          int32(c.Timeout),
		MemorySize:       int32(c.MemorySize),
		LastModified:     lambdaTime(c.Modified),
		CodeSha256:       c.Code.Sha256,
		Version:          c.Version,
		Environment:      env,
		KMSKeyArn:        c.KMSKeyArn,
		TracingConfig:    &TracingConfigResponse{Mode: c.Tracing},
		RevisionId:       c.RevisionID,
		State:            stateActive,
		LastUpdateStatus: updateSuccess,
		PackageType:      c.PackageType,
		Architectures:    append([]string(nil), c.Architectures...),
		EphemeralStorage: &EphemeralStorage{Size: int32(c.Ephemeral)},
	}
	for _, l := range c.Layers {
		out.Layers = append(out.Layers, Layer{Arn: l})
	}
	if c.Tracing == "" {
		out.TracingConfig.Mode = tracingDefault
	}
	if c.Ephemeral == 0 {
		out.EphemeralStorage.Size = 512
	}
	if c.Logging != nil {
		l := *c.Logging
		out.LoggingConfig = &l
	} else {
		out.LoggingConfig = &LoggingConfig{LogFormat: "Text", LogGroup: "/aws/lambda/" + fn.Name}
	}
	return out
}

// codeLocation is GetFunction's Code: where the package could be fetched.
// sealbox serves no download of a package, so the location is where it came from (an S3
// object or an image) or, for an uploaded ZIP, a URL under the reserved
// .invalid domain that names its digest and fetches nothing.
func codeLocation(fn *functionRecord, c *configRecord) *FunctionCodeLocation {
	code := c.Code
	switch {
	case code.ImageURI != "":
		return &FunctionCodeLocation{RepositoryType: "ECR", ImageUri: code.ImageURI, ResolvedImageUri: code.ImageURI}
	case code.S3Bucket != "":
		loc := "s3://" + code.S3Bucket + "/" + code.S3Key
		if code.S3ObjectVersion != "" {
			loc += "?versionId=" + code.S3ObjectVersion
		}
		return &FunctionCodeLocation{RepositoryType: "S3", Location: loc}
	}
	digest := strings.TrimRight(base64.URLEncoding.EncodeToString(mustDecode(code.Sha256)), "=")
	return &FunctionCodeLocation{RepositoryType: "S3",
		Location: "https://code.sealbox.invalid/" + fn.Region + "/" + fn.Account + "/" + fn.Name + "/" + c.Version + "/" + digest + ".zip"}
}

func mustDecode(s string) []byte {
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}
