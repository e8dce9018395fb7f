// Package ingest turns an uploaded file (CSV, TSV, pasted text, XLSX or a JSON
// array) into a stream of raw rows of strings. It is pure: it knows nothing of
// importers, the database or HTTP, and it never holds a whole file in memory.
//
// Typical use:
//
//	rd, err := ingest.OpenFile(path, "upload.csv", ingest.Options{MaxBytes: 100 << 20})
//	if err != nil { ... }            // *ingest.Error for bad input (empty, binary, too large, ...)
//	defer rd.Close()
//	for {
//		row, err := rd.Next()        // raw row; the slice is reused by the next call
//		if err == io.EOF { break }
//		if err != nil { ... }        // *ingest.Error naming the row
//		...
//	}
//
// Rows are returned exactly as they are in the file, title and header rows
// included; DetectHeaderRow suggests which of the first rows is the header and
// CheckHeader validates the chosen one. Rows whose field count differs from the
// header are returned as they are and recorded as RowIssues (see Reader.Issues).
package ingest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// Options control format detection and limits. The zero value detects
// everything and applies the default field limit.
type Options struct {
	// Format forces the input format: "csv", "tsv", "xlsx" or "json".
	// "" detects it from the file name and the first bytes.
	Format string
	// Delimiter forces the CSV field separator; 0 detects it among , ; TAB and |.
	Delimiter rune
	// Encoding forces the text encoding: "utf-8", "utf-16le", "utf-16be",
	// "windows-1252" or "iso-8859-1" (a few common aliases such as "latin1" and
	// "cp1252" are accepted). "" detects it: a BOM wins, then UTF-16 without BOM,
	// then UTF-8 if the first 64 KiB are valid UTF-8, else Windows-1252.
	Encoding string
	// Sheet chooses the XLSX worksheet by name; "" takes the first visible sheet.
	Sheet string
	// MaxBytes limits the input size; 0 means no limit. Larger input fails with
	// an *Error of Kind ErrTooLarge (at open when the size is known, otherwise
	// from Next as soon as the limit is crossed).
	MaxBytes int64
	// MaxFieldBytes limits the length of one row's text (and so of any field or
	// line in it); 0 means DefaultMaxFieldBytes. A longer row fails with an
	// *Error of Kind ErrLineTooLong naming the row. This also bounds the memory
	// an unclosed quote can make the CSV parser buffer.
	MaxFieldBytes int
	// Limits bound columns, XLSX parts and JSON structure; the zero value
	// applies the defaults (see Limits).
	Limits Limits
}

// DefaultMaxFieldBytes is the row length limit used when Options.MaxFieldBytes is 0.
const DefaultMaxFieldBytes = 1 << 20

// MaxIssues is the number of RowIssues a Reader keeps; IssueCount keeps counting beyond it.
const MaxIssues = 1000

// sampleSize is how many leading bytes are inspected to detect format,
// encoding and delimiter.
const sampleSize = 64 << 10

// Detected reports what Open found (or was told). Delimiter is the separator as
// a string ("," ";" "\t" "|") for CSV/TSV and "" otherwise.
type Detected struct {
	Format    string   `json:"format"`              // "csv", "tsv", "xlsx" or "json"
	Encoding  string   `json:"encoding,omitempty"`  // canonical name, e.g. "utf-8", "windows-1252"; "" for xlsx
	Delimiter string   `json:"delimiter,omitempty"` // CSV/TSV only
	BOM       bool     `json:"bom"`                 // a byte order mark was found (and stripped)
	Sheets    []string `json:"sheets,omitempty"`    // xlsx: visible sheets in workbook order
	Sheet     string   `json:"sheet,omitempty"`     // xlsx: the sheet being read
}

// RowIssue records a problem with one row that did not stop reading: a ragged
// row (Kind ErrRagged, Fields != Want), bytes that were not valid in the
// detected encoding and were decoded as Windows-1252 (Kind ErrEncoding, Column
// set), or a JSON key that could not be placed (Kind ErrFormat).
type RowIssue struct {
	Row    int     `json:"row"`              // 1-based physical row number (as Reader.Row)
	Kind   ErrKind `json:"kind"`             //
	Column int     `json:"column,omitempty"` // 1-based, when one column is concerned
	Fields int     `json:"fields,omitempty"` // ErrRagged: fields in the row
	Want   int     `json:"want,omitempty"`   // ErrRagged: expected fields (the header width)
	Msg    string  `json:"msg"`
}

// source is one format's row producer.
type source interface {
	// next returns the next row (it may reuse the slice) or an error; io.EOF at the end.
	next() ([]string, error)
	// line is the position of the last row in the input (see Reader.Line).
	line() int
	close() error
}

