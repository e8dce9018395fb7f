package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// readAll reads every row (cloned), the row and line numbers, and the error
// that ended reading (nil for io.EOF).
func readAll(t testing.TB, rd *Reader) (rows [][]string, lines []int, err error) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 10_000_000 {
			t.Fatal("reader does not end")
		}
		row, err := rd.Next()
		if err == io.EOF {
			return rows, lines, nil
		}
		if err != nil {
			return rows, lines, err
		}
		if rd.Row() != len(rows)+1 {
			t.Fatalf("Row() = %d after %d rows", rd.Row(), len(rows)+1)
		}
		rows = append(rows, slices.Clone(row))
		lines = append(lines, rd.Line())
	}
}

func errKind(err error) ErrKind {
	var ie *Error
	if errors.As(err, &ie) {
		return ie.Kind
	}
	return ""
}

type issueWant struct {
	Row    int
	Kind   ErrKind
	Column int
	Fields int
}

type fileCase struct {
	name       string
	file       string
	opts       Options
	openErr    ErrKind
	errMsg     string // substring of the open or read error
	det        Detected
	rows       [][]string // exact rows, when set
	count      int        // number of rows, when rows is not set
	last       []string   // last row, when rows is not set
	lines      []int
	readErr    ErrKind
	errRow     int
	issues     []issueWant
	fileOnly   bool // xlsx and file size checks: OpenFile only
	streamOnly bool // Open only (OpenFile knows the size up front)
}

