package marketplace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/netguard"
	"fusebox/backend/store"
)

// Settings are the workspace-wide marketplace settings.
type Settings struct {
	// OrgID must equal the orgId claim of every signed-link token.
	OrgID string `json:"org_id"`
	// Title is shown at the top of the catalog.
	Title string `json:"title"`
	// EmbedOrigins are the host pages allowed to frame the marketplace and
	// to receive its events.
	EmbedOrigins []string `json:"embed_origins"`
	// TokenLeeway is the clock skew allowed on exp, nbf and iat (≤ 60s).
	TokenLeeway string `json:"token_leeway"`
	// TokenMaxLifetime caps exp - iat of signed-link tokens.
	TokenMaxLifetime string `json:"token_max_lifetime"`
	// AllowedHosts are host names (or IP literals) that URLs built from
	// end users' values may reach even though they resolve to loopback,
	// link-local, private or multicast addresses. Empty: none.
	AllowedHosts []string `json:"allowed_hosts"`
}

// MaxAllowedHosts bounds marketplace.allowed_hosts.
const MaxAllowedHosts = 100

const (
	defaultTitle       = "Integrations"
	defaultLeeway      = 60 * time.Second
	maxLeeway          = 60 * time.Second
	defaultMaxLifetime = 24 * time.Hour
	maxMaxLifetime     = 30 * 24 * time.Hour
)

// settingDefault is the value an unset setting reads as.
func settingDefault(key string) string {
	switch key {
	case keyTitle:
		return defaultTitle
	case keyOrigins, keyAllowedHosts:
		return "[]"
	case keyLeeway:
		return "60s"
	case keyMaxLifetime:
		return "24h"
	}
	return ""
}

var orgIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$`)

const (
	keyOrgID        = "marketplace.org_id"
	keyTitle        = "marketplace.title"
	keyOrigins      = "marketplace.embed_origins"
	keyLeeway       = "marketplace.token_leeway"
	keyMaxLifetime  = "marketplace.token_max_lifetime"
	keyAllowedHosts = "marketplace.allowed_hosts"
)

// normalizeSettings validates st in place and fills defaults.
func normalizeSettings(st *Settings, path string) error {
	st.OrgID = strings.TrimSpace(st.OrgID)
	if st.OrgID != "" && !orgIDPattern.MatchString(st.OrgID) {
		return errs.Invalid("%sorg_id: %q is not a valid org id (letters, digits, _ . : -, at most 100)", path, st.OrgID)
	}
	st.Title = strings.TrimSpace(st.Title)
	if st.Title == "" {
		st.Title = defaultTitle
	}
	if len(st.Title) > 100 {
		return errs.Invalid("%stitle: longer than 100 characters", path)
	}
	seen := map[string]bool{}
	origins := []string{}
	for i, o := range st.EmbedOrigins {
		n, err := normalizeOrigin(o)
		if err != nil {
			return errs.Invalid("%sembed_origins[%d]: %s", path, i, errs.Message(err))
		}
		if !seen[n] {
			seen[n] = true
			origins = append(origins, n)
		}
	}
	st.EmbedOrigins = origins
	if len(st.AllowedHosts) > MaxAllowedHosts {
		return errs.Invalid("%sallowed_hosts: %d hosts; at most %d", path, len(st.AllowedHosts), MaxAllowedHosts)
	}
	hosts := []string{}
	seenHost := map[string]bool{}
	for i, h := range st.AllowedHosts {
		if err := netguard.CheckHostName(h); err != nil {
			return errs.Invalid("%sallowed_hosts[%d]: %v", path, i, err)
		}
		if n := netguard.NormalizeHost(h); !seenHost[n] {
			seenHost[n] = true
			hosts = append(hosts, n)
		}
	}
	st.AllowedHosts = hosts
	if st.TokenLeeway == "" {
		st.TokenLeeway = "60s"
	}
	if d, err := time.ParseDuration(st.TokenLeeway); err != nil || d < 0 || d > maxLeeway {
		return errs.Invalid("%stoken_leeway: %q must be a duration from 0s to 60s", path, st.TokenLeeway)
	}
	if st.TokenMaxLifetime == "" {
		st.TokenMaxLifetime = "24h"
	}
	if d, err := time.ParseDuration(st.TokenMaxLifetime); err != nil || d < time.Minute || d > maxMaxLifetime {
		return errs.Invalid("%stoken_max_lifetime: %q must be a duration from 1m to 720h", path, st.TokenMaxLifetime)
	}
	return nil
}

// Leeway and MaxLifetime are the parsed token limits.
func (st Settings) Leeway() time.Duration {
	d, err := time.ParseDuration(st.TokenLeeway)
	if err != nil || d < 0 || d > maxLeeway {
		return defaultLeeway
	}
	return d
}

func (st Settings) MaxLifetime() time.Duration {
	d, err := time.ParseDuration(st.TokenMaxLifetime)
	if err != nil || d <= 0 || d > maxMaxLifetime {
		return defaultMaxLifetime
	}
	return d
}

// AllowsOrigin reports whether origin may frame the marketplace.
func (st Settings) AllowsOrigin(origin string) bool {
	n, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	for _, o := range st.EmbedOrigins {
		if o == n {
			return true
		}
	}
	return false
}

// Settings returns the marketplace settings, generating the org id the
// first time (a workspace without one gets "org_" + random).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	st, err := s.readSettings(ctx)
	if err != nil {
		return st, err
	}
	if st.OrgID == "" {
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			id, err := ensureOrgID(ctx, tx)
			st.OrgID = id
			return err
		})
	}
	return st, err
}

func (s *Service) readSettings(ctx context.Context) (Settings, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?, ?, ?)`,
		keyOrgID, keyTitle, keyOrigins, keyLeeway, keyMaxLifetime, keyAllowedHosts)
	if err != nil {
		return Settings{}, fmt.Errorf("read marketplace settings: %w", err)
	}
	defer rows.Close()
	var st Settings
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return Settings{}, fmt.Errorf("read marketplace settings: %w", err)
		}
		switch k {
		case keyOrgID:
			st.OrgID = v
		case keyTitle:
			st.Title = v
		case keyOrigins:
			if err := json.Unmarshal([]byte(v), &st.EmbedOrigins); err != nil {
				return Settings{}, fmt.Errorf("read marketplace settings: %s is not a JSON array: %w", keyOrigins, err)
			}
		case keyAllowedHosts:
			if err := json.Unmarshal([]byte(v), &st.AllowedHosts); err != nil {
				return Settings{}, fmt.Errorf("read marketplace settings: %s is not a JSON array: %w", keyAllowedHosts, err)
			}
		case keyLeeway:
			st.TokenLeeway = v
		case keyMaxLifetime:
			st.TokenMaxLifetime = v
		}
	}
	if err := rows.Err(); err != nil {
		return Settings{}, fmt.Errorf("read marketplace settings: %w", err)
	}
	if st.Title == "" {
		st.Title = defaultTitle
	}
	if st.EmbedOrigins == nil {
		st.EmbedOrigins = []string{}
	}
	if st.AllowedHosts == nil {
		st.AllowedHosts = []string{}
	}
	if st.TokenLeeway == "" {
		st.TokenLeeway = settingDefault(keyLeeway)
	}
	if st.TokenMaxLifetime == "" {
		st.TokenMaxLifetime = settingDefault(keyMaxLifetime)
	}
	return st, nil
}

