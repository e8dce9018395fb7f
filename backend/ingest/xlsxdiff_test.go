package ingest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"fusebox/backend/ingest/ingesttest"
)

// readBoth reads every row of the sheet with the streaming reader and with
// the excelize-based reference.
func readBoth(t *testing.T, path, sheet string) (got, want [][]string, gotErr, wantErr error) {
	t.Helper()
	read := func(open func(string, int64, Options) (*Reader, error)) ([][]string, error) {
		rd, err := open(path, 0, Options{Sheet: sheet})
		if err != nil {
			return nil, err
		}
		defer rd.Close()
		var rows [][]string
		for {
			row, err := rd.Next()
			if err == io.EOF {
				return rows, nil
			}
			if err != nil {
				return rows, err
			}
			rows = append(rows, append([]string(nil), row...))
		}
	}
	got, gotErr = read(openXLSX)
	want, wantErr = read(openXLSXExcelize)
	return
}

// genWorkbook writes a workbook with every cell kind the importer reads.
func genWorkbook(t *testing.T, seed uint64, date1904 bool) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	codes := []string{"yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "hh:mm", "00000", "[h]:mm:ss", "0.00%", "#,##0.00", "@", "General", "d/m/yy h:mm", "mmm yyyy", "0.0", "$#,##0"}
	var styles []int
	for _, id := range []int{0, 1, 2, 4, 9, 10, 14, 15, 20, 21, 22, 45, 46, 47, 49} {
		s, err := f.NewStyle(&excelize.Style{NumFmt: id})
		if err != nil {
			t.Fatal(err)
		}
		styles = append(styles, s)
	}
	for _, c := range codes {
		c := c
		s, err := f.NewStyle(&excelize.Style{CustomNumFmt: &c})
		if err != nil {
			t.Fatal(err)
		}
		styles = append(styles, s)
	}
	texts := []string{"plain", "a & b <c> \"q\" 'x'", "multi\nline", "Zürich 東京 🙂", "  spaced  ", "_x0041_ literal", "0042", "TRUE", "", "1e5", "=not a formula"}
	nums := []any{0, 1, -1, 42, 45366, 45366.4375, 0.1, 1.0 / 3, 123456789012345678, -0.000001, 3e20, 2958466.5, 0.75, 60, 59, 61, 1.5, -45366}
	f.NewSheet("Second")
	f.NewSheet("Hidden")
	f.SetSheetVisible("Hidden", false)
	for _, sheet := range []string{"Sheet1", "Second"} {
		for row := 1; row <= 60; row++ {
			if r.IntN(8) == 0 {
				continue // a gap of rows
			}
			for col := 1; col <= 12; col++ {
				if r.IntN(4) == 0 {
					continue // an empty cell
				}
				cell, _ := excelize.CoordinatesToCellName(col, row)
				style := styles[r.IntN(len(styles))]
				var err error
				switch r.IntN(7) {
				case 0, 1:
					err = f.SetCellValue(sheet, cell, texts[r.IntN(len(texts))])
				case 2, 3:
					err = f.SetCellValue(sheet, cell, nums[r.IntN(len(nums))])
				case 4:
					err = f.SetCellBool(sheet, cell, r.IntN(2) == 0)
				case 5:
					err = f.SetCellRichText(sheet, cell, []excelize.RichTextRun{{Text: "bold "}, {Text: "and plain & co"}})
				case 6:
					if err = f.SetCellFormula(sheet, cell, "1+1"); err == nil {
						err = f.SetCellValue(sheet, cell, nums[r.IntN(len(nums))])
						f.SetCellFormula(sheet, cell, "1+1")
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.IntN(2) == 0 {
					f.SetCellStyle(sheet, cell, cell, style)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("gen%d.xlsx", seed))
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestXLSXStreamMatchesExcelize compares the streaming reader with the
// excelize-based reference on generated workbooks (both date systems,
// every sheet kind).
func TestXLSXStreamMatchesExcelize(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		path := genWorkbook(t, seed, seed%3 == 0)
		for _, sheet := range []string{"", "Second", "second", "Hidden", "Missing"} {
			got, want, gotErr, wantErr := readBoth(t, path, sheet)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("seed %d sheet %q: error %v, reference %v", seed, sheet, gotErr, wantErr)
			}
			if gotErr == nil && !reflect.DeepEqual(got, want) {
				for i := range max(len(got), len(want)) {
					var g, w []string
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if !reflect.DeepEqual(g, w) {
						t.Fatalf("seed %d sheet %q row %d:\n got %q\nwant %q", seed, sheet, i+1, g, w)
					}
				}
			}
		}
	}
}

// TestXLSXStreamStreamWriter compares both readers on a workbook written by
// excelize's stream writer (inline strings, formulas with cached values,
// explicit row and cell references with gaps).
func TestXLSXStreamStreamWriter(t *testing.T) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	sw.SetRow("A1", []any{"id", "name", "when", "ok", "formula"})
	for i := 2; i < 300; i += 1 + i%3 {
		cell, _ := excelize.CoordinatesToCellName(1+i%2, i)
		sw.SetRow(cell, []any{i, "n" + fmt.Sprint(i), excelize.Cell{StyleID: date, Value: 45000 + i}, i%2 == 0, excelize.Cell{Formula: "A1*2", Value: i * 2}, nil, "tail"})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sw.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	got, want, gotErr, wantErr := readBoth(t, path, "")
	if gotErr != nil || wantErr != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %q\nwant %v %q", gotErr, got, wantErr, want)
	}
}

// FuzzXLSXSheet feeds arbitrary worksheet and shared-string XML to the
// streaming reader: it never panics, and what it returns stays within the
// limits (cells per row, text per row).
func FuzzXLSXSheet(f *testing.F) {
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>x &amp; y</t></is></c></row><row r="4"><c s="1"><v>45366.5</v></c><c t="b"><v>1</v></c></row>`, `<si><t>name</t></si><si><r><t>a</t></r><r><t>b</t></r></si>`)
	f.Add(`<row><c t="e"><v>#N/A</v></c><c><f>1+1</f><v>2</v></c><c r="XFD1"><v>1</v></c></row><!-- c --><row r="2"><c t="str"><v><![CDATA[<x>]]></v></c></row>`, `<si><t>_x0041_</t><rPh><t>ignored</t></rPh></si>`)
	f.Add(`<row r="2"><c r="B2" t="d"><v>2024-03-15T10:30:00Z</v></c><c r="A" t="s"><v>9</v></c></row>`, ``)
	f.Fuzz(func(t *testing.T, sheet, sst string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.xlsx")
		err := ingesttest.WriteXLSX(path, ingesttest.Workbook(
			ingesttest.Text(ingesttest.SheetPart, ingesttest.SheetHead+sheet+ingesttest.SheetTail),
			ingesttest.Text(ingesttest.SharedStringsPart, ingesttest.SSTHead+sst+ingesttest.SSTTail),
		)...)
		if err != nil {
			// The harness could not write this input as a workbook: nothing of the reader to test.
			t.Skipf("input is not writable as a workbook: %v", err)
		}
		opts := Options{MaxFieldBytes: 4096, Limits: Limits{MaxColumns: 64}}
		rd, err := OpenFile(path, "", opts)
		if err != nil {
			return
		}
		defer rd.Close()
		for range 10_000 {
			row, err := rd.Next()
			if err != nil {
				return
			}
			n := 0
			for _, c := range row {
				n += len(c)
			}
			if len(row) > 64 || n > 4096 {
				t.Fatalf("row of %d cells, %d bytes: beyond the limits", len(row), n)
			}
		}
	})
}

// FuzzXLSXNumberFastPath checks that numbers the fast path passes through
// unchanged are the ones excelize's rendering leaves unchanged.
func FuzzXLSXNumberFastPath(f *testing.F) {
	for _, s := range []string{"0", "-0", "12.5", "12.50", "007", "123456789012345", "1234567890123456", "0.1", "-3.25", "1e5", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if canonicalDecimal([]byte(v)) {
			if got, _, _ := canonicalNumber(v); got != v {
				t.Fatalf("fast path keeps %q, excelize's rendering gives %q", v, got)
			}
		}
	})
}
