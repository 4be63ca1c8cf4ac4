package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestAnswerFraming: a JSON answer goes out as one body with its length,
// never chunked, whatever its size; one that fits net/http's buffer keeps
// the header net/http writes (Content-Length last, after Date).
func TestAnswerFraming(t *testing.T) {
	rt := trustingRouter()
	srv := httptest.NewServer(rt)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	send := func(target, body string) (head string, resp *http.Response, payload []byte) {
		t.Helper()
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n%s", target, len(body), body)
		// The header as it came, then the answer parsed from the same bytes.
		var sb strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			sb.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(sb.String()), br)), nil)
		if err != nil {
			t.Fatal(err)
		}
		payload, err = io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d %s", target, resp.StatusCode, payload)
		}
		return sb.String(), resp, payload
	}
	for _, size := range []int{10, 1700, 1900, 3000, 9000} {
		name := "framing-" + strconv.Itoa(size)
		send("secretsmanager.CreateSecret", `{"Name":"`+name+`","SecretString":"`+strings.Repeat("s", size)+`"}`)
		head, resp, payload := send("secretsmanager.GetSecretValue", `{"SecretId":"`+name+`"}`)
		if len(resp.TransferEncoding) != 0 || resp.ContentLength != int64(len(payload)) {
			t.Errorf("secret of %d bytes: answer of %d bytes sent with Transfer-Encoding %q, Content-Length %d; want its length, not chunked",
				size, len(payload), resp.TransferEncoding, resp.ContentLength)
		}
		if len(payload) <= 2048 && !strings.HasSuffix(head, "\r\nContent-Length: "+strconv.Itoa(len(payload))+"\r\n\r\n") {
			t.Errorf("answer of %d bytes: header %q, want net/http's own, Content-Length last", len(payload), head)
		}
	}
}