func ensureOrgID(ctx context.Context, tx *store.Tx) (string, error) {
	id, _, err := ensureOrgIDCreated(ctx, tx)
	return id, err
}

// ensureOrgIDCreated returns the org id, generating and storing one when
// there is none; created says it did.
func ensureOrgIDCreated(ctx context.Context, tx *store.Tx) (string, bool, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, keyOrgID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("read org id: %w", err)
	}
	if id != "" {
		return id, false, nil
	}
	// org_ and 16 hex digits: the workspace tells a generated org id from
	// a chosen one by that form (generatedOrgID).
	id = ids.Hex("org_", 8)
	return id, true, store.SetSetting(ctx, tx, keyOrgID, id)
}

// UpdateSettings validates and stores new settings; an empty org id keeps
// the current one.
func (s *Service) UpdateSettings(ctx context.Context, st Settings) (Settings, error) {
	if err := normalizeSettings(&st, ""); err != nil {
		return Settings{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := writeSettings(ctx, tx, &st)
		return err
	})
	if err != nil {
		return Settings{}, err
	}
	return st, nil
}

// writeSettings stores normalized settings and reports whether anything
// changed. An empty org id keeps the stored one (or generates one).
func writeSettings(ctx context.Context, tx *store.Tx, st *Settings) (bool, error) {
	generated := false
	if st.OrgID == "" {
		id, created, err := ensureOrgIDCreated(ctx, tx)
		if err != nil {
			return false, err
		}
		st.OrgID, generated = id, created
	}
	origins, err := json.Marshal(st.EmbedOrigins)
	if err != nil {
		return false, err
	}
	if st.AllowedHosts == nil {
		st.AllowedHosts = []string{}
	}
	hosts, err := json.Marshal(st.AllowedHosts)
	if err != nil {
		return false, err
	}
	changed := generated
	for _, kv := range [][2]string{{keyOrgID, st.OrgID}, {keyTitle, st.Title}, {keyOrigins, string(origins)}, {keyLeeway, st.TokenLeeway}, {keyMaxLifetime, st.TokenMaxLifetime}, {keyAllowedHosts, string(hosts)}} {
		var old string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, kv[0]).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			old, err = settingDefault(kv[0]), nil
		}
		if err != nil {
			return false, fmt.Errorf("read setting %s: %w", kv[0], err)
		}
		if old == kv[1] {
			continue
		}
		changed = true
		if err := store.SetSetting(ctx, tx, kv[0], kv[1]); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// AllowedHosts returns marketplace.allowed_hosts: the hosts that URLs
// built from end users' values may reach although they resolve to
// internal addresses. The relay reads it for marketplace routes.
func (s *Service) AllowedHosts(ctx context.Context) ([]string, error) {
	st, err := s.readSettings(ctx)
	if err != nil {
		return nil, err
	}
	return st.AllowedHosts, nil
}
