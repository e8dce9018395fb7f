package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// A workbook is checked before excelize sees it, because excelize reads
// every part of the archive into memory at open (styles.xml, the workbook,
// calcChain.xml, media...) and its XML decoder holds a whole text run, a
// whole tag or a whole shared string in memory. guardXLSX:
//
//  1. keeps only the parts reading needs (content types, relationships, the
//     workbook, styles, shared strings, worksheets), found through the
//     relationships and at their default names; the others are never
//     unpacked;
//  2. checks each kept part's declared size and compression ratio, and
//     their total, against Limits (from the zip central directory);
//  3. unpacks each kept part once through a streaming scanner that counts
//     the bytes actually inflated and refuses long text runs or tags, deep
//     nesting, too many elements in parts parsed in memory, too many shared
//     strings, rows with more cells than MaxColumns and rows whose text
//     (shared strings resolved) exceeds the row limit;
//  4. writes the kept parts to a temporary archive (compressed data copied
//     as is) when anything was left out.
//
// The scan holds at most one text run or tag (bounded by maxText) and 4
// bytes per shared string.

// xlsxPartKind says how excelize uses a part.
type xlsxPartKind int

const (
	partSmall xlsxPartKind = iota // parsed in memory: content types, relationships, workbook, styles
	partSST                       // shared strings: streamed when large
	partSheet                     // worksheets: streamed when large
)

// guardXLSX checks the workbook at path and returns the path excelize should
// open: path itself, or a temporary file (remove it after opening) holding
// only the kept parts. deep=false skips unpacking the worksheets (enough
// to list sheets).
func guardXLSX(path string, lim Limits, maxField int, deep bool) (string, bool, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", false, errorf(ErrFormat, 0, "the file is not a readable XLSX workbook (%v); re-save it from Excel as .xlsx", err)
	}
	defer zr.Close()
	byName := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		byName[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))] = f
	}
	g := &xlsxGuard{lim: lim, maxText: 4 * int64(maxField), maxField: int64(maxField)}
	kinds, err := g.keptParts(byName)
	if err != nil {
		return "", false, err
	}
	var total int64
	var kept []*zip.File
	for _, f := range zr.File {
		kind, ok := kinds[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))]
		if !ok || f.FileInfo().IsDir() {
			continue
		}
		if err := g.checkSize(f, kind); err != nil {
			return "", false, err
		}
		total += int64(f.UncompressedSize64)
		if total > lim.MaxXLSXBytes {
			return "", false, errorf(ErrTooLarge, 0, "the workbook unpacks to more than the limit of %s", humanBytes(lim.MaxXLSXBytes))
		}
		kept = append(kept, f)
	}
	// shared strings first: rows are measured with them resolved
	for _, want := range []xlsxPartKind{partSmall, partSST, partSheet} {
		for _, f := range kept {
			if kinds[strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))] != want || (want == partSheet && !deep) {
				continue
			}
			if err := g.scan(f, want); err != nil {
				return "", false, err
			}
		}
	}
	if len(kept) == len(zr.File) {
		return path, false, nil
	}
	tmp, err := writeKept(kept)
	if err != nil {
		return "", false, err
	}
	return tmp, true, nil
}

type xlsxGuard struct {
	lim      Limits
	maxText  int64 // longest text run or tag
	maxField int64 // longest row text
	sstSize  []uint32
}

// keptParts names the parts reading needs (lower-case names).
func (g *xlsxGuard) keptParts(byName map[string]*zip.File) (map[string]xlsxPartKind, error) {
	kinds := map[string]xlsxPartKind{
		"[content_types].xml":        partSmall,
		"_rels/.rels":                partSmall,
		"xl/workbook.xml":            partSmall,
		"xl/_rels/workbook.xml.rels": partSmall,
		"xl/styles.xml":              partSmall,
		"xl/sharedstrings.xml":       partSST,
	}
	for name := range byName {
		if strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml") && !strings.Contains(name[len("xl/worksheets/"):], "/") {
			kinds[name] = partSheet
		}
	}
	rels, err := g.readRels(byName, "_rels/.rels")
	if err != nil {
		return nil, err
	}
	workbook := "xl/workbook.xml"
	for _, r := range rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			workbook = resolvePart("", r.Target)
			kinds[workbook] = partSmall
		}
	}
	dir, base := path.Split(workbook)
	wbRels := dir + "_rels/" + base + ".rels"
	kinds[wbRels] = partSmall
	rels, err = g.readRels(byName, wbRels)
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		if r.TargetMode == "External" {
			continue
		}
		t := r.Type[strings.LastIndexByte(r.Type, '/')+1:]
		switch t {
		case "worksheet", "chartsheet", "dialogsheet", "xlMacrosheet":
			kinds[resolvePart(dir, r.Target)] = partSheet
		case "styles":
			kinds[resolvePart(dir, r.Target)] = partSmall
		case "sharedStrings":
			kinds[resolvePart(dir, r.Target)] = partSST
		}
	}
	return kinds, nil
}

