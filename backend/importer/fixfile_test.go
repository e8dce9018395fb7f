package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// messyCSV has 6 rows: rows 2, 4 and 6 have errors (bad email, bad seats,
// formula-looking last name with a bad email).
const messyCSV = "First Name,Surname,E-mail,Plan,Seats,Signup Date\n" +
	"ada,Lovelace,ada@example.com,pro,3,12/10/2023\n" +
	"alan,Turing,alan(at)example.com,free,1,2023-01-05\n" +
	"grace,Hopper,grace@example.com,free,2,May 21 2023\n" +
	"linus,Torvalds,linus@example.com,free,many,\n" +
	"ken,Thompson,ken@example.com,enterprise,4,01/02/2022\n" +
	"bob,=HYPERLINK(\"x\"),bob.example.com,pro,5,\n"

func stageMessy(t *testing.T) (*importer.Service, string) {
	t.Helper()
	svc, _ := newService(t)
	if _, err := svc.SaveImporter(context.Background(), contacts()); err != nil {
		t.Fatal(err)
	}
	return svc, stageFile(t, svc, importer.Actor{Admin: true}, "messy.csv", messyCSV, nil)
}

func summaryOf(t *testing.T, svc *importer.Service, slug string) importer.Summary {
	t.Helper()
	s, err := svc.Summary(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBulkDeleteErrorsAndUndo(t *testing.T) {
	ctx := context.Background()
	svc, slug := stageMessy(t)
	if s := summaryOf(t, svc, slug); s.Rows != 6 || s.ErrorRows != 3 || s.CanSubmit {
		t.Fatalf("staged: %+v", s)
	}
	d, err := svc.DeleteRows(ctx, slug, importer.DeleteInput{Filter: "errors"})
	if err != nil || d.Deleted != 3 {
		t.Fatalf("delete errors: %+v %v", d, err)
	}
	if s := summaryOf(t, svc, slug); s.Rows != 3 || s.ErrorRows != 0 || !s.CanSubmit || !s.CanUndo {
		t.Fatalf("after bulk delete: %+v", s)
	}
	u, err := svc.Undo(ctx, slug)
	if err != nil || u.Kind != "delete" || u.Rows != 3 {
		t.Fatalf("undo: %+v %v", u, err)
	}
	s := summaryOf(t, svc, slug)
	if s.Rows != 6 || s.ErrorRows != 3 || s.CanSubmit {
		t.Fatalf("after undo: %+v", s)
	}
	page, _ := svc.Rows(ctx, slug, importer.RowQuery{Filter: "errors"})
	if len(page.Rows) != 3 || page.Rows[0].Row != 2 || page.Rows[0].Values[2] != "alan(at)example.com" {
		t.Fatalf("rows back after undo: %+v", page.Rows)
	}
	// the review's select-all: every row, one undo
	if d, err := svc.DeleteRows(ctx, slug, importer.DeleteInput{Filter: "all"}); err != nil || d.Deleted != 6 {
		t.Fatalf("delete all: %+v %v", d, err)
	}
	if s := summaryOf(t, svc, slug); s.Rows != 0 || s.CanSubmit {
		t.Fatalf("after delete all: %+v", s)
	}
	if _, err := svc.Undo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if s := summaryOf(t, svc, slug); s.Rows != 6 || s.ErrorRows != 3 {
		t.Fatalf("after undo of delete all: %+v", s)
	}
}

func TestErrorsExportCSVAndPatch(t *testing.T) {
	ctx := context.Background()
	svc, slug := stageMessy(t)
	var buf bytes.Buffer
	if err := svc.ExportErrors(ctx, slug, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := []string{"Row ID", "First name", "Last name", "Email", "Plan", "Seats", "Signup date", "Errors"}
	if strings.Join(recs[0], "|") != strings.Join(wantHead, "|") || len(recs) != 4 {
		t.Fatalf("export: %q", recs)
	}
	if recs[1][0] != "2" || recs[1][3] != "alan(at)example.com" || !strings.Contains(recs[1][7], "Email: must be a valid email address") {
		t.Fatalf("row 2: %q", recs[1])
	}
	if recs[3][0] != "6" || recs[3][2] != `'=HYPERLINK("x")` {
		t.Fatalf("formula not neutralized: %q", recs[3])
	}
	// fix two rows in "Excel": the formula cell comes back as it was, the Errors column is dropped
	fixed := [][]string{recs[0][:7], {"2", "alan", "Turing", "alan@example.com", "free", "1", "2023-01-05"},
		{"4", "linus", "Torvalds", "linus@example.com", "free", "7", ""}, recs[3][:7]}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	w.WriteAll(fixed)
	res, err := svc.PatchFromFile(ctx, slug, bytes.NewReader(out.Bytes()), "messy-errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 3 || res.Changed != 2 || res.Cells != 2 {
		t.Fatalf("patch: %+v", res)
	}
	s := summaryOf(t, svc, slug)
	if s.ErrorRows != 1 || !s.CanUndo {
		t.Fatalf("after patch: %+v", s)
	}
	row6, _ := svc.Rows(ctx, slug, importer.RowQuery{Offset: 5, Limit: 1})
	if row6.Rows[0].Values[1] != `=HYPERLINK("x")` {
		t.Fatalf("row 6 last name changed by the round trip: %q", row6.Rows[0].Values[1])
	}
	// one undo reverts the whole file
	if u, err := svc.Undo(ctx, slug); err != nil || u.Kind != "patch" || u.Cells != 2 {
		t.Fatalf("undo patch: %+v %v", u, err)
	}
	if s := summaryOf(t, svc, slug); s.ErrorRows != 3 {
		t.Fatalf("after undo: %+v", s)
	}
}

func TestErrorsExportXLSXAndPatch(t *testing.T) {
	ctx := context.Background()
	svc, slug := stageMessy(t)
	var buf bytes.Buffer
	if err := svc.ExportErrors(ctx, slug, "xlsx", &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) != 4 || rows[0][0] != "Row ID" || rows[3][2] != `=HYPERLINK("x")` {
		t.Fatalf("xlsx rows: %q %v", rows, err)
	}
	if fm, _ := f.GetCellFormula(sheet, "C4"); fm != "" {
		t.Fatalf("a value became a formula: %q", fm)
	}
	// fix row 4's seats and row 6's email in the workbook, upload it back
	f.SetCellValue(sheet, "F3", "8")
	f.SetCellValue(sheet, "D4", "bob@example.com")
	var fixed bytes.Buffer
	if err := f.Write(&fixed); err != nil {
		t.Fatal(err)
	}
	res, err := svc.PatchFromFile(ctx, slug, &fixed, "fixed.xlsx")
	if err != nil || res.Changed != 2 {
		t.Fatalf("patch xlsx: %+v %v", res, err)
	}
	if s := summaryOf(t, svc, slug); s.ErrorRows != 1 {
		t.Fatalf("after xlsx patch: %+v", s)
	}
}

func TestPatchRejectsBadFiles(t *testing.T) {
	ctx := context.Background()
	svc, slug := stageMessy(t)
	head := "Row ID,First name,Last name,Email,Plan,Seats,Signup date\n"
	tests := []struct {
		name, file, want string
	}{
		{"changed header", "Row ID,First name,Last name,E-mail,Plan,Seats,Signup date\n2,a,b,c@d.ef,free,1,\n", `column 4 of the fix file is "E-mail"; the downloaded file has "Email"`},
		{"missing column", "Row ID,First name,Last name,Email,Plan,Seats\n2,a,b,c@d.ef,free,1\n", "the fix file has 6 columns; the downloaded file has 8"},
		{"unknown row id", head + "2,a,b,c@d.ef,free,1,\n999,a,b,c@d.ef,free,1,\n", "row ids that are not in this import: 999 (file row 3)"},
		{"not a row id", head + "two,a,b,c@d.ef,free,1,\n", `row 2 of the fix file: the Row ID "two" is not a row id`},
		{"repeated row id", head + "2,a,b,c@d.ef,free,1,\n2,a,b,c@d.ef,free,1,\n", "repeats row id 2"},
		{"no rows", head, "no rows below its header"},
		{"empty", "", "empty"},
	}
	for _, tt := range tests {
		_, err := svc.PatchFromFile(ctx, slug, strings.NewReader(tt.file), "fix.csv")
		if errs.Code(err) != errs.EINVALID || !strings.Contains(errs.Message(err), tt.want) {
			t.Errorf("%s: %v, want EINVALID with %q", tt.name, err, tt.want)
		}
	}
	// nothing changed, nothing to undo
	if s := summaryOf(t, svc, slug); s.ErrorRows != 3 || s.CanUndo {
		t.Fatalf("bad files changed the import: %+v", s)
	}
	// a deleted row is unknown too
	if _, err := svc.DeleteRows(ctx, slug, importer.DeleteInput{Rows: []int64{2}}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.PatchFromFile(ctx, slug, strings.NewReader(head+"2,a,b,c@d.ef,free,1,\n"), "fix.csv")
	if errs.Code(err) != errs.EINVALID || !strings.Contains(errs.Message(err), "not in this import: 2") {
		t.Fatalf("deleted row: %v", err)
	}
}

// What the review shows as cleaned is what submit stores.
func TestCleanedValuesAreTheSubmittedRecords(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := contacts()
	def.Settings.InvalidRows = schema.InvalidRowsInclude
	def.Columns[0].Transformations = []schema.Transformation{{Type: schema.TrTrimWhitespace}, {Type: schema.TrCapitalize}}
	def.Columns[3].Default = ptr(schema.Scalar("free"))
	def.Columns[4].Transformations = []schema.Transformation{{Type: schema.TrRound}}
	def.Columns[5].Pattern = "MM/dd/yyyy"
	def.Columns[5].Transformations = []schema.Transformation{{Type: schema.TrAutoformat, Value: "yyyy-MM-dd"}}
	def.Columns = append(def.Columns, schema.Column{Key: "site", Label: "Site", Type: schema.TypeURL, Transformations: []schema.Transformation{{Type: schema.TrPrefix}}})
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	file := "First Name,Surname,E-mail,Plan,Seats,Signup Date,Site\n" +
		"george,Smith,George@Example.com,,12.5,10/4/15,acme.com\n" +
		"  mary ,Jones,mary@example.com,pro,3,May 21, 2023,https://x.org\n" +
		"ann,Lee,bad-email,gold,x,2023-02-30,\n"
	file = strings.Replace(file, "May 21, 2023", `"May 21, 2023"`, 1)
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "c.csv", file, nil)
	page, err := svc.Rows(ctx, slug, importer.RowQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"George", "Smith", "george@example.com", "free", "13", "2015-10-04", "https://acme.com"}
	if strings.Join(page.Rows[0].Cleaned, "|") != strings.Join(want, "|") {
		t.Fatalf("cleaned row 1: %q, want %q", page.Rows[0].Cleaned, want)
	}
	if page.Rows[0].Values[0] != "george" || page.Rows[0].Values[5] != "10/4/15" {
		t.Fatalf("raw values changed: %q", page.Rows[0].Values)
	}
	// the codes of the findings
	var codes []string
	for _, is := range page.Rows[2].Issues {
		for _, c := range is.Codes {
			codes = append(codes, is.Column+":"+c.Code)
		}
	}
	if got := strings.Join(codes, " "); got != "email:type.email plan:type.enum seats:type.integer signup_date:type.date" {
		t.Fatalf("codes: %s (%+v)", got, page.Rows[2].Issues)
	}
	if _, err := svc.Submit(ctx, slug); err != nil {
		t.Fatal(err)
	}
	recs, _, err := svc.ListRecords(ctx, slug, 1, 10)
	if err != nil || len(recs) != 3 {
		t.Fatalf("records: %d %v", len(recs), err)
	}
	for i, rec := range recs {
		var m map[string]any
		if err := json.Unmarshal(rec.Data, &m); err != nil {
			t.Fatal(err)
		}
		for ci, key := range page.Columns {
			got := ""
			switch v := m[key].(type) {
			case nil:
			case string:
				got = v
			default:
				b, _ := json.Marshal(v)
				got = string(b)
			}
			if got != page.Rows[i].Cleaned[ci] {
				t.Errorf("row %d %s: stored %q, review showed %q", i+1, key, got, page.Rows[i].Cleaned[ci])
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// A fix file of more than one log part (10,000 changes each) is still one undo.
func TestPatchLargeFileIsOneUndo(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("First Name,Surname,E-mail,Plan,Seats,Signup Date\n")
	const n = 12_000
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "p%d,L,p%d(at)example.com,pro,%d,2023-01-05\n", i, i, i%50+1)
	}
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "big.csv", b.String(), nil)
	var out bytes.Buffer
	if err := svc.ExportErrors(ctx, slug, "csv", &out); err != nil {
		t.Fatal(err)
	}
	res, err := svc.PatchFromFile(ctx, slug, strings.NewReader(strings.ReplaceAll(out.String(), "(at)", "@")), "fixed.csv")
	if err != nil || res.Changed != n {
		t.Fatalf("patch: %+v %v", res, err)
	}
	if s := summaryOf(t, svc, slug); s.ErrorRows != 0 {
		t.Fatalf("after patch: %+v", s)
	}
	if u, err := svc.Undo(ctx, slug); err != nil || u.Cells != n {
		t.Fatalf("undo: %+v %v", u, err)
	}
	if s := summaryOf(t, svc, slug); s.ErrorRows != n || s.CanUndo {
		t.Fatalf("after undo: %+v", s)
	}
}
