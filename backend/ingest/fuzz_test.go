package ingest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// drain reads every row, checking the invariants that hold for any input:
// errors are *Error, rows are valid UTF-8, reading ends, BytesRead stays
// within the input.
func drain(t *testing.T, rd *Reader, inputLen int) ([][]string, error) {
	t.Helper()
	var rows [][]string
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) || ie.Msg == "" {
				t.Fatalf("Next error is not a described *Error: %#v", err)
			}
			return rows, err
		}
		if len(rows) > inputLen+2 {
			t.Fatalf("more rows (%d) than input bytes (%d): reader does not end", len(rows), inputLen)
		}
		for _, f := range row {
			if !utf8.ValidString(f) {
				t.Fatalf("row %d has invalid UTF-8 field %q", rd.Row(), f)
			}
		}
		if n := rd.BytesRead(); n > int64(inputLen) {
			t.Fatalf("BytesRead %d > input %d", n, inputLen)
		}
		rows = append(rows, slices.Clone(row))
	}
}

// FuzzSniff opens arbitrary bytes with full detection (format, encoding,
// delimiter) and reads every row; then it checks the round-trip property:
// rows written by encoding/csv with any of the four delimiters read back
// exactly.
func FuzzSniff(f *testing.F) {
	for _, b := range textFixtures(f) {
		if len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte("a\x1fb\x1ec\x1f\"d\nx\"\x1e,;|\t"))
	f.Add([]byte("[{\"a\":1},{\"b\":[1,{\"c\":null}]}]"))
	f.Add([]byte("\xFF\xFEa\x00,\x00b\x00\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"", "x.csv", "x.json"} {
			rd, err := Open(bytes.NewReader(data), name, Options{MaxFieldBytes: 4096})
			if err != nil {
				var ie *Error
				if !errors.As(err, &ie) {
					t.Fatalf("Open(%q) error is not an *Error: %#v", name, err)
				}
				continue
			}
			drain(t, rd, len(data))
			if err := rd.Close(); err != nil {
				t.Fatal(err)
			}
		}
		roundTrip(t, data)
	})
}

// fuzzRows turns bytes into rows: records split at 0x1E, fields at 0x1F.
// Bytes that a CSV cannot carry unchanged are removed (CR is normalized by
// encoding/csv, NUL marks binary files, U+FEFF at the start is a BOM) and a
// record with one empty field is dropped (it is written as a blank line).
func fuzzRows(data []byte) [][]string {
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	s = strings.NewReplacer("\r", "", "\x00", "", "\uFEFF", "").Replace(s)
	var rows [][]string
	for _, rec := range strings.Split(s, "\x1e") {
		fields := strings.Split(rec, "\x1f")
		if len(fields) == 1 && fields[0] == "" {
			continue
		}
		rows = append(rows, fields)
	}
	return rows
}

