package server

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/cloudtrail"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/store"
)

// cloudtrailService is CloudTrail's operation table (AWS JSON 1.1,
// X-Amz-Target com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>):
// LookupEvents over the audit trail the store keeps. CloudTrail records
// lookups as read-only management events, and so does sealbox. Trails,
// event data stores and Lake queries are not served.
func cloudtrailService(s *cloudtrail.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:        "cloudtrail",
		EventSource: "cloudtrail.amazonaws.com",
		// CloudTrail's model has no internal error of its own: the
		// common InternalFailure (HTTP 500).
		InternalError: "InternalFailure",
		Operations: []awsapi.Operation{
			awsapi.Read("LookupEvents", s.LookupEvents),
		},
	}
}

// openAudit makes the audit trail: the sinks --audit-sinks names, each
// hash-chained and signing digests with the server's audit key (kept in the
// store through the barrier b, its public key exported beside the files so
// that `sealbox audit verify` works offline).
func (s *Server) openAudit(ctx context.Context, b store.Store) error {
	names, err := s.cfg.AuditSinkList()
	if err != nil {
		return err
	}
	signer, err := audit.LoadSigner(ctx, b)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.cfg.DataDir, "audit")
	if err := signer.ExportPublicKey(dir); err != nil {
		return err
	}
	var sinks []audit.Sink
	for _, name := range names {
		switch name {
		case config.AuditFile:
			file, err := audit.OpenFileSink(dir, audit.FileOptions{Fsync: s.cfg.AuditFsync, MinFree: s.cfg.AuditMinFree, Signer: signer,
				DigestInterval: s.cfg.AuditDigestInterval, Clock: s.clock, Logger: s.log})
			if err != nil {
				return err
			}
			sinks = append(sinks, file)
		case config.AuditStore:
			// Straight to the barrier, not through the change feed: no
			// cache watches the trail, and the feed would tell every
			// watcher about every event.
			s.auditStore = audit.NewStoreSink(b, audit.StoreOptions{Signer: signer, Dir: s.cfg.DataDir, MinFree: s.cfg.AuditMinFree,
				DigestInterval: s.cfg.AuditDigestInterval, Clock: s.clock, Logger: s.log})
			sinks = append(sinks, s.auditStore)
		}
	}
	s.audit = audit.NewLogger(s.log, sinks...)
	s.log.Info("audit trail", "sinks", strings.Join(names, ","), "publicKey", filepath.Join(dir, audit.PublicKeyFile),
		"fingerprint", signer.Fingerprint())
	return nil
}

// trailEvents is what LookupEvents reads: the store sink, if there is one.
func (s *Server) trailEvents() cloudtrail.Events {
	if s.auditStore == nil {
		return nil
	}
	return flushedTrail{s.audit, s.auditStore}
}

// flushedTrail reads the store sink once the events of the calls answered
// so far are in it: with the file first, the store gets them just after
// the answer (audit.Logger).
type flushedTrail struct {
	log   *audit.Logger
	store *audit.StoreSink
}

func (f flushedTrail) Lookup(ctx context.Context, start, end time.Time, cursor string, fn func(string, []byte) (bool, error)) error {
	f.log.Flush()
	return f.store.Lookup(ctx, start, end, cursor, fn)
}

// expireAudit deletes the store's events older than --audit-retention.
func (s *Server) expireAudit(ctx context.Context) {
	if s.auditStore == nil || s.cfg.AuditRetention <= 0 {
		return
	}
	n, err := s.auditStore.Expire(ctx, s.clock.Now().Add(-s.cfg.AuditRetention))
	if err != nil && ctx.Err() == nil {
		s.log.Error("audit retention sweep failed", "err", err)
	} else if n > 0 {
		s.log.Info("sweep", "auditEventsExpired", n)
	}
}

// AuditStore returns the store sink, nil without one (tests drive its
// digests and retention through it).
func (s *Server) AuditStore() *audit.StoreSink { return s.auditStore }
