package importer_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// The rows-with-errors and rows-with-warnings counts of a staged import
// stay exact when the uniqueness check turns the first holder of a
// duplicated key into an error row, also where that cell held a warning.
func TestStageCountsAfterFirstDuplicates(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := &schema.Importer{Slug: "codes", Name: "Codes", Columns: []schema.Column{
		{Key: "code", Label: "Code", Unique: schema.UniqueCaseSensitive,
			Validations: []schema.Validation{{Type: schema.ValMaxLength, Value: "3", Severity: schema.SeverityWarning}}},
		{Key: "note", Label: "Note", Validations: []schema.Validation{{Type: schema.ValMaxLength, Value: "3", Severity: schema.SeverityWarning}}},
		{Key: "ref", Label: "Ref", Unique: schema.UniqueCaseSensitive},
	}}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	csv := "Code,Note,Ref\n" +
		"abcd,long note,r1\n" + // 1: warnings on code and note; later duplicated code -> error, warning on note stays
		"wxyz,ok,r2\n" + // 2: warning on code; its ref duplicated later -> error
		"abcd,ok,r3\n" + // 3: duplicate code (error + its warning merged)
		"abc,ok,r2\n" + // 4: duplicate ref
		"efgh,ok,r5\n" + // 5: only a warning
		"ab,ok,r6\n" + // 6: clean
		"xyz,ok,r6\n" + // 7: duplicate ref (6 is first holder, no other issue)
		"lmno,ok,r8\n" + // 8: warning on code, turned into an error by 9: no warning left
		"lmno,ok,r9\n" // 9: duplicate code
	imp, err := svc.CreateImport(ctx, importer.Actor{Admin: true}, "codes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, imp.Slug, strings.NewReader(csv), "codes.csv", int64(len(csv))); err != nil {
		t.Fatal(err)
	}
	mv, err := svc.GetMapping(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	sum, err := svc.Summary(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	// errors: 1, 2, 3, 4, 6, 7, 8, 9; cells still warnings: row 1 (note), row 2 (code), row 5
	if sum.Rows != 9 || sum.ErrorRows != 8 || sum.WarningRows != 3 {
		t.Fatalf("summary rows=%d errors=%d warnings=%d, want 9/8/3", sum.Rows, sum.ErrorRows, sum.WarningRows)
	}
	for _, filter := range []string{"errors", "warnings"} {
		p, err := svc.Rows(ctx, imp.Slug, importer.RowQuery{Filter: filter, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"errors": 8, "warnings": 3}[filter]
		if p.Total != want {
			t.Errorf("%s filter: total %d, want %d", filter, p.Total, want)
		}
	}
}
