// Package sessions issues and checks the credentials of Fusebox's public
// API: API keys (secret keys for host app backends, publishable keys for
// browser pages on listed origins) and importer session tokens, short-lived
// JWTs (HS256) that a host app hands to the embedded importer.
//
// Keys are generated with crypto/rand, shown once and stored as SHA-256
// hashes. Session tokens are signed with a per-workspace signing key that
// is generated on first use and stored sealed (AES-256-GCM) under a key
// file in the data dir; they carry their own audience and typ so that no
// other Fusebox token (marketplace links use another key and audience)
// can pass as one. Every session is stored, so it can be listed and
// revoked, and Verify checks revocation in the database.
package sessions

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fusebox/backend/keyring"
	"fusebox/backend/store"
)

// Token constants. Audience and TokenType are what make a token an
// importer session token; Verify insists on both.
const (
	Audience  = "fusebox:importer-session"
	TokenType = "importer-session+jwt"
	Issuer    = "fusebox"
)

// Defaults and limits.
const (
	DefaultTTL       = time.Hour
	MaxTTL           = 720 * time.Hour
	MaxMetadataBytes = 16 << 10
	// Leeway is the clock skew Verify tolerates on exp/iat/nbf.
	Leeway = 30 * time.Second
	// lastUsedEvery bounds how often a key's last_used_at is written.
	lastUsedEvery = time.Minute
)

// Importers is what the session issuer needs to know about importers.
type Importers interface {
	// SessionTTL returns the session lifetime the importer sets, zero for
	// the default; an errs.NotFound error when there is no such importer.
	SessionTTL(ctx context.Context, slug string) (time.Duration, error)
}

// Options configure a Service.
type Options struct {
	// KeyFile is the path of the key file that seals the signing keys
	// stored in the database (backend/keyring). It is created (0600) only
	// while no signing key is stored; a lost one is an error. Required.
	KeyFile string
	// Keyring, when set, is the key to use instead of reading KeyFile
	// (a key given in the environment, or one a team server checked
	// against its database already).
	Keyring *keyring.Keyring
	// DefaultTTL is the session lifetime when the importer sets none
	// (default DefaultTTL).
	DefaultTTL time.Duration
	// Now is the clock (default time.Now); tests move it.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service manages API keys, signing keys and importer sessions.
type Service struct {
	db        *store.DB
	importers Importers
	keyFile   string
	ttl       time.Duration
	now       func() time.Time
	log       *slog.Logger

	signMu  sync.Mutex
	kr      *keyring.Keyring // the key file, loaded on first use
	signing *signingKeys     // loaded on first use

	prepared statements

	batchMu  sync.Mutex
	pending  []*pendingInsert // session rows waiting for the group commit
	flushing bool             // a leader is writing the queue

	usedMu   sync.Mutex
	lastUsed map[string]time.Time // key id -> last time last_used_at was written
}

// New builds the service over db.
func New(db *store.DB, importers Importers, opts Options) *Service {
	if opts.DefaultTTL <= 0 {
		opts.DefaultTTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{
		db: db, importers: importers, keyFile: opts.KeyFile, kr: opts.Keyring, ttl: opts.DefaultTTL,
		now: opts.Now, log: opts.Logger, lastUsed: map[string]time.Time{},
	}
}

// Kind is the kind of an API key.
type Kind string

const (
	KindSecret      Kind = "secret"
	KindPublishable Kind = "publishable"
)

// Key prefixes; the full key is prefix + 43 base62 characters.
const (
	SecretPrefix      = "fbx_sk_"
	PublishablePrefix = "fbx_pk_"
)

// AnyImporter in a publishable key's importer list allows every importer.
const AnyImporter = "*"

// Key is an API key as listed: never the key itself, only its prefix.
type Key struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Kind          Kind      `json:"kind"`
	Prefix        string    `json:"prefix"`
	Importers     []string  `json:"importers"`
	Origins       []string  `json:"origins"`
	Active        bool      `json:"active"`
	CreatedAt     time.Time `json:"created_at"`
	LastUsedAt    time.Time `json:"last_used_at,omitzero"`
	DeactivatedAt time.Time `json:"deactivated_at,omitzero"`
}

// AllowsImporter reports whether a publishable key may create sessions
// for importer slug. Secret keys may for every importer.
func (k Key) AllowsImporter(slug string) bool {
	if k.Kind == KindSecret {
		return true
	}
	for _, s := range k.Importers {
		if s == AnyImporter || s == slug {
			return true
		}
	}
	return false
}

// AllowsOrigin reports whether a publishable key may be used from a page
// whose Origin header is origin.
func (k Key) AllowsOrigin(origin string) bool {
	return k.Kind == KindPublishable && originAllowed(k.Origins, origin)
}

// NewKey describes a key to create.
type NewKey struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Importers and Origins are required for publishable keys and not
	// allowed on secret keys.
	Importers []string `json:"importers"`
	Origins   []string `json:"origins"`
}

// CreatedKey is a new key with the key itself, shown this once.
type CreatedKey struct {
	Key
	Secret string `json:"secret"`
}

// Session is one importer session.
type Session struct {
	ID           string         `json:"id"`
	ImporterSlug string         `json:"importer_slug"`
	Metadata     map[string]any `json:"metadata"`
	KeyID        string         `json:"key_id"`
	Origin       string         `json:"origin"`
	CreatedAt    time.Time      `json:"created_at"`
	ExpiresAt    time.Time      `json:"expires_at"`
	RevokedAt    time.Time      `json:"revoked_at,omitzero"`
	Status       string         `json:"status"`
}

// Session statuses.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

func (s *Session) setStatus(now time.Time) {
	switch {
	case !s.RevokedAt.IsZero():
		s.Status = StatusRevoked
	case !now.Before(s.ExpiresAt):
		s.Status = StatusExpired
	default:
		s.Status = StatusActive
	}
}

// decodeMetadata decodes stored metadata; numbers stay json.Number so
// ids such as 123 keep their exact text.
func decodeMetadata(raw string) map[string]any {
	md := map[string]any{}
	if raw == "" {
		return md
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&md)
	return md
}

// TTLFunc adapts a function to Importers.
type TTLFunc func(ctx context.Context, slug string) (time.Duration, error)

// SessionTTL calls f.
func (f TTLFunc) SessionTTL(ctx context.Context, slug string) (time.Duration, error) {
	return f(ctx, slug)
}

// PruneAfter is how long ended sessions stay listed before RunPruner
// deletes them.
const PruneAfter = 30 * 24 * time.Hour

// RunPruner deletes sessions that ended more than PruneAfter ago, once at
// start and then every hour, until ctx is done. It is a background worker.
func (s *Service) RunPruner(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.PruneExpired(ctx, s.now().Add(-PruneAfter))
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.WarnContext(ctx, "prune importer sessions", "err", err)
		case n > 0:
			s.log.InfoContext(ctx, "pruned ended importer sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
