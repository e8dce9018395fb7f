package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

func newService(t *testing.T) (*importer.Service, *store.DB) {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	return importer.New(db, dir, nil), db
}

func contacts() *schema.Importer {
	return &schema.Importer{Slug: "contacts", Name: "Contacts", Settings: schema.Settings{InvalidRows: "block"}, Columns: []schema.Column{
		{Key: "first_name", Label: "First name", Required: true},
		{Key: "last_name", Label: "Last name"},
		{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true, Unique: schema.UniqueCaseInsensitive, Transformations: []schema.Transformation{{Type: schema.TrLowercase}}},
		{Key: "plan", Label: "Plan", Type: schema.TypeEnum, Values: []schema.EnumValue{{Value: "free"}, {Value: "pro"}, {Value: "enterprise"}}},
		{Key: "seats", Label: "Seats", Type: schema.TypeInteger, Validations: []schema.Validation{{Type: schema.ValGreaterThan, Value: "0", Severity: schema.SeverityWarning}}},
		{Key: "signup_date", Label: "Signup date", Type: schema.TypeDate},
	}}
}

// stageFile runs upload -> suggested mapping -> stage and returns the slug.
func stageFile(t *testing.T, svc *importer.Service, actor importer.Actor, name, content string, values map[string]map[string]string) string {
	t.Helper()
	ctx := context.Background()
	imp, err := svc.CreateImport(ctx, actor, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, imp.Slug, strings.NewReader(content), name, int64(len(content))); err != nil {
		t.Fatalf("upload: %v", err)
	}
	mv, err := svc.GetMapping(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	m := mv.Suggestions.Mapping()
	m.Values = values
	if err := svc.ConfirmMapping(ctx, imp.Slug, m); err != nil {
		t.Fatalf("confirm mapping: %v", err)
	}
	if err := svc.Stage(ctx, imp.Slug); err != nil {
		t.Fatalf("stage: %v", err)
	}
	return imp.Slug
}

const contactsCSV = "First Name,Surname,E-mail,Plan,Seats,Signup Date\n" +
	"Ada,Lovelace,ada@example.com,pro,3,12/10/2023\n" +
	"Alan,Turing,ALAN@example.com,Gold,0,2023-01-05\n" +
	"Grace,Hopper,ada@EXAMPLE.com,free,x,31/12/2023\n" +
	",Nobody,nobody@example.com,free,1,\n"

func TestStageReviewSubmit(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true, Metadata: map[string]any{"user_id": "u1"}}
	slug := stageFile(t, svc, admin, "people.csv", contactsCSV, map[string]map[string]string{"plan": {"Gold": "enterprise"}})

	sum, err := svc.Summary(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	// row 1 ok; row 2: seats 0 (warning); row 3: duplicate email (case-insensitive, with row 1), seats x, date 31/12
	// (MM/dd by default: invalid); row 4: first_name required.
	if sum.Rows != 4 || sum.ErrorRows != 3 || sum.WarningRows != 1 {
		t.Fatalf("summary rows=%d errors=%d warnings=%d, want 4/3/1", sum.Rows, sum.ErrorRows, sum.WarningRows)
	}
	byKey := map[string]importer.ColumnSummary{}
	for _, c := range sum.Columns {
		byKey[c.Key] = c
	}
	if byKey["email"].Errors != 2 || byKey["seats"].Errors != 1 || byKey["seats"].Warnings != 1 || byKey["first_name"].Errors != 1 || byKey["plan"].Errors != 0 {
		t.Fatalf("column counts: %+v", sum.Columns)
	}
	if sum.CanSubmit {
		t.Fatalf("submit should be blocked")
	}
	page, err := svc.Rows(ctx, slug, importer.RowQuery{Filter: "errors"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3 || len(page.Rows) != 3 || page.Rows[0].Row != 1 {
		t.Fatalf("errors page: total %d rows %+v", page.Total, page.Rows)
	}
	if page.Rows[0].Issues[0].Column != "email" || page.Rows[0].Issues[0].Message != "must be unique (case-insensitive)" {
		t.Fatalf("row 1 issues: %+v", page.Rows[0].Issues)
	}
	// the Gold -> enterprise value map applied on staging
	all, _ := svc.Rows(ctx, slug, importer.RowQuery{})
	if all.Rows[1].Values[3] != "enterprise" {
		t.Fatalf("value map not applied: %q", all.Rows[1].Values)
	}
	// blocked submit
	if _, err := svc.Submit(ctx, slug); errs.Code(err) != errs.EINVALID {
		t.Fatalf("submit with errors: %v, want EINVALID", err)
	}

	// fix row 3's email: row 1 loses its duplicate error too
	res, err := svc.EditRow(ctx, slug, 3, map[string]string{"email": "grace@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Affected) != 1 || res.Affected[0].Row != 1 || res.Affected[0].Errors != 0 {
		t.Fatalf("affected: %+v", res.Affected)
	}
	// undo brings the duplicate back, redo removes it again
	if _, err := svc.Undo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if sum, _ = svc.Summary(ctx, slug); sum.ErrorRows != 3 || !sum.CanRedo {
		t.Fatalf("after undo: %+v", sum)
	}
	if _, err := svc.Redo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if sum, _ = svc.Summary(ctx, slug); sum.ErrorRows != 2 {
		t.Fatalf("after redo: error rows %d", sum.ErrorRows)
	}
	// find & replace fixes the date and the seats
	rr, err := svc.Replace(ctx, slug, importer.ReplaceInput{Column: "signup_date", Find: `^(\d\d)/(\d\d)/(\d{4})$`, Replace: "$3-$2-$1", Regex: true})
	if err != nil || rr.Cells != 2 {
		t.Fatalf("replace: %+v %v", rr, err)
	}
	// 12/10/2023 became 2023-10-12 (still valid), 31/12/2023 became 2023-12-31
	if _, err := svc.Replace(ctx, slug, importer.ReplaceInput{Column: "seats", Find: "x", Replace: "2", WholeCell: true}); err != nil {
		t.Fatal(err)
	}
	// delete the row without a first name, then undo and redo the delete
	if d, err := svc.DeleteRows(ctx, slug, importer.DeleteInput{Filter: "errors"}); err != nil || d.Deleted != 1 {
		t.Fatalf("delete: %+v %v", d, err)
	}
	if _, err := svc.Undo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if sum, _ = svc.Summary(ctx, slug); sum.Rows != 4 || sum.ErrorRows != 1 {
		t.Fatalf("after undo delete: %+v", sum)
	}
	if _, err := svc.Redo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	sum, _ = svc.Summary(ctx, slug)
	if sum.Rows != 3 || sum.ErrorRows != 0 || !sum.CanSubmit {
		t.Fatalf("before submit: %+v", sum)
	}
	var hooked []string
	svc.OnSubmit(func(ctx context.Context, tx *store.Tx, imp importer.Import) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(r.n), 0) FROM importer_records r JOIN importer_imports i ON i.id = r.import_id WHERE i.slug = ?`, imp.Slug).Scan(&n); err != nil {
			return err
		}
		hooked = append(hooked, fmt.Sprintf("%s:%s:%d", imp.Slug, imp.Status, n))
		return nil
	})
	imp, err := svc.Submit(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Status != importer.StatusCompleted || imp.RowCount != 3 {
		t.Fatalf("submitted import: %+v", imp)
	}
	if len(hooked) != 1 || hooked[0] != slug+":completed:3" {
		t.Fatalf("hook calls: %v", hooked)
	}
	recs, total, err := svc.ListRecords(ctx, slug, 1, 2)
	if err != nil || total != 3 || len(recs) != 2 {
		t.Fatalf("records: %d/%d %v", len(recs), total, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(recs[0].Data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec["seats"] != float64(3) || rec["signup_date"] != "2023-10-12" || rec["plan"] != "pro" {
		t.Fatalf("record 1: %v", rec)
	}
	var streamed []string
	err = svc.StreamRecords(ctx, slug, func(r importer.Record) error {
		var m map[string]any
		json.Unmarshal(r.Data, &m)
		streamed = append(streamed, fmt.Sprintf("%d:%v:%v", r.Sort, m["email"], m["seats"]))
		return nil
	})
	if err != nil || strings.Join(streamed, " ") != "1:ada@example.com:3 2:alan@example.com:0 3:grace@example.com:2" {
		t.Fatalf("stream: %v %v", streamed, err)
	}
	list, n, err := svc.ListImports(ctx, importer.ListFilter{Metadata: map[string]string{"user_id": "u1"}, Status: "completed"})
	if err != nil || n != 1 || list[0].Slug != slug || list[0].Template.Slug != "contacts" {
		t.Fatalf("list imports: %d %+v %v", n, list, err)
	}
	// the original is kept: re-import gives a new import with the same rows
	re, pv, err := svc.Reimport(ctx, admin, slug)
	if err != nil || re.Slug == slug || len(pv.Rows) != 5 {
		t.Fatalf("reimport: %+v %v", re, err)
	}
	// mapping memory: the user's confirmed mapping comes first next time
	mv, err := svc.GetMapping(ctx, re.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if c := mv.Suggestions.Columns[2]; c.Key != "email" || c.Source != "user_memory" {
		t.Fatalf("memory suggestion: %+v", c)
	}
	if v := mv.Values["plan"]; len(v) == 0 || v[0].From == "" {
		t.Fatalf("value suggestions: %+v", mv.Values)
	}
	found := false
	for _, v := range mv.Values["plan"] {
		if v.From == "Gold" && v.To == "enterprise" && v.Source == "user_memory" {
			found = true
		}
	}
	if !found {
		t.Fatalf("value memory not used: %+v", mv.Values["plan"])
	}
}

func TestUploadErrors(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := contacts()
	def.Settings.MaxFileSize = "1KB"
	def.Settings.AllowedFileTypes = []string{"csv"}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true}
	tests := []struct {
		name, file, body, code, want string
	}{
		{"empty", "a.csv", "", errs.EINVALID, "empty"},
		{"header only", "a.csv", "First Name,Email\n", errs.EINVALID, "no data rows"},
		{"too large", "a.csv", strings.Repeat("x,y\n", 400), errs.ETOOLARGE, "1 KB"},
		{"type not allowed", "a.xlsx", "x", errs.EINVALID, `file type "xlsx" is not allowed`},
		{"binary", "a.csv", "\x00\x01\x02\x03binary\x00", errs.EINVALID, ""},
	}
	for _, tt := range tests {
		imp, err := svc.CreateImport(ctx, admin, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Upload(ctx, imp.Slug, strings.NewReader(tt.body), tt.file, -1)
		if errs.Code(err) != tt.code || !strings.Contains(errs.Message(err), tt.want) {
			t.Errorf("%s: err %v (%s), want %s containing %q", tt.name, err, errs.Code(err), tt.code, tt.want)
		}
	}
}

func TestSessionActor(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.SaveImporter(ctx, contacts())
	other := contacts()
	other.Slug = "other"
	svc.SaveImporter(ctx, other)
	actor := importer.Actor{SessionID: "s1", ImporterSlug: "contacts", Metadata: map[string]any{"user_id": 7}}
	imp, err := svc.CreateImport(ctx, actor, "")
	if err != nil || imp.Template.Slug != "contacts" || imp.Metadata["user_id"] != float64(7) {
		t.Fatalf("create: %+v %v", imp, err)
	}
	if !imp.AccessibleBy(actor) || imp.AccessibleBy(importer.Actor{SessionID: "s2"}) || !imp.AccessibleBy(importer.Actor{Admin: true}) {
		t.Fatalf("AccessibleBy wrong")
	}
	if _, err := svc.CreateImport(ctx, actor, "other"); errs.Code(err) != errs.EFORBIDDEN {
		t.Fatalf("cross-importer create: %v", err)
	}
	b, _ := json.Marshal(imp)
	for _, k := range []string{`"slug"`, `"row_count":0`, `"status":"created"`, `"template":{"name":"Contacts","slug":"contacts"}`, `"metadata":{"user_id":7}`, `"created_at"`, `"updated_at"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("import JSON %s lacks %s", b, k)
		}
	}
}

func TestNastyFiles(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := &schema.Importer{Slug: "contacts", Name: "Any", Columns: []schema.Column{{Key: "a", Label: "A"}, {Key: "b", Label: "B"}, {Key: "c", Label: "C"}}}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "ingest", "testdata")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read the ingest sample files in %s: %v", dir, err)
	}
	staged, failed := 0, 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		imp, _ := svc.CreateImport(ctx, importer.Actor{Admin: true}, "contacts")
		_, err = svc.Upload(ctx, imp.Slug, bytes.NewReader(body), e.Name(), int64(len(body)))
		if err != nil {
			// a clear domain error, never a crash or an internal error
			if errs.Code(err) == errs.EINTERNAL || errs.Message(err) == "" {
				t.Errorf("%s: upload error %v is not a clear input error", e.Name(), err)
			}
			failed++
			continue
		}
		// map file columns by position and stage
		idx := func(i int) *int { return &i }
		pv, _ := svc.GetPreview(ctx, imp.Slug)
		var m schema.Mapping
		for i := 0; i < len(pv.Headers) && i < 3; i++ {
			m.Columns = append(m.Columns, schema.MappedColumn{Index: idx(i), Key: []string{"a", "b", "c"}[i]})
		}
		if err := svc.ConfirmMapping(ctx, imp.Slug, m); err != nil {
			t.Errorf("%s: mapping: %v", e.Name(), err)
			continue
		}
		if err := svc.Stage(ctx, imp.Slug); err != nil {
			if errs.Code(err) == errs.EINTERNAL {
				t.Errorf("%s: stage: internal error %v", e.Name(), err)
			}
			failed++
			continue
		}
		staged++
	}
	if staged == 0 || failed == 0 {
		t.Errorf("staged %d, failed %d: expected both good and bad files", staged, failed)
	}
}

