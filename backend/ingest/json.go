package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/transform"
)

// jsonHeaderObjects is how many leading objects contribute keys to the header.
const jsonHeaderObjects = 1000

// jsonSource reads a JSON array of objects (or of arrays) as rows. For
// objects, the first row is a synthesized header: the keys in order of first
// appearance over the first 1000 objects; each object then becomes a row in
// header order ("" for a missing key). Values are stringified: strings as
// they are, numbers as written, true/false, null as "", nested objects and
// arrays as compact JSON. Arrays of arrays are returned row by row as they are.
type jsonSource struct {
	rd       *Reader
	dec      *json.Decoder
	guard    *rowGuard
	fb       *utf8Fallback // nil unless the input passes through as UTF-8
	fbSeen   int64
	maxField int64
	lim      Limits

	started, ended    bool
	objects           bool // array of objects (else array of arrays)
	keys              []string
	keyIdx            map[string]int
	pending           [][]kv // buffered leading objects
	pendingRows       []int  // their row numbers
	pendingBytes      int64  // text held in pending
	headerObjs        int    // objects whose keys made the header
	headerSent        bool
	elem              int // elements read so far
	out               []string
	stamp             []int // per column: last row that set it (duplicate keys)
	pendingFirstArray bool  // out holds the first element of an array of arrays
}

type kv struct{ k, v string }

func newJSONSource(rd *Reader, in io.Reader, enc encInfo, maxField int, lim Limits) *jsonSource {
	s := &jsonSource{rd: rd, maxField: int64(maxField), lim: lim, keyIdx: map[string]int{}}
	if enc.enc == nil {
		s.fb = &utf8Fallback{}
		in = transform.NewReader(in, s.fb)
	}
	// The decoder reads ahead into a buffer that can grow to about twice the
	// largest element, so the guard only bounds memory; finishElement is exact.
	s.guard = &rowGuard{r: in, limit: 4*int64(maxField) + csvBufSize}
	s.dec = json.NewDecoder(s.guard)
	return s
}

func (s *jsonSource) line() int { return s.rd.row }

func (s *jsonSource) close() error { return nil }

func (s *jsonSource) next() ([]string, error) {
	if !s.started {
		s.started = true
		if err := s.start(); err != nil {
			return nil, err
		}
	}
	if s.objects {
		if !s.headerSent {
			s.headerSent = true
			s.out = append(s.out[:0], s.keys...)
			return s.out, nil
		}
		if len(s.pending) > 0 {
			obj, row := s.pending[0], s.pendingRows[0]
			s.pending, s.pendingRows = s.pending[1:], s.pendingRows[1:]
			return s.place(obj, row), nil
		}
	}
	if s.ended {
		return nil, io.EOF
	}
	obj, vals, err := s.element()
	if err != nil {
		return nil, err
	}
	if s.ended {
		return nil, io.EOF
	}
	if s.objects {
		return s.place(obj, s.rowOf(s.elem)), nil
	}
	return vals, nil
}

// rowOf is the Reader row number of the n-th (1-based) array element.
func (s *jsonSource) rowOf(n int) int {
	if s.objects {
		return n + 1
	}
	return n
}

// start reads the opening bracket and, for objects, the header objects.
func (s *jsonSource) start() error {
	tok, err := s.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errorf(ErrFormat, 0, "expected a JSON array of objects ([{...}, ...]) but the file does not start with JSON (%s)", se.Error())
		}
		return s.wrap(err, 0)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errorf(ErrFormat, 0, "expected a JSON array of objects ([{...}, ...]) but the file starts with %s", describeToken(tok))
	}
	if !s.dec.More() {
		s.ended = true
		return s.closing()
	}
	obj, _, err := s.elementFirst()
	if err != nil {
		return err
	}
	if !s.objects {
		return nil
	}
	if err := s.keep(obj); err != nil {
		return err
	}
	// The header is collected from the first objects, within a byte budget.
	for len(s.pending) < jsonHeaderObjects && s.pendingBytes < s.lim.MaxJSONHeaderBytes && !s.ended {
		obj, _, err := s.element()
		if err != nil {
			return err
		}
		if s.ended {
			break
		}
		if err := s.keep(obj); err != nil {
			return err
		}
	}
	return nil
}

