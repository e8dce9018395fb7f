package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startedPort is an App of a new data dir (with the demo) listening on a
// loopback port; it returns the App and host:port.
func startedPort(t *testing.T) (*App, string) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := startedApp(t, ctx, t.TempDir(), true, log)
	t.Cleanup(a.Close)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return a, strings.TrimPrefix(a.BaseURL(), "http://")
}

// probeHealthz opens a new connection, asks GET /healthz and reports
// whether a 200 arrived within d.
func probeHealthz(addr string, d time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(d))
	if _, err := fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr); err != nil {
		return err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// TestSecurityHealthzWithUnsentBodyAnswers: GET and POST /healthz that
// announce a 100,000-byte body and never send it get their answer (200;
// 405 for POST) at once, the server not waiting to drain the body, and
// the connection is closed after it.
func TestSecurityHealthzWithUnsentBodyAnswers(t *testing.T) {
	_, addr := startedPort(t)
	for _, method := range []string{"GET", "POST"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		fmt.Fprintf(c, "%s /healthz HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n", method, addr)
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			c.Close()
			t.Fatalf("%s /healthz with an unsent body: no answer within 3 s: %v", method, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if method == "GET" && res.StatusCode != 200 {
			t.Fatalf("%s /healthz: %d", method, res.StatusCode)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("%s /healthz with an unsent body: the connection stays open after the answer (%v)", method, err)
		}
		c.Close()
	}
}

// TestSecurityIdleConnectionsDoNotFillTheCap: with FUSEBOX_MAX_CONNS=20,
// 60 attackers each send one complete GET /healthz, then idle, and
// reconnect as soon as the server drops them; meanwhile new /healthz
// probes each get their answer within 3 s (before the fix they waited for
// the 60 s idle timeout).
func TestSecurityIdleConnectionsDoNotFillTheCap(t *testing.T) {
	t.Setenv("FUSEBOX_MAX_CONNS", "20")
	_, addr := startedPort(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				go func() { <-stop; c.Close() }()
				fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
				br := bufio.NewReader(c)
				if res, err := http.ReadResponse(br, nil); err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				// Idle until the server drops the connection.
				_, _ = br.ReadByte()
				c.Close()
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(time.Second) // let the attackers fill the cap
	for i := range 5 {
		start := time.Now()
		if err := probeHealthz(addr, 3*time.Second); err != nil {
			t.Fatalf("probe %d: /healthz did not answer within 3 s while idle connections fill the cap: %v", i, err)
		}
		t.Logf("probe %d answered in %s", i, time.Since(start))
		time.Sleep(200 * time.Millisecond)
	}
}
