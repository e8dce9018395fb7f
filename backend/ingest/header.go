package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// headerScanRows is how many leading rows DetectHeaderRow examines.
const headerScanRows = 20

// DetectHeaderRow returns the 0-based index into rows of the first row that
// looks like a header: among the first 20 rows, a non-blank row that is mostly
// filled, mostly non-numeric, has distinct values, and is about as wide as the
// rows below it (so title lines such as "Sales report 2024" and blank rows
// above the header are passed over). If no row qualifies it returns the first
// non-blank row, and 0 when all rows are blank or rows is empty.
func DetectHeaderRow(rows [][]string) int {
	n := min(len(rows), headerScanRows)
	first := -1
	for i := 0; i < n; i++ {
		w := effWidth(rows[i])
		if w == 0 {
			continue
		}
		if first < 0 {
			first = i
		}
		if looksLikeHeader(rows[i], w, belowWidth(rows, i+1)) {
			return i
		}
	}
	if first < 0 {
		return 0
	}
	return first
}

// looksLikeHeader applies the header heuristics to one row of effective width w;
// below is the most common effective width of the rows after it (0 if none).
func looksLikeHeader(row []string, w, below int) bool {
	filled, numeric := 0, 0
	seen := make(map[string]struct{}, w)
	for _, c := range row[:w] {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		filled++
		if looksNumeric(c) {
			numeric++
		}
		seen[strings.ToLower(c)] = struct{}{}
	}
	if below >= 2 && filled < 2 {
		return false // a single cell above multi-column data is a title
	}
	if filled*2 < w { // mostly empty
		return false
	}
	if numeric*3 > filled { // more than a third numbers or dates
		return false
	}
	if len(seen)*10 < filled*9 { // repeated values
		return false
	}
	if below > 0 && w*10 < below*6 { // much narrower than the data
		return false
	}
	return true
}

// belowWidth returns the most common effective width among the next few non-blank rows.
func belowWidth(rows [][]string, from int) int {
	counts := map[int]int{}
	best, bestN := 0, 0
	for i, seen := from, 0; i < len(rows) && seen < 10; i++ {
		w := effWidth(rows[i])
		if w == 0 {
			continue
		}
		seen++
		counts[w]++
		if counts[w] > bestN || (counts[w] == bestN && w > best) {
			best, bestN = w, counts[w]
		}
	}
	return best
}

// effWidth is the row length without trailing empty cells.
func effWidth(row []string) int {
	for i := len(row) - 1; i >= 0; i-- {
		if strings.TrimSpace(row[i]) != "" {
			return i + 1
		}
	}
	return 0
}

// looksNumeric reports whether s is a number, an amount, a percentage or a
// date-like value (digits with separators), i.e. data rather than a label.
func looksNumeric(s string) bool {
	t := strings.Trim(s, "$€£¥%+-() ")
	if t == "" {
		return false
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", ""), 64); err == nil {
		return true
	}
	digits, other := 0, 0
	for _, r := range t {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune("/-.:, T", r):
		default:
			other++
		}
	}
	return digits > 0 && other == 0
}

// CheckHeader validates a chosen header row: a cell that is empty (after
// trimming spaces) gives an *Error of Kind ErrBlankHeader, two cells with the
// same name (ignoring case and surrounding spaces) give ErrDuplicateHeader.
// Column is the first offending column (1-based); Msg names every offending
// column by number and spreadsheet letter. Blank cells are reported first.
func CheckHeader(header []string) error {
	if len(header) == 0 {
		return &Error{Kind: ErrBlankHeader, Msg: "the header row is empty"}
	}
	var blanks []string
	firstBlank := 0
	for i, h := range header {
		if strings.TrimSpace(h) == "" {
			if firstBlank == 0 {
				firstBlank = i + 1
			}
			blanks = append(blanks, colRef(i))
		}
	}
	if len(blanks) > 0 {
		msg := fmt.Sprintf("column %s has no header name; give it a name or remove the column", blanks[0])
		if len(blanks) > 1 {
			msg = fmt.Sprintf("columns %s have no header name; give them names or remove the columns", joinLimited(blanks, 8))
		}
		return &Error{Kind: ErrBlankHeader, Column: firstBlank, Msg: msg}
	}
	firstAt := make(map[string]int, len(header))
	var dups []string
	firstDup := 0
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		j, ok := firstAt[key]
		if !ok {
			firstAt[key] = i
			continue
		}
		if firstDup == 0 {
			firstDup = i + 1
		}
		dups = append(dups, fmt.Sprintf("%q in column %s repeats column %s", strings.TrimSpace(h), colRef(i), colRef(j)))
	}
	if len(dups) > 0 {
		return &Error{Kind: ErrDuplicateHeader, Column: firstDup,
			Msg: "duplicate header names: " + joinLimited(dups, 8) + "; rename them so each column has a unique name"}
	}
	return nil
}

// colRef formats a 0-based column index as `3 (C)`.
func colRef(i int) string { return fmt.Sprintf("%d (%s)", i+1, ColumnLetter(i+1)) }

// ColumnLetter returns the spreadsheet letter of a 1-based column: 1 -> A, 27 -> AA.
func ColumnLetter(col int) string {
	if col < 1 {
		return ""
	}
	var b []byte
	for col > 0 {
		col--
		b = append([]byte{byte('A' + col%26)}, b...)
		col /= 26
	}
	return string(b)
}

func joinLimited(items []string, max int) string {
	if len(items) <= max {
		if len(items) == 2 {
			return items[0] + " and " + items[1]
		}
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
