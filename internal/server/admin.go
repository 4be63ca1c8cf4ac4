package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/primitive"
)

// The administrator's key outside the API: breaking glass for a root key,
// and moving a data folder of an earlier version from the root's key to the
// IAM user admin. The sealbox command does both on a stopped server; each
// change is an event on the audit trail, as the same change made through
// IAM would be, with the command as its user agent.

// CreateRootAccessKey makes an access key for the account's root (break
// glass) and records it on the audit trail: if the event cannot be kept,
// the key is deleted again and the call fails. The secret is returned, never
// recorded.
func (s *Server) CreateRootAccessKey(ctx context.Context, userAgent string) (id string, secret primitive.Secret, err error) {
	id, secret, err = s.ids.CreateRootAccessKey(ctx)
	if err != nil {
		return "", primitive.Secret{}, err
	}
	e := s.adminEvent(userAgent, "CreateAccessKey", s.ids.RootPrincipal(""))
	e.ResponseElements = map[string]any{"accessKey": map[string]any{"accessKeyId": id, "status": "Active"}}
	e.AdditionalData = map[string]any{"breakGlass": true}
	if err := s.audit.Log(ctx, e); err != nil {
		if derr := s.ids.DeleteRootAccessKeys(ctx, []string{id}); derr != nil {
			err = errors.Join(err, derr)
		}
		return "", primitive.Secret{}, fmt.Errorf("failed to record the root access key on the audit trail, so it was not made: %w", err)
	}
	s.audit.Flush()
	return id, secret, nil
}

// MoveAdminToUser moves the administrator of a data folder made before the
// admin user existed from the root's access key to the IAM user admin
// (AdministratorAccess attached), and writes the user's key to the
// credentials file. It returns the root's access keys, which the caller
// deletes with DeleteRootAccessKeys once the operator agrees; moved is
// false when the administrator already was the admin user.
func (s *Server) MoveAdminToUser(ctx context.Context, userAgent string) (moved bool, rootKeys []string, err error) {
	admin, rootKeys, err := s.ids.MoveAdminToUser(ctx)
	if err != nil {
		return false, nil, err
	}
	if !admin.Changed {
		return false, rootKeys, nil
	}
	s.AdminAccessKeyID, s.AdminSecretAccessKey = admin.AccessKeyID, admin.SecretAccessKey
	// The file first: the user's key is the administrator's from now on.
	if err := WriteCredentials(s.AdminCredentialsFile, "IAM user "+admin.UserName, admin.AccessKeyID, admin.SecretAccessKey); err != nil {
		return false, nil, err
	}
	who := s.ids.RootPrincipal("")
	userARN := "arn:aws:iam::" + s.cfg.AccountID + ":user/" + admin.UserName
	events := []*audit.Event{
		s.adminEvent(userAgent, "CreateUser", who),
		s.adminEvent(userAgent, "AttachUserPolicy", who),
		s.adminEvent(userAgent, "CreateAccessKey", who),
	}
	events[0].RequestParameters = map[string]any{"userName": admin.UserName}
	events[1].RequestParameters = map[string]any{"userName": admin.UserName, "policyArn": identity.AdministratorAccessARN}
	events[2].RequestParameters = map[string]any{"userName": admin.UserName}
	events[2].ResponseElements = map[string]any{"accessKey": map[string]any{"accessKeyId": admin.AccessKeyID, "userName": admin.UserName, "status": "Active"}}
	for _, e := range events {
		e.Resources = []audit.ResourceRef{{AccountID: s.cfg.AccountID, Type: "AWS::IAM::User", ARN: userARN}}
		if err := s.audit.Log(ctx, e); err != nil {
			return false, nil, fmt.Errorf("failed to record the move on the audit trail: %w", err)
		}
	}
	s.audit.Flush()
	return true, rootKeys, nil
}

// DeleteRootAccessKeys deletes the root's access keys named, and records
// each deletion.
func (s *Server) DeleteRootAccessKeys(ctx context.Context, userAgent string, keys []string) error {
	for _, id := range keys {
		e := s.adminEvent(userAgent, "DeleteAccessKey", s.ids.RootPrincipal(""))
		e.RequestParameters = map[string]any{"accessKeyId": id}
		if err := s.audit.Log(ctx, e); err != nil {
			return fmt.Errorf("failed to record the deletion on the audit trail, so no key was deleted: %w", err)
		}
	}
	if err := s.ids.DeleteRootAccessKeys(ctx, keys); err != nil {
		return err
	}
	s.audit.Flush()
	return nil
}

// RootAccessKeys lists the ids of the root's access keys.
func (s *Server) RootAccessKeys(ctx context.Context) ([]string, error) {
	return s.ids.RootAccessKeys(ctx)
}

// adminEvent is the audit event of an IAM change made by a sealbox command
// on the data folder, as who.
func (s *Server) adminEvent(userAgent, name string, who sealbox.Principal) *audit.Event {
	e := audit.CallEvent(s.serverRequest(who, "127.0.0.1", userAgent), "iam.amazonaws.com", name, false)
	e.RequestParameters = map[string]any{}
	return e
}
