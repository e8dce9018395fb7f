package importer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"fusebox/backend/importer"
)

// settings.unmapped_columns: keep: file columns mapped to no field reach the
// records under "custom" (keyed by header), and survive a cell edit, a
// replace, a delete and its undo on the way; drop (the default) leaves
// them out.
func TestUnmappedColumnsKept(t *testing.T) {
	ctx := context.Background()
	for _, keep := range []bool{true, false} {
		svc, _ := newService(t)
		def := contacts()
		if keep {
			def.Settings.UnmappedColumns = "keep"
		}
		if _, err := svc.SaveImporter(ctx, def); err != nil {
			t.Fatal(err)
		}
		admin := importer.Actor{Admin: true}
		csv := "first_name,email,Notes,Region,Source\nAda,ada@example.com,met at the fair,EU,second\nAlan,alan@example.com,,UK,\nGrace,grace@example.com,call back,US,\n"
		slug := stageFile(t, svc, admin, "people.csv", csv, nil)
		if _, err := svc.EditRow(ctx, slug, 1, map[string]string{"first_name": "Ada L."}); err != nil {
			t.Fatalf("edit: %v", err)
		}
		if _, err := svc.Replace(ctx, slug, importer.ReplaceInput{Find: "alan", Replace: "turing"}); err != nil {
			t.Fatalf("replace: %v", err)
		}
		if _, err := svc.DeleteRows(ctx, slug, importer.DeleteInput{Rows: []int64{3}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := svc.Undo(ctx, slug); err != nil {
			t.Fatalf("undo: %v", err)
		}
		if _, err := svc.Submit(ctx, slug); err != nil {
			t.Fatalf("submit: %v", err)
		}
		recs, total, err := svc.ListRecords(ctx, slug, 1, 10)
		if err != nil || total != 3 {
			t.Fatalf("records: %d, %v", total, err)
		}
		var got []map[string]any
		for _, r := range recs {
			var m map[string]any
			if err := json.Unmarshal(r.Data, &m); err != nil {
				t.Fatalf("record %s: %v", r.Data, err)
			}
			got = append(got, m)
		}
		if !keep {
			if _, ok := got[0]["custom"]; ok {
				t.Errorf("drop: record has custom: %v", got[0])
			}
			continue
		}
		want := []map[string]any{
			{"Notes": "met at the fair", "Region": "EU", "Source": "second"},
			{"Notes": "", "Region": "UK", "Source": ""},
			{"Notes": "call back", "Region": "US", "Source": ""},
		}
		for i, w := range want {
			c, _ := got[i]["custom"].(map[string]any)
			if len(c) != len(w) {
				t.Errorf("record %d custom = %v, want %v", i+1, got[i]["custom"], w)
				continue
			}
			for k, v := range w {
				if c[k] != v {
					t.Errorf("record %d custom[%q] = %v, want %v", i+1, k, c[k], v)
				}
			}
		}
		if got[0]["first_name"] != "Ada L." || !strings.Contains(got[1]["email"].(string), "turing") {
			t.Errorf("edits lost: %v / %v", got[0], got[1])
		}
	}
}
