package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// Destination origins.
const (
	OriginWorkspace   = "workspace"
	OriginConsole     = "console"
	OriginMarketplace = "marketplace"
)

// compiled is a destination with its templates parsed, as the worker and
// the enqueue paths use it.
type compiled struct {
	d              Destination
	origin         string
	ownerID        string
	matchUserID    string
	installID      string
	enabled        bool
	disabledReason string
	shaper         *shaper
	url            *template
	headers        []headerTemplate
	schedule       []time.Duration
	loadedAt       time.Time
}

// cacheTTL bounds how long a compiled destination is reused: changes made
// by another process on the same data dir (fusebox apply) are picked up
// within it.
const cacheTTL = time.Second

type headerTemplate struct {
	name string
	tmpl *template
}

func compile(d Destination) (*compiled, error) {
	c := &compiled{d: d, schedule: d.Schedule()}
	var err error
	if c.shaper, err = newShaper(&d); err != nil {
		return nil, err
	}
	if c.url, err = parseTemplate(d.URL, templateHeader); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	names := make([]string, 0, len(d.Headers))
	for n := range d.Headers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t, err := parseTemplate(d.Headers[n], templateHeader)
		if err != nil {
			return nil, fmt.Errorf("headers.%s: %w", n, err)
		}
		c.headers = append(c.headers, headerTemplate{name: n, tmpl: t})
	}
	return c, nil
}

// SecretStatus says whether a secret a destination reads is set. The
// value is never shown.
type SecretStatus struct {
	Name string `json:"name"`
	Set  bool   `json:"set"`
	// Declared: the workspace's secrets: list names it; an undeclared
	// secret is never read, so it is never set.
	Declared bool `json:"declared"`
}

// DestinationView is a destination with its state, for the console.
type DestinationView struct {
	Destination    Destination      `json:"destination"`
	Origin         string           `json:"origin"`
	OwnerID        string           `json:"owner_id,omitempty"`
	MatchUserID    string           `json:"match_user_id,omitempty"`
	ListingID      string           `json:"listing_id,omitempty"`
	InstallID      string           `json:"install_id,omitempty"`
	Enabled        bool             `json:"enabled"`
	DisabledReason string           `json:"disabled_reason,omitempty"`
	Secrets        []SecretStatus   `json:"secrets"`
	Counts         map[string]int64 `json:"counts"`
	PendingJobs    int64            `json:"pending_jobs"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

// hideInstallHeaders masks the header values of a marketplace route in a
// view: they may carry the end user's credentials, so the console shows
// that they are there, not what they are.
func hideInstallHeaders(v *DestinationView) {
	if v.Origin != OriginMarketplace || len(v.Destination.Headers) == 0 {
		return
	}
	hidden := map[string]string{}
	for k := range v.Destination.Headers {
		hidden[k] = "«set by the marketplace install»"
	}
	v.Destination.Headers = hidden
}

func (s *Service) secretStatus(d *Destination) []SecretStatus {
	out := []SecretStatus{}
	for _, n := range d.SecretNames() {
		_, ok := s.secrets(n)
		out = append(out, SecretStatus{Name: n, Set: ok, Declared: s.isDeclared(n)})
	}
	return out
}

const destColumns = `id, origin, owner_id, match_user_id, listing_id, install_id, spec, enabled, disabled_reason, created_at, updated_at`

type destRow struct {
	view DestinationView
	spec string
}

func scanDest(sc interface{ Scan(...any) error }) (*destRow, error) {
	var r destRow
	var id, created, updated string
	var enabled int
	v := &r.view
	if err := sc.Scan(&id, &v.Origin, &v.OwnerID, &v.MatchUserID, &v.ListingID, &v.InstallID, &r.spec, &enabled, &v.DisabledReason, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(r.spec), &v.Destination); err != nil {
		return nil, fmt.Errorf("destination %s: decode spec: %w", id, err)
	}
	v.Destination.ID = id
	v.Enabled = enabled != 0
	v.CreatedAt, _ = store.ParseTime(created)
	v.UpdatedAt, _ = store.ParseTime(updated)
	return &r, nil
}

// ListDestinations returns every destination with its delivery counts.
func (s *Service) ListDestinations(ctx context.Context) ([]DestinationView, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+destColumns+` FROM relay_destinations ORDER BY origin = 'marketplace', id`)
	if err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	out := []DestinationView{}
	for rows.Next() {
		r, err := scanDest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list destinations: %w", err)
		}
		out = append(out, r.view)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	counts, jobs, err := s.counts(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Secrets = s.secretStatus(&out[i].Destination)
		out[i].Counts = counts[out[i].Destination.ID]
		if out[i].Counts == nil {
			out[i].Counts = map[string]int64{}
		}
		out[i].PendingJobs = jobs[out[i].Destination.ID]
		hideInstallHeaders(&out[i])
	}
	return out, nil
}

func (s *Service) counts(ctx context.Context) (map[string]map[string]int64, map[string]int64, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT destination_id, status, count(*) FROM relay_deliveries GROUP BY destination_id, status`)
	if err != nil {
		return nil, nil, fmt.Errorf("count deliveries: %w", err)
	}
	counts := map[string]map[string]int64{}
	for rows.Next() {
		var id, st string
		var n int64
		if err := rows.Scan(&id, &st, &n); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("count deliveries: %w", err)
		}
		if counts[id] == nil {
			counts[id] = map[string]int64{}
		}
		counts[id][st] = n
	}
	rows.Close()
	jobs := map[string]int64{}
	rows, err = s.db.Read.QueryContext(ctx, `SELECT destination_id, count(*) FROM relay_jobs WHERE status = 'pending' GROUP BY destination_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, nil, fmt.Errorf("count jobs: %w", err)
		}
		jobs[id] = n
	}
	return counts, jobs, rows.Err()
}

// GetDestination returns one destination with its state.
func (s *Service) GetDestination(ctx context.Context, id string) (DestinationView, error) {
	r, err := scanDest(s.db.Read.QueryRowContext(ctx, `SELECT `+destColumns+` FROM relay_destinations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return DestinationView{}, errs.NotFound("destination %q not found", id)
	}
	if err != nil {
		return DestinationView{}, fmt.Errorf("get destination %s: %w", id, err)
	}
	v := r.view
	v.Secrets = s.secretStatus(&v.Destination)
	counts, jobs, err := s.counts(ctx)
	if err != nil {
		return DestinationView{}, err
	}
	v.Counts = counts[id]
	if v.Counts == nil {
		v.Counts = map[string]int64{}
	}
	v.PendingJobs = jobs[id]
	hideInstallHeaders(&v)
	return v, nil
}

