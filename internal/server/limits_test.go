package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/server"
)

// serveWithLimits runs the site's handler in an http.Server made by
// server.HTTPServer with short limits, on 127.0.0.1.
func serveWithLimits(t *testing.T, l server.Limits) string {
	t.Helper()
	s := newSite(t, server.Options{})
	hs := server.HTTPServer(s.srv, l, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d, reading
// and discarding whatever it sends first.
func closedWithin(conn net.Conn, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}

func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	addr := serveWithLimits(t, server.Limits{
		ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: time.Second,
		WriteTimeout: time.Second, IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10,
	})
	// Headers that never end.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n")
	if !closedWithin(conn, 5*time.Second) {
		t.Error("a client that never finishes its headers keeps its connection")
	}
	// An idle keep-alive connection.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil || isTimeout(err) {
		t.Errorf("an idle connection stays open: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHugeHeadersAreRefused(t *testing.T) {
	t.Parallel()
	addr := serveWithLimits(t, server.DefaultLimits)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	big := "X-Big: " + strings.Repeat("a", 64<<10) + "\r\n"
	io.WriteString(conn, "GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n"+big+"\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

func TestDefaultLimitsAreSet(t *testing.T) {
	hs := server.HTTPServer(http.NotFoundHandler(), server.DefaultLimits, slog.New(slog.DiscardHandler))
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 || hs.MaxHeaderBytes > 64<<10 {
		t.Errorf("limits missing: %+v", server.DefaultLimits)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	s := newSite(t, server.Options{AccessLog: slog.New(slog.NewTextHandler(&buf, nil))})
	s.get("/all/rss.xml?x=1", "User-Agent: Miniflux/2.2")
	s.get("/missing")
	out := buf.String()
	for _, want := range []string{
		`msg=request method=GET path="/all/rss.xml?x=1" status=200 bytes=` + strconv.Itoa(len(rssBody)),
		`user_agent=Miniflux/2.2`,
		`path=/missing status=404`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("access log lacks %q:\n%s", want, out)
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Through HTTPServer, large bodies go out corked (TCP_CORK): every
// response on a keep-alive connection must still arrive whole.
func TestLargeResponsesThroughHTTPServer(t *testing.T) {
	t.Parallel()
	addr := serveWithLimits(t, server.DefaultLimits)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := range 12 {
		method, ae := "GET", []string{"identity", "gzip", "br"}[i%3]
		if i%4 == 3 {
			method = "HEAD"
		}
		io.WriteString(conn, method+" /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: "+ae+"\r\n\r\n")
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if method == "HEAD" {
			if len(body) != 0 {
				t.Errorf("HEAD %d: %d bytes", i, len(body))
			}
			continue
		}
		switch resp.Header.Get("Content-Encoding") {
		case "gzip":
			body = gunzip(t, body)
		case "br":
			body = unbrotli(t, body)
		}
		if string(body) != rssBody {
			t.Errorf("request %d (%s): %d bytes, not the file", i, ae, len(body))
		}
	}
}
