package ingest

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// magic is a known binary file signature.
type magic struct {
	prefix string
	what   string
}

var magics = []magic{
	{"%PDF-", "a PDF document"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"GIF87a", "a GIF image"},
	{"GIF89a", "a GIF image"},
	{"\xFF\xD8\xFF", "a JPEG image"},
	{"\x1F\x8B", "a gzip archive"},
	{"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"},
	{"Rar!\x1A\x07", "a RAR archive"},
	{"\x7FELF", "an executable program"},
	{"SQLite format 3\x00", "an SQLite database"},
	{"PAR1", "a Parquet file"},
	{"{\\rtf", "an RTF document"},
}

// checkMagic rejects inputs whose first bytes are a known binary signature,
// with a message saying what the file looks like and what to do.
func checkMagic(sample []byte, format, ext string, fromFile bool) error {
	if bytes.HasPrefix(sample, []byte("PK\x03\x04")) || bytes.HasPrefix(sample, []byte("PK\x05\x06")) {
		if format == "xlsx" && !fromFile {
			return errorf(ErrFormat, 0, "XLSX needs random access: save the upload to a file and use OpenFile")
		}
		switch {
		case bytes.Contains(sample, []byte("xl/")):
			return errorf(ErrBinary, 0, "the file looks like an XLSX file (Excel workbook), not %s; choose the .xlsx type or rename the file to .xlsx", formatNoun(format))
		case bytes.Contains(sample, []byte("word/")):
			return errorf(ErrBinary, 0, "the file looks like a Word document (.docx), not %s; export the table as CSV or XLSX", formatNoun(format))
		case bytes.Contains(sample, []byte("content.xml")) || bytes.Contains(sample, []byte("opendocument")):
			return errorf(ErrBinary, 0, "the file looks like an OpenDocument file (.ods), not %s; save it as .xlsx or CSV", formatNoun(format))
		}
		return errorf(ErrBinary, 0, "the file is a ZIP archive, not %s; extract it first", formatNoun(format))
	}
	if bytes.HasPrefix(sample, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
		return errorf(ErrBinary, 0, "the file looks like a legacy Excel .xls workbook or a password-protected Office file, not %s; save it as .xlsx (without password) or CSV", formatNoun(format))
	}
	for _, m := range magics {
		if bytes.HasPrefix(sample, []byte(m.prefix)) {
			return errorf(ErrBinary, 0, "the file looks like %s, not %s; choose the right file", m.what, formatNoun(format))
		}
	}
	return nil
}

func formatNoun(format string) string {
	switch format {
	case "xlsx":
		return "an XLSX workbook"
	case "json":
		return "a JSON file"
	case "tsv":
		return "tab-separated text"
	}
	return "CSV text"
}

func describeText(sample []byte) string {
	if bytes.IndexByte(sample, 0) >= 0 {
		return "it contains binary data"
	}
	return "it contains plain text"
}

// looksLikeJSONArray reports whether text starts (after spaces) with a JSON
// array of objects or arrays.
func looksLikeJSONArray(text string) bool {
	t := strings.TrimLeftFunc(text, unicode.IsSpace)
	if !strings.HasPrefix(t, "[") {
		return false
	}
	t = strings.TrimLeftFunc(t[1:], unicode.IsSpace)
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, "]")
}

// validDelim mirrors encoding/csv's rule for Comma.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// delimCandidates in order of preference when the evidence is tied: a file
// separated by tabs, semicolons or pipes often has commas inside its fields
// (decimal commas, "Last, First"), rarely the other way round.
var delimCandidates = [...]byte{'\t', ';', '|', ','}

// maxSniffRecords bounds how many records of the sample are examined.
const maxSniffRecords = 200

// detectDelimiter picks the separator that splits the sample's records into
// the most consistent number of fields. truncated says the sample is cut
// (its last record may be partial and is ignored).
func detectDelimiter(text string, truncated bool) rune {
	best, bestScore, bestMode := byte(','), -1.0, 0
	for _, d := range delimCandidates {
		counts := countDelims(text, d, truncated)
		if len(counts) == 0 {
			continue
		}
		mode, freq := modeCount(counts)
		if mode == 0 {
			continue
		}
		score := float64(freq) / float64(len(counts))
		// Prefer clearly more consistent candidates; on a near tie keep the
		// earlier (preferred) one unless the later splits into more fields
		// on a single-record sample.
		switch {
		case score > bestScore+0.05:
			best, bestScore, bestMode = d, score, mode
		case score >= bestScore-0.05 && len(counts) == 1 && mode > bestMode:
			best, bestScore, bestMode = d, score, mode
		}
	}
	return rune(best)
}

// countDelims counts delimiter d outside quoted fields in each record of text,
// following encoding/csv's LazyQuotes rules: a quote opens a quoted field only
// at the start of a field; inside one, "" is a literal quote.
func countDelims(text string, d byte, truncated bool) []int {
	counts := make([]int, 0, 64)
	n, fieldStart, inQuote, empty := 0, true, false, true
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inQuote {
			if c == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					i++
					continue
				}
				inQuote = false
			}
			continue
		}
		switch c {
		case '"':
			if fieldStart {
				inQuote = true
			}
			fieldStart, empty = false, false
		case d:
			n++
			fieldStart, empty = true, false
		case '\n', '\r':
			if !empty {
				counts = append(counts, n)
				if len(counts) == maxSniffRecords {
					return counts
				}
			}
			n, fieldStart, empty = 0, true, true
		default:
			fieldStart, empty = false, false
		}
	}
	if !empty && (!truncated || len(counts) == 0) {
		counts = append(counts, n)
	}
	return counts
}

// modeCount returns the most frequent non-zero count and how often it occurs.
func modeCount(counts []int) (mode, freq int) {
	seen := make(map[int]int, 8)
	for _, c := range counts {
		if c == 0 {
			continue
		}
		seen[c]++
		if f := seen[c]; f > freq || (f == freq && c > mode) {
			mode, freq = c, f
		}
	}
	return mode, freq
}
