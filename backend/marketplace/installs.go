package marketplace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// Install statuses.
const (
	StatusRunning   = "running"
	StatusInstalled = "installed"
	StatusFailed    = "failed"
	StatusRemoved   = "removed"
)

// Install is one install of a listing by an end user.
type Install struct {
	ID            string            `json:"id"`
	EndUserID     string            `json:"end_user_id"`
	ExternalID    string            `json:"external_id,omitempty"`
	ListingID     string            `json:"listing_id"`
	ListingName   string            `json:"listing_name"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Enabled       bool              `json:"enabled"`
	Config        map[string]string `json:"config"`
	DestinationID string            `json:"destination_id"`
	Error         string            `json:"error"`
	CreatedAt     string            `json:"created_at"`
	UpdatedAt     string            `json:"updated_at"`
	Steps         []StepResult      `json:"steps,omitempty"`
}

// StepResult is the recorded result of one workflow step.
type StepResult struct {
	Position   int    `json:"position"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Status     string `json:"status"` // pending | running | ok | failed | skipped
	Detail     string `json:"detail"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
}

// PublicListing is a listing as end users see it: the workflow only as
// step names, never its URLs or headers.
type PublicListing struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Category     string        `json:"category"`
	Logo         string        `json:"logo"`
	Summary      string        `json:"summary"`
	Description  string        `json:"description"`
	ConnectorID  string        `json:"connector_id"`
	ConfigFields []ConfigField `json:"config_fields"`
	Steps        []PublicStep  `json:"steps"`
}

// PublicStep names a workflow step.
type PublicStep struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Public returns the end-user view of l.
func (l Listing) Public() PublicListing {
	p := PublicListing{ID: l.ID, Name: l.Name, Category: l.Category, Logo: l.Logo, Summary: l.Summary, Description: l.Description,
		ConnectorID: l.ConnectorID, ConfigFields: l.ConfigFields, Steps: []PublicStep{}}
	if p.ConfigFields == nil {
		p.ConfigFields = []ConfigField{}
	}
	for _, st := range l.Workflow {
		p.Steps = append(p.Steps, PublicStep{Kind: st.Kind, Name: st.Name})
	}
	return p
}

// Prefill is what a session brings to a listing's install wizard from the
// token's connection claims.
type Prefill struct {
	// Values are the prefilled non-secret values.
	Values map[string]string `json:"values"`
	// Secrets names the secret fields the host app provided; their values
	// stay on the server.
	Secrets []string `json:"secrets"`
	// Name is the install name the connectionName claim suggests.
	Name string `json:"name"`
	// Locked is true when the plan does not allow customize: values that
	// are prefilled or have a default cannot be changed.
	Locked bool `json:"locked"`
}

// PrefillFor returns the wizard's prefill for sess and l.
func (s *Service) PrefillFor(sess Session, l Listing) Prefill {
	all := prefillValues(l, sess.connection)
	p := Prefill{Values: map[string]string{}, Secrets: []string{}, Locked: !sess.Plan.Allows(ActionCustomize)}
	for _, f := range l.ConfigFields {
		v, ok := all[f.Name]
		if !ok {
			continue
		}
		if f.Secret {
			p.Secrets = append(p.Secrets, f.Name)
		} else {
			p.Values[f.Name] = v
		}
	}
	if n, ok := sess.connection["connectionName"].(string); ok && connectorMatches(l, sess.connection) {
		p.Name = n
	}
	return p
}

// connectorMatches reports whether a token's connection claims are for
// listing l: they name no connectorId (generic), or l's connector.
func connectorMatches(l Listing, conn map[string]any) bool {
	cid, _ := conn["connectorId"].(string)
	return cid == "" || cid == l.ConnectorID
}

// prefillValues are the connection claims that name config fields
// (directly or through the listing's connection_fields), when the token's
// connectorId (if any) is this listing's connector.
func prefillValues(l Listing, conn map[string]any) map[string]string {
	out := map[string]string{}
	if len(conn) == 0 || !connectorMatches(l, conn) {
		return out
	}
	set := func(field string, claim any) {
		switch v := claim.(type) {
		case string:
			out[field] = v
		case float64, bool, json.Number:
			out[field] = fmt.Sprint(v)
		}
	}
	// Claims named through connection_fields first, so that a claim
	// spelled exactly as the field wins over an alias.
	for _, claim := range slices.Sorted(maps.Keys(l.ConnectionFields)) {
		set(l.ConnectionFields[claim], conn[claim])
	}
	for _, f := range l.ConfigFields {
		set(f.Name, conn[f.Name])
	}
	return out
}

// InstallRequest is what the wizard submits.
type InstallRequest struct {
	ListingID string            `json:"listing_id"`
	Name      string            `json:"name"`
	Config    map[string]string `json:"config"`
	// BaseURL is this Fusebox's URL as the iframe reached it, for the
	// {{fusebox.base_url}} placeholder.
	BaseURL string `json:"-"`
}

// job is an install waiting for the worker.
type job struct {
	install Install
	listing Listing
	user    EndUser
	values  map[string]string // every config value, secrets included
	secrets []string          // secret values, redacted from step details
	baseURL string
}

// StartInstall checks the plan (install allowed, customize, number of
// integrations), resolves the config values (submitted, else prefilled
// from the token, else the default), records the install as running and
// queues its workflow. The returned install has its steps pending.
func (s *Service) StartInstall(ctx context.Context, sess Session, req InstallRequest) (_ Install, err error) {
	defer func() { s.noteLimitHit(ctx, sess, req.ListingID, err) }()
	l, err := s.Listing(ctx, req.ListingID)
	if err != nil {
		return Install{}, err
	}
	plan := sess.Plan
	if !plan.Allows(ActionInstall) {
		return Install{}, limitErr(plan, fmt.Sprintf("the %s plan does not include installing integrations", plan.Name))
	}
	pre := prefillValues(l, sess.connection)
	values := map[string]string{}
	secretVals := map[string]string{}
	plain := map[string]string{}
	var secrets []string
	known := map[string]bool{}
	for _, f := range l.ConfigFields {
		known[f.Name] = true
		given, sent := req.Config[f.Name]
		given = strings.TrimSpace(given)
		base, hasBase := pre[f.Name]
		if !hasBase && f.Default != "" {
			base, hasBase = f.Default, true
		}
		v := given
		if !sent || given == "" {
			v = base
		} else if hasBase && given != base && !plan.Allows(ActionCustomize) {
			return Install{}, limitErr(plan, fmt.Sprintf("the %s plan does not allow changing %s from its preset value", plan.Name, f.Label))
		}
		if v == "" {
			if f.Required {
				return Install{}, errs.Invalid("%s is required", f.Label)
			}
			continue
		}
		if err := checkFieldValue(f, v); err != nil {
			return Install{}, errs.Invalid("%s: %s", f.Label, errs.Message(err))
		}
		values[f.Name] = v
		if f.Secret {
			secretVals[f.Name] = v
			if len(v) >= 4 {
				secrets = append(secrets, v)
			}
		} else {
			plain[f.Name] = v
		}
	}
	for k := range req.Config {
		if !known[k] {
			return Install{}, errs.Invalid("config: %q is not a field of listing %s", k, l.ID)
		}
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		name = s.PrefillFor(sess, l).Name
	}
	if name == "" {
		name = l.Name
	}
	if len(name) > 100 {
		return Install{}, errs.Invalid("name: longer than 100 characters")
	}
	now := s.stamp()
	inst := Install{ID: ids.New("inst_"), EndUserID: sess.User.ID, ListingID: l.ID, ListingName: l.Name, Name: name,
		Status: StatusRunning, Enabled: true, Config: plain, CreatedAt: now, UpdatedAt: now}
	cfg, _ := json.Marshal(plain)
	sealed := ""
	if len(secretVals) > 0 {
		b, _ := json.Marshal(secretVals)
		if sealed, err = s.seal.seal(ctx, b, "marketplace install "+inst.ID); err != nil {
			return Install{}, fmt.Errorf("seal install secrets: %w", err)
		}
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM marketplace_installs WHERE end_user_id = ? AND status IN ('running', 'installed')`, sess.User.ID).Scan(&n); err != nil {
			return fmt.Errorf("count installs: %w", err)
		}
		if plan.MaxIntegrations > 0 && n >= plan.MaxIntegrations {
			return limitErr(plan, fmt.Sprintf("the %s plan allows %d integration%s and you have %d", plan.Name, plan.MaxIntegrations, plural(plan.MaxIntegrations), n))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO marketplace_installs (id, end_user_id, listing_id, listing_name, name, status, enabled, config, secrets, base_url, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`, inst.ID, inst.EndUserID, l.ID, l.Name, name, StatusRunning, string(cfg), sealed, req.BaseURL, now, now); err != nil {
			return fmt.Errorf("create install: %w", err)
		}
		for i, st := range l.Workflow {
			if _, err := tx.ExecContext(ctx, `INSERT INTO marketplace_install_steps (install_id, position, kind, name, status) VALUES (?, ?, ?, ?, 'pending')`,
				inst.ID, i, st.Kind, st.Name); err != nil {
				return fmt.Errorf("create install steps: %w", err)
			}
			inst.Steps = append(inst.Steps, StepResult{Position: i, Kind: st.Kind, Name: st.Name, Status: "pending"})
		}
		return nil
	})
	if err != nil {
		return Install{}, err
	}
	j := &job{install: inst, listing: l, user: sess.User, values: values, secrets: secrets, baseURL: req.BaseURL}
	select {
	case s.jobs <- j:
	default:
		s.finishInstall(context.WithoutCancel(ctx), j, StatusFailed, "too many installs are running at once; try again in a moment")
		inst.Status, inst.Error = StatusFailed, "too many installs are running at once; try again in a moment"
	}
	return inst, nil
}

// InstallSecret returns the value of the secret config field name of
// install installID, opened from its sealed credentials. The relay calls it
// at send time for {{ install_secret "name" }} in the install's route, so
// the value is never stored in plaintext. A removed install, or a field
// the install did not set, is an errs.NotFound error.
func (s *Service) InstallSecret(ctx context.Context, installID, name string) (string, error) {
	var status, sealed string
	err := s.db.Read.QueryRowContext(ctx, `SELECT status, secrets FROM marketplace_installs WHERE id = ?`, installID).Scan(&status, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound("install %s does not exist", installID)
	}
	if err != nil {
		return "", fmt.Errorf("read install %s: %w", installID, err)
	}
	if status == StatusRemoved {
		return "", errs.NotFound("install %s was removed", installID)
	}
	if sealed == "" {
		return "", errs.NotFound("install %s has no value for the secret field %s", installID, name)
	}
	vals, err := s.openInstallSecrets(ctx, installID, sealed)
	if err != nil {
		return "", err
	}
	v, ok := vals[name]
	if !ok {
		return "", errs.NotFound("install %s has no value for the secret field %s", installID, name)
	}
	return v, nil
}

// InstallSecretValues returns the secret config values of every install
// that is not removed and was made at or before madeBy, each with its
// field name (it opens only those: a view of older requests needs none of
// the installs made since). The relay masks them in
// the sink's recordings: on a team server the replica that sent a value
// is often not the one whose console shows the sink. An install whose
// secrets cannot be opened is skipped (the console then shows what the
// credential-header rules mask) and the error is returned beside the rest.
func (s *Service) InstallSecretValues(ctx context.Context, madeBy time.Time) ([][2]string, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, secrets FROM marketplace_installs WHERE status <> ? AND secrets <> '' AND created_at <= ?`,
		StatusRemoved, store.FormatTime(madeBy))
	if err != nil {
		return nil, fmt.Errorf("read install secrets: %w", err)
	}
	type sealedRow struct{ id, sealed string }
	var sealed []sealedRow
	for rows.Next() {
		var r sealedRow
		if err := rows.Scan(&r.id, &r.sealed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read install secrets: %w", err)
		}
		sealed = append(sealed, r)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read install secrets: %w", err)
	}
	var out [][2]string
	var firstErr error
	for _, r := range sealed {
		vals, err := s.openInstallSecrets(ctx, r.id, r.sealed)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for name, v := range vals {
			out = append(out, [2]string{v, name})
		}
	}
	return out, firstErr
}