type xlsxRel struct {
	ID         string `xml:"Id,attr"`
	Type       string `xml:"Type,attr"`
	Target     string `xml:"Target,attr"`
	TargetMode string `xml:"TargetMode,attr"`
}

// readRels checks and parses a relationships part (none when absent).
func (g *xlsxGuard) readRels(byName map[string]*zip.File, name string) ([]xlsxRel, error) {
	f, ok := byName[name]
	if !ok {
		return nil, nil
	}
	if err := g.checkSize(f, partSmall); err != nil {
		return nil, err
	}
	if err := g.scan(f, partSmall); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errorf(ErrFormat, 0, "cannot read %s in the workbook: %v", f.Name, err)
	}
	defer rc.Close()
	var doc struct {
		Rels []xlsxRel `xml:"Relationship"`
	}
	if err := xml.NewDecoder(rc).Decode(&doc); err != nil {
		return nil, nil // excelize reports a broken workbook its own way
	}
	return doc.Rels, nil
}

// resolvePart turns a relationship target into a lower-case part name.
func resolvePart(dir, target string) string {
	target = strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(target, "/") {
		return strings.ToLower(path.Clean(target[1:]))
	}
	return strings.ToLower(path.Clean(dir + target))
}

// checkSize applies the declared size and ratio limits to one part.
func (g *xlsxGuard) checkSize(f *zip.File, kind xlsxPartKind) error {
	size := int64(f.UncompressedSize64)
	if size < 0 {
		size = 1 << 62
	}
	limit, what := g.lim.MaxXLSXPartBytes, "per part"
	if kind != partSmall {
		limit, what = g.lim.MaxXLSXSheetBytes, "per worksheet"
	}
	if size > limit {
		return errorf(ErrTooLarge, 0, "the workbook part %s unpacks to %s, more than the limit of %s %s", f.Name, approxBytes(size), humanBytes(limit), what)
	}
	if size > xlsxRatioMinBytes && size/max(int64(f.CompressedSize64), 1) > g.lim.MaxXLSXRatio {
		return errorf(ErrTooLarge, 0, "the workbook part %s unpacks to %s from %s, more than the limit of %d times its compressed size",
			f.Name, approxBytes(size), approxBytes(int64(f.CompressedSize64)), g.lim.MaxXLSXRatio)
	}
	return nil
}

// errXMLLimit carries a limit error out of the scanner.
type errXMLLimit struct{ e *Error }

func (e errXMLLimit) Error() string { return e.e.Error() }

// scan unpacks one part through the streaming checks. It inflates the
// compressed data itself to count the bytes actually produced: a part that
// inflates beyond its declared size is refused as a bomb.
func (g *xlsxGuard) scan(f *zip.File, kind xlsxPartKind) error {
	var in io.Reader
	switch f.Method {
	case zip.Store, zip.Deflate:
		raw, err := f.OpenRaw()
		if err != nil {
			return errorf(ErrFormat, 0, "cannot read %s in the workbook: %v", f.Name, err)
		}
		in = raw
		if f.Method == zip.Deflate {
			fr := flate.NewReader(raw)
			defer fr.Close()
			in = fr
		}
	default:
		rc, err := f.Open()
		if err != nil {
			return errorf(ErrFormat, 0, "cannot read %s in the workbook: %v", f.Name, err)
		}
		defer rc.Close()
		in = rc
	}
	declared := int64(f.UncompressedSize64) // checkSize: at most the part's limit
	lr := &io.LimitedReader{R: in, N: declared + 1}
	s := &xmlScan{g: g, kind: kind, part: f.Name}
	err := s.run(bufio.NewReaderSize(lr, 64<<10))
	if lr.N <= 0 {
		return errorf(ErrTooLarge, 0, "the workbook part %s unpacks to more than its declared size of %s (a zip bomb)", f.Name, approxBytes(declared))
	}
	var le errXMLLimit
	switch {
	case errors.As(err, &le):
		return le.e
	case err != nil:
		return errorf(ErrFormat, 0, "the file is not a readable XLSX workbook (%s: %v); re-save it from Excel as .xlsx", f.Name, err)
	}
	if kind == partSST {
		g.sstSize = s.sst
	}
	return nil
}