func (s *jsonSource) keep(obj []kv) error {
	for _, p := range obj {
		if _, ok := s.keyIdx[p.k]; !ok {
			if len(s.keys) >= s.lim.MaxColumns {
				return errorf(ErrTooManyColumns, s.rowOf(s.elem), "the JSON objects have more than %d distinct keys, above the limit of %d columns (Excel's maximum)", s.lim.MaxColumns, s.lim.MaxColumns)
			}
			s.keyIdx[p.k] = len(s.keys)
			s.keys = append(s.keys, p.k)
		}
		s.pendingBytes += int64(len(p.k) + len(p.v) + 32)
	}
	s.pending = append(s.pending, obj)
	s.pendingRows = append(s.pendingRows, s.rowOf(s.elem))
	s.headerObjs++
	return nil
}

// elementFirst reads the first element and decides objects or arrays.
func (s *jsonSource) elementFirst() ([]kv, []string, error) {
	tok, err := s.dec.Token()
	if err != nil {
		return nil, nil, s.wrap(err, 1)
	}
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil, nil, errorf(ErrFormat, 1, "element 1 of the JSON array is %s; expected an object (or an array of values)", describeToken(tok))
	}
	s.objects = d == '{'
	s.elem = 1
	if s.objects {
		obj, err := s.readObject()
		return obj, nil, err
	}
	vals, err := s.readArray()
	if err == nil {
		// returned by the first call to next via pendingArray
		s.out = vals
		s.pendingFirstArray = true
	}
	return nil, vals, err
}

// element reads the next array element; at the closing bracket it sets ended.
func (s *jsonSource) element() ([]kv, []string, error) {
	if s.pendingFirstArray {
		s.pendingFirstArray = false
		return nil, s.out, nil
	}
	if !s.dec.More() {
		s.ended = true
		return nil, nil, s.closing()
	}
	s.elem++
	row := s.rowOf(s.elem)
	tok, err := s.dec.Token()
	if err != nil {
		return nil, nil, s.wrap(err, row)
	}
	d, ok := tok.(json.Delim)
	want := byte('[')
	if s.objects {
		want = '{'
	}
	if !ok || byte(d) != want {
		return nil, nil, errorf(ErrFormat, row, "element %d of the JSON array is %s; expected %s like the first element", s.elem, describeToken(tok), map[bool]string{true: "an object", false: "an array"}[s.objects])
	}
	if s.objects {
		obj, err := s.readObject()
		return obj, nil, err
	}
	vals, err := s.readArray()
	return nil, vals, err
}

func (s *jsonSource) readObject() ([]kv, error) {
	row := s.rowOf(s.elem)
	var obj []kv
	var raw json.RawMessage
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, s.wrap(err, row)
		}
		key, _ := tok.(string)
		raw = raw[:0]
		if err := s.dec.Decode(&raw); err != nil {
			return nil, s.wrap(err, row)
		}
		if err := s.checkDepth(raw, row); err != nil {
			return nil, err
		}
		obj = append(obj, kv{key, jsonString(raw)})
	}
	if _, err := s.dec.Token(); err != nil { // '}'
		return nil, s.wrap(err, row)
	}
	return obj, s.finishElement(row)
}

func (s *jsonSource) readArray() ([]string, error) {
	row := s.rowOf(s.elem)
	s.out = s.out[:0]
	var raw json.RawMessage
	for s.dec.More() {
		raw = raw[:0]
		if err := s.dec.Decode(&raw); err != nil {
			return nil, s.wrap(err, row)
		}
		if err := s.checkDepth(raw, row); err != nil {
			return nil, err
		}
		s.out = append(s.out, jsonString(raw))
	}
	if _, err := s.dec.Token(); err != nil { // ']'
		return nil, s.wrap(err, row)
	}
	return s.out, s.finishElement(row)
}