func TestLatin1File(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.SaveImporter(ctx, contacts())
	// "José Müller" in Windows-1252 bytes
	body := "First Name,Surname,Email\nJos\xe9,M\xfcller,jose@example.com\n"
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "latin1.csv", body, nil)
	page, err := svc.Rows(ctx, slug, importer.RowQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Rows[0].Values[0] != "José" || page.Rows[0].Values[1] != "Müller" {
		t.Fatalf("values %q", page.Rows[0].Values)
	}
}

func TestTenThousandRows(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.BatchRows, svc.TxRows = 100, 1000 // several transactions
	svc.SaveImporter(ctx, contacts())
	var b strings.Builder
	b.WriteString("first_name,last_name,email,plan,seats,signup_date\n")
	wantErr := 0
	for i := 1; i <= 10000; i++ {
		email := fmt.Sprintf("user%d@example.com", i)
		seats := fmt.Sprint(i%50 + 1)
		switch {
		case i%100 == 0:
			email = "not-an-email" // 100 rows, but also duplicates of each other
			wantErr++
		case i%250 == 7:
			seats = "many"
			wantErr++
		}
		fmt.Fprintf(&b, "F%d,L%d,%s,pro,%s,2023-01-%02d\n", i, i, email, seats, i%28+1)
	}
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "big.csv", b.String(), nil)
	sum, _ := svc.Summary(ctx, slug)
	if sum.Rows != 10000 || sum.ErrorRows != int64(wantErr) {
		t.Fatalf("rows %d error rows %d, want 10000/%d", sum.Rows, sum.ErrorRows, wantErr)
	}
	// paging: cursor and offset agree
	p1, _ := svc.Rows(ctx, slug, importer.RowQuery{Limit: 100, Offset: 5000})
	if p1.Rows[0].Row != 5001 || len(p1.Rows) != 100 {
		t.Fatalf("offset page starts at %d", p1.Rows[0].Row)
	}
	p2, _ := svc.Rows(ctx, slug, importer.RowQuery{Limit: 100, Cursor: p1.NextCursor})
	if p2.Rows[0].Row != 5101 {
		t.Fatalf("cursor page starts at %d", p2.Rows[0].Row)
	}
	// per-column filter, search and sort
	pc, _ := svc.Rows(ctx, slug, importer.RowQuery{Filter: "errors", Column: "seats"})
	if pc.Total != 40 {
		t.Fatalf("seats errors: %d", pc.Total)
	}
	ps, _ := svc.Rows(ctx, slug, importer.RowQuery{Q: "USER999@"})
	if ps.Total != 1 || ps.Rows[0].Row != 999 {
		t.Fatalf("search: %+v", ps)
	}
	po, _ := svc.Rows(ctx, slug, importer.RowQuery{Sort: "seats", Desc: true, Limit: 3})
	if po.Rows[0].Values[4] != "50" || po.Total != 10000 {
		t.Fatalf("sort: %+v", po.Rows[0])
	}
	// replace over all rows fixes the bad emails (they become unique)
	rr, err := svc.Replace(ctx, slug, importer.ReplaceInput{Column: "email", Find: "not-an-email", Replace: "fixed@example.com", WholeCell: true})
	if err != nil || rr.Cells != 100 {
		t.Fatalf("replace: %+v %v", rr, err)
	}
	sum, _ = svc.Summary(ctx, slug)
	if sum.ErrorRows != int64(wantErr) { // still duplicates of each other
		t.Fatalf("after replace: %d error rows", sum.ErrorRows)
	}
	rr, err = svc.Replace(ctx, slug, importer.ReplaceInput{Column: "email", Find: "fixed@", Replace: "x@"})
	if err != nil || rr.Cells != 100 {
		t.Fatalf("replace: %+v %v", rr, err)
	}
	if _, err := svc.Undo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Undo(ctx, slug); err != nil {
		t.Fatal(err)
	}
	sum, _ = svc.Summary(ctx, slug)
	if sum.ErrorRows != int64(wantErr) || sum.Columns[2].Errors != 100 {
		t.Fatalf("after undo: %+v", sum)
	}
}