// openInstallSecrets opens the sealed secret config values of install id.
func (s *Service) openInstallSecrets(ctx context.Context, id, sealed string) (map[string]string, error) {
	plain, err := s.seal.open(ctx, sealed, "marketplace install "+id)
	if err != nil {
		return nil, errs.Unavailable("install %s: %v", id, err)
	}
	var vals map[string]string
	if err := json.Unmarshal(plain, &vals); err != nil {
		return nil, fmt.Errorf("install %s: sealed credentials are not JSON: %w", id, err)
	}
	return vals, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// limitErr is a plan limit: the plan's upgrade message first, then what
// the limit is.
func limitErr(p Plan, detail string) error {
	if p.UpgradeMessage == "" {
		return errs.Limit("%s.", upperFirst(detail))
	}
	return errs.Limit("%s (%s)", p.UpgradeMessage, detail)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

const installCols = `i.id, i.end_user_id, u.external_id, i.listing_id, i.listing_name, i.name, i.status, i.enabled, i.config, i.destination_id, i.error, i.created_at, i.updated_at`

func scanInstall(row scanner) (Install, error) {
	var in Install
	var cfg string
	if err := row.Scan(&in.ID, &in.EndUserID, &in.ExternalID, &in.ListingID, &in.ListingName, &in.Name, &in.Status, &in.Enabled, &cfg,
		&in.DestinationID, &in.Error, &in.CreatedAt, &in.UpdatedAt); err != nil {
		return in, err
	}
	if err := json.Unmarshal([]byte(cfg), &in.Config); err != nil {
		return in, fmt.Errorf("install %s: config is not JSON: %w", in.ID, err)
	}
	return in, nil
}

// InstallFilter selects installs; zero values select all.
type InstallFilter struct {
	EndUserID string
	ListingID string
	// Plan keeps installs by end users on this plan (their plan now, as
	// the dashboard counts them).
	Plan           string
	IncludeRemoved bool
	// From and To, when set, keep installs created in [From, To).
	From, To time.Time
	Limit    int
}

// Installs lists installs, newest first.
func (s *Service) Installs(ctx context.Context, f InstallFilter) ([]Install, error) {
	q := `SELECT ` + installCols + ` FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id WHERE 1 = 1`
	var args []any
	if f.EndUserID != "" {
		q += ` AND i.end_user_id = ?`
		args = append(args, f.EndUserID)
	}
	if f.ListingID != "" {
		q += ` AND i.listing_id = ?`
		args = append(args, f.ListingID)
	}
	if f.Plan != "" {
		q += ` AND u.plan = ?`
		args = append(args, f.Plan)
	}
	if !f.From.IsZero() {
		q += ` AND i.created_at >= ?`
		args = append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND i.created_at < ?`
		args = append(args, store.FormatTime(f.To))
	}
	if !f.IncludeRemoved {
		q += ` AND i.status <> 'removed'`
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	q += ` ORDER BY i.created_at DESC, i.id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list installs: %w", err)
	}
	defer rows.Close()
	out := []Install{}
	for rows.Next() {
		in, err := scanInstall(rows)
		if err != nil {
			return nil, fmt.Errorf("list installs: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Install returns one install with its step log. A non-empty endUserID
// restricts it to that user's installs.
func (s *Service) Install(ctx context.Context, endUserID, id string) (Install, error) {
	in, err := scanInstall(s.db.Read.QueryRowContext(ctx, `SELECT `+installCols+` FROM marketplace_installs i JOIN marketplace_end_users u ON u.id = i.end_user_id WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && endUserID != "" && in.EndUserID != endUserID {
		return Install{}, errs.NotFound("no install %q", id)
	}
	if err != nil {
		return Install{}, fmt.Errorf("read install %s: %w", id, err)
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT position, kind, name, status, detail, started_at, finished_at FROM marketplace_install_steps WHERE install_id = ? ORDER BY position`, id)
	if err != nil {
		return Install{}, fmt.Errorf("read install steps: %w", err)
	}
	defer rows.Close()
	in.Steps = []StepResult{}
	for rows.Next() {
		var st StepResult
		if err := rows.Scan(&st.Position, &st.Kind, &st.Name, &st.Status, &st.Detail, &st.StartedAt, &st.FinishedAt); err != nil {
			return Install{}, fmt.Errorf("read install steps: %w", err)
		}
		in.Steps = append(in.Steps, st)
	}
	return in, rows.Err()
}

// SetInstallEnabled pauses or resumes an installed integration (and its
// relay route).
func (s *Service) SetInstallEnabled(ctx context.Context, endUserID, id string, enabled bool) (Install, error) {
	in, err := s.Install(ctx, endUserID, id)
	if err != nil {
		return Install{}, err
	}
	if in.Status != StatusInstalled {
		return Install{}, errs.Conflict("install %s is %s; only installed integrations can be enabled or disabled", id, in.Status)
	}
	if in.Enabled == enabled {
		return in, nil
	}
	if in.DestinationID != "" {
		if s.routes == nil {
			return Install{}, errs.Unavailable("relay not available: this Fusebox has no relay connected, so the route of install %s cannot be changed", id)
		}
		if err := s.routes.SetUserRouteEnabled(ctx, in.DestinationID, enabled); err != nil {
			return Install{}, fmt.Errorf("set relay route %s enabled=%v: %w", in.DestinationID, enabled, err)
		}
	}
	in.Enabled, in.UpdatedAt = enabled, s.stamp()
	if _, err := s.db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET enabled = ?, updated_at = ? WHERE id = ?`, enabled, in.UpdatedAt, id); err != nil {
		return Install{}, fmt.Errorf("update install %s: %w", id, err)
	}
	return in, nil
}

// Uninstall removes an install: its relay route is deleted, its stored
// credentials dropped, and it no longer counts against the plan.
func (s *Service) Uninstall(ctx context.Context, endUserID, id string) (Install, error) {
	in, err := s.Install(ctx, endUserID, id)
	if err != nil {
		return Install{}, err
	}
	switch in.Status {
	case StatusRunning:
		return Install{}, errs.Conflict("install %s is still running its workflow; wait for it to finish", id)
	case StatusRemoved:
		return in, nil
	}
	if in.DestinationID != "" {
		if s.routes == nil {
			return Install{}, errs.Unavailable("relay not available: this Fusebox has no relay connected, so the route of install %s cannot be deleted", id)
		}
		if err := s.routes.DeleteUserRoute(ctx, in.DestinationID); err != nil && !errs.Is(err, errs.ENOTFOUND) {
			return Install{}, fmt.Errorf("delete relay route %s: %w", in.DestinationID, err)
		}
	}
	in.Status, in.Enabled, in.UpdatedAt = StatusRemoved, false, s.stamp()
	if _, err := s.db.Write.ExecContext(ctx, `UPDATE marketplace_installs SET status = 'removed', enabled = 0, secrets = '', updated_at = ? WHERE id = ?`, in.UpdatedAt, id); err != nil {
		return Install{}, fmt.Errorf("update install %s: %w", id, err)
	}
	return in, nil
}