// approxBytes formats a size for a message: exact units when round, else
// one decimal.
func approxBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) != 0:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) != 0:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return humanBytes(n)
}

// xmlScan is a streaming XML tokenizer that only measures.
type xmlScan struct {
	g    *xlsxGuard
	kind xlsxPartKind
	part string

	tag      []byte // the tag being read (without < >)
	depth    int
	elements int

	// shared strings
	sst    []uint32
	inSI   bool
	siSize int64

	// worksheets
	row      int // current row number
	cells    int
	rowBytes int64
	inV      bool // inside <v> or <t>
	shared   bool // the current cell is a shared string
	vText    []byte
}

func (s *xmlScan) limitErr(kind ErrKind, row int, format string, args ...any) error {
	return errXMLLimit{errorf(kind, row, format, args...)}
}

func (s *xmlScan) run(br *bufio.Reader) error {
	for {
		// text up to '<'
		var run int64
		for {
			chunk, err := br.ReadSlice('<')
			n := int64(len(chunk))
			if err == nil {
				n-- // the '<'
			}
			run += n
			if run > s.g.maxText {
				return s.limitErr(ErrLineTooLong, s.row, "the workbook part %s has a text run longer than the limit of %s", s.part, humanBytes(s.g.maxText))
			}
			if s.inV && s.shared && len(s.vText) < 16 {
				s.vText = append(s.vText, chunk[:min(int(n), 16)]...)
			}
			if err == nil {
				break
			}
			if err == io.EOF {
				if s.depth > 0 {
					return io.ErrUnexpectedEOF
				}
				return nil
			}
			if err != bufio.ErrBufferFull {
				return err
			}
		}
		if err := s.text(run); err != nil {
			return err
		}
		if err := s.markup(br); err != nil {
			return err
		}
	}
}

// markup reads what follows a '<': a tag, a comment, CDATA or a processing
// instruction.
func (s *xmlScan) markup(br *bufio.Reader) error {
	if p, _ := br.Peek(8); bytes.HasPrefix(p, []byte("![CDATA[")) {
		n, err := s.skipUntil(br, "]]>")
		if err != nil {
			return err
		}
		return s.text(n)
	} else if bytes.HasPrefix(p, []byte("!--")) {
		_, err := s.skipUntil(br, "-->")
		return err
	} else if bytes.HasPrefix(p, []byte("?")) {
		_, err := s.skipUntil(br, "?>")
		return err
	} else if bytes.HasPrefix(p, []byte("!")) {
		return s.limitErr(ErrFormat, 0, "the workbook part %s has a DOCTYPE declaration, which XLSX files never have", s.part)
	}
	s.tag = s.tag[:0]
	var quote byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return s.element()
		}
		if int64(len(s.tag)) >= s.g.maxText {
			return s.limitErr(ErrLineTooLong, s.row, "the workbook part %s has a tag longer than the limit of %s", s.part, humanBytes(s.g.maxText))
		}
		s.tag = append(s.tag, c)
	}
}

// skipUntil consumes input through end and returns the bytes before it.
func (s *xmlScan) skipUntil(br *bufio.Reader, end string) (int64, error) {
	var n int64
	matched := 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return n, io.ErrUnexpectedEOF
		}
		n++
		if n > s.g.maxText {
			return n, s.limitErr(ErrLineTooLong, s.row, "the workbook part %s has a text run longer than the limit of %s", s.part, humanBytes(s.g.maxText))
		}
		switch {
		case c == end[matched]:
			matched++
			if matched == len(end) {
				return n - int64(len(end)), nil
			}
		case c == end[0]:
			matched = 1
		default:
			matched = 0
		}
	}
}

// text accounts for a text run inside the current element.
func (s *xmlScan) text(n int64) error {
	if n == 0 {
		return nil
	}
	if s.inSI {
		s.siSize += n
	}
	if s.kind == partSheet && s.inV && !s.shared {
		s.rowBytes += n
		return s.checkRow()
	}
	return nil
}

func (s *xmlScan) checkRow() error {
	if s.rowBytes > s.g.maxField {
		return s.limitErr(ErrLineTooLong, s.row, "the row is longer than the limit of %s", humanBytes(s.g.maxField))
	}
	return nil
}

