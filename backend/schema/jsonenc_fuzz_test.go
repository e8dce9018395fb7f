package schema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRowJSONRoundTrip holds the hand-written staged-row encoder and
// decoder to encoding/json: what AppendRowJSON writes is valid JSON that
// encoding/json reads as the same cells (invalid UTF-8 replaced as
// encoding/json replaces it), and DecodeRowJSON reads it back the same.
func FuzzRowJSONRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\"quoted\"\x00back\\slash", "tab\tnew\nline\r", "\u2028\u2029", "\xff\xfe", "é中😀", "<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		cells := strings.Split(joined, "\x00")
		enc := AppendRowJSON(nil, cells)
		if !json.Valid(enc) {
			t.Fatalf("AppendRowJSON(%q) = %s: not valid JSON", cells, enc)
		}
		var want []string
		if err := json.Unmarshal(enc, &want); err != nil {
			t.Fatalf("encoding/json cannot read %s: %v", enc, err)
		}
		std, _ := json.Marshal(cells)
		var viaStd []string
		if err := json.Unmarshal(std, &viaStd); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(want, viaStd) {
			t.Fatalf("cells %q: AppendRowJSON reads back %q, encoding/json round trip gives %q", cells, want, viaStd)
		}
		got, err := DecodeRowJSON(string(enc), nil)
		if err != nil {
			t.Fatalf("DecodeRowJSON(%s): %v", enc, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("DecodeRowJSON(%s) = %q, encoding/json reads %q", enc, got, want)
		}
	})
}

// FuzzDecodeRowJSON feeds arbitrary text to DecodeRowJSON: whatever
// encoding/json reads as an array of strings (or nulls), DecodeRowJSON
// must read the same. (DecodeRowJSON may accept more, e.g. hand-written
// numbers; staged rows are always written by AppendRowJSON.)
func FuzzDecodeRowJSON(f *testing.F) {
	for _, s := range []string{`[]`, `["a","b"]`, `[null,"x"]`, ` [ "\u00e9" , "\ud83d\ude00" ] `, `["\ud800"]`, `["a\/b\"c\\"]`, `[1,true]`, `["`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // staged rows are valid UTF-8: AppendRowJSON writes them
		}
		var want []*string
		if err := json.Unmarshal([]byte(s), &want); err != nil || want == nil {
			_, _ = DecodeRowJSON(s, nil) // must not panic
			return
		}
		got, err := DecodeRowJSON(s, nil)
		if err != nil {
			t.Fatalf("DecodeRowJSON(%q): %v; encoding/json reads %d cells", s, err, len(want))
		}
		if len(got) != len(want) {
			t.Fatalf("DecodeRowJSON(%q) = %q: %d cells, encoding/json reads %d", s, got, len(got), len(want))
		}
		for i, w := range want {
			wv := ""
			if w != nil {
				wv = *w
			}
			if got[i] != wv {
				t.Fatalf("DecodeRowJSON(%q) cell %d = %q, encoding/json reads %q", s, i, got[i], wv)
			}
		}
	})
}

// FuzzDecodeObjectJSON holds DecodeObjectJSON to encoding/json: whatever
// valid UTF-8 text encoding/json reads into a map[string]string,
// DecodeObjectJSON reads the same. (It may accept more, e.g. control
// characters in strings; the index's records are written by
// AppendJSONString or encoding/json.)
func FuzzDecodeObjectJSON(f *testing.F) {
	for _, s := range []string{`{}`, ` { } `, `{"a":"b","c":"d"}`, `{"a":null}`, `{"a":"x","a":null}`, `{"a":"x","a":"y"}`, `{ "\u00e9" : "\ud83d\ude00" }`,
		`{"a":"\ud800"}`, `{"a\/b":"\"c\\"}`, `{"a":1}`, `{"a"}`, `{"a":"b",}`, `{"a":"b"} x`, `{"a":"b"`, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the index stores valid UTF-8
		}
		var want map[string]string
		werr := json.Unmarshal([]byte(s), &want)
		got := map[string]string{"stale": "x"}
		gerr := DecodeObjectJSON(s, got)
		if werr != nil || want == nil {
			return
		}
		if gerr != nil {
			t.Fatalf("DecodeObjectJSON(%q): %v; encoding/json reads %v", s, gerr, want)
		}
		if len(got) != len(want) {
			t.Fatalf("DecodeObjectJSON(%q) = %q, encoding/json reads %q", s, got, want)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Fatalf("DecodeObjectJSON(%q) = %q, encoding/json reads %q", s, got, want)
			}
		}
	})
}
