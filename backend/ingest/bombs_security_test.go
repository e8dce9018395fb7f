package ingest

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/ingest/ingesttest"
)

const mib = 1 << 20

// writeBomb writes a workbook with the given parts replaced and returns its path.
func writeBomb(t *testing.T, parts ...ingesttest.Part) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	if err := ingesttest.WriteXLSX(path, ingesttest.Workbook(parts...)...); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantLimitError opens path and checks that it fails with kind and a
// message containing every want.
func wantLimitError(t *testing.T, path string, opts Options, kind ErrKind, want ...string) {
	t.Helper()
	rd, err := OpenFile(path, "", opts)
	if err == nil {
		defer rd.Close()
		for err == nil {
			_, err = rd.Next()
		}
	}
	var ie *Error
	if !errors.As(err, &ie) || ie.Kind != kind {
		t.Fatalf("error %v (%T), want an *Error of kind %s", err, err, kind)
	}
	for _, w := range want {
		if !strings.Contains(ie.Error(), w) {
			t.Errorf("error %q does not mention %q", ie.Error(), w)
		}
	}
}

func readAllRows(t *testing.T, path string, opts Options) [][]string {
	t.Helper()
	rd, err := OpenFile(path, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var rows [][]string
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, append([]string(nil), row...))
	}
}

func TestSecurityXLSXBombHarnessReadsValidWorkbook(t *testing.T) {
	// the bomb builder's base workbook is valid; a 1000 MiB junk part that
	// reading does not need is left out unread
	junk := ingesttest.Part{Name: "xl/media/junk.bin", Chunk: ingesttest.Spaces(mib), Repeat: 1000}
	path := writeBomb(t, junk)
	rows := readAllRows(t, path, Options{})
	if fmt.Sprint(rows) != "[[name email] [Ann ann@example.com]]" {
		t.Fatalf("rows %q", rows)
	}
	sheets, err := Sheets(path)
	if err != nil || fmt.Sprint(sheets) != "[Sheet1]" {
		t.Fatalf("sheets %v %v", sheets, err)
	}
}

func TestSecurityXLSXStylesBomb(t *testing.T) {
	// styles.xml of 1000 MiB whitespace compresses to about 1 MB
	p := ingesttest.Part{Name: ingesttest.StylesPart, Head: ingesttest.StylesHead, Chunk: ingesttest.Spaces(mib), Repeat: 1000, Tail: ingesttest.StylesTail}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrTooLarge, "xl/styles.xml", "1000.0 MiB", "limit of 16 MiB per part")
}

func TestSecurityXLSXSharedStringsBomb(t *testing.T) {
	p := ingesttest.Part{Name: ingesttest.SharedStringsPart, Head: ingesttest.SSTHead, Chunk: ingesttest.Repeat("<si><t>a</t></si>", mib), Repeat: 1000, Tail: ingesttest.SSTTail}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrTooLarge, "xl/sharedStrings.xml", "limit of 100 times its compressed size")
	// below the ratio limit, the count of shared strings is the limit
	p.Repeat = 40
	wantLimitError(t, writeBomb(t, p), Options{Limits: Limits{MaxXLSXRatio: 1 << 40, MaxXLSXSharedStrings: 1_000_000}}, ErrTooLarge, "more than 1000000 shared strings")
}

func TestSecurityXLSXSheetBomb(t *testing.T) {
	p := ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead, Chunk: ingesttest.Spaces(mib), Repeat: 1000, Tail: ingesttest.SheetTail}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrTooLarge, "xl/worksheets/sheet1.xml", "limit of 100 times")
	// without the ratio limit, the whitespace run excelize would buffer whole is refused
	p.Repeat = 20
	wantLimitError(t, writeBomb(t, p), Options{Limits: Limits{MaxXLSXRatio: 1 << 40}}, ErrLineTooLong, "text run longer than the limit of 4 MiB")
	// a part above its size limit
	wantLimitError(t, writeBomb(t, p), Options{Limits: Limits{MaxXLSXRatio: 1 << 40, MaxXLSXSheetBytes: 8 * mib}}, ErrTooLarge, "limit of 8 MiB per worksheet")
	// and the whole workbook above its limit
	wantLimitError(t, writeBomb(t, p), Options{Limits: Limits{MaxXLSXRatio: 1 << 40, MaxXLSXBytes: 8 * mib}}, ErrTooLarge, "unpacks to more than the limit of 8 MiB")
}

func TestSecurityXLSXLyingBomb(t *testing.T) {
	// the central directory says 4 KiB; the data inflates to 100 MiB
	p := ingesttest.Part{Name: ingesttest.SharedStringsPart, Head: ingesttest.SSTHead, Chunk: ingesttest.Spaces(mib), Repeat: 100, Tail: ingesttest.SSTTail, DeclaredSize: 4 << 10}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrTooLarge, "more than its declared size of 4 KiB")
}

func TestSecurityXLSXColumnBomb(t *testing.T) {
	// one row of a million empty cells: 4 MB of XML, a few KB compressed
	p := ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead + `<row r="3">`, Chunk: ingesttest.Repeat("<c/>", 4*mib), Repeat: 1, Tail: `</row>` + ingesttest.SheetTail}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrTooManyColumns, "row 3", "limit of 16384 columns")
}

