package importer

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Console states: the import statuses, plus two for imports that will never
// be submitted. Both are left out of the console's imports list unless asked
// for.
const (
	// StateAbandoned: never submitted (status created) and no activity for
	// longer than AbandonedAfter. Computed when listing, never stored: it
	// needs no background writer, is exact at any moment, and activity
	// after the threshold makes the import active again. The clean-up
	// (cleanup.go) deletes such imports later (7 days by default).
	StateAbandoned = "abandoned"
	// StateCancelled: the end user cancelled the importer (CancelImport,
	// stored in cancelled_at). Not for an import already submitted.
	StateCancelled = "cancelled"
)

// AbandonedAfter is the idle time (since the import's last change) after
// which an import that was never submitted counts as abandoned. A day: the
// embed keeps no session open that long, and an end user who steps away
// for lunch is not abandoning.
const AbandonedAfter = 24 * time.Hour

// States lists every console state, in the order the console offers them.
var States = []string{StatusCreated, StatusSubmitting, StatusSubmitted, StatusCompleted, StatusFailed, StateAbandoned, StateCancelled}

// State is the import's console state at now: its status, or cancelled, or
// abandoned (see the constants).
func (imp *Import) State(now time.Time) string {
	switch {
	case imp.Status == StatusSubmitting || imp.Status == StatusSubmitted || imp.Status == StatusCompleted:
		return imp.Status
	case !imp.CancelledAt.IsZero():
		return StateCancelled
	case imp.Status == StatusCreated && now.Sub(imp.UpdatedAt) > AbandonedAfter:
		return StateAbandoned
	}
	return imp.Status
}

// LastActivity is when the import last changed: its submit, its cancel, or
// its last update.
func (imp *Import) LastActivity() time.Time {
	switch {
	case !imp.SubmittedAt.IsZero():
		return imp.SubmittedAt
	case !imp.CancelledAt.IsZero():
		return imp.CancelledAt
	}
	return imp.UpdatedAt
}

// stateSQL is the WHERE condition of one console state, in SQL over
// importer_imports i; cutoff is the abandoned threshold's time.
func stateSQL(state, cutoff string) (string, []any) {
	const open = `i.status NOT IN ('submitting', 'submitted', 'completed')`
	switch state {
	case StateCancelled:
		return `(i.cancelled_at != '' AND ` + open + `)`, nil
	case StateAbandoned:
		return `(i.cancelled_at = '' AND i.status = 'created' AND i.updated_at < ?)`, []any{cutoff}
	case StatusCreated:
		return `(i.cancelled_at = '' AND i.status = 'created' AND i.updated_at >= ?)`, []any{cutoff}
	case StatusFailed:
		return `(i.cancelled_at = '' AND i.status = 'failed')`, nil
	}
	return `i.status = ?`, []any{state}
}

// stateFilter is the SQL (" AND …") of the filter's states and date range.
func stateFilter(f ListFilter) (string, []any, error) {
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	cutoff := store.FormatTime(now.Add(-AbandonedAfter))
	var q string
	var args []any
	if len(f.States) > 0 {
		var parts []string
		for _, st := range f.States {
			if !slices.Contains(States, st) {
				return "", nil, errs.Invalid("status must be one of %s, not %q", strings.Join(States, ", "), st)
			}
			c, a := stateSQL(st, cutoff)
			parts = append(parts, c)
			args = append(args, a...)
		}
		q += ` AND (` + strings.Join(parts, ` OR `) + `)`
	} else if !f.ShowHidden {
		ab, a := stateSQL(StateAbandoned, cutoff)
		ca, _ := stateSQL(StateCancelled, cutoff)
		q += ` AND NOT ` + ab + ` AND NOT ` + ca
		args = append(args, a...)
	}
	if !f.From.IsZero() {
		q += ` AND i.created_at >= ?`
		args = append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND i.created_at < ?`
		args = append(args, store.FormatTime(f.To))
	}
	return q, args, nil
}

// refuseCancelled is the check every step that changes an import makes
// under the import's lock, on the import read under it: the HTTP layer's
// check runs before the lock, so a request that passed it just before a
// Cancel landed reaches the service after the Cancel.
func refuseCancelled(imp *Import) error {
	if !imp.CancelledAt.IsZero() {
		return errs.Conflict("import %s was cancelled by its end user; start a new import", imp.Slug)
	}
	return nil
}

// CancelImport records that the end user cancelled the import (the
// importer's Cancel): the import keeps its counts and file name for the
// console, its uploaded file and staged rows are deleted (the importer tells
// the end user they are discarded), and it takes no further changes.
// Cancelling again changes nothing; a submitted import cannot be cancelled.
func (s *Service) CancelImport(ctx context.Context, slug string) (Import, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, err
	}
	// A staging run still going finishes first: it writes the rows this
	// deletes.
	s.mu.Lock()
	j := s.jobs[imp.ID]
	s.mu.Unlock()
	if j != nil && !j.done.Load() {
		select {
		case <-j.doneCh:
		case <-ctx.Done():
			return Import{}, fmt.Errorf("cancel import %s: %w", slug, ctx.Err())
		}
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return Import{}, err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil {
		return Import{}, err
	}
	if !imp.CancelledAt.IsZero() {
		return *imp, nil
	}
	if imp.Status == StatusSubmitting || imp.Status == StatusSubmitted || imp.Status == StatusCompleted {
		return Import{}, errs.Conflict("import %s is %s: only an import not yet submitted can be cancelled", slug, imp.Status)
	}
	now := nowString()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := clearStaged(ctx, tx, imp.ID); err != nil {
			return err
		}
		if err := deleteStoredFile(ctx, tx, imp.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET cancelled_at = ?, file_path = '', version = version + 1, updated_at = ? WHERE id = ?`, now, now, imp.ID)
		return err
	})
	if err != nil {
		return Import{}, fmt.Errorf("cancel import %s: %w", slug, err)
	}
	s.dropUniq(imp.ID)
	if err := os.RemoveAll(s.uploadDir(imp.Slug)); err != nil {
		s.log.Warn("remove upload of a cancelled import", "import", imp.Slug, "err", err)
	}
	out, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, err
	}
	return *out, nil
}
