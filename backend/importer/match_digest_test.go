package importer_test

import (
	"context"
	"reflect"
	"testing"

	"fusebox/backend/importer"
)

// Records indexed before the index kept a digest of each record (NULL
// digest) still match: unchanged rows are unchanged, changed ones updates
// naming their columns, and the look-up fills their digests.
func TestMatchIndexRowsWithoutDigest(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t)
	def := contacts()
	def.MatchOn = []string{"email"}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true}
	first := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,pro,3\n" +
		"Alan,Turing,alan@example.com,free,1\n"
	if _, err := svc.Submit(ctx, stageFile(t, svc, admin, "v1.csv", first, nil)); err != nil {
		t.Fatal(err)
	}
	// as an index written before the digest column
	if _, err := db.Write.ExecContext(ctx, `UPDATE importer_match_index SET digest = NULL`); err != nil {
		t.Fatal(err)
	}
	second := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,pro,3\n" +
		"Alan,Turing,alan@example.com,enterprise,1\n" +
		"Grace,Hopper,grace@example.com,pro,2\n"
	for round := 1; round <= 2; round++ { // the second round reads the digests the first stored
		slug := stageFile(t, svc, admin, "v2.csv", second, nil)
		page, err := svc.Rows(ctx, slug, importer.RowQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range page.Rows {
			got = append(got, r.Match)
		}
		if want := []string{"unchanged", "update", "new"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: statuses %v, want %v", round, got, want)
		}
		if !reflect.DeepEqual(page.Rows[1].Changed, []string{"plan"}) {
			t.Fatalf("round %d: changed columns %v, want [plan]", round, page.Rows[1].Changed)
		}
		var missing int
		if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_match_index WHERE digest IS NULL`).Scan(&missing); err != nil {
			t.Fatal(err)
		}
		if missing != 0 {
			t.Fatalf("round %d: %d index rows still without a digest", round, missing)
		}
	}
}

// Only the rows whose status differs from the import's most common one
// are stored; every status still reads, filters and counts.
func TestMatchStoresOnlyTheLessCommonStatuses(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t)
	def := contacts()
	def.MatchOn = []string{"email"}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true}
	first := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,pro,3\n" +
		"Alan,Turing,alan@example.com,free,1\n" +
		"Grace,Hopper,grace@example.com,pro,2\n" +
		"Edsger,Dijkstra,edsger@example.com,free,1\n"
	slug1 := stageFile(t, svc, admin, "v1.csv", first, nil)
	stored := func(slug string) int {
		t.Helper()
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_row_match x JOIN importer_imports i ON i.id = x.import_id WHERE i.slug = ?`, slug).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := stored(slug1); n != 0 {
		t.Fatalf("first import (every row new): %d row statuses stored, want 0", n)
	}
	if _, err := svc.Submit(ctx, slug1); err != nil {
		t.Fatal(err)
	}
	second := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,pro,3\n" +
		"Alan,Turing,alan@example.com,enterprise,1\n" +
		"Grace,Hopper,grace@example.com,pro,2\n" +
		"Edsger,Dijkstra,edsger@example.com,free,1\n" +
		"Barbara,Liskov,barbara@example.com,free,1\n"
	slug := stageFile(t, svc, admin, "v2.csv", second, nil)
	if n := stored(slug); n != 2 {
		t.Fatalf("re-import (3 unchanged, 1 update, 1 new): %d row statuses stored, want 2", n)
	}
	for _, c := range []struct {
		filter string
		rows   []int64
	}{{"unchanged", []int64{1, 3, 4}}, {"update", []int64{2}}, {"new", []int64{5}}} {
		page, err := svc.Rows(ctx, slug, importer.RowQuery{Filter: c.filter})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range page.Rows {
			got = append(got, r.Row)
			if r.Match != c.filter {
				t.Fatalf("filter %s: row %d is %q", c.filter, r.Row, r.Match)
			}
		}
		if !reflect.DeepEqual(got, c.rows) || page.Total != int64(len(c.rows)) {
			t.Fatalf("filter %s: rows %v total %d, want %v", c.filter, got, page.Total, c.rows)
		}
	}
	// an edit making an unchanged row an update, and one making the update unchanged
	if _, err := svc.EditRow(ctx, slug, 1, map[string]string{"seats": "4"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditRow(ctx, slug, 2, map[string]string{"plan": "free"}); err != nil {
		t.Fatal(err)
	}
	sum, err := svc.Summary(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"new": 1, "update": 1, "unchanged": 3}; !reflect.DeepEqual(sum.Matches, want) {
		t.Fatalf("after the edits: matches %v, want %v", sum.Matches, want)
	}
	if _, err := svc.DeleteRows(ctx, slug, importer.DeleteInput{Rows: []int64{3}}); err != nil {
		t.Fatal(err)
	}
	sum, _ = svc.Summary(ctx, slug)
	if want := map[string]int64{"new": 1, "update": 1, "unchanged": 2}; !reflect.DeepEqual(sum.Matches, want) {
		t.Fatalf("after a delete: matches %v, want %v", sum.Matches, want)
	}
	if _, err := svc.Submit(ctx, slug); err != nil {
		t.Fatal(err)
	}
	recs, _, err := svc.ListRecords(ctx, slug, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, r := range recs {
		ops = append(ops, r.Operation)
	}
	if want := []string{"update", "unchanged", "unchanged", "create"}; !reflect.DeepEqual(ops, want) {
		t.Fatalf("record operations %v, want %v", ops, want)
	}
	// the index moved forward: Ada's 4 seats and Barbara are now known
	slug3 := stageFile(t, svc, admin, "v2.csv", second, nil)
	sum, _ = svc.Summary(ctx, slug3)
	if want := map[string]int64{"new": 0, "update": 2, "unchanged": 3}; !reflect.DeepEqual(sum.Matches, want) {
		t.Fatalf("third import: matches %v, want %v", sum.Matches, want)
	}
}
