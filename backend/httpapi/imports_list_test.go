package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"fusebox/backend/store/storetest"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/store"
)

// consoleImport is one row of the console's imports list (GET /api/admin/imports).
type consoleImport struct {
	Slug            string `json:"slug"`
	Status          string `json:"status"`
	State           string `json:"state"`
	FileName        string `json:"file_name"`
	RowCount        int    `json:"row_count"`
	ErrorRows       int    `json:"error_rows"`
	Who             string `json:"who"`
	DurationSeconds int64  `json:"duration_seconds"`
	CancelledAt     string `json:"cancelled_at"`
	SubmittedAt     string `json:"submitted_at"`
	LastActivityAt  string `json:"last_activity_at"`
}

type consoleImportsPage struct {
	Imports    []consoleImport `json:"imports"`
	Total      int             `json:"total"`
	Pagination struct {
		Current    int `json:"current"`
		TotalPages int `json:"total_pages"`
		TotalCount int `json:"total_count"`
	} `json:"pagination"`
}

// The console's imports list over a real SQLite file and the real handler:
// an import idle past the threshold is "abandoned", one its end user
// cancelled (POST .../cancel, which the embed sends) is "cancelled"; both are
// left out unless asked for; each row names its file, rows, error rows, who
// (the session's metadata) and how long it took.
func TestConsoleImportsListStatesColumnsAndFilters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	svc := importer.New(db, dir, nil)
	tokens := map[string]importer.Actor{
		"ada":   {SessionID: "s-ada", ImporterSlug: "contacts", Metadata: map[string]any{"user_id": "u-ada", "email": "ada@example.com"}},
		"alan":  {SessionID: "s-alan", ImporterSlug: "contacts", Metadata: map[string]any{"user_id": "u-alan"}},
		"grace": {SessionID: "s-grace", ImporterSlug: "contacts", Metadata: map[string]any{"user_email": "grace@example.com"}},
	}
	srv := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{"index.html": {Data: []byte("x")}}, AdminToken: adminToken}, httpapi.Deps{
		DB: db, Importer: svc,
		VerifySession: func(_ context.Context, tok string) (importer.Actor, error) {
			a, ok := tokens[tok]
			if !ok {
				return importer.Actor{}, errs.Unauthorized("unknown session")
			}
			return a, nil
		},
	})
	h := srv.PortHandler()
	admin := client{t, h, adminToken}
	admin.json("PUT", "/api/admin/importers/contacts", json.RawMessage(importerJSON), http.StatusCreated, nil)
	other := strings.Replace(strings.Replace(importerJSON, `"contacts"`, `"leads"`, 1), `"Contacts"`, `"Leads"`, 1)
	admin.json("PUT", "/api/admin/importers/leads", json.RawMessage(other), http.StatusCreated, nil)

	start := func(c client) string {
		var imp struct {
			Slug string `json:"slug"`
		}
		c.json("POST", "/api/importer/imports", nil, http.StatusCreated, &imp)
		return imp.Slug
	}
	upload := func(c client, slug, name, csv string) {
		if code, body := c.do("PUT", "/api/importer/imports/"+slug+"/file?name="+name, "text/csv", strings.NewReader(csv)); code != 200 {
			t.Fatalf("upload %s: %d %s", name, code, body)
		}
	}
	stage := func(c client, slug string) {
		base := "/api/importer/imports/" + slug
		c.json("PUT", base+"/mapping", map[string]any{"columns": []map[string]any{{"index": 0, "key": "first_name"}, {"index": 1, "key": "email"}, {"index": 2, "key": "seats"}}}, http.StatusAccepted, nil)
		waitUntil(t, "staging", func() (bool, string) {
			var p importer.Progress
			c.json("GET", base+"/progress", nil, 200, &p)
			return p.Done, fmt.Sprintf("%+v", p)
		})
	}
	ada, alan, grace := client{t, h, "ada"}, client{t, h, "alan"}, client{t, h, "grace"}

	// In review with errors: 3 rows, 2 of them with errors (seats 0 and x).
	review := start(ada)
	upload(ada, review, "people.csv", "Name,E-mail,Seats\nAda,ada@example.com,2\nAlan,alan@example.com,0\nGrace,grace@example.com,x\n")
	stage(ada, review)
	// Submitted: 2 clean rows.
	submitted := start(grace)
	upload(grace, submitted, "clean.csv", "Name,E-mail,Seats\nAda,ada@example.com,2\nLinus,linus@example.com,4\n")
	stage(grace, submitted)
	grace.json("POST", "/api/importer/imports/"+submitted+"/submit", nil, 202, nil)
	waitSubmitted(t, grace, "/api/importer/imports/"+submitted)
	// Cancelled by its end user after the upload.
	cancelled := start(alan)
	upload(alan, cancelled, "wrong.csv", "Name,E-mail,Seats\nX,x@example.com,1\n")
	var after struct {
		Status string `json:"status"`
		State  string `json:"state"`
	}
	alan.json("POST", "/api/importer/imports/"+cancelled+"/cancel", nil, 200, &after)
	if after.State != "cancelled" || after.Status != "created" {
		t.Fatalf("cancel answer: %+v", after)
	}
	alan.json("POST", "/api/importer/imports/"+cancelled+"/cancel", nil, 200, nil) // again: same answer
	// A cancelled import goes no further, and its file is gone (the embed promised it would be).
	if code, body := alan.do("PUT", "/api/importer/imports/"+cancelled+"/file?name=again.csv", "text/csv", strings.NewReader("Name\nY\n")); code != http.StatusConflict || !strings.Contains(body, "cancelled") {
		t.Fatalf("upload after cancel: %d %s", code, body)
	}
	if code, body := admin.do("GET", "/api/admin/imports/"+cancelled+"/file", "", nil); code != http.StatusNotFound {
		t.Fatalf("file of a cancelled import: %d %s", code, body)
	}
	// Another session cannot cancel someone's import; a submitted import cannot be cancelled.
	if code, body := ada.do("POST", "/api/importer/imports/"+submitted+"/cancel", "", nil); code != http.StatusNotFound {
		t.Fatalf("cancel another session's import: %d %s", code, body)
	}
	if code, body := grace.do("POST", "/api/importer/imports/"+submitted+"/cancel", "", nil); code != http.StatusConflict || !strings.Contains(body, "completed") {
		t.Fatalf("cancel a completed import: %d %s", code, body)
	}
	// Abandoned: never submitted, no activity for longer than the threshold.
	abandoned := start(alan)
	idle := store.FormatTime(time.Now().Add(-importer.AbandonedAfter - time.Minute))
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET created_at = ?, updated_at = ? WHERE slug = ?`, idle, idle, abandoned)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Just started, of the other importer.
	admin.json("POST", "/api/importer/imports", map[string]string{"importer_slug": "leads"}, http.StatusCreated, nil)

	list := func(query string) consoleImportsPage {
		t.Helper()
		var p consoleImportsPage
		admin.json("GET", "/api/admin/imports?"+query, nil, 200, &p)
		return p
	}
	slugs := func(p consoleImportsPage) map[string]string {
		out := map[string]string{}
		for _, i := range p.Imports {
			out[i.Slug] = i.State
		}
		return out
	}

	// By default the abandoned and the cancelled are left out.
	def := list("")
	if def.Total != 3 || def.Pagination.TotalCount != 3 || len(def.Imports) != 3 {
		t.Fatalf("default list: %+v", def)
	}
	for slug, state := range slugs(def) {
		if slug == abandoned || slug == cancelled || state == "abandoned" || state == "cancelled" {
			t.Fatalf("hidden import listed: %s %s", slug, state)
		}
	}
	all := list("hidden=1")
	if all.Total != 5 {
		t.Fatalf("hidden=1: %+v", all)
	}
	got := slugs(all)
	if got[review] != "created" || got[submitted] != "completed" || got[cancelled] != "cancelled" || got[abandoned] != "abandoned" {
		t.Fatalf("states: %v", got)
	}
	for _, st := range []string{"abandoned", "cancelled"} {
		p := list("status=" + st)
		if p.Total != 1 || p.Imports[0].State != st {
			t.Fatalf("status=%s: %+v", st, p)
		}
	}
	if p := list("status=abandoned,cancelled"); p.Total != 2 {
		t.Fatalf("status=abandoned,cancelled: %+v", p)
	}
	if p := list("status=created"); p.Total != 2 { // the review one and the new leads one; not the abandoned
		t.Fatalf("status=created: %+v", p)
	}
	if p := list("importer=leads&hidden=1"); p.Total != 1 {
		t.Fatalf("importer=leads: %+v", p)
	}
	if p := list("importer=contacts&status=cancelled"); p.Total != 1 {
		t.Fatalf("importer and status: %+v", p)
	}

	if p := list("hidden=1&metadata[email]=ada@example.com"); p.Total != 1 || p.Imports[0].Slug != review {
		t.Fatalf("metadata[email]: %+v", p)
	}
	if p := list("hidden=1&user_id=u-alan"); p.Total != 2 {
		t.Fatalf("user_id: %+v", p)
	}

	// Columns.
	byslug := map[string]consoleImport{}
	for _, i := range all.Imports {
		byslug[i.Slug] = i
	}
	if r := byslug[review]; r.FileName != "people.csv" || r.RowCount != 3 || r.ErrorRows != 2 || r.Who != "ada@example.com" || r.SubmittedAt != "" || r.LastActivityAt == "" {
		t.Fatalf("review row: %+v", r)
	}
	if r := byslug[submitted]; r.FileName != "clean.csv" || r.RowCount != 2 || r.ErrorRows != 0 || r.Who != "grace@example.com" || r.SubmittedAt == "" {
		t.Fatalf("submitted row: %+v", r)
	}
	if r := byslug[cancelled]; r.Who != "u-alan" || r.CancelledAt == "" || r.FileName != "wrong.csv" {
		t.Fatalf("cancelled row: %+v", r)
	}
	if r := byslug[abandoned]; r.DurationSeconds != 0 || r.Who != "u-alan" {
		t.Fatalf("abandoned row (created and last active at the same moment): %+v", r)
	}

	// Date range (UTC days of created_at), as the dashboard's tiles link to it.
	today := time.Now().UTC().Format("2006-01-02")
	if p := list("hidden=1&from=" + today + "&to=" + today); p.Total != 4 {
		t.Fatalf("today: %+v", p)
	}
	day := time.Now().Add(-importer.AbandonedAfter - time.Minute).UTC().Format("2006-01-02")
	if p := list("hidden=1&from=" + day + "&to=" + day); p.Total != 1 || p.Imports[0].Slug != abandoned {
		t.Fatalf("the abandoned one's day: %+v", p)
	}

	// Pagination stays.
	p := list("hidden=1&per_page=2&page=3")
	if len(p.Imports) != 1 || p.Pagination.Current != 3 || p.Pagination.TotalPages != 3 || p.Pagination.TotalCount != 5 {
		t.Fatalf("page 3 of 2 per page: %+v", p)
	}

	// Bad filters say what is wrong.
	for q, want := range map[string]string{
		"status=gone":                   "status",
		"from=yesterday":                "from",
		"to=2026-13-01":                 "to",
		"from=2026-03-02&to=2026-03-01": "before",
		"hidden=maybe":                  "hidden",
	} {
		code, body := admin.do("GET", "/api/admin/imports?"+q, "", nil)
		if code != 422 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}
