package httpapi_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fusebox/backend/importer"
)

// The review's ways out of errors over HTTP: cleaned values and message
// codes on rows, the fix file download (CSV, XLSX) and its upload back,
// and a mapping changed from the review saying what it kept.
func TestImporterFixFileAPI(t *testing.T) {
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	admin := client{t, h, adminToken}
	user := client{t, h, "sess-1"}
	other := client{t, h, "sess-2"}
	if code, body := admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON)); code != http.StatusCreated {
		t.Fatalf("create importer: %d %s", code, body)
	}
	var imp struct {
		Slug string `json:"slug"`
	}
	user.json("POST", "/api/importer/imports", nil, http.StatusCreated, &imp)
	base := "/api/importer/imports/" + imp.Slug
	csv := "Name,E-mail,Seats\nAda,ada@example.com,2\nAlan,=cmd|x,1\nGrace,grace@example.com,x\n"
	if code, body := user.do("PUT", base+"/file?name=people.csv", "text/csv", strings.NewReader(csv)); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	mapping := map[string]any{"columns": []map[string]any{{"index": 0, "key": "first_name"}, {"index": 1, "key": "email"}, {"index": 2, "key": "seats"}}}
	user.json("PUT", base+"/mapping", mapping, http.StatusAccepted, nil)
	waitUntil(t, "staging", func() (bool, string) {
		var p importer.Progress
		user.json("GET", base+"/progress", nil, 200, &p)
		return p.Done, fmt.Sprintf("%+v", p)
	})

	body := user.json("GET", base+"/rows?errors=only", nil, 200, nil)
	for _, want := range []string{`"cleaned":["Alan","=cmd|x","1"]`, `"codes":[{"code":"type.email","params":{"a":"name@example.com"}}]`, `"codes":[{"code":"type.integer"}]`} {
		if !strings.Contains(body, want) {
			t.Fatalf("rows: want %s in %s", want, body)
		}
	}

	get := func(c client, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Host = "127.0.0.1:8787"
		req.Header.Set("Authorization", "Bearer "+c.tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := get(user, base+"/errors.csv")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" || rec.Header().Get("Content-Disposition") != `attachment; filename=people-errors.csv` {
		t.Fatalf("errors.csv: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if got := rec.Body.String(); !strings.HasPrefix(got, "Row ID,First name,Email,Seats,Errors\n2,Alan,'=cmd|x,1,") {
		t.Fatalf("errors.csv body: %q", got)
	}
	rec = get(user, base+"/errors.xlsx")
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "PK") || !strings.Contains(rec.Header().Get("Content-Disposition"), "people-errors.xlsx") {
		t.Fatalf("errors.xlsx: %d %v", rec.Code, rec.Header())
	}
	if rec := get(other, base+"/errors.csv"); rec.Code != http.StatusNotFound {
		t.Fatalf("another session's errors file: %d", rec.Code)
	}

	// a changed header is refused with a clear message, nothing changes
	code, out := user.do("POST", base+"/errors/patch?name=fixed.csv", "text/csv", strings.NewReader("Row ID,Name,Email,Seats\n2,Alan,alan@example.com,1\n"))
	if code != 422 || !strings.Contains(out, `column 2 of the fix file is \"Name\"; the downloaded file has \"First name\" there`) {
		t.Fatalf("bad header: %d %s", code, out)
	}
	// the fixed file as a multipart upload
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	f, _ := w.CreateFormFile("file", "people-errors.csv")
	f.Write([]byte("Row ID,First name,Email,Seats,Errors\n2,Alan,alan@example.com,1,x\n3,Grace,grace@example.com,3,x\n"))
	w.Close()
	code, out = user.do("POST", base+"/errors/patch", w.FormDataContentType(), &mp)
	if code != 200 || !strings.Contains(out, `"rows":2,"changed":2,"cells":2`) {
		t.Fatalf("patch: %d %s", code, out)
	}
	var sum importer.Summary
	user.json("GET", base+"/summary", nil, 200, &sum)
	if sum.ErrorRows != 0 || !sum.CanUndo {
		t.Fatalf("after patch: %+v", sum)
	}

	// back to the mapping from the review: seats no longer mapped, its edit is dropped and named
	mapping = map[string]any{"columns": []map[string]any{{"index": 0, "key": "first_name"}, {"index": 1, "key": "email"}}}
	out = user.json("PUT", base+"/mapping", mapping, http.StatusAccepted, nil)
	if !strings.Contains(out, `"edits":{"kept_cells":1,"kept_deletes":0,"dropped_cells":1,"dropped_columns":["Seats"]}`) {
		t.Fatalf("remap: %s", out)
	}
}
