package ingest

import (
	"fmt"
	"strings"
)

// ErrKind classifies an ingest problem. Callers switch on Kind (see errors.As) to
// map a problem to a domain error; the Msg of an *Error is already written for an
// end user.
type ErrKind string

// The kinds of problem ingest reports.
const (
	ErrEmpty           ErrKind = "empty"            // no bytes, only whitespace, or no rows at all
	ErrHeaderOnly      ErrKind = "header_only"      // a header row and no data rows (see HeaderOnlyError)
	ErrTooLarge        ErrKind = "too_large"        // the input is larger than Options.MaxBytes
	ErrBinary          ErrKind = "binary"           // the bytes are not text (NUL bytes or a known binary signature)
	ErrLineTooLong     ErrKind = "line_too_long"    // one row is longer than Options.MaxFieldBytes
	ErrTooManyColumns  ErrKind = "too_many_columns" // one row has more fields than Limits.MaxColumns
	ErrRagged          ErrKind = "ragged"           // a row has a different number of fields (a RowIssue, not fatal)
	ErrEncoding        ErrKind = "encoding"         // unknown encoding, or bytes that had to be decoded by fallback
	ErrFormat          ErrKind = "format"           // unknown/unsupported format, malformed JSON or XLSX, bad option
	ErrDuplicateHeader ErrKind = "duplicate_header" // two header cells with the same name
	ErrBlankHeader     ErrKind = "blank_header"     // an empty header cell
)

// Error is the error type returned by this package for every problem with the
// input. Failures of the underlying io.Reader or file system are not input
// problems: they are returned wrapped with context (errors.Is/As still see them).
// Row and Column are 1-based and zero when they do not apply. Error() prefixes
// "row R: " (and ", column C" with a row); header errors name their columns in Msg.
type Error struct {
	Kind   ErrKind
	Row    int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Row > 0 && e.Column > 0:
		fmt.Fprintf(&b, "row %d, column %d: ", e.Row, e.Column)
	case e.Row > 0:
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is an *Error of the same Kind, so that
// errors.Is(err, &ingest.Error{Kind: ingest.ErrEmpty}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Row == 0 || t.Row == e.Row) && (t.Column == 0 || t.Column == e.Column)
}

// HeaderOnlyError builds the error an importer returns when the chosen header
// row (1-based physical row number) is followed by no data rows. The reader
// itself cannot know which row is the header, so it simply returns io.EOF after
// the last row; this constructor keeps the message identical everywhere.
func HeaderOnlyError(headerRow int) *Error {
	return &Error{Kind: ErrHeaderOnly, Row: headerRow, Msg: "the file has a header row but no data rows below it"}
}

func errorf(kind ErrKind, row int, format string, args ...any) *Error {
	return &Error{Kind: kind, Row: row, Msg: fmt.Sprintf(format, args...)}
}
