package ingest

import (
	"bytes"
	"errors"
	"io"
)

// xlsxTok is a streaming tokenizer of workbook XML for the parts that are
// read in full (worksheets, shared strings). It applies the guard's limits
// as it goes: the part may not inflate beyond its declared size, a text
// run or a tag may not exceed maxText, elements may not nest deeper than
// xlsxMaxDepth, and DOCTYPE declarations are refused. It holds at most one
// tag or one buffer of text.
type xlsxTok struct {
	lr       *io.LimitedReader
	part     string
	maxText  int64
	declared int64
	row      *int // the row being read, for errors (may be nil)

	buf      []byte
	pos, end int
	eof      bool
	run      int64 // length of the current text run
	depth    int
}

type tokKind int

const (
	tokEOF   tokKind = iota
	tokText          // text (a piece of a run; entities not decoded)
	tokStart         // <name ...>
	tokEmpty         // <name .../>
	tokEnd           // </name>
)

func newXLSXTok(r io.Reader, part string, maxText, declared int64) *xlsxTok {
	return &xlsxTok{
		lr:       &io.LimitedReader{R: r, N: declared + 1},
		part:     part,
		maxText:  maxText,
		declared: declared,
		buf:      make([]byte, 64<<10),
	}
}

func (t *xlsxTok) rowNum() int {
	if t.row == nil {
		return 0
	}
	return *t.row
}

func (t *xlsxTok) tooLong(what string) error {
	return errorf(ErrLineTooLong, t.rowNum(), "the workbook part %s has a %s longer than the limit of %s", t.part, what, humanBytes(t.maxText))
}

func (t *xlsxTok) broken(err error) error {
	return errorf(ErrFormat, t.rowNum(), "the file is not a readable XLSX workbook (%s: %v); re-save it from Excel as .xlsx", t.part, err)
}

// fill reads more input, keeping the unconsumed bytes; io.EOF at the end.
func (t *xlsxTok) fill() error {
	if t.eof {
		return io.EOF
	}
	if t.pos > 0 {
		copy(t.buf, t.buf[t.pos:t.end])
		t.end -= t.pos
		t.pos = 0
	}
	if t.end == len(t.buf) {
		if int64(len(t.buf)) > t.maxText+(64<<10) {
			return t.tooLong("tag")
		}
		nb := make([]byte, 2*len(t.buf))
		copy(nb, t.buf[:t.end])
		t.buf = nb
	}
	n, err := t.lr.Read(t.buf[t.end:])
	t.end += n
	if t.lr.N <= 0 {
		return errorf(ErrTooLarge, t.rowNum(), "the workbook part %s unpacks to more than its declared size of %s (a zip bomb)", t.part, approxBytes(t.declared))
	}
	switch {
	case err == io.EOF:
		t.eof = true
		if n == 0 {
			return io.EOF
		}
	case err != nil:
		return t.broken(err)
	}
	return nil
}

var (
	cdataOpen    = []byte("![CDATA[")
	cdataClose   = []byte("]]>")
	commentClose = []byte("-->")
	piClose      = []byte("?>")
	dquote       = []byte{'"'}
)

// next returns the next token. With want false, text is skipped (but
// measured). name is the element's local name or the text; tag is the
// whole tag without < and > (both valid until the next call).
func (t *xlsxTok) next(want bool) (tokKind, []byte, []byte, error) {
	for {
		if t.pos >= t.end {
			if err := t.fill(); err == io.EOF {
				if t.depth > 0 {
					return tokEOF, nil, nil, t.broken(io.ErrUnexpectedEOF)
				}
				return tokEOF, nil, nil, nil
			} else if err != nil {
				return tokEOF, nil, nil, err
			}
			continue
		}
		if t.buf[t.pos] != '<' {
			var chunk []byte
			if i := bytes.IndexByte(t.buf[t.pos:t.end], '<'); i < 0 {
				chunk = t.buf[t.pos:t.end]
				t.pos = t.end
			} else {
				chunk = t.buf[t.pos : t.pos+i]
				t.pos += i
			}
			t.run += int64(len(chunk))
			if t.run > t.maxText {
				return tokEOF, nil, nil, t.tooLong("text run")
			}
			if want {
				return tokText, chunk, nil, nil
			}
			continue
		}
		// markup
		for t.end-t.pos < 9 && !t.eof {
			if err := t.fill(); err != nil && err != io.EOF {
				return tokEOF, nil, nil, err
			}
		}
		if p := t.buf[t.pos+1 : t.end]; len(p) > 0 && (p[0] == '!' || p[0] == '?') {
			switch {
			case bytes.HasPrefix(p, cdataOpen):
				t.pos += 1 + len(cdataOpen)
				body, err := t.until(cdataClose)
				if err != nil {
					return tokEOF, nil, nil, err
				}
				t.run += int64(len(body))
				if t.run > t.maxText {
					return tokEOF, nil, nil, t.tooLong("text run")
				}
				if want && len(body) > 0 {
					return tokText, body, nil, nil
				}
				continue
			case bytes.HasPrefix(p, []byte("!--")):
				t.pos += 4
				if _, err := t.until(commentClose); err != nil {
					return tokEOF, nil, nil, err
				}
				continue
			case p[0] == '?':
				t.pos += 2
				if _, err := t.until(piClose); err != nil {
					return tokEOF, nil, nil, err
				}
				continue
			default:
				return tokEOF, nil, nil, errorf(ErrFormat, 0, "the workbook part %s has a DOCTYPE declaration, which XLSX files never have", t.part)
			}
		}
		t.run = 0
		tag, err := t.tag()
		if err != nil {
			return tokEOF, nil, nil, err
		}
		kind := tokStart
		body := tag
		if len(body) > 0 && body[0] == '/' {
			kind, body = tokEnd, body[1:]
		} else if len(body) > 0 && body[len(body)-1] == '/' {
			kind = tokEmpty
		}
		n := 0
		for n < len(body) && !isXMLSpace(body[n]) && body[n] != '/' {
			n++
		}
		name := body[:n]
		if i := bytes.IndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		switch kind {
		case tokStart:
			t.depth++
			if t.depth > xlsxMaxDepth {
				return tokEOF, nil, nil, errorf(ErrFormat, 0, "the workbook part %s nests XML more than %d levels deep, the limit", t.part, xlsxMaxDepth)
			}
		case tokEnd:
			t.depth--
		}
		return kind, name, body, nil
	}
}