// destination returns the compiled destination id (cached until any
// destination changes).
func (s *Service) destination(ctx context.Context, id string) (*compiled, error) {
	s.mu.Lock()
	c, ok := s.cache[id]
	gen := s.gen
	s.mu.Unlock()
	if ok && time.Since(c.loadedAt) < cacheTTL {
		return c, nil
	}
	r, err := scanDest(s.db.Read.QueryRowContext(ctx, `SELECT `+destColumns+` FROM relay_destinations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("destination %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load destination %s: %w", id, err)
	}
	c, err = compile(r.view.Destination)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", id, err)
	}
	c.origin, c.ownerID, c.matchUserID, c.installID = r.view.Origin, r.view.OwnerID, r.view.MatchUserID, r.view.InstallID
	c.enabled, c.disabledReason = r.view.Enabled, r.view.DisabledReason
	c.loadedAt = time.Now()
	s.mu.Lock()
	if s.gen == gen {
		s.cache[id] = c
	}
	s.mu.Unlock()
	return c, nil
}

// changed drops the cache and wakes the worker; call after a destination
// write commits.
func (s *Service) changed() {
	s.mu.Lock()
	s.cache = map[string]*compiled{}
	s.gen++
	s.mu.Unlock()
	s.signal.fire()
}

// enabledDestinations lists the ids of enabled destinations.
func (s *Service) enabledDestinations(ctx context.Context) ([]string, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id FROM relay_destinations WHERE enabled = 1 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

type destMeta struct {
	origin, ownerID, matchUserID, listingID, installID string
}

// saveTx creates or replaces destination d (already normalized) in tx and
// returns "created", "updated" or "unchanged". Enabled state is kept.
func (s *Service) saveTx(ctx context.Context, tx *store.Tx, d *Destination, m destMeta, mustCreate bool) (string, error) {
	if names := d.InstallSecretNames(); len(names) > 0 && m.installID == "" {
		return "", errs.Invalid("destination %q: {{ install_secret %q }} can only be used by the route of a marketplace install", d.ID, names[0])
	}
	if m.origin == OriginMarketplace {
		// An install's values must never read this process's environment
		// (an end user's config value could otherwise ask for any secret).
		if names := d.SecretNames(); len(names) > 0 {
			return "", errs.Invalid("destination %q: a marketplace route cannot read the environment secret %s; use {{ install_secret \"FIELD\" }}", d.ID, names[0])
		}
	}
	spec, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("save destination %s: %w", d.ID, err)
	}
	var route any
	if d.Inbound != nil {
		route = d.Inbound.Route
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM relay_destinations WHERE inbound_route = ? AND id <> ?`, d.Inbound.Route, d.ID).Scan(&other)
		if err == nil {
			return "", errs.Conflict("destination %q: inbound route %q is already used by destination %q", d.ID, d.Inbound.Route, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("save destination %s: %w", d.ID, err)
		}
	}
	now := store.Now()
	var old, oldOrigin string
	err = tx.QueryRowContext(ctx, `SELECT spec, origin FROM relay_destinations WHERE id = ?`, d.ID).Scan(&old, &oldOrigin)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err := tx.ExecContext(ctx, `INSERT INTO relay_destinations (id, origin, owner_id, match_user_id, listing_id, install_id, importer, inbound_route, spec, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			d.ID, m.origin, m.ownerID, m.matchUserID, m.listingID, m.installID, d.Importer, route, string(spec), now, now)
		if err != nil {
			return "", fmt.Errorf("create destination %s: %w", d.ID, err)
		}
		return "created", nil
	case err != nil:
		return "", fmt.Errorf("save destination %s: %w", d.ID, err)
	case mustCreate:
		return "", errs.Conflict("a destination with id %q already exists", d.ID)
	}
	if (oldOrigin == OriginMarketplace) != (m.origin == OriginMarketplace) {
		return "", errs.Conflict("destination %q belongs to a marketplace install; pick another id", d.ID)
	}
	if old == string(spec) {
		return "unchanged", nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE relay_destinations SET importer = ?, inbound_route = ?, spec = ?, updated_at = ? WHERE id = ?`,
		d.Importer, route, string(spec), now, d.ID)
	if err != nil {
		return "", fmt.Errorf("update destination %s: %w", d.ID, err)
	}
	return "updated", nil
}

// CreateDestination validates and creates d; ECONFLICT if the id exists.
func (s *Service) CreateDestination(ctx context.Context, d Destination) (DestinationView, error) {
	if err := d.Normalize(); err != nil {
		return DestinationView{}, err
	}
	if err := s.checkDeclaredRefs(ctx, &d); err != nil {
		return DestinationView{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := s.saveTx(ctx, tx, &d, destMeta{origin: OriginConsole}, true)
		tx.AfterCommit(s.changed)
		return err
	})
	if err != nil {
		return DestinationView{}, err
	}
	return s.GetDestination(ctx, d.ID)
}

// UpdateDestination replaces destination id with d (d.ID must be id or
// empty). Pending deliveries use the new URL, headers and secrets; their
// bodies, shaped when they were queued, stay as they are.
func (s *Service) UpdateDestination(ctx context.Context, id string, d Destination) (DestinationView, error) {
	if d.ID == "" {
		d.ID = id
	}
	if d.ID != id {
		return DestinationView{}, errs.Invalid("destination id %q in the body does not match %q in the path; ids cannot be renamed", d.ID, id)
	}
	if err := d.Normalize(); err != nil {
		return DestinationView{}, err
	}
	if err := s.checkDeclaredRefs(ctx, &d); err != nil {
		return DestinationView{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var origin string
		err := tx.QueryRowContext(ctx, `SELECT origin FROM relay_destinations WHERE id = ?`, id).Scan(&origin)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("destination %q not found", id)
		}
		if err != nil {
			return fmt.Errorf("update destination %s: %w", id, err)
		}
		if origin == OriginMarketplace {
			return errs.Conflict("destination %q is a marketplace install's route; change it through the install", id)
		}
		_, err = s.saveTx(ctx, tx, &d, destMeta{origin: origin}, false)
		tx.AfterCommit(s.changed)
		return err
	})
	if err != nil {
		return DestinationView{}, err
	}
	return s.GetDestination(ctx, id)
}

