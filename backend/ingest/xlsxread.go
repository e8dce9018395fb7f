package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/big"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// The XLSX reader streams the worksheet XML straight from the archive with
// a byte scanner (xlsxTok) instead of excelize's row iterator, which spends
// most of its time in encoding/xml and formatting every cell. Its output
// is the same as the excelize-based reader it replaces (see
// openXLSXExcelize, kept for the differential tests): excelize's cell
// rendering with date styles turned into ISO 8601 and number styles into
// the stored number. The checks of xlsxGuard run on the small parts and the
// shared strings before reading; the worksheet's checks (inflated size,
// text runs, tags, nesting, cells and text per row) run inline while rows
// are read.

// xlsxBook is an opened workbook: the archive and the small parts parsed.
type xlsxBook struct {
	zr       *zip.ReadCloser
	g        *xlsxGuard
	byName   map[string]*zip.File
	sheets   []xlsxSheetRef
	date1904 bool
	styles   []xlsxStyle // by cell style index (cellXfs)
	sst      []string
}

type xlsxSheetRef struct {
	name    string
	visible bool
	part    string // lower-case part name
}

// xlsxStyle is what reading needs of one cell style.
type xlsxStyle struct {
	class fmtClass
	numID int
	code  string // custom format code, "" for built-in ones
}

// openBook opens and checks the workbook. withSST also reads the shared
// strings (needed for rows, not for the sheet list).
func openBook(filePath string, lim Limits, maxField int, withSST bool) (*xlsxBook, error) {
	zr, err := zip.OpenReader(filePath)
	if err != nil {
		return nil, errorf(ErrFormat, 0, "the file is not a readable XLSX workbook (%v); re-save it from Excel as .xlsx", err)
	}
	b := &xlsxBook{zr: zr, byName: make(map[string]*zip.File, len(zr.File))}
	if err := b.open(lim, maxField, withSST); err != nil {
		zr.Close()
		return nil, err
	}
	return b, nil
}

func (b *xlsxBook) open(lim Limits, maxField int, withSST bool) error {
	for _, f := range b.zr.File {
		b.byName[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))] = f
	}
	g := &xlsxGuard{lim: lim, maxText: 4 * int64(maxField), maxField: int64(maxField)}
	b.g = g
	kinds, err := g.keptParts(b.byName)
	if err != nil {
		return err
	}
	var total int64
	for _, f := range b.zr.File {
		kind, ok := kinds[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))]
		if !ok || f.FileInfo().IsDir() {
			continue
		}
		if err := g.checkSize(f, kind); err != nil {
			return err
		}
		total += int64(f.UncompressedSize64)
		if total > lim.MaxXLSXBytes {
			return errorf(ErrTooLarge, 0, "the workbook unpacks to more than the limit of %s", humanBytes(lim.MaxXLSXBytes))
		}
		if kind == partSmall {
			if err := g.scan(f, kind); err != nil {
				return err
			}
		}
	}
	// the workbook and its relationships
	workbook := "xl/workbook.xml"
	rels, _ := g.readRels(b.byName, "_rels/.rels")
	for _, r := range rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			workbook = resolvePart("", r.Target)
		}
	}
	dir, base := path.Split(workbook)
	wbRels, _ := g.readRels(b.byName, dir+"_rels/"+base+".rels")
	relTarget := map[string]string{}
	stylesPart, sstPart := dir+"styles.xml", dir+"sharedstrings.xml"
	for _, r := range wbRels {
		if r.TargetMode == "External" {
			continue
		}
		switch r.Type[strings.LastIndexByte(r.Type, '/')+1:] {
		case "styles":
			stylesPart = resolvePart(dir, r.Target)
		case "sharedStrings":
			sstPart = resolvePart(dir, r.Target)
		}
		relTarget[r.ID] = resolvePart(dir, r.Target)
	}
	wf, ok := b.byName[workbook]
	if !ok {
		return errorf(ErrFormat, 0, "the file is not a readable XLSX workbook (it has no workbook part); re-save it from Excel as .xlsx")
	}
	var wb struct {
		Pr *struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(wf, &wb); err != nil {
		return errorf(ErrFormat, 0, "the file is not a readable XLSX workbook (%s: %v); re-save it from Excel as .xlsx", wf.Name, err)
	}
	if wb.Pr != nil {
		b.date1904 = wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"
	}
	for i, s := range wb.Sheets {
		ref := xlsxSheetRef{name: s.Name, visible: s.State == "" || s.State == "visible"}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" {
				ref.part = relTarget[a.Value]
			}
		}
		if ref.part == "" {
			ref.part = dir + "worksheets/sheet" + strconv.Itoa(i+1) + ".xml"
		}
		b.sheets = append(b.sheets, ref)
	}
	if sf, ok := b.byName[stylesPart]; ok {
		if err := b.readStyles(sf); err != nil {
			return errorf(ErrFormat, 0, "cannot read the workbook's cell styles: %v", err)
		}
	}
	if sf, ok := b.byName[sstPart]; ok && withSST {
		if err := g.scan(sf, partSST); err != nil {
			return err
		}
		if err := b.readSST(sf); err != nil {
			return err
		}
	}
	return nil
}

