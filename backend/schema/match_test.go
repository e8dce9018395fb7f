package schema

import (
	"strings"
	"testing"
)

func contactsDef() *Importer {
	return &Importer{Slug: "contacts", Name: "Contacts", Columns: []Column{
		{Key: "first_name", Label: "First name", Required: true},
		{Key: "last_name", Label: "Last name"},
		{Key: "email", Label: "Email", Type: TypeEmail, Required: true, Unique: UniqueCaseInsensitive},
		{Key: "phone", Label: "Phone", Type: TypePhone},
		{Key: "company", Label: "Company", Alternates: []string{"Account"}},
		{Key: "plan", Label: "Plan", Type: TypeEnum, Values: []EnumValue{{Value: "free", Label: "Free"}, {Value: "pro", Label: "Pro", Alternates: []string{"professional"}}, {Value: "enterprise", Label: "Enterprise"}}},
		{Key: "signup_date", Label: "Signup date", Type: TypeDate},
		{Key: "seats", Label: "Seats", Type: TypeInteger},
		{Key: "website", Label: "Website", Type: TypeURL},
	}}
}

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"First Name": "firstname", "first_name": "firstname", "FIRST-NAME": "firstname", " E-mail address ": "emailaddress",
		"Prénom": "prénom", "#": "", "Seats (#)": "seats",
	} {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
	if got := strings.Join(headerTokens("firstName"), " "); got != "first name" {
		t.Errorf("tokens(firstName) = %q", got)
	}
	if got := strings.Join(headerTokens("Surname"), " "); got != "last name" {
		t.Errorf("tokens(Surname) = %q", got)
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b   string
		lo, hi float64
	}{
		{"martha", "marhta", 0.96, 0.962},
		{"dwayne", "duane", 0.83, 0.85},
		{"dixon", "dicksonx", 0.81, 0.82},
		{"abc", "abc", 1, 1},
		{"abc", "xyz", 0, 0},
		{"", "x", 0, 0},
	}
	for _, tt := range tests {
		if got := JaroWinkler(tt.a, tt.b); got < tt.lo || got > tt.hi {
			t.Errorf("JaroWinkler(%q,%q) = %.4f, want in [%.3f,%.3f]", tt.a, tt.b, got, tt.lo, tt.hi)
		}
	}
}

func TestSuggestMapping(t *testing.T) {
	s := mustCompile(t, contactsDef())
	headers := []string{"E-Mail", "First Name", "Surname", "Telephone", "Account", "Plan Tier", "Signup Dt", "Notes", "seats", "Web site"}
	sg := s.SuggestMapping(headers, nil, nil)
	want := []struct {
		key, source string
		minConf     float64
	}{
		{"email", "exact", 1},
		{"first_name", "exact", 1},
		{"last_name", "synonym", 0.95},
		{"phone", "synonym", 0.95},
		{"company", "alternate", 1},
		{"plan", "fuzzy", 0.8},
		{"signup_date", "fuzzy", 0.8},
		{"", "none", 0},
		{"seats", "exact", 1},
		{"website", "exact", 1},
	}
	for i, w := range want {
		got := sg.Columns[i]
		if got.Key != w.key || got.Source != w.source || got.Confidence < w.minConf || got.Confidence > 1 {
			t.Errorf("%q -> %+v, want key %q source %s conf >= %.2f", headers[i], got, w.key, w.source, w.minConf)
		}
	}
	if len(sg.UnmappedRequired) != 0 {
		t.Errorf("unmapped required = %v", sg.UnmappedRequired)
	}

	// a file without email: flagged as required and unmapped
	sg = s.SuggestMapping([]string{"First Name", "Company"}, nil, nil)
	if strings.Join(sg.UnmappedRequired, ",") != "email" {
		t.Errorf("unmapped required = %v", sg.UnmappedRequired)
	}

	// each importer column at most once: the exact match wins
	sg = s.SuggestMapping([]string{"Emails", "Email"}, nil, nil)
	if sg.Columns[1].Key != "email" || sg.Columns[0].Key == "email" {
		t.Errorf("duplicate assignment: %+v", sg.Columns)
	}
}

func TestSuggestMappingSentenceHeaders(t *testing.T) {
	s := mustCompile(t, contactsDef())
	// a title cell taken as a header mentions an alternate name ("Account")
	// but is no column name: no suggestion, or a low one
	sg := s.SuggestMapping([]string{"Account list (confidential)", "Exported from the CRM on 2024-05-01 by the sales team"}, nil, nil)
	for _, c := range sg.Columns {
		if c.Key != "" || c.Confidence >= FuzzyThreshold {
			t.Errorf("%q -> %+v, want no suggestion", c.Header, c)
		}
	}
	// one extra word still counts as containing the name
	sg = s.SuggestMapping([]string{"Email Address", "Company name"}, nil, nil)
	if c := sg.Columns[0]; c.Key != "email" || c.Confidence < 0.85 {
		t.Errorf("Email Address -> %+v", c)
	}
	if c := sg.Columns[1]; c.Key != "company" || c.Confidence < 0.85 {
		t.Errorf("Company name -> %+v", c)
	}
}

