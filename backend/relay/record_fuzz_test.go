package relay

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseObjectRoundTrip holds the relay's hand-written record scanner
// to encoding/json: for any valid JSON object, parseObject splits it into
// the fields encoding/json sees (a repeated key keeps its last value), and
// writing the fields back gives JSON that decodes to the same value.
// Non-objects are refused; nothing panics.
func FuzzParseObjectRoundTrip(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"x","b":{"c":[1,2,{"d":null}]},"e":true}`, ` { "k\u00e9y" : "v\"q" , "a" : 1.5e3 } `, `{"a":1,"a":2}`, `[1]`, `"s"`, `{"a":}`, `{"a":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := parseObject(b)
		if !json.Valid(b) {
			return // lenient inputs are the importer's to refuse; just no panic
		}
		var want any
		if uerr := json.Unmarshal(b, &want); uerr != nil {
			t.Fatalf("json.Valid but Unmarshal fails: %v", uerr)
		}
		obj, isObject := want.(map[string]any)
		if !isObject {
			if err == nil {
				t.Fatalf("parseObject(%s) accepted a non-object", b)
			}
			return
		}
		if err != nil {
			t.Fatalf("parseObject(%s): %v; encoding/json reads an object", b, err)
		}
		if len(fields) != len(obj) {
			t.Fatalf("parseObject(%s): %d fields, encoding/json reads %d keys", b, len(fields), len(obj))
		}
		out := writeFields(nil, fields)
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("writeFields of %s wrote %s: %v", b, out, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of %s gave %s", b, out)
		}
	})
}
