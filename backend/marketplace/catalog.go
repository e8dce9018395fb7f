package marketplace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Plans lists the plans in their configured order.
func (s *Service) Plans(ctx context.Context) ([]Plan, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT name, is_default, max_integrations, max_transactions, allowed_actions, upgrade_message
		FROM marketplace_plans ORDER BY position, name`)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	defer rows.Close()
	out := []Plan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanPlan(row scanner) (Plan, error) {
	var p Plan
	var actions string
	if err := row.Scan(&p.Name, &p.Default, &p.MaxIntegrations, &p.MaxTransactions, &actions, &p.UpgradeMessage); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(actions), &p.AllowedActions); err != nil {
		return p, fmt.Errorf("plan %s: allowed_actions is not a JSON array: %w", p.Name, err)
	}
	if p.AllowedActions == nil {
		p.AllowedActions = []string{}
	}
	return p, nil
}

// planFor resolves a plan name: the plan of that name, else the default
// plan (ok false), else the implicit unlimited plan when none exist.
func planFor(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, name string) (Plan, bool, error) {
	const cols = `SELECT name, is_default, max_integrations, max_transactions, allowed_actions, upgrade_message FROM marketplace_plans`
	if name != "" {
		p, err := scanPlan(q.QueryRowContext(ctx, cols+` WHERE lower(name) = lower(?)`, name))
		if err == nil {
			return p, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return p, false, fmt.Errorf("read plan %s: %w", name, err)
		}
	}
	p, err := scanPlan(q.QueryRowContext(ctx, cols+` WHERE is_default = 1 ORDER BY position LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return implicitPlan, name == "", nil
	}
	if err != nil {
		return p, false, fmt.Errorf("read default plan: %w", err)
	}
	return p, name == "", nil
}

// SavePlan creates or replaces one plan. A plan saved as default takes the
// default from the others.
func (s *Service) SavePlan(ctx context.Context, p Plan) (Plan, error) {
	if err := normalizePlan(&p, "plan"); err != nil {
		return Plan{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var n, defaults int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(is_default), 0) FROM marketplace_plans WHERE lower(name) <> lower(?)`, p.Name).Scan(&n, &defaults); err != nil {
			return fmt.Errorf("count plans: %w", err)
		}
		if !p.Default && defaults == 0 {
			if n > 0 {
				return errs.Invalid("plan %q: it is the default plan; make another plan the default first", p.Name)
			}
			p.Default = true // the first plan is the default
		}
		if p.Default {
			if _, err := tx.ExecContext(ctx, `UPDATE marketplace_plans SET is_default = 0 WHERE lower(name) <> lower(?)`, p.Name); err != nil {
				return fmt.Errorf("clear default plan: %w", err)
			}
		}
		var pos int
		err := tx.QueryRowContext(ctx, `SELECT position FROM marketplace_plans WHERE lower(name) = lower(?)`, p.Name).Scan(&pos)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT coalesce(max(position), -1) + 1 FROM marketplace_plans`).Scan(&pos)
		}
		if err != nil {
			return fmt.Errorf("plan position: %w", err)
		}
		_, err = upsertPlan(ctx, tx, p, pos)
		return err
	})
	return p, err
}

