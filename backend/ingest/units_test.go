package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		name, text string
		truncated  bool
		want       rune
	}{
		{"comma", "a,b,c\n1,2,3\n", false, ','},
		{"semicolon", "a;b;c\n1;2;3\n", false, ';'},
		{"tab", "a\tb\n1\t2\n", false, '\t'},
		{"pipe", "a|b\n1|2\n", false, '|'},
		{"single column defaults to comma", "email\nann@example.com\n", false, ','},
		{"commas inside quotes do not count", "name;note\n\"Doe, John\";\"a, b, c\"\n\"Roe, R\";x\n", false, ';'},
		{"decimal commas in a semicolon file", "Name;Preis\nApfel;1,5\nBirne;2,25\nKiwi;3,5\n", false, ';'},
		{"commas in a tab file", "name\tamount\nAnn\t1,5\nBob\t2,5\n", false, '\t'},
		{"quoted newline does not split the record", "a,b\n\"x;\ny;\nz\",2\n3,4\n", false, ','},
		{"title row above comma data", "Report\na,b,c\n1,2,3\n4,5,6\n", false, ','},
		{"single line picks most fields", "a;b;c,d\n", false, ';'},
		{"truncated last record ignored", "a,b\n1,2\n3;4;5;6;7;8", true, ','},
		{"empty", "", false, ','},
		{"CRLF", "a;b\r\n1;2\r\n", false, ';'},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := detectDelimiter(tc.text, tc.truncated); got != tc.want {
				t.Errorf("detectDelimiter(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestDetectHeaderRow(t *testing.T) {
	tests := []struct {
		name string
		rows [][]string
		want int
	}{
		{"first row", [][]string{{"id", "name"}, {"1", "Ann"}}, 0},
		{"title and blank rows", [][]string{{"Sales report"}, {""}, {"", "", ""}, {"region", "units", "revenue"}, {"North", "3", "9.5"}}, 3},
		{"title with date cell", [][]string{{"Exported", "2024-03-01"}, {"name", "email", "age", "city"}, {"Ann", "a@x", "31", "Rome"}}, 1},
		{"numeric first row is data, not header", [][]string{{"1", "2", "3"}, {"4", "5", "6"}}, 0},
		{"repeated values are not a header", [][]string{{"x", "x", "x"}, {"name", "kind", "size"}, {"a", "b", "1"}}, 1},
		{"mostly empty row skipped", [][]string{{"Note:", "", "", "", ""}, {"a", "b", "c", "d", "e"}, {"1", "2", "3", "4", "5"}}, 1},
		{"header only", [][]string{{"id", "name", "email"}}, 0},
		{"single column", [][]string{{"email"}, {"a@example.com"}}, 0},
		{"all blank", [][]string{{""}, {"", ""}}, 0},
		{"empty", nil, 0},
		{"leading blank then header", [][]string{{}, {"a", "b"}, {"1", "2"}}, 1},
		{"nothing qualifies: first non-blank", [][]string{{}, {"1", "2"}, {"3", "4"}}, 1},
		{"money and percentages count as numbers", [][]string{{"$1,200", "15%", "x"}, {"item", "price", "tax"}, {"a", "1", "2"}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectHeaderRow(tc.rows); got != tc.want {
				t.Errorf("DetectHeaderRow = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCheckHeader(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		kind   ErrKind
		column int
		msg    string
	}{
		{"ok", []string{"id", "name", "email"}, "", 0, ""},
		{"blank", []string{"id", "", "email"}, ErrBlankHeader, 2, "column 2 (B) has no header name"},
		{"blank spaces, several", []string{"id", " ", "x", "\t"}, ErrBlankHeader, 2, "columns 2 (B) and 4 (D) have no header name"},
		{"duplicate ignoring case and spaces", []string{"id", "Name", "email", "name "}, ErrDuplicateHeader, 4, `"name" in column 4 (D) repeats column 2 (B)`},
		{"blank wins over duplicate", []string{"a", "a", ""}, ErrBlankHeader, 3, "column 3 (C)"},
		{"empty header row", nil, ErrBlankHeader, 0, "the header row is empty"},
		{"many duplicates are summarized", strings.Split(strings.Repeat("x,", 12)+"x", ","), ErrDuplicateHeader, 2, "and 4 more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHeader(tc.header)
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("CheckHeader = %v, want nil", err)
				}
				return
			}
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind != tc.kind || ie.Column != tc.column {
				t.Fatalf("CheckHeader = %#v, want kind %q column %d", err, tc.kind, tc.column)
			}
			if !strings.Contains(ie.Error(), tc.msg) {
				t.Errorf("message %q does not contain %q", ie.Error(), tc.msg)
			}
		})
	}
}

func TestCheckHeaderOnFixtures(t *testing.T) {
	for file, kind := range map[string]ErrKind{"dup-headers.csv": ErrDuplicateHeader, "blank-header.csv": ErrBlankHeader} {
		rd, err := OpenFile(filepath.Join("testdata", file), "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		header, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := errKind(CheckHeader(header)); got != kind {
			t.Errorf("%s: CheckHeader kind %q, want %q", file, got, kind)
		}
		rd.Close()
	}
}

func TestColumnLetter(t *testing.T) {
	for col, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA", 0: ""} {
		if got := ColumnLetter(col); got != want {
			t.Errorf("ColumnLetter(%d) = %q, want %q", col, got, want)
		}
	}
}

func TestErrorFormatting(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: ErrEmpty, Msg: "empty"}, "empty"},
		{&Error{Kind: ErrLineTooLong, Row: 3, Msg: "too long"}, "row 3: too long"},
		{&Error{Kind: ErrFormat, Row: 3, Column: 2, Msg: "bad"}, "row 3, column 2: bad"},
		{&Error{Kind: ErrBlankHeader, Column: 2, Msg: "column 2 (B) has no header name"}, "column 2 (B) has no header name"},
		{HeaderOnlyError(4), "row 4: the file has a header row but no data rows below it"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	wrapped := fmt.Errorf("import: %w", &Error{Kind: ErrEmpty, Msg: "x"})
	if !errors.Is(wrapped, &Error{Kind: ErrEmpty}) || errors.Is(wrapped, &Error{Kind: ErrBinary}) {
		t.Error("errors.Is does not match on Kind")
	}
}

func TestOpenInline(t *testing.T) {
	utf16noBOM, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte("a,b\n1,ü\n"))
	tests := []struct {
		name    string
		input   string
		file    string
		opts    Options
		det     Detected
		rows    [][]string
		openErr ErrKind
		readErr ErrKind
		errRow  int
		msg     string
	}{
		{name: "whitespace only", input: " \n\t\r\n ", file: "x.csv", openErr: ErrEmpty, msg: "only whitespace"},
		{name: "BOM only", input: "\xEF\xBB\xBF", file: "x.csv", openErr: ErrEmpty},
		{name: "pasted TSV without a name", input: "a\tb\n1\t2", det: Detected{Format: "tsv", Encoding: "utf-8", Delimiter: "\t"}, rows: [][]string{{"a", "b"}, {"1", "2"}}},
		{name: "pasted TSV by format", input: "a,b\tc", opts: Options{Format: "tsv"}, det: Detected{Format: "tsv", Encoding: "utf-8", Delimiter: "\t"}, rows: [][]string{{"a,b", "c"}}},
		{name: ".tsv name", input: "a,b\tc", file: "x.tsv", det: Detected{Format: "tsv", Encoding: "utf-8", Delimiter: "\t"}, rows: [][]string{{"a,b", "c"}}},
		{name: "pasted JSON without a name", input: " [ {\"a\": 1} ]", det: Detected{Format: "json", Encoding: "utf-8"}, rows: [][]string{{"a"}, {"1"}}},
		{name: "a CSV starting with [ stays CSV", input: "[a],b\n1,2\n", file: "x.csv", det: Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","}, rows: [][]string{{"[a]", "b"}, {"1", "2"}}},
		{name: "utf-16le without BOM", input: string(utf16noBOM), file: "x.csv", det: Detected{Format: "csv", Encoding: "utf-16le", Delimiter: ","}, rows: [][]string{{"a", "b"}, {"1", "ü"}}},
		{name: "utf-16 forced with BOM", input: "\xFF\xFEa\x00", file: "x.csv", opts: Options{Encoding: "utf-16le"}, det: Detected{Format: "csv", Encoding: "utf-16le", Delimiter: ",", BOM: true}, rows: [][]string{{"a"}}},
		{name: "legacy xls", input: "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", file: "x.xls", openErr: ErrBinary, msg: "legacy Excel .xls"},
		{name: "PDF", input: "%PDF-1.7\n...", file: "x.csv", openErr: ErrBinary, msg: "PDF document"},
		{name: "gzip", input: "\x1F\x8B\x08\x00", file: "x.csv", openErr: ErrBinary, msg: "gzip archive"},
		{name: "plain zip", input: "PK\x03\x04\x14\x00\x00\x00data.csv", file: "x.csv", openErr: ErrBinary, msg: "ZIP archive"},
		{name: "docx", input: "PK\x03\x04\x14\x00\x00\x00word/document.xml", file: "x.csv", openErr: ErrBinary, msg: "Word document"},
		{name: "xlsx bytes through Open", input: "PK\x03\x04\x14\x00\x00\x00xl/workbook.xml", file: "x.xlsx", openErr: ErrFormat, msg: "use OpenFile"},
		{name: "xlsx name through Open", input: "a,b", file: "x.xlsx", openErr: ErrFormat, msg: "use OpenFile"},
		{name: "CRLF and quoted CRLF", input: "a,b\r\n\"x\r\ny\",2\r\n", file: "x.csv", det: Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","}, rows: [][]string{{"a", "b"}, {"x\ny", "2"}}},
		{name: "bare quotes are kept (lazy quotes)", input: "size,desc\n5\" screen,\"a \"b\" c\"\n", file: "x.csv", det: Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","}, rows: [][]string{{"size", "desc"}, {`5" screen`, `a "b" c`}}},
		{name: "blank lines are not rows", input: "a\n\n\nb\n", file: "x.csv", det: Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","}, rows: [][]string{{"a"}, {"b"}}},
		{name: "JSON empty array", input: "[]", file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrEmpty},
		{name: "JSON object, not array", input: `{"a":1}`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, msg: `the file starts with "{"`},
		{name: "JSON scalar element", input: `[{"a":1}, 5]`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, errRow: 3, msg: "element 2 of the JSON array is a number"},
		{name: "JSON first element scalar", input: `["x"]`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, errRow: 1, msg: "element 1 of the JSON array is a string"},
		{name: "JSON truncated", input: `[{"a":1},{"a":`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, errRow: 3, msg: "ends unexpectedly"},
		{name: "JSON syntax error", input: `[{"a":1},{"a" 2}]`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, errRow: 3, msg: "invalid JSON"},
		{name: "JSON trailing data", input: `[{"a":1}] x`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, msg: ""},
		{name: "JSON array of arrays", input: `[["id","name"],[1,"Ann"],[2,null,true]]`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, rows: [][]string{{"id", "name"}, {"1", "Ann"}, {"2", "", "true"}}},
		{name: "JSON arrays then object", input: `[["id"],{"a":1}]`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrFormat, errRow: 2, msg: "expected an array like the first element"},
		{name: "JSON in windows-1252", input: "[{\"name\": \"Jos\xE9\"}]", file: "x.json", det: Detected{Format: "json", Encoding: "windows-1252"}, rows: [][]string{{"name"}, {"José"}}},
		{name: "JSON unicode escapes and big numbers", input: `[{"s":"\u00e9\n","n":12345678901234567890,"f":1e-7}]`, file: "x.json", det: Detected{Format: "json", Encoding: "utf-8"}, rows: [][]string{{"s", "n", "f"}, {"é\n", "12345678901234567890", "1e-7"}}},
		{name: "JSON element over the limit", input: `[{"a":"` + strings.Repeat("x", 2000) + `"}]`, file: "x.json", opts: Options{MaxFieldBytes: 1000}, det: Detected{Format: "json", Encoding: "utf-8"}, readErr: ErrLineTooLong, errRow: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := Open(strings.NewReader(tc.input), tc.file, tc.opts)
			if tc.openErr != "" {
				if errKind(err) != tc.openErr || !strings.Contains(fmt.Sprint(err), tc.msg) {
					t.Fatalf("open error = %v, want kind %q containing %q", err, tc.openErr, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer rd.Close()
			if got := rd.Detected(); !reflect.DeepEqual(got, tc.det) {
				t.Errorf("Detected = %+v, want %+v", got, tc.det)
			}
			rows, _, err := readAll(t, rd)
			if tc.readErr != "" {
				var ie *Error
				if !errors.As(err, &ie) || ie.Kind != tc.readErr || !strings.Contains(ie.Error(), tc.msg) {
					t.Fatalf("read error = %v, want kind %q containing %q", err, tc.readErr, tc.msg)
				}
				if tc.errRow != 0 && ie.Row != tc.errRow {
					t.Errorf("error row %d, want %d", ie.Row, tc.errRow)
				}
				return
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !reflect.DeepEqual(rows, tc.rows) {
				t.Errorf("rows = %q, want %q", rows, tc.rows)
			}
		})
	}
}

// Elements just under the limit must not trip the read-ahead guard, however
// large the JSON decoder's buffer has grown.
func TestJSONElementsNearTheLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"text":"%s"}`, i, strings.Repeat("x", 9000+i*13))
	}
	b.WriteString("]")
	rd, err := Open(strings.NewReader(b.String()), "x.json", Options{MaxFieldBytes: 10000})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := readAll(t, rd)
	if err != nil || len(rows) != 51 {
		t.Fatalf("%d rows, err %v", len(rows), err)
	}
}

// Rows just under the limit must not trip the CSV read-ahead guard either.
func TestCSVRowsNearTheLimit(t *testing.T) {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "%d,\"%s\"\n", i, strings.Repeat("y\n", 490))
	}
	rd, err := Open(strings.NewReader(b.String()), "x.csv", Options{MaxFieldBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := readAll(t, rd)
	if err != nil || len(rows) != 200 {
		t.Fatalf("%d rows, err %v", len(rows), err)
	}
}

func TestJSONHeaderFromFirstObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 1002 {
		if i > 0 {
			b.WriteString(",")
		}
		switch i {
		case 5:
			b.WriteString(`{"id":5,"late":"x","id":6}`) // new key within the first 1000, duplicate key
		case 1001:
			b.WriteString(`{"id":1001,"too_late":"y"}`)
		default:
			fmt.Fprintf(&b, `{"id":%d}`, i)
		}
	}
	b.WriteString("]")
	rd, err := Open(strings.NewReader(b.String()), "x.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := readAll(t, rd)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1003 || !reflect.DeepEqual(rows[0], []string{"id", "late"}) {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	if !reflect.DeepEqual(rows[6], []string{"6", "x"}) || !reflect.DeepEqual(rows[1], []string{"0", ""}) {
		t.Errorf("rows[6] = %q, rows[1] = %q", rows[6], rows[1])
	}
	want := []issueWant{{7, ErrDuplicateHeader, 1, 0}, {1003, ErrFormat, 0, 0}}
	var got []issueWant
	for _, is := range rd.Issues() {
		got = append(got, issueWant{is.Row, is.Kind, is.Column, is.Fields})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("issues = %+v, want %+v", got, want)
	}
}

func TestSetHeader(t *testing.T) {
	open := func() *Reader {
		rd, err := OpenFile(filepath.Join("testdata", "title-rows.csv"), "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return rd
	}
	// Default: the detected header (row 3) gives no ragged rows.
	rd := open()
	if _, _, err := readAll(t, rd); err != nil {
		t.Fatal(err)
	}
	if rd.IssueCount() != 0 {
		t.Errorf("issues with detected header: %+v", rd.Issues())
	}
	// Choosing row 1 as header after reading re-evaluates.
	rd.SetHeader(1, 1)
	var rows []int
	for _, is := range rd.Issues() {
		rows = append(rows, is.Row)
	}
	if !reflect.DeepEqual(rows, []int{3, 4, 5}) || rd.IssueCount() != 3 {
		t.Errorf("issue rows after SetHeader(1,1) = %v (count %d)", rows, rd.IssueCount())
	}
	rd.SetHeader(3, 4)
	if rd.IssueCount() != 0 || len(rd.Issues()) != 0 {
		t.Errorf("issues after SetHeader(3,4) = %+v", rd.Issues())
	}
	rd.Close()
	// SetHeader before reading applies to the rows read afterwards.
	rd = open()
	rd.SetHeader(2, 2)
	if _, _, err := readAll(t, rd); err != nil {
		t.Fatal(err)
	}
	if rd.IssueCount() != 3 {
		t.Errorf("issues = %+v", rd.Issues())
	}
	rd.Close()
}

func TestIssuesCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for range MaxIssues + 500 {
		b.WriteString("1,2\n")
	}
	rd, err := Open(strings.NewReader(b.String()), "x.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := readAll(t, rd); err != nil {
		t.Fatal(err)
	}
	if len(rd.Issues()) != MaxIssues || rd.IssueCount() != MaxIssues+500 {
		t.Errorf("issues kept %d, counted %d", len(rd.Issues()), rd.IssueCount())
	}
	if is := rd.Issues()[0]; is.Row != 2 || is.Fields != 2 || is.Want != 3 || !strings.Contains(is.Msg, "2 fields, expected 3") {
		t.Errorf("first issue = %+v", is)
	}
}

func TestRowsMayBeReused(t *testing.T) {
	rd, err := Open(strings.NewReader("a,b\n1,2\n"), "x.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := rd.Next()
	kept := first[0]
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	if kept != "a" {
		t.Errorf("a string from an earlier row changed to %q", kept)
	}
}

func TestBytesReadConcurrent(t *testing.T) {
	data := benchCSV()
	rd, err := Open(iotest.HalfReader(bytes.NewReader(data)), "x.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	var last int64
	monotonic := true
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			n := rd.BytesRead()
			if n < last {
				monotonic = false
			}
			last = n
			time.Sleep(time.Millisecond)
		}
	}()
	rows, _, err := readAll(t, rd)
	close(done)
	wg.Wait()
	if err != nil || len(rows) != 100_001 {
		t.Fatalf("rows %d, err %v", len(rows), err)
	}
	if !monotonic || rd.BytesRead() != int64(len(data)) {
		t.Errorf("BytesRead = %d (monotonic %v), want %d", rd.BytesRead(), monotonic, len(data))
	}
}

func TestXLSXBytesReadAndClose(t *testing.T) {
	path := filepath.Join("testdata", "sample.xlsx")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := OpenFile(path, "upload-without-extension", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Detected().Format != "xlsx" || rd.BytesRead() != st.Size() {
		t.Errorf("format %q, BytesRead %d, want xlsx and %d", rd.Detected().Format, rd.BytesRead(), st.Size())
	}
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rd.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := rd.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v", err)
	}
}

func TestSheets(t *testing.T) {
	got, err := Sheets(filepath.Join("testdata", "sample.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"Orders", "Customers"}) {
		t.Errorf("Sheets = %q", got)
	}
	if _, err := Sheets(filepath.Join("testdata", "pipe.csv")); errKind(err) != ErrFormat {
		t.Errorf("Sheets on CSV: %v", err)
	}
}

// TestXLSXCellFormats writes one cell per case with excelize and checks what
// the reader returns for it.
func TestXLSXCellFormats(t *testing.T) {
	code := func(s string) *string { return &s }
	when := time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value any
		style *excelize.Style // nil: excelize's default for the value
		want  string
	}{
		{"time.Time midnight", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), nil, "2024-03-15"},
		{"time.Time with time", when, nil, "2024-03-15T10:30:00"},
		{"serial, built-in 14", 45366, &excelize.Style{NumFmt: 14}, "2024-03-15"},
		{"serial, built-in 15 d-mmm-yy", 45366, &excelize.Style{NumFmt: 15}, "2024-03-15"},
		{"serial, built-in 17 mmm-yy", 45366, &excelize.Style{NumFmt: 17}, "2024-03-15"},
		{"serial, built-in 22", 45366.4375, &excelize.Style{NumFmt: 22}, "2024-03-15T10:30:00"},
		{"serial, built-in 21 h:mm:ss", 0.4375, &excelize.Style{NumFmt: 21}, "10:30:00"},
		{"serial, built-in 45 mm:ss", 0.0007060185185185185, &excelize.Style{NumFmt: 45}, "00:01:01"},
		{"custom dd/mm/yyyy", 45366, &excelize.Style{CustomNumFmt: code("dd/mm/yyyy")}, "2024-03-15"},
		{"custom locale long date", 45366, &excelize.Style{CustomNumFmt: code("[$-409]mmmm d, yyyy;@")}, "2024-03-15"},
		{"custom m/d/yy h:mm AM/PM", 45366.4375, &excelize.Style{CustomNumFmt: code("m/d/yy h:mm AM/PM")}, "2024-03-15T10:30:00"},
		{"custom h:mm", 0.4375, &excelize.Style{CustomNumFmt: code("h:mm")}, "10:30:00"},
		{"elapsed [h]:mm:ss kept", 1.5, &excelize.Style{NumFmt: 46}, "36:00:00"},
		{"date before 1900-03-01", 59, &excelize.Style{NumFmt: 14}, "1900-02-28"},
		{"text in a date-styled cell", "not a date", &excelize.Style{NumFmt: 14}, "not a date"},
		{"number 0.00", 3.14159, &excelize.Style{NumFmt: 2}, "3.14159"},
		{"currency with separators", -1234.5, &excelize.Style{CustomNumFmt: code(`"$"#,##0.00;[Red]-"$"#,##0.00`)}, "-1234.5"},
		{"percent", 0.125, &excelize.Style{NumFmt: 10}, "0.125"},
		{"scientific", 12345.678, &excelize.Style{NumFmt: 11}, "12345.678"},
		{"zip code 00000", 2134, &excelize.Style{CustomNumFmt: code("00000")}, "02134"},
		{"SSN-style zero padding", 12345678, &excelize.Style{CustomNumFmt: code("000-00-0000")}, "012-34-5678"},
		{"text format", "007", &excelize.Style{NumFmt: 49}, "007"},
		{"general float", 0.1 + 0.2, nil, "0.3"},
		{"styled General keeps all digits", 1234567.891234, &excelize.Style{Font: &excelize.Font{Bold: true}}, "1234567.891234"},
		{"custom General", 2958465.99999999, &excelize.Style{CustomNumFmt: code("General")}, "2958465.99999999"},
		{"date format on a negative number", -5, &excelize.Style{NumFmt: 14}, "-5"},
		{"date format below one day", 0.25, &excelize.Style{NumFmt: 14}, "0.25"},
		{"datetime format below one day", 0.25, &excelize.Style{NumFmt: 22}, "06:00:00"},
		{"datetime rounds to the second", 45366.99999999, &excelize.Style{NumFmt: 22}, "2024-03-16T00:00:00"},
		{"big integer", 1234567890123, nil, "1234567890123"},
		{"bool", true, nil, "TRUE"},
		{"string with date look", "2024-03-15", nil, "2024-03-15"},
	}
	f := excelize.NewFile()
	for i, tc := range tests {
		cell := fmt.Sprintf("A%d", i+1)
		if err := f.SetCellValue("Sheet1", cell, tc.value); err != nil {
			t.Fatal(err)
		}
		if tc.style != nil {
			id, err := f.NewStyle(tc.style)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellStyle("Sheet1", cell, cell, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "formats.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rd, err := OpenFile(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rows, _, err := readAll(t, rd)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tests) {
		t.Fatalf("%d rows, want %d", len(rows), len(tests))
	}
	for i, tc := range tests {
		if got := strings.Join(rows[i], "|"); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestXLSXDate1904(t *testing.T) {
	f := excelize.NewFile()
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: boolPtr(true)}); err != nil {
		t.Fatal(err)
	}
	id, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellValue("Sheet1", "A1", 43904) // 43904 days after 1904-01-01
	f.SetCellStyle("Sheet1", "A1", "A1", id)
	path := filepath.Join(t.TempDir(), "1904.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rd, err := OpenFile(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	row, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	if row[0] != "2024-03-15" {
		t.Errorf("1904 date = %q, want 2024-03-15", row[0])
	}
}

func boolPtr(b bool) *bool { return &b }

func TestXLSXEmptySheet(t *testing.T) {
	f := excelize.NewFile()
	path := filepath.Join(t.TempDir(), "empty.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rd, err := OpenFile(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if _, err := rd.Next(); errKind(err) != ErrEmpty {
		t.Errorf("Next on empty sheet = %v, want ErrEmpty", err)
	}
}

func TestXLSXCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.xlsx")
	if err := os.WriteFile(path, []byte("PK\x03\x04garbage that is not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(path, "", Options{}); errKind(err) != ErrFormat {
		t.Errorf("corrupt xlsx: %v", err)
	}
}

func TestXLSXRaggedLongerRow(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"a", "b"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"1"})
	f.SetSheetRow("Sheet1", "A3", &[]any{"1", "2", "3"})
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rd, err := OpenFile(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if _, _, err := readAll(t, rd); err != nil {
		t.Fatal(err)
	}
	if is := rd.Issues(); len(is) != 1 || is[0].Row != 3 || is[0].Fields != 3 || is[0].Want != 2 {
		t.Errorf("issues = %+v, want only row 3 (longer)", is)
	}
}

