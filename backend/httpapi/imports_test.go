package httpapi

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const contactsCSV = "Name,Email,Age,Score,VIP,Joined\n" +
	"Ada Lovelace,ada@example.com,36,99.5,yes,12/10/1815\n" +
	"Alan Turing,alan@example.com,41,,no,06/23/1912\n" +
	"\"Hopper, Grace\",grace@example.com,85,7,true,12/09/1906\n"

// importAs runs a whole import of csvText in the session of token, the
// way the embedded importer would, and returns the import slug.
func (e *sessEnv) importAs(token, csvText string) string {
	e.t.Helper()
	ctx := context.Background()
	actor, err := SessionVerifier(e.sess)(ctx, token)
	if err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, []byte(csvText), 0o600); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.imp.ImportFile(ctx, actor, actor.ImporterSlug, path, nil)
	if err != nil || res.Blocked != "" {
		e.t.Fatalf("import: %v %s", err, res.Blocked)
	}
	return res.Import.Slug
}

type importsPage struct {
	Data       []map[string]any `json:"data"`
	Pagination map[string]any   `json:"pagination"`
}

func (e *sessEnv) getJSON(path string, out any) sessResp {
	e.t.Helper()
	r := e.do(sessReq{"GET", path, bearerH(e.secret), ""})
	if r.status == 200 && out != nil {
		if err := json.Unmarshal([]byte(r.body), out); err != nil {
			e.t.Fatalf("GET %s: %v in %s", path, err, r.body)
		}
	}
	return r
}

func slugsOf(p importsPage) []string {
	var out []string
	for _, d := range p.Data {
		out = append(out, d["slug"].(string))
	}
	return out
}

