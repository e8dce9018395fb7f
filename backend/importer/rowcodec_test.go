package importer

import (
	"reflect"
	"strings"
	"testing"
)

// Rows read back as written, in the compact encoding and, for cells that
// need it, in JSON; rows stored as JSON before the compact encoding read
// as they did. Every encoding is text without NUL bytes (PostgreSQL TEXT).
func TestRowEncodingRoundTrip(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes: the long length form
	for _, c := range []struct {
		cells   []string
		compact bool
	}{
		{[]string{}, true},
		{[]string{""}, true},
		{[]string{"Ada", "", "ada@example.com", `quote " and \ backslash`, "line\nbreak", "ünïcödé ✓"}, true},
		{[]string{strings.Repeat("x", 125), strings.Repeat("y", 126), long, "end"}, true},
		{[]string{"nul \x00 inside", "b"}, false},
		{[]string{"bad utf-8 \xff", "b"}, false},
	} {
		data := string(encodeRow(nil, c.cells))
		if got := data != "" && data[0] == rowCompact; got != c.compact {
			t.Errorf("%q: compact = %v, want %v (%q)", c.cells, got, c.compact, data)
		}
		if strings.IndexByte(data, 0) >= 0 {
			t.Errorf("%q: encoding %q holds a NUL byte", c.cells, data)
		}
		got, err := decodeRow(data, nil)
		if err != nil {
			t.Fatalf("%q: %v", c.cells, err)
		}
		want := c.cells
		if !c.compact && strings.Contains(want[0], "\xff") {
			want = []string{"bad utf-8 \ufffd", "b"} // as JSON always stored it
		}
		if len(got) != 0 || len(want) != 0 {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decode(encode(%q)) = %q", want, got)
			}
		}
	}
	// a row staged before the compact encoding
	if got, err := decodeRow(`["Ada","Lovelace",null,"x\"y"]`, nil); err != nil || !reflect.DeepEqual(got, []string{"Ada", "Lovelace", "", `x"y`}) {
		t.Fatalf("JSON row: %q, %v", got, err)
	}
	// damaged rows are an error, never a panic
	for _, bad := range []string{"\x01\x05ab", "\x01\x7f12", "\x01\x7fx;ab", "\x01\x00"} {
		if _, err := decodeRow(bad, nil); err == nil {
			t.Errorf("decodeRow(%q): no error", bad)
		}
	}
}

// DecodeStoredRow is decodeRow for the package's external tests.
var DecodeStoredRow = decodeRow
