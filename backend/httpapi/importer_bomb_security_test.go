package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/ingest/ingesttest"
)

// newBombImport creates the contacts importer and one import; it returns
// the session client and the import's base path.
func newBombImport(t *testing.T) (client, string) {
	t.Helper()
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	admin := client{t, h, adminToken}
	if code, body := admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON)); code != http.StatusCreated {
		t.Fatalf("create importer: %d %s", code, body)
	}
	user := client{t, h, "sess-1"}
	var imp struct {
		Slug string `json:"slug"`
	}
	user.json("POST", "/api/importer/imports", nil, http.StatusCreated, &imp)
	return user, "/api/importer/imports/" + imp.Slug
}

func TestSecurityUploadColumnBombIsRefused(t *testing.T) {
	user, base := newBombImport(t)
	// one row of about a million commas (1 MB)
	csv := "Name,Email,Seats\n" + strings.Repeat(",", 1_000_000) + "\n"
	code, body := user.do("PUT", base+"/file?name=bomb.csv", "text/csv", strings.NewReader(csv))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "limit of 16384 columns") || len(body) > 4096 {
		t.Fatalf("upload: %d %.300s", code, body)
	}
	// the same as a header row
	csv = strings.Repeat("a,", 500_000) + "\nx\n"
	code, body = user.do("PUT", base+"/file?name=bomb.csv", "text/csv", strings.NewReader(csv))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "limit of 16384 columns") {
		t.Fatalf("upload header bomb: %d %.300s", code, body)
	}
}

func TestSecurityMappingAndPreviewResponsesAreBounded(t *testing.T) {
	user, base := newBombImport(t)
	// 16,384 columns (the limit) with long headers and cells: 60 rows just
	// under the 1 MiB row limit each
	const cols = 16384
	var b bytes.Buffer
	for r := range 60 {
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if r == 0 {
				fmt.Fprintf(&b, "header %05d %s", c, strings.Repeat("h", 40))
			} else {
				fmt.Fprintf(&b, "%05d%s", r, strings.Repeat("v", 50))
			}
		}
		b.WriteByte('\n')
	}
	// plus one row with a cell of 900 KB
	b.WriteString(strings.Repeat("z", 900_000) + "\n")
	code, body := user.do("PUT", base+"/file?name=wide.csv", "text/csv", &b)
	if code != 200 {
		t.Fatalf("upload: %d %.300s", code, body)
	}
	if len(body) > 8<<20 {
		t.Errorf("upload preview response is %d bytes", len(body))
	}
	code, body = user.do("GET", base+"/preview", "", nil)
	if code != 200 || len(body) > 8<<20 || !strings.Contains(body, `"more":true`) {
		t.Errorf("preview: %d, %d bytes", code, len(body))
	}
	code, body = user.do("GET", base+"/mapping", "", nil)
	if code != 200 || len(body) > 8<<20 || !strings.Contains(body, "header 16383") {
		t.Errorf("mapping: %d, %d bytes", code, len(body))
	}
	// long cells are cut in the preview
	long := "a,b\n1," + strings.Repeat("y", 100_000) + "\n"
	code, body = user.do("PUT", base+"/file?name=long.csv", "text/csv", strings.NewReader(long))
	if code != 200 || len(body) > 8<<10 || !strings.Contains(body, "yyy…") {
		t.Fatalf("long cell preview: %d, %d bytes", code, len(body))
	}
}

func TestSecurityUploadXLSXBombsAreRefused(t *testing.T) {
	user, base := newBombImport(t)
	const mib = 1 << 20
	bombs := map[string]struct {
		part ingesttest.Part
		want string
	}{
		"styles": {ingesttest.Part{Name: ingesttest.StylesPart, Head: ingesttest.StylesHead, Chunk: ingesttest.Spaces(mib), Repeat: 1000, Tail: ingesttest.StylesTail},
			"limit of 16 MiB per part"},
		"shared strings": {ingesttest.Part{Name: ingesttest.SharedStringsPart, Head: ingesttest.SSTHead, Chunk: ingesttest.Repeat("<si><t>a</t></si>", mib), Repeat: 1000, Tail: ingesttest.SSTTail},
			"limit of 100 times its compressed size"},
		"sheet": {ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead, Chunk: ingesttest.Spaces(mib), Repeat: 1000, Tail: ingesttest.SheetTail},
			"limit of 100 times its compressed size"},
		"columns": {ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead + `<row r="3">`, Chunk: ingesttest.Repeat("<c/>", 4*mib), Repeat: 1, Tail: `</row>` + ingesttest.SheetTail},
			"limit of 16384 columns"},
	}
	for name, bomb := range bombs {
		path := filepath.Join(t.TempDir(), "bomb.xlsx")
		if err := ingesttest.WriteXLSX(path, ingesttest.Workbook(bomb.part)...); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		code, body := user.do("PUT", base+"/file?name=bomb.xlsx", "application/octet-stream", bytes.NewReader(data))
		if (code != http.StatusRequestEntityTooLarge && code != http.StatusUnprocessableEntity) || !strings.Contains(body, bomb.want) {
			t.Errorf("%s bomb (%d bytes): %d %.300s", name, len(data), code, body)
		}
	}
}
