package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"fusebox/backend/store/storetest"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
)

// sessionTokens stands in for the sessions domain's verifier: it is the
// Deps.VerifySession contract (token -> actor), nothing more.
var sessionTokens = map[string]importer.Actor{
	"sess-1": {SessionID: "s1", ImporterSlug: "contacts", Metadata: map[string]any{"user_id": "u1"}},
	"sess-2": {SessionID: "s2", ImporterSlug: "contacts"},
}

func newImporterServer(t *testing.T, verify bool) (*httpapi.Server, *importer.Service) {
	t.Helper()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	svc := importer.New(db, dir, nil)
	deps := httpapi.Deps{DB: db, Importer: svc}
	if verify {
		deps.VerifySession = func(ctx context.Context, tok string) (importer.Actor, error) {
			a, ok := sessionTokens[tok]
			if !ok {
				return importer.Actor{}, errs.Unauthorized("unknown session")
			}
			return a, nil
		}
	}
	return httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{"index.html": {Data: []byte("x")}}, AdminToken: adminToken}, deps), svc
}

type client struct {
	t   *testing.T
	h   http.Handler
	tok string
}

func (c client) do(method, url, contentType string, body io.Reader) (int, string) {
	c.t.Helper()
	req := httptest.NewRequest(method, url, body)
	req.Host = "127.0.0.1:8787"
	if c.tok != "" {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (c client) json(method, url string, body any, wantStatus int, out any) string {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	code, got := c.do(method, url, "application/json", r)
	if code != wantStatus {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, url, code, wantStatus, got)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(got), out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, url, err, got)
		}
	}
	return got
}

const importerJSON = `{"slug":"contacts","name":"Contacts","settings":{"invalid_rows":"block"},"columns":[
 {"key":"first_name","label":"First name","required":true},
 {"key":"email","label":"Email","type":"email","required":true,"unique":"case_insensitive"},
 {"key":"seats","label":"Seats","type":"integer","validations":[{"type":"greater_than","value":0,"message":"at least one seat"}]}]}`

