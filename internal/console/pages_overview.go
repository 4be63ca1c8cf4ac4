package console

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// count is one figure of the overview: how many, or why the caller cannot
// see it.
type count struct {
	Name, Link string
	N          int
	Err        string
}

type overviewData struct {
	Counts []count
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := &overviewData{}
	add := func(name, link string, n int, err error) {
		ct := count{Name: name, Link: link, N: n}
		if err != nil {
			ct.Err = asAPIError(err).Error()
		}
		d.Counts = append(d.Counts, ct)
	}
	n, err := countKeys(ctx, s)
	add("KMS keys", "/console/kms", n, err)
	n, err = countParameters(ctx, s)
	add("Parameters", "/console/parameters", n, err)
	n, err = countSecrets(ctx, s)
	add("Secrets", "/console/secrets", n, err)
	n, err = countFunctions(ctx, s)
	add("Functions", "/console/functions", n, err)
	c.show(w, s, "overview", "overview", "Overview", d, nil)
}

func countKeys(ctx context.Context, s *session) (int, error) {
	n := 0
	p := kms.NewListKeysPaginator(s.api.KMS, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Keys)
	}
	return n, nil
}

func countParameters(ctx context.Context, s *session) (int, error) {
	n := 0
	p := ssm.NewDescribeParametersPaginator(s.api.SSM, &ssm.DescribeParametersInput{MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Parameters)
	}
	return n, nil
}

func countSecrets(ctx context.Context, s *session) (int, error) {
	n := 0
	p := secretsmanager.NewListSecretsPaginator(s.api.Secrets, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.SecretList)
	}
	return n, nil
}

func countFunctions(ctx context.Context, s *session) (int, error) {
	n := 0
	p := lambda.NewListFunctionsPaginator(s.api.Lambda, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Functions)
	}
	return n, nil
}
