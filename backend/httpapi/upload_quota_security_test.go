package httpapi

import (
	"io/fs"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/importer"
	"fusebox/backend/sessions"
)

// TestSecurityPublishableKeySessionCreationIsRateLimited: publishable
// keys are public, so a page can mint importer sessions (and with them
// fresh upload quotas) as fast as it likes. Session creation with a
// publishable key is limited per key and client address (burst 30, then
// 1/s): the 31st rapid request gets 429 ERATELIMIT naming the limit; the
// same key from another address and a secret key are unaffected.
func TestSecurityPublishableKeySessionCreationIsRateLimited(t *testing.T) {
	e := newSessEnv(t)
	pub := e.createKey(sessions.NewKey{Name: "web", Kind: sessions.KindPublishable, Importers: []string{"contacts"}, Origins: []string{"https://app.example.com"}})
	send := func(from, key string, origin bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/importer/sessions", strings.NewReader(`{"importer_slug":"contacts"}`))
		r.Host = "127.0.0.1:8787"
		r.RemoteAddr = from + ":40000"
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		if origin {
			r.Header.Set("Origin", "https://app.example.com")
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		return w
	}
	for i := range 30 {
		if w := send("127.0.0.1", pub.Secret, true); w.Code != 201 {
			t.Fatalf("session %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := send("127.0.0.1", pub.Secret, true)
	if w.Code != 429 || !strings.Contains(w.Body.String(), `"ERATELIMIT"`) || !strings.Contains(w.Body.String(), "publishable key") || w.Header().Get("Retry-After") == "" {
		t.Fatalf("31st session from one key and address: %d %s Retry-After=%q; want 429 ERATELIMIT naming the publishable key limit", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	if w := send("127.0.0.2", pub.Secret, true); w.Code != 201 {
		t.Fatalf("the same key from another address: %d %s", w.Code, w.Body)
	}
	if w := send("127.0.0.1", e.secret, false); w.Code != 201 {
		t.Fatalf("a secret key: %d %s", w.Code, w.Body)
	}
}

// TestSecurityPendingUploadsQuota: the bytes held by uploads of imports
// not yet submitted are capped data-dir-wide, whoever uploads (session or
// admin), so minting sessions cannot fill the disk. Past the quota an
// upload gets 503 EUNAVAILABLE naming FUSEBOX_MAX_PENDING_UPLOAD_BYTES,
// with a known size up front or while a body of unknown size streams,
// and leaves nothing on disk; replacing an import's own file still works.
func TestSecurityPendingUploadsQuota(t *testing.T) {
	e := newSessEnv(t)
	e.imp.MaxPendingUploadBytes = 3000
	file := "name,email\n" + strings.Repeat("Ada,ada@example.com\n", 44) // 891 bytes
	upload := func(auth, slug string, size int64) sessResp {
		r := httptest.NewRequest("PUT", "/api/importer/imports/"+slug+"/file?name=c.csv", strings.NewReader(file))
		r.Host = "127.0.0.1:8787"
		r.Header.Set("Authorization", "Bearer "+auth)
		r.ContentLength = size
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		return sessResp{status: w.Code, header: w.Header(), body: w.Body.String()}
	}
	newImport := func(auth string) string {
		r := e.do(sessReq{"POST", "/api/importer/imports", bearerH(auth, "Content-Type", "application/json"), `{"importer_slug":"contacts"}`})
		if r.status != 201 {
			t.Fatalf("create import: %d %s", r.status, r.body)
		}
		return jsonField(t, r.body, "slug")
	}
	var first, firstTok string
	for i := range 3 {
		tok := e.createSession("contacts", "").Token
		slug := newImport(tok)
		if r := upload(tok, slug, int64(len(file))); r.status != 200 {
			t.Fatalf("upload %d: %d %s", i+1, r.status, r.body)
		}
		if i == 0 {
			first, firstTok = slug, tok
		}
	}
	before := dirBytes(t, filepath.Join(e.dir, "uploads"))
	tok := e.createSession("contacts", "").Token
	slug := newImport(tok)
	wantErr(t, upload(tok, slug, int64(len(file))), 503, "EUNAVAILABLE", "FUSEBOX_MAX_PENDING_UPLOAD_BYTES")
	wantErr(t, upload(tok, slug, -1), 503, "EUNAVAILABLE", "FUSEBOX_MAX_PENDING_UPLOAD_BYTES")
	wantErr(t, upload(e.admin, newImport(e.admin), -1), 503, "EUNAVAILABLE", "FUSEBOX_MAX_PENDING_UPLOAD_BYTES")
	if after := dirBytes(t, filepath.Join(e.dir, "uploads")); after != before {
		t.Fatalf("refused uploads left %d bytes on disk", after-before)
	}
	if r := upload(firstTok, first, int64(len(file))); r.status != 200 {
		t.Fatalf("replacing an import's own file: %d %s", r.status, r.body)
	}
}

// TestSecurityUploadRefusedWhenDiskNearlyFull: an upload is refused with
// 503 EUNAVAILABLE ("disk nearly full", naming FUSEBOX_MIN_FREE_DISK_BYTES)
// when the data dir's filesystem has less free space than the minimum.
func TestSecurityUploadRefusedWhenDiskNearlyFull(t *testing.T) {
	e := newSessEnv(t)
	if _, ok := importer.FreeDiskBytes(e.dir); !ok {
		t.Skip("free disk space is not checked on this OS")
	}
	e.imp.MinFreeDiskBytes = 1 << 62
	tok := e.createSession("contacts", "").Token
	c := e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{}`})
	r := httptest.NewRequest("PUT", "/api/importer/imports/"+jsonField(t, c.body, "slug")+"/file?name=c.csv", strings.NewReader("name\nAda\n"))
	r.Host = "127.0.0.1:8787"
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	wantErr(t, sessResp{status: w.Code, header: w.Header(), body: w.Body.String()}, 503, "EUNAVAILABLE", "disk nearly full")
	if !strings.Contains(w.Body.String(), "FUSEBOX_MIN_FREE_DISK_BYTES") {
		t.Fatalf("the error does not name the limit: %s", w.Body)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