// element handles one tag (in s.tag).
func (s *xmlScan) element() error {
	t := s.tag
	closing := len(t) > 0 && t[0] == '/'
	selfClosing := len(t) > 0 && t[len(t)-1] == '/'
	if closing {
		t = t[1:]
	}
	end := bytes.IndexAny(t, " \t\r\n/")
	if end < 0 {
		end = len(t)
	}
	name := t[:end]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if closing {
		s.depth--
		return s.end(name)
	}
	s.elements++
	if s.kind == partSmall && s.elements > s.g.lim.MaxXLSXElements {
		return s.limitErr(ErrTooLarge, 0, "the workbook part %s has more than %d XML elements, the limit", s.part, s.g.lim.MaxXLSXElements)
	}
	if !selfClosing {
		s.depth++
		if s.depth > xlsxMaxDepth {
			return s.limitErr(ErrFormat, 0, "the workbook part %s nests XML more than %d levels deep, the limit", s.part, xlsxMaxDepth)
		}
	}
	switch s.kind {
	case partSST:
		if string(name) == "si" {
			if len(s.sst) >= s.g.lim.MaxXLSXSharedStrings {
				return s.limitErr(ErrTooLarge, 0, "the workbook has more than %d shared strings, the limit", s.g.lim.MaxXLSXSharedStrings)
			}
			s.inSI, s.siSize = !selfClosing, 0
			if selfClosing {
				s.sst = append(s.sst, 0)
			}
		}
	case partSheet:
		switch string(name) {
		case "row":
			s.row++
			if r, ok := attr(t, "r"); ok {
				if n, err := strconv.Atoi(r); err == nil && n > 0 {
					s.row = n
				}
			}
			s.cells, s.rowBytes = 0, 0
		case "c":
			s.cells++
			if s.cells > s.g.lim.MaxColumns {
				return s.limitErr(ErrTooManyColumns, s.row, "the row has more than %d cells, above the limit of %d columns (Excel's maximum)", s.g.lim.MaxColumns, s.g.lim.MaxColumns)
			}
			typ, _ := attr(t, "t")
			s.shared = typ == "s"
		case "v", "t":
			s.inV, s.vText = !selfClosing, s.vText[:0]
		}
	}
	return nil
}

// end handles a closing tag.
func (s *xmlScan) end(name []byte) error {
	switch {
	case s.kind == partSST && string(name) == "si":
		s.inSI = false
		s.sst = append(s.sst, uint32(min(s.siSize, 1<<32-1)))
	case s.kind == partSheet && (string(name) == "v" || string(name) == "t"):
		if s.inV && s.shared {
			idx, err := strconv.Atoi(strings.TrimSpace(string(s.vText)))
			if err == nil && idx >= 0 && idx < len(s.g.sstSize) {
				s.rowBytes += int64(s.g.sstSize[idx])
				if err := s.checkRow(); err != nil {
					return err
				}
			}
		}
		s.inV = false
	case s.kind == partSheet && string(name) == "c":
		s.shared = false
	}
	return nil
}

// attr returns the value of attribute name in a tag's text.
func attr(tag []byte, name string) (string, bool) {
	for i := 0; i < len(tag); {
		j := bytes.Index(tag[i:], []byte(name+"="))
		if j < 0 {
			return "", false
		}
		at := i + j
		i = at + len(name) + 1
		if at > 0 && tag[at-1] != ' ' && tag[at-1] != '\t' && tag[at-1] != '\n' && tag[at-1] != '\r' {
			continue
		}
		if i >= len(tag) {
			return "", false
		}
		q := tag[i]
		if q != '"' && q != '\'' {
			continue
		}
		k := bytes.IndexByte(tag[i+1:], q)
		if k < 0 {
			return "", false
		}
		return string(tag[i+1 : i+1+k]), true
	}
	return "", false
}

// writeKept copies the kept parts (compressed data as is) to a temporary archive.
func writeKept(kept []*zip.File) (string, error) {
	tmp, err := os.CreateTemp("", "fusebox-xlsx-*.xlsx")
	if err != nil {
		return "", fmt.Errorf("ingest: xlsx: %w", err)
	}
	zw := zip.NewWriter(tmp)
	for _, f := range kept {
		if err = zw.Copy(f); err != nil {
			break
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("ingest: xlsx: copy parts: %w", err)
	}
	return tmp.Name(), nil
}