func TestSecurityXLSXRowOfLongSharedStrings(t *testing.T) {
	// one 512 KiB shared string referenced 64 times in one row would make
	// excelize build 32 MiB for the row; the row limit (1 MiB) applies to
	// the strings as resolved
	sst := ingesttest.Part{Name: ingesttest.SharedStringsPart, Head: ingesttest.SSTHead + "<si><t>", Chunk: ingesttest.Repeat("x", 512<<10), Repeat: 1, Tail: "</t></si>" + ingesttest.SSTTail}
	sheet := ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead + `<row r="3">`, Chunk: []byte(`<c t="s"><v>2</v></c>`), Repeat: 64, Tail: `</row>` + ingesttest.SheetTail}
	wantLimitError(t, writeBomb(t, sst, sheet), Options{}, ErrLineTooLong, "row 3", "limit of 1 MiB")
	// two references fit
	sheet.Repeat = 1
	rows := readAllRows(t, writeBomb(t, sst, sheet), Options{})
	if len(rows) != 3 || len(rows[2]) != 1 || len(rows[2][0]) != 512<<10 {
		t.Fatalf("rows: %d", len(rows))
	}
}

func TestSecurityXLSXStylesElements(t *testing.T) {
	// 400,000 formats in a 4 MB styles.xml (under its size limit) would
	// expand to hundreds of MB of structures
	p := ingesttest.Part{Name: ingesttest.StylesPart, Head: ingesttest.StylesHead + "<cellXfs>", Chunk: []byte("<xf/>"), Repeat: 400_000, Tail: "</cellXfs></styleSheet>"}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrTooLarge, "xl/styles.xml", "more than 262144 XML elements")
}

func TestSecurityXLSXDeepNesting(t *testing.T) {
	p := ingesttest.Part{Name: ingesttest.StylesPart, Head: ingesttest.StylesHead, Chunk: []byte("<a>"), Repeat: 10_000, Tail: strings.Repeat("</a>", 10_000) + ingesttest.StylesTail}
	wantLimitError(t, writeBomb(t, p), Options{}, ErrFormat, "more than 128 levels deep")
}

// bombReader yields head, then fill bytes up to n, without holding them.
type bombReader struct {
	head string
	fill byte
	n    int64
}

func (b *bombReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	if b.head != "" {
		k = copy(p, b.head)
		b.head = b.head[k:]
	}
	for ; k < len(p) && b.n > 0; k++ {
		p[k] = b.fill
		b.n--
	}
	return k, nil
}

func TestSecurityCSVColumnBomb(t *testing.T) {
	for _, format := range []string{"csv", "tsv"} {
		sep := byte(',')
		if format == "tsv" {
			sep = '\t'
		}
		// one row of about a million separators (1 MB)
		rd, err := Open(&bombReader{head: "a" + string(sep) + "b\n", fill: sep, n: 1_000_000}, "bomb."+format, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// the counter runs ahead of the parser: the error names row 2
		// whether it comes with the first or the second row
		if _, err = rd.Next(); err == nil {
			_, err = rd.Next()
		}
		var ie *Error
		if !errors.As(err, &ie) || ie.Kind != ErrTooManyColumns || ie.Row != 2 || !strings.Contains(ie.Msg, "limit of 16384 columns") {
			t.Fatalf("%s: %v", format, err)
		}
		rd.Close()
	}
}

func TestSecurityCSVHugeField(t *testing.T) {
	// a single quoted field of 1 GB stops at the row limit
	rd, err := Open(&bombReader{head: "a,b\n\"", fill: 'x', n: 1 << 30}, "huge.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rd.Next()
	_, err = rd.Next()
	var ie *Error
	if !errors.As(err, &ie) || ie.Kind != ErrLineTooLong || !strings.Contains(ie.Msg, "limit of 1 MiB") {
		t.Fatalf("%v", err)
	}
}

func TestSecurityJSONKeysBomb(t *testing.T) {
	// 40 objects of 1,000 distinct keys each: 40,000 columns
	var b strings.Builder
	b.WriteString("[")
	for i := range 40 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("{")
		for k := range 1000 {
			if k > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d_%d":1`, i, k)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	_, err := readJSON(b.String(), Options{})
	var ie *Error
	if !errors.As(err, &ie) || ie.Kind != ErrTooManyColumns || !strings.Contains(ie.Msg, "limit of 16384 columns") {
		t.Fatalf("%v", err)
	}
}

func TestSecurityJSONDepth(t *testing.T) {
	deep := `[{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]`
	_, err := readJSON(deep, Options{})
	var ie *Error
	if !errors.As(err, &ie) || ie.Kind != ErrFormat || !strings.Contains(ie.Msg, "more than the limit of 64 levels") {
		t.Fatalf("%v", err)
	}
	ok := `[{"a":` + strings.Repeat("[", 60) + strings.Repeat("]", 60) + `}]`
	if _, err := readJSON(ok, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestSecurityJSONHeaderBudget(t *testing.T) {
	// the header is collected within MaxJSONHeaderBytes, not from 1000 large objects
	var b strings.Builder
	b.WriteString("[")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"a":"%s"}`, strings.Repeat("x", 1000))
	}
	b.WriteString(`,{"a":"y","late":"z"}]`)
	rd, err := Open(strings.NewReader(b.String()), "x.json", Options{Limits: Limits{MaxJSONHeaderBytes: 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for err == nil {
		_, err = rd.Next()
	}
	if err != io.EOF {
		t.Fatal(err)
	}
	if rd.IssueCount() != 1 || !strings.Contains(rd.Issues()[0].Msg, `"late" does not appear in the first 10 objects`) {
		t.Fatalf("issues %+v", rd.Issues())
	}
}

func readJSON(s string, opts Options) ([][]string, error) {
	rd, err := Open(strings.NewReader(s), "x.json", opts)
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
			return nil, err
		}
		rows = append(rows, append([]string(nil), row...))
	}
}
