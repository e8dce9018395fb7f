package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// csvBufSize is the read buffer in front of encoding/csv.
const csvBufSize = 64 << 10

// errRowTooLong is returned by rowGuard; csvSource turns it into an *Error.
var errRowTooLong = errors.New("row too long")

// rowGuard sits under the CSV parser's buffer. It fails a read once the
// current record has grown past its limit, so that an unclosed quote cannot
// make encoding/csv buffer the rest of the file; and, for input passed through
// as UTF-8, it validates every chunk so that fields only need checking near
// chunks that held invalid bytes (badEnd).
type rowGuard struct {
	r         io.Reader
	delivered int64
	start     int64 // input offset where the current record starts
	limit     int64 // record limit plus read-ahead slack

	checkUTF bool
	badEnd   int64 // end offset of the last chunk with invalid UTF-8
	tail     [utf8.UTFMax]byte
	tailN    int // bytes of an incomplete rune at the end of the last chunk

	cols *colCounter // nil: fields are not counted ahead of the parser
}

// errTooManyColumns is returned by rowGuard when colCounter finds a record
// with more fields than the limit; csvSource turns it into an *Error.
var errTooManyColumns = errors.New("too many columns")

// colCounter counts the fields of each record in the raw bytes, following
// encoding/csv's rules (a field is quoted when it starts with a quote; "" is
// a quote inside it; lazy quotes elsewhere are text), so that a row of a
// million delimiters is refused before the parser builds a million fields.
type colCounter struct {
	delim   byte
	max     int
	fields  int  // fields of the current record so far
	empty   bool // the current line has no byte yet (blank lines are not records)
	state   uint8
	records int // records completed
	bad     int // the record (1-based) over the limit, once found
}

const (
	ccFieldStart uint8 = iota
	ccUnquoted
	ccQuoted
	ccQuoteInQuoted
)

func newColCounter(delim rune, max int) *colCounter {
	if delim >= utf8.RuneSelf || max <= 0 {
		return nil
	}
	return &colCounter{delim: byte(delim), max: max, fields: 1, empty: true}
}

// feed counts b; it reports false once a record exceeds the limit. Runs
// without quotes are counted with the vectorized bytes functions; the
// state machine (feedBytes) only sees the quotes themselves.
func (c *colCounter) feed(b []byte) bool {
	for len(b) > 0 {
		switch c.state {
		case ccQuoted: // everything up to the next quote is field text
			i := bytes.IndexByte(b, '"')
			if i < 0 {
				return true
			}
			c.state = ccQuoteInQuoted
			b = b[i+1:]
		case ccQuoteInQuoted: // the byte after a quote decides
			if !c.feedBytes(b[:1]) {
				return false
			}
			b = b[1:]
		default:
			i := bytes.IndexByte(b, '"')
			if i < 0 {
				return c.feedUnquoted(b)
			}
			if !c.feedUnquoted(b[:i]) || !c.feedBytes(b[i:i+1]) {
				return false
			}
			b = b[i+1:]
		}
	}
	return true
}

// feedUnquoted counts bytes with no quote in them, outside a quoted field:
// each line's fields are its delimiters plus one, counted with the
// vectorized bytes.Count rather than byte by byte.
func (c *colCounter) feedUnquoted(b []byte) bool {
	delim := []byte{c.delim}
	for len(b) > 0 {
		line, rest, nl := bytes.Cut(b, []byte{'\n'})
		if c.empty && !onlyCR(line) {
			c.empty = false
		}
		c.fields += bytes.Count(line, delim)
		if c.fields > c.max {
			c.bad = c.records + 1
			return false
		}
		if last := lastNonCR(line); last >= 0 {
			if line[last] == c.delim {
				c.state = ccFieldStart
			} else {
				c.state = ccUnquoted
			}
		}
		if !nl {
			break
		}
		if !c.empty {
			c.records++
		}
		c.fields, c.empty, c.state = 1, true, ccFieldStart
		b = rest
	}
	return true
}

func onlyCR(b []byte) bool {
	for _, x := range b {
		if x != '\r' {
			return false
		}
	}
	return true
}

func lastNonCR(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != '\r' {
			return i
		}
	}
	return -1
}

// feedBytes counts b byte by byte, following the quoting rules.
func (c *colCounter) feedBytes(b []byte) bool {
	for _, x := range b {
		switch c.state {
		case ccQuoted:
			if x == '"' {
				c.state = ccQuoteInQuoted
			}
			continue
		case ccQuoteInQuoted:
			if x == '"' {
				c.state = ccQuoted
				continue
			}
			if x != c.delim && x != '\n' && x != '\r' {
				c.state = ccQuoted // lazy quote: text inside the quoted field
				continue
			}
		}
		switch x {
		case c.delim:
			c.fields++
			c.empty = false
			c.state = ccFieldStart
			if c.fields > c.max {
				c.bad = c.records + 1
				return false
			}
		case '\n':
			if !c.empty {
				c.records++
			}
			c.fields, c.empty, c.state = 1, true, ccFieldStart
		case '\r':
			if c.state == ccQuoteInQuoted {
				c.state = ccUnquoted
			}
		case '"':
			c.empty = false
			if c.state == ccFieldStart {
				c.state = ccQuoted
			}
		default:
			c.empty = false
			c.state = ccUnquoted
		}
	}
	return true
}