func TestRecordsPagingAcrossChunks(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.BatchRows, svc.TxRows = 7, 20
	def := contacts()
	def.Settings.InvalidRows = schema.InvalidRowsExclude
	svc.SaveImporter(ctx, def)
	var b strings.Builder
	b.WriteString("first_name,email,seats\n")
	for i := 1; i <= 500; i++ {
		seats := fmt.Sprint(i)
		if i%10 == 0 {
			seats = "bad" // excluded on submit
		}
		fmt.Fprintf(&b, "F%d,u%d@example.com,%s\n", i, i, seats)
	}
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "r.csv", b.String(), nil)
	imp, err := svc.Submit(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Status != importer.StatusCompleted {
		t.Fatalf("status %s", imp.Status)
	}
	seen := 0
	for page := 1; ; page++ {
		recs, total, err := svc.ListRecords(ctx, slug, page, 9)
		if err != nil {
			t.Fatal(err)
		}
		if total != 450 {
			t.Fatalf("total %d", total)
		}
		for _, r := range recs {
			seen++
			var m map[string]any
			json.Unmarshal(r.Data, &m)
			// record k comes from source row k + (k-1)/9 (every 10th row excluded)
			src := seen + (seen-1)/9
			if r.Sort != int64(seen) || m["first_name"] != fmt.Sprintf("F%d", src) || m["seats"] != float64(src) || r.Slug != fmt.Sprintf("%s-%d", slug, seen) {
				t.Fatalf("page %d: record %+v %v, want sort %d from row %d", page, r, m, seen, src)
			}
		}
		if len(recs) < 9 {
			break
		}
	}
	if seen != 450 {
		t.Fatalf("paged %d records", seen)
	}
	n := 0
	if err := svc.StreamRecords(ctx, slug, func(importer.Record) error { n++; return nil }); err != nil || n != 450 {
		t.Fatalf("streamed %d, %v", n, err)
	}
	if recs, _, _ := svc.ListRecords(ctx, slug, 100, 9); len(recs) != 0 {
		t.Fatalf("page past the end: %d records", len(recs))
	}
}

