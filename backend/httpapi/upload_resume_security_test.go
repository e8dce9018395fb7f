package httpapi

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityPartialUploadsCountTowardPendingQuota: the bytes a
// resumable upload keeps between its ranges are held on disk (and on a
// team server in the database) until it completes or goes stale, so they
// count toward FUSEBOX_MAX_PENDING_UPLOAD_BYTES like a completed upload's
// file. Sessions each leaving an upload one byte short of its total
// cannot hold more than the quota: the range that would go past it gets
// 503 EUNAVAILABLE, and the uploads kept still resume.
func TestSecurityPartialUploadsCountTowardPendingQuota(t *testing.T) {
	e := newSessEnv(t)
	e.imp.MaxPendingUploadBytes = 3000
	file := "name,email\n" + strings.Repeat("Ada,ada@example.com\n", 44) // 891 bytes
	total := len(file)
	putRange := func(tok, slug string, start, end int) sessResp {
		r := httptest.NewRequest("PUT", "/api/importer/imports/"+slug+"/file?name=c.csv", strings.NewReader(file[start:end+1]))
		r.Host = "127.0.0.1:8787"
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/octet-stream")
		r.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, total))
		r.ContentLength = int64(end - start + 1)
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		return sessResp{status: w.Code, header: w.Header(), body: w.Body.String()}
	}
	type held struct{ tok, slug string }
	var kept []held
	for i := range 3 {
		tok := e.createSession("contacts", "").Token
		c := e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{"importer_slug":"contacts"}`})
		if c.status != 201 {
			t.Fatalf("create import: %d %s", c.status, c.body)
		}
		slug := jsonField(t, c.body, "slug")
		if r := putRange(tok, slug, 0, total-2); r.status != 202 {
			t.Fatalf("partial upload %d: %d %s", i+1, r.status, r.body)
		}
		kept = append(kept, held{tok, slug})
	}
	before := dirBytes(t, filepath.Join(e.dir, "uploads"))
	tok := e.createSession("contacts", "").Token
	c := e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{"importer_slug":"contacts"}`})
	slug := jsonField(t, c.body, "slug")
	wantErr(t, putRange(tok, slug, 0, total-2), 503, "EUNAVAILABLE", "FUSEBOX_MAX_PENDING_UPLOAD_BYTES")
	if after := dirBytes(t, filepath.Join(e.dir, "uploads")); after != before {
		t.Fatalf("the refused range left %d bytes on disk", after-before)
	}
	// an upload kept finishes: its own bytes are already counted
	if r := putRange(kept[0].tok, kept[0].slug, total-1, total-1); r.status != 200 {
		t.Fatalf("finishing a kept upload: %d %s", r.status, r.body)
	}
}
