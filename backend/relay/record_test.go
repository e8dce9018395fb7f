package relay

import (
	"strings"
	"testing"
)

func TestParseObject(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{"flat", `{"a":1,"b":"x","c":null}`, `{"a":1,"b":"x","c":null}`, ""},
		{"spaces kept out", " { \"a\" : [1, {\"b\": 2}] , \"c\" : true } ", `{"a":[1, {"b": 2}],"c":true}`, ""},
		{"escaped key", `{"a\"b":1,"\u00e9":2}`, `{"a\"b":1,"é":2}`, ""},
		{"duplicate keeps last value at first place", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`, ""},
		{"empty", `{}`, `{}`, ""},
		{"strings with braces", `{"a":"}{,\"","b":"]"}`, `{"a":"}{,\"","b":"]"}`, ""},
		{"array is not an object", `[1]`, "", "JSON object"},
		{"truncated", `{"a":1`, "", "unexpected end"},
		{"bad literal", `{"a":tru}`, "", "not a JSON value"},
		{"trailing data", `{"a":1} x`, "", "data after"},
		{"missing colon", `{"a" 1}`, "", "expected :"},
		{"unterminated string", `{"a":"x}`, "", "unterminated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields, err := parseObject([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(writeFields(nil, fields)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func mustShaper(t *testing.T, d Destination) *shaper {
	t.Helper()
	d.ID, d.URL = "t", "http://example.test/"
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	s, err := newShaper(&d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestShape(t *testing.T) {
	no := false
	ctx := &Context{ImportSlug: "imp_1", Importer: "contacts", UserID: "u-7", FileName: "people.csv",
		Metadata: map[string]any{"user_id": "u-7", "org": map[string]any{"id": 42.0}, "user_group": "admins"}}
	tests := []struct {
		name    string
		d       Destination
		rec     string
		body    string
		query   string
		headers string
		token   string
	}{
		{
			name: "passthrough keeps the record as it is",
			rec:  `{"b":1,"a":"x"}`, body: `{"b":1,"a":"x"}`,
		},
		{
			name: "params fill and overwrite, typed from metadata",
			d:    Destination{Params: map[string]string{"user_id": "{{ user_id }}", "org": "{{ metadata.org.id }}", "file": "{{ file_name }}", "src": "fusebox", "label": "{{ user_group }}/{{ metadata.org.id }}", "missing": "{{ metadata.nope }}"}},
			rec:  `{"email":"a@b.c","user_id":"spoofed"}`,
			body: `{"email":"a@b.c","user_id":"u-7","file":"people.csv","label":"admins/42","missing":null,"org":42,"src":"fusebox"}`,
		},
		{
			name:  "query param fields leave the body, in order, escaped",
			d:     Destination{QueryParamFields: FieldMap{{Field: "qp1", Name: "qp1"}, {Field: "qp2", Name: "second param"}}},
			rec:   `{"qp2":"a&b","x":1,"qp1":7}`,
			body:  `{"x":1}`,
			query: "qp1=7&second+param=a%26b",
		},
		{
			name:    "header fields leave the body",
			d:       Destination{HeaderFields: FieldMap{{Field: "tenant", Name: "X-Tenant"}}, Params: map[string]string{"tenant": "{{ metadata.org.id }}"}},
			rec:     `{"x":true}`,
			body:    `{"x":true}`,
			headers: "X-Tenant:42",
		},
		{
			name: "nested map keeps unmapped fields",
			d:    Destination{Map: map[string]string{"email": "contact.email", "first": "contact.name.first", "last": "contact.name.last", "co": "account.name"}},
			rec:  `{"first":"Ada","plan":"pro","email":"ada@x.io","co":"ACME","last":"Lovelace"}`,
			body: `{"contact":{"name":{"first":"Ada","last":"Lovelace"},"email":"ada@x.io"},"plan":"pro","account":{"name":"ACME"}}`,
		},
		{
			name: "nested map drops unmapped fields when asked",
			d:    Destination{Map: map[string]string{"email": "contact.email"}, KeepUnmapped: &no},
			rec:  `{"email":"ada@x.io","plan":"pro"}`,
			body: `{"contact":{"email":"ada@x.io"}}`,
		},
		{
			name: "a mapped path wins over a kept field of the same name",
			d:    Destination{Map: map[string]string{"email": "contact.email"}},
			rec:  `{"contact":"old","email":"ada@x.io"}`,
			body: `{"contact":{"email":"ada@x.io"}}`,
		},
		{
			name:  "the session token is taken out",
			d:     Destination{SessionTokenField: "session_token"},
			rec:   `{"session_token":"tok.en","x":1}`,
			body:  `{"x":1}`,
			token: "tok.en",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustShaper(t, tc.d)
			r, err := s.shape([]byte(tc.rec), ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(r.body) != tc.body {
				t.Errorf("body = %s\n want %s", r.body, tc.body)
			}
			if r.query != tc.query {
				t.Errorf("query = %q, want %q", r.query, tc.query)
			}
			var hs []string
			for _, h := range r.headers {
				hs = append(hs, h[0]+":"+h[1])
			}
			if got := strings.Join(hs, ","); got != tc.headers {
				t.Errorf("headers = %q, want %q", got, tc.headers)
			}
			if r.token != tc.token {
				t.Errorf("token = %q, want %q", r.token, tc.token)
			}
		})
	}
}

func TestShapeRejectsNonObjects(t *testing.T) {
	for _, d := range []Destination{{}, {Map: map[string]string{"a": "b.c"}}} {
		s := mustShaper(t, d)
		for _, rec := range []string{`[1,2]`, `"x"`, `{"a":`} {
			if _, err := s.shape([]byte(rec), &Context{}, nil); err == nil {
				t.Errorf("shape(%s) with %+v: no error", rec, d)
			}
		}
	}
}

func TestBatcherGroupsByParamValues(t *testing.T) {
	s := mustShaper(t, Destination{QueryParamFields: FieldMap{{Field: "u", Name: "u"}}})
	b := newBatcher(2, "", 1)
	for i, rec := range []string{`{"u":1,"v":1}`, `{"u":1,"v":2}`, `{"u":1,"v":3}`, `{"u":2,"v":4}`, `{"u":1,"v":5}`} {
		r, err := s.shape([]byte(rec), &Context{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.add(r, int64(i+1))
	}
	if b.openN != 1 || b.openFrom != 5 {
		t.Fatalf("open batch: n=%d from=%d, want 1 from 5", b.openN, b.openFrom)
	}
	b.close()
	var got []string
	for _, d := range b.take() {
		got = append(got, d.query+" "+string(d.body))
	}
	want := []string{`u=1 [{"v":1},{"v":2}]`, `u=1 [{"v":3}]`, `u=2 [{"v":4}]`, `u=1 [{"v":5}]`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("batches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBatcherOnePerRecordAndAll(t *testing.T) {
	s := mustShaper(t, Destination{})
	for _, tc := range []struct {
		batch Batch
		want  []string
	}{
		{0, []string{`{"i":1}`, `{"i":2}`, `{"i":3}`}},
		{BatchAll, []string{`[{"i":1},{"i":2},{"i":3}]`}},
		{2, []string{`[{"i":1},{"i":2}]`, `[{"i":3}]`}},
	} {
		b := newBatcher(tc.batch, "", 10)
		for i := 1; i <= 3; i++ {
			r, _ := s.shape([]byte(`{"i":`+string(rune('0'+i))+`}`), &Context{}, nil)
			b.add(r, int64(i))
		}
		b.close()
		ds := b.take()
		var got []string
		for k, d := range ds {
			got = append(got, string(d.body))
			if d.seq != int64(10+k) {
				t.Errorf("batch %s: seq %d, want %d", tc.batch, d.seq, 10+k)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("batch %s: %v, want %v", tc.batch, got, tc.want)
		}
	}
}