// DeleteDestination deletes a destination with its jobs, deliveries and
// attempt log.
func (s *Service) DeleteDestination(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM relay_destinations WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete destination %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("destination %q not found", id)
		}
		tx.AfterCommit(s.changed)
		return nil
	})
}

// SetEnabled enables or disables a destination. A disabled destination
// keeps its queued deliveries; they are sent once it is enabled again.
func (s *Service) SetEnabled(ctx context.Context, id string, enabled bool, reason string) error {
	if enabled {
		reason = ""
	} else if reason == "" {
		reason = "disabled in the console"
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE relay_destinations SET enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?`,
			boolInt(enabled), reason, store.Now(), id)
		if err != nil {
			return fmt.Errorf("enable destination %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("destination %q not found", id)
		}
		tx.AfterCommit(s.changed)
		return nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CountDestinations is a dashboard figure.
func (s *Service) CountDestinations(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM relay_destinations`).Scan(&n)
	return n, err
}

// ---- marketplace routes ----

// UserRoute is a destination made by a marketplace install for one end
// user. Imports whose user id (session metadata user_id) is UserID, of
// Importer (or of every importer when empty), are delivered to URL, and
// every delivery is counted against OwnerID's plan through the Limiter.
type UserRoute struct {
	OwnerID   string // marketplace end user id: what the Limiter counts
	UserID    string // the host app's user id (the end user's externalId); "" = OwnerID
	ListingID string
	InstallID string
	Importer  string // importer slug; "" = every importer
	URL       string
	Method    string
	Headers   map[string]string
	Batch     Batch
	Map       map[string]string
	// Send is "records" (default) or "status".
	Send string
	// UserHost says an end user's value chose the URL's host: requests go
	// through the network guard (Destination.Guarded).
	UserHost bool
}

