package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Date, datetime and time cells are rewritten (in memory) to number formats
// that print the serial number followed by a marker (U+2063 INVISIBLE
// SEPARATOR and a class letter); xlsxSource turns marked cells into ISO 8601.
// This is both exact (excelize's own date rendering has no ISO mode and is
// about 50 µs per cell) and cheap to recognize.
const (
	dateMark     = "\u2063"
	markDate     = 'D'
	markDateTime = 'T'
	markTime     = 'H'
	markCode     = "0.0000000000\"" + dateMark + "%c\""
)

// xlsxSource streams one worksheet with excelize's row iterator.
type xlsxSource struct {
	f        *excelize.File
	rows     *excelize.Rows
	rd       *Reader
	maxField int
	date1904 bool
}

// Sheets returns the names of the visible worksheets of the XLSX file at
// path, in workbook order. The workbook is checked against the default
// Limits first.
func Sheets(path string) ([]string, error) {
	b, err := openBook(path, Limits{}.withDefaults(), DefaultMaxFieldBytes, false)
	if err != nil {
		return nil, err
	}
	defer b.zr.Close()
	return b.visible(), nil
}

// openWorkbook checks the workbook against lim (see guardXLSX) and opens
// the parts reading needs with excelize. deep also checks the worksheets'
// content (needed before reading rows).
func openWorkbook(path string, lim Limits, maxField int, deep bool) (*excelize.File, error) {
	src, isTemp, err := guardXLSX(path, lim, maxField, deep)
	if err != nil {
		return nil, err
	}
	if isTemp {
		defer os.Remove(src)
	}
	f, err := excelize.OpenFile(src, excelize.Options{UnzipSizeLimit: lim.MaxXLSXBytes, UnzipXMLSizeLimit: min(xlsxInMemoryBytes, lim.MaxXLSXBytes)})
	if err != nil {
		return nil, xlsxOpenError(err, lim)
	}
	return f, nil
}

func visibleSheets(f *excelize.File) []string {
	var out []string
	for _, name := range f.GetSheetList() {
		if ok, err := f.GetSheetVisible(name); err == nil && ok {
			out = append(out, name)
		}
	}
	return out
}

func xlsxOpenError(err error, lim Limits) error {
	msg := err.Error()
	switch {
	case errors.Is(err, excelize.ErrWorkbookFileFormat), strings.Contains(msg, "zip"):
		return errorf(ErrFormat, 0, "the file is not a readable XLSX workbook (%v); re-save it from Excel as .xlsx", err)
	case strings.Contains(msg, "size exceeds"):
		return errorf(ErrTooLarge, 0, "the workbook is larger than %s when uncompressed", humanBytes(lim.MaxXLSXBytes))
	case strings.Contains(strings.ToLower(msg), "password") || strings.Contains(msg, "encrypt"):
		return errorf(ErrFormat, 0, "the workbook is password-protected; save it without a password")
	}
	return errorf(ErrFormat, 0, "cannot read the XLSX workbook: %v", err)
}