func TestImportsAPI(t *testing.T) {
	e := newSessEnv(t)
	ctx := context.Background()
	u123 := e.createSession("contacts", `{"user_id":123,"team":"blue"}`)
	u456 := e.createSession("contacts", `{"user_id":"456"}`)
	first := e.importAs(u123.Token, contactsCSV)
	second := e.importAs(u456.Token, contactsCSV)
	third := e.importAs(u123.Token, contactsCSV)
	// One import that was started and not submitted.
	actor, _ := SessionVerifier(e.sess)(ctx, u456.Token)
	started, err := e.imp.CreateImport(ctx, actor, "contacts")
	if err != nil {
		t.Fatal(err)
	}

	var all importsPage
	if r := e.getJSON("/api/v1/imports", &all); r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if got, want := slugsOf(all), []string{started.Slug, third, second, first}; !reflect.DeepEqual(got, want) {
		t.Fatalf("imports = %v, want newest first %v", got, want)
	}
	// Exactly Fuse's fields.
	var keys []string
	for k := range all.Data[1] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"created_at", "metadata", "row_count", "slug", "status", "template", "updated_at"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("import fields = %v, want %v", keys, want)
	}
	imp := all.Data[1]
	if imp["status"] != "completed" || imp["row_count"] != 3.0 || !reflect.DeepEqual(imp["template"], map[string]any{"name": "Contacts", "slug": "contacts"}) ||
		imp["metadata"].(map[string]any)["user_id"] != 123.0 {
		t.Fatalf("import = %v", imp)
	}

	for _, tc := range []struct {
		query string
		want  []string
		page  map[string]any
	}{
		{"?metadata[user_id]=123", []string{third, first}, nil},
		{"?metadata%5Buser_id%5D=456", []string{started.Slug, second}, nil},
		{"?metadata[user_id]=123&metadata[team]=blue", []string{third, first}, nil},
		{"?metadata[user_id]=123&metadata[team]=red", nil, nil},
		{"?status=created", []string{started.Slug}, nil},
		{"?status=completed&metadata[user_id]=456", []string{second}, nil},
		{"?importer=orders", nil, nil},
		{"?per_page=2", []string{started.Slug, third}, map[string]any{"current": 1.0, "previous": nil, "next": 2.0, "limit": 2.0, "total_pages": 2.0, "total_count": 4.0}},
		{"?per_page=2&page=2", []string{second, first}, map[string]any{"current": 2.0, "previous": 1.0, "next": nil, "limit": 2.0, "total_pages": 2.0, "total_count": 4.0}},
		{"?per_page=2&page=9", nil, map[string]any{"current": 9.0, "previous": 2.0, "next": nil, "limit": 2.0, "total_pages": 2.0, "total_count": 4.0}},
		{"?per_page=1000", []string{started.Slug, third, second, first}, map[string]any{"current": 1.0, "previous": nil, "next": nil, "limit": 100.0, "total_pages": 1.0, "total_count": 4.0}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var p importsPage
			if r := e.getJSON("/api/v1/imports"+tc.query, &p); r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := slugsOf(p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("imports = %v, want %v", got, tc.want)
			}
			if p.Data == nil {
				t.Fatal("data is null, want []")
			}
			if tc.page != nil && !reflect.DeepEqual(p.Pagination, tc.page) {
				t.Fatalf("pagination = %v, want %v", p.Pagination, tc.page)
			}
		})
	}
	for _, tc := range []struct{ query, msg string }{
		{"?status=done", "status must be one of created, submitting, submitted, completed, failed"},
		{"?page=-1", "page must be a positive integer"},
		{"?per_page=abc", "per_page must be a positive integer"},
		{"?metadata[a][b]=1", "metadata filters look like metadata[user_id]=123"},
		{"?metadata[user_id]=1&metadata[user_id]=2", "give it once"},
	} {
		wantErr(t, e.do(sessReq{"GET", "/api/v1/imports" + tc.query, bearerH(e.secret), ""}), 422, "EINVALID", tc.msg)
	}
	wantErr(t, e.do(sessReq{"GET", "/api/v1/imports", nil, ""}), 401, "EUNAUTHORIZED", "missing API key")

	// One import.
	var one map[string]any
	if r := e.getJSON("/api/v1/imports/"+first, &one); r.status != 200 || one["slug"] != first || one["status"] != "completed" {
		t.Fatalf("get import: %d %s", r.status, r.body)
	}
	wantErr(t, e.do(sessReq{"GET", "/api/v1/imports/imp_nope", bearerH(e.secret), ""}), 404, "ENOTFOUND", "imp_nope")

	// Records, typed.
	var recs importsPage
	if r := e.getJSON("/api/v1/imports/"+first+"/records?per_page=2", &recs); r.status != 200 {
		t.Fatalf("records: %d %s", r.status, r.body)
	}
	if len(recs.Data) != 2 || recs.Pagination["total_count"] != 3.0 || recs.Pagination["next"] != 2.0 {
		t.Fatalf("records page = %+v", recs)
	}
	r0 := recs.Data[0]
	if r0["slug"] == "" || r0["sort"] != 1.0 || r0["created_at"] == nil {
		t.Fatalf("record = %v", r0)
	}
	wantData := map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "age": 36.0, "score": 99.5, "vip": true, "joined": "1815-12-10"}
	if !reflect.DeepEqual(r0["data"], wantData) {
		t.Fatalf("record data = %v, want %v", r0["data"], wantData)
	}
	var recs2 importsPage
	e.getJSON("/api/v1/imports/"+first+"/records?per_page=2&page=2", &recs2)
	if len(recs2.Data) != 1 || recs2.Data[0]["data"].(map[string]any)["name"] != "Hopper, Grace" {
		t.Fatalf("records page 2 = %+v", recs2.Data)
	}
	var none importsPage
	if r := e.getJSON("/api/v1/imports/"+started.Slug+"/records", &none); r.status != 200 || len(none.Data) != 0 || none.Data == nil {
		t.Fatalf("records of an unsubmitted import: %d %s", r.status, r.body)
	}

	// NDJSON: one record object per line, typed.
	nd := e.do(sessReq{"GET", "/api/v1/imports/" + first + "/records.ndjson", bearerH(e.secret), ""})
	if nd.status != 200 || !strings.HasPrefix(nd.header.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("ndjson: %d %v", nd.status, nd.header)
	}
	sc := bufio.NewScanner(strings.NewReader(nd.body))
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("ndjson line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 || !reflect.DeepEqual(lines[0]["data"], wantData) || lines[2]["sort"] != 3.0 {
		t.Fatalf("ndjson lines = %v", lines)
	}
	if d := lines[1]["data"].(map[string]any); d["score"] != nil || d["vip"] != false {
		t.Fatalf("ndjson empty/boolean values: %v", d)
	}

	// CSV: column keys, then typed values as text.
	cv := e.do(sessReq{"GET", "/api/v1/imports/" + first + "/records.csv", bearerH(e.secret), ""})
	if cv.status != 200 || !strings.HasPrefix(cv.header.Get("Content-Type"), "text/csv") || !strings.Contains(cv.header.Get("Content-Disposition"), first+".csv") {
		t.Fatalf("csv: %d %v", cv.status, cv.header)
	}
	rows, err := csv.NewReader(strings.NewReader(cv.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"name", "email", "age", "score", "vip", "joined"},
		{"Ada Lovelace", "ada@example.com", "36", "99.5", "true", "1815-12-10"},
		{"Alan Turing", "alan@example.com", "41", "", "false", "1912-06-23"},
		{"Hopper, Grace", "grace@example.com", "85", "7", "true", "1906-12-09"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("csv = %q, want %q", rows, want)
	}
	wantErr(t, e.do(sessReq{"GET", "/api/v1/imports/imp_nope/records.csv", bearerH(e.secret), ""}), 404, "ENOTFOUND", "")
	wantErr(t, e.do(sessReq{"GET", "/api/v1/imports/imp_nope/records.ndjson", bearerH(e.secret), ""}), 404, "ENOTFOUND", "")

	// The console (admin login) reads the same API.
	if r := e.do(sessReq{"GET", "/api/v1/imports?metadata[user_id]=123", bearerH(e.admin), ""}); r.status != 200 || !strings.Contains(r.body, third) {
		t.Fatalf("admin imports list: %d %s", r.status, r.body)
	}
}

