// Package relay delivers records to HTTP destinations, durably.
//
// Submitted imports become jobs in an outbox written in the transaction
// that completes the import; a worker expands each job into deliveries
// (records shaped for the destination: params filled in, param fields
// moved to query and headers, flat fields mapped into nested JSON, session
// tokens checked) and sends them with leases, retries, rate limits and an
// attempt log. Secrets are read from the process environment at send time,
// only under the names the workspace declares (declared.go), and are never
// stored. The inbound relay (POST /relay/{route}) feeds the
// same pipeline from senders outside Fusebox. Destinations may point at
// this server's own paths (the demo's /sink, backend/sink), so the whole
// flow runs offline.
package relay

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// TokenVerifier checks an importer session token: valid signature, not
// expired, not revoked, and (when importerSlug is not empty) issued for
// that importer. It returns the session's metadata. main adapts the
// sessions service to it.
type TokenVerifier interface {
	VerifyImporterToken(ctx context.Context, token, importerSlug string) (metadata map[string]any, err error)
}

// RecordSource streams the submitted records of an import in order: seq
// is the record's 1-based position, record its JSON object. main adapts
// the importer service to it.
type RecordSource interface {
	StreamRecords(ctx context.Context, importSlug string, fn func(seq int64, record []byte) error) error
}

// Limiter counts deliveries made on behalf of a marketplace end user
// against their plan. Reserve returns an errs.Limit error when n more
// records would go over the limit. The marketplace implements it.
type Limiter interface {
	Reserve(ctx context.Context, ownerID string, n int) error
}

// InstallSecrets reads the secret config values of marketplace installs
// (sealed by the marketplace), so that a route header can reference one
// with {{ install_secret "FIELD" }} instead of storing it. The
// marketplace implements it; an error (install removed, field not set,
// key file missing) fails the delivery with its message.
type InstallSecrets interface {
	InstallSecret(ctx context.Context, installID, name string) (string, error)
	// InstallSecretValues lists the secret values, with their field
	// names, of every install made at or before madeBy, for masking the
	// sink's recordings of any replica.
	InstallSecretValues(ctx context.Context, madeBy time.Time) ([][2]string, error)
}

// ImportInfo is what the relay needs to know about a submitted import.
type ImportInfo struct {
	Slug        string         `json:"slug"`
	Importer    string         `json:"importer"`
	Status      string         `json:"status"`
	SessionID   string         `json:"session_id,omitempty"`
	UserID      string         `json:"user_id,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	FileName    string         `json:"file_name,omitempty"`
	RowCount    int64          `json:"row_count"`
	RecordCount int64          `json:"record_count"`
	At          time.Time      `json:"at"`
}

func (i *ImportInfo) context() *Context {
	c := &Context{ImportSlug: i.Slug, Importer: i.Importer, UserID: i.UserID, FileName: i.FileName, Metadata: i.Metadata}
	if g, ok := i.Metadata["user_group"]; ok && g != nil {
		c.UserGroup = textOf(g)
	}
	return c
}

// Options are the parts the relay uses from the rest of Fusebox. Any of
// them may be nil: without Tokens every record with a session token field
// is discarded (tokens cannot be checked); without Records import jobs wait;
// without Limiter marketplace routes are not limited.
type Options struct {
	Logger *slog.Logger
	// Secrets reads the environment (default os.LookupEnv); the relay asks
	// it only for declared names.
	Secrets SecretLookup
	Tokens  TokenVerifier
	Records RecordSource
	Limiter Limiter
	// InstallSecrets resolves {{ install_secret "FIELD" }} in marketplace
	// routes; without it such deliveries fail saying so.
	InstallSecrets InstallSecrets
	// AllowedHosts returns the hosts that guarded marketplace routes may
	// reach although they resolve to internal addresses (the marketplace's
	// allowed_hosts); nil: none.
	AllowedHosts func(ctx context.Context) ([]string, error)
	// UserAgent is sent with every request (default "Fusebox-Relay").
	UserAgent string
	// SyncSlotWait is how long a sync inbound request waits for a slot of
	// its destination's concurrency and rate limit before it is refused
	// with the limit error (default DefaultSyncSlotWait).
	SyncSlotWait time.Duration
}

// Service is the relay over the database.
type Service struct {
	db  *store.DB
	log *slog.Logger
	// secrets reads the environment secrets destinations name, declared
	// names only (declaredLookup); env is the raw lookup, used only to
	// mask values that appear in recorded sink requests.
	secrets  SecretLookup
	env      SecretLookup
	tokens   TokenVerifier
	records  RecordSource
	limiter  Limiter
	installs InstallSecrets
	allowed  func(ctx context.Context) ([]string, error)
	ua       string

	// sent are the install-secret values put into requests, for masking
	// the sink's recordings.
	sent sentSecrets

	signal signal

	// slotFreed fires when a request of this process frees a slot of a
	// destination's budget (slots.go); syncSlotWait is Options.SyncSlotWait.
	slotFreed    signal
	syncSlotWait time.Duration
	turnMu       sync.Mutex
	turns        map[string]chan struct{} // by destination: see slotTurn

	mu      sync.Mutex
	baseURL string
	cache   map[string]*compiled
	gen     uint64
	now     func() time.Time

	// self is the token of SelfHeader (own.go).
	self string

	// syncW sends the deliveries of sync inbound routes (inbound.go).
	syncOnce sync.Once
	syncW    *Worker

	// declared caches the workspace's declared secret names (declared.go).
	declMu sync.Mutex
	decl   map[string]bool
	declAt time.Time
}

// New builds the relay service.
func New(db *store.DB, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Secrets == nil {
		o.Secrets = os.LookupEnv
	}
	if o.UserAgent == "" {
		o.UserAgent = "Fusebox-Relay"
	}
	if o.SyncSlotWait <= 0 {
		o.SyncSlotWait = DefaultSyncSlotWait
	}
	s := &Service{
		db: db, log: o.Logger, env: o.Secrets, tokens: o.Tokens, records: o.Records, limiter: o.Limiter, installs: o.InstallSecrets, allowed: o.AllowedHosts, ua: o.UserAgent,
		cache: map[string]*compiled{}, now: time.Now, self: ids.New(""), syncSlotWait: o.SyncSlotWait, turns: map[string]chan struct{}{},
	}
	s.secrets = s.declaredLookup(o.Secrets)
	s.signal.init()
	s.slotFreed.init()
	// A data dir from before declared secrets keeps its destinations
	// working (declared_upgrade.go).
	s.upgradeDeclared()
	return s
}

// SetBaseURL tells the relay this server's own address, used for
// destination URLs that are paths (/sink/demo). main calls it once the
// listener is up.
func (s *Service) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = u
	s.mu.Unlock()
	s.signal.fire()
}

func (s *Service) base() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// Wake tells the worker that there is new work.
func (s *Service) Wake() { s.signal.fire() }

// signal is a broadcast: fire wakes every goroutine waiting on the channel
// it got from wait.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (g *signal) init() { g.ch = make(chan struct{}) }

func (g *signal) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ch
}

func (g *signal) fire() {
	g.mu.Lock()
	close(g.ch)
	g.ch = make(chan struct{})
	g.mu.Unlock()
}

func unixMs(t time.Time) int64 { return t.UnixMilli() }
