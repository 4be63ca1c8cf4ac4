package server

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/cloudtrail"
)

// trailStatus answers GetTrailStatus from the audit trail's sinks
// (cloudtrail.Trail):
//
//   - IsLogging: some sink takes events (as sealbox_audit_sink_up: its last
//     write succeeded and it is ready), so calls are answered.
//   - LatestDeliveryTime: the eventTime of the newest event the file sink
//     or the store sink has written since the server started.
//   - LatestDeliveryError: why each sink that is not up fails, while it
//     does ("file sink: ..."); cleared once it writes again.
//   - LatestDigestDeliveryTime: the newest signed digest: the file sink's
//     (signed since the start, or the last found at start) or the store
//     trail's (the newest in the store, whichever server signed it).
//   - LatestDigestDeliveryError: why the last attempt to sign a digest
//     failed, while it does; then the latest tampering finding of the file
//     sink since the server started (AuditTrailTamperingDetected, its
//     file, lines and reason), which stays: it is evidence, not weather.
//   - StartLoggingTime: when the server started.
//
// The errors are the sinks' own, with the data folder written <data> and
// anything like a password cut out: no secret, no event's content.
type trailStatus struct{ s *Server }

func (t trailStatus) TrailStatus(ctx context.Context) (cloudtrail.TrailStatus, error) {
	s := t.s
	st := cloudtrail.TrailStatus{Started: s.started}
	var deliveryErrs []string
	for _, ss := range s.audit.SinkStates() {
		if ss.Up {
			st.Logging = true
			continue
		}
		deliveryErrs = append(deliveryErrs, fmt.Sprintf("%s sink: %s", ss.Kind, t.clean(ss.Err)))
	}
	st.DeliveryError = strings.Join(deliveryErrs, "; ")
	var digestErrs []string
	if f := s.auditFile; f != nil {
		st.LatestDelivery = later(st.LatestDelivery, f.LastWrite())
		d := f.DigestState()
		st.LatestDigest = later(st.LatestDigest, d.Last)
		if d.Err != nil {
			digestErrs = append(digestErrs, "file sink: "+t.clean(d.Err))
		}
	}
	if ss := s.auditStore; ss != nil {
		st.LatestDelivery = later(st.LatestDelivery, ss.LastWrite())
		d, err := ss.DigestState(ctx)
		if err != nil {
			return st, err
		}
		st.LatestDigest = later(st.LatestDigest, d.Last)
		if d.Err != nil {
			digestErrs = append(digestErrs, "store sink: "+t.clean(d.Err))
		}
	}
	if f := s.auditFile; f != nil {
		if fd, at, ok := f.LatestFinding(); ok {
			digestErrs = append(digestErrs, fmt.Sprintf("AuditTrailTamperingDetected at %s: %s",
				at.UTC().Format(time.RFC3339), t.cleanText(fd.String())))
		}
	}
	st.DigestError = strings.Join(digestErrs, "; ")
	return st, nil
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (t trailStatus) clean(err error) string { return t.cleanText(err.Error()) }

// secretish matches what an error could carry of a credential: a DSN's
// password=..., a URL's user:password@.
var secretish = regexp.MustCompile(`(?i)((?:password|passwd|pwd|secret|token)\s*=\s*)[^\s;&]+|(://)[^/@\s]+@`)

// cleanText is an error's text as GetTrailStatus may answer it: the data
// folder named <data> (README's name for it), and credentials cut out.
func (t trailStatus) cleanText(msg string) string {
	if dir := t.s.cfg.DataDir; dir != "" {
		msg = strings.ReplaceAll(msg, dir, "<data>")
	}
	return secretish.ReplaceAllString(msg, "$1$2…")
}
