package httpapi_test

import (
	"context"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"fusebox/backend/demo"
	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/sink"
	"fusebox/backend/store"
	"fusebox/backend/workspace"
)

// demoWorld is a data dir initialized with the demo workspace, as `serve`
// does on first start, with every service the demo uses behind the real
// port handler on a loopback port.
type demoWorld struct {
	t    *testing.T
	url  string
	srv  *httpapi.Server
	db   *store.DB
	ws   *workspace.Workspace
	mp   *marketplace.Service
	sess *sessions.Service
	book *routeBook
	logs *strings.Builder
}

func newDemoWorld(t *testing.T, cfg httpapi.Config) *demoWorld {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	logs := &strings.Builder{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imp := importer.New(db, dir, log)
	book := &routeBook{routes: map[string]marketplace.RouteSpec{}, enabled: map[string]bool{}}
	mp := marketplace.New(db, marketplace.Options{KeyFile: filepath.Join(dir, "secrets.key"), Routes: book, Logger: log})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mp.Worker(wctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	rl := relay.New(db, relay.Options{Logger: log})
	ws := workspace.New(db, rl.SecretsSection(), imp.Section(), rl.Section(), mp.Section())
	if _, _, err := ws.Initialize(ctx, demo.Workspace()); err != nil {
		t.Fatal(err)
	}
	ss := sessions.New(db, sessions.TTLFunc(func(ctx context.Context, slug string) (time.Duration, error) {
		d, err := imp.GetImporter(ctx, slug)
		if err != nil {
			return 0, err
		}
		return d.Settings.TTL(), nil
	}), sessions.Options{KeyFile: filepath.Join(dir, "sessions.key"), Logger: log})
	if _, err := ss.EnsureDemoKeys(ctx, []string{"contacts"}); err != nil {
		t.Fatal(err)
	}
	cfg.Version, cfg.DataDir, cfg.Logger, cfg.AdminToken = "test", dir, log, adminToken
	cfg.Assets = fstest.MapFS{
		"demo/index.html":        {Data: []byte("<!doctype html><title>Fusebox Demo App</title>")},
		"marketplace/index.html": {Data: []byte("<!doctype html><title>Fusebox Marketplace</title>")},
	}
	srv := httpapi.New(cfg, httpapi.Deps{DB: db, Importer: imp, Sessions: ss, VerifySession: httpapi.SessionVerifier(ss),
		Marketplace: mp, Relay: rl, Sink: sink.New(0, 0), Workspace: ws, Demo: ws})
	ts := httptest.NewServer(srv.PortHandler())
	t.Cleanup(ts.Close)
	srv.SetBaseURL(ts.URL)
	return &demoWorld{t: t, url: ts.URL, srv: srv, db: db, ws: ws, mp: mp, sess: ss, book: book, logs: logs}
}
