package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// cutReader gives the first n bytes of r, then fails as a dropped
// connection does.
type cutReader struct {
	r io.Reader
	n int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	p = p[:min(len(p), c.n)]
	k, err := c.r.Read(p)
	c.n -= k
	return k, err
}

// contactsFile is a CSV of the contacts importer of about size bytes.
func contactsFile(size int) string {
	var b strings.Builder
	b.WriteString("first_name,email,seats\n")
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, "Person %d,p%d@example.com,%d\n", i, i, i%9+1)
	}
	return b.String()
}

// putRange sends bytes [start, end] of file as one range of a resumable
// upload, its body cut after cut bytes when cut >= 0.
func putRange(t *testing.T, c client, slug, file string, start, end, total, cut int) (int, string) {
	t.Helper()
	var body io.Reader = strings.NewReader(file[start : end+1])
	if cut >= 0 {
		body = &cutReader{r: body, n: cut}
	}
	req := httptest.NewRequest("PUT", "/api/importer/imports/"+slug+"/file?name=people.csv", body)
	req.ContentLength = int64(end - start + 1)
	req.Host = "127.0.0.1:8787"
	req.Header.Set("Authorization", "Bearer "+c.tok)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, total))
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// newContactsImport starts a server (newImporterServer), saves importer
// "contacts" as the admin and creates an import of it: base is the
// import's API path.
func newContactsImport(t *testing.T) (svc *importer.Service, admin client, imp struct{ Slug string }, base string) {
	t.Helper()
	s, svc := newImporterServer(t, false)
	admin = client{t, s.PortHandler(), adminToken}
	admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON))
	admin.json("POST", "/api/importer/imports", map[string]any{"importer_slug": "contacts"}, 201, &imp)
	return svc, admin, imp, "/api/importer/imports/" + imp.Slug
}

type uploadState struct {
	Offset   int    `json:"offset"`
	Total    int    `json:"total"`
	Name     string `json:"name"`
	Complete bool   `json:"complete"`
}

