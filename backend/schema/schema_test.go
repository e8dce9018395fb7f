package schema

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fusebox/backend/errs"
)

func oneColumn(c Column) *Importer {
	if c.Key == "" {
		c.Key = "v"
	}
	if c.Label == "" {
		c.Label = "Value"
	}
	return &Importer{Slug: "t", Name: "T", Columns: []Column{c}}
}

func mustCompile(t *testing.T, imp *Importer) *Schema {
	t.Helper()
	s, err := Compile(imp)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func issuesOf(s *Schema, cells ...string) []Issue { return s.ValidateRow(cells, nil) }

func TestColumnTypes(t *testing.T) {
	tests := []struct {
		typ   Type
		valid []string
		bad   []string
	}{
		{TypeString, []string{"anything", "  ", "ünïcødé"}, nil},
		{TypeInteger, []string{"0", "42", "-7", "+3", "1,234", "1,234,567", " 12 ", "12.0", "1e3"}, []string{"1.5", "abc", "12a", "1,23", "12,3456", "1.2.3", "--1", "99999999999999999999", "0x10", ","}},
		{TypeFloat, []string{"1.5", "-0.25", ".5", "1e-3", "1,234.56", "3", "1E10"}, []string{"1.2.3", "abc", "1,2", "NaN", "Inf", "1e", "."}},
		{TypeBoolean, []string{"yes", "No", "Y", "n", "TRUE", "false", "1", "0", "on", "OFF", "t", "F"}, []string{"2", "maybe", "yess", "nope", "tru"}},
		{TypeEmail, []string{"a@b.co", "first.last+tag@example.com", "x_y@sub.example.org", "ünï@exämple.de"}, []string{"plain", "@example.com", "a@", "a@b", "a@b.c", "a b@c.com", "a@@b.com", "a@b..com", ".a@b.com", "a.@b.com", "a@-b.com", "a@b.c0m1"}},
		{TypeURL, []string{"https://example.com", "http://example.com/a?b=c#d", "example.com", "www.example.co.uk/about", "http://localhost:8080/x", "http://127.0.0.1/", "ftp://files.example.com"}, []string{"not a url", "http://", "javascript:alert(1)", "mailto://x@y.com", "example", "http://exa mple.com", "http://example.com:99999"}},
		{TypePhone, []string{"+1 (555) 123-4567", "555-123-4567", "555.123.4567", "+44 20 7946 0958", "5551234567 x123", "555-123-4567 ext. 12"}, []string{"123", "phone", "555-CALL-NOW", "+1 555 123 4567 8901 2345", "1+5551234567", "5551234567 x"}},
		{TypeDate, []string{"2023-08-31", "08/31/2023", "31.08.2023", "Aug 31, 2023"}, []string{"2023-02-30", "yesterday", "13/13/2023"}},
		{TypeDatetime, []string{"2023-08-31T10:00:00Z", "08/31/2023 10:00"}, []string{"2023-08-31T24:00:00", "now"}},
		{TypeTime, []string{"10:00", "10:00:59", "1:30 PM"}, []string{"25:00", "10:60", "later"}},
	}
	for _, tt := range tests {
		s := mustCompile(t, oneColumn(Column{Type: tt.typ}))
		for _, v := range tt.valid {
			if is := issuesOf(s, v); len(is) != 0 {
				t.Errorf("%s %q: unexpected issues %+v", tt.typ, v, is)
			}
		}
		for _, v := range tt.bad {
			is := issuesOf(s, v)
			want, _ := typeMessage(tt.typ, nil, nil)
			if len(is) != 1 || is[0].Severity != SeverityError || is[0].Message != want {
				t.Errorf("%s %q: issues %+v, want one type error", tt.typ, v, is)
			}
		}
		if is := issuesOf(s, ""); len(is) != 0 {
			t.Errorf("%s: empty optional cell has issues %+v", tt.typ, is)
		}
	}
}

func TestEnumColumn(t *testing.T) {
	s := mustCompile(t, oneColumn(Column{Type: TypeEnum, Values: []EnumValue{
		{Value: "free", Label: "Free plan"},
		{Value: "pro", Label: "Pro", Alternates: []string{"professional", "Prö"}},
	}}))
	for _, v := range []string{"free", "FREE", " Free plan ", "pro", "PROFESSIONAL", "prö", "PRÖ"} {
		if is := issuesOf(s, v); len(is) != 0 {
			t.Errorf("enum %q: unexpected issues %+v", v, is)
		}
	}
	is := issuesOf(s, "gold")
	if len(is) != 1 || is[0].Message != "must be one of: free, pro" {
		t.Errorf("enum gold: %+v", is)
	}
	if got := string(s.AppendRecord(nil, []string{"Professional"})); got != `{"v":"pro"}` {
		t.Errorf("record = %s", got)
	}
}

func TestRequiredAndDefault(t *testing.T) {
	def := Scalar("3")
	s := mustCompile(t, &Importer{Slug: "t", Name: "T", Columns: []Column{
		{Key: "a", Label: "A", Required: true},
		{Key: "b", Label: "B", Type: TypeInteger, Required: true, Default: &def},
	}})
	is := issuesOf(s, " ", "")
	if len(is) != 1 || is[0].Col != 0 || is[0].Message != "is required" {
		t.Fatalf("issues = %+v, want required on a only", is)
	}
	if got := string(s.AppendRecord(nil, []string{"x", ""})); got != `{"a":"x","b":3}` {
		t.Errorf("record with default = %s", got)
	}
	if got := string(s.AppendRecord(nil, []string{"", "5"})); got != `{"a":null,"b":5}` {
		t.Errorf("record = %s", got)
	}
}

func TestValidations(t *testing.T) {
	tests := []struct {
		name  string
		col   Column
		pass  []string
		fail  []string
		msg   string
		sever Severity
	}{
		{"contain", Column{Validations: []Validation{{Type: ValContain, Value: "@acme"}}}, []string{"bob@acme.com"}, []string{"bob@other.com"}, `must contain "@acme"`, SeverityError},
		{"cannot_contain", Column{Validations: []Validation{{Type: ValCannotContain, Value: "test", Message: "no test data", Severity: SeverityWarning}}}, []string{"real"}, []string{"a test row"}, "no test data", SeverityWarning},
		{"max_length", Column{Validations: []Validation{{Type: ValMaxLength, Value: "3"}}}, []string{"abc", "äöü"}, []string{"abcd"}, "must be at most 3 characters", SeverityError},
		{"min_length", Column{Validations: []Validation{{Type: ValMinLength, Value: "2"}}}, []string{"ab"}, []string{"a"}, "must be at least 2 characters", SeverityError},
		{"length_exactly", Column{Validations: []Validation{{Type: ValLengthExactly, Value: "5"}}}, []string{"12345", " 12345 "}, []string{"1234", "123456"}, "must be exactly 5 characters", SeverityError},
		{"regex", Column{Validations: []Validation{{Type: ValRegex, Value: `^[A-Z]{2}\d+$`}}}, []string{"AB12"}, []string{"ab12", "A1"}, `must match ^[A-Z]{2}\d+$`, SeverityError},
		{"greater_than int", Column{Type: TypeInteger, Validations: []Validation{{Type: ValGreaterThan, Value: "10"}}}, []string{"11", "1,000"}, []string{"10", "-5"}, "must be greater than 10", SeverityError},
		{"less_than float", Column{Type: TypeFloat, Validations: []Validation{{Type: ValLessThan, Value: "0.5"}}}, []string{"0.49", "-1"}, []string{"0.5", "2"}, "must be less than 0.5", SeverityError},
		{"even", Column{Type: TypeInteger, Validations: []Validation{{Type: ValEven}}}, []string{"2", "0", "-4"}, []string{"3", "-1"}, "must be an even number", SeverityError},
		{"odd", Column{Type: TypeInteger, Validations: []Validation{{Type: ValOdd}}}, []string{"3", "-1"}, []string{"2", "0"}, "must be an odd number", SeverityError},
		{"before_date", Column{Type: TypeDate, Validations: []Validation{{Type: ValBeforeDate, Value: "2023-01-01"}}}, []string{"2022-12-31", "12/31/2022"}, []string{"2023-01-01", "2024-05-05"}, "must be before 2023-01-01", SeverityError},
		{"after_date datetime", Column{Type: TypeDatetime, Validations: []Validation{{Type: ValAfterDate, Value: "2023-01-01T00:00:00.000Z"}}}, []string{"2023-01-01T00:00:01Z"}, []string{"2022-12-31T23:59:59Z"}, "must be after 2023-01-01T00:00:00.000Z", SeverityError},
		{"after_date time", Column{Type: TypeTime, Validations: []Validation{{Type: ValAfterDate, Value: "09:00"}}}, []string{"09:30"}, []string{"08:59"}, "must be after 09:00", SeverityError},
	}
	for _, tt := range tests {
		s := mustCompile(t, oneColumn(tt.col))
		for _, v := range tt.pass {
			if is := issuesOf(s, v); len(is) != 0 {
				t.Errorf("%s %q: unexpected %+v", tt.name, v, is)
			}
		}
		for _, v := range tt.fail {
			is := issuesOf(s, v)
			if len(is) != 1 || is[0].Message != tt.msg || is[0].Severity != tt.sever {
				t.Errorf("%s %q: issues %+v, want %q (%s)", tt.name, v, is, tt.msg, tt.sever)
			}
		}
	}
}

func TestValidationsSkipOnTypeError(t *testing.T) {
	s := mustCompile(t, oneColumn(Column{Type: TypeInteger, Validations: []Validation{{Type: ValGreaterThan, Value: "5"}, {Type: ValEven}}}))
	is := issuesOf(s, "abc")
	if len(is) != 1 || is[0].Message != "must be a whole number" {
		t.Errorf("issues %+v", is)
	}
	is = issuesOf(s, "3")
	if len(is) != 2 {
		t.Errorf("3: issues %+v, want two", is)
	}
}

func TestTransformations(t *testing.T) {
	tests := []struct {
		name string
		col  Column
		in   string
		want string // JSON value
	}{
		{"uppercase", Column{Transformations: []Transformation{{Type: TrUppercase}}}, "straße café", `"STRAßE CAFÉ"`},
		{"lowercase", Column{Type: TypeEmail, Transformations: []Transformation{{Type: TrLowercase}}}, " Bob@Example.COM ", `"bob@example.com"`},
		{"capitalize", Column{Transformations: []Transformation{{Type: TrCapitalize}}}, "jean-luc o'neil mcDonald", `"Jean-Luc O'neil McDonald"`},
		{"sentence_case", Column{Transformations: []Transformation{{Type: TrSentenceCase}}}, "HELLO WORLD. this IS fine! ok", `"Hello world. This is fine! Ok"`},
		{"trim_whitespace", Column{Transformations: []Transformation{{Type: TrTrimWhitespace}}}, "  padded  ", `"padded"`},
		{"string kept raw", Column{}, "  padded  ", `"  padded  "`},
		{"round int", Column{Type: TypeInteger, Transformations: []Transformation{{Type: TrRound}}}, "2.5", `3`},
		{"floor int", Column{Type: TypeInteger, Transformations: []Transformation{{Type: TrFloor}}}, "2.9", `2`},
		{"ceiling int", Column{Type: TypeInteger, Transformations: []Transformation{{Type: TrCeiling}}}, "2.1", `3`},
		{"int plain", Column{Type: TypeInteger}, "1,234", `1234`},
		{"round float", Column{Type: TypeFloat, Transformations: []Transformation{{Type: TrRound}}}, "-2.5", `-3`},
		{"number_of_decimals", Column{Type: TypeFloat, Transformations: []Transformation{{Type: TrNumberOfDecimals, Value: "2"}}}, "3.14159", `3.14`},
		{"number_of_decimals pads", Column{Type: TypeFloat, Transformations: []Transformation{{Type: TrNumberOfDecimals, Value: "2"}}}, "3", `3.00`},
		{"float plain", Column{Type: TypeFloat}, "1,234.5", `1234.5`},
		{"boolean", Column{Type: TypeBoolean}, "Yes", `true`},
		{"date iso", Column{Type: TypeDate}, "08/31/2023", `"2023-08-31"`},
		{"date autoformat", Column{Type: TypeDate, Transformations: []Transformation{{Type: TrAutoformat, Value: "dd.MM.yyyy"}}}, "2023-08-31", `"31.08.2023"`},
		{"date autoformat to column pattern", Column{Type: TypeDate, Pattern: "MM/dd/yyyy", Transformations: []Transformation{{Type: TrAutoformat}}}, "31.08.2023", `"08/31/2023"`},
		{"datetime iso", Column{Type: TypeDatetime}, "08/31/2023 1:30 PM", `"2023-08-31T13:30:00"`},
		{"time iso", Column{Type: TypeTime}, "1:30 PM", `"13:30:00"`},
		{"url prefix", Column{Type: TypeURL, Transformations: []Transformation{{Type: TrPrefix}}}, "example.com", `"https://example.com"`},
		{"url prefix keeps scheme", Column{Type: TypeURL, Transformations: []Transformation{{Type: TrPrefix, Value: "http://"}}}, "https://example.com", `"https://example.com"`},
		{"invalid kept as text", Column{Type: TypeInteger}, "abc", `"abc"`},
		{"empty is null", Column{Type: TypeInteger}, " ", `null`},
		{"json escaping", Column{}, "a\"b\\c\nd\x01", `"a\"b\\c\nd\u0001"`},
	}
	for _, tt := range tests {
		s := mustCompile(t, oneColumn(tt.col))
		got := string(s.AppendRecord(nil, []string{tt.in}))
		want := `{"v":` + tt.want + `}`
		if got != want {
			t.Errorf("%s: record = %s, want %s", tt.name, got, want)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Errorf("%s: record is not JSON: %v", tt.name, err)
		}
		// the stored compact form turns back into the same object
		obj, err := s.RecordObject(nil, string(s.AppendRecordValues(nil, []string{tt.in})))
		if err != nil || string(obj) != got {
			t.Errorf("%s: RecordObject = %s, %v; want %s", tt.name, obj, err, got)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		imp  Importer
		want string
	}{
		{"bad regex", Importer{Slug: "contacts", Name: "C", Columns: []Column{{Key: "name", Label: "N"}, {Key: "email", Label: "E", Validations: []Validation{{Type: ValMaxLength, Value: "5"}, {Type: ValRegex, Value: "(["}}}}},
			`importer "contacts": column "email": validations[1].regex: invalid regex "([": missing closing ]`},
		{"unknown type", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Type: "money"}}}, `column "a": type: unknown type "money"`},
		{"enum without values", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "plan", Label: "Plan", Type: TypeEnum}}}, `column "plan": values: an enum column needs at least one value`},
		{"duplicate keys", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A"}, {Key: "a", Label: "B"}}}, `column "a": key: duplicate key "a"`},
		{"unknown validation", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Validations: []Validation{{Type: "shiny"}}}}}, `column "a": validations[0]: unknown validation "shiny"`},
		{"unknown transformation", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Transformations: []Transformation{{Type: "sparkle"}}}}}, `column "a": transformations[0]: unknown transformation "sparkle"`},
		{"even on string", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Validations: []Validation{{Type: ValEven}}}}}, `column "a": validations[0].even: only for integer columns`},
		{"bad max_length", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Validations: []Validation{{Type: ValMaxLength, Value: "x"}}}}}, `validations[0].max_length: value "x" must be a whole number`},
		{"bad severity", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Validations: []Validation{{Type: ValContain, Value: "x", Severity: "fatal"}}}}}, `validations[0].severity: "fatal" must be error or warning`},
		{"bad before_date", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "d", Label: "D", Type: TypeDate, Validations: []Validation{{Type: ValBeforeDate, Value: "soon"}}}}}, `validations[0].before_date: value "soon" is not a date`},
		{"pattern on string", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Pattern: "yyyy"}}}, `column "a": pattern: only date, datetime and time columns take a pattern`},
		{"bad pattern", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "d", Label: "D", Type: TypeDate, Pattern: "MM/dd"}}}, `column "d": pattern: "MM/dd" has no year`},
		{"values on string", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Values: []EnumValue{{Value: "x"}}}}}, `column "a": values: only enum columns take values`},
		{"duplicate enum value", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "p", Label: "P", Type: TypeEnum, Values: []EnumValue{{Value: "a"}, {Value: "A"}}}}}, `values[1].value: "A" duplicates values[0]`},
		{"unique_with unknown", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", UniqueWith: []string{"zz"}}}}, `column "a": unique_with[0]: unknown column "zz"`},
		{"bad unique", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Unique: "always"}}}, `column "a": unique: "always" must be case_sensitive or case_insensitive`},
		{"bad default", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "n", Label: "N", Type: TypeInteger, Default: ptr(Scalar("many"))}}}, `column "n": default: "many" is not valid for a integer column`},
		{"bad slug", Importer{Slug: "Bad Slug", Name: "C", Columns: []Column{{Key: "a", Label: "A"}}}, `slug: "Bad Slug" must be`},
		{"no columns", Importer{Slug: "c", Name: "C"}, `columns: an importer needs at least one column`},
		{"bad key", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "has space", Label: "A"}}}, `column "#1": key: "has space" must start`},
		{"bad invalid_rows", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A"}}, Settings: Settings{InvalidRows: "skip"}}, `settings.invalid_rows: "skip" must be block, exclude or include`},
		{"bad ttl", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A"}}, Settings: Settings{SessionTTL: "forever"}}, `settings.session_ttl: "forever"`},
		{"bad file type", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A"}}, Settings: Settings{AllowedFileTypes: []string{"csv", "exe"}}}, `settings.allowed_file_types[1]: "exe" is not one of`},
		{"bad origin", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A"}}, Settings: Settings{AllowedOrigins: []string{"https://ok.example.com", "https://x.com/path"}}}, `settings.allowed_origins[1]: "https://x.com/path" must be an origin`},
		{"bad max size", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A"}}, Settings: Settings{MaxFileSize: "huge"}}, `settings.max_file_size: "huge"`},
		{"header clash", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "email", Label: "Email"}, {Key: "mail", Label: "Mail", Alternates: []string{"E-mail"}}}}, `column "mail": alternates: header name "E-mail" is also claimed by column "email"`},
		{"autoformat without pattern", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "d", Label: "D", Type: TypeDate, Transformations: []Transformation{{Type: TrAutoformat}}}}}, `transformations[0].autoformat: needs a value`},
		{"prefix on string", Importer{Slug: "c", Name: "C", Columns: []Column{{Key: "a", Label: "A", Transformations: []Transformation{{Type: TrPrefix}}}}}, `transformations[0].prefix: only for url columns`},
	}
	for _, tt := range tests {
		_, err := Compile(&tt.imp)
		if err == nil {
			t.Errorf("%s: Compile succeeded, want error containing %q", tt.name, tt.want)
			continue
		}
		if errs.Code(err) != errs.EINVALID {
			t.Errorf("%s: code %s, want EINVALID", tt.name, errs.Code(err))
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q\n  does not contain %q", tt.name, err, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestCompileValid(t *testing.T) {
	imp := &Importer{Slug: "contacts", Name: "Contacts", Settings: Settings{InvalidRows: "exclude", SessionTTL: "2h", AllowedFileTypes: []string{"csv", "XLSX"}, MaxFileSize: "100MB",
		AllowedOrigins: []string{"https://app.example.com", "http://localhost:3000", "http://127.0.0.1:8080"}},
		Columns: []Column{
			{Key: "email", Label: "Email", Type: TypeEmail, Required: true, Unique: "true"},
			{Key: "first", Label: "First name", UniqueWith: []string{"last"}},
			{Key: "last", Label: "Last name"},
		}}
	s := mustCompile(t, imp)
	if got := imp.Settings.MaxFileBytes(); got != 100_000_000 {
		t.Errorf("MaxFileBytes = %d", got)
	}
	if !imp.Settings.AllowsFileType(".xlsx") || imp.Settings.AllowsFileType("json") {
		t.Errorf("AllowsFileType wrong")
	}
	if imp.Settings.TTL().Hours() != 2 {
		t.Errorf("TTL = %v", imp.Settings.TTL())
	}
	gs := s.UniqueGroups()
	if len(gs) != 2 || gs[0].Message != "must be unique" || gs[1].Message != "the combination of first, last must be unique" {
		t.Fatalf("groups = %+v", gs)
	}
	k1, ok1 := s.AppendUniqueKey(nil, &gs[1], []string{"x", " Ann ", "Lee"})
	k2, _ := s.AppendUniqueKey(nil, &gs[1], []string{"y", "Ann", "Lee "})
	if !ok1 || string(k1) != string(k2) {
		t.Errorf("composite keys %q %q", k1, k2)
	}
	if _, ok := s.AppendUniqueKey(nil, &gs[1], []string{"x", "", " "}); ok {
		t.Errorf("empty tuple should not take part in uniqueness")
	}
}

func TestScalarJSON(t *testing.T) {
	var v Validation
	if err := json.Unmarshal([]byte(`{"type":"max_length","value":18}`), &v); err != nil || v.Value != "18" {
		t.Fatalf("number value: %v %q", err, v.Value)
	}
	if err := json.Unmarshal([]byte(`{"type":"contain","value":"x"}`), &v); err != nil || v.Value != "x" {
		t.Fatalf("string value: %v %q", err, v.Value)
	}
	if err := json.Unmarshal([]byte(`{"type":"contain","value":{"a":1}}`), &v); err == nil {
		t.Fatalf("object value accepted")
	}
}

func TestRowJSONRoundTrip(t *testing.T) {
	rows := [][]string{
		{},
		{""},
		{"plain", "with \"quotes\"", "back\\slash", "new\nline", "tab\t", "ünïcødé", "\x00\x1f", "emoji 🎉", "\u2028"},
	}
	for _, r := range rows {
		b := AppendRowJSON(nil, r)
		var std []string
		if err := json.Unmarshal(b, &std); err != nil {
			t.Fatalf("%q: not JSON: %v", b, err)
		}
		got, err := DecodeRowJSON(string(b), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(r) {
			t.Fatalf("len %d want %d", len(got), len(r))
		}
		for i := range r {
			if got[i] != r[i] || std[i] != r[i] {
				t.Errorf("cell %d: %q / %q want %q", i, got[i], std[i], r[i])
			}
		}
	}
	// what encoding/json writes decodes too (escapes, surrogates, null)
	got, err := DecodeRowJSON(`[ "a\u00e9\ud83c\udf89" , null, "x\/y" ]`, nil)
	if err != nil || len(got) != 3 || got[0] != "aé🎉" || got[1] != "" || got[2] != "x/y" {
		t.Errorf("decode = %q, %v", got, err)
	}
	for _, bad := range []string{``, `[`, `["a"`, `["a" "b"]`, `{"a":1}`, `["\q"]`} {
		if _, err := DecodeRowJSON(bad, nil); err == nil {
			t.Errorf("DecodeRowJSON(%q) succeeded", bad)
		}
	}
	// invalid UTF-8 is replaced, never produces invalid JSON
	b := AppendRowJSON(nil, []string{"a\xffb"})
	if string(b) != `["a\ufffdb"]` {
		t.Errorf("invalid utf-8 encoded as %s", b)
	}
}

func TestValidateRowAllocations(t *testing.T) {
	s := mustCompile(t, &Importer{Slug: "t", Name: "T", Columns: []Column{
		{Key: "email", Label: "Email", Type: TypeEmail, Required: true, Validations: []Validation{{Type: ValMaxLength, Value: "80"}}},
		{Key: "n", Label: "N", Type: TypeInteger, Validations: []Validation{{Type: ValGreaterThan, Value: "0"}}},
		{Key: "f", Label: "F", Type: TypeFloat},
		{Key: "d", Label: "D", Type: TypeDate, Pattern: "MM/dd/yyyy"},
		{Key: "b", Label: "B", Type: TypeBoolean},
		{Key: "p", Label: "P", Type: TypeEnum, Values: []EnumValue{{Value: "free"}, {Value: "pro"}}},
		{Key: "u", Label: "U", Type: TypeURL},
		{Key: "ph", Label: "Ph", Type: TypePhone},
		{Key: "s", Label: "S", Validations: []Validation{{Type: ValRegex, Value: `^[a-z]+$`}}},
	}})
	row := []string{"bob@example.com", "1,234", "3.5", "08/31/2023", "yes", "Pro", "example.com/x", "+1 555 123 4567", "abc"}
	bad := []string{"bob", "x", "y", "13/45/2023", "maybe", "gold", "no url", "12", "ABC"}
	out := make([]Issue, 0, 32)
	allocs := testing.AllocsPerRun(200, func() {
		out = s.ValidateRow(row, out[:0])
		out = s.ValidateRow(bad, out[:0])
	})
	if allocs != 0 {
		t.Errorf("ValidateRow allocates %.1f times per run", allocs)
	}
	if len(s.ValidateRow(row, nil)) != 0 {
		t.Errorf("good row has issues: %+v", s.ValidateRow(row, nil))
	}
	if n := len(s.ValidateRow(bad, nil)); n != 9 {
		t.Errorf("bad row has %d issues, want 9", n)
	}
}

// benchSchema is the 10-column schema of the ValidateRow benchmarks.
func benchSchema(b *testing.B) *Schema {
	b.Helper()
	s, err := Compile(&Importer{Slug: "t", Name: "T", Columns: []Column{
		{Key: "email", Label: "Email", Type: TypeEmail, Required: true},
		{Key: "n", Label: "N", Type: TypeInteger},
		{Key: "f", Label: "F", Type: TypeFloat},
		{Key: "d", Label: "D", Type: TypeDate},
		{Key: "b", Label: "B", Type: TypeBoolean},
		{Key: "p", Label: "P", Type: TypeEnum, Values: []EnumValue{{Value: "free"}, {Value: "pro"}}},
		{Key: "u", Label: "U", Type: TypeURL},
		{Key: "ph", Label: "Ph", Type: TypePhone},
		{Key: "s", Label: "S", Validations: []Validation{{Type: ValMaxLength, Value: "40"}}},
		{Key: "t", Label: "T", Type: TypeString},
	}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

var benchValidRow = []string{"bob@example.com", "1234", "3.5", "2023-08-31", "yes", "pro", "https://example.com/x", "+1 555 123 4567", "Acme Inc", "note"}

// BenchmarkValidateRow validates a valid 10-column row.
func BenchmarkValidateRow(b *testing.B) {
	s := benchSchema(b)
	out := make([]Issue, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		out = s.ValidateRow(benchValidRow, out[:0])
	}
}

// BenchmarkValidateRowInvalid10pct validates rows of which 10% are
// invalid, with errors of several kinds (one op = one row): a pool of 100
// rows, 10 of them each breaking a different rule.
func BenchmarkValidateRowInvalid10pct(b *testing.B) {
	s := benchSchema(b)
	bad := [][2]string{ // column index, bad value
		{"0", "bob-at-example.com"},        // email
		{"1", "many"},                      // integer
		{"2", "3.5.1"},                     // float
		{"3", "2023-02-30"},                // impossible date
		{"4", "maybe"},                     // boolean
		{"5", "gold"},                      // enum value
		{"6", "not a url"},                 // URL
		{"7", "12"},                        // phone
		{"8", strings.Repeat("Acme ", 10)}, // max length 40
		{"0", ""},                          // required
	}
	rows := make([][]string, 100)
	for i := range rows {
		rows[i] = slices.Clone(benchValidRow)
	}
	for k, bv := range bad {
		col, _ := strconv.Atoi(bv[0])
		rows[k*10+3][col] = bv[1]
	}
	invalid := 0
	for _, r := range rows {
		if len(s.ValidateRow(r, nil)) > 0 {
			invalid++
		}
	}
	if invalid != len(bad) {
		b.Fatalf("%d of %d rows are invalid, want %d", invalid, len(rows), len(bad))
	}
	out := make([]Issue, 0, 16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		out = s.ValidateRow(rows[i%len(rows)], out[:0])
		i++
	}
}
