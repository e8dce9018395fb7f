// Package csvsafe writes CSV that spreadsheets open as data, never as
// formulas (CSV injection): a cell that starts with '=', '+', '-', '@', a
// tab or a carriage return gets a leading single quote, as OWASP advises,
// except a plain number such as -12.5 or +3, which stays as it is.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s neutralized for a spreadsheet: unchanged unless it
// starts with a formula trigger and is not a plain number.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if isNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// isNumber reports whether s is a plain decimal number: an optional
// sign, digits with at most one decimal point, and an optional exponent.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// Writer is a csv.Writer that neutralizes every cell it writes. It has
// the Write, Flush and Error methods of csv.Writer, so typed-record
// marshalers that take such a writer (gocsv.MarshalCSV) can use it.
type Writer struct {
	w   *csv.Writer
	row []string
}

// NewWriter returns a Writer writing CSV to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell passed through Cell. The record
// itself is not modified.
func (w *Writer) Write(record []string) error {
	w.row = w.row[:0]
	for _, c := range record {
		w.row = append(w.row, Cell(c))
	}
	return w.w.Write(w.row)
}

// Flush writes any buffered data to the underlying io.Writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error from a previous Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }

// Unquote undoes Cell on a value read back from a file that Cell wrote:
// a leading single quote that Cell would have added is removed. (A value
// that itself started with a quote before a formula trigger cannot be
// told apart; it loses its quote.)
func Unquote(s string) string {
	if len(s) > 1 && s[0] == '\'' && Cell(s[1:]) == s {
		return s[1:]
	}
	return s
}
