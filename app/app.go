// Package app is the composition root of Fusebox: App opens a data dir's
// database, builds every domain service on it in one explicit order,
// connects them through the adapters in adapters.go, and builds the one
// HTTP handler over them. The doors sit beside it: the headless door
// (Start/Shutdown, port.go) and the desktop window (desktop.go, built with
// the desktop tag; headless.go without it). Domain packages never import
// each other; app is where they meet.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fusebox/backend/demo"
	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/sink"
	"fusebox/backend/stats"
	"fusebox/backend/store"
	"fusebox/backend/workspace"
	"fusebox/frontend"
)

// Config is what New needs.
type Config struct {
	// Version is the build's version (`fusebox version`, the console, the
	// relay's User-Agent).
	Version string
	// DataDir is an existing, writable data dir (see ResolveDataDir).
	DataDir string
	// DatabaseURL is a team server's PostgreSQL (postgres://…), shared by
	// its replicas; empty: SQLite in DataDir.
	DatabaseURL string
	// Keys says where the key material comes from (default: the key
	// files in DataDir). On PostgreSQL the replicas must share it; see
	// checkSharedKeys.
	Keys   KeyConfig
	Logger *slog.Logger
	// Server configures the HTTP handler. Commands that never listen
	// leave it zero.
	Server ServerConfig
}

// ServerConfig is what the HTTP handler needs besides the services.
type ServerConfig struct {
	// AdminToken authorizes the console API on the port (see
	// EnsureAdminToken); empty disables it. Unused when
	// AdminTokenFromKeys is set.
	AdminToken string
	// AdminTokenFromKeys: the admin token comes from Config.Keys
	// ($FUSEBOX_ADMIN_TOKEN, else admin.token in the key dir, made when
	// missing; on PostgreSQL shared by the replicas, see checkSharedKeys).
	AdminTokenFromKeys bool
	// AllowedHosts are extra names accepted in the Host header.
	AllowedHosts []string
	// ConsoleOpen is the route the window's console opens at (--open).
	ConsoleOpen string
	// PublicURL is --public-url: this server's URL as others reach it.
	PublicURL string
	// DemoOff says why this process keeps the demo app routes off (""
	// when it serves them while the demo is in force).
	DemoOff string
	// LoopbackOnly: the port will listen on loopback addresses only, so
	// host pages on localhost and 127.0.0.1 may embed importers with no
	// origin configured (httpapi.Config.LoopbackOnly). Start checks it
	// against the listener it binds and refuses to serve if the bound
	// address is not loopback.
	LoopbackOnly bool
	// RateLimits override the port's per-client rate limits; zero fields
	// keep the defaults. The benchmarks lift them: all their clients are
	// one loopback address.
	RateLimits httpapi.RateLimits
}

// App is one data dir's services, wired. The exported services are for
// the commands in app/cli; they share the App's database.
type App struct {
	Importer    *importer.Service
	Sessions    *sessions.Service
	Marketplace *marketplace.Service
	Relay       *relay.Service
	Sink        *sink.Sink
	Workspace   *workspace.Workspace

	version    string
	adminToken string // the console's admin token (the desktop control channel checks it)
	log        *slog.Logger
	dataDir    string
	db         *store.DB
	server     *httpapi.Server
	// loopbackOnly is ServerConfig.LoopbackOnly, checked by Start.
	loopbackOnly bool
	// workers run in the background while the server listens (Start).
	workers []func(ctx context.Context)
	// wrapPort, set by the desktop window before Start, wraps the port's
	// handler (it records whether host apps use the server).
	wrapPort func(http.Handler) http.Handler

	// Set by Start.
	listenURL    string // the listener's own address
	baseURL      string // --public-url, else listenURL
	http         *http.Server
	stopWorkers  context.CancelFunc
	workersWG    sync.WaitGroup
	shutdownOnce sync.Once
}

