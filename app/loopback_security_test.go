package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// checkEmbed asks the started server's embed check from a page origin,
// with the Host header host.
func checkEmbed(t *testing.T, base, host, origin string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/embed/check?importer=contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Origin", origin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct {
		Allowed bool `json:"allowed"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("check: %d %v", res.StatusCode, err)
	}
	return c.Allowed
}

// The loopback allowance holds only on a listener bound to loopback: the
// flag is checked against the real socket, and requests cannot set it.
func TestSecurityLoopbackAllowanceFollowsTheBoundListener(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func(loopback bool) *App {
		a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: log, Server: ServerConfig{LoopbackOnly: loopback}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.FirstStart(ctx, false); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Shutdown(); a.Close() })
		return a
	}

	// Configured for loopback but bound to every interface: no serving.
	a := open(true)
	if err := a.Start("0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("LoopbackOnly on 0.0.0.0: Start = %v, want a refusal", err)
	}

	// On loopback: a page on localhost needs no setup.
	a = open(true)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(a.BaseURL(), "http://")
	if !checkEmbed(t, a.BaseURL(), host, "http://localhost:5173") {
		t.Fatal("loopback listener: http://localhost:5173 refused")
	}

	// Not configured for loopback (a public --addr): a forged loopback
	// Host header does not turn it on.
	a = open(false)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(a.BaseURL(), "http://"))
	for _, h := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port} {
		if checkEmbed(t, a.BaseURL(), h, "http://localhost:5173") {
			t.Fatalf("Host %s turned on the loopback allowance", h)
		}
	}
}

func TestLoopbackListener(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8787": true, "127.0.0.2:1": true, "[::1]:8787": true,
		"0.0.0.0:8787": false, "[::]:8787": false, "192.168.1.20:8787": false, "10.0.0.1:80": false,
	} {
		ta, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := loopbackListener(ta); got != want {
			t.Errorf("loopbackListener(%s) = %v, want %v", addr, got, want)
		}
	}
}
