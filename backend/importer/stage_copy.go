package importer

import (
	"context"

	"github.com/jackc/pgx/v5"

	"fusebox/backend/store"
)

// copyWriter gathers a transaction's rows and findings and writes each
// table with one COPY (pgx CopyFrom) at flush: the same columns and
// values, the row's data in the same encoding, as bulkWriter's INSERTs.
type copyWriter struct {
	tx       *store.Tx
	importID int64
	pending  []stagedRow
	found    []cellIssue
}

func newCopyWriter(tx *store.Tx, importID int64) *copyWriter {
	return &copyWriter{tx: tx, importID: importID}
}

func (w *copyWriter) rows(_ context.Context, rows []stagedRow) error {
	w.pending = append(w.pending, rows...)
	return nil
}

func (w *copyWriter) issues(_ context.Context, issues []cellIssue) error {
	w.found = append(w.found, issues...)
	return nil
}

func (w *copyWriter) flush(ctx context.Context) error {
	if len(w.pending) > 0 {
		rows := w.pending
		if _, err := w.tx.CopyFrom(ctx, "importer_rows", []string{"id", "data", "errors", "warnings"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{rowKey(w.importID, r.num), r.data, int64(r.errors), int64(r.warnings)}, nil
			})); err != nil {
			return err
		}
	}
	if len(w.found) > 0 {
		found := w.found
		if _, err := w.tx.CopyFrom(ctx, "importer_cell_issues", []string{"import_id", "row_num", "col", "severity", "message"},
			pgx.CopyFromSlice(len(found), func(i int) ([]any, error) {
				is := found[i]
				return []any{w.importID, is.row, int64(is.col), string(is.severity), is.message}, nil
			})); err != nil {
			return err
		}
	}
	w.pending, w.found = w.pending[:0], w.found[:0]
	return nil
}

func (w *copyWriter) close() {}