func roundTrip(t *testing.T, data []byte) {
	rows := fuzzRows(data)
	if len(rows) == 0 {
		return
	}
	delim := []rune{',', ';', '\t', '|'}[len(data)%4]
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = delim
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	rd, err := Open(bytes.NewReader(buf.Bytes()), "x.csv", Options{Delimiter: delim, Encoding: "utf-8"})
	if err != nil {
		if k := errKind(err); k == ErrBinary || (k == ErrEmpty && strings.TrimSpace(buf.String()) == "") {
			return // starts with a binary signature, or is only whitespace
		}
		t.Fatalf("open round trip: %v\n%q", err, buf.String())
	}
	got, err := drain(t, rd, buf.Len())
	if err != nil {
		t.Fatalf("read round trip: %v", err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip with %q:\nwrote %q\nread  %q\ntext %q", delim, rows, got, buf.String())
	}
	if rd.IssueCount() != countRagged(rows, rd) {
		t.Fatalf("issues %+v do not match the rows' widths", rd.Issues())
	}
}

// countRagged counts the rows after the detected header whose width differs.
func countRagged(rows [][]string, rd *Reader) int {
	n := 0
	for i, r := range rows {
		if i+1 > rd.headerRow && len(r) != rd.width && !blank(r) {
			n++
		}
	}
	return n
}

// FuzzDecode checks the decoding layer: the streaming UTF-8 fallback equals
// the per-field one for any chunking, Windows-1252 decoding is one character
// per byte, the chunked UTF-8 check flags exactly the invalid inputs, and the
// same text parses to the same rows whether it arrives as UTF-8, UTF-16
// (LE/BE, with BOM) or Windows-1252.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("José Müller,Zürich\n"), uint8(1))
	f.Add([]byte("Jos\xE9 M\xFCller;Z\xFCrich\n"), uint8(3))
	f.Add([]byte("東京,🙂\n\"a\nb\",c\n"), uint8(7))
	f.Add([]byte("\xE2\x82\xAC\x80\x81\x8D\x8F\x90\x9D"), uint8(2))
	f.Add([]byte("a,b\r\n1,\xF0\x9F"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		size := int(chunk%16) + 1

		want, n := fixUTF8(string(data))
		if !utf8.ValidString(want) {
			t.Fatalf("fixUTF8 output invalid: %q", want)
		}
		if utf8.Valid(data) && (want != string(data) || n != 0) {
			t.Fatalf("fixUTF8 changed valid input %q -> %q", data, want)
		}
		fb := &utf8Fallback{}
		got, err := io.ReadAll(transform.NewReader(chunked(data, size), fb))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want || fb.replaced != int64(n) {
			t.Fatalf("stream fallback %q (%d) != field fallback %q (%d)", got, fb.replaced, want, n)
		}

		dec, _, err := transform.Bytes(cp1252Decoder{}, data)
		if err != nil || utf8.RuneCount(dec) != len(data) || !utf8.Valid(dec) {
			t.Fatalf("windows-1252 decode of %q = %q, %v", data, dec, err)
		}

		g := &rowGuard{r: chunked(data, size), limit: 1 << 40, checkUTF: true}
		io.Copy(io.Discard, g)
		if flagged := g.badEnd > 0; flagged != !utf8.Valid(data) {
			t.Fatalf("guard flagged=%v for %q (valid %v)", flagged, data, utf8.Valid(data))
		}

		text := strings.NewReplacer("\x00", "", "\uFEFF", "").Replace(strings.ToValidUTF8(string(data), "\uFFFD"))
		base, baseErr := parseWith(t, []byte(text), "utf-8")
		if errKind(baseErr) == ErrBinary {
			return
		}
		for _, e := range []unicode.Endianness{unicode.LittleEndian, unicode.BigEndian} {
			b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseWith(t, b, "")
			if errKind(err) != errKind(baseErr) || !reflect.DeepEqual(rows, base) {
				t.Fatalf("UTF-16 (%v) parse differs: %q %v vs UTF-8 %q %v", e, rows, err, base, baseErr)
			}
		}
		// The same text in Windows-1252 (runes it cannot encode dropped first).
		var latin strings.Builder
		for _, r := range text {
			if _, ok := charmap.Windows1252.EncodeRune(r); ok && (r < 0x80 || r > 0x9F) {
				latin.WriteRune(r)
			}
		}
		enc, err := charmap.Windows1252.NewEncoder().Bytes([]byte(latin.String()))
		if err != nil || utf8.Valid(enc) {
			return // only a non-UTF-8 byte sequence is detected as Windows-1252
		}
		base, baseErr = parseWith(t, []byte(latin.String()), "utf-8")
		rows, err := parseWith(t, enc, "")
		if errKind(baseErr) == ErrBinary {
			return
		}
		if errKind(err) != errKind(baseErr) || !reflect.DeepEqual(rows, base) {
			t.Fatalf("windows-1252 parse differs: %q %v vs UTF-8 %q %v", rows, err, base, baseErr)
		}
	})
}

// parseWith reads CSV bytes with a fixed delimiter and the given encoding ("" detects).
func parseWith(t *testing.T, b []byte, encoding string) ([][]string, error) {
	rd, err := Open(bytes.NewReader(b), "x.csv", Options{Delimiter: ',', Encoding: encoding})
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return drain(t, rd, len(b))
}

// chunked returns a reader that yields data in pieces of at most size bytes.
func chunked(data []byte, size int) io.Reader {
	if size == 1 {
		return iotest.OneByteReader(bytes.NewReader(data))
	}
	return &chunkReader{data: data, size: size}
}

type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}