// ---- OpenAPI document vs registered routes ----

type openAPIDocument struct {
	OpenAPI string                               `json:"openapi"`
	Paths   map[string]map[string]map[string]any `json:"paths"`
}

var httpMethods = map[string]bool{"get": true, "post": true, "put": true, "patch": true, "delete": true, "options": true, "head": true}

// registeredPatterns finds every route pattern this package registers
// (mux.HandleFunc / mux.Handle with a constant pattern, including
// "GET "+p+"/x" concatenations of constants) by reading its source.
func registeredPatterns(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var parsed []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, af)
		ast.Inspect(af, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							v, _ := strconv.Unquote(lit.Value)
							consts[name.Name] = v
						}
					}
				}
			}
			return true
		})
	}
	var eval func(ast.Expr) (string, bool)
	eval = func(x ast.Expr) (string, bool) {
		switch v := x.(type) {
		case *ast.BasicLit:
			if v.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(v.Value)
			return s, err == nil
		case *ast.Ident:
			// A name declared in this file is a constant only if it was
			// declared const (a loop variable named like another
			// function's constant is not that constant).
			if v.Obj != nil {
				vs, ok := v.Obj.Decl.(*ast.ValueSpec)
				if v.Obj.Kind != ast.Con || !ok {
					return "", false
				}
				for i, name := range vs.Names {
					if name.Name == v.Name && i < len(vs.Values) {
						return eval(vs.Values[i])
					}
				}
				return "", false
			}
			s, ok := consts[v.Name]
			return s, ok
		case *ast.BinaryExpr:
			if v.Op != token.ADD {
				return "", false
			}
			a, ok1 := eval(v.X)
			b, ok2 := eval(v.Y)
			return a + b, ok1 && ok2
		case *ast.ParenExpr:
			return eval(v.X)
		}
		return "", false
	}
	var out []string
	for _, af := range parsed {
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
				return true
			}
			p, ok := eval(call.Args[0])
			if !ok {
				t.Errorf("%s: route pattern is not a constant expression; this test cannot check it", fset.Position(call.Pos()))
				return true
			}
			out = append(out, p)
			return true
		})
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

func TestOpenAPIDocumentsEveryV1Route(t *testing.T) {
	e := newSessEnv(t)
	r := e.do(sessReq{"GET", "/api/v1/openapi.json", nil, ""})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %v", r.status, r.header)
	}
	var doc openAPIDocument
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			if !httpMethods[m] {
				continue
			}
			documented[strings.ToUpper(m)+" "+path] = true
		}
	}

	// Every documented operation is what the server routes the request to.
	for op := range documented {
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, pathParam.ReplaceAllString(path, "x1"), nil)
		_, pattern := e.srv.mux.Handler(req)
		if pattern != op {
			t.Errorf("documented %s is routed to pattern %q", op, pattern)
		}
	}

	// Every /api/v1 route the package registers is documented, and really
	// registered (the server routes a matching request to it).
	registered := 0
	for _, p := range registeredPatterns(t) {
		method, path, hasMethod := strings.Cut(p, " ")
		if !hasMethod {
			method, path = "", p
		}
		if !strings.HasPrefix(path, "/api/v1/") && path != "/api/v1" {
			continue
		}
		registered++
		if method == "" {
			t.Errorf("route %q has no method; /api/v1 routes name theirs", p)
			continue
		}
		if !documented[p] {
			t.Errorf("route %q is not in openapi.json", p)
		}
		req := httptest.NewRequest(method, pathParam.ReplaceAllString(path, "x1"), nil)
		if _, got := e.srv.mux.Handler(req); got != p {
			t.Errorf("route %q found in the source is not registered (request routed to %q)", p, got)
		}
	}
	if registered != len(documented) {
		t.Errorf("%d /api/v1 routes registered, %d operations documented", registered, len(documented))
	}
	if registered < 10 {
		t.Fatalf("found only %d /api/v1 routes; the source scan is broken", registered)
	}

	// Every $ref resolves.
	checkRefs(t, []byte(r.body))
}
