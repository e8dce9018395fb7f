package schema

import (
	"reflect"
	"testing"
)

// The examples a type message gives must be values the column accepts.
func TestTypeMessageExamplesParse(t *testing.T) {
	cols := []Column{
		{Type: TypeDate},
		{Type: TypeDate, Pattern: "MM/dd/yyyy"},
		{Type: TypeDate, Pattern: "dd/MM/yyyy"},
		{Type: TypeDate, Pattern: "yyyy-MM-dd"},
		{Type: TypeDate, Pattern: "dd.MM.yyyy"},
		{Type: TypeDate, Pattern: "MMM d, yyyy"},
		{Type: TypeDatetime},
		{Type: TypeDatetime, Pattern: "dd/MM/yyyy HH:mm"},
		{Type: TypeTime},
		{Type: TypeTime, Pattern: "hh:mm a"},
		{Type: TypeFloat},
		{Type: TypeEmail},
		{Type: TypeURL},
		{Type: TypePhone},
	}
	for _, col := range cols {
		s := mustCompile(t, oneColumn(col))
		is := issuesOf(s, "certainly not valid @@")
		if len(is) != 1 {
			t.Fatalf("%s %q: want one issue, got %+v", col.Type, col.Pattern, is)
		}
		codes := s.IssueCodes(0, is[0].Message)
		if len(codes) != 1 || codes[0].Code != "type."+string(col.Type) {
			t.Fatalf("%s %q: codes %+v", col.Type, col.Pattern, codes)
		}
		if len(codes[0].Params) == 0 {
			t.Fatalf("%s %q: message %q has no examples", col.Type, col.Pattern, is[0].Message)
		}
		for k, ex := range codes[0].Params {
			if bad := issuesOf(s, ex); len(bad) != 0 {
				t.Errorf("%s %q: example %s=%q in %q is refused: %+v", col.Type, col.Pattern, k, ex, is[0].Message, bad)
			}
		}
	}
}

func TestDateMessageNamesAcceptedFormats(t *testing.T) {
	s := mustCompile(t, oneColumn(Column{Type: TypeDate, Pattern: "MM/dd/yyyy"}))
	is := issuesOf(s, "10/4/15x")
	if len(is) != 1 || is[0].Message != "must be a date such as 10/04/2015 or 2015-10-04" {
		t.Fatalf("issues %+v", is)
	}
	// what the message promises, and a month name, are accepted
	for _, v := range []string{"10/04/2015", "2015-10-04", "May 21, 2023", "10/4/15"} {
		if bad := issuesOf(s, v); len(bad) != 0 {
			t.Errorf("%q refused: %+v", v, bad)
		}
	}
}

func TestIssueCodes(t *testing.T) {
	def := &Importer{Slug: "c", Name: "C", Columns: []Column{
		{Key: "n", Label: "N", Type: TypeInteger, Required: true, Validations: []Validation{
			{Type: ValGreaterThan, Value: "0"},
			{Type: ValLessThan, Value: "100", Message: "Keep it under 100"},
		}},
		{Key: "e", Label: "E", Type: TypeEmail, Unique: UniqueCaseInsensitive},
		{Key: "p", Label: "P", Type: TypeEnum, Values: []EnumValue{{Value: "free"}, {Value: "pro"}}},
		{Key: "s", Label: "S", Type: TypeString, Validations: []Validation{{Type: ValMaxLength, Value: "3"}}},
	}}
	s, err := Compile(def)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		col  int
		msg  string
		want []IssueCode
	}{
		{0, "is required", []IssueCode{{Code: CodeRequired}}},
		{0, "must be a whole number", []IssueCode{{Code: "type.integer"}}},
		{0, "must be greater than 0", []IssueCode{{Code: "greater_than", Params: map[string]string{"value": "0"}}}},
		{0, "Keep it under 100", []IssueCode{{Code: CodeCustom}}},
		{0, "must be greater than 0; Keep it under 100", []IssueCode{{Code: "greater_than", Params: map[string]string{"value": "0"}}, {Code: CodeCustom}}},
		{1, "must be unique (case-insensitive)", []IssueCode{{Code: CodeUniqueCI}}},
		{2, "must be one of: free, pro", []IssueCode{{Code: "type.enum", Params: map[string]string{"values": "free, pro"}}}},
		{3, "must be at most 3 characters", []IssueCode{{Code: "max_length", Params: map[string]string{"n": "3"}}}},
		{3, "something else entirely", []IssueCode{{Code: CodeCustom}}},
	}
	for _, tt := range tests {
		if got := s.IssueCodes(tt.col, tt.msg); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("IssueCodes(%d, %q) = %+v, want %+v", tt.col, tt.msg, got, tt.want)
		}
	}
	// every message ValidateRow produces has a code other than custom
	for _, is := range s.ValidateRow([]string{"-5", "x", "gold", "abcd"}, nil) {
		for _, c := range s.IssueCodes(is.Col, is.Message) {
			if c.Code == CodeCustom {
				t.Errorf("column %d: %q has no code", is.Col, is.Message)
			}
		}
	}
}
