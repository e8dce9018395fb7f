package importer

import (
	"context"
	"fmt"
	"testing"

	"fusebox/backend/schema"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// The engine's stage writer stores rows (with and without findings, more
// than one multi-row statement's worth) and their cell findings as given;
// a row that fails part way through a transaction (a row number written
// twice) leaves none of that transaction's rows behind.
func TestStageWriterWritesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	s := New(db, t.TempDir(), nil)
	const importID = 7
	rows := make([]stagedRow, 0, 600)
	var issues []cellIssue
	for i := int64(1); i <= 600; i++ {
		r := stagedRow{num: i, data: fmt.Sprintf(`["r%d"]`, i)}
		if i%7 == 0 {
			r.errors = 1
			issues = append(issues, cellIssue{row: i, col: 0, severity: schema.SeverityError, message: "bad"})
		}
		rows = append(rows, r)
	}
	shared, err := s.prepareStageStmts(ctx, importID)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.close()
	write := func(rows []stagedRow, issues []cellIssue) error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			w := s.newStageWriter(tx, importID, shared)
			defer w.close()
			// in batches of 100 rows, as staging sends them
			for len(rows) > 0 {
				n := min(len(rows), 100)
				if err := w.rows(ctx, rows[:n]); err != nil {
					return err
				}
				rows = rows[n:]
			}
			if err := w.issues(ctx, issues); err != nil {
				return err
			}
			return w.flush(ctx)
		})
	}
	if err := write(rows, issues); err != nil {
		t.Fatal(err)
	}
	count := func() (n, errRows, issueRows int) {
		t.Helper()
		first, last := rowKeys(importID)
		if err := db.Read.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN errors > 0 THEN 1 ELSE 0 END), 0) FROM importer_rows WHERE id BETWEEN ? AND ?`, first, last).Scan(&n, &errRows); err != nil {
			t.Fatal(err)
		}
		if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_cell_issues WHERE import_id = ?`, importID).Scan(&issueRows); err != nil {
			t.Fatal(err)
		}
		return
	}
	if n, e, is := count(); n != 600 || e != 85 || is != 85 {
		t.Fatalf("stored %d rows, %d with errors, %d findings; want 600, 85, 85", n, e, is)
	}
	var data string
	if err := db.Read.QueryRowContext(ctx, `SELECT data FROM importer_rows WHERE id = ?`, rowKey(importID, 512)).Scan(&data); err != nil || data != `["r512"]` {
		t.Fatalf("row 512: %q, %v", data, err)
	}

	// rows 601..900, then row 650 again in the same transaction's second statement
	more := make([]stagedRow, 0, 301)
	for i := int64(601); i <= 900; i++ {
		more = append(more, stagedRow{num: i, data: `["x"]`})
	}
	more = append(more, stagedRow{num: 650, data: `["again"]`})
	if err := write(more, nil); err == nil {
		t.Fatal("writing row 650 twice succeeded")
	}
	if n, _, _ := count(); n != 600 {
		t.Fatalf("after the failed transaction %d rows are stored; want the 600 of before", n)
	}
}
