package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"fusebox/backend/importer"
)

// TestSecurityImportsPerSessionLimit: one session token starts at most
// importer.DefaultMaxImportsPerSession imports; the next gets 403 ELIMIT
// naming the limit, and another session is unaffected.
func TestSecurityImportsPerSessionLimit(t *testing.T) {
	e := newSessEnv(t)
	tok := e.createSession("contacts", `{"user_id":"u1"}`).Token
	create := func(tok string) sessResp {
		return e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{}`})
	}
	for i := range importer.DefaultMaxImportsPerSession {
		if r := create(tok); r.status != 201 {
			t.Fatalf("import %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := create(tok)
	if r.status != 403 || !strings.Contains(r.body, `"ELIMIT"`) || !strings.Contains(r.body, "100 imports") {
		t.Fatalf("import past the limit: %d %s", r.status, r.body)
	}
	if r := create(e.createSession("contacts", `{"user_id":"u2"}`).Token); r.status != 201 {
		t.Fatalf("another session: %d %s", r.status, r.body)
	}
}

// TestSecurityDefaultMaxFileSize: an importer without max_file_size
// accepts files up to 100 MB, the figure the embed is told (and shows on
// its upload step); a larger Content-Length is refused up front with
// 413 naming "100 MB" in the units the upload step uses.
func TestSecurityDefaultMaxFileSize(t *testing.T) {
	e := newSessEnv(t)
	tok := e.createSession("contacts", `{"user_id":"u1"}`).Token
	r := e.do(sessReq{"GET", "/api/importer/importer", bearerH(tok), ""})
	if r.status != 200 || !strings.Contains(r.body, `"max_file_bytes":100000000`) {
		t.Fatalf("definition: %d %s", r.status, r.body)
	}
	c := e.do(sessReq{"POST", "/api/importer/imports", bearerH(tok, "Content-Type", "application/json"), `{}`})
	slug := jsonField(t, c.body, "slug")
	req := httptest.NewRequest("PUT", "/api/importer/imports/"+slug+"/file?name=big.csv", strings.NewReader("a,b\n1,2\n"))
	req.Host = "127.0.0.1:8787"
	req.Header.Set("Authorization", "Bearer "+tok)
	req.ContentLength = 100_000_001
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != 413 || !strings.Contains(w.Body.String(), "at most 100 MB") {
		t.Fatalf("upload over the default cap: %d %s", w.Code, w.Body.String())
	}
}

func jsonField(t *testing.T, body, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	v, _ := m[key].(string)
	return v
}
