// Package httpapi builds Fusebox's one http.Handler: every route of every
// surface (console API, public API, importer embed, marketplace, relay,
// static pages), the error-to-status table and the middleware. It has two
// doors onto the same routes: the localhost port and the desktop window.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"fusebox/backend/ids"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/sink"
	"fusebox/backend/stats"
	"fusebox/backend/store"
)

// Config is what the server needs to know about its process.
type Config struct {
	Version   string
	DataDir   string
	StartedAt time.Time
	Logger    *slog.Logger
	// Assets is the built frontend (index.html, assets/, sdk/, ...).
	Assets fs.FS
	// AdminToken authorizes console API calls on the port as a Bearer
	// token and, reusably, as /login?code=. Empty disables it.
	AdminToken string
	// AllowedHosts are host names accepted in the Host header on the port
	// besides the loopback names (127.0.0.1, localhost, ::1).
	AllowedHosts []string
	// ConsoleOpen is the console route (e.g. "importers/contacts/try") the
	// console in the desktop window opens at once on boot (serve --open);
	// whoami tells it to the window door only.
	ConsoleOpen string
	// PublicURL is this server's URL as others reach it (serve
	// --public-url). Empty: the listener's own address (SetBaseURL). The
	// base URL never comes from a request's Host header.
	PublicURL string
	// DemoOff, when set, keeps the demo app routes (/demo) off for this
	// process and says why (--no-demo, a non-loopback --addr).
	DemoOff string
	// ConsoleIdle ends a console login session unused for this long
	// (default 12h); ConsoleMaxAge ends it this long after login however
	// busy (default 7 days); MaxConsoleSessions caps live sessions, ending
	// the least recently used (default 1000).
	ConsoleIdle        time.Duration
	ConsoleMaxAge      time.Duration
	MaxConsoleSessions int
	// LoopbackOnly says that the port's listener is bound to loopback
	// addresses only (127.0.0.0/8, ::1). Host pages on
	// http(s)://localhost:* and http(s)://127.0.0.1:* may then embed any
	// importer with no origin configured (embed.go). The composition root
	// sets it from the bound listener; it is never inferred from a
	// request. False (the default) keeps origins configured-only.
	LoopbackOnly bool
	// RateLimits override the port's per-client rate limits
	// (docs/security.md); zero fields keep the defaults.
	RateLimits RateLimits
}

// Stat is one figure on the console dashboard.
type Stat struct {
	Name  string
	Count func(ctx context.Context) (int64, error)
}

// Deps are the services the routes call. Each domain adds its own field.
type Deps struct {
	DB    *store.DB
	Stats []Stat
	// Dashboard reads the console dashboard's charts (imports, funnel,
	// delivery health, installs, activity). Nil leaves its route out.
	Dashboard *stats.Service

	// Importer is the importer engine (embed API and console editor).
	Importer *importer.Service
	// VerifySession turns an importer session token into its actor
	// (filled by the sessions domain). Nil rejects session tokens (401).
	VerifySession func(ctx context.Context, token string) (importer.Actor, error)

	// Marketplace is the integrations marketplace (signed links, catalog,
	// installs, console config). Nil leaves its routes out.
	Marketplace *marketplace.Service

	// Sessions holds API keys and importer sessions: the public API's auth
	// (/api/v1), session issuing and the console's keys page.
	Sessions *sessions.Service

	// Relay delivers records to HTTP destinations (console relay pages
	// and the inbound relay /relay/{route}). Nil leaves its routes out.
	Relay *relay.Service

	// Sink records the requests sent to /sink/{name} (the console shows
	// them under /api/admin/relay/sinks, masked with the relay's secrets
	// when Relay is set). Nil leaves its routes out.
	Sink *sink.Sink

	// Workspace applies and exports the workspace file (console Settings).
	// Nil leaves its routes out.
	Workspace WorkspaceFile

	// Demo is the demo workspace's state: the demo app routes (/demo)
	// answer only while it is in force. Nil keeps them off.
	Demo DemoSwitch
}

