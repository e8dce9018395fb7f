package importer

import (
	"context"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Staged rows (importer_rows) are keyed by one integer, id =
// import_id<<32 | row_num: an import's rows are the ids in
// [import_id<<32, (import_id+1)<<32), in row order. On SQLite the table is
// a rowid table, and staging's ascending ids take SQLite's append path,
// which fills each page; row numbers are 1 .. maxRowNum.
const (
	rowNumBits = 32
	maxRowNum  = 1<<rowNumBits - 1
	rowNumMask = "4294967295" // maxRowNum, in SQL
)

// rowKey is the id of row of import importID.
func rowKey(importID, row int64) int64 {
	return importID<<rowNumBits | row
}

// rowKeys are the first and last possible id of import importID's rows:
// `id BETWEEN first AND last` selects them all.
func rowKeys(importID int64) (first, last int64) {
	return rowKey(importID, 0), rowKey(importID, maxRowNum)
}

// rowNumOf is the SQL of the row number of alias's id ("r" gives
// (r.id & 4294967295)); alias "" is the bare column.
func rowNumOf(alias string) string {
	if alias != "" {
		alias += "."
	}
	return "(" + alias + "id & " + rowNumMask + ")"
}

// rowKeyOf is the SQL of the importer_rows id of a row given as an
// import id and a row number column (importer_cell_issues, importer_row_match).
func rowKeyOf(alias string) string {
	return "(" + alias + ".import_id * 4294967296 + " + alias + ".row_num)"
}

// checkRowNum refuses a data row past what a row key holds.
func checkRowNum(row int64) error {
	if row > maxRowNum {
		return errs.Invalid("the file has more than %d data rows, the most one import can hold: split it into smaller files", int64(maxRowNum))
	}
	return nil
}

// deleteRows deletes import importID's staged rows.
func deleteRows(ctx context.Context, tx *store.Tx, importID int64) error {
	first, last := rowKeys(importID)
	_, err := tx.ExecContext(ctx, `DELETE FROM importer_rows WHERE id BETWEEN ? AND ?`, first, last)
	return err
}