// openXLSXExcelize reads with excelize's row iterator: the reference the
// streaming reader (openXLSX) is tested against.
func openXLSXExcelize(path string, size int64, opts Options) (*Reader, error) {
	maxField := opts.MaxFieldBytes
	if maxField <= 0 {
		maxField = DefaultMaxFieldBytes
	}
	lim := opts.Limits.withDefaults()
	f, err := openWorkbook(path, lim, maxField, true)
	if err != nil {
		return nil, err
	}
	rd, err := readXLSX(f, size, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return rd, nil
}

func readXLSX(f *excelize.File, size int64, opts Options) (*Reader, error) {
	sheets := visibleSheets(f)
	sheet := opts.Sheet
	if sheet == "" {
		if len(sheets) == 0 {
			return nil, errorf(ErrEmpty, 0, "the workbook has no visible worksheet")
		}
		sheet = sheets[0]
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		return nil, errorf(ErrFormat, 0, "the workbook has no sheet named %q; its sheets are %s", sheet, quoteList(sheets))
	}
	if err := markDateStyles(f); err != nil {
		return nil, errorf(ErrFormat, 0, "cannot read the workbook's cell styles: %v", err)
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, errorf(ErrFormat, 0, "cannot read sheet %q: %v", sheet, err)
	}
	maxField := opts.MaxFieldBytes
	if maxField <= 0 {
		maxField = DefaultMaxFieldBytes
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	rd := &Reader{sizeKnown: size, shortOK: true, maxCols: opts.Limits.withDefaults().MaxColumns}
	rd.det = Detected{Format: "xlsx", Sheets: sheets, Sheet: sheet}
	rd.src = &xlsxSource{f: f, rows: rows, rd: rd, maxField: maxField, date1904: date1904}
	return rd, nil
}

func (s *xlsxSource) next() ([]string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, errorf(ErrFormat, s.rd.row+1, "cannot read the worksheet: %v", err)
		}
		return nil, io.EOF
	}
	row := s.rd.row + 1
	cols, err := s.rows.Columns()
	if err != nil {
		return nil, errorf(ErrFormat, row, "cannot read the worksheet row: %v", err)
	}
	n := 0
	for i, c := range cols {
		n += len(c)
		if len(c) > len(dateMark)+1 && c[len(c)-len(dateMark)-1:len(c)-1] == dateMark {
			cols[i] = serialToISO(c, s.date1904)
		}
	}
	if n > s.maxField {
		return nil, errorf(ErrLineTooLong, row, "the row is longer than the limit of %s", humanBytes(int64(s.maxField)))
	}
	if cols == nil {
		cols = []string{} // an empty row, not a missing one
	}
	return cols, nil
}

func (s *xlsxSource) line() int { return s.rd.row }

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	return errors.Join(err, s.f.Close())
}

// Cell format classes.
type fmtClass int

const (
	fmtKeep     fmtClass = iota // text, zero-padded codes, elapsed times: excelize's rendering is right
	fmtNumber                   // General and other number formats: the stored number, unrounded
	fmtDate                     // date only -> 2024-03-15
	fmtDateTime                 // date and time -> 2024-03-15T10:30:00
	fmtTime                     // time of day -> 10:30:00
)

// markDateStyles rewrites, in memory only, the number format of every cell
// style so that the streaming row iterator (which formats each cell by its
// style) yields: for date/time formats, the serial number with a class marker
// (see serialToISO), whether the workbook stores built-in date formats
// (14-22, 27-36, 45, 50-58) or custom ones (any code with d/m/y/h/s tokens);
// for General and other number formats, the stored number as written, without
// rounding, separators, currency or percent scaling (format "@"). The
// workbook is never saved.
func markDateStyles(f *excelize.File) error {
	var ids [3]int
	for i, mark := range []rune{markDate, markDateTime, markTime} {
		code := fmt.Sprintf(markCode, mark)
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return err
		}
		ids[i] = id
	}
	ss := f.Styles
	if ss == nil || ss.CellXfs == nil {
		return nil
	}
	var fmtIDs [3]int
	for i, id := range ids {
		if p := ss.CellXfs.Xf[id].NumFmtID; p != nil {
			fmtIDs[i] = *p
		}
	}
	custom := map[int]string{}
	if ss.NumFmts != nil {
		for _, nf := range ss.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	for i := range ss.CellXfs.Xf {
		if i == ids[0] || i == ids[1] || i == ids[2] {
			continue
		}
		xf := &ss.CellXfs.Xf[i]
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		class := builtinClass(id)
		if code, ok := custom[id]; ok {
			class = classifyFormat(code)
		}
		var to int
		switch class {
		case fmtKeep:
			continue
		case fmtNumber:
			to = 49 // "@": the value as stored
		case fmtDate:
			to = fmtIDs[0]
		case fmtDateTime:
			to = fmtIDs[1]
		case fmtTime:
			to = fmtIDs[2]
		}
		xf.NumFmtID = &to
	}
	return nil
}