// decodePart unmarshals a small part (already checked by the guard).
func decodePart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	d.Strict = false
	return d.Decode(v)
}

func (b *xlsxBook) readStyles(f *zip.File) error {
	var ss struct {
		NumFmts []struct {
			ID    int        `xml:"numFmtId,attr"`
			Code  string     `xml:"formatCode,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID *int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := decodePart(f, &ss); err != nil {
		return err
	}
	custom := map[int]string{}
	for _, nf := range ss.NumFmts {
		code := nf.Code
		for _, a := range nf.Attrs {
			if a.Name.Local == "formatCode16" && a.Value != "" {
				code = a.Value
			}
		}
		if _, dup := custom[nf.ID]; !dup {
			custom[nf.ID] = code
		}
	}
	b.styles = make([]xlsxStyle, len(ss.Xfs))
	for i, xf := range ss.Xfs {
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		st := xlsxStyle{class: builtinClass(id), numID: id}
		if code, ok := custom[id]; ok {
			st.class, st.code = classifyFormat(code), code
		}
		b.styles[i] = st
	}
	return nil
}

// readSST reads the shared strings (checked by the guard first).
func (b *xlsxBook) readSST(f *zip.File) error {
	rc, err := openPartStream(f)
	if err != nil {
		return errorf(ErrFormat, 0, "cannot read %s in the workbook: %v", f.Name, err)
	}
	defer rc.Close()
	t := newXLSXTok(rc, f.Name, b.g.maxText, int64(f.UncompressedSize64))
	b.sst = make([]string, 0, len(b.g.sstSize))
	var text []byte
	inSI, inT, rph := false, false, 0
	for {
		kind, name, tag, err := t.next(inT)
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			return nil
		case tokText:
			if inT && rph == 0 {
				text = append(text, name...)
			}
		case tokStart, tokEmpty:
			switch string(name) {
			case "si":
				if kind == tokEmpty {
					b.sst = append(b.sst, "")
				} else {
					inSI, text = true, text[:0]
				}
			case "t":
				inT = kind == tokStart && inSI
			case "rPh":
				if kind == tokStart {
					rph++
				}
			}
			_ = tag
		case tokEnd:
			switch string(name) {
			case "si":
				if inSI {
					b.sst = append(b.sst, bstrUnmarshal(decodeXMLText(text)))
				}
				inSI, inT = false, false
			case "t":
				inT = false
			case "rPh":
				rph = max(rph-1, 0)
			}
		}
	}
}

func (b *xlsxBook) visible() []string {
	var out []string
	for _, s := range b.sheets {
		if s.visible {
			out = append(out, s.name)
		}
	}
	return out
}

func (b *xlsxBook) sheet(name string) (xlsxSheetRef, bool) {
	for _, s := range b.sheets {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return xlsxSheetRef{}, false
}

// openPartStream inflates a part, counting nothing (see xlsxTok).
func openPartStream(f *zip.File) (io.ReadCloser, error) {
	switch f.Method {
	case zip.Store:
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, err
		}
		return io.NopCloser(raw), nil
	case zip.Deflate:
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, err
		}
		return flate.NewReader(raw), nil
	}
	return f.Open()
}

func openXLSX(filePath string, size int64, opts Options) (*Reader, error) {
	maxField := opts.MaxFieldBytes
	if maxField <= 0 {
		maxField = DefaultMaxFieldBytes
	}
	lim := opts.Limits.withDefaults()
	b, err := openBook(filePath, lim, maxField, true)
	if err != nil {
		return nil, err
	}
	rd, err := b.reader(size, opts, maxField)
	if err != nil {
		b.zr.Close()
		return nil, err
	}
	return rd, nil
}

func (b *xlsxBook) reader(size int64, opts Options, maxField int) (*Reader, error) {
	sheets := b.visible()
	name := opts.Sheet
	if name == "" {
		if len(sheets) == 0 {
			return nil, errorf(ErrEmpty, 0, "the workbook has no visible worksheet")
		}
		name = sheets[0]
	}
	ref, ok := b.sheet(name)
	if !ok {
		return nil, errorf(ErrFormat, 0, "the workbook has no sheet named %q; its sheets are %s", name, quoteList(sheets))
	}
	rd := &Reader{sizeKnown: size, shortOK: true, maxCols: opts.Limits.withDefaults().MaxColumns}
	rd.det = Detected{Format: "xlsx", Sheets: sheets, Sheet: name}
	s := &xlsxStream{book: b, rd: rd, maxField: int64(maxField), maxCols: rd.maxCols}
	if f, ok := b.byName[ref.part]; ok {
		rc, err := openPartStream(f)
		if err != nil {
			return nil, errorf(ErrFormat, 0, "cannot read sheet %q: %v", name, err)
		}
		ra := newReadAhead(rc)
		s.rc = ra
		s.tok = newXLSXTok(ra, f.Name, b.g.maxText, int64(f.UncompressedSize64))
		s.tok.row = &s.rowNum
	}
	rd.src = s
	return rd, nil
}

// xlsxStream reads rows of one worksheet.
type xlsxStream struct {
	book     *xlsxBook
	rd       *Reader
	rc       io.ReadCloser
	tok      *xlsxTok
	maxField int64
	maxCols  int

	rowNum  int // the worksheet row being parsed (for errors)
	emitted int // rows returned so far
	pending []string
	pendRow int // row number of pending (0: none)
	done    bool

	cells   []string
	text    []byte // the current row's non-shared text
	offs    []int  // cells[i] spans text[offs[2i]:offs[2i+1]] when not shared (-1)
	val     []byte
	scratch []byte
	fmt     *xlsxFormatter
}

func (s *xlsxStream) line() int { return s.rd.row }

func (s *xlsxStream) close() error {
	var err error
	if s.rc != nil {
		err = s.rc.Close()
	}
	if cerr := s.book.zr.Close(); err == nil {
		err = cerr
	}
	if s.fmt != nil {
		s.fmt.f.Close()
	}
	return err
}

func (s *xlsxStream) next() ([]string, error) {
	if s.pendRow == 0 && !s.done {
		if err := s.parseRow(); err != nil {
			return nil, err
		}
	}
	if s.pendRow == 0 {
		return nil, io.EOF
	}
	s.emitted++
	if s.emitted < s.pendRow {
		return []string{}, nil // a row the sheet leaves out
	}
	row := s.pending
	s.pending, s.pendRow = nil, 0
	return row, nil
}

// parseRow reads up to the next row (into pending) or the end.
func (s *xlsxStream) parseRow() error {
	if s.tok == nil {
		s.done = true
		return nil
	}
	t := s.tok
	inRow := false
	var (
		col            int
		cType          string
		cStyle         int
		hasF, hasV     bool
		inV, inIS, inT bool
		rph            int
		rowBytes       int64
	)
	s.cells, s.text, s.offs = s.cells[:0], s.text[:0], s.offs[:0]
	finish := func() error {
		if fast, ok := s.fastCell(cType, cStyle); ok {
			if len(fast) == 0 && !hasF {
				return nil
			}
			for len(s.cells) < col-1 {
				s.cells = append(s.cells, "")
				s.offs = append(s.offs, -1, -1)
			}
			rowBytes += int64(len(fast))
			if rowBytes > s.maxField {
				return errorf(ErrLineTooLong, s.rowNum, "the row is longer than the limit of %s", humanBytes(s.maxField))
			}
			start := len(s.text)
			s.text = append(s.text, fast...)
			s.cells = append(s.cells, "")
			s.offs = append(s.offs, start, len(s.text))
			return nil
		}
		if cType == "s" && hasV {
			if n, ok := atoiBytes(s.val); ok && n < len(s.book.sst) {
				str := s.book.sst[n]
				if str == "" && !hasF {
					return nil
				}
				for len(s.cells) < col-1 {
					s.cells = append(s.cells, "")
					s.offs = append(s.offs, -1, -1)
				}
				rowBytes += int64(len(str))
				if rowBytes > s.maxField {
					return errorf(ErrLineTooLong, s.rowNum, "the row is longer than the limit of %s", humanBytes(s.maxField))
				}
				s.cells = append(s.cells, str)
				s.offs = append(s.offs, -1, -1)
				return nil
			}
		}
		val, shared, err := s.cellValue(cType, cStyle, hasV)
		if err != nil {
			return err
		}
		if val == "" && !hasF && !shared {
			return nil
		}
		if shared && s.book.sstSize(val) == 0 && !hasF {
			return nil
		}
		for len(s.cells) < col-1 {
			s.cells = append(s.cells, "")
			s.offs = append(s.offs, -1, -1)
		}
		if shared {
			str := s.sharedString(val)
			rowBytes += int64(len(str))
			s.cells = append(s.cells, str)
			s.offs = append(s.offs, -1, -1)
		} else {
			rowBytes += int64(len(val))
			start := len(s.text)
			s.text = append(s.text, val...)
			s.cells = append(s.cells, "")
			s.offs = append(s.offs, start, len(s.text))
		}
		if rowBytes > s.maxField {
			return errorf(ErrLineTooLong, s.rowNum, "the row is longer than the limit of %s", humanBytes(s.maxField))
		}
		return nil
	}
	for {
		kind, name, tag, err := t.next(inV || inT)
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			s.done = true
			if inRow {
				return s.flush()
			}
			return nil
		case tokText:
			if (inV || (inT && rph == 0)) && len(s.val)+len(name) <= int(s.maxField)+1 {
				s.val = append(s.val, name...)
			} else if inV || inT {
				return errorf(ErrLineTooLong, s.rowNum, "the row is longer than the limit of %s", humanBytes(s.maxField))
			}
		case tokStart, tokEmpty:
			empty := kind == tokEmpty
			switch string(name) {
			case "row":
				s.rowNum++
				if r, ok := attrBytes(tag, "r"); ok {
					if n, err := strconv.Atoi(string(r)); err == nil && n > 0 {
						s.rowNum = n
					}
				}
				inRow, col, rowBytes = true, 0, 0
				if empty {
					return s.flush()
				}
			case "c":
				col++
				r, ty, st := cellAttrs(tag)
				if len(r) > 0 {
					c, ok := columnNumber(r)
					if !ok {
						return errorf(ErrFormat, s.rowNum, "cannot read the worksheet row: the cell reference %q is not valid", r)
					}
					col = c
				}
				if col > s.maxCols || len(s.cells) >= s.maxCols {
					return errorf(ErrTooManyColumns, s.rowNum, "the row has more than %d cells, above the limit of %d columns (Excel's maximum)", s.maxCols, s.maxCols)
				}
				cType = cellTypeName(ty)
				cStyle = 0
				if st != nil {
					cStyle, _ = atoiBytes(st)
				}
				hasF, hasV, inIS, rph = false, false, false, 0
				s.val = s.val[:0]
				if empty {
					if err := finish(); err != nil {
						return err
					}
				} else if text, ok := t.cellTail(int(s.maxField)); ok {
					// the common shapes in one step: what the tokens
					// <v>, text, </v>, </c> (or the inline string's)
					// would have done
					hasV = true
					s.val = append(s.val, text...)
					if err := finish(); err != nil {
						return err
					}
				}
			case "v":
				if !inIS {
					inV, hasV = !empty, true
					s.val = s.val[:0]
				}
			case "f":
				hasF = true
			case "is":
				inIS, hasV = !empty, true
				s.val = s.val[:0]
			case "t":
				inT = inIS && !empty
			case "rPh":
				if !empty {
					rph++
				}
			}
		case tokEnd:
			switch string(name) {
			case "v":
				inV = false
			case "t":
				inT = false
			case "rPh":
				rph = max(rph-1, 0)
			case "is":
				inIS = false
			case "c":
				if err := finish(); err != nil {
					return err
				}
			case "row":
				return s.flush()
			case "sheetData":
				s.done = true
				if inRow {
					return s.flush()
				}
				return nil
			}
		}
	}
}

// flush makes the parsed row pending.
func (s *xlsxStream) flush() error {
	text := string(s.text)
	row := make([]string, len(s.cells))
	for i, c := range s.cells {
		if s.offs[2*i] >= 0 {
			row[i] = text[s.offs[2*i]:s.offs[2*i+1]]
		} else {
			row[i] = c
		}
	}
	s.pending, s.pendRow = row, s.rowNum
	if s.pendRow <= s.emitted {
		s.pendRow = s.emitted + 1 // rows out of order: read in file order
	}
	return nil
}

// sstSize returns the length of a shared string referenced by idx text.
func (b *xlsxBook) sstSize(idx string) int {
	return len(b.sharedString(idx))
}

func (b *xlsxBook) sharedString(idx string) string {
	n, err := strconv.Atoi(strings.TrimSpace(idx))
	if err != nil || n < 0 || n >= len(b.sst) {
		return ""
	}
	return b.sst[n]
}

func (s *xlsxStream) sharedString(idx string) string { return s.book.sharedString(idx) }

// cellValue renders one cell's value as the excelize-based reader did.
// shared reports that val is a shared string index.
func (s *xlsxStream) cellValue(typ string, style int, hasV bool) (val string, shared bool, err error) {
	raw := decodeXMLBytes(s.val)
	switch typ {
	case "s":
		if raw == "" {
			return "", false, nil
		}
		return raw, true, nil
	case "str", "e":
		return raw, false, nil
	case "inlineStr":
		return bstrUnmarshal(raw), false, nil
	case "b":
		switch raw {
		case "1":
			return "TRUE", false, nil
		case "0":
			return "FALSE", false, nil
		}
		return raw, false, nil
	case "d":
		if v, ok := isoToSerial(raw); ok {
			return s.styled(v, style, false)
		}
		return raw, false, nil
	}
	return s.styled(raw, style, true)
}

// styled renders a number cell's value by its style.
func (s *xlsxStream) styled(v string, style int, reformat bool) (string, bool, error) {
	num, isNum, orig := 0.0, false, v
	if reformat {
		v, num, isNum = canonicalNumber(v)
	} else {
		num, isNum = parseNum(v)
	}
	if style <= 0 || style >= len(s.book.styles) {
		return v, false, nil
	}
	st := s.book.styles[style]
	if isNum && st.class != fmtKeep && strings.IndexByte(v, 'E') >= 0 {
		// numbers of more than 15 digits: excelize's rendering of the
		// rewritten formats (rare)
		if s.fmt == nil {
			s.fmt = newXLSXFormatter(s.book.date1904)
		}
		alt := xlsxStyle{numID: 49}
		switch st.class {
		case fmtDate:
			alt = xlsxStyle{numID: 200, code: fmt.Sprintf(markCode, markDate)}
		case fmtDateTime:
			alt = xlsxStyle{numID: 201, code: fmt.Sprintf(markCode, markDateTime)}
		case fmtTime:
			alt = xlsxStyle{numID: 202, code: fmt.Sprintf(markCode, markTime)}
		}
		out, err := s.fmt.format(orig, alt)
		if err != nil {
			return v, false, nil
		}
		if len(out) > len(dateMark)+1 && out[len(out)-len(dateMark)-1:len(out)-1] == dateMark {
			out = serialToISO(out, s.book.date1904)
		}
		return out, false, nil
	}
	switch st.class {
	case fmtNumber:
		return v, false, nil
	case fmtDate, fmtDateTime, fmtTime:
		if !isNum {
			return v, false, nil
		}
		mark := byte(markDate)
		if st.class == fmtDateTime {
			mark = markDateTime
		} else if st.class == fmtTime {
			mark = markTime
		}
		if mark == markDate && num >= 1 && num < 2958466 && num == math.Trunc(num) {
			return serialDate(int(num), s.book.date1904), false, nil
		}
		return serialToISO(strconv.FormatFloat(num, 'f', 10, 64)+dateMark+string(rune(mark)), s.book.date1904), false, nil
	}
	if st.numID == 49 || (st.code == "" && st.numID != 46 && st.numID != 47) || v == "" {
		return v, false, nil
	}
	if s.fmt == nil {
		s.fmt = newXLSXFormatter(s.book.date1904)
	}
	out, err := s.fmt.format(orig, st)
	if err != nil {
		return v, false, nil
	}
	return out, false, nil
}

// fastCell returns the value of the common cells that need no decoding
// or formatting: integers in canonical form without a number format that
// changes them, and text without entities or escapes.
func (s *xlsxStream) fastCell(typ string, style int) ([]byte, bool) {
	v := s.val
	switch typ {
	case "", "n":
		class := fmtNumber
		if style > 0 && style < len(s.book.styles) {
			class = s.book.styles[style].class
		}
		switch class {
		case fmtNumber:
			if len(v) == 0 || canonicalDecimal(v) {
				return v, true
			}
		case fmtDate:
			// a whole day in range: the ISO date
			if n, ok := atoiBytes(v); ok && n >= 1 && n < 2958466 && (v[0] != '0') {
				s.scratch = append(s.scratch[:0], serialDate(n, s.book.date1904)...)
				return s.scratch, true
			}
		}
		return nil, false
	case "b":
		switch string(v) {
		case "1":
			return boolTrue, true
		case "0":
			return boolFalse, true
		}
		return nil, false
	case "str", "inlineStr":
		if bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, '\r') >= 0 || (typ == "inlineStr" && bytes.Contains(v, []byte("_x"))) {
			return nil, false
		}
		return v, true
	}
	return nil, false
}

var boolTrue, boolFalse = []byte("TRUE"), []byte("FALSE")

// canonicalDecimal reports whether v is a number excelize would print as
// is: an optional minus, an integer part without leading zeros, an optional
// fraction not ending in 0, at most 15 characters besides the point.
func canonicalDecimal(v []byte) bool {
	i := 0
	if len(v) > 0 && v[0] == '-' {
		i = 1
	}
	start := i
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	intLen := i - start
	if intLen == 0 || (intLen > 1 && v[start] == '0') {
		return false
	}
	digits := i
	if i < len(v) {
		if v[i] != '.' {
			return false
		}
		i++
		fs := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i != len(v) || i == fs || v[i-1] == '0' {
			return false
		}
		digits = len(v) - 1
	}
	return digits <= 15
}

// atoiBytes parses a shared string index.
func atoiBytes(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// cellTypeName returns the cell type attribute as a string that does not
// alias the tokenizer's buffer (the common ones without allocating).
func cellTypeName(t []byte) string {
	switch string(t) {
	case "s":
		return "s"
	case "n":
		return "n"
	case "b":
		return "b"
	case "str":
		return "str"
	case "inlineStr":
		return "inlineStr"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(t)
}

// serialDate formats a whole serial day as serialToISO does for a date
// format (YYYY-MM-DD), without formatting through text.
func serialDate(days int, date1904 bool) string {
	var t time.Time
	switch {
	case date1904:
		t = time.Date(1904, 1, 1+days, 0, 0, 0, 0, time.UTC)
	case days == 60:
		return "1900-02-29" // Excel's fictitious leap day
	case days < 60:
		t = time.Date(1899, 12, 31+days, 0, 0, 0, 0, time.UTC)
	default:
		t = time.Date(1899, 12, 30+days, 0, 0, 0, 0, time.UTC)
	}
	y, m, d := t.Date()
	var b [10]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4], b[5], b[6], b[7] = '-', byte('0'+int(m)/10), byte('0'+int(m)%10), '-'
	b[8], b[9] = byte('0'+d/10), byte('0'+d%10)
	return string(b[:])
}

// canonicalNumber applies excelize's rendering of a stored number: the
// shortest decimal, or 15 significant digits for longer ones.
func canonicalNumber(v string) (string, float64, bool) {
	if v == "" {
		return v, 0, false
	}
	plain := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9') && !(i == 0 && c == '-') {
			plain = false
			break
		}
	}
	if plain && len(v) <= 15 && v != "-" && (v[0] != '0' || len(v) == 1) && (v[0] != '-' || (len(v) > 1 && v[1] != '0')) {
		n, _ := strconv.ParseFloat(v, 64)
		return v, n, true // already canonical: an integer of 15 digits or less
	}
	f, ok := parseNum(v)
	if !ok {
		return v, 0, false
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if len(strings.ReplaceAll(s, ".", "")) > 15 {
		g := strconv.FormatFloat(f, 'G', 15, 64)
		f, _ = strconv.ParseFloat(g, 64)
		return g, f, true
	}
	return s, f, true
}

// parseNum parses a number as excelize's isNumeric does (big.Float syntax).
func parseNum(v string) (float64, bool) {
	if v == "" || strings.Contains(v, "_") {
		return 0, false
	}
	simple := true
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			simple = false
		}
	}
	if simple {
		if f, err := strconv.ParseFloat(v, 64); err == nil || isRangeErr(err) {
			return f, true
		}
		return 0, false
	}
	var d big.Float
	if _, ok := d.SetString(v); !ok {
		return 0, false
	}
	f, _ := d.Float64()
	return f, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isoToSerial converts an ISO 8601 date cell (t="d") to an Excel serial
// number, as excelize does.
func isoToSerial(v string) (string, bool) {
	layout := "20060102T150405.999"
	if strings.HasSuffix(v, "Z") {
		layout = "20060102T150405Z"
		if strings.Contains(v, "-") {
			layout = "2006-01-02T15:04:05Z"
		}
	} else if strings.Contains(v, "-") {
		layout = "2006-01-02 15:04:05Z"
	}
	ts, err := time.Parse(layout, strings.ReplaceAll(v, ",", "."))
	if err != nil {
		return v, false
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	serial := ts.Sub(epoch).Hours() / 24
	if ts.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) {
		serial--
	}
	return strconv.FormatFloat(serial, 'G', 15, 64), true
}

// xlsxFormatter renders values with number formats this reader does not
// handle itself (zero-padded codes, elapsed times) through excelize, on a
// one-cell scratch workbook. Such formats are rare; each cell costs a few
// microseconds.
type xlsxFormatter struct {
	f      *excelize.File
	styles map[string]int
}

func newXLSXFormatter(date1904 bool) *xlsxFormatter {
	f := excelize.NewFile()
	if date1904 {
		t := true
		f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &t})
	}
	return &xlsxFormatter{f: f, styles: map[string]int{}}
}

func (x *xlsxFormatter) format(v string, st xlsxStyle) (string, error) {
	key := strconv.Itoa(st.numID) + "\x00" + st.code
	id, ok := x.styles[key]
	if !ok {
		style := &excelize.Style{NumFmt: st.numID}
		if st.code != "" {
			code := st.code
			style = &excelize.Style{CustomNumFmt: &code}
		}
		var err error
		if id, err = x.f.NewStyle(style); err != nil {
			return v, err
		}
		x.styles[key] = id
	}
	if err := x.f.SetCellDefault("Sheet1", "A1", v); err != nil {
		return v, err
	}
	if err := x.f.SetCellStyle("Sheet1", "A1", "A1", id); err != nil {
		return v, err
	}
	return x.f.GetCellValue("Sheet1", "A1")
}

// columnNumber parses the column of a cell reference such as "C5".
func columnNumber(ref []byte) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		n = n*26 + int(c-'a'+1)
		if n > 1<<24 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	for ; i < len(ref); i++ {
		if ref[i] < '0' || ref[i] > '9' {
			return 0, false
		}
	}
	return n, true
}

// cellAttrs returns the r, t and s attributes of a <c> tag in one pass
// (nil when absent; the slices alias tag).
func cellAttrs(tag []byte) (r, t, s []byte) {
	i := 0
	for i < len(tag) && !isXMLSpace(tag[i]) {
		i++ // the element name
	}
	for i < len(tag) {
		for i < len(tag) && isXMLSpace(tag[i]) {
			i++
		}
		ns := i
		for i < len(tag) && tag[i] != '=' && !isXMLSpace(tag[i]) {
			i++
		}
		name := tag[ns:i]
		for i < len(tag) && (isXMLSpace(tag[i]) || tag[i] == '=') {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return // no more attributes (or a trailing '/')
		}
		q := tag[i]
		e := bytes.IndexByte(tag[i+1:], q)
		if e < 0 {
			return
		}
		val := tag[i+1 : i+1+e]
		i += e + 2
		if len(name) == 1 {
			switch name[0] {
			case 'r':
				r = val
			case 't':
				t = val
			case 's':
				s = val
			}
		}
	}
	return
}

// attrBytes returns the value of attribute name in a tag's text (the slice
// aliases tag).
func attrBytes(tag []byte, name string) ([]byte, bool) {
	for i := 0; i < len(tag); {
		j := bytes.Index(tag[i:], []byte(name))
		if j < 0 {
			return nil, false
		}
		at := i + j
		i = at + len(name)
		if at == 0 || !isXMLSpace(tag[at-1]) {
			continue
		}
		k := i
		for k < len(tag) && isXMLSpace(tag[k]) {
			k++
		}
		if k >= len(tag) || tag[k] != '=' {
			continue
		}
		k++
		for k < len(tag) && isXMLSpace(tag[k]) {
			k++
		}
		if k >= len(tag) || (tag[k] != '"' && tag[k] != '\'') {
			continue
		}
		q := tag[k]
		e := bytes.IndexByte(tag[k+1:], q)
		if e < 0 {
			return nil, false
		}
		return tag[k+1 : k+1+e], true
	}
	return nil, false
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// decodeXMLBytes decodes entities and line ends of raw XML text.
func decodeXMLBytes(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	return decodeXMLText(b)
}

func decodeXMLText(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '\r':
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		case '&':
			j := bytes.IndexByte(b[i:], ';')
			if j > 1 && j < 12 {
				ent := string(b[i+1 : i+j])
				if r, ok := xmlEntity(ent); ok {
					out = utf8.AppendRune(out, r)
					i += j
					continue
				}
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func xmlEntity(ent string) (rune, bool) {
	switch ent {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(ent) > 1 && ent[0] == '#' {
		var n uint64
		var err error
		if ent[1] == 'x' {
			n, err = strconv.ParseUint(ent[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(ent[1:], 10, 32)
		}
		if err == nil && n > 0 && n <= utf8.MaxRune && utf8.ValidRune(rune(n)) {
			return rune(n), true
		}
	}
	return 0, false
}

// bstrUnmarshal decodes the _xHHHH_ escapes of XML-illegal characters in
// workbook strings (_x005F_ is a literal underscore), as excelize does.
func bstrUnmarshal(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '_' && i+7 <= len(s) && s[i+1] == 'x' && s[i+6] == '_' && isHex4(s[i+2:i+6]) {
			if s[i+2:i+6] == "005F" {
				out.WriteByte('_')
			} else if r, err := strconv.Unquote(`"\u` + s[i+2:i+6] + `"`); err == nil {
				out.WriteString(r)
			}
			i += 7
			continue
		}
		out.WriteByte(s[i])
		i++
	}
	return out.String()
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