func TestImporterReviewAPI(t *testing.T) {
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	admin := client{t, h, adminToken}
	user := client{t, h, "sess-1"}
	other := client{t, h, "sess-2"}

	code, body := admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON))
	if code != http.StatusCreated {
		t.Fatalf("create importer: %d %s", code, body)
	}
	bad := strings.Replace(importerJSON, `"greater_than","value":0`, `"regex","value":"(["`, 1)
	code, body = admin.do("POST", "/api/admin/importers/validate", "application/json", strings.NewReader(bad))
	if code != 422 || !strings.Contains(body, `column \"seats\": validations[0].regex: invalid regex`) || !strings.Contains(body, `"code":"EINVALID"`) {
		t.Fatalf("validate bad importer: %d %s", code, body)
	}

	var imp struct {
		Slug     string         `json:"slug"`
		Status   string         `json:"status"`
		Step     string         `json:"step"`
		Metadata map[string]any `json:"metadata"`
	}
	user.json("POST", "/api/importer/imports", nil, http.StatusCreated, &imp)
	if imp.Status != "created" || imp.Metadata["user_id"] != "u1" {
		t.Fatalf("created import: %+v", imp)
	}
	base := "/api/importer/imports/" + imp.Slug
	// another session cannot see it; no token is 401
	if code, _ := other.do("GET", base, "", nil); code != http.StatusNotFound {
		t.Fatalf("other session: %d", code)
	}
	if code, _ := (client{t, h, ""}).do("GET", base, "", nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := (client{t, h, "forged"}).do("GET", base, "", nil); code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", code)
	}

	csv := "Name,E-mail,Seats\nAda,ada@example.com,2\nAlan,alan@example.com,0\nGrace,ADA@example.com,x\nLinus,linus@example.com,4\n"
	code, body = user.do("PUT", base+"/file?name=people.csv", "text/csv", strings.NewReader(csv))
	if code != 200 || !strings.Contains(body, `"headers":["Name","E-mail","Seats"]`) || !strings.Contains(body, `"delimiter":","`) {
		t.Fatalf("upload: %d %s", code, body)
	}
	var mv struct {
		Suggestions struct {
			Columns []struct {
				Index int    `json:"index"`
				Key   string `json:"key"`
			} `json:"columns"`
			UnmappedRequired []string `json:"unmapped_required"`
		} `json:"suggestions"`
	}
	user.json("GET", base+"/mapping", nil, 200, &mv)
	// "Name" is a word of "First name": suggested, with less than full confidence
	if mv.Suggestions.Columns[0].Key != "first_name" || mv.Suggestions.Columns[1].Key != "email" || len(mv.Suggestions.UnmappedRequired) != 0 {
		t.Fatalf("suggestions: %+v", mv.Suggestions)
	}
	mapping := map[string]any{"columns": []map[string]any{{"index": 0, "key": "first_name"}, {"index": 1, "key": "email"}, {"index": 2, "key": "seats"}}}
	user.json("PUT", base+"/mapping", mapping, http.StatusAccepted, nil)
	var prog importer.Progress
	waitUntil(t, "the mapping's validation to finish", func() (bool, string) {
		prog = importer.Progress{}
		user.json("GET", base+"/progress", nil, 200, &prog)
		return prog.Done, fmt.Sprintf("progress %+v", prog)
	})
	if !prog.Done || prog.Error != "" || prog.Rows != 4 {
		t.Fatalf("progress: %+v", prog)
	}
	code, body = user.do("GET", base+"/events", "", nil)
	if code != 200 || !strings.Contains(body, "event: progress\ndata: ") || !strings.Contains(body, `"done":true`) {
		t.Fatalf("events: %d %q", code, body)
	}

	var page importer.RowPage
	user.json("GET", base+"/rows?errors=only&limit=10", nil, 200, &page)
	if page.Total != 3 || len(page.Rows) != 3 || page.Rows[0].Row != 1 || page.Rows[1].Issues[0].Message != "at least one seat" {
		t.Fatalf("errors page: %+v", page)
	}
	user.json("GET", base+"/rows?filter=errors&column=seats", nil, 200, &page)
	if page.Total != 2 {
		t.Fatalf("seats errors: %+v", page)
	}
	user.json("GET", base+"/rows?q=linus", nil, 200, &page)
	if page.Total != 1 || page.Rows[0].Values[0] != "Linus" {
		t.Fatalf("search: %+v", page)
	}
	user.json("GET", base+"/rows?sort=-seats&limit=2", nil, 200, &page)
	if page.Rows[0].Values[2] != "4" || page.Rows[1].Values[2] != "2" {
		t.Fatalf("sort: %+v", page.Rows)
	}
	user.json("GET", base+"/rows?offset=2&limit=1", nil, 200, &page)
	if page.Rows[0].Row != 3 || page.NextCursor != 3 {
		t.Fatalf("offset: %+v", page)
	}
	user.json("GET", base+"/rows?cursor=3&limit=5", nil, 200, &page)
	if len(page.Rows) != 1 || page.Rows[0].Row != 4 {
		t.Fatalf("cursor: %+v", page)
	}
	code, body = user.do("GET", base+"/rows?filter=bogus", "", nil)
	if code != 422 || !strings.Contains(body, `filter \"bogus\"`) {
		t.Fatalf("bad filter: %d %s", code, body)
	}

	var edit importer.EditResult
	user.json("PATCH", base+"/rows/3", map[string]string{"column": "email", "value": "grace@example.com"}, 200, &edit)
	if edit.Row.Values[1] != "grace@example.com" || len(edit.Affected) != 1 || edit.Affected[0].Row != 1 || edit.Affected[0].Errors != 0 {
		t.Fatalf("edit: %+v", edit)
	}
	var rr importer.ReplaceResult
	user.json("POST", base+"/replace", map[string]any{"column": "seats", "find": "^(0|x)$", "replace": "1", "regex": true}, 200, &rr)
	if rr.Cells != 2 {
		t.Fatalf("replace: %+v", rr)
	}
	var sum importer.Summary
	user.json("GET", base+"/summary", nil, 200, &sum)
	if sum.ErrorRows != 0 || !sum.CanSubmit || !sum.CanUndo {
		t.Fatalf("summary: %+v", sum)
	}
	user.json("POST", base+"/undo", nil, 200, nil)
	user.json("GET", base+"/summary", nil, 200, &sum)
	if sum.ErrorRows != 2 || !sum.CanRedo {
		t.Fatalf("after undo: %+v", sum)
	}
	code, body = user.do("POST", base+"/submit", "", nil)
	if code != 422 || !strings.Contains(body, "still have errors") {
		t.Fatalf("blocked submit: %d %s", code, body)
	}
	user.json("POST", base+"/redo", nil, 200, nil)
	var del importer.DeleteResult
	user.json("POST", base+"/rows/delete", map[string]any{"rows": []int{4}}, 200, &del)
	if del.Deleted != 1 {
		t.Fatalf("delete: %+v", del)
	}
	var done struct {
		Status   string `json:"status"`
		RowCount int    `json:"row_count"`
		Template struct {
			Slug string `json:"slug"`
		} `json:"template"`
	}
	// submit answers 202 at once: the records are written by a background
	// job, followed with the progress route until the import completes
	var started struct {
		Status   string `json:"status"`
		Progress string `json:"progress"`
	}
	user.json("POST", base+"/submit", nil, 202, &started)
	if started.Status != "submitting" || started.Progress != base+"/progress" {
		t.Fatalf("submit: %+v", started)
	}
	if p := waitSubmitted(t, user, base); p.Phase != "done" || p.Records != 3 || p.RecordsTotal != 3 {
		t.Fatalf("progress at the end: %+v", p)
	}
	user.json("GET", base, nil, 200, &done)
	if done.Status != "completed" || done.RowCount != 3 || done.Template.Slug != "contacts" {
		t.Fatalf("after submit: %+v", done)
	}
	var recs struct {
		Records []importer.Record `json:"records"`
		Total   int               `json:"total"`
	}
	user.json("GET", base+"/records?per_page=2&page=2", nil, 200, &recs)
	if recs.Total != 3 || len(recs.Records) != 1 || string(recs.Records[0].Data) != `{"first_name":"Grace","email":"grace@example.com","seats":1}` {
		t.Fatalf("records: %+v", recs)
	}
	code, body = user.do("PATCH", base+"/rows/1", "application/json", strings.NewReader(`{"column":"seats","value":"9"}`))
	if code != http.StatusConflict {
		t.Fatalf("edit after submit: %d %s", code, body)
	}

	// console views
	code, body = admin.do("GET", "/api/admin/imports?status=completed", "", nil)
	if code != 200 || !strings.Contains(body, imp.Slug) || !strings.Contains(body, `"total":1`) {
		t.Fatalf("admin imports: %d %s", code, body)
	}
	code, body = admin.do("GET", "/api/admin/imports/"+imp.Slug+"/records", "", nil)
	if code != 200 || !strings.Contains(body, `"total":3`) {
		t.Fatalf("admin records: %d %s", code, body)
	}
	if code, body = user.do("GET", "/api/admin/importers", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("session token on admin route: %d %s", code, body)
	}
}