func (g *rowGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if g.cols != nil && !g.cols.feed(p[:n]) {
		return 0, errTooManyColumns
	}
	if g.checkUTF && (n > 0 || g.tailN > 0) {
		if !g.validChunk(p[:n], err != nil) {
			g.badEnd = g.delivered + int64(n)
		}
	}
	g.delivered += int64(n)
	if g.delivered-g.start > g.limit {
		return n, errRowTooLong
	}
	return n, err
}

// validChunk reports whether b is valid UTF-8 as a continuation of the
// previous chunks. last says no more data follows.
func (g *rowGuard) validChunk(b []byte, last bool) bool {
	ok := true
	if g.tailN > 0 {
		var tmp [2 * utf8.UTFMax]byte
		k := copy(tmp[:], g.tail[:g.tailN])
		used := copy(tmp[k:k+utf8.UTFMax-g.tailN], b)
		k += used
		if !utf8.FullRune(tmp[:k]) {
			if last {
				g.tailN = 0
				return false
			}
			g.tailN = copy(g.tail[:], tmp[:k])
			return true
		}
		r, size := utf8.DecodeRune(tmp[:k])
		if r == utf8.RuneError && size == 1 {
			ok = false // the carried bytes are invalid; rescan b on its own
		} else {
			b = b[size-g.tailN:]
		}
		g.tailN = 0
	}
	t := trimIncompleteRune(b)
	if len(t) < len(b) {
		if last {
			return false
		}
		g.tailN = copy(g.tail[:], b[len(t):])
	}
	return ok && utf8.Valid(t)
}

// crReader turns lone CR line ends (classic Mac files) into LF; it is only
// used when the sample has CRs and no LF.
type crReader struct{ r io.Reader }

func (c crReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// csvSource reads delimited text with encoding/csv.
type csvSource struct {
	rd       *Reader
	cr       *csv.Reader
	guard    *rowGuard
	checkUTF bool // input is passed through as UTF-8: check fields, fall back per byte
	maxField int64
	lastLine int
}

func newCSVSource(rd *Reader, in io.Reader, delim rune, checkUTF8, crOnly bool, maxField, maxCols int) *csvSource {
	if crOnly {
		in = crReader{in}
	}
	g := &rowGuard{r: in, limit: int64(maxField) + csvBufSize, checkUTF: checkUTF8, cols: newColCounter(delim, maxCols)}
	cr := csv.NewReader(bufio.NewReaderSize(g, csvBufSize))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvSource{rd: rd, cr: cr, guard: g, checkUTF: checkUTF8, maxField: int64(maxField)}
}

func (s *csvSource) next() ([]string, error) {
	rec, err := s.cr.Read()
	row := s.rd.row + 1
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		if errors.Is(err, errRowTooLong) {
			return nil, s.tooLong(row)
		}
		if errors.Is(err, errTooManyColumns) {
			return nil, tooManyColumnsError(max(row, s.guard.cols.bad), s.guard.cols.max+1, s.guard.cols.max)
		}
		var ie *Error
		if errors.As(err, &ie) {
			return nil, ie
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Kind: ErrFormat, Row: row, Column: pe.Column, Msg: fmt.Sprintf("line %d: %v", pe.Line, pe.Err)}
		}
		return nil, fmt.Errorf("ingest: read row %d: %w", row, err)
	}
	end := s.cr.InputOffset()
	if end-s.guard.start > s.maxField {
		return nil, s.tooLong(row)
	}
	start := s.guard.start
	s.guard.start = end
	s.lastLine, _ = s.cr.FieldPos(0)
	if s.checkUTF && start < s.guard.badEnd {
		for i, f := range rec {
			if !utf8.ValidString(f) {
				fixed, n := fixUTF8(f)
				rec[i] = fixed
				s.rd.addIssue(RowIssue{Row: row, Kind: ErrEncoding, Column: i + 1,
					Msg: fmt.Sprintf("%d byte(s) were not valid UTF-8 and were read as Windows-1252; check the file's encoding", n)})
			}
		}
	}
	return rec, nil
}

func (s *csvSource) tooLong(row int) *Error {
	return errorf(ErrLineTooLong, row, "the row is longer than the limit of %s; check for a quote (\") that is never closed, or raise the limit", humanBytes(s.maxField))
}

func (s *csvSource) line() int { return s.lastLine }

func (s *csvSource) close() error { return nil }
