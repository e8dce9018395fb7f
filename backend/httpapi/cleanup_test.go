package httpapi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecurityAbandonedImportsCleanedUp: an import never submitted and
// older than the clean-up age is deleted with its upload file; a recent
// one and a submitted one are kept. The console reads and sets the age
// (JSON) and sees the last run.
func TestSecurityAbandonedImportsCleanedUp(t *testing.T) {
	e := newSessEnv(t)
	ctx := context.Background()
	tok := e.createSession("contacts", `{"user_id":"u1"}`).Token
	admin := bearerH(e.admin, "Content-Type", "application/json")

	upload := func() string {
		c := e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{}`})
		slug := jsonField(t, c.body, "slug")
		r := e.do(sessReq{"PUT", "/api/importer/imports/" + slug + "/file?name=c.csv", bearerH(tok, "Content-Type", "text/csv"), contactsCSV})
		if r.status != 200 {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		return slug
	}
	old, recent := upload(), upload()
	submitted := e.importAs(tok, contactsCSV)
	ago := time.Now().Add(-8 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	for _, slug := range []string{old, submitted} {
		if _, err := e.db.Write.ExecContext(ctx, `UPDATE importer_imports SET created_at = ?, updated_at = ? WHERE slug = ?`, ago, ago, slug); err != nil {
			t.Fatal(err)
		}
	}
	oldDir := filepath.Join(e.dir, "uploads", old)
	if _, err := os.Stat(oldDir); err != nil {
		t.Fatalf("upload dir of the old import: %v", err)
	}

	if r := e.do(sessReq{"GET", "/api/admin/importer/cleanup", admin, ""}); r.status != 200 || !strings.Contains(r.body, `"max_age":"168h0m0s"`) {
		t.Fatalf("cleanup settings: %d %s", r.status, r.body)
	}
	if r := e.do(sessReq{"PUT", "/api/admin/importer/cleanup", admin, `{"max_age":"1m"}`}); r.status != 422 || !strings.Contains(r.body, "at least 1h") {
		t.Fatalf("too short an age: %d %s", r.status, r.body)
	}
	r := e.do(sessReq{"POST", "/api/admin/importer/cleanup/run", admin, `{}`})
	if r.status != 200 || !strings.Contains(r.body, `"deleted":1`) || !strings.Contains(r.body, `"last_run"`) {
		t.Fatalf("cleanup run: %d %s", r.status, r.body)
	}
	if g := e.do(sessReq{"GET", "/api/admin/imports/" + old, admin, ""}); g.status != 404 {
		t.Fatalf("old abandoned import still there: %d", g.status)
	}
	if _, err := os.Stat(oldDir); !os.IsNotExist(err) {
		t.Fatalf("old import's upload dir still there: %v", err)
	}
	for _, slug := range []string{recent, submitted} {
		if g := e.do(sessReq{"GET", "/api/admin/imports/" + slug, admin, ""}); g.status != 200 {
			t.Fatalf("import %s was deleted: %d", slug, g.status)
		}
	}
	if r := e.do(sessReq{"PUT", "/api/admin/importer/cleanup", admin, `{"max_age":"24h"}`}); r.status != 200 || !strings.Contains(r.body, `"max_age":"24h0m0s"`) || !strings.Contains(r.body, `"deleted":1`) {
		t.Fatalf("set age: %d %s", r.status, r.body)
	}
}
