package ingest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var update = flag.Bool("update", false, "rewrite the generated files in testdata/")

// textFixtures are the nasty sample files, generated so that their exact bytes
// (encodings, BOMs, NULs) are visible in code review. TestTestdataUpToDate
// checks that the committed files match; run with -update to rewrite them.
func textFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	cp1252 := func(s string) []byte {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatalf("encode windows-1252: %v", err)
		}
		return b
	}
	utf16 := func(s string, e unicode.Endianness) []byte {
		b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatalf("encode utf-16: %v", err)
		}
		return b
	}
	var late bytes.Buffer
	late.WriteString("id,name,city\n")
	for i := 1; late.Len() < 70<<10; i++ {
		late.WriteString(strconv.Itoa(i) + ",Plain Name,Springfield\n")
	}
	late.Write(cp1252("99999,José Müller,Zürich\n"))
	zipBytes, err := os.ReadFile(filepath.Join("testdata", "sample.xlsx"))
	if err != nil && !*update {
		t.Fatalf("read sample.xlsx: %v", err)
	}
	if *update {
		zipBytes = sampleXLSX(t)
	}
	return map[string][]byte{
		"latin1.csv":          cp1252("name,city,amount\r\nJosé Müller,Zürich,12.50\r\nFrançoise Dœuf,Besançon,7\r\n"),
		"late-latin1.csv":     late.Bytes(),
		"utf16le-bom.csv":     utf16("name\tcity\r\nJosé\tKöln\r\n日本\t東京\r\n", unicode.LittleEndian),
		"utf16be-bom.csv":     utf16("name,city\nJosé,Köln\n", unicode.BigEndian),
		"utf8-bom.csv":        []byte("\xEF\xBB\xBFid,name\n1,Zoë\n2,Łukasz\n"),
		"semicolon.csv":       []byte("Name;Preis;Datum\nApfel;1,50;15.03.2024\nBirne;2,25;16.03.2024\nKiwi;0,99;17.03.2024\n"),
		"pipe.csv":            []byte("id|name|note\n1|Ann|a, b\n2|Bob|c, d, e\n"),
		"quoted-newlines.csv": []byte("id,comment\n1,\"line one\nline two\"\n2,\"has \"\"quotes\"\", and a comma\"\n3,plain\n"),
		"ragged.csv":          []byte("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"),
		"empty.csv":           {},
		"header-only.csv":     []byte("id,name,email\n"),
		"dup-headers.csv":     []byte("id,Name,email,name \n1,a,b,c\n"),
		"blank-header.csv":    []byte("id,,email, \n1,a,b,c\n"),
		"binary.csv":          []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"),
		"nul.csv":             []byte("id,name\n1,a\x00b\n"),
		"zip-named.csv":       zipBytes,
		"title-rows.csv":      []byte("Quarterly sales report\nGenerated on 2024-04-01\n\nregion,product,units,revenue\nNorth,Widget,10,99.50\nSouth,Gadget,3,12.00\n"),
		"long-line.csv":       []byte("id,text\n1,short\n2," + strings.Repeat("long ", 400) + "\n3,after\n"),
		"unclosed-quote.csv":  []byte("id,text\n1,\"never closed\n" + strings.Repeat("2,more text here\n", 200)),
		"array.json":          []byte(`[{"id": 1, "name": "Zoë", "tags": ["a", "b"], "active": true, "score": 1.50, "note": null, "meta": {"k": "v"}},` + "\n" + ` {"id": 2, "name": "Bob \"B\"", "extra": "x", "score": -3e2}]`),
		"cr-only.csv":         []byte("a,b\r1,2\r3,4\r"),
		"pasted.txt":          []byte("Name\tAmount\tDate\nAnn\t1,234.50\t3/15/2024\nBob\t7\t3/16/2024\n"),
	}
}

// sampleXLSX builds a two-sheet workbook (plus a hidden one) with every kind
// of date cell: excelize's own date style, raw serials with built-in and
// custom date formats, a datetime, a time, and numbers with formats.
func sampleXLSX(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Orders"))
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		must(err)
		return id
	}
	custom := func(code string) *string { return &code }
	builtin14 := style(&excelize.Style{NumFmt: 14})
	dmy := style(&excelize.Style{CustomNumFmt: custom("dd/mm/yyyy")})
	dt := style(&excelize.Style{CustomNumFmt: custom("yyyy-mm-dd hh:mm")})
	tm := style(&excelize.Style{NumFmt: 20}) // h:mm
	money := style(&excelize.Style{NumFmt: 4})
	zip := style(&excelize.Style{CustomNumFmt: custom("00000")})
	pct := style(&excelize.Style{NumFmt: 10})
	header := []any{"order_id", "customer", "ordered_on", "shipped_at", "due", "amount", "zip", "share", "paid", "start"}
	must(f.SetSheetRow("Orders", "A1", &header))
	// Row 2: excelize writes time.Time with its own date style.
	must(f.SetSheetRow("Orders", "A2", &[]any{1001, "José Müller", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 3, 16, 10, 30, 0, 0, time.UTC), 45400, 1234.5, 2134, 0.125, true, 0.4375}))
	// Row 3: raw serial numbers styled as dates.
	must(f.SetSheetRow("Orders", "A3", &[]any{1002, "Zoë", 45366, 45367.75, 45401, 7, 501, 1, false, 0.5}))
	for _, c := range []string{"C3"} {
		must(f.SetCellStyle("Orders", c, c, builtin14))
	}
	must(f.SetCellStyle("Orders", "D3", "D3", dt))
	must(f.SetCellStyle("Orders", "E2", "E3", dmy))
	must(f.SetCellStyle("Orders", "F2", "F3", money))
	must(f.SetCellStyle("Orders", "G2", "G3", zip))
	must(f.SetCellStyle("Orders", "H2", "H3", pct))
	must(f.SetCellStyle("Orders", "J2", "J3", tm))
	// Row 5 (row 4 left empty): a short row.
	must(f.SetSheetRow("Orders", "A5", &[]any{1003, "Short"}))
	_, err := f.NewSheet("Customers")
	must(err)
	must(f.SetSheetRow("Customers", "A1", &[]any{"name", "email"}))
	must(f.SetSheetRow("Customers", "A2", &[]any{"Ann", "ann@example.com"}))
	_, err = f.NewSheet("Hidden")
	must(err)
	must(f.SetSheetRow("Hidden", "A1", &[]any{"secret"}))
	must(f.SetSheetVisible("Hidden", false))
	var buf bytes.Buffer
	must(f.Write(&buf))
	return buf.Bytes()
}

func TestTestdataUpToDate(t *testing.T) {
	fixtures := textFixtures(t)
	if *update {
		for name, b := range fixtures {
			if name == "zip-named.csv" {
				continue
			}
			if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		xb := fixtures["zip-named.csv"]
		for _, name := range []string{"sample.xlsx", "zip-named.csv"} {
			if err := os.WriteFile(filepath.Join("testdata", name), xb, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range fixtures {
		got, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Errorf("%s: %v (run go test -run TestTestdataUpToDate -update)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (run go test -run TestTestdataUpToDate -update)", name)
		}
	}
}