func TestSuggestMappingMemory(t *testing.T) {
	s := mustCompile(t, contactsDef())
	headers := []string{"Contact", "Org", "Notes"}
	importerMem := HeaderMemory{"contact": "email", "notes": "company"}
	userMem := HeaderMemory{"notes": ""} // this user ignores "Notes"
	sg := s.SuggestMapping(headers, userMem, importerMem)
	if c := sg.Columns[0]; c.Key != "email" || c.Source != "memory" || c.Confidence != 1 {
		t.Errorf("Contact -> %+v", c)
	}
	if c := sg.Columns[2]; c.Key != "" || c.Source != "user_memory" {
		t.Errorf("Notes -> %+v (user memory says ignore)", c)
	}
	if c := sg.Columns[1]; c.Key != "company" || c.Source != "synonym" {
		t.Errorf("Org -> %+v", c)
	}
	// user memory beats importer memory
	sg = s.SuggestMapping([]string{"Contact"}, HeaderMemory{"contact": "first_name"}, importerMem)
	if c := sg.Columns[0]; c.Key != "first_name" || c.Source != "user_memory" {
		t.Errorf("Contact -> %+v", c)
	}
	// a remembered key that no longer exists is skipped
	sg = s.SuggestMapping([]string{"Email"}, HeaderMemory{"email": "gone"}, nil)
	if c := sg.Columns[0]; c.Key != "email" || c.Source != "exact" {
		t.Errorf("Email -> %+v", c)
	}
}

func TestResolveMapping(t *testing.T) {
	s := mustCompile(t, contactsDef())
	headers := []string{"Email", "Name", "Plan"}
	idx := func(i int) *int { return &i }
	src, err := s.Resolve(Mapping{Columns: []MappedColumn{{Index: idx(0), Key: "email"}, {Header: "name", Key: "first_name"}, {Header: "Plan", Key: "plan"}},
		Values: map[string]map[string]string{"plan": {"Gold": "enterprise"}}}, headers)
	if err != nil {
		t.Fatal(err)
	}
	if src[s.Index("email")] != 0 || src[s.Index("first_name")] != 1 || src[s.Index("plan")] != 2 || src[s.Index("phone")] != -1 {
		t.Errorf("src = %v", src)
	}
	bad := []struct {
		m    Mapping
		want string
	}{
		{Mapping{Columns: []MappedColumn{{Index: idx(5), Key: "email"}}}, "file column 5 does not exist"},
		{Mapping{Columns: []MappedColumn{{Header: "Nope", Key: "email"}}}, `the file has no column "Nope"`},
		{Mapping{Columns: []MappedColumn{{Index: idx(0), Key: "zzz"}}}, `has no column "zzz"`},
		{Mapping{Columns: []MappedColumn{{Index: idx(0), Key: "email"}, {Index: idx(1), Key: "email"}}}, `column "email" is mapped from two file columns`},
		{Mapping{Columns: []MappedColumn{{Index: idx(0), Key: "email"}, {Index: idx(0), Key: "phone"}}}, `is mapped twice`},
		{Mapping{Values: map[string]map[string]string{"plan": {"Gold": "platinum"}}}, `has no value "platinum"`},
		{Mapping{Values: map[string]map[string]string{"email": {"a": "b"}}}, `not an enum column`},
	}
	for _, b := range bad {
		if _, err := s.Resolve(b.m, headers); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Resolve: err %v, want %q", err, b.want)
		}
	}
}

func TestSuggestValues(t *testing.T) {
	s := mustCompile(t, contactsDef())
	plan := s.Index("plan")
	got, err := s.SuggestValues(plan, []string{"FREE", "Professional", "Enterprize", "Gold", "Premium"}, nil, map[string]string{"premium": "pro"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ to, source string }{{"free", "exact"}, {"pro", "exact"}, {"enterprise", "fuzzy"}, {"", "none"}, {"pro", "memory"}}
	for i, w := range want {
		if got[i].To != w.to || got[i].Source != w.source {
			t.Errorf("%q -> %+v, want %s (%s)", got[i].From, got[i], w.to, w.source)
		}
	}
	if _, err := s.SuggestValues(s.Index("email"), []string{"x"}, nil, nil); err == nil {
		t.Errorf("SuggestValues on a non-enum column succeeded")
	}
}
