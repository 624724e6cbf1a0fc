package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/server"
	"github.com/valyala/fasthttp"
)

// serveWithLimits serves the test layout on e with the limits l and
// returns its address.
func serveWithLimits(t *testing.T, e engine, l server.Limits) string {
	t.Helper()
	return newSiteWith(t, e, l, server.Options{}).addr()
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
	forEngines(t, func(t *testing.T, e engine) {
		addr := serveWithLimits(t, e, server.Limits{
			ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: time.Second,
			WriteTimeout: time.Second, IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10, MaxConns: 100,
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
		// Headers sent a byte at a time, each within the timeout, are cut
		// off all the same when the whole takes too long.
		drip, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer drip.Close()
		start := time.Now()
		for _, b := range []byte("GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + strings.Repeat("a", 100)) {
			if _, err := drip.Write([]byte{b}); err != nil || time.Since(start) > 5*time.Second {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !closedWithin(drip, 5*time.Second) || time.Since(start) > 5*time.Second {
			t.Error("a client that drips its headers keeps its connection")
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
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHugeHeadersAreRefused(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		addr := serveWithLimits(t, e, server.DefaultLimits)
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
	})
}

func TestDefaultLimitsAreSet(t *testing.T) {
	l := server.DefaultLimits
	if l.ReadHeaderTimeout <= 0 || l.ReadTimeout <= 0 || l.WriteTimeout <= 0 || l.IdleTimeout <= 0 ||
		l.MaxHeaderBytes < 4<<10 || l.MaxHeaderBytes > 64<<10 || l.MaxConns <= 0 {
		t.Errorf("limits missing: %+v", l)
	}
	hs := server.HTTPServer(http.NotFoundHandler(), l, slog.New(slog.DiscardHandler))
	if hs.ReadHeaderTimeout != l.ReadHeaderTimeout || hs.ReadTimeout != l.ReadTimeout || hs.WriteTimeout != l.WriteTimeout || hs.IdleTimeout != l.IdleTimeout || hs.MaxHeaderBytes != l.MaxHeaderBytes {
		t.Errorf("net/http server without the limits: %+v", hs)
	}
}

// Past MaxConns, a new connection is refused at once (503) rather than
// queued, and the connections already open are still served.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	l := server.DefaultLimits
	l.MaxConns = 2
	addr := serveWithLimits(t, fastEngine, l)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond) // both accepted
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(extra, "GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(extra), nil); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a connection past MaxConns: %v %v, want 503", resp, err)
	}
	c := held[0]
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /all/rss.xml HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
		t.Errorf("a connection within MaxConns: %v %v", resp, err)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		var buf syncBuffer
		s := newSiteOn(t, e, server.Options{AccessLog: slog.New(slog.NewTextHandler(&buf, nil))})
		s.get("/all/rss.xml?x=1", "User-Agent: Miniflux/2.2")
		s.get("/missing")
		out := buf.String()
		for _, want := range []string{
			`msg=request method=GET path="/all/rss.xml?x=1" status=200 bytes=` + strconv.Itoa(len(rssBody)),
			`user_agent=Miniflux/2.2`,
			`path=/missing status=404`,
			`remote=127.0.0.1:`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("access log lacks %q:\n%s", want, out)
			}
		}
	})
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

// Responses larger than the engine's buffer go out with the header in one
// write (writev on fasthttp): on a keep-alive connection, one after the
// other or pipelined, every response must still arrive whole and in order.
func TestLargeResponsesOnOneConnection(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		addr := serveWithLimits(t, e, server.DefaultLimits)
		for _, pipelined := range []bool{false, true} {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(conn)
			const n = 12
			method := func(i int) string {
				if i%4 == 3 {
					return "HEAD"
				}
				return "GET"
			}
			send := func(i int) {
				ae := []string{"identity", "gzip", "br"}[i%3]
				io.WriteString(conn, method(i)+" /all/rss.xml HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: "+ae+"\r\n\r\n")
			}
			if pipelined {
				for i := range n {
					send(i)
				}
			}
			for i := range n {
				if !pipelined {
					send(i)
				}
				resp, err := http.ReadResponse(br, &http.Request{Method: method(i)})
				if err != nil {
					t.Fatalf("pipelined %v, request %d: %v", pipelined, i, err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("pipelined %v, request %d: %v", pipelined, i, err)
				}
				if method(i) == "HEAD" {
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
					t.Errorf("pipelined %v, request %d: %d bytes, not the file", pipelined, i, len(body))
				}
			}
		}
	})
}

// An HTTP/1.0 client gets its answer and the connection closed, unless it
// asked to keep it.
func TestHTTP10(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, e engine) {
		s := newSiteOn(t, e, server.Options{})
		for _, keep := range []bool{false, true} {
			conn, err := net.Dial("tcp", s.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			req := "GET /all/rss.xml HTTP/1.0\r\n"
			if keep {
				req += "Connection: keep-alive\r\n"
			}
			io.WriteString(conn, req+"\r\n")
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(body) != rssBody {
				t.Errorf("HTTP/1.0, keep-alive %v: %d, %d bytes", keep, resp.StatusCode, len(body))
			}
			conn.SetReadDeadline(time.Now().Add(time.Second))
			_, err = br.ReadByte()
			if closed := err == io.EOF; closed == keep {
				t.Errorf("HTTP/1.0, keep-alive %v: connection closed %v (%v)", keep, closed, err)
			}
		}
	})
}

// Shutdown closes idle connections at once, lets a request under way
// finish, and at the end of its context closes what is left.
func TestEngineShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "all", "rss.xml"), rssBody)
	srv, err := server.New(server.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := server.NewEngine(srv, server.DefaultLimits, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	idle := dial()
	io.WriteString(idle, "GET /all/rss.xml HTTP/1.1\r\nHost: x\r\n\r\n")
	idleR := bufio.NewReader(idle)
	resp, err := http.ReadResponse(idleR, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	busy := dial() // a request half sent: under way
	io.WriteString(busy, "GET /all/rss.xml HTTP/1.1\r\n")
	time.Sleep(100 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = e.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a request under way: %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %s for a 500ms drain", d)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	if _, err := idleR.ReadByte(); err == nil || isTimeout(err) {
		t.Errorf("idle connection still open: %v", err)
	}
	if !closedWithin(busy, 2*time.Second) {
		t.Error("the connection under way is still open after the drain")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting after Shutdown")
	}
}

// A Shutdown that comes before Serve, as a signal right at start can,
// still stops it.
func TestEngineShutdownBeforeServe(t *testing.T) {
	t.Parallel()
	srv, err := server.New(server.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := server.NewEngine(srv, server.DefaultLimits, slog.New(slog.DiscardHandler))
	if err := e.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown of an engine not serving: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Serve(ln) }()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve after Shutdown keeps serving")
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("the listener is still open")
	}
}

func TestEngineSurvivesAPanickingHandler(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := server.Recovering(func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/boom" {
			panic("boom")
		}
		ctx.SetBodyString("ok")
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fasthttp.Server{Handler: h}
	go fs.Serve(ln)
	t.Cleanup(func() { fs.Shutdown() })
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("panicking request: %d, want 500", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "panic serving") || !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic was not logged: %q", logs.String())
	}
	resp, err = http.Get(base + "/fine")
	if err != nil {
		t.Fatalf("after a panic the server is gone: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("after a panic: %d %q", resp.StatusCode, body)
	}
}
