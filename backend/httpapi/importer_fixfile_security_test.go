package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"fusebox/backend/importer"
)

// A fix file is read whole into memory before its rows are applied, so
// one end user's upload of the largest file the importer takes (100 MB by
// default) cost the server about five times that in memory, and several
// at once more, whatever the import held. A fix file names rows of its
// import, each at most once, so one with more rows than the import has is
// refused as soon as that is clear, before the rest is read.
func TestSecurityFixFilePatchBoundedByImportRows(t *testing.T) {
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	admin := client{t, h, adminToken}
	user := client{t, h, "sess-1"}
	if code, body := admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON)); code != http.StatusCreated {
		t.Fatalf("create importer: %d %s", code, body)
	}
	var imp struct {
		Slug string `json:"slug"`
	}
	user.json("POST", "/api/importer/imports", nil, http.StatusCreated, &imp)
	base := "/api/importer/imports/" + imp.Slug
	csv := "Name,E-mail,Seats\nAda,ada@example.com,2\nAlan,alan@example,1\nGrace,grace@example.com,x\n"
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

	// 200,000 rows (about 24 MB) against an import of 3 rows.
	var fix bytes.Buffer
	fix.WriteString("Row ID,First name,Email,Seats\n")
	pad := strings.Repeat("x", 80)
	for i := 1; i <= 200_000; i++ {
		fmt.Fprintf(&fix, "%d,%s,a@example.com,%d\n", i, pad, i)
	}
	size := fix.Len()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, out := user.do("POST", base+"/errors/patch?name=fix.csv", "text/csv", &fix)
	runtime.ReadMemStats(&after)
	if code != http.StatusUnprocessableEntity || !strings.Contains(out, "more rows than the import") {
		t.Fatalf("a fix file with more rows than its import: want 422 naming that, got %d %s", code, out)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(size)/2 {
		t.Fatalf("the patch allocated %d MB for a %d MB fix file of which only the first rows could apply; want it refused before the rest is read",
			alloc>>20, size>>20)
	}
	var sum importer.Summary
	user.json("GET", base+"/summary", nil, 200, &sum)
	if sum.CanUndo {
		t.Fatalf("a refused fix file changed the import: %+v", sum)
	}
}
