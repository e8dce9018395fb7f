package importer

import (
	"context"
	"fmt"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Section is the workspace file's `importers:` section: a list of
// importer definitions, upserted by slug. It implements the workspace
// Section interface (Key, Load, Export) without importing it.
type Section struct{ svc *Service }

// Section returns the workspace section backed by the service.
func (s *Service) Section() *Section { return &Section{svc: s} }

// Key is the top-level key.
func (sec *Section) Key() string { return "importers" }

// Load decodes (strictly) and validates every importer; the returned
// func upserts them by slug and reports one line per change.
func (sec *Section) Load(decode func(v any) error) (func(ctx context.Context) ([]string, error), error) {
	var list []schema.Importer
	if err := decode(&list); err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for i := range list {
		imp := &list[i]
		if j, dup := seen[imp.Slug]; dup {
			return nil, errs.Invalid("importers[%d]: slug %q is already used by importers[%d]", i, imp.Slug, j)
		}
		seen[imp.Slug] = i
		if _, err := schema.Compile(imp); err != nil {
			return nil, errs.Invalid("importers[%d]: %s", i, errs.Message(err))
		}
		imp.CreatedAt, imp.UpdatedAt = time.Time{}, time.Time{}
	}
	return func(ctx context.Context) ([]string, error) {
		var lines []string
		err := sec.svc.db.Tx(ctx, func(tx *store.Tx) error {
			lines = lines[:0]
			for i := range list {
				action, err := sec.svc.saveImporterTx(ctx, tx, &list[i])
				if err != nil {
					return err
				}
				if action != "unchanged" {
					lines = append(lines, fmt.Sprintf("%s importer %s", action, list[i].Slug))
				}
			}
			return nil
		})
		return lines, err
	}, nil
}

// Holds reports whether the data dir holds any importer (the workspace
// never applies the demo over one).
func (sec *Section) Holds(ctx context.Context) (bool, error) {
	var n int64
	err := sec.svc.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM importers LIMIT 1) AS x`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count importers: %w", err)
	}
	return n > 0, nil
}

// Export returns every importer definition, as Load reads them.
func (sec *Section) Export(ctx context.Context) (any, error) {
	list, err := sec.svc.ListImporters(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].CreatedAt, list[i].UpdatedAt = time.Time{}, time.Time{}
	}
	return list, nil
}