func TestImporterUploadMultipartAndAdminTry(t *testing.T) {
	s, _ := newImporterServer(t, false)
	h := s.PortHandler()
	admin := client{t, h, adminToken}
	admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON))
	// no verifier wired: session tokens are refused
	if code, body := (client{t, h, "sess-1"}).do("POST", "/api/importer/imports", "", nil); code != 401 || !strings.Contains(body, "no session verifier") {
		t.Fatalf("session without verifier: %d %s", code, body)
	}
	var imp struct{ Slug string }
	admin.json("POST", "/api/importer/imports", map[string]any{"importer_slug": "contacts", "metadata": map[string]any{"user_id": "admin-try"}}, 201, &imp)
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "people.tsv")
	fmt.Fprint(fw, "first_name\temail\tseats\nAda\tada@example.com\t3\n")
	mw.Close()
	code, body := admin.do("PUT", "/api/importer/imports/"+imp.Slug+"/file", mw.FormDataContentType(), strings.NewReader(b.String()))
	if code != 200 || !strings.Contains(body, `"delimiter":"\t"`) {
		t.Fatalf("multipart upload: %d %s", code, body)
	}
	// the window door is admin without any token
	req := httptest.NewRequest("GET", "/api/importer/imports/"+imp.Slug+"/preview", nil)
	rec := httptest.NewRecorder()
	s.WindowHandler().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"header_row":1`) {
		t.Fatalf("window preview: %d %s", rec.Code, rec.Body.String())
	}
	// the definition answer carries the effective limits
	code, body = admin.do("GET", "/api/importer/importer?slug=contacts", "", nil)
	if code != 200 || !strings.Contains(body, `"max_file_bytes":100000000`) || !strings.Contains(body, `"invalid_rows":"block"`) || !strings.Contains(body, `"columns":[`) {
		t.Fatalf("definition: %d %s", code, body)
	}
	// the window's native file dialog: upload by path, admin only
	local := filepath.Join(t.TempDir(), "local.csv")
	os.WriteFile(local, []byte("first_name,email\nAda,ada@example.com\n"), 0o600)
	fp := "/api/admin/importer/imports/" + imp.Slug + "/file-from-path"
	win := client{t, s.WindowHandler(), ""}
	code, body = win.do("POST", fp, "application/json", strings.NewReader(`{"path":"`+local+`"}`))
	if code != 200 || !strings.Contains(body, `"headers":["first_name","email"]`) {
		t.Fatalf("file from path: %d %s", code, body)
	}
	if code, _ = (client{t, h, "sess-1"}).do("POST", fp, "application/json", strings.NewReader(`{"path":"`+local+`"}`)); code != 401 {
		t.Fatalf("file from path with a session token: %d", code)
	}
	if code, body = win.do("POST", fp, "application/json", strings.NewReader(`{"path":"relative.csv"}`)); code != 422 {
		t.Fatalf("relative path: %d %s", code, body)
	}
	// header row choice beyond the file
	code, body = admin.do("POST", "/api/importer/imports/"+imp.Slug+"/header", "application/json", strings.NewReader(`{"header_row": 9}`))
	if code != 422 || !strings.Contains(body, "header row 9") {
		t.Fatalf("bad header row: %d %s", code, body)
	}
	code, body = admin.do("DELETE", "/api/admin/imports/"+imp.Slug, "", nil)
	if code != 204 {
		t.Fatalf("delete import: %d %s", code, body)
	}
	code, _ = admin.do("GET", "/api/admin/imports/"+imp.Slug, "", nil)
	if code != 404 {
		t.Fatalf("deleted import: %d", code)
	}
}

// waitSubmitted follows a submit's progress route until its job ends and
// returns the last progress.
func waitSubmitted(t *testing.T, c client, base string) importer.Progress {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var p importer.Progress
		c.json("GET", base+"/progress", nil, 200, &p)
		if p.Done {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the submit did not end: %+v", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