func fileCases() []fileCase {
	return []fileCase{
		{name: "latin1", file: "latin1.csv",
			det:  Detected{Format: "csv", Encoding: "windows-1252", Delimiter: ","},
			rows: [][]string{{"name", "city", "amount"}, {"José Müller", "Zürich", "12.50"}, {"Françoise Dœuf", "Besançon", "7"}}},
		{name: "latin1 forced utf-8 falls back per byte", file: "latin1.csv", opts: Options{Encoding: "UTF8"},
			det:    Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows:   [][]string{{"name", "city", "amount"}, {"José Müller", "Zürich", "12.50"}, {"Françoise Dœuf", "Besançon", "7"}},
			issues: []issueWant{{2, ErrEncoding, 1, 0}, {2, ErrEncoding, 2, 0}, {3, ErrEncoding, 1, 0}, {3, ErrEncoding, 2, 0}}},
		{name: "latin1 forced iso-8859-1", file: "latin1.csv", opts: Options{Encoding: "latin1"},
			det:  Detected{Format: "csv", Encoding: "iso-8859-1", Delimiter: ","},
			rows: [][]string{{"name", "city", "amount"}, {"José Müller", "Zürich", "12.50"}, {"Françoise D\u009cuf", "Besançon", "7"}}},
		{name: "invalid UTF-8 after the sample", file: "late-latin1.csv",
			det:   Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			count: 2602, last: []string{"99999", "José Müller", "Zürich"},
			issues: []issueWant{{2602, ErrEncoding, 2, 0}, {2602, ErrEncoding, 3, 0}}},
		{name: "utf-16le with BOM, tab separated", file: "utf16le-bom.csv",
			det:  Detected{Format: "tsv", Encoding: "utf-16le", Delimiter: "\t", BOM: true},
			rows: [][]string{{"name", "city"}, {"José", "Köln"}, {"日本", "東京"}}},
		{name: "utf-16be with BOM", file: "utf16be-bom.csv",
			det:  Detected{Format: "csv", Encoding: "utf-16be", Delimiter: ",", BOM: true},
			rows: [][]string{{"name", "city"}, {"José", "Köln"}}},
		{name: "utf-8 BOM stripped", file: "utf8-bom.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ",", BOM: true},
			rows: [][]string{{"id", "name"}, {"1", "Zoë"}, {"2", "Łukasz"}}},
		{name: "utf-8 read as windows-1252 when forced", file: "utf8-bom.csv", opts: Options{Encoding: "windows-1252"},
			det:  Detected{Format: "csv", Encoding: "windows-1252", Delimiter: ","},
			rows: [][]string{{"ï»¿id", "name"}, {"1", "ZoÃ«"}, {"2", "Å\u0081ukasz"}}},
		{name: "semicolon with decimal commas", file: "semicolon.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ";"},
			rows: [][]string{{"Name", "Preis", "Datum"}, {"Apfel", "1,50", "15.03.2024"}, {"Birne", "2,25", "16.03.2024"}, {"Kiwi", "0,99", "17.03.2024"}}},
		{name: "delimiter override", file: "semicolon.csv", opts: Options{Delimiter: ','},
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"Name;Preis;Datum"}, {"Apfel;1", "50;15.03.2024"}, {"Birne;2", "25;16.03.2024"}, {"Kiwi;0", "99;17.03.2024"}}},
		{name: "pipe", file: "pipe.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: "|"},
			rows: [][]string{{"id", "name", "note"}, {"1", "Ann", "a, b"}, {"2", "Bob", "c, d, e"}}},
		{name: "quoted newlines", file: "quoted-newlines.csv",
			det:   Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows:  [][]string{{"id", "comment"}, {"1", "line one\nline two"}, {"2", `has "quotes", and a comma`}, {"3", "plain"}},
			lines: []int{1, 2, 4, 5}},
		{name: "ragged rows are returned and recorded", file: "ragged.csv",
			det:    Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows:   [][]string{{"a", "b", "c"}, {"1", "2", "3"}, {"4", "5"}, {"6", "7", "8", "9"}, {"10", "11", "12"}},
			issues: []issueWant{{3, ErrRagged, 0, 2}, {4, ErrRagged, 0, 4}}},
		{name: "empty", file: "empty.csv", openErr: ErrEmpty, errMsg: "empty"},
		{name: "header only", file: "header-only.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"id", "name", "email"}}},
		{name: "duplicate headers parse", file: "dup-headers.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"id", "Name", "email", "name "}, {"1", "a", "b", "c"}}},
		{name: "blank headers parse", file: "blank-header.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"id", "", "email", " "}, {"1", "a", "b", "c"}}},
		{name: "PNG named .csv", file: "binary.csv", openErr: ErrBinary, errMsg: "looks like a PNG image"},
		{name: "NUL bytes", file: "nul.csv", openErr: ErrBinary, errMsg: "NUL bytes"},
		{name: "XLSX named .csv", file: "zip-named.csv", openErr: ErrBinary, errMsg: "looks like an XLSX file (Excel workbook), not CSV text; choose the .xlsx type or rename"},
		{name: "title rows above the header", file: "title-rows.csv",
			det: Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"Quarterly sales report"}, {"Generated on 2024-04-01"}, {"region", "product", "units", "revenue"},
				{"North", "Widget", "10", "99.50"}, {"South", "Gadget", "3", "12.00"}},
			lines: []int{1, 2, 4, 5, 6}},
		{name: "line over the limit", file: "long-line.csv", opts: Options{MaxFieldBytes: 1024},
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"id", "text"}, {"1", "short"}}, readErr: ErrLineTooLong, errRow: 3, errMsg: "row 3: the row is longer than the limit of 1 KiB"},
		{name: "long line within the default limit", file: "long-line.csv",
			det:   Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			count: 4, last: []string{"3", "after"}},
		{name: "unclosed quote hits the limit", file: "unclosed-quote.csv", opts: Options{MaxFieldBytes: 1024},
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"id", "text"}}, readErr: ErrLineTooLong, errRow: 2, errMsg: "never closed"},
		{name: "file over the size limit", file: "latin1.csv", opts: Options{MaxBytes: 20}, openErr: ErrTooLarge, errMsg: "larger than the limit of 20 bytes"},
		{name: "stream over the size limit after the sample", file: "late-latin1.csv", opts: Options{MaxBytes: 66 << 10}, streamOnly: true,
			det:     Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			readErr: ErrTooLarge, errMsg: "larger than the limit of 66 KiB", count: -1},
		{name: "JSON array of objects", file: "array.json",
			det: Detected{Format: "json", Encoding: "utf-8"},
			rows: [][]string{{"id", "name", "tags", "active", "score", "note", "meta", "extra"},
				{"1", "Zoë", `["a","b"]`, "true", "1.50", "", `{"k":"v"}`, ""},
				{"2", `Bob "B"`, "", "", "-3e2", "", "", "x"}}},
		{name: "CR line ends", file: "cr-only.csv",
			det:  Detected{Format: "csv", Encoding: "utf-8", Delimiter: ","},
			rows: [][]string{{"a", "b"}, {"1", "2"}, {"3", "4"}}},
		{name: "pasted spreadsheet text", file: "pasted.txt",
			det:  Detected{Format: "tsv", Encoding: "utf-8", Delimiter: "\t"},
			rows: [][]string{{"Name", "Amount", "Date"}, {"Ann", "1,234.50", "3/15/2024"}, {"Bob", "7", "3/16/2024"}}},
		{name: "forced json on CSV", file: "pipe.csv", opts: Options{Format: "json"}, det: Detected{Format: "json", Encoding: "utf-8"},
			readErr: ErrFormat, errMsg: "expected a JSON array of objects", count: -1},
		{name: "unknown format", file: "pipe.csv", opts: Options{Format: "parquet"}, openErr: ErrFormat, errMsg: `unsupported format "parquet"`},
		{name: "unknown encoding", file: "pipe.csv", opts: Options{Encoding: "ebcdic"}, openErr: ErrEncoding, errMsg: `unsupported encoding "ebcdic"`},
		{name: "bad delimiter", file: "pipe.csv", opts: Options{Delimiter: '"'}, openErr: ErrFormat, errMsg: "invalid delimiter"},
		{name: "xlsx first visible sheet, dates as ISO", file: "sample.xlsx", fileOnly: true,
			det: Detected{Format: "xlsx", Sheets: []string{"Orders", "Customers"}, Sheet: "Orders"},
			rows: [][]string{
				{"order_id", "customer", "ordered_on", "shipped_at", "due", "amount", "zip", "share", "paid", "start"},
				{"1001", "José Müller", "2024-03-15", "2024-03-16T10:30:00", "2024-04-18", "1234.5", "02134", "0.125", "TRUE", "10:30:00"},
				{"1002", "Zoë", "2024-03-15", "2024-03-16T18:00:00", "2024-04-19", "7", "00501", "1", "FALSE", "12:00:00"},
				{},
				{"1003", "Short"},
			},
			lines: []int{1, 2, 3, 4, 5}},
		{name: "xlsx chosen sheet", file: "sample.xlsx", fileOnly: true, opts: Options{Sheet: "Customers"},
			det:  Detected{Format: "xlsx", Sheets: []string{"Orders", "Customers"}, Sheet: "Customers"},
			rows: [][]string{{"name", "email"}, {"Ann", "ann@example.com"}}},
		{name: "xlsx hidden sheet by name", file: "sample.xlsx", fileOnly: true, opts: Options{Sheet: "Hidden"},
			det:  Detected{Format: "xlsx", Sheets: []string{"Orders", "Customers"}, Sheet: "Hidden"},
			rows: [][]string{{"secret"}}},
		{name: "xlsx unknown sheet", file: "sample.xlsx", fileOnly: true, opts: Options{Sheet: "Nope"},
			openErr: ErrFormat, errMsg: `no sheet named "Nope"; its sheets are "Orders", "Customers"`},
		{name: "xlsx over the size limit", file: "sample.xlsx", fileOnly: true, opts: Options{MaxBytes: 1000}, openErr: ErrTooLarge},
		{name: "csv forced as xlsx", file: "pipe.csv", fileOnly: true, opts: Options{Format: "xlsx"}, openErr: ErrFormat, errMsg: "not one (it contains plain text)"},
	}
}

