//go:build !fuzzbinary

package audit_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/sealtest"
)

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// receiver is a syslog receiver on 127.0.0.1 reading RFC 6587
// octet-counted RFC 5424 messages.
type receiver struct {
	ln   net.Listener
	msgs chan string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return receiveOn(t, ln)
}

func receiveOn(t *testing.T, ln net.Listener) *receiver {
	r := &receiver{ln: ln, msgs: make(chan string, 100)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					n, err := br.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
					if err != nil {
						t.Errorf("not octet-counted framing: %q", n)
						return
					}
					msg := make([]byte, size)
					if _, err := io.ReadFull(br, msg); err != nil {
						return
					}
					r.msgs <- string(msg)
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return r
}

var rfc5424 = regexp.MustCompile(`^<109>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ sealbox \d+ Decrypt - (\{.*\})$`)

// TestSyslogSink: events reach a receiver as RFC 5424 messages in RFC 6587
// framing, fed from the queue after the file; when the receiver is gone
// the calls go on (the file takes them), the failure is logged and the
// events counted.
func TestSyslogSink(t *testing.T) {
	r := newReceiver(t)
	var logs sealtest.Buffer
	log := newTextLogger(&logs)
	sl, err := audit.NewSyslogSink(r.ln.Addr().String(), nil, log)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := audit.NewFileSink(t.TempDir(), false)
	l := audit.NewLogger(log, file, sl)
	logN(t, l, 1, 3)
	l.Flush()
	for i := 1; i <= 3; i++ {
		select {
		case m := <-r.msgs:
			sub := rfc5424.FindStringSubmatch(m)
			if sub == nil {
				t.Fatalf("message %d is not RFC 5424 as wanted: %q", i, m)
			}
			var e audit.Event
			if err := json.Unmarshal([]byte(sub[1]), &e); err != nil || !strings.HasSuffix(e.EventID, strconv.Itoa(i)) {
				t.Fatalf("message %d carries %q (%v); want event %d's record", i, sub[1], err, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never reached the receiver", i)
		}
	}
	r.ln.Close()
	sl.Close() // the connection too: the receiver is gone
	logN(t, l, 4, 4)
	l.Flush()
	if sl.Dropped() != 1 {
		t.Fatalf("Dropped() = %d after the receiver went; want 1", sl.Dropped())
	}
	l.Close()
	if !strings.Contains(logs.String(), "audit sink is failing") || !strings.Contains(logs.String(), "syslog:") {
		t.Fatalf("the syslog sink's failure was not logged:\n%s", logs.String())
	}
}

// TestSyslogSinkTLS: "tls://host:port" sends over TLS (RFC 5425), the
// receiver's certificate verified against the roots given.
func TestSyslogSinkTLS(t *testing.T) {
	hs := httptest.NewTLSServer(nil) // for its certificate, valid for 127.0.0.1
	defer hs.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: hs.TLS.Certificates})
	if err != nil {
		t.Fatal(err)
	}
	r := receiveOn(t, ln)
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	sl, err := audit.NewSyslogSink("tls://"+ln.Addr().String(), &tls.Config{RootCAs: roots}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	if err := sl.Write(ctx, numbered(1), []byte(numberedLine(t, 1)+"\n")); err != nil {
		t.Fatalf("Write over TLS = %v", err)
	}
	select {
	case m := <-r.msgs:
		if !rfc5424.MatchString(m) {
			t.Fatalf("message over TLS is not RFC 5424 as wanted: %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message never reached the TLS receiver")
	}
	// A receiver whose certificate the roots do not vouch for is refused.
	bad, _ := audit.NewSyslogSink("tls://"+ln.Addr().String(), nil, nil)
	defer bad.Close()
	if err := bad.Write(ctx, numbered(2), []byte(numberedLine(t, 2)+"\n")); err == nil {
		t.Fatal("Write over TLS to a receiver with an unknown certificate = nil; want it refused")
	}
}