func TestClassifyFormat(t *testing.T) {
	tests := map[string]fmtClass{
		"yyyy-mm-dd": fmtDate, "d-mmm": fmtDate, "mmmm": fmtDate, "[$-409]dddd, mmmm dd, yyyy": fmtDate,
		"dd/mm/yyyy hh:mm": fmtDateTime, "m/d/yy h:mm AM/PM": fmtDateTime,
		"h:mm": fmtTime, "mm:ss": fmtTime, "hh:mm:ss AM/PM": fmtTime,
		"[h]:mm:ss": fmtKeep, "[mm]:ss": fmtKeep, "General": fmtNumber, "general;-general": fmtNumber, "@": fmtKeep, "00000": fmtKeep, "000-00-0000": fmtKeep, "(000) 000-0000": fmtKeep, "0": fmtNumber, "00.0": fmtNumber,
		"0.00": fmtNumber, "#,##0": fmtNumber, "0%": fmtNumber, `#,##0.00 "days"`: fmtNumber, `0.0 \h`: fmtNumber,
		"[Red]0.00": fmtNumber, "0.00E+00": fmtNumber, `"yyyy"0`: fmtNumber, "0;[Red]-0;\"zero\"": fmtNumber,
		`yyyy"T"hh`: fmtDateTime, "": fmtKeep,
	}
	for code, want := range tests {
		if got := classifyFormat(code); got != want {
			t.Errorf("classifyFormat(%q) = %d, want %d", code, got, want)
		}
	}
	for id, want := range map[int]fmtClass{0: fmtNumber, 2: fmtNumber, 9: fmtNumber, 14: fmtDate, 18: fmtTime, 22: fmtDateTime, 45: fmtTime, 46: fmtKeep, 47: fmtKeep, 49: fmtKeep, 57: fmtDate, 200: fmtKeep} {
		if got := builtinClass(id); got != want {
			t.Errorf("builtinClass(%d) = %d, want %d", id, got, want)
		}
	}
}

