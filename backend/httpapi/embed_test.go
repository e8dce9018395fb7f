package httpapi

import (
	"bytes"
	"context"
	"fusebox/backend/store/storetest"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"fusebox/backend/importer"
	"fusebox/backend/schema"
	"fusebox/backend/sessions"
)

// embedEnv is the real server over a temp data dir with the importer and
// sessions services, built pages for /embed/importer and /demo, and a
// publishable key for https://app.example.com.
type embedEnv struct {
	t    *testing.T
	dir  string
	imp  *importer.Service
	sess *sessions.Service
	srv  *Server
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const embedAdminToken = "admin-token-for-embed-tests-0123456789abcdef"

func newEmbedEnv(t *testing.T, allowedHosts ...string) *embedEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	imp := importer.New(db, dir, log)
	if _, err := imp.SaveImporter(ctx, &schema.Importer{Slug: "contacts", Name: "Contacts", Columns: []schema.Column{
		{Key: "name", Label: "Name", Type: schema.TypeString, Required: true},
		{Key: "email", Label: "Email", Type: schema.TypeEmail},
	}, Settings: schema.Settings{AllowedOrigins: []string{"https://partner.example:8443"}}}); err != nil {
		t.Fatal(err)
	}
	ss := sessions.New(db, sessions.TTLFunc(func(ctx context.Context, slug string) (time.Duration, error) {
		d, err := imp.GetImporter(ctx, slug)
		if err != nil {
			return 0, err
		}
		return d.Settings.TTL(), nil
	}), sessions.Options{
		KeyFile: filepath.Join(dir, "sessions.key"), Logger: log,
	})
	if _, err := ss.CreateKey(ctx, sessions.NewKey{Name: "app", Kind: sessions.KindPublishable, Importers: []string{"*"},
		Origins: []string{"https://app.example.com", "http://localhost:*"}}); err != nil {
		t.Fatal(err)
	}
	assets := fstest.MapFS{
		"embed/importer.html": {Data: []byte("<!doctype html><title>Fusebox Importer</title>")},
		"demo/index.html":     {Data: []byte("<!doctype html><title>Fusebox Demo App</title>")},
	}
	srv := New(Config{Version: "test", DataDir: dir, Logger: log, Assets: assets, AdminToken: embedAdminToken, AllowedHosts: allowedHosts},
		Deps{DB: db, Importer: imp, Sessions: ss, VerifySession: SessionVerifier(ss)})
	return &embedEnv{t: t, dir: dir, imp: imp, sess: ss, srv: srv, logs: logs}
}

// get sends a GET through the port door with the given Host.
func (e *embedEnv) get(host, target string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Host = host
	w := httptest.NewRecorder()
	e.srv.PortHandler().ServeHTTP(w, r)
	return w
}

func TestEmbedFrameAncestors(t *testing.T) {
	e := newEmbedEnv(t, "fusebox.internal")
	own := "'self' http://127.0.0.1:8787 http://localhost:8787 http://fusebox.internal:8787"
	tests := []struct {
		name   string
		target string
		want   string
	}{
		{"no origin: only this server", "/embed/importer", own},
		{"the demo on localhost (same server)", "/embed/importer?origin=http://localhost:8787", own},
		{"an origin a publishable key lists", "/embed/importer?origin=https://app.example.com", own + " https://app.example.com"},
		{"default port dropped", "/embed/importer?origin=https://app.example.com:443", own + " https://app.example.com"},
		{"a loopback port the key's wildcard allows", "/embed/importer?origin=http://localhost:3000", own + " http://localhost:3000"},
		{"an origin an importer lists", "/embed/importer?origin=https://partner.example:8443", own + " https://partner.example:8443"},
		{"an origin nothing lists", "/embed/importer?origin=https://evil.example", own},
		{"the importer's host on another port", "/embed/importer?origin=https://partner.example", own},
		{"another scheme", "/embed/importer?origin=http://app.example.com", own},
		{"a path is not an origin", "/embed/importer?origin=https://app.example.com/x", own},
		{"CSP injection", "/embed/importer?origin=" + "https://app.example.com%3B%20script-src%20*", own},
		{"quotes", "/embed/importer?origin=%27none%27", own},
		{"javascript", "/embed/importer?origin=javascript:alert(1)", own},
		{"wildcard", "/embed/importer?origin=https://*.example.com", own},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.get("127.0.0.1:8787", tt.target)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			if got := w.Header().Get("Content-Security-Policy"); got != "frame-ancestors "+tt.want {
				t.Errorf("CSP = %q\nwant  %q", got, "frame-ancestors "+tt.want)
			}
			if xfo := w.Header().Get("X-Frame-Options"); xfo != "" {
				t.Errorf("X-Frame-Options = %q, want none (it would refuse every host page)", xfo)
			}
			if !strings.Contains(w.Body.String(), "Fusebox Importer") {
				t.Errorf("body is not the embed page: %q", w.Body.String())
			}
		})
	}
}

func TestEmbedDeactivatedKeyNoLongerAllowsItsOrigin(t *testing.T) {
	e := newEmbedEnv(t)
	keys, err := e.sess.ListKeys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	if got := e.get("127.0.0.1:9000", "/embed/importer?origin=https://app.example.com").Header().Get("Content-Security-Policy"); !strings.HasSuffix(got, " https://app.example.com") {
		t.Fatalf("before deactivation: %q", got)
	}
	if _, err := e.sess.DeactivateKey(context.Background(), keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := e.get("127.0.0.1:9000", "/embed/importer?origin=https://app.example.com").Header().Get("Content-Security-Policy"); strings.Contains(got, "app.example.com") {
		t.Fatalf("after deactivation the origin is still allowed: %q", got)
	}
}

func TestEmbedNeverLogsTheQuery(t *testing.T) {
	e := newEmbedEnv(t)
	secret := "eyJhbGciOiJIUzI1NiJ9.secret-token-in-url.sig"
	w := e.get("localhost:8787", "/embed/importer?token="+secret+"&origin=http://localhost:3000")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if strings.Contains(e.logs.String(), "secret-token-in-url") {
		t.Fatalf("the token reached the log:\n%s", e.logs.String())
	}
	if !strings.Contains(e.logs.String(), "/embed/importer") {
		t.Fatalf("expected a request log line, got:\n%s", e.logs.String())
	}
}

func TestCanonicalOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://LOCALHOST:3000":     "http://localhost:3000",
		"https://a.example:443":     "https://a.example",
		"http://a.example:80/":      "http://a.example",
		"http://[::1]:5173":         "",
		"http://a.example:0":        "",
		"http://a.example:99999":    "",
		"http://user@a.example":     "",
		"ftp://a.example":           "",
		"https://a.example?x=1":     "",
		"https://a_b.example":       "",
		"":                          "",
		"https://a.example#x":       "",
		"https://a.example/path":    "",
		"https://exa mple.com":      "",
		"null":                      "",
		"https://[not-an-ip]:8080":  "",
		"https://xn--bcher-kva.com": "https://xn--bcher-kva.com",
	} {
		if got := canonicalOrigin(in); got != want {
			t.Errorf("canonicalOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