// An upload sent as ranges resumes where a cut left it, the whole
// file's hash is right, and each wrong range gets its own clear error
// (both engines, through the real handler).
func TestImporterResumableUpload(t *testing.T) {
	svc, admin, imp, base := newContactsImport(t)
	h := admin.h
	file := contactsFile(3<<20 + 12345)
	n := len(file)

	var st uploadState
	admin.json("GET", base+"/upload", nil, 200, &st)
	if st != (uploadState{}) {
		t.Fatalf("state before any upload: %+v", st)
	}
	// the first attempt is the whole file, cut after 1.5 MiB
	cut := 3 << 19
	if code, body := putRange(t, admin, imp.Slug, file, 0, n-1, n, cut); code != 422 || !strings.Contains(body, "continue") {
		t.Fatalf("cut range: %d %s", code, body)
	}
	admin.json("GET", base+"/upload", nil, 200, &st)
	if st.Offset != cut || st.Total != n || st.Complete || st.Name != "people.csv" {
		t.Fatalf("state after the cut: %+v, want offset %d of %d", st, cut, n)
	}
	// HEAD gives the offset in headers
	req := httptest.NewRequest("HEAD", base+"/upload", nil)
	req.Host = "127.0.0.1:8787"
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Upload-Offset") != fmt.Sprint(cut) || rec.Header().Get("Upload-Length") != fmt.Sprint(n) {
		t.Fatalf("HEAD upload: %d offset %q length %q", rec.Code, rec.Header().Get("Upload-Offset"), rec.Header().Get("Upload-Length"))
	}

	for _, tc := range []struct {
		name              string
		start, end, total int
		status            int
		want              string
	}{
		{"a gap after the offset", cut + 10, n - 1, n, 409, fmt.Sprintf("continue from byte %d", cut)},
		{"an overlap before the offset", cut - 10, n - 1, n, 409, fmt.Sprintf("continue from byte %d", cut)},
		{"a wrong total", cut, n - 1, n + 1, 422, fmt.Sprintf("differs from the %d bytes", n)},
		{"a total past the importer's limit", cut, n - 1, 200_000_000, 413, "accepts at most 100 MB"},
	} {
		body := file[tc.start:min(tc.end+1, n)]
		end := tc.start + len(body) - 1
		req := httptest.NewRequest("PUT", base+"/file?name=people.csv", strings.NewReader(body))
		req.Host = "127.0.0.1:8787"
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", tc.start, end, tc.total))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}
	for _, tc := range []struct{ name, header, want string }{
		{"no unit", "0-9/10", "want bytes START-END/TOTAL"},
		{"end before start", "bytes 9-0/10", "END must be at least START and below TOTAL"},
		{"end past the total", "bytes 0-10/10", "END must be at least START and below TOTAL"},
		{"no total", "bytes 0-9/*", "want bytes START-END/TOTAL"},
	} {
		req := httptest.NewRequest("PUT", base+"/file?name=people.csv", strings.NewReader("0123456789"))
		req.Host = "127.0.0.1:8787"
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Range", tc.header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 422 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("Content-Range %s: %d %s, want 422 with %q", tc.name, rec.Code, rec.Body.String(), tc.want)
		}
	}
	// a body whose length is not the range's
	req = httptest.NewRequest("PUT", base+"/file?name=people.csv", strings.NewReader(file[cut:cut+100]))
	req.Host = "127.0.0.1:8787"
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", cut, n-1, n))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "Content-Length 100") {
		t.Errorf("short body: %d %s", rec.Code, rec.Body.String())
	}
	admin.json("GET", base+"/upload", nil, 200, &st)
	if st.Offset != cut {
		t.Fatalf("the refused ranges moved the offset to %d, want %d", st.Offset, cut)
	}

	// a middle range (202 with the new offset), then the rest (200, the preview)
	mid := cut + 1<<20 + 777
	code, body := putRange(t, admin, imp.Slug, file, cut, mid-1, n, -1)
	if code != 202 || !strings.Contains(body, fmt.Sprintf(`"offset":%d`, mid)) {
		t.Fatalf("middle range: %d %s", code, body)
	}
	code, body = putRange(t, admin, imp.Slug, file, mid, n-1, n, -1)
	if code != 200 || !strings.Contains(body, `"headers":["first_name","email","seats"]`) {
		t.Fatalf("last range: %d %.300s", code, body)
	}
	admin.json("GET", base+"/upload", nil, 200, &st)
	if st.Offset != n || st.Total != n || !st.Complete {
		t.Fatalf("state after the last range: %+v", st)
	}
	f, got, err := svc.OriginalFile(context.Background(), imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(f)
	f.Close()
	sum := sha256.Sum256([]byte(file))
	if string(stored) != file || got.FileSHA256 != hex.EncodeToString(sum[:]) || got.FileSize != int64(n) {
		t.Fatalf("stored file: %d bytes (sha256 %s, size %d), want the %d uploaded (%x)", len(stored), got.FileSHA256, got.FileSize, n, sum)
	}
	// resuming the finished upload
	if code, body := putRange(t, admin, imp.Slug, file, n-100, n-1, n, -1); code != 409 || !strings.Contains(body, "is complete") {
		t.Fatalf("resume of a finished upload: %d %s", code, body)
	}
	// a range at byte 0 starts a new upload; a one-request upload still works
	small := "first_name,email,seats\nAda,ada@example.com,3\n"
	if code, body := putRange(t, admin, imp.Slug, small, 0, len(small)-1, len(small), -1); code != 200 || !strings.Contains(body, `"Ada"`) {
		t.Fatalf("a new ranged upload: %d %s", code, body)
	}
	if code, body := admin.do("PUT", base+"/file?name=people.csv", "text/csv", strings.NewReader(file)); code != 200 {
		t.Fatalf("one-request upload: %d %.300s", code, body)
	}
	admin.json("GET", base+"/upload", nil, 200, &st)
	if st.Offset != n || !st.Complete {
		t.Fatalf("state after a one-request upload: %+v", st)
	}
	var v json.RawMessage
	admin.json("GET", base, nil, 200, &v)
}