func TestSerialToISO(t *testing.T) {
	m := func(num string, mark byte) string { return num + dateMark + string(mark) }
	tests := []struct {
		cell     string
		date1904 bool
		want     string
	}{
		{m("45366.0000000000", 'D'), false, "2024-03-15"},
		{m("45366.4375000000", 'T'), false, "2024-03-15T10:30:00"},
		{m("45366.4375000000", 'H'), false, "10:30:00"},
		{m("1.0000000000", 'D'), false, "1900-01-01"},
		{m("59.0000000000", 'D'), false, "1900-02-28"},
		{m("60.0000000000", 'D'), false, "1900-02-29"},
		{m("61.0000000000", 'D'), false, "1900-03-01"},
		{m("0.0000000000", 'D'), true, "0"},
		{m("1.0000000000", 'D'), true, "1904-01-02"},
		{m("43904.0000000000", 'D'), true, "2024-03-15"},
		{m("2958465.9999999902", 'D'), false, "9999-12-31"},
		{m("2958466.0000000000", 'D'), false, "2958466"},
		{m("-1.5000000000", 'T'), false, "-1.5"},
		{"note" + dateMark + "D", false, "note" + dateMark + "D"},
	}
	for _, tc := range tests {
		if got := serialToISO(tc.cell, tc.date1904); got != tc.want {
			t.Errorf("serialToISO(%q, %v) = %q, want %q", tc.cell, tc.date1904, got, tc.want)
		}
	}
}

