package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
	"fusebox/backend/workspace"
	"fusebox/frontend"
)

// parts are the wired services of one data dir. The CLI subcommands use
// them directly; serve and the window also build the HTTP server on them.
type parts struct {
	log       *slog.Logger
	dataDir   string
	db        *store.DB
	workspace *workspace.Workspace
	importer  *importer.Service
	sessions  *sessions.Service
	// marketplace is the integrations marketplace (wire_marketplace.go).
	marketplace *marketplace.Service
	// relay delivers records to HTTP destinations (wire_relay.go).
	relay *relay.Service
	deps  httpapi.Deps
	// workers run in the background while the server listens.
	workers []func(ctx context.Context)
	// onListen are told the server's base URL once it listens.
	onListen []func(baseURL string)
	// consoleOpen is the route the window's console opens at (--open).
	consoleOpen string
	// publicURL is --public-url; demoOff says why this process keeps the
	// demo app routes off ("" when it serves them while the demo is in
	// force).
	publicURL string
	demoOff   string
}

// wire opens the database of dataDir and builds every service on it.
// Each domain adds its construction here.
func wire(ctx context.Context, dataDir string, log *slog.Logger) (*parts, error) {
	db, err := store.Open(ctx, filepath.Join(dataDir, "fusebox.db"))
	if err != nil {
		return nil, err
	}
	p := &parts{log: log, dataDir: dataDir, db: db}
	p.importer = importer.New(db, dataDir, log)
	p.workers = append(p.workers, p.importer.RunCleanup) // abandoned imports and their uploads
	p.deps = httpapi.Deps{DB: db, Importer: p.importer}
	p.deps.Stats = append(p.deps.Stats,
		httpapi.Stat{Name: "Importers", Count: p.importer.CountImporters},
		httpapi.Stat{Name: "Imports", Count: p.importer.CountImports})
	p.wireMarketplace()
	p.wireRelay()
	p.workspace = workspace.New(db, p.relay.SecretsSection(), p.importer.Section(), p.relay.Section(), p.marketplace.Section())
	p.deps.Workspace = p.workspace
	p.deps.Demo = p.workspace
	p.wireSessions()
	return p, nil
}

func (p *parts) close() {
	if err := p.db.Close(); err != nil {
		p.log.Error("close database", "err", err)
	}
}

// newServer builds the HTTP server over the wired services.
func (p *parts) newServer(adminToken string, allowedHosts []string) (*httpapi.Server, error) {
	assets, err := frontend.Assets()
	if err != nil {
		return nil, err
	}
	return httpapi.New(httpapi.Config{
		Version:      version,
		DataDir:      p.dataDir,
		StartedAt:    time.Now(),
		Logger:       p.log,
		Assets:       assets,
		AdminToken:   adminToken,
		AllowedHosts: allowedHosts,
		ConsoleOpen:  p.consoleOpen,
		PublicURL:    p.publicURL,
		DemoOff:      p.demoOff,
	}, p.deps), nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// wireSessions builds the API key and session service. Its signing keys
// are sealed under <data-dir>/sessions.key; importer session TTLs come
// from the importer definitions.
func (p *parts) wireSessions() {
	ttl := func(ctx context.Context, slug string) (time.Duration, error) {
		imp, err := p.importer.GetImporter(ctx, slug)
		if err != nil {
			return 0, err
		}
		return imp.Settings.TTL(), nil
	}
	p.sessions = sessions.New(p.db, sessions.TTLFunc(ttl), sessions.Options{
		KeyFile: filepath.Join(p.dataDir, "sessions.key"), Logger: p.log,
	})
	p.deps.Sessions = p.sessions
	p.deps.VerifySession = httpapi.SessionVerifier(p.sessions)
	p.deps.Stats = append(p.deps.Stats,
		httpapi.Stat{Name: "API keys", Count: p.sessions.CountKeys},
		httpapi.Stat{Name: "Active sessions", Count: p.sessions.CountActiveSessions})
	p.workers = append(p.workers, p.sessions.RunPruner)
}