var (
	vOpen   = []byte("<v>")
	vClose  = []byte("</v></c>")
	isOpen  = []byte("<is><t>")
	isClose = []byte("</t></is></c>")
)

// cellTail reads the rest of a cell whose start tag was the last token
// when it has one of the two shapes nearly every cell has, <v>text</v></c>
// or <is><t>text</t></is></c>, with text free of markup and all of it in
// the buffer: it consumes through </c> and returns the text (entities not
// decoded, as a text token). Otherwise it consumes nothing and the cell is
// read token by token. The limits hold as they would token by token: the
// text is at most maxLen bytes (and maxText), and nesting is checked.
func (t *xlsxTok) cellTail(maxLen int) ([]byte, bool) {
	b := t.buf[t.pos:t.end]
	var open, close []byte
	switch {
	case len(b) > len(vOpen) && b[1] == 'v' && bytes.HasPrefix(b, vOpen):
		open, close = vOpen, vClose
	case len(b) > len(isOpen) && b[1] == 'i' && bytes.HasPrefix(b, isOpen):
		open, close = isOpen, isClose
	default:
		return nil, false
	}
	if t.depth+2 > xlsxMaxDepth {
		return nil, false
	}
	b = b[len(open):]
	// values are short: a plain loop before IndexByte
	i := 0
	for i < len(b) && i < 16 && b[i] != '<' {
		i++
	}
	if i == 16 {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return nil, false
		}
		i += j
	}
	if i >= len(b) || i > maxLen || int64(i) > t.maxText || !bytes.HasPrefix(b[i:], close) {
		return nil, false
	}
	text := b[:i]
	t.pos += len(open) + i + len(close)
	t.depth-- // the cell's end tag
	t.run = 0
	return text, true
}

// tag consumes a tag starting at t.pos ('<') and returns its inside.
func (t *xlsxTok) tag() ([]byte, error) {
	k := 1 // offset from t.pos
	var quote byte
	for {
		// the next '>' outside quoted attribute values (tags are short:
		// a plain loop beats repeated IndexByte calls)
		buf := t.buf[:t.end]
		for i := t.pos + k; i < len(buf); i++ {
			switch c := buf[i]; {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '>':
				tag := buf[t.pos+1 : i]
				t.pos = i + 1
				return tag, nil
			case c == '"' || c == '\'':
				quote = c
			}
		}
		k = t.end - t.pos
		if int64(t.end-t.pos) > t.maxText {
			return nil, t.tooLong("tag")
		}
		if err := t.fill(); err == io.EOF {
			return nil, t.broken(io.ErrUnexpectedEOF)
		} else if err != nil {
			return nil, err
		}
	}
}

// until consumes input through end and returns what came before it.
func (t *xlsxTok) until(end []byte) ([]byte, error) {
	k := 0
	for {
		if i := bytes.Index(t.buf[t.pos+k:t.end], end); i >= 0 {
			body := t.buf[t.pos : t.pos+k+i]
			t.pos += k + i + len(end)
			return body, nil
		}
		k = max(0, t.end-t.pos-len(end)+1)
		if int64(k) > t.maxText {
			return nil, t.tooLong("text run")
		}
		if err := t.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, t.broken(io.ErrUnexpectedEOF)
			}
			return nil, err
		}
	}
}

// readAhead inflates a part on another goroutine, a few chunks ahead of
// the tokenizer, so that decompression and tokenizing use two cores.
type readAhead struct {
	src    io.ReadCloser
	full   chan []byte // chunks read
	free   chan []byte // chunks to reuse
	errc   chan error  // the reader's final error (after full is closed)
	stop   chan struct{}
	cur    []byte // unread part of buf
	buf    []byte // the chunk being read (returned to free when done)
	err    error
	closed bool
}

const (
	readAheadChunk  = 256 << 10
	readAheadChunks = 4
)

func newReadAhead(src io.ReadCloser) *readAhead {
	r := &readAhead{src: src, full: make(chan []byte, readAheadChunks), free: make(chan []byte, readAheadChunks), errc: make(chan error, 1), stop: make(chan struct{})}
	for range readAheadChunks {
		r.free <- make([]byte, readAheadChunk)
	}
	go r.run()
	return r
}

func (r *readAhead) run() {
	defer close(r.full)
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			r.errc <- nil
			return
		}
		n, err := io.ReadFull(r.src, buf[:cap(buf)])
		if n > 0 {
			select {
			case r.full <- buf[:n]:
			case <-r.stop:
				r.errc <- nil
				return
			}
		}
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			r.errc <- io.EOF
			return
		}
		if err != nil {
			r.errc <- err
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf[:cap(r.buf)]
			r.buf = nil
		}
		if r.err != nil {
			return 0, r.err
		}
		buf, ok := <-r.full
		if !ok {
			r.err = <-r.errc
			if r.err == nil {
				r.err = io.EOF
			}
			return 0, r.err
		}
		r.buf, r.cur = buf, buf
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the goroutine and closes the source.
func (r *readAhead) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	close(r.stop)
	for range r.full { // let the goroutine finish
	}
	return r.src.Close()
}