func TestCompositeUniqueness(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := &schema.Importer{Slug: "contacts", Name: "Pairs", Columns: []schema.Column{
		{Key: "first_name", Label: "First name", Unique: schema.UniqueCaseInsensitive, UniqueWith: []string{"last_name"}},
		{Key: "last_name", Label: "Last name"},
		{Key: "city", Label: "City"},
	}}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	body := "first_name,last_name,city\nAda,Lovelace,London\nada, lovelace ,Paris\nAda,Byron,London\n,,Nowhere\n,,Elsewhere\n"
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "pairs.csv", body, nil)
	page, err := svc.Rows(ctx, slug, importer.RowQuery{Filter: "errors"})
	if err != nil {
		t.Fatal(err)
	}
	// rows 1 and 2 share (first, last) ignoring case and spaces; empty tuples never clash
	if page.Total != 2 || page.Rows[0].Row != 1 || page.Rows[1].Row != 2 || page.Rows[0].Issues[0].Message != "the combination of first_name, last_name must be unique" {
		t.Fatalf("errors: %+v", page)
	}
	// changing the other column of the pair clears both rows
	res, err := svc.EditRow(ctx, slug, 2, map[string]string{"last_name": "King"})
	if err != nil || res.Row.Errors != 0 || len(res.Affected) != 1 || res.Affected[0].Row != 1 || res.Affected[0].Errors != 0 {
		t.Fatalf("edit: %+v %v", res, err)
	}
	// and joining another pair flags both again
	res, err = svc.EditRow(ctx, slug, 3, map[string]string{"last_name": "KING", "first_name": "ADA"})
	if err != nil || res.Row.Errors != 1 || len(res.Affected) != 1 || res.Affected[0].Row != 2 {
		t.Fatalf("edit 2: %+v %v", res, err)
	}
}