// Reader streams rows from one input. It is not safe for concurrent use,
// except BytesRead, which may be called from another goroutine (for progress)
// while Next runs.
type Reader struct {
	det       Detected
	src       source
	counter   *countReader
	closers   []io.Closer
	err       error // sticky error from Next
	row       int
	sizeKnown int64 // xlsx: whole file consumed at open
	maxCols   int   // Limits.MaxColumns

	// raggedness bookkeeping
	early      [][]string // copies of the first rows, until the header is decided
	decided    bool       // width and headerRow are known
	width      int        // expected field count (the header's)
	widthSet   bool       // width was given by SetHeader
	headerRow  int        // rows <= headerRow are not checked
	earlyWidth []int32    // field counts of the first earlyRows rows (-1: blank row)
	shortOK    bool       // xlsx: rows omit empty trailing cells, shorter is not ragged

	issues     []RowIssue
	issueCount int
}

// earlyRows is how many leading row widths a Reader remembers so that SetHeader
// can re-evaluate raggedness for rows already returned.
const earlyRows = 100

// Open reads CSV, TSV, pasted text or a JSON array from r. name is the original
// file name, used only for format detection ("" for pasted text). XLSX needs
// random access: Open returns an *Error of Kind ErrFormat for it; use OpenFile.
// Open reads the first 64 KiB to detect the format; problems visible there
// (empty input, binary content, bad options) are returned at once.
func Open(r io.Reader, name string, opts Options) (*Reader, error) {
	rd, err := open(r, name, opts, false)
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// OpenFile opens the file at path and reads it like Open, with XLSX support.
// name is the original (uploaded) file name used for detection; "" uses path.
// The Reader owns the file: call Close.
func OpenFile(path, name string, opts Options) (*Reader, error) {
	if name == "" {
		name = filepath.Base(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest: stat %s: %w", path, err)
	}
	if opts.MaxBytes > 0 && st.Size() > opts.MaxBytes {
		f.Close()
		return nil, tooLargeError(opts.MaxBytes)
	}
	if st.Size() == 0 {
		f.Close()
		return nil, emptyError()
	}
	format, err := normFormat(opts.Format)
	if err != nil {
		f.Close()
		return nil, err
	}
	var head [8]byte
	n, _ := io.ReadFull(f, head[:])
	isZip := n >= 4 && string(head[:4]) == "PK\x03\x04"
	ext := strings.ToLower(filepath.Ext(name))
	wantXLSX := format == "xlsx" || (format == "" && (ext == ".xlsx" || ext == ".xlsm"))
	if isZip && (wantXLSX || (format == "" && !isTextExt(ext) && ext != ".json")) {
		f.Close()
		return openXLSX(path, st.Size(), opts)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest: seek %s: %w", path, err)
	}
	rd, err := open(f, name, opts, true)
	if err != nil {
		f.Close()
		return nil, err
	}
	rd.closers = append(rd.closers, f)
	return rd, nil
}

// Detected reports the detected (or forced) format, encoding and delimiter.
func (r *Reader) Detected() Detected { return r.det }

// Next returns the next raw row, header and title rows included, nothing
// skipped except blank lines in CSV text. At the end it returns io.EOF. If the
// input holds no row at all, the first call returns an *Error of Kind ErrEmpty
// instead; a file with only a header row returns that row and then io.EOF (the
// caller, who knows which row is the header, reports HeaderOnlyError).
// Errors are sticky: after one, Next keeps returning it.
//
// The returned slice and its backing array may be reused by the next call:
// copy it (slices.Clone) to keep it. The strings themselves are immutable and
// may be kept.
//
// A row may have more or fewer fields than the header. It is returned as it
// is, never dropped or padded, and recorded as a RowIssue of Kind ErrRagged
// (see Issues and SetHeader); rows whose fields are all empty are not
// reported. XLSX rows omit empty trailing cells, so an XLSX row shorter than
// the header is normal and not reported; only longer ones are.
func (r *Reader) Next() ([]string, error) {
	if r.err != nil {
		return nil, r.err
	}
	row, err := r.src.next()
	if err == nil && r.maxCols > 0 && len(row) > r.maxCols {
		err = tooManyColumnsError(r.row+1, len(row), r.maxCols)
	}
	if err != nil {
		if err == io.EOF {
			if r.row == 0 {
				err = emptyError()
			} else if !r.decided {
				r.decide()
			}
		}
		r.err = err
		return nil, err
	}
	r.row++
	isBlank := blank(row)
	if r.row <= earlyRows {
		w := int32(len(row))
		if isBlank {
			w = -1
		}
		r.earlyWidth = append(r.earlyWidth, w)
	}
	if !r.decided {
		r.early = append(r.early, slices.Clone(row))
		if len(r.early) == headerScanRows {
			r.decide()
		}
	} else if !isBlank {
		r.check(r.row, len(row))
	}
	return row, nil
}

// decide fixes the expected width from the first rows (unless SetHeader did)
// and checks those rows.
func (r *Reader) decide() {
	r.decided = true
	if !r.widthSet && len(r.early) > 0 {
		h := DetectHeaderRow(r.early)
		r.headerRow, r.width = h+1, len(r.early[h])
	}
	for i, row := range r.early {
		if !blank(row) {
			r.check(i+1, len(row))
		}
	}
	r.early = nil
}

func (r *Reader) check(row, n int) {
	if row <= r.headerRow || n == r.width || (r.shortOK && n < r.width) {
		return
	}
	r.addIssue(raggedIssue(row, n, r.width))
}

// Row returns the 1-based physical row number of the last row Next returned:
// the record count for CSV/TSV (blank lines are not records), the worksheet row
// number for XLSX (empty rows included), and for JSON 1 for the synthesized
// header row and N+1 for the N-th element of the array.
func (r *Reader) Row() int { return r.row }

// Line returns where the last row starts in the input: the 1-based text line
// for CSV/TSV (differs from Row when fields contain newlines or blank lines
// were skipped), the worksheet row for XLSX, and Row for JSON.
func (r *Reader) Line() int { return r.src.line() }

// BytesRead returns how many input bytes have been consumed so far, for
// progress. For XLSX the whole file is read at open, so it is the file size.
// It is safe to call concurrently with Next.
func (r *Reader) BytesRead() int64 {
	if r.sizeKnown > 0 {
		return r.sizeKnown
	}
	if r.counter == nil {
		return 0
	}
	return r.counter.n.Load()
}

// SetHeader tells the reader which row is the header (1-based physical row,
// as Row) and how many fields it has. Rows after it whose field count differs
// are recorded as ErrRagged issues; rows up to it are not checked.
//
// Without SetHeader the reader assumes the header is the row DetectHeaderRow
// picks among the first 20 rows and checks against its width; issues for
// those first rows are recorded once the 20th row (or the end) is read. When
// SetHeader is called later, ragged issues for the first 100 rows are
// re-evaluated, so call it before reading beyond row 100.
func (r *Reader) SetHeader(row, width int) {
	r.headerRow, r.width, r.widthSet = row, width, true
	if !r.decided {
		return
	}
	kept := r.issues[:0]
	for _, is := range r.issues {
		if is.Kind == ErrRagged && is.Row <= len(r.earlyWidth) {
			r.issueCount--
			continue
		}
		kept = append(kept, is)
	}
	r.issues = kept
	var redo []RowIssue
	for i, w := range r.earlyWidth {
		if n := int(w); n >= 0 && i+1 > row && n != width && !(r.shortOK && n < width) {
			redo = append(redo, raggedIssue(i+1, n, width))
		}
	}
	if len(redo) > 0 {
		r.issueCount += len(redo)
		all := append(redo, r.issues...)
		if len(all) > MaxIssues {
			all = all[:MaxIssues]
		}
		r.issues = all
	}
}

// Issues returns the non-fatal row problems recorded so far, in row order, at
// most MaxIssues of them. The slice must not be modified.
func (r *Reader) Issues() []RowIssue { return r.issues }

// IssueCount returns the total number of row problems, including those beyond MaxIssues.
func (r *Reader) IssueCount() int { return r.issueCount }

// Close releases the file and temporary files. It is safe to call twice.
func (r *Reader) Close() error {
	var errs []error
	if r.src != nil {
		errs = append(errs, r.src.close())
	}
	for _, c := range r.closers {
		errs = append(errs, c.Close())
	}
	r.src, r.closers = nil, nil
	if r.err == nil {
		r.err = errors.New("ingest: reader is closed")
	}
	return errors.Join(errs...)
}

func raggedIssue(row, n, want int) RowIssue {
	var msg string
	if n < want {
		msg = fmt.Sprintf("row has %d fields, expected %d (missing values are empty)", n, want)
	} else {
		msg = fmt.Sprintf("row has %d fields, expected %d (extra values beyond the header)", n, want)
	}
	return RowIssue{Row: row, Kind: ErrRagged, Fields: n, Want: want, Msg: msg}
}

func (r *Reader) addIssue(is RowIssue) {
	r.issueCount++
	if len(r.issues) < MaxIssues {
		r.issues = append(r.issues, is)
	}
}

// blank reports whether every field is empty.
func blank(row []string) bool {
	for _, f := range row {
		if f != "" {
			return false
		}
	}
	return true
}

// countReader counts bytes and enforces the size limit.
type countReader struct {
	r   io.Reader
	n   atomic.Int64
	max int64
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.max > 0 {
		remain := c.max - c.n.Load() + 1 // read one byte past the limit to notice it
		if remain <= 0 {
			return 0, tooLargeError(c.max)
		}
		if int64(len(p)) > remain {
			p = p[:remain]
		}
	}
	n, err := c.r.Read(p)
	total := c.n.Add(int64(n))
	if c.max > 0 && total > c.max {
		return n, tooLargeError(c.max)
	}
	return n, err
}

func tooLargeError(max int64) *Error {
	return errorf(ErrTooLarge, 0, "the file is larger than the limit of %s", humanBytes(max))
}

func emptyError() *Error {
	return errorf(ErrEmpty, 0, "the file is empty: it contains no rows")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func normFormat(f string) (string, error) {
	switch s := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), ".")); s {
	case "", "csv", "tsv", "xlsx", "json":
		return s, nil
	case "txt", "text":
		return "csv", nil
	case "tab":
		return "tsv", nil
	case "xlsm":
		return "xlsx", nil
	default:
		return "", errorf(ErrFormat, 0, "unsupported format %q: choose csv, tsv, xlsx or json", f)
	}
}

