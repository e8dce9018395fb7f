package importer_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/importer"
)

// Going back to the mapping from the review keeps the edits of the
// columns that stay mapped, and the deleted rows; it drops (and names)
// the edits of columns whose file column changed.
func TestMappingChangeKeepsEditsOfStillMappedColumns(t *testing.T) {
	ctx := context.Background()
	svc, slug := stageMessy(t)
	// edits: email and seats of row 2 and 4, first name of row 1 (then edited again), delete row 6
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.EditRow(ctx, slug, 2, map[string]string{"email": "alan@example.com"}))
	must(svc.EditRow(ctx, slug, 4, map[string]string{"seats": "7"}))
	must(svc.EditRow(ctx, slug, 1, map[string]string{"first_name": "Augusta"}))
	must(svc.EditRow(ctx, slug, 1, map[string]string{"first_name": "Ada Augusta"}))
	must(svc.DeleteRows(ctx, slug, importer.DeleteInput{Rows: []int64{6}}))
	// an undone edit is not kept
	must(svc.EditRow(ctx, slug, 3, map[string]string{"last_name": "Murray"}))
	must(svc.Undo(ctx, slug))
	if s := summaryOf(t, svc, slug); s.Rows != 5 || s.ErrorRows != 0 {
		t.Fatalf("after edits: %+v", s)
	}

	// new mapping: the file's Seats column is ignored now; everything else stays
	mv, err := svc.GetMapping(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	m := mv.Suggestions.Mapping()
	for i := range m.Columns {
		if m.Columns[i].Key == "seats" {
			m.Columns[i].Key = ""
		}
	}
	ch, err := svc.ConfirmMappingChange(ctx, slug, m)
	if err != nil {
		t.Fatal(err)
	}
	if ch.KeptCells != 2 || ch.KeptDeletes != 1 || ch.DroppedCells != 1 || strings.Join(ch.DroppedColumns, ",") != "Seats" {
		t.Fatalf("mapping change: %+v", ch)
	}
	if err := svc.Stage(ctx, slug); err != nil {
		t.Fatal(err)
	}
	page, err := svc.Rows(ctx, slug, importer.RowQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 5 {
		t.Fatalf("row 6 should stay deleted: total %d", page.Total)
	}
	byRow := map[int64]importer.Row{}
	for _, r := range page.Rows {
		byRow[r.Row] = r
	}
	if byRow[1].Values[0] != "Ada Augusta" || byRow[2].Values[2] != "alan@example.com" || byRow[3].Values[1] != "Hopper" || byRow[4].Values[4] != "" {
		t.Fatalf("rows after re-staging: %+v", page.Rows)
	}
	s := summaryOf(t, svc, slug)
	if s.ErrorRows != 0 || !s.CanUndo {
		t.Fatalf("after re-staging: %+v", s)
	}
	// the kept edits are one undoable edit: undo gives the file's values back
	if u, err := svc.Undo(ctx, slug); err != nil || u.Cells != 2 {
		t.Fatalf("undo kept edits: %+v %v", u, err)
	}
	if s := summaryOf(t, svc, slug); s.Rows != 6 || s.ErrorRows != 2 {
		t.Fatalf("after undo of kept edits: %+v", s)
	}

	// a mapping confirmed again without a change keeps everything
	if _, err := svc.Redo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	ch, err = svc.ConfirmMappingChange(ctx, slug, m)
	if err != nil || ch.KeptCells != 2 || ch.KeptDeletes != 1 || len(ch.DroppedColumns) != 0 {
		t.Fatalf("same mapping again: %+v %v", ch, err)
	}
	if err := svc.Stage(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if s := summaryOf(t, svc, slug); s.Rows != 5 || s.ErrorRows != 0 {
		t.Fatalf("after the same mapping: %+v", s)
	}
}
