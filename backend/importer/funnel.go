package importer

import (
	"context"
	"fmt"

	"fusebox/backend/store"
)

// How far an import has ever got in the flow (importer_imports.reached),
// for the dashboard's drop-off funnel. The current step can go back (a new
// file, a new mapping); reached never does.
const (
	ReachedUploaded = 1 // a file was stored
	ReachedHeader   = 2 // the header row was passed: the mapping step opened
	ReachedMapping  = 3 // a mapping was confirmed
	ReachedReview   = 4 // the rows were staged for review
	ReachedSubmit   = 5 // the import was submitted
)

// markReached raises an import's reached stage to at least stage.
func markReached(ctx context.Context, tx *store.Tx, id int64, stage int) error {
	if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET reached = ? WHERE id = ? AND reached < ?`, stage, id, stage); err != nil {
		return fmt.Errorf("import %d: mark stage %d: %w", id, stage, err)
	}
	return nil
}

// markHeaderPassed records that the import's mapping step was opened (its
// header row passed). The header step runs in the browser; the mapping
// step asking for its suggestions is the first the server hears of it.
func (s *Service) markHeaderPassed(ctx context.Context, imp *Import) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error { return markReached(ctx, tx, imp.ID, ReachedHeader) })
}