func isTextExt(ext string) bool {
	switch ext {
	case ".csv", ".tsv", ".tab", ".txt", ".text", ".dat":
		return true
	}
	return false
}

// open is the common path for text formats.
func open(in io.Reader, name string, opts Options, fromFile bool) (*Reader, error) {
	format, err := normFormat(opts.Format)
	if err != nil {
		return nil, err
	}
	ext := strings.ToLower(filepath.Ext(name))
	if format == "" {
		switch ext {
		case ".xlsx", ".xlsm":
			format = "xlsx"
		case ".json":
			format = "json"
		case ".tsv", ".tab":
			format = "tsv"
		case ".csv":
			format = "csv"
		}
	}
	maxField := opts.MaxFieldBytes
	if maxField <= 0 {
		maxField = DefaultMaxFieldBytes
	}
	counter := &countReader{r: in, max: opts.MaxBytes}
	br := bufio.NewReaderSize(counter, sampleSize)
	sample, perr := br.Peek(sampleSize)
	if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
		var ie *Error
		if errors.As(perr, &ie) {
			return nil, ie
		}
		return nil, fmt.Errorf("ingest: read %s: %w", displayName(name), perr)
	}
	atEOF := perr == io.EOF
	if len(sample) == 0 {
		return nil, emptyError()
	}
	if err := checkMagic(sample, format, ext, fromFile); err != nil {
		return nil, err
	}
	if format == "xlsx" {
		if fromFile {
			return nil, errorf(ErrFormat, 0, "%s is named like an XLSX file but is not one (%s); choose the CSV type or rename the file", displayName(name), describeText(sample))
		}
		return nil, errorf(ErrFormat, 0, "XLSX needs random access: save the upload to a file and use OpenFile")
	}
	enc, err := detectEncoding(sample, opts.Encoding, atEOF)
	if err != nil {
		return nil, err
	}
	if enc.bomLen > 0 {
		if _, err := br.Discard(enc.bomLen); err != nil {
			return nil, fmt.Errorf("ingest: read %s: %w", displayName(name), err)
		}
		sample = sample[enc.bomLen:]
	}
	text := enc.decodeSample(sample, atEOF)
	if atEOF && strings.TrimSpace(text) == "" {
		return nil, errorf(ErrEmpty, 0, "the file is empty: it contains only whitespace")
	}
	if format == "" && looksLikeJSONArray(text) {
		format = "json"
	}
	lim := opts.Limits.withDefaults()
	rd := &Reader{counter: counter, maxCols: lim.MaxColumns}
	rd.det = Detected{Encoding: enc.name, BOM: enc.bomLen > 0}
	src := enc.reader(br)
	if format == "json" {
		rd.det.Format = "json"
		rd.src = newJSONSource(rd, src, enc, maxField, lim)
		return rd, nil
	}
	var delim rune
	switch {
	case opts.Delimiter != 0:
		delim = opts.Delimiter
		if !validDelim(delim) {
			return nil, errorf(ErrFormat, 0, "invalid delimiter %q: use a single character other than a quote, CR or LF", delim)
		}
	case format == "tsv":
		delim = '\t'
	default:
		delim = detectDelimiter(text, !atEOF)
	}
	rd.det.Delimiter = string(delim)
	rd.det.Format = "csv"
	if delim == '\t' {
		rd.det.Format = "tsv"
	}
	crOnly := strings.IndexByte(text, '\n') < 0 && strings.IndexByte(text, '\r') >= 0
	rd.src = newCSVSource(rd, src, delim, enc.name == "utf-8", crOnly, maxField, lim.MaxColumns)
	return rd, nil
}

func displayName(name string) string {
	if name == "" {
		return "the pasted text"
	}
	return filepath.Base(name)
}
