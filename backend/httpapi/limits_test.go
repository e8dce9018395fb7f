package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecurityRateLimits: unauthenticated routes that create things and
// failed credential checks are limited per client address with 429
// ERATELIMIT and Retry-After; other clients and /healthz are unaffected.
func TestSecurityRateLimits(t *testing.T) {
	e := newSessEnv(t)
	h := e.srv.PortHandler()
	send := func(from, method, path, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(`{}`))
		r.Host = "127.0.0.1:8787"
		r.RemoteAddr = from + ":40000"
		r.Header.Set("Content-Type", "application/json")
		if auth != "" {
			r.Header.Set("Authorization", "Bearer "+auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	want429 := func(t *testing.T, w *httptest.ResponseRecorder, what string) {
		t.Helper()
		if w.Code != 429 || !strings.Contains(w.Body.String(), `"ERATELIMIT"`) || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s: %d %q Retry-After=%q, want 429 ERATELIMIT with Retry-After", what, w.Code, w.Body.String(), w.Header().Get("Retry-After"))
		}
	}

	t.Run("failed API keys", func(t *testing.T) {
		const attacker = "192.0.2.10"
		for i := range 20 {
			if w := send(attacker, "GET", "/api/v1/imports", "fbx_sk_wrong"); w.Code != 401 {
				t.Fatalf("guess %d: %d %s", i, w.Code, w.Body.String())
			}
		}
		want429(t, send(attacker, "GET", "/api/v1/imports", "fbx_sk_wrong"), "21st wrong key")
		// A valid key still passes: every caller on loopback shares one
		// address, so a lock-out would let any local page lock out every
		// host app with a few bad requests.
		if w := send(attacker, "GET", "/api/v1/imports", e.secret); w.Code != 200 {
			t.Fatalf("right key from a client past its failed-check budget: %d %s, want 200", w.Code, w.Body.String())
		}
		want429(t, send(attacker, "GET", "/api/v1/imports", "fbx_sk_wrong"), "wrong key after the right one")
		if w := send("192.0.2.11", "GET", "/api/v1/imports", e.secret); w.Code != 200 {
			t.Fatalf("another client: %d %s", w.Code, w.Body.String())
		}
		for range 50 {
			if w := send(attacker, "GET", "/healthz", ""); w.Code != 200 {
				t.Fatalf("/healthz is limited: %d", w.Code)
			}
		}
	})

	t.Run("failed session tokens", func(t *testing.T) {
		const attacker = "192.0.2.20"
		for range 20 {
			send(attacker, "POST", "/api/importer/imports", "not-a-session-token")
		}
		want429(t, send(attacker, "POST", "/api/importer/imports", "not-a-session-token"), "21st bad session token")
	})

	t.Run("login codes", func(t *testing.T) {
		const attacker = "192.0.2.30"
		for i := range 20 {
			if w := send(attacker, "GET", "/login?code=guess", ""); w.Code == 429 {
				t.Fatalf("login %d limited too early", i)
			}
		}
		want429(t, send(attacker, "GET", "/login?code=guess", ""), "21st login code")
	})

	t.Run("demo and marketplace login", func(t *testing.T) {
		for _, path := range []string{"/demo/api/session", "/demo/api/marketplace-link", "/api/marketplace/login"} {
			from := "198.51.100." + string(rune('1'+len(path)%8))
			for i := range 20 {
				if w := send(from, "POST", path, ""); w.Code == 429 {
					t.Fatalf("%s %d limited too early", path, i)
				}
			}
			want429(t, send(from, "POST", path, ""), "21st "+path)
		}
	})

	t.Run("relay and sink", func(t *testing.T) {
		// The burst without the refill: 500 requests that take more than a
		// few seconds (each records the sink's request; a database over the
		// network, a loaded machine) would otherwise find the bucket full
		// again at 100/s.
		slow := New(Config{Version: "test", DataDir: e.dir, Logger: e.srv.log, AdminToken: e.admin, RateLimits: RateLimits{RelayPerSecond: 1e-6}}, e.srv.deps)
		h = slow.PortHandler()
		const sender = "192.0.2.40"
		for i := range 500 {
			if w := send(sender, "POST", "/sink/crm", ""); w.Code == 429 {
				t.Fatalf("sink %d limited too early", i)
			}
		}
		var w *httptest.ResponseRecorder
		for range 20 {
			if w = send(sender, "POST", "/relay/crm", ""); w.Code == 429 {
				break
			}
		}
		want429(t, w, "relay past the burst of 500")
	})
}
