package server_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/server"
)

// Hostile clients beyond those of server_test.go (paths that escape,
// methods) and limits_test.go (one slow header, one idle connection, huge
// headers): a crowd of idle and slow connections, and requests that are
// odd at the protocol level. The server must keep serving, never panic,
// never serve a file outside its directory.

// serveLogged serves the test layout on e with the engine's own log
// kept, to catch a panic it logged.
func serveLogged(t *testing.T, e engine, l server.Limits) (addr string, s *site, logs *syncBuffer) {
	t.Helper()
	logs = &syncBuffer{}
	s = newSiteLogged(t, e, l, server.Options{}, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return s.addr(), s, logs
}

// getOnce sends one GET on a new connection and returns the status and
// body.
func getOnce(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s beside the crowd: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestACrowdOfIdleAndSlowConnectionsIsCutOffWhileOthersAreServed(t *testing.T) {
	t.Parallel()
	forEngines(t, testACrowd)
}

func testACrowd(t *testing.T, e engine) {
	addr, _, logs := serveLogged(t, e, server.Limits{
		ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: time.Second,
		WriteTimeout: time.Second, IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10,
	})
	const each = 100
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		return c
	}
	// Connections that never send a byte.
	for range each {
		dial()
	}
	// Slowloris: a header line every 100 ms, never the blank line.
	var wg sync.WaitGroup
	for range each {
		c := dial()
		wg.Go(func() {
			io.WriteString(c, "GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n")
			for i := 0; i < 50; i++ {
				time.Sleep(100 * time.Millisecond)
				if _, err := io.WriteString(c, "X-Slow: a\r\n"); err != nil {
					return // cut off
				}
			}
		})
	}
	// Keep-alive connections left idle after one request.
	for range each {
		c := dial()
		io.WriteString(c, "GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Meanwhile a poller is served.
	for range 10 {
		if code, body := getOnce(t, addr, "/all/rss.xml"); code != 200 || body != rssBody {
			t.Fatalf("poller beside %d hostile connections: %d", len(conns), code)
		}
	}
	// And every hostile connection is closed by the server.
	open := 0
	for _, c := range conns {
		if !closedWithin(c, 5*time.Second) {
			open++
		}
	}
	if open > 0 {
		t.Errorf("%d of %d idle or slow connections still open after the timeouts", open, len(conns))
	}
	wg.Wait()
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the server panicked:\n%s", logs.String())
	}
}

// oddRequests are raw requests a scanner or a broken client sends. None
// may get a 5xx, a file outside the directory or a dotfile.
var oddRequests = []string{
	"CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET * HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET http://evil.example/../../etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET http://localhost/all/rss.xml HTTP/1.1\r\nHost: evil.example\r\n\r\n",
	"GET //etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /%2 HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/%252e%252e/%252e%252e/etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /..;/..;/etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml;.html HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml::$DATA HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /ALL/RSS.XML HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml%20 HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml. HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /" + strings.Repeat("a/", 2000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /" + strings.Repeat("..%2f", 500) + "etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: " + strings.Repeat("gzip;q=0.5, ", 1000) + "\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: " + strings.Repeat(`"x", `, 1000) + "\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nIf-Modified-Since: not a date\r\nIf-Match: *\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\n\r\n",
	"GET /all/rss.xml HTTP/1.0\r\n\r\n",
	"GET /all/rss.xml HTTP/2.0\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml HTTP/9.9\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml\r\n\r\n",
	"get /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET\t/all/rss.xml HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x00b\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nX-Bad\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n Folded: header\r\n\r\n",
	"GET /all/rss.xml HTTP/1.1\nHost: localhost\n\n",
	"GET /all/rss.xml\x00 HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /\xff\xfe HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", // a TLS ClientHello
	"BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /all/secret.xml HTTP/1.1\r\nHost: localhost\r\n\r\n", // a symlink out of the directory
	"HEAD /all/secret.xml HTTP/1.1\r\nHost: localhost\r\n\r\n",
	strings.Repeat("A", 8<<10) + " / HTTP/1.1\r\nHost: localhost\r\n\r\n",
}

func TestOddRequestsGetNoServerErrorAndNoFileOutside(t *testing.T) {
	t.Parallel()
	forEngines(t, testOddRequests)
}

func testOddRequests(t *testing.T, e engine) {
	limits := server.DefaultLimits
	limits.ReadHeaderTimeout = time.Second // for the requests that never end
	addr, s, logs := serveLogged(t, e, limits)
	secret := filepath.Join(filepath.Dir(s.dir), "secret.txt")
	write(t, secret, "SECRET")
	t.Cleanup(func() { os.Remove(secret) })
	os.Symlink(secret, filepath.Join(s.dir, "all", "secret.xml"))
	codes := map[int]int{}
	for _, req := range oddRequests {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, req)
		// One answer, or none: the server may just close.
		code, raw := 0, ""
		method, _, _ := strings.Cut(req, " ")
		if resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method}); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
			var hdr strings.Builder
			resp.Header.Write(&hdr)
			raw = hdr.String() + string(body)
		}
		conn.Close()
		codes[code]++
		short := req[:min(len(req), 60)]
		if code == 0 {
			t.Logf("%q: closed without an answer", short)
		}
		// 505 is net/http refusing an HTTP version, as it should; any
		// other 5xx would be the server's own failure.
		if code >= 500 && code != http.StatusHTTPVersionNotSupported {
			t.Errorf("%q: %d", short, code)
		}
		for _, leak := range []string{"SECRET", "root:", "half a file", "a dotfile"} {
			if strings.Contains(raw, leak) {
				t.Errorf("%q: the answer holds %q", short, leak)
			}
		}
	}
	t.Logf("%d odd requests: status codes %v (0: closed without an answer)", len(oddRequests), codes)
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the server panicked:\n%s", logs.String())
	}
	if code, body := getOnce(t, addr, "/all/rss.xml"); code != 200 || body != rssBody {
		t.Errorf("after the odd requests: %d", code)
	}
}
