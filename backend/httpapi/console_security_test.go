package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"fusebox/backend/workspace"
)

// consoleEnv is the sessions test server plus the workspace routes, with
// a console login cookie obtained through /login.
type consoleEnv struct {
	*sessEnv
	cookie string
}

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	e := newSessEnv(t)
	e.srv.deps.Workspace = workspace.New(e.db, e.imp.Section())
	e.srv.mux = http.NewServeMux()
	e.srv.routes()
	e.h = e.srv.PortHandler()
	return &consoleEnv{sessEnv: e, cookie: consoleLogin(t, e)}
}

// consoleLogin exchanges a fresh login code for a console cookie value.
func consoleLogin(t *testing.T, e *sessEnv) string {
	t.Helper()
	r := e.do(sessReq{"GET", "/login?code=" + e.srv.NewLoginCode(), nil, ""})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == adminCookie && c.Value != "" {
			return c.Value
		}
	}
	t.Fatal("login set no console cookie")
	return ""
}

// headers builds request headers: the console cookie plus key/value pairs.
func (e *consoleEnv) headers(kv ...string) map[string]string {
	h := map[string]string{"Cookie": adminCookie + "=" + e.cookie}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

func (e *consoleEnv) keyCount() int {
	keys, err := e.sess.ListKeys(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(keys)
}

const crossSiteYAML = "version: 1\nimporters:\n  - slug: evil\n    name: Evil\n    columns:\n      - key: a\n        label: A\n        type: string\n"

// A page on another port of 127.0.0.1 is the same site as the console, so
// the SameSite=Strict cookie rides along; its text/plain and form posts
// must change nothing, while the console's own requests keep working.
func TestSecurityCrossSiteAdminWritesRefused(t *testing.T) {
	e := newConsoleEnv(t)
	ctx := context.Background()
	keysBefore := e.keyCount()
	evilKey := `{"name":"evil","kind":"secret","x":"=1"}`
	crossPort := []string{"Origin", "http://127.0.0.1:3000", "Sec-Fetch-Site", "same-site"}
	for _, tc := range []struct {
		name, method, path, body string
		h                        map[string]string
	}{
		{"no-cors fetch text/plain YAML", "POST", "/api/admin/workspace", crossSiteYAML,
			e.headers(append([]string{"Content-Type", "text/plain;charset=UTF-8"}, crossPort...)...)},
		{"text/plain YAML, Origin only (no Sec-Fetch-Site)", "POST", "/api/admin/workspace", crossSiteYAML,
			e.headers("Content-Type", "text/plain", "Origin", "http://127.0.0.1:3000")},
		{"text/plain form to keys", "POST", "/api/admin/keys", evilKey,
			e.headers(append([]string{"Content-Type", "text/plain"}, crossPort...)...)},
		{"urlencoded form to keys", "POST", "/api/admin/keys", "a=b",
			e.headers(append([]string{"Content-Type", "application/x-www-form-urlencoded"}, crossPort...)...)},
		{"cross-port JSON to keys", "POST", "/api/admin/keys", `{"name":"evil","kind":"secret"}`,
			e.headers(append([]string{"Content-Type", "application/json"}, crossPort...)...)},
		{"cross-port YAML to workspace", "POST", "/api/admin/workspace", crossSiteYAML,
			e.headers(append([]string{"Content-Type", "text/yaml"}, crossPort...)...)},
		{"same-origin but text/plain", "POST", "/api/admin/keys", evilKey,
			e.headers("Content-Type", "text/plain", "Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:8787")},
		{"same-origin but text/plain YAML", "POST", "/api/admin/workspace", crossSiteYAML,
			e.headers("Content-Type", "text/plain", "Sec-Fetch-Site", "same-origin")},
		{"cross-port logout", "POST", "/logout", "", e.headers(crossPort...)},
		{"cookie without any browser header or content type", "POST", "/api/admin/keys", evilKey, e.headers()},
		{"cross-port importer route with the console cookie", "POST", "/api/importer/imports", `{"importer":"contacts"}`,
			e.headers(append([]string{"Content-Type", "text/plain"}, crossPort...)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(sessReq{tc.method, tc.path, tc.h, tc.body})
			if r.status != http.StatusForbidden && r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 403 (or 401); body %s", r.status, r.body)
			}
		})
	}
	if _, err := e.imp.GetImporter(ctx, "evil"); err == nil {
		t.Fatal("a cross-site request applied the workspace file")
	}
	if n := e.keyCount(); n != keysBefore {
		t.Fatalf("cross-site requests created %d keys", n-keysBefore)
	}
	if r := e.do(sessReq{"GET", "/api/admin/dashboard", e.headers(), ""}); r.status != http.StatusOK {
		t.Fatalf("cross-site logout ended the session: %d %s", r.status, r.body)
	}
	var imports int
	if err := e.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_imports`).Scan(&imports); err != nil || imports != 0 {
		t.Fatalf("cross-site importer call created %d imports (%v)", imports, err)
	}

	// The console's own requests (same origin, JSON or YAML) work.
	same := []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:8787"}
	r := e.do(sessReq{"POST", "/api/admin/keys", e.headers(append([]string{"Content-Type", "application/json"}, same...)...),
		`{"name":"console","kind":"secret"}`})
	if r.status != http.StatusCreated {
		t.Fatalf("console create key: %d %s", r.status, r.body)
	}
	r = e.do(sessReq{"POST", "/api/admin/workspace", e.headers(append([]string{"Content-Type", "text/yaml; charset=utf-8"}, same...)...),
		strings.ReplaceAll(crossSiteYAML, "evil", "mine")})
	if r.status != http.StatusOK {
		t.Fatalf("console apply: %d %s", r.status, r.body)
	}
	keys, _ := e.sess.ListKeys(ctx)
	id := keys[len(keys)-1].ID
	for _, k := range keys {
		if k.Name == "console" {
			id = k.ID
		}
	}
	// A request without a body (deactivate) needs the same-origin proof.
	r = e.do(sessReq{"POST", "/api/admin/keys/" + id + "/deactivate", e.headers(crossPort...), ""})
	if r.status != http.StatusForbidden {
		t.Fatalf("cross-port deactivate: %d %s", r.status, r.body)
	}
	r = e.do(sessReq{"POST", "/api/admin/keys/" + id + "/deactivate", e.headers("Sec-Fetch-Site", "same-origin", "Content-Type", "application/json"), ""})
	if r.status != http.StatusOK {
		t.Fatalf("console deactivate: %d %s", r.status, r.body)
	}

	// A script with the admin token (no browser headers) keeps working,
	// with or without a body.
	r = e.do(sessReq{"POST", "/api/admin/keys", bearerH(e.admin, "Content-Type", "application/json"), `{"name":"script","kind":"secret"}`})
	if r.status != http.StatusCreated {
		t.Fatalf("script create key: %d %s", r.status, r.body)
	}
	r = e.do(sessReq{"POST", "/api/admin/keys/" + id + "/deactivate", bearerH(e.admin), ""})
	if r.status != http.StatusOK {
		t.Fatalf("script deactivate without a body: %d %s", r.status, r.body)
	}
	r = e.do(sessReq{"POST", "/api/admin/workspace", bearerH(e.admin, "Content-Type", "application/yaml"), crossSiteYAML})
	if r.status != http.StatusOK {
		t.Fatalf("script apply: %d %s", r.status, r.body)
	}
	// The refusal says what to do.
	r = e.do(sessReq{"POST", "/api/admin/keys", e.headers(append([]string{"Content-Type", "text/plain"}, crossPort...)...), evilKey})
	wantErr(t, r, http.StatusForbidden, "EFORBIDDEN", "origin")
	r = e.do(sessReq{"POST", "/api/admin/keys", bearerH(e.admin, "Content-Type", "text/plain"), evilKey})
	wantErr(t, r, http.StatusForbidden, "EFORBIDDEN", "application/json")
}

// Logging out deletes the session on the server: the old cookie value no
// longer works even if the browser (or a copy of it) keeps sending it.
func TestSecurityLogoutEndsConsoleSession(t *testing.T) {
	e := newConsoleEnv(t)
	dash := sessReq{"GET", "/api/admin/dashboard", e.headers(), ""}
	if r := e.do(dash); r.status != http.StatusOK {
		t.Fatalf("before logout: %d %s", r.status, r.body)
	}
	r := e.do(sessReq{"POST", "/logout", e.headers("Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:8787"), ""})
	if r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := e.do(dash); r.status != http.StatusUnauthorized {
		t.Fatalf("old cookie after logout: %d %s", r.status, r.body)
	}
	if r := e.do(sessReq{"GET", "/login", e.headers(), ""}); r.status != http.StatusUnauthorized {
		t.Fatalf("/login with the old cookie after logout: %d", r.status)
	}
}

// A console session ends after ConsoleIdle without use and after
// ConsoleMaxAge in any case; the in-memory maps stay bounded.
func TestSecurityConsoleSessionIdleExpiry(t *testing.T) {
	e := newConsoleEnv(t)
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	e.cookie = consoleLogin(t, e.sessEnv)
	dash := func() int { return e.do(sessReq{"GET", "/api/admin/dashboard", e.headers(), ""}).status }

	now = now.Add(defaultConsoleIdle - time.Minute)
	if st := dash(); st != http.StatusOK {
		t.Fatalf("used within the idle limit: %d", st)
	}
	now = now.Add(defaultConsoleIdle - time.Minute) // still within idle of the last use
	if st := dash(); st != http.StatusOK {
		t.Fatalf("used again within the idle limit: %d", st)
	}
	now = now.Add(defaultConsoleIdle + time.Second)
	if st := dash(); st != http.StatusUnauthorized {
		t.Fatalf("after %s idle: %d, want 401", defaultConsoleIdle, st)
	}

	// Absolute cap: kept busy, the session still ends at ConsoleMaxAge.
	e.cookie = consoleLogin(t, e.sessEnv)
	start := now
	for now.Sub(start) < defaultConsoleMaxAge-time.Hour {
		now = now.Add(time.Hour)
		if st := dash(); st != http.StatusOK {
			t.Fatalf("busy session at %s: %d", now.Sub(start), st)
		}
	}
	now = start.Add(defaultConsoleMaxAge + time.Second)
	if st := dash(); st != http.StatusUnauthorized {
		t.Fatalf("after the max age: %d, want 401", st)
	}

	// Bounded maps: many logins and printed codes do not grow without end.
	for range defaultMaxConsoleSessions + 50 {
		e.srv.logins.exchange(context.Background(), e.srv.NewLoginCode())
	}
	for range maxLoginCodes + 50 {
		e.srv.NewLoginCode()
	}
	e.srv.logins.mu.Lock()
	ns, nc := len(e.srv.logins.sessions), len(e.srv.logins.codes)
	e.srv.logins.mu.Unlock()
	if ns > defaultMaxConsoleSessions || nc > maxLoginCodes {
		t.Fatalf("sessions %d (limit %d), codes %d (limit %d)", ns, defaultMaxConsoleSessions, nc, maxLoginCodes)
	}
}

// A secret key sent from a browser (with an Origin header) is refused:
// secret keys belong on servers. Publishable keys from their origins and
// secret keys from servers keep working.
func TestSecuritySecretKeyFromBrowserRefused(t *testing.T) {
	e := newSessEnv(t)
	for _, rq := range []sessReq{
		{"POST", "/api/v1/importer/sessions", bearerH(e.secret, "Content-Type", "application/json", "Origin", "https://shop.example"), `{"importer_slug":"contacts"}`},
		{"GET", "/api/v1/imports", bearerH(e.secret, "Origin", "https://shop.example"), ""},
		{"GET", "/api/v1/importer/sessions", bearerH(e.secret, "Origin", "http://127.0.0.1:8787"), ""},
	} {
		r := e.do(rq)
		wantErr(t, r, http.StatusForbidden, "EFORBIDDEN", "secret keys belong on your server")
	}
	if r := e.do(sessReq{"GET", "/api/v1/imports", bearerH(e.secret), ""}); r.status != http.StatusOK {
		t.Fatalf("secret key from a server: %d %s", r.status, r.body)
	}
	e.createSession("contacts", "")
}
