// Package marketplace is Fusebox's embeddable integrations marketplace,
// compatible with APIFuse's signed links: host apps send their users in
// with an HS256 token signed with an API secret; users browse listings and
// install integrations that run a workflow, under the limits of their
// monetization plan.
//
// The package owns the org settings, API secrets (sealed at rest), plans,
// listings, end users, marketplace sessions, installs and the workflow
// runner, and Reserve, which counts relay deliveries against plans. It
// reaches the relay only through the Routes interface that main adapts.
package marketplace

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"fusebox/backend/keyring"
	"fusebox/backend/store"
)

// RouteSpec is what a relay_route step asks the relay to create: a
// destination owned by one end user for one install.
type RouteSpec struct {
	OwnerID    string // the marketplace end user id (what Reserve counts)
	ExternalID string // the end user's id in the host app (externalId claim)
	// Importer limits the route to imports of one importer slug ("" = all).
	Importer  string
	ListingID string
	InstallID string
	Name      string
	URL       string
	Method    string
	Headers   map[string]string
	// UserHost says an end user's value decided the URL's host: the
	// relay must send through its network guard, which refuses internal
	// addresses except the hosts of marketplace.allowed_hosts.
	UserHost bool
}

// Routes is the relay as the marketplace needs it. main adapts the relay
// to it; nil means there is no relay, and relay_route steps fail saying so.
type Routes interface {
	CreateUserRoute(ctx context.Context, spec RouteSpec) (destinationID string, err error)
	DeleteUserRoute(ctx context.Context, destinationID string) error
	SetUserRouteEnabled(ctx context.Context, destinationID string, enabled bool) error
}

// SentSecrets learns the secret config values that workflow steps send,
// so that a receiver on this server (the relay's sink) can mask them by
// name. main adapts the relay to it; nil: nobody is told.
type SentSecrets interface {
	RememberSentSecret(value, name string)
}

// Options configure a Service.
type Options struct {
	// KeyFile holds the AES-256 key that seals API secrets and install
	// credentials, e.g. <data-dir>/secrets.key (backend/keyring). It is
	// created (0600) only while nothing sealed is stored; a lost one is an
	// error (OpenKeyring).
	KeyFile string
	// Keyring, when set, is the key to use instead of reading KeyFile
	// (a key given in the environment, or one a team server checked
	// against its database already).
	Keyring *keyring.Keyring
	// Routes creates relay destinations for relay_route steps (nil: none).
	Routes Routes
	// HTTPClient makes the requests of http_request steps.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock (tests move it); default time.Now.
	Now func() time.Time
	// SessionTTL is how long a marketplace session lasts after login.
	SessionTTL time.Duration
	// MaxLogoBytes caps an uploaded listing logo (default
	// DefaultMaxLogoBytes).
	MaxLogoBytes int
}

// Service is the marketplace over one database.
type Service struct {
	db     *store.DB
	seal   *sealer
	routes Routes
	sent   SentSecrets
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	ttl    time.Duration
	// maxLogo caps an uploaded listing logo (SaveLogo).
	maxLogo int
	jobs    chan *job
	// started is when the service was built: installs still running from
	// before it were interrupted by a restart.
	started time.Time
}

// New returns the marketplace service. Run Worker in the background to
// execute install workflows.
func New(db *store.DB, opts Options) *Service {
	s := &Service{
		db:      db,
		seal:    &sealer{path: opts.KeyFile, db: db, kr: opts.Keyring},
		routes:  opts.Routes,
		client:  opts.HTTPClient,
		log:     opts.Logger,
		now:     opts.Now,
		ttl:     opts.SessionTTL,
		maxLogo: opts.MaxLogoBytes,
		jobs:    make(chan *job, 256),
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.started = s.now()
	if s.maxLogo <= 0 {
		s.maxLogo = DefaultMaxLogoBytes
	}
	if s.ttl <= 0 {
		s.ttl = 8 * time.Hour
	}
	return s
}

// SetRoutes connects the relay after construction (main wires the two
// services that need each other).
func (s *Service) SetRoutes(r Routes) { s.routes = r }

// SetSentSecrets connects the receiver of sent secret values (the relay's
// sink masking) after construction.
func (s *Service) SetSentSecrets(r SentSecrets) { s.sent = r }

func (s *Service) stamp() string { return store.FormatTime(s.now()) }
