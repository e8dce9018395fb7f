package importer

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"fusebox/backend/schema"
	"fusebox/backend/store"
)

func resumeWorkbook(t *testing.T, rows int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetSheetRow("Sheet1", "A1", &[]any{"Name", "Plan", "Seats", "Signup"})
	for i := 2; i <= rows+1; i++ {
		cell := fmt.Sprintf("A%d", i)
		f.SetSheetRow("Sheet1", cell, &[]any{fmt.Sprintf("name %d", i), []string{"free", "pro", "Gold", ""}[i%4], i % 7, 45000 + i})
		f.SetCellStyle("Sheet1", fmt.Sprintf("D%d", i), fmt.Sprintf("D%d", i), date)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The mapping step's value scan parks a workbook's reader and staging
// resumes it: the staged rows are the same as when staging reads the file
// itself, and no spill file stays behind. A new upload drops the parked
// reader.
func TestStageResumesTheMappingScanOfAWorkbook(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "fusebox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db, dir, nil)
	def := &schema.Importer{Slug: "plans", Name: "Plans", Columns: []schema.Column{
		{Key: "name", Label: "Name", Required: true},
		{Key: "plan", Label: "Plan", Type: schema.TypeEnum, Values: []schema.EnumValue{{Value: "free"}, {Value: "pro"}}},
		{Key: "seats", Label: "Seats", Type: schema.TypeInteger},
		{Key: "signup", Label: "Signup", Type: schema.TypeDate},
	}}
	if _, err := s.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	book := resumeWorkbook(t, 500)
	var m schema.Mapping
	stage := func(withMapping bool) ([]Row, string) {
		imp, err := s.CreateImport(ctx, Actor{Admin: true}, "plans")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Upload(ctx, imp.Slug, bytes.NewReader(book), "plans.xlsx", int64(len(book))); err != nil {
			t.Fatal(err)
		}
		if withMapping {
			mv, err := s.GetMapping(ctx, imp.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if len(mv.Values["plan"]) == 0 {
				t.Fatalf("no value suggestions: %+v", mv.Values)
			}
			s.parked.mu.Lock()
			parked := s.parked.m[imp.ID] != nil
			s.parked.mu.Unlock()
			if !parked {
				t.Fatal("the mapping step parked no reader")
			}
			m = mv.Suggestions.Mapping()
		}
		if err := s.ConfirmMapping(ctx, imp.Slug, m); err != nil {
			t.Fatal(err)
		}
		if err := s.Stage(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
		var all []Row
		for off := 0; ; off += 1000 {
			page, err := s.Rows(ctx, imp.Slug, RowQuery{Offset: off, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page.Rows...)
			if len(page.Rows) < 1000 {
				break
			}
		}
		return all, imp.Slug
	}
	resumed, slug := stage(true)
	fresh, _ := stage(false)
	if len(resumed) != 500 || !reflect.DeepEqual(resumed, fresh) {
		t.Fatalf("resumed staging: %d rows, fresh %d; equal %v", len(resumed), len(fresh), reflect.DeepEqual(resumed, fresh))
	}
	s.parked.mu.Lock()
	left := len(s.parked.m)
	s.parked.mu.Unlock()
	spills, _ := filepath.Glob(filepath.Join(s.uploadDir(slug), "*.spill"))
	if left != 0 || len(spills) != 0 {
		t.Fatalf("%d readers still parked, spill files %v", left, spills)
	}

	// a new file after the scan: the parked reader is dropped, not resumed
	imp, _ := s.CreateImport(ctx, Actor{Admin: true}, "plans")
	s.Upload(ctx, imp.Slug, bytes.NewReader(book), "plans.xlsx", int64(len(book)))
	mv, err := s.GetMapping(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	other := resumeWorkbook(t, 20)
	if _, err := s.Upload(ctx, imp.Slug, bytes.NewReader(other), "plans.xlsx", int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	page, _ := s.Rows(ctx, imp.Slug, RowQuery{})
	if page.Total != 20 {
		t.Fatalf("staged %d rows of the new 20-row file", page.Total)
	}
	if spills, _ := filepath.Glob(filepath.Join(s.uploadDir(imp.Slug), "*.spill")); len(spills) != 0 {
		t.Fatalf("spill files left: %v", spills)
	}
}