// serialToISO converts a marked serial ("45366.4375000000\u2063T") to ISO 8601:
// 2024-03-15 (D), 2024-03-15T10:30:00 (T) or 10:30:00 (H), rounded to the
// second (a date-only format truncates to the day, as Excel displays it).
// Serials that are not a date (negative, beyond year 9999, or below 1
// for a date-only format) come back as the plain number, so nothing is lost.
func serialToISO(cell string, date1904 bool) string {
	mark := cell[len(cell)-1]
	num := cell[:len(cell)-len(dateMark)-1]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return cell // text in a date-styled cell that happens to end like a marker
	}
	plain := strconv.FormatFloat(v, 'f', -1, 64)
	if v < 0 || v >= 2958466 || (v < 1 && mark == markDate) {
		return plain
	}
	secs := int64(math.Round(v * 86400))
	days, sod := secs/86400, secs%86400
	if mark == markDate {
		days = int64(v) // a date format shows the day the serial falls in
	}
	clock := fmt.Sprintf("%02d:%02d:%02d", sod/3600, sod/60%60, sod%60)
	if mark == markTime || (mark == markDateTime && days == 0) {
		return clock
	}
	var date string
	switch {
	case date1904:
		date = time.Date(1904, 1, 1+int(days), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	case days == 60:
		date = "1900-02-29" // Excel's fictitious leap day (Lotus 1-2-3 compatibility)
	case days < 60:
		date = time.Date(1899, 12, 31+int(days), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	default:
		date = time.Date(1899, 12, 30+int(days), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	if mark == markDate {
		return date
	}
	return date + "T" + clock
}

// builtinClass classifies the built-in number formats (ECMA-376 18.8.30).
func builtinClass(id int) fmtClass {
	switch {
	case id == 49: // @
		return fmtKeep
	case id >= 0 && id <= 13, id >= 37 && id <= 44, id == 48:
		return fmtNumber
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return fmtDate
	case id >= 18 && id <= 21, id == 45, id >= 32 && id <= 35, id == 55, id == 56:
		return fmtTime
	case id == 22:
		return fmtDateTime
	}
	return fmtKeep // 46 [h]:mm:ss, 47 mm:ss.0, unknown ids
}

// classifyFormat classifies a custom number format code by its first section,
// ignoring quoted text, escaped characters and [bracketed] colours/locales.
func classifyFormat(code string) fmtClass {
	if strings.EqualFold(strings.TrimSpace(firstSection(code)), "general") {
		return fmtNumber
	}
	var date, tim, month, digits bool
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ';':
			i = len(code) // first section only
			continue
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
			continue
		case '\\', '_', '*':
			i++
			continue
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				i = len(code)
				continue
			}
			inner := strings.ToLower(code[i+1 : i+1+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				return fmtKeep // elapsed time such as [h]:mm:ss
			}
			i += j + 1
			continue
		case '@':
			return fmtKeep
		case '0', '#', '?':
			digits = true
		}
		switch c | 0x20 { // ASCII lower case
		case 'd', 'y':
			date = true
		case 'h', 's':
			tim = true
		case 'm':
			month = true
		}
	}
	switch {
	case tim && date:
		return fmtDateTime
	case tim: // h:mm, mm:ss: m is minutes here
		return fmtTime
	case date || month:
		return fmtDate
	case digits && zeroPadded(firstSection(code)):
		return fmtKeep // identifiers: 00000 (ZIP codes), 000-00-0000
	case digits:
		return fmtNumber
	}
	return fmtKeep
}

// zeroPadded reports whether a format code only pads digits with zeros and
// punctuation (no decimals, grouping or scaling), like 00000 or (000) 000-0000.
func zeroPadded(code string) bool {
	return strings.Count(code, "0") >= 2 && strings.Trim(code, "0 -()/") == ""
}

func firstSection(code string) string {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		return code[:i]
	}
	return code
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 0 {
		return "(none)"
	}
	return strings.Join(q, ", ")
}