func TestFiles(t *testing.T) {
	for _, tc := range fileCases() {
		if !tc.streamOnly {
			t.Run(tc.name+"/OpenFile", func(t *testing.T) {
				rd, err := OpenFile(filepath.Join("testdata", tc.file), "", tc.opts)
				checkCase(t, tc, rd, err, true)
			})
		}
		if tc.fileOnly {
			continue
		}
		t.Run(tc.name+"/Open", func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			rd, err := Open(bytes.NewReader(data), tc.file, tc.opts)
			checkCase(t, tc, rd, err, false)
			if err == nil && tc.readErr == "" {
				if got := rd.BytesRead(); got != int64(len(data)) {
					t.Errorf("BytesRead = %d at EOF, want %d", got, len(data))
				}
			}
		})
	}
}

func checkCase(t *testing.T, tc fileCase, rd *Reader, err error, fromFile bool) {
	t.Helper()
	if tc.openErr != "" {
		if errKind(err) != tc.openErr {
			t.Fatalf("open error = %v (kind %q), want kind %q", err, errKind(err), tc.openErr)
		}
		if !strings.Contains(err.Error(), tc.errMsg) {
			t.Fatalf("open error %q does not contain %q", err, tc.errMsg)
		}
		if rd != nil {
			t.Fatal("reader returned with an error")
		}
		return
	}
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer func() {
		if err := rd.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if got := rd.Detected(); !reflect.DeepEqual(got, tc.det) {
		t.Errorf("Detected = %+v, want %+v", got, tc.det)
	}
	rows, lines, err := readAll(t, rd)
	if tc.readErr != "" {
		if errKind(err) != tc.readErr {
			t.Fatalf("read error = %v, want kind %q", err, tc.readErr)
		}
		var ie *Error
		errors.As(err, &ie)
		if tc.errRow != 0 && ie.Row != tc.errRow {
			t.Errorf("error row = %d, want %d", ie.Row, tc.errRow)
		}
		if !strings.Contains(err.Error(), tc.errMsg) {
			t.Errorf("error %q does not contain %q", err, tc.errMsg)
		}
		if _, again := rd.Next(); again != err {
			t.Errorf("error is not sticky: %v", again)
		}
	} else if err != nil {
		t.Fatalf("read: %v", err)
	}
	switch {
	case tc.rows != nil:
		if !reflect.DeepEqual(rows, tc.rows) {
			t.Errorf("rows =\n%q\nwant\n%q", rows, tc.rows)
		}
	case tc.count > 0:
		if len(rows) != tc.count {
			t.Errorf("%d rows, want %d", len(rows), tc.count)
		}
		if tc.last != nil && !reflect.DeepEqual(rows[len(rows)-1], tc.last) {
			t.Errorf("last row = %q, want %q", rows[len(rows)-1], tc.last)
		}
	}
	if tc.lines != nil && !reflect.DeepEqual(lines, tc.lines) {
		t.Errorf("lines = %v, want %v", lines, tc.lines)
	}
	var got []issueWant
	for _, is := range rd.Issues() {
		got = append(got, issueWant{is.Row, is.Kind, is.Column, is.Fields})
		if is.Msg == "" {
			t.Errorf("issue without message: %+v", is)
		}
	}
	if !reflect.DeepEqual(got, tc.issues) {
		t.Errorf("issues = %+v, want %+v", got, tc.issues)
	}
	if rd.IssueCount() != len(tc.issues) {
		t.Errorf("IssueCount = %d, want %d", rd.IssueCount(), len(tc.issues))
	}
}