// New opens the database of cfg.DataDir and builds the services, the
// adapters between them and the HTTP handler, in this order:
//
//  1. the database;
//  2. the importer (no dependencies);
//  3. sessions, which ask the importer for its session lifetimes;
//  4. the marketplace;
//  5. the relay, which checks session tokens with sessions, streams
//     records from the importer and asks the marketplace for plan limits,
//     install secrets and allowed hosts;
//  6. the marketplace and the relay need each other: the marketplace gets
//     the relay's user routes and sent-secret masking once the relay
//     exists, before anything runs;
//  7. the importer's submit and status hooks, which queue relay events;
//  8. the workspace file over every domain's section;
//  9. the HTTP handler over all of them.
//
// Nothing runs until Start; Close releases the database.
func New(ctx context.Context, cfg Config) (*App, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	// 1. The database.
	db, err := store.OpenDatabase(ctx, cfg.DatabaseURL, filepath.Join(cfg.DataDir, "fusebox.db"))
	if err != nil {
		return nil, err
	}
	if db.Engine() == store.Postgres {
		n, err := lockConns()
		if err != nil {
			db.Close()
			return nil, err
		}
		db.SetMaxLockConns(n)
	}
	if n := db.AppliedAtOpen(); n > 0 {
		log.InfoContext(ctx, "migrated the database", "engine", db.Engine().String(), "migrations", n)
	}
	// The key material: given as values, or read from the key dir; on
	// PostgreSQL checked against what the other replicas use.
	keys, err := loadKeys(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{version: cfg.Version, adminToken: keys.adminToken, log: log, dataDir: cfg.DataDir, db: db, loopbackOnly: cfg.Server.LoopbackOnly}

	// 2. The importer.
	a.Importer = importer.New(db, cfg.DataDir, log)

	// 3. Sessions: signing keys sealed under sessions.key (in the key
	// dir, or given); session lifetimes from the importer definitions.
	a.Sessions = sessions.New(db, sessions.TTLFunc(a.importerTTL), sessions.Options{
		KeyFile: filepath.Join(keyDir(cfg), "sessions.key"), Keyring: keys.sessions, Logger: log,
	})

	// 4. The marketplace: API secrets and install credentials sealed under
	// secrets.key (in the key dir, or given).
	a.Marketplace = marketplace.New(db, marketplace.Options{
		KeyFile: filepath.Join(keyDir(cfg), "secrets.key"),
		Keyring: keys.secrets,
		Logger:  log,
	})
	// Both keys are read now: a new data dir gets its key files; one whose
	// database holds values sealed under a missing or replaced key
	// refuses to start, naming the file to restore from the backup.
	for _, open := range []func(context.Context) error{a.Sessions.OpenKeyring, a.Marketplace.OpenKeyring} {
		if err := open(ctx); err != nil {
			a.closeDB()
			return nil, err
		}
	}

	// 5. The relay.
	a.Relay = relay.New(db, relay.Options{
		Logger: log,
		// Relay secrets come from the process environment; the demo
		// destination's secret has a built-in value (backend/demo).
		Secrets:   demo.RelaySecrets(os.LookupEnv),
		Tokens:    relayTokens{a.Sessions},
		Records:   relayRecords{a.Importer},
		Limiter:   a.Marketplace,
		UserAgent: "Fusebox-Relay/" + cfg.Version,
		// Route headers reference install credentials by name; the
		// marketplace opens them at send time.
		InstallSecrets: a.Marketplace,
		// Routes whose host an end user chose may reach internal
		// addresses only on the hosts marketplace.allowed_hosts names.
		AllowedHosts: a.Marketplace.AllowedHosts,
	})

	// The built-in sink records what demos deliver to /sink/{name}: in
	// memory, or in the database the replicas of a team server share,
	// sealed there with secrets.key (on PostgreSQL always loaded above).
	a.Sink = sink.New(0, 0)
	if db.Engine() == store.Postgres {
		a.Sink = sink.NewShared(db, sink.Limits{}, keys.secrets)
	}

	// 6. The marketplace's relay_route steps create relay routes, and the
	// secret values its steps send are masked in the sink's recordings.
	a.Marketplace.SetRoutes(relayRoutes{a.Relay})
	a.Marketplace.SetSentSecrets(a.Relay)

	// 7. Submitted imports queue their relay deliveries in the transaction
	// that completes them; status destinations also hear the rest.
	a.Importer.OnSubmit(a.queueSubmitted)
	// Importers' validation callbacks go through the network guard.
	a.Importer.Callbacks = newCallbackCaller(a.Marketplace.AllowedHosts, cfg.Version)
	a.Importer.OnStatus(a.queueStatus)

	// 8. The workspace file.
	a.Workspace = workspace.New(db, a.Relay.SecretsSection(), a.Importer.Section(), a.Relay.Section(), a.Marketplace.Section())
	// When a workspace of the user's own ends the demo, the demo's API
	// keys and open inbound route are retired.
	a.Workspace.OnDemoEnd(a.endDemo)

	// 9. The HTTP handler.
	assets, err := frontend.Assets()
	if err != nil {
		a.closeDB()
		return nil, fmt.Errorf("frontend assets: %w", err)
	}
	a.server = httpapi.New(httpapi.Config{
		Version:      cfg.Version,
		DataDir:      cfg.DataDir,
		StartedAt:    time.Now(),
		Logger:       log,
		Assets:       assets,
		AdminToken:   keys.adminToken,
		AllowedHosts: cfg.Server.AllowedHosts,
		ConsoleOpen:  cfg.Server.ConsoleOpen,
		PublicURL:    cfg.Server.PublicURL,
		DemoOff:      cfg.Server.DemoOff,
		LoopbackOnly: cfg.Server.LoopbackOnly,
		RateLimits:   cfg.Server.RateLimits,
	}, httpapi.Deps{
		DB:            db,
		Importer:      a.Importer,
		VerifySession: httpapi.SessionVerifier(a.Sessions),
		Marketplace:   a.Marketplace,
		Sessions:      a.Sessions,
		Relay:         a.Relay,
		Sink:          a.Sink,
		Workspace:     a.Workspace,
		Demo:          a.Workspace,
		Dashboard:     stats.New(db),
		Stats: []httpapi.Stat{
			{Name: "Importers", Count: a.Importer.CountImporters},
			{Name: "Imports", Count: a.Importer.CountImports},
			{Name: "Marketplace listings", Count: a.Marketplace.CountListings},
			{Name: "Marketplace end users", Count: a.Marketplace.CountEndUsers},
			{Name: "Marketplace installs", Count: a.Marketplace.CountInstalls},
			{Name: "Relay destinations", Count: a.Relay.CountDestinations},
			{Name: "Relay deliveries", Count: a.Relay.CountDeliveries},
			{Name: "API keys", Count: a.Sessions.CountKeys},
			{Name: "Active sessions", Count: a.Sessions.CountActiveSessions},
		},
	})

	// The background workers Start runs.
	a.workers = []func(ctx context.Context){
		a.Importer.RunCleanup, // abandoned imports and their uploads
		a.Importer.RunJobs,    // submits, and the imports stopped processes left half done
		a.Marketplace.Worker,
		a.Relay.NewWorker(relayWorkerOptions(log)).Run,
		a.Sessions.RunPruner,
	}
	return a, nil
}

// Handler is the HTTP handler of the port (what a browser or host app
// reaches); the window has its own door (desktop.go).
func (a *App) Handler() http.Handler { return a.server.PortHandler() }

// DataDir is the data dir the App was opened on.
func (a *App) DataDir() string { return a.dataDir }

// Close stops what Start started and closes the database.
func (a *App) Close() {
	if err := a.Shutdown(); err != nil {
		a.log.Error("shutdown", "err", err)
	}
	a.closeDB()
}

func (a *App) closeDB() {
	if err := a.db.Close(); err != nil {
		a.log.Error("close database", "err", err)
	}
}

// importerTTL is the session lifetime of the importer slug.
func (a *App) importerTTL(ctx context.Context, slug string) (time.Duration, error) {
	imp, err := a.Importer.GetImporter(ctx, slug)
	if err != nil {
		return 0, err
	}
	return imp.Settings.TTL(), nil
}

// relayWorkerOptions reads FUSEBOX_RELAY_LEASE (a duration, default 15s):
// how long a claimed delivery stays leased without a heartbeat. After a
// crash, what was in flight is sent again that long after the process died.
func relayWorkerOptions(log *slog.Logger) relay.WorkerOptions {
	wo := relay.WorkerOptions{}
	if v := os.Getenv("FUSEBOX_RELAY_LEASE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			wo.Lease = d
		} else {
			log.Warn("FUSEBOX_RELAY_LEASE is not a positive duration; using the default", "value", v)
		}
	}
	return wo
}
