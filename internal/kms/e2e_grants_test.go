package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestGrantLifecycle(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "granted")
	grantee := "arn:aws:iam::123456789012:role/reader"
	retirer := "arn:aws:iam::123456789012:role/retirer"
	g := must[*kms.CreateGrantOutput](t, "CreateGrant")(c.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), RetiringPrincipal: aws.String(retirer), Name: aws.String("reader"),
		Operations:  []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationDescribeKey},
		Constraints: &types.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "billing"}},
	}))
	if len(aws.ToString(g.GrantId)) != 64 || aws.ToString(g.GrantToken) == "" {
		t.Fatalf("CreateGrant = %+v", g)
	}
	again := must[*kms.CreateGrantOutput](t, "CreateGrant(same name)")(c.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), Name: aws.String("reader"),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationDescribeKey},
	}))
	if *again.GrantId != *g.GrantId {
		t.Fatalf("CreateGrant with the same name made a second grant")
	}
	list := must[*kms.ListGrantsOutput](t, "ListGrants")(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId}))
	if len(list.Grants) != 1 {
		t.Fatalf("ListGrants = %d grants", len(list.Grants))
	}
	e := list.Grants[0]
	if *e.GranteePrincipal != grantee || *e.RetiringPrincipal != retirer || *e.KeyId != *md.Arn || *e.IssuingAccount != "arn:aws:iam::123456789012:root" ||
		len(e.Operations) != 2 || e.Constraints.EncryptionContextSubset["app"] != "billing" || e.CreationDate == nil {
		t.Fatalf("grant entry = %+v", e)
	}
	ret := must[*kms.ListRetirableGrantsOutput](t, "ListRetirableGrants")(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(retirer)}))
	if len(ret.Grants) != 1 || *ret.Grants[0].GrantId != *g.GrantId {
		t.Fatalf("ListRetirableGrants = %+v", ret.Grants)
	}
	_, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), Operations: []types.GrantOperation{types.GrantOperationSign}})
	wantAPIError(t, "CreateGrant(Sign on a symmetric key)", err, "ValidationException", 400)

	must[*kms.RetireGrantOutput](t, "RetireGrant(token)")(c.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken}))
	list = must[*kms.ListGrantsOutput](t, "ListGrants")(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId}))
	if len(list.Grants) != 0 {
		t.Fatalf("a retired grant is still listed")
	}
	g2 := must[*kms.CreateGrantOutput](t, "CreateGrant")(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), Operations: []types.GrantOperation{types.GrantOperationEncrypt}}))
	must[*kms.RevokeGrantOutput](t, "RevokeGrant")(c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId}))
	_, err = c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId})
	wantAPIError(t, "RevokeGrant(again)", err, "NotFoundException", 400)
}