// Server holds the routes and the state of console logins.
type Server struct {
	cfg    Config
	deps   Deps
	log    *slog.Logger
	mux    *http.ServeMux
	logins *logins
	// self is this server's base URL (see BaseURL).
	self selfURL
	// crossOrigin tells same-origin browser requests (and scripts, which
	// send no Origin or Sec-Fetch-Site) from cross-origin ones.
	crossOrigin *http.CrossOriginProtection
	// pkSessions limits importer sessions created with a publishable key,
	// per key and client address.
	pkSessions *clientLimiters
	// checks limits the embed check and what it records (embedcheck.go).
	checks *embedChecker
	// mpRetries limits end users' delivery retries per install
	// (marketplace_activity.go).
	mpRetries *clientLimiters
	// sweeper deletes the full buckets of the limits kept in the database
	// (a team server; nil otherwise).
	sweeper *bucketSweeper
	// backupMu keeps the console's backups one at a time.
	backupMu sync.Mutex
}

// New builds the server and registers every route.
func New(cfg Config, deps Deps) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StartedAt.IsZero() {
		cfg.StartedAt = time.Now()
	}
	s := &Server{cfg: cfg, deps: deps, log: cfg.Logger, mux: http.NewServeMux(), logins: newLogins(cfg), crossOrigin: http.NewCrossOriginProtection()}
	if teamServer(deps.DB) {
		s.logins.shared = &sharedLogins{db: deps.DB}
		s.sweeper = &bucketSweeper{db: deps.DB, log: s.log}
	}
	lim := defaultLimits().with(cfg.RateLimits)
	s.pkSessions = s.newLimiters("publishable-sessions", lim.sessionRate, lim.sessionBurst, lim.maxClients)
	s.checks = s.newEmbedChecker(lim.maxClients)
	s.mpRetries = s.newLimiters("end-user-retries", endUserRetryRate, endUserRetryBurst, lim.maxClients)
	s.routes()
	return s
}

// routes registers every surface. Each domain binds its own routes in its
// own file; keep this list one line per domain.
func (s *Server) routes() {
	s.bindSystem(s.mux)
	s.bindAdmin(s.mux)
	s.bindBackup(s.mux)
	s.bindImporter(s.mux)
	s.bindSessions(s.mux)
	s.bindImports(s.mux)
	s.bindMarketplace(s.mux)
	s.bindRelay(s.mux)
	s.bindSink(s.mux)
	s.bindWorkspace(s.mux)
	s.bindEmbed(s.mux)
	s.bindDemo(s.mux)
	s.bindPages(s.mux)
}

// PortHandler is the handler for the localhost listener: it checks the
// Host header against the allowlist (DNS rebinding) and treats no request
// as admin unless it carries the admin cookie or token. Console API writes
// must come from the console's own origin with a JSON (or YAML) body.
// The relay's own deliveries to this server skip the per-client limits
// (ownRelay).
func (s *Server) PortHandler() http.Handler {
	inner := s.securityHeaders(s.checkHost(s.guardConsoleWrites(s.mux)))
	return s.logRequests(doorPort, s.ownRelay(s.limit(inner), inner))
}

// WindowHandler is the handler behind the desktop window's asset server.
// Requests through it come from the console the app itself shows, so they
// are trusted as admin. The trust is set here, from the door, never from
// anything the request carries.
func (s *Server) WindowHandler() http.Handler {
	return s.logRequests(doorWindow, s.securityHeaders(s.mux))
}

// NewLoginCode returns a one-time code for the console login URL. On a
// team server it is stored in the database, so any replica takes it; when
// that fails the error is logged and the code will not log in (the admin
// token still does).
func (s *Server) NewLoginCode() string {
	ctx := context.Background()
	c, err := s.logins.newCode(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "store a console login code", "err", err)
		return ids.New("")
	}
	return c
}
