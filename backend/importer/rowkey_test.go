package importer

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// Row keys keep each import's rows apart and in order up to the last row
// number a key holds (2^32-1): import 1's last row sorts before import 2's
// first, and the review reads rows at the boundary back as they were staged.
func TestRowKeysAtThe32BitBoundary(t *testing.T) {
	if rowKey(1, maxRowNum) >= rowKey(2, 1) || rowKey(1, maxRowNum-1) >= rowKey(1, maxRowNum) {
		t.Fatalf("keys out of order: %d %d %d", rowKey(1, maxRowNum-1), rowKey(1, maxRowNum), rowKey(2, 1))
	}
	if first, last := rowKeys(2); first > rowKey(2, 1) || last < rowKey(2, maxRowNum) || last >= rowKey(3, 0) {
		t.Fatalf("rowKeys(2) = %d..%d", first, last)
	}
	ctx := context.Background()
	db := storetest.Open(t)
	s := New(db, t.TempDir(), nil)
	write := func(importID int64, rows ...stagedRow) {
		t.Helper()
		shared, err := s.prepareStageStmts(ctx, importID)
		if err != nil {
			t.Fatal(err)
		}
		defer shared.close()
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			w := s.newStageWriter(tx, importID, shared)
			defer w.close()
			if err := w.rows(ctx, rows); err != nil {
				return err
			}
			return w.flush(ctx)
		}); err != nil {
			t.Fatal(err)
		}
	}
	write(1, stagedRow{num: 1, data: `["a1"]`}, stagedRow{num: maxRowNum - 1, data: `["a2"]`}, stagedRow{num: maxRowNum, data: `["a3"]`, errors: 1})
	write(2, stagedRow{num: 1, data: `["b1"]`})
	sc, err := schema.Compile(&schema.Importer{Slug: "k", Name: "K", Columns: []schema.Column{{Key: "a", Label: "A"}}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.rowsByNum(ctx, 1, sc, []int64{maxRowNum, 1, maxRowNum - 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Values[0])
	}
	if strings.Join(got, " ") != "a3 a1 a2" || rows[0].Row != maxRowNum || rows[0].Errors != 1 {
		t.Fatalf("import 1 rows by number: %v (%+v)", got, rows)
	}
	var n int
	first, last := rowKeys(2)
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_rows WHERE id BETWEEN ? AND ?`, first, last).Scan(&n); err != nil || n != 1 {
		t.Fatalf("import 2 has %d rows (%v), want 1", n, err)
	}
}

// A file with more data rows than a row key holds is refused, saying so.
func TestTooManyRowsRefused(t *testing.T) {
	if err := checkRowNum(maxRowNum); err != nil {
		t.Fatalf("row %d refused: %v", int64(maxRowNum), err)
	}
	err := checkRowNum(maxRowNum + 1)
	if errs.Code(err) != errs.EINVALID || !strings.Contains(err.Error(), "more than 4294967295 data rows") {
		t.Fatalf("row 2^32: %v, want EINVALID naming the limit", err)
	}
}