// finishElement enforces the size limit and records fallback decoding.
func (s *jsonSource) finishElement(row int) error {
	end := s.dec.InputOffset()
	if end-s.guard.start > s.maxField {
		return errorf(ErrLineTooLong, row, "the JSON element is longer than the limit of %s", humanBytes(s.maxField))
	}
	s.guard.start = end
	if s.fb != nil && s.fb.replaced != s.fbSeen {
		n := s.fb.replaced - s.fbSeen
		s.fbSeen = s.fb.replaced
		s.rd.addIssue(RowIssue{Row: row, Kind: ErrEncoding,
			Msg: fmt.Sprintf("%d byte(s) near this row were not valid UTF-8 and were read as Windows-1252; check the file's encoding", n)})
	}
	return nil
}

// closing consumes the closing bracket and checks that nothing follows.
func (s *jsonSource) closing() error {
	if _, err := s.dec.Token(); err != nil {
		return s.wrap(err, 0)
	}
	if _, err := s.dec.Token(); err != io.EOF {
		if err != nil {
			return s.wrap(err, 0)
		}
		return errorf(ErrFormat, 0, "unexpected data after the end of the JSON array")
	}
	return nil
}

// place lays out one object in header order.
func (s *jsonSource) place(obj []kv, row int) []string {
	if cap(s.out) < len(s.keys) {
		s.out = make([]string, len(s.keys))
	}
	s.out = s.out[:len(s.keys)]
	clear(s.out)
	if len(s.stamp) < len(s.keys) {
		s.stamp = make([]int, len(s.keys))
	}
	for _, p := range obj {
		i, ok := s.keyIdx[p.k]
		if !ok {
			s.rd.addIssue(RowIssue{Row: row, Kind: ErrFormat,
				Msg: fmt.Sprintf("key %q does not appear in the first %d objects, so it has no column; its value is not imported", p.k, s.headerObjs)})
			continue
		}
		if s.stamp[i] == row {
			s.rd.addIssue(RowIssue{Row: row, Kind: ErrDuplicateHeader, Column: i + 1,
				Msg: fmt.Sprintf("key %q appears twice in the object; the last value is used", p.k)})
		}
		s.stamp[i] = row
		s.out[i] = p.v
	}
	return s.out
}

func (s *jsonSource) wrap(err error, row int) error {
	var ie *Error
	if errors.As(err, &ie) {
		return ie
	}
	if errors.Is(err, errRowTooLong) {
		return errorf(ErrLineTooLong, row, "the JSON element is longer than the limit of %s", humanBytes(s.maxField))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errorf(ErrFormat, row, "invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(ErrFormat, row, "the JSON ends unexpectedly (the array is not closed)")
	}
	return fmt.Errorf("ingest: read JSON: %w", err)
}

// checkDepth refuses a value nested deeper than Limits.MaxJSONDepth (the
// array and the row element are the first two levels).
func (s *jsonSource) checkDepth(raw json.RawMessage, row int) error {
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return nil
	}
	if d := 2 + jsonDepth(raw); d > s.lim.MaxJSONDepth {
		return errorf(ErrFormat, row, "the JSON nests %d levels deep, more than the limit of %d levels", d, s.lim.MaxJSONDepth)
	}
	return nil
}

// jsonDepth returns the deepest nesting of brackets in a valid JSON value.
func jsonDepth(raw []byte) int {
	depth, deepest, inStr, esc := 0, 0, false, false
	for _, c := range raw {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// jsonString stringifies one JSON value.
func jsonString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return string(raw)
		}
		return s
	case 'n':
		return ""
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return string(raw)
		}
		return b.String()
	}
	return string(raw) // numbers as written, true, false
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