func TestFixUTF8(t *testing.T) {
	tests := []struct {
		in, want string
		n        int
	}{
		{"plain", "plain", 0},
		{"Zoë", "Zoë", 0},
		{"Jos\xE9", "José", 1},
		{"\x80\x81\x9F", "€\u0081Ÿ", 3},
		{"ok é then \xFC", "ok é then ü", 1},
		{"\xE2\x82", "â\u201a", 2}, // truncated € sequence
	}
	for _, tc := range tests {
		got, n := fixUTF8(tc.in)
		if got != tc.want || n != tc.n {
			t.Errorf("fixUTF8(%q) = %q, %d; want %q, %d", tc.in, got, n, tc.want, tc.n)
		}
	}
}

func TestCP1252Lossless(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	out, _, err := transform.Bytes(cp1252Decoder{}, all)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCount(out); n != 256 || bytes.ContainsRune(out, utf8.RuneError) {
		t.Errorf("decoded %d runes (U+FFFD present: %v), want 256 distinct characters", n, bytes.ContainsRune(out, utf8.RuneError))
	}
	seen := map[rune]bool{}
	for _, r := range string(out) {
		if seen[r] {
			t.Errorf("rune %U decoded from two bytes", r)
		}
		seen[r] = true
	}
}

// TestGuardChunks feeds text through rowGuard in tiny and odd chunk sizes:
// invalid UTF-8 must always be flagged, valid text split inside a character never.
func TestGuardChunks(t *testing.T) {
	valid := strings.Repeat("José Müller, 東京, 🙂 €\n", 50)
	invalid := valid[:301] + "\xE9" + valid[301:]
	for _, size := range []int{1, 2, 3, 5, 7, 64} {
		for _, tc := range []struct {
			text string
			bad  bool
		}{{valid, false}, {invalid, true}, {valid + "\xF0\x9F", true}} {
			g := &rowGuard{r: iotest.OneByteReader(strings.NewReader(tc.text)), limit: 1 << 30, checkUTF: true}
			buf := make([]byte, size)
			for {
				if _, err := g.Read(buf); err != nil {
					break
				}
			}
			if got := g.badEnd > 0; got != tc.bad {
				t.Errorf("chunk %d, bad=%v: flagged %v", size, tc.bad, got)
			}
		}
	}
}

func TestUTF8FallbackMatchesFixUTF8(t *testing.T) {
	in := "a\xE9b 東京 \xF0\x9F\x99 \x80 end\xC3"
	want, n := fixUTF8(in)
	fb := &utf8Fallback{}
	got, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(strings.NewReader(in)), fb))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want || fb.replaced != int64(n) {
		t.Errorf("stream = %q (%d), field = %q (%d)", got, fb.replaced, want, n)
	}
}