// CreateUserRoute creates the destination of a marketplace install and
// returns its id.
func (s *Service) CreateUserRoute(ctx context.Context, r UserRoute) (string, error) {
	if r.OwnerID == "" {
		return "", errs.Invalid("user route: owner id (the marketplace end user) is required")
	}
	if r.UserID == "" {
		r.UserID = r.OwnerID
	}
	id := ids.New("route-")
	if r.InstallID != "" {
		id = "route-" + sanitizeID(r.InstallID)
	}
	d := Destination{ID: id, Importer: r.Importer, Send: r.Send, URL: r.URL, Method: r.Method, Headers: r.Headers, Batch: r.Batch, Map: r.Map, Guarded: r.UserHost}
	if err := d.Normalize(); err != nil {
		return "", err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		meta := destMeta{origin: OriginMarketplace, ownerID: r.OwnerID, matchUserID: r.UserID, listingID: r.ListingID, installID: r.InstallID}
		// The same install asking again (a re-run workflow) updates its
		// route instead of failing.
		var install, origin string
		err := tx.QueryRowContext(ctx, `SELECT install_id, origin FROM relay_destinations WHERE id = ?`, id).Scan(&install, &origin)
		again := err == nil && origin == OriginMarketplace && r.InstallID != "" && install == r.InstallID
		if _, err := s.saveTx(ctx, tx, &d, meta, !again); err != nil {
			return err
		}
		if again {
			if _, err := tx.ExecContext(ctx, `UPDATE relay_destinations SET owner_id = ?, match_user_id = ?, listing_id = ? WHERE id = ?`,
				r.OwnerID, r.UserID, r.ListingID, id); err != nil {
				return fmt.Errorf("update route %s: %w", id, err)
			}
		}
		tx.AfterCommit(s.changed)
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 90 {
			break
		}
	}
	return b.String()
}

// DeleteUserRoute deletes the destination of a marketplace install.
func (s *Service) DeleteUserRoute(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM relay_destinations WHERE id = ? AND origin = ?`, id, OriginMarketplace)
		if err != nil {
			return fmt.Errorf("delete route %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("marketplace route %q not found", id)
		}
		tx.AfterCommit(s.changed)
		return nil
	})
}

// SetUserRouteEnabled pauses or resumes the destination of an install.
func (s *Service) SetUserRouteEnabled(ctx context.Context, id string, enabled bool) error {
	var origin string
	err := s.db.Read.QueryRowContext(ctx, `SELECT origin FROM relay_destinations WHERE id = ?`, id).Scan(&origin)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && origin != OriginMarketplace) {
		return errs.NotFound("marketplace route %q not found", id)
	}
	if err != nil {
		return fmt.Errorf("enable route %s: %w", id, err)
	}
	return s.SetEnabled(ctx, id, enabled, "paused by the marketplace install")
}
