package importer_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"fusebox/backend/importer"
	"fusebox/backend/schema"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// toOldRows puts an import's staged rows back in the importer_rows of
// schema 19 (one row per (import_id, row_num), migration 0003) and forgets
// migration 20, as a database an older Fusebox wrote.
var toOldRows = map[store.Engine]string{
	store.SQLite: `CREATE TABLE importer_rows_old (
    import_id INTEGER NOT NULL,
    row_num   INTEGER NOT NULL,
    data      TEXT NOT NULL,
    errors    INTEGER NOT NULL DEFAULT 0,
    warnings  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (import_id, row_num)
) WITHOUT ROWID;
INSERT INTO importer_rows_old SELECT id >> 32, id & 4294967295, data, errors, warnings FROM importer_rows;
DROP TABLE importer_rows;
ALTER TABLE importer_rows_old RENAME TO importer_rows;
CREATE INDEX importer_rows_with_errors ON importer_rows (import_id, row_num) WHERE errors > 0;
DELETE FROM schema_migrations WHERE version = 20;`,
	store.Postgres: `CREATE TABLE importer_rows_old (
    import_id BIGINT NOT NULL,
    row_num   BIGINT NOT NULL,
    data      TEXT NOT NULL,
    errors    BIGINT NOT NULL DEFAULT 0,
    warnings  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (import_id, row_num)
);
INSERT INTO importer_rows_old SELECT id >> 32, id & 4294967295, data, errors, warnings FROM importer_rows;
DROP TABLE importer_rows;
ALTER TABLE importer_rows_old RENAME TO importer_rows;
CREATE INDEX importer_rows_with_errors ON importer_rows (import_id, row_num) WHERE errors > 0;
DELETE FROM schema_migrations WHERE version = 20;`,
}

// An import staged by an older Fusebox (rows keyed by import and row
// number) reads the same after the upgrade: every row, its findings, the
// errors-only page; and it can still be edited and submitted.
func TestRowsStagedBeforeTheRowKeyUpgrade(t *testing.T) {
	ctx := context.Background()
	url, path := storetest.Location(t)
	dir := t.TempDir()
	db, err := store.OpenDatabase(ctx, url, path)
	if err != nil {
		t.Fatal(err)
	}
	svc := importer.New(db, dir, nil)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true}
	slug := stageFile(t, svc, admin, "people.csv", contactsCSV, nil)
	other := stageFile(t, svc, admin, "more.csv", contactsCSV, nil) // a second import's rows stay its own
	pages := func(svc *importer.Service, slug string) []importer.RowPage {
		t.Helper()
		var out []importer.RowPage
		for _, q := range []importer.RowQuery{{}, {Filter: "errors"}, {Filter: "warnings"}, {Limit: 2, Cursor: 1}} {
			p, err := svc.Rows(ctx, slug, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	before := pages(svc, slug)
	if _, err := db.Write.ExecContext(ctx, toOldRows[db.Engine()]); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = store.OpenDatabase(ctx, url, path) // migrates the rows
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc = importer.New(db, dir, nil)
	after := pages(svc, slug)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("rows after the upgrade differ:\nbefore %+v\nafter  %+v", before, after)
	}
	if p := after[0]; p.Total != 4 || len(p.Rows) != 4 || p.Rows[3].Values[1] != "Nobody" {
		t.Fatalf("all rows after the upgrade: %+v", p)
	}
	// fix what blocks the submit: row 3's email, row 4's first name
	if _, err := svc.EditRow(ctx, slug, 3, map[string]string{"email": "grace@example.com", "seats": "2", "signup_date": "2023-12-31"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditRow(ctx, slug, 4, map[string]string{"first_name": "Some"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditRow(ctx, slug, 2, map[string]string{"plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Rows(ctx, slug, importer.RowQuery{Filter: "errors"}); err != nil || p.Total != 0 {
		t.Fatalf("errors after the edits: %+v, %v", p, err)
	}
	if p, err := svc.Rows(ctx, other, importer.RowQuery{Filter: "errors"}); err != nil || p.Total != 4 {
		t.Fatalf("the other import's errors after the edits: %+v, %v", p, err)
	}
	if _, err := svc.Submit(ctx, slug); err != nil {
		t.Fatalf("submit after the upgrade: %v", err)
	}
}

// Rows stored as JSON arrays (the encoding of every row staged before the
// compact one) read, edit, replace, undo and submit as they did; rows
// written by those edits come back compact and read the same.
func TestRowsStoredAsJSONStillRead(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "people.csv", contactsCSV, map[string]map[string]string{"plan": {"Gold": "enterprise"}})
	pages := func() []importer.RowPage {
		t.Helper()
		var out []importer.RowPage
		for _, q := range []importer.RowQuery{{}, {Filter: "errors"}, {Filter: "warnings"}, {Q: "example"}} {
			p, err := svc.Rows(ctx, slug, q)
			if err != nil {
				t.Fatal(err)
			}
			p.Version = 0 // edits move it
			out = append(out, p)
		}
		return out
	}
	before := pages()
	// as an older Fusebox stored them
	type stored struct {
		id   int64
		data string
	}
	var rows []stored
	rs, err := db.Read.QueryContext(ctx, `SELECT id, data FROM importer_rows`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var r stored
		if err := rs.Scan(&r.id, &r.data); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	rs.Close()
	if len(rows) != 4 || rows[0].data[0] == '[' {
		t.Fatalf("staged rows: %+v, want 4 in the compact encoding", rows)
	}
	for _, r := range rows {
		cells, err := importer.DecodeStoredRow(r.data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE importer_rows SET data = ? WHERE id = ?`, string(schema.AppendRowJSON(nil, cells)), r.id); err != nil {
			t.Fatal(err)
		}
	}
	if after := pages(); !reflect.DeepEqual(before, after) {
		t.Fatalf("JSON rows read differently:\nbefore %+v\nafter  %+v", before, after)
	}
	rep, err := svc.Replace(ctx, slug, importer.ReplaceInput{Column: "email", Find: "example.com", Replace: "example.org"})
	if err != nil || rep.Rows != 4 {
		t.Fatalf("replace over JSON rows: %+v, %v", rep, err)
	}
	if p, _ := svc.Rows(ctx, slug, importer.RowQuery{}); p.Rows[0].Values[2] != "ada@example.org" {
		t.Fatalf("after replace: %q", p.Rows[0].Values)
	}
	if _, err := svc.Undo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if after := pages(); !reflect.DeepEqual(before, after) {
		t.Fatalf("after undo:\nbefore %+v\nafter  %+v", before, after)
	}
	if _, err := svc.Redo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditRow(ctx, slug, 3, map[string]string{"email": "grace@example.org", "seats": "2", "signup_date": "2023-12-31"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditRow(ctx, slug, 4, map[string]string{"first_name": "Some"}); err != nil {
		t.Fatal(err)
	}
	imp, err := svc.Submit(ctx, slug)
	if err != nil || imp.Status != importer.StatusCompleted {
		t.Fatalf("submit: %+v, %v", imp, err)
	}
	recs, total, err := svc.ListRecords(ctx, slug, 1, 10)
	if err != nil || total != 4 {
		t.Fatalf("records: %d, %v", total, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(recs[1].Data, &rec); err != nil || rec["email"] != "alan@example.org" || rec["plan"] != "enterprise" {
		t.Fatalf("record 2: %v, %v", rec, err)
	}
}
