package server

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/cloudtrail"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// openAudit makes the audit trail: the sinks --audit-sinks names, each
// hash-chained and signing digests with the server's audit key (kept in the
// store through the barrier b, its public key exported beside the files so
// that `sealbox audit verify` works offline).
//
// The file sink checks its files at start before it appends to them,
// against the heads it keeps in the store and, with a store sink, against
// the store's events (audit.FileOptions): what it finds wrong is logged
// and recorded as an AuditTrailTamperingDetected event, as is a file found
// deleted or replaced while the server runs.
func (s *Server) openAudit(ctx context.Context, b store.Store) error {
	names, err := s.cfg.AuditSinkList()
	if err != nil {
		return err
	}
	signer, err := audit.LoadSigner(ctx, b)
	if err != nil {
		return err
	}
	s.auditSigner = signer
	dir := filepath.Join(s.cfg.DataDir, "audit")
	repaired, err := signer.WritePublicKey(dir)
	if err != nil {
		return err
	}
	if repaired {
		s.log.Warn("the audit public key file was torn or not a key file: set aside and written again from the key the store holds",
			"file", filepath.Join(dir, audit.PublicKeyFile), "fingerprint", signer.Fingerprint())
	}
	if signer.Made() {
		s.AuditPublicKey = signer.PublicKeyPEM()
	}
	// The store sink first, whatever its place: the file sink asks it
	// about the lines it finds unsigned at start.
	node, err := s.nodeID()
	if err != nil {
		return err
	}
	for _, name := range names {
		if name == config.AuditStore {
			// Straight to the barrier, not through the change feed: no
			// cache watches the trail, and the feed would tell every
			// watcher about every event.
			s.auditStore = audit.NewStoreSink(b, audit.StoreOptions{Signer: signer, Dir: s.cfg.DataDir, MinFree: s.cfg.AuditMinFree,
				DigestInterval: s.cfg.AuditDigestInterval, ElectedDigests: true, Clock: s.clock, Logger: s.log, Node: node})
		}
	}
	var sinks []audit.Sink
	var file *audit.FileSink
	for _, name := range names {
		switch name {
		case config.AuditFile:
			o := audit.FileOptions{Fsync: s.cfg.AuditFsync, MinFree: s.cfg.AuditMinFree, Signer: signer,
				DigestInterval: s.cfg.AuditDigestInterval, Clock: s.clock, Logger: s.log, State: b}
			o.Node = node
			if s.auditStore != nil {
				o.Witness = s.auditStore
			}
			if file, err = audit.OpenFileSink(dir, o); err != nil {
				return err
			}
			s.auditFile = file
			sinks = append(sinks, file)
		case config.AuditStore:
			sinks = append(sinks, s.auditStore)
		case config.AuditSyslog:
			sl, err := audit.NewSyslogSink(s.cfg.AuditSyslog, nil, s.log)
			if err != nil {
				return err
			}
			sinks = append(sinks, sl)
		}
	}
	s.audit = audit.NewLogger(s.log, sinks...)
	s.log.Info("audit trail", "sinks", strings.Join(names, ","), "publicKey", filepath.Join(dir, audit.PublicKeyFile),
		"fingerprint", signer.Fingerprint())
	if file != nil {
		for _, f := range file.Findings() {
			s.recordTampering(ctx, f)
		}
		// On the goroutine that found it, the finding may not be logged
		// (audit.FileSink.OnFinding): a goroutine of the server's own, which
		// Close waits for; a finding after Close is logged, not recorded.
		file.OnFinding(func(f audit.Finding) {
			s.bg.start(jobTampering, func() { s.recordTampering(context.Background(), f) })
		})
	}
	return nil
}

// recordTampering records what the file sink found wrong with its trail as
// an event of its own (CloudTrail's shape, as an AwsServiceEvent of
// cloudtrail.amazonaws.com), so that it is in the trail it is about.
func (s *Server) recordTampering(ctx context.Context, f audit.Finding) {
	const svc = "cloudtrail.amazonaws.com"
	e := &audit.Event{
		EventVersion:       "1.08",
		UserIdentity:       audit.UserIdentity{Type: "AWSService", InvokedBy: svc},
		EventTime:          s.clock.Now().UTC(),
		EventSource:        svc,
		EventName:          "AuditTrailTamperingDetected",
		AWSRegion:          homeRegion,
		SourceIPAddress:    svc,
		UserAgent:          svc,
		RequestID:          ids.UUID(),
		EventID:            ids.UUID(),
		EventType:          "AwsServiceEvent",
		ManagementEvent:    true,
		RecipientAccountID: s.cfg.AccountID,
		EventCategory:      "Management",
		AdditionalData:     map[string]any{"file": f.File, "reason": f.Reason},
	}
	if f.First > 0 {
		e.AdditionalData["firstLine"], e.AdditionalData["lastLine"] = f.First, f.Last
	}
	if err := s.audit.Log(ctx, e); err != nil {
		s.log.Error("failed to record the audit trail's tampering as an event", "file", f.File, "err", err)
	}
}

// homeRegion is the region of the events that are the server's own rather
// than a request's (the tampering it found, the IAM changes its commands
// make): the region AWS records its global services' events in. sealbox
// serves every region a request signs for, and has no region of its own.
const homeRegion = "us-east-1"

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

// FlushAudit returns once the events of every call this server answered
// so far are in the store trail. LookupEvents on this server does it
// itself; another server sharing the store sees them once this server's
// queue has been written (within the audit logger's batching interval),
// or after FlushAudit.
func (s *Server) FlushAudit() { s.audit.Flush() }
