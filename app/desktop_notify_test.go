package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/relay"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// The port records host app use only for a key or session token on the
// public API or the importer routes, answered without an error: not for
// the admin token, not for a refused key, not for /healthz.
func TestDesktopHostUsage(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	token, err := EnsureAdminToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, dir), DataDir: dir, Logger: log, Server: ServerConfig{AdminToken: token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if _, _, err := a.FirstStart(ctx, true); err != nil {
		t.Fatal(err)
	}
	firsts := 0
	u := &hostUsage{adminToken: token, onFirst: func(string) { firsts++ }}
	a.wrapPort = u.wrap
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	base := a.BaseURL()
	do := func(method, path, bearer, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	do("GET", "/healthz", "", "")
	do("GET", "/api/admin/whoami", token, "")
	do("GET", "/api/v1/imports", token, "")
	if c := do("GET", "/api/v1/imports", "fbx_sk_notakey", ""); c != http.StatusUnauthorized {
		t.Fatalf("a made-up key: status %d, want 401", c)
	}
	if u.Used() {
		t.Fatal("used after the admin token, a refused key and /healthz; want not used")
	}
	key := postJSON(t, base+"/api/admin/keys", token, `{"name":"host","kind":"secret"}`)
	if u.Used() {
		t.Fatal("used after the console created a key")
	}
	secret, _ := key["secret"].(string)
	if c := do("POST", "/api/v1/importer/sessions", secret, `{"importer_slug":"contacts"}`); c/100 != 2 {
		t.Fatalf("session with a key: status %d", c)
	}
	if !u.Used() || firsts != 1 {
		t.Fatalf("after a session was issued: used %v, first-use calls %d; want true, 1", u.Used(), firsts)
	}
	do("GET", "/api/v1/imports", secret, "")
	if firsts != 1 {
		t.Errorf("first-use calls %d after more calls, want 1", firsts)
	}
}

// The window's notices: an import submitted through a host app (session),
// not one from the console; an import that failed; a destination that
// became disabled; a delivery that went dead. What was disabled or dead
// before the first look is not told.
func TestDesktopNotices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	var mu sync.Mutex
	var got []Notice
	n := newNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)), a.Importer, a.Relay, func(nt Notice) {
		mu.Lock()
		got = append(got, nt)
		mu.Unlock()
	})
	a.Importer.OnStatus(n.importStatus)
	a.Importer.OnSubmit(func(ctx context.Context, tx *store.Tx, imp importer.Import) error {
		if imp.FileName == "bad.csv" {
			return errs.Unavailable("the CRM refused the import")
		}
		return nil
	})
	take := func() []Notice {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
	if _, err := a.Importer.SaveImporter(ctx, &schema.Importer{Slug: "contacts", Name: "Contacts",
		Columns: []schema.Column{{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "old", URL: "http://127.0.0.1:9/x"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Relay.SetEnabled(ctx, "old", false, "disabled before"); err != nil {
		t.Fatal(err)
	}
	if err := n.checkRelay(ctx); err != nil { // the first look: learns only
		t.Fatal(err)
	}
	submit := func(actor importer.Actor, name string) string {
		t.Helper()
		imp, err := a.Importer.CreateImport(ctx, actor, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		csv := "E-mail\nada@example.com\n"
		if _, err := a.Importer.Upload(ctx, imp.Slug, strings.NewReader(csv), name, int64(len(csv))); err != nil {
			t.Fatal(err)
		}
		mv, err := a.Importer.GetMapping(ctx, imp.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
		_, _ = a.Importer.Submit(ctx, imp.Slug)
		return imp.Slug
	}
	submit(importer.Actor{Admin: true}, "console.csv")
	if g := take(); len(g) != 0 {
		t.Fatalf("a console import told %+v, want nothing", g)
	}
	host := importer.Actor{SessionID: "ses_1", ImporterSlug: "contacts", Metadata: map[string]any{"user_id": "u-7"}}
	hostSlug := submit(host, "host.csv")
	g := take()
	if len(g) != 1 || g[0].Kind != "import-submitted" || g[0].Route != "imports/"+hostSlug || !strings.Contains(g[0].Body, "u-7") || !strings.Contains(g[0].Body, "host.csv") {
		t.Fatalf("host app import: %+v, want one import-submitted notice naming u-7 and host.csv", g)
	}
	badSlug := submit(importer.Actor{Admin: true}, "bad.csv")
	g = take()
	if len(g) != 1 || g[0].Kind != "import-failed" || !strings.Contains(g[0].Body, badSlug) || !strings.Contains(g[0].Body, "refused") {
		t.Fatalf("failed import: %+v, want one import-failed notice with the reason", g)
	}

	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "crm", URL: "http://127.0.0.1:9/x"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Relay.SetEnabled(ctx, "crm", false, "401 from the CRM"); err != nil {
		t.Fatal(err)
	}
	if err := n.checkRelay(ctx); err != nil {
		t.Fatal(err)
	}
	g = take()
	if len(g) != 1 || g[0].Kind != "destination-disabled" || !strings.Contains(g[0].Body, `"crm"`) || !strings.Contains(g[0].Body, "401 from the CRM") {
		t.Fatalf("disabled destination: %+v, want one notice for crm (not for old)", g)
	}
	if err := n.checkRelay(ctx); err != nil {
		t.Fatal(err)
	}
	if g := take(); len(g) != 0 {
		t.Fatalf("second look told again: %+v", g)
	}

	// A delivery that goes dead: nothing listens on the destination's
	// port, and its retry schedule is one short retry.
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "gone", URL: "http://127.0.0.1:9/hook",
		Retry: []relay.Duration{relay.Duration(10 * time.Millisecond)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.EnqueueRecords(ctx, "gone", [][]byte{[]byte(`{"i":1}`)}, relay.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Relay.NewWorker(relay.WorkerOptions{}).Run(wctx)
	}()
	defer func() { stop(); <-done }()
	for g = nil; len(g) == 0; g = take() {
		if ctx.Err() != nil {
			t.Fatal("no notice of the dead delivery before the deadline")
		}
		if err := n.checkRelay(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(g) != 1 || g[0].Kind != "delivery-dead" || !strings.Contains(g[0].Body, `"gone"`) || !strings.Contains(g[0].Body, "2 attempts") {
		t.Fatalf("dead delivery: %+v, want one delivery-dead notice for gone after 2 attempts", g)
	}
}

// What closing the window would stop: an import worked on in the last
// minutes, deliveries not yet delivered; nothing on a fresh data dir.
func TestDesktopPendingWork(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if w := pendingWork(ctx, a.Importer, a.Relay); w != "" {
		t.Fatalf("fresh data dir: pending %q, want none", w)
	}
	if _, err := a.Importer.SaveImporter(ctx, &schema.Importer{Slug: "contacts", Name: "Contacts",
		Columns: []schema.Column{{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true}}}); err != nil {
		t.Fatal(err)
	}
	imp, err := a.Importer.CreateImport(ctx, importer.Actor{Admin: true}, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	if w := pendingWork(ctx, a.Importer, a.Relay); w != "" {
		t.Fatalf("an import with no file yet: pending %q, want none", w)
	}
	csv := "E-mail\nada@example.com\n"
	if _, err := a.Importer.Upload(ctx, imp.Slug, strings.NewReader(csv), "a.csv", int64(len(csv))); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "crm", URL: "http://127.0.0.1:9/x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.EnqueueRecords(ctx, "crm", [][]byte{[]byte(`{"i":1}`), []byte(`{"i":2}`)}, relay.EnqueueOptions{}); err != nil {
		t.Fatal(err)
	}
	w := pendingWork(ctx, a.Importer, a.Relay)
	if !strings.Contains(w, "1 import in progress") || !strings.Contains(w, "pending") {
		t.Fatalf("pending %q, want the import in progress and the pending deliveries", w)
	}
}
