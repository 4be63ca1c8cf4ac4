package server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

// TestAdminLockDownSurvivesRestart: the first start makes the IAM user
// admin; once someone deletes it (a deliberate lock-down), a restart does
// not make it again, nor writes a new key to disk, even with the preset
// still configured: it logs that the user is absent.
func TestAdminLockDownSurvivesRestart(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	root := iam.NewFromConfig(s.RootConfig("us-east-1"))
	admin := aws.String("admin")
	if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: admin, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatalf("DetachUserPolicy: %v", err)
	}
	if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: admin, AccessKeyId: aws.String(sealtest.AccessKeyID)}); err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	if _, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: admin}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	credsFile := filepath.Join(s.Dir, server.CredentialsFileName)
	before, err := os.ReadFile(credsFile)
	if err != nil {
		t.Fatal(err)
	}

	s.Restart()
	root = iam.NewFromConfig(s.RootConfig("us-east-1"))
	_, err = root.GetUser(ctx, &iam.GetUserInput{UserName: admin})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchEntity" {
		t.Fatalf("GetUser(admin) after a restart err = %v, want NoSuchEntity: the deleted admin user was made again", err)
	}
	if s.Srv.AdminAccessKeyID != "" {
		t.Errorf("AdminAccessKeyID after the restart = %q, want none", s.Srv.AdminAccessKeyID)
	}
	after, err := os.ReadFile(credsFile)
	if err != nil || string(after) != string(before) {
		t.Errorf("the credentials file changed on the restart (err %v):\n%s", err, after)
	}
	if !strings.Contains(s.Logs.String(), "the IAM user admin was deleted") {
		t.Errorf("the log does not say the admin user is absent:\n%s", s.Logs.String())
	}
	if _, err := iam.NewFromConfig(s.AWSConfig("us-east-1")).ListUsers(ctx, &iam.ListUsersInput{}); err == nil {
		t.Errorf("the preset admin key still works after the restart")
	}
}