func TestRecoverInterruptedSteps(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t)
	svc.SaveImporter(ctx, contacts())
	body := "First Name,Email\nAda,ada@example.com\n"
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "a.csv", body, nil)
	// the process stopped while staging: a new process sees step staging
	if _, err := db.Write.Exec(`UPDATE importer_imports SET step = 'staging' WHERE slug = ?`, slug); err != nil {
		t.Fatal(err)
	}
	fresh := importer.New(db, t.TempDir(), nil)
	if p, _ := fresh.Progress(ctx, slug); p.Phase != "failed" || !strings.Contains(p.Error, "interrupted") {
		t.Fatalf("progress after restart: %+v", p)
	}
	mv, err := fresh.GetMapping(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.ConfirmMapping(ctx, slug, *mv.Mapping); err != nil {
		t.Fatalf("mapping after an interrupted staging: %v", err)
	}
	if err := fresh.Stage(ctx, slug); err != nil {
		t.Fatal(err)
	}
	// the process stopped while submitting
	if _, err := db.Write.Exec(`UPDATE importer_imports SET step = 'submitting', status = 'submitting' WHERE slug = ?`, slug); err != nil {
		t.Fatal(err)
	}
	fresh = importer.New(db, t.TempDir(), nil)
	imp, err := fresh.Submit(ctx, slug)
	if err != nil || imp.Status != importer.StatusCompleted {
		t.Fatalf("submit after an interrupted submit: %+v %v", imp, err)
	}
}
