package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// TestSecuritySlowBodiesDoNotExhaustConnections: many connections that
// send a 100 MB Content-Length and then trickle a byte at a time (to an
// upload route with a valid session, and to routes that answer without
// reading the body) neither stop /healthz from answering within a few
// seconds nor stay open: the server drops each of them.
func TestSecuritySlowBodiesDoNotExhaustConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,500 connections")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := startedApp(t, ctx, t.TempDir(), true, log)
	defer a.Close()
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	base := a.BaseURL()
	addr := strings.TrimPrefix(base, "http://")

	// A session and a few imports for the upload attackers.
	keys, err := a.Sessions.DemoKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	token := postJSON(t, base+"/api/v1/importer/sessions", keys.Secret, `{"importer_slug":"contacts","metadata":{"user_id":"slow"}}`)["token"].(string)
	var uploads []string
	for range 40 {
		imp := postJSON(t, base+"/api/importer/imports", token, `{}`)
		uploads = append(uploads, fmt.Sprintf("/api/importer/imports/%s/file?name=big.csv", imp["slug"]))
	}

	const n = 1500
	var opened, dropped atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			opened.Add(1)
			target, auth := "/api/importer/imports/imp_nope/file", ""
			switch {
			case i < len(uploads):
				target, auth = uploads[i], "Bearer "+token
			case i%3 == 0:
				target, auth = "/healthz", ""
			case i%3 == 1:
				// a JSON route whose handler reads the body
				target, auth = "/api/v1/importer/sessions", "Bearer "+keys.Secret
			}
			method := "PUT"
			if strings.HasPrefix(target, "/api/v1/") {
				method = "POST"
			}
			req := fmt.Sprintf(method+" %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000000\r\nContent-Type: text/csv\r\n", target, addr)
			if auth != "" {
				req += "Authorization: " + auth + "\r\n"
			}
			if _, err := io.WriteString(c, req+"\r\n{"); err != nil {
				dropped.Add(1)
				return
			}
			// Trickle one byte every 2 s; the server must end this.
			done := make(chan struct{})
			go func() {
				defer close(done)
				c.SetReadDeadline(time.Now().Add(60 * time.Second)) // past the test's 40 s: a timeout here is no drop by the server
				io.Copy(io.Discard, c)                              // returns once the server closes
			}()
			tick := time.NewTicker(2 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-done:
					dropped.Add(1)
					return
				case <-stop:
					return
				case <-tick.C:
					c.SetWriteDeadline(time.Now().Add(time.Second))
					if _, err := c.Write([]byte("1")); err != nil {
						<-done
						dropped.Add(1)
						return
					}
				}
			}
		}()
	}

	// /healthz answers all through the attack. The bound is generous
	// (10 s) because the suite runs this beside other packages under the
	// race detector on two cores; before the fix, upload connections were
	// never dropped, which the end of the test checks.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(40 * time.Second)
	checks := 0
	for time.Now().Before(deadline) {
		res, err := client.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("/healthz during the attack (%d connections open): %v", opened.Load()-dropped.Load(), err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("/healthz during the attack: status %d", res.StatusCode)
		}
		checks++
		if opened.Load() >= n*9/10 && dropped.Load() == opened.Load() {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d connections opened, %d dropped by the server, %d health checks", opened.Load(), dropped.Load(), checks)
	if opened.Load() < n*9/10 {
		t.Fatalf("only %d of %d connections opened", opened.Load(), n)
	}
	if dropped.Load() != opened.Load() {
		t.Fatalf("the server dropped %d of %d slow connections within 40 s", dropped.Load(), opened.Load())
	}
}

func postJSON(t *testing.T, url, bearer, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(bufio.NewReader(res.Body)).Decode(&out); err != nil || res.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v %v", url, res.StatusCode, out, err)
	}
	return out
}

// TestSecurityConnectionCap: the port's connection cap defaults to 4096,
// stays below the open-file limit, and a bad FUSEBOX_MAX_CONNS is an
// error naming it.
func TestSecurityConnectionCap(t *testing.T) {
	t.Setenv("FUSEBOX_MAX_CONNS", "")
	if n, err := maxConns(); err != nil || n < 1 || n > defaultMaxConns {
		t.Fatalf("default cap = %d, %v", n, err)
	}
	t.Setenv("FUSEBOX_MAX_CONNS", "100")
	if n, err := maxConns(); err != nil || n != 100 {
		t.Fatalf("FUSEBOX_MAX_CONNS=100: %d, %v", n, err)
	}
	t.Setenv("FUSEBOX_MAX_CONNS", "lots")
	if _, err := maxConns(); err == nil || !strings.Contains(err.Error(), "FUSEBOX_MAX_CONNS") {
		t.Fatalf("bad FUSEBOX_MAX_CONNS: %v", err)
	}
	// The cap holds: past it, a connection waits for one to close.
	t.Setenv("FUSEBOX_MAX_CONNS", "2")
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, _, err := limitConns(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first := <-accepted
	<-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted past a cap of 2")
	case <-time.After(300 * time.Millisecond):
	}
	first.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(3 * time.Second):
		t.Fatal("the waiting connection was not accepted after one closed")
	}
}

// TestLockConnsSetting: the cap on a team server's connections holding
// imports' locks is $FUSEBOX_PG_LOCK_CONNS, default store.DefaultLockConns;
// a bad value is an error naming it, and New on PostgreSQL refuses it.
func TestLockConnsSetting(t *testing.T) {
	t.Setenv("FUSEBOX_PG_LOCK_CONNS", "")
	if n, err := lockConns(); err != nil || n != store.DefaultLockConns {
		t.Fatalf("default = %d, %v", n, err)
	}
	t.Setenv("FUSEBOX_PG_LOCK_CONNS", "4")
	if n, err := lockConns(); err != nil || n != 4 {
		t.Fatalf("FUSEBOX_PG_LOCK_CONNS=4: %d, %v", n, err)
	}
	for _, bad := range []string{"0", "-1", "many"} {
		t.Setenv("FUSEBOX_PG_LOCK_CONNS", bad)
		if _, err := lockConns(); err == nil || !strings.Contains(err.Error(), "FUSEBOX_PG_LOCK_CONNS") {
			t.Fatalf("FUSEBOX_PG_LOCK_CONNS=%s: %v", bad, err)
		}
	}
	storetest.PostgresOnly(t)
	a, err := New(context.Background(), Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		a.Close()
		t.Fatal("New accepted FUSEBOX_PG_LOCK_CONNS=many")
	}
	if !strings.Contains(err.Error(), "FUSEBOX_PG_LOCK_CONNS") {
		t.Fatalf("New: %v, want the variable named", err)
	}
}