// upsertPlan writes p at position pos and reports created/updated/"".
func upsertPlan(ctx context.Context, tx *store.Tx, p Plan, pos int) (string, error) {
	actions, _ := json.Marshal(p.AllowedActions)
	old, err := scanPlan(tx.QueryRowContext(ctx, `SELECT name, is_default, max_integrations, max_transactions, allowed_actions, upgrade_message FROM marketplace_plans WHERE lower(name) = lower(?)`, p.Name))
	var oldPos int
	action := "created"
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return "", fmt.Errorf("read plan %s: %w", p.Name, err)
	default:
		action = "updated"
		if err := tx.QueryRowContext(ctx, `SELECT position FROM marketplace_plans WHERE name = ?`, old.Name).Scan(&oldPos); err != nil {
			return "", fmt.Errorf("read plan %s: %w", p.Name, err)
		}
		if old.Name == p.Name && old.Default == p.Default && old.MaxIntegrations == p.MaxIntegrations && old.MaxTransactions == p.MaxTransactions &&
			slices.Equal(old.AllowedActions, p.AllowedActions) && old.UpgradeMessage == p.UpgradeMessage && oldPos == pos {
			return "", nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM marketplace_plans WHERE name = ?`, old.Name); err != nil {
			return "", fmt.Errorf("replace plan %s: %w", p.Name, err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO marketplace_plans (name, position, is_default, max_integrations, max_transactions, allowed_actions, upgrade_message, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.Name, pos, p.Default, p.MaxIntegrations, p.MaxTransactions, string(actions), p.UpgradeMessage, store.Now())
	if err != nil {
		return "", fmt.Errorf("save plan %s: %w", p.Name, err)
	}
	return action, nil
}

// DeletePlan removes a plan that is not the default. Users on it fall back
// to the default plan.
func (s *Service) DeletePlan(ctx context.Context, name string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		p, err := scanPlan(tx.QueryRowContext(ctx, `SELECT name, is_default, max_integrations, max_transactions, allowed_actions, upgrade_message FROM marketplace_plans WHERE lower(name) = lower(?)`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("no plan named %q", name)
		}
		if err != nil {
			return fmt.Errorf("read plan %s: %w", name, err)
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM marketplace_plans WHERE name <> ?`, p.Name).Scan(&others); err != nil {
			return fmt.Errorf("count plans: %w", err)
		}
		if p.Default && others > 0 {
			return errs.Conflict("plan %q is the default plan; make another plan the default before deleting it", p.Name)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM marketplace_plans WHERE name = ?`, p.Name)
		return err
	})
}

// Listings lists the catalog in its configured order.
func (s *Service) Listings(ctx context.Context) ([]Listing, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT spec FROM marketplace_listings ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list listings: %w", err)
	}
	defer rows.Close()
	out := []Listing{}
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			return nil, fmt.Errorf("list listings: %w", err)
		}
		l, err := decodeListing(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func decodeListing(spec string) (Listing, error) {
	var l Listing
	if err := json.Unmarshal([]byte(spec), &l); err != nil {
		return l, fmt.Errorf("stored listing is not valid JSON: %w", err)
	}
	return l, nil
}

// Listing returns one listing.
func (s *Service) Listing(ctx context.Context, id string) (Listing, error) {
	var spec string
	err := s.db.Read.QueryRowContext(ctx, `SELECT spec FROM marketplace_listings WHERE id = ?`, id).Scan(&spec)
	if errors.Is(err, sql.ErrNoRows) {
		return Listing{}, errs.NotFound("no listing %q in the catalog", id)
	}
	if err != nil {
		return Listing{}, fmt.Errorf("read listing %s: %w", id, err)
	}
	return decodeListing(spec)
}

// SearchListings filters the catalog by category (exact, case-insensitive)
// and a free-text query over name, summary, category and description.
func (s *Service) SearchListings(ctx context.Context, query, category string) ([]Listing, error) {
	all, err := s.Listings(ctx)
	if err != nil {
		return nil, err
	}
	terms := strings.Fields(strings.ToLower(query))
	out := []Listing{}
	for _, l := range all {
		if category != "" && !strings.EqualFold(l.Category, category) {
			continue
		}
		hay := strings.ToLower(l.Name + " " + l.Summary + " " + l.Category + " " + l.Description + " " + l.ConnectorID)
		ok := true
		for _, t := range terms {
			if !strings.Contains(hay, t) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out, nil
}

// Categories lists the distinct categories with their listing counts.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT category, count(*) FROM marketplace_listings WHERE category <> '' GROUP BY category ORDER BY category`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.Name, &c.Count); err != nil {
			return nil, fmt.Errorf("list categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Category is a catalog category and how many listings it has.
type Category struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// SaveListing validates and creates or replaces one listing.
func (s *Service) SaveListing(ctx context.Context, l Listing) (Listing, error) {
	if err := normalizeListing(&l, "listing"); err != nil {
		return Listing{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var pos int
		err := tx.QueryRowContext(ctx, `SELECT position FROM marketplace_listings WHERE id = ?`, l.ID).Scan(&pos)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT coalesce(max(position), -1) + 1 FROM marketplace_listings`).Scan(&pos)
		}
		if err != nil {
			return fmt.Errorf("listing position: %w", err)
		}
		_, err = upsertListing(ctx, tx, l, pos)
		return err
	})
	return l, err
}

func upsertListing(ctx context.Context, tx *store.Tx, l Listing, pos int) (string, error) {
	spec, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("encode listing %s: %w", l.ID, err)
	}
	var oldSpec string
	var oldPos int
	err = tx.QueryRowContext(ctx, `SELECT spec, position FROM marketplace_listings WHERE id = ?`, l.ID).Scan(&oldSpec, &oldPos)
	action := "created"
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return "", fmt.Errorf("read listing %s: %w", l.ID, err)
	case oldSpec == string(spec) && oldPos == pos:
		return "", nil
	default:
		action = "updated"
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO marketplace_listings (id, position, name, category, spec, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET position = excluded.position, name = excluded.name, category = excluded.category, spec = excluded.spec, updated_at = excluded.updated_at`,
		l.ID, pos, l.Name, l.Category, string(spec), store.Now())
	if err != nil {
		return "", fmt.Errorf("save listing %s: %w", l.ID, err)
	}
	return action, nil
}

// DeleteListing removes a listing from the catalog. Existing installs stay
// (they keep the listing's name) until their users uninstall them.
func (s *Service) DeleteListing(ctx context.Context, id string) error {
	res, err := s.db.Write.ExecContext(ctx, `DELETE FROM marketplace_listings WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete listing %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFound("no listing %q in the catalog", id)
	}
	return nil
}
