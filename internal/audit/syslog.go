package audit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SyslogSink sends each event to a remote syslog receiver, off the data
// folder: an attacker who owns the disk owns the files and the store, not
// the receiver's copy. Each event is one RFC 5424 message (facility 13,
// log audit; severity 5, notice; APP-NAME sealbox; MSGID the eventName; the
// CloudTrail record as the MSG) over TCP with RFC 6587 octet-counting
// framing, or over TLS (RFC 5425, the same framing) for a "tls://" address.
//
// It is meant as a later sink (--audit-sinks file,store,syslog): the
// Logger feeds it from a queue, so calls never wait for the network. A
// send that fails is logged by the Logger and its events counted
// (Dropped); after a failure the sink does not dial again for a second,
// so that a dead receiver cannot hold the queue. Safe for concurrent use.
type SyslogSink struct {
	addr    string
	tls     *tls.Config // nil: plain TCP
	host    string
	procID  string
	log     *slog.Logger
	dropped atomic.Uint64

	mu       sync.Mutex
	conn     net.Conn
	downTill time.Time
	buf      []byte
}

// syslogRetry is how long a failed sink waits before it dials again, and
// syslogTimeout bounds one dial or one write.
const (
	syslogRetry   = time.Second
	syslogTimeout = 2 * time.Second
)

// NewSyslogSink returns a sink sending to addr: "host:port" (TCP) or
// "tls://host:port" (TLS, verified against cfg's roots, or the system's
// when cfg is nil). It dials on the first event, not now.
func NewSyslogSink(addr string, cfg *tls.Config, logger *slog.Logger) (*SyslogSink, error) {
	s := &SyslogSink{addr: addr, log: logger, procID: strconv.Itoa(os.Getpid())}
	if rest, ok := strings.CutPrefix(addr, "tls://"); ok {
		s.addr = rest
		s.tls = cfg
		if s.tls == nil {
			s.tls = &tls.Config{}
		}
		if s.tls.ServerName == "" {
			host, _, _ := net.SplitHostPort(rest)
			s.tls = s.tls.Clone()
			s.tls.ServerName = host
		}
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		return nil, fmt.Errorf("audit syslog address %q: want host:port or tls://host:port: %w", addr, err)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		s.host = h
	} else {
		s.host = "-"
	}
	return s, nil
}

func (s *SyslogSink) Name() string { return "syslog:" + s.addr }

// Dropped is how many events the sink failed to send.
func (s *SyslogSink) Dropped() uint64 { return s.dropped.Load() }

func (s *SyslogSink) Write(ctx context.Context, e *Event, line []byte) error {
	return s.WriteBatch(ctx, []Entry{{Event: e, Line: line}})
}

// WriteBatch sends entries in one write.
func (s *SyslogSink) WriteBatch(_ context.Context, entries []Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.send(entries)
	if err != nil {
		s.dropped.Add(uint64(len(entries)))
		if s.conn != nil {
			s.conn.Close()
			s.conn = nil
		}
		s.downTill = time.Now().Add(syslogRetry)
	}
	return err
}

func (s *SyslogSink) send(entries []Entry) error {
	if s.conn == nil {
		if time.Now().Before(s.downTill) {
			return errors.New("the syslog receiver failed a moment ago: not dialling again yet")
		}
		d := &net.Dialer{Timeout: syslogTimeout}
		var err error
		if s.tls != nil {
			s.conn, err = tls.DialWithDialer(d, "tcp", s.addr, s.tls)
		} else {
			s.conn, err = d.Dial("tcp", s.addr)
		}
		if err != nil {
			s.conn = nil
			return fmt.Errorf("failed to reach the syslog receiver: %w", err)
		}
	}
	s.buf = s.buf[:0]
	for _, en := range entries {
		s.buf = appendSyslog(s.buf, en.Event, en.Line, s.host, s.procID)
	}
	s.conn.SetWriteDeadline(time.Now().Add(syslogTimeout))
	if _, err := s.conn.Write(s.buf); err != nil {
		return fmt.Errorf("failed to send audit events to syslog: %w", err)
	}
	if cap(s.buf) > 4<<20 {
		s.buf = nil
	}
	return nil
}

// appendSyslog appends one RFC 5424 message, framed by its octet count
// (RFC 6587 3.4.1): "LEN SP <109>1 TIMESTAMP HOST sealbox PROCID MSGID - MSG".
func appendSyslog(dst []byte, e *Event, line []byte, host, procID string) []byte {
	const pri = 13*8 + 5 // log audit, notice
	msgID := e.EventName
	if msgID == "" || len(msgID) > 32 {
		msgID = "-"
	}
	rec := line
	if n := len(rec); n > 0 && rec[n-1] == '\n' {
		rec = rec[:n-1]
	}
	head := fmt.Appendf(nil, "<%d>1 %s %s sealbox %s %s - ", pri, e.EventTime.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), host, procID, msgID)
	dst = strconv.AppendInt(dst, int64(len(head)+len(rec)), 10)
	dst = append(dst, ' ')
	dst = append(dst, head...)
	return append(dst, rec...)
}

// Close closes the connection.
func (s *SyslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		err := s.conn.Close()
		s.conn = nil
		return err
	}
	return nil
}