// TestSecurityResumableUploadLeavesNoBytesOnAnotherReplica: on a team
// server a resumable upload's bytes between its ranges are the chunks in
// the database (which the pending-upload quota counts); the file a
// replica writes while receiving a range is not left behind it. Else a
// client whose ranges land on two replicas (a load balancer's round
// robin) leaves each upload's bytes on the first replica's disk, outside
// the quota, when the second replica restarts or completes the upload:
// dropping or completing an upload only reaches the disk of the replica
// doing it.
func TestSecurityResumableUploadLeavesNoBytesOnAnotherReplica(t *testing.T) {
	storetest.PostgresOnly(t)
	url := storetest.MigratedPostgresURL(t)
	replica := func() (http.Handler, string) {
		dir := t.TempDir()
		db, err := store.OpenDatabase(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		svc := importer.New(db, dir, nil)
		s := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{"index.html": {Data: []byte("x")}}, AdminToken: adminToken}, httpapi.Deps{DB: db, Importer: svc})
		return s.PortHandler(), dir
	}
	ha, dirA := replica()
	hb, _ := replica()
	a, b := client{t, ha, adminToken}, client{t, hb, adminToken}
	a.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON))
	var imp struct{ Slug string }
	a.json("POST", "/api/importer/imports", map[string]any{"importer_slug": "contacts"}, 201, &imp)
	file := contactsFile(2<<20 + 999)
	n := len(file)
	resumeFiles := func() []string {
		m, _ := filepath.Glob(filepath.Join(dirA, "uploads", "*", "resume-*.part"))
		return m
	}
	// a range one byte short of the total reaches replica A...
	if code, body := putRange(t, a, imp.Slug, file, 0, n-2, n, -1); code != 202 {
		t.Fatalf("first range on replica A: %d %s", code, body)
	}
	// ...the next, from byte 0, replica B (which drops the first upload)
	if code, body := putRange(t, b, imp.Slug, file, 0, n-2, n, -1); code != 202 {
		t.Fatalf("restart on replica B: %d %s", code, body)
	}
	if left := resumeFiles(); len(left) > 0 {
		t.Fatalf("replica A keeps %v of an upload dropped on replica B", left)
	}
	// the upload resumed on replica A still completes (from the chunks)
	if code, body := putRange(t, a, imp.Slug, file, n-1, n-1, n, -1); code != 200 {
		t.Fatalf("last range on replica A: %d %.300s", code, body)
	}
	var st uploadState
	b.json("GET", "/api/importer/imports/"+imp.Slug+"/upload", nil, 200, &st)
	if !st.Complete || st.Offset != n {
		t.Fatalf("state after the last range: %+v", st)
	}
}

// A range whose body comes without a Content-Length (chunked transfer
// coding, or the desktop window's asset server, which streams every
// request body) is taken by its bytes: one of the range's length is
// stored, one that runs past END is refused and nothing past END is kept.
func TestImporterRangeWithoutContentLength(t *testing.T) {
	svc, admin, imp, base := newContactsImport(t)
	h := admin.h
	file := contactsFile(2<<20 + 999)
	n := len(file)
	put := func(start, end int, body string) (int, string) {
		req := httptest.NewRequest("PUT", base+"/file?name=people.csv", io.MultiReader(strings.NewReader(body)))
		req.ContentLength = -1 // unknown: streamed
		req.Host = "127.0.0.1:8787"
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, n))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	mid := 1<<20 + 5
	if code, body := put(0, mid-1, file[:mid]); code != 202 || !strings.Contains(body, fmt.Sprintf(`"offset":%d`, mid)) {
		t.Fatalf("first streamed range: %d %s", code, body)
	}
	// a body that runs 10 bytes past its range's END
	code, body := put(mid, mid+99, file[mid:mid+110])
	if code != 422 || !strings.Contains(body, "longer than the range") {
		t.Fatalf("streamed body past END: %d %s, want 422 naming the extra bytes", code, body)
	}
	var st uploadState
	admin.json("GET", base+"/upload", nil, 200, &st)
	if st.Offset > mid+100 {
		t.Fatalf("the offset after a body past END is %d: bytes past END (%d) were kept", st.Offset, mid+100)
	}
	if code, body := put(st.Offset, n-1, file[st.Offset:]); code != 200 || !strings.Contains(body, `"headers":["first_name","email","seats"]`) {
		t.Fatalf("last streamed range: %d %.300s", code, body)
	}
	f, got, err := svc.OriginalFile(context.Background(), imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(f)
	f.Close()
	sum := sha256.Sum256([]byte(file))
	if string(stored) != file || got.FileSHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored file: %d bytes (sha256 %s), want the %d uploaded (%x)", len(stored), got.FileSHA256, n, sum)
	}
}
