package marketplace

import (
	"context"
	"fmt"
	"regexp"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// SectionSpec is the `marketplace:` section of the workspace file.
type SectionSpec struct {
	OrgID            string   `yaml:"org_id,omitempty" json:"org_id,omitempty"`
	Title            string   `yaml:"title,omitempty" json:"title,omitempty"`
	EmbedOrigins     []string `yaml:"embed_origins,omitempty" json:"embed_origins,omitempty"`
	TokenLeeway      string   `yaml:"token_leeway,omitempty" json:"token_leeway,omitempty"`
	TokenMaxLifetime string   `yaml:"token_max_lifetime,omitempty" json:"token_max_lifetime,omitempty"`
	// AllowedHosts lets URLs built from end users' values reach these
	// hosts although they resolve to internal addresses.
	AllowedHosts []string  `yaml:"allowed_hosts,omitempty" json:"allowed_hosts,omitempty"`
	Plans        []Plan    `yaml:"plans,omitempty" json:"plans,omitempty"`
	Listings     []Listing `yaml:"listings,omitempty" json:"listings,omitempty"`
}

// Section is the workspace file section `marketplace:`. The section is the
// whole marketplace configuration: plans and listings missing from it are
// deleted when it is applied. Secrets are never part of it.
type Section struct{ s *Service }

// Section returns the workspace section of this service.
func (s *Service) Section() Section { return Section{s: s} }

func (Section) Key() string { return "marketplace" }

// Load decodes and validates the section; nothing is written until the
// returned func runs.
func (sec Section) Load(decode func(v any) error) (func(ctx context.Context) ([]string, error), error) {
	var spec SectionSpec
	if err := decode(&spec); err != nil {
		return nil, err
	}
	st := Settings{OrgID: spec.OrgID, Title: spec.Title, EmbedOrigins: spec.EmbedOrigins, TokenLeeway: spec.TokenLeeway, TokenMaxLifetime: spec.TokenMaxLifetime, AllowedHosts: spec.AllowedHosts}
	if err := normalizeSettings(&st, "marketplace."); err != nil {
		return nil, err
	}
	if err := normalizePlans(spec.Plans, "marketplace.plans"); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for i := range spec.Listings {
		path := fmt.Sprintf("marketplace.listings[%d]", i)
		if err := normalizeListing(&spec.Listings[i], path); err != nil {
			return nil, err
		}
		if ids[spec.Listings[i].ID] {
			return nil, errs.Invalid("%s.id: listing %q appears twice", path, spec.Listings[i].ID)
		}
		ids[spec.Listings[i].ID] = true
	}
	return func(ctx context.Context) ([]string, error) {
		var changes []string
		err := sec.s.db.Tx(ctx, func(tx *store.Tx) error {
			changes = nil
			changed, err := writeSettings(ctx, tx, &st)
			if err != nil {
				return err
			}
			if changed {
				changes = append(changes, "updated marketplace settings")
			}
			// Plans: delete the ones no longer named, then upsert in order.
			keep := map[string]bool{}
			for _, p := range spec.Plans {
				keep[p.Name] = true
			}
			dropped, err := deleteMissing(ctx, tx, `SELECT name FROM marketplace_plans`, `DELETE FROM marketplace_plans WHERE name = ?`, keep)
			if err != nil {
				return err
			}
			for _, n := range dropped {
				changes = append(changes, "deleted marketplace plan "+n)
			}
			for i, p := range spec.Plans {
				action, err := upsertPlan(ctx, tx, p, i)
				if err != nil {
					return err
				}
				if action != "" {
					changes = append(changes, action+" marketplace plan "+p.Name)
				}
			}
			dropped, err = deleteMissing(ctx, tx, `SELECT id FROM marketplace_listings`, `DELETE FROM marketplace_listings WHERE id = ?`, ids)
			if err != nil {
				return err
			}
			for _, n := range dropped {
				changes = append(changes, "deleted marketplace listing "+n)
			}
			for i, l := range spec.Listings {
				action, err := upsertListing(ctx, tx, l, i)
				if err != nil {
					return err
				}
				if action != "" {
					changes = append(changes, action+" marketplace listing "+l.ID)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return changes, nil
	}, nil
}

func deleteMissing(ctx context.Context, tx *store.Tx, list, del string, keep map[string]bool) ([]string, error) {
	rows, err := tx.QueryContext(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("list for cleanup: %w", err)
	}
	var drop []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		if !keep[k] {
			drop = append(drop, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range drop {
		if _, err := tx.ExecContext(ctx, del, k); err != nil {
			return nil, fmt.Errorf("delete %s: %w", k, err)
		}
	}
	return drop, nil
}

// generatedOrgID is the shape of an org id Fusebox made up itself (not
// one a workspace file or the console chose).
var generatedOrgID = regexp.MustCompile(`^org_[0-9a-f]{16}$`)

// Holds reports whether the data dir holds any marketplace configuration
// of its own: a plan, a listing, a signing secret, an org id that was
// chosen rather than generated, or a setting changed from its default
// (the workspace never applies the demo over one).
func (sec Section) Holds(ctx context.Context) (bool, error) {
	var n int64
	err := sec.s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM marketplace_plans LIMIT 1) AS x) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM marketplace_listings LIMIT 1) AS x) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM marketplace_secrets LIMIT 1) AS x)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count marketplace plans, listings and secrets: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	rows, err := sec.s.db.Read.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?, ?, ?)`,
		keyOrgID, keyTitle, keyOrigins, keyLeeway, keyMaxLifetime, keyAllowedHosts)
	if err != nil {
		return false, fmt.Errorf("read marketplace settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return false, fmt.Errorf("read marketplace settings: %w", err)
		}
		if k == keyOrgID {
			if v != "" && !generatedOrgID.MatchString(v) {
				return true, nil
			}
			continue
		}
		if v != settingDefault(k) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// Export returns the section as it is stored, with the org id (generated
// if there was none) so that apply -> export -> apply changes nothing.
func (sec Section) Export(ctx context.Context) (any, error) {
	st, err := sec.s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	plans, err := sec.s.Plans(ctx)
	if err != nil {
		return nil, err
	}
	listings, err := sec.s.Listings(ctx)
	if err != nil {
		return nil, err
	}
	return SectionSpec{
		OrgID: st.OrgID, Title: st.Title, EmbedOrigins: st.EmbedOrigins,
		TokenLeeway: st.TokenLeeway, TokenMaxLifetime: st.TokenMaxLifetime, AllowedHosts: st.AllowedHosts,
		Plans: plans, Listings: listings,
	}, nil
}
