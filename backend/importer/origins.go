package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Refused origins: host page origins that asked to embed an importer and
// were not allowed to (GET /api/v1/embed/check). The console lists them
// per importer with "Allow this origin". The list is bounded: at most
// MaxRefusedOrigins per importer, the most recently seen kept, so no
// caller can grow it; the HTTP layer also rate-limits the calls that
// record.

// MaxRefusedOrigins is how many refused origins are kept per importer.
const MaxRefusedOrigins = 20

// RefusedOrigin is one origin refused for an importer.
type RefusedOrigin struct {
	Origin    string    `json:"origin"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// RecordRefusedOrigin counts a refusal of origin for the importer slug at
// now. origin must be a canonical origin (schema.CanonicalOrigin). An
// origin not yet listed is added only when addNew is set (the caller's
// rate limit), pushing out the least recently seen past
// MaxRefusedOrigins. It reports whether the origin was added. An unknown
// importer is ENOTFOUND and records nothing.
func (s *Service) RecordRefusedOrigin(ctx context.Context, slug, origin string, now time.Time, addNew bool) (bool, error) {
	if origin == "" || schema.CanonicalOrigin(origin) != origin {
		return false, errs.Invalid("refused origin %q is not a canonical origin (scheme://host[:port])", origin)
	}
	at := store.FormatTime(now)
	added := false
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM importers WHERE slug = ?`, slug).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("importer %q not found", slug)
		}
		if err != nil {
			return fmt.Errorf("record refused origin: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE importer_refused_origins SET count = count + 1, last_seen = ? WHERE importer_id = ? AND origin = ?`, at, id, origin)
		if err != nil {
			return fmt.Errorf("record refused origin: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 || !addNew {
			return nil
		}
		added = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO importer_refused_origins (importer_id, origin, count, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)`, id, origin, at, at); err != nil {
			return fmt.Errorf("record refused origin: %w", err)
		}
		// Keep the most recently seen MaxRefusedOrigins.
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_refused_origins WHERE importer_id = ? AND origin NOT IN (
			SELECT origin FROM importer_refused_origins WHERE importer_id = ? ORDER BY last_seen DESC, origin LIMIT ?)`, id, id, MaxRefusedOrigins); err != nil {
			return fmt.Errorf("trim refused origins: %w", err)
		}
		return nil
	})
	return added, err
}

// RefusedOrigins lists the importer's refused origins, most recent first.
func (s *Service) RefusedOrigins(ctx context.Context, slug string) ([]RefusedOrigin, error) {
	if _, _, err := s.getImporter(ctx, s.db.Read, slug); err != nil {
		return nil, err
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT r.origin, r.count, r.first_seen, r.last_seen FROM importer_refused_origins r
		JOIN importers i ON i.id = r.importer_id WHERE i.slug = ? ORDER BY r.last_seen DESC, r.origin`, slug)
	if err != nil {
		return nil, fmt.Errorf("list refused origins of %s: %w", slug, err)
	}
	defer rows.Close()
	out := []RefusedOrigin{}
	for rows.Next() {
		var ro RefusedOrigin
		var first, last string
		if err := rows.Scan(&ro.Origin, &ro.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("list refused origins of %s: %w", slug, err)
		}
		ro.FirstSeen, ro.LastSeen = parseTime(first), parseTime(last)
		out = append(out, ro)
	}
	return out, rows.Err()
}

// AllowOrigin adds origin to the importer's settings.allowed_origins
// through the same validation and save as any importer edit, and takes it
// off the refused list, in one transaction. It returns the saved
// importer. An origin already allowed is left as it is (and still taken
// off the list).
func (s *Service) AllowOrigin(ctx context.Context, slug, origin string) (*schema.Importer, error) {
	canon := schema.CanonicalOrigin(origin)
	if canon == "" {
		return nil, errs.Invalid("%q is not an origin: want scheme://host[:port], such as https://app.example.com or http://localhost:3000", origin)
	}
	var saved *schema.Importer
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		imp, id, err := s.getImporter(ctx, tx, slug)
		if err != nil {
			return err
		}
		listed := false
		for _, o := range imp.Settings.AllowedOrigins {
			if schema.CanonicalOrigin(o) == canon {
				listed = true
			}
		}
		if !listed {
			imp.Settings.AllowedOrigins = append(imp.Settings.AllowedOrigins, canon)
			if _, err := schema.Compile(imp); err != nil {
				return err
			}
			if _, err := s.saveImporterTx(ctx, tx, imp); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_refused_origins WHERE importer_id = ? AND origin = ?`, id, canon); err != nil {
			return fmt.Errorf("allow origin %s for %s: %w", canon, slug, err)
		}
		saved = imp
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetImporter(ctx, saved.Slug)
}

// forgetAllowedTx takes the importer's allowed origins off its refused
// list (an edit that allowed them by hand).
func forgetAllowedTx(ctx context.Context, tx *store.Tx, slug string, allowed []string) error {
	for _, o := range allowed {
		canon := schema.CanonicalOrigin(o)
		if canon == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_refused_origins WHERE origin = ? AND importer_id = (SELECT id FROM importers WHERE slug = ?)`, canon, slug); err != nil {
			return fmt.Errorf("forget allowed origin %s of %s: %w", canon, slug, err)
		}
	}
	return nil
}
