package importer_test

import (
	"context"
	"reflect"
	"testing"

	"fusebox/backend/importer"
)

// A re-import of an edited file marks exactly the changed rows as
// updates (listing the changed columns) and the rest unchanged; new keys
// are new; the records carry the operation; edits re-match.
func TestMatchOnUpdatesInsteadOfDuplicates(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := contacts()
	def.MatchOn = []string{"email"}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true}
	first := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,pro,3\n" +
		"Alan,Turing,alan@example.com,free,1\n" +
		"Grace,Hopper,grace@example.com,pro,2\n"
	slug := stageFile(t, svc, admin, "v1.csv", first, nil)
	page, _ := svc.Rows(ctx, slug, importer.RowQuery{})
	for _, r := range page.Rows {
		if r.Match != importer.MatchNew {
			t.Fatalf("first import: row %d is %q, want new", r.Row, r.Match)
		}
	}
	if _, err := svc.Submit(ctx, slug); err != nil {
		t.Fatal(err)
	}
	recs, _, err := svc.ListRecords(ctx, slug, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Operation != importer.OpCreate {
			t.Fatalf("first import: record %s operation %q, want create", r.Slug, r.Operation)
		}
	}

	// the edited file: Alan's plan changed, a new row, the e-mail case differs for Grace
	second := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,pro,3\n" +
		"Alan,Turing,alan@example.com,enterprise,1\n" +
		"Grace,Hopper,grace@example.com,pro,2\n" +
		"Edsger,Dijkstra,edsger@example.com,free,1\n"
	slug2 := stageFile(t, svc, admin, "v2.csv", second, nil)
	page, _ = svc.Rows(ctx, slug2, importer.RowQuery{})
	got := []string{}
	for _, r := range page.Rows {
		got = append(got, r.Match)
	}
	if want := []string{"unchanged", "update", "unchanged", "new"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("re-import statuses %v, want %v", got, want)
	}
	if !reflect.DeepEqual(page.Rows[1].Changed, []string{"plan"}) {
		t.Fatalf("changed columns %v, want [plan]", page.Rows[1].Changed)
	}
	upd, err := svc.Rows(ctx, slug2, importer.RowQuery{Filter: "update"})
	if err != nil || upd.Total != 1 || len(upd.Rows) != 1 || upd.Rows[0].Row != 2 {
		t.Fatalf("update filter: %+v %v", upd, err)
	}
	sum, _ := svc.Summary(ctx, slug2)
	if want := map[string]int64{"new": 1, "update": 1, "unchanged": 2}; !reflect.DeepEqual(sum.Matches, want) {
		t.Fatalf("summary matches %v, want %v", sum.Matches, want)
	}
	// an edit re-matches the row: Ada's seats change -> update
	if _, err := svc.EditRow(ctx, slug2, 1, map[string]string{"seats": "4"}); err != nil {
		t.Fatal(err)
	}
	page, _ = svc.Rows(ctx, slug2, importer.RowQuery{Limit: 1})
	if page.Rows[0].Match != importer.MatchUpdate || !reflect.DeepEqual(page.Rows[0].Changed, []string{"seats"}) {
		t.Fatalf("after the edit: %q %v, want update [seats]", page.Rows[0].Match, page.Rows[0].Changed)
	}
	if _, err := svc.Submit(ctx, slug2); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = svc.ListRecords(ctx, slug2, 1, 100)
	ops := []string{}
	for _, r := range recs {
		ops = append(ops, r.Operation)
	}
	if want := []string{"update", "update", "unchanged", "create"}; !reflect.DeepEqual(ops, want) {
		t.Fatalf("record operations %v, want %v", ops, want)
	}
	// the index moved forward: the same file again is all unchanged
	slug3 := stageFile(t, svc, admin, "v2.csv", second, nil)
	sum, _ = svc.Summary(ctx, slug3)
	if want := map[string]int64{"new": 0, "update": 1, "unchanged": 3}; !reflect.DeepEqual(sum.Matches, want) {
		// Ada was submitted with seats 4; the file says 3
		t.Fatalf("third import matches %v, want %v", sum.Matches, want)
	}
}

// The user scope keeps one user's records apart from another's.
func TestMatchScopeUser(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := contacts()
	def.MatchOn = []string{"email"}
	def.MatchScope = "user"
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	csv := "First Name,Surname,E-mail\nAda,Lovelace,ada@example.com\n"
	u1 := importer.Actor{Admin: true, Metadata: map[string]any{"user_id": "u1"}}
	u2 := importer.Actor{Admin: true, Metadata: map[string]any{"user_id": "u2"}}
	if _, err := svc.Submit(ctx, stageFile(t, svc, u1, "a.csv", csv, nil)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		actor importer.Actor
		want  string
	}{{u1, "unchanged"}, {u2, "new"}} {
		page, _ := svc.Rows(ctx, stageFile(t, svc, c.actor, "a.csv", csv, nil), importer.RowQuery{})
		if page.Rows[0].Match != c.want {
			t.Fatalf("%v: %q, want %q", c.actor.Metadata, page.Rows[0].Match, c.want)
		}
	}
}
