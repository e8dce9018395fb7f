package httpapi_test

import (
	"context"
	"encoding/json"
	"fusebox/backend/store/storetest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"fusebox/backend/httpapi"
)

const adminToken = "test-admin-token-0123456789abcdef0123456789"

func newServer(t *testing.T) *httpapi.Server {
	t.Helper()
	db := storetest.Open(t)
	assets := fstest.MapFS{
		"index.html":        {Data: []byte("<!doctype html><title>Fusebox console</title>")},
		"assets/app-abc.js": {Data: []byte("console.log(1)")},
		"sdk/importer.js":   {Data: []byte("export default class FuseboxImporter {}")},
		"demo/index.html":   {Data: []byte("<!doctype html><title>demo</title>")},
	}
	return httpapi.New(httpapi.Config{Version: "v-test", Assets: assets, AdminToken: adminToken}, httpapi.Deps{
		DB:    db,
		Stats: []httpapi.Stat{{Name: "Things", Count: func(context.Context) (int64, error) { return 42, nil }}},
	})
}

// scenario is one request through a door and what must come back.
type scenario struct {
	name        string
	window      bool
	method, url string
	host        string
	headers     map[string]string
	body        string
	wantStatus  int
	wantContain []string
	wantAbsent  []string
}

func (sc scenario) run(t *testing.T, s *httpapi.Server) *http.Response {
	t.Helper()
	var body io.Reader
	if sc.body != "" {
		body = strings.NewReader(sc.body)
	}
	req := httptest.NewRequest(sc.method, sc.url, body)
	req.Host = "127.0.0.1:8787"
	if sc.host != "" {
		req.Host = sc.host
	}
	for k, v := range sc.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h := s.PortHandler()
	if sc.window {
		h = s.WindowHandler()
	}
	h.ServeHTTP(rec, req)
	res := rec.Result()
	got := rec.Body.String()
	if res.StatusCode != sc.wantStatus {
		t.Errorf("%s %s: status %d, want %d; body %s", sc.method, sc.url, res.StatusCode, sc.wantStatus, got)
	}
	for _, w := range sc.wantContain {
		if !strings.Contains(got, w) {
			t.Errorf("%s %s: body does not contain %q: %s", sc.method, sc.url, w, got)
		}
	}
	for _, w := range sc.wantAbsent {
		if strings.Contains(got, w) {
			t.Errorf("%s %s: body contains %q: %s", sc.method, sc.url, w, got)
		}
	}
	return res
}

func TestSystemScenarios(t *testing.T) {
	s := newServer(t)
	for _, sc := range []scenario{
		{name: "healthz", method: "GET", url: "/healthz", wantStatus: 200, wantContain: []string{`"status":"ok"`, `"version":"v-test"`}},
		{name: "admin refused on the port without token", method: "GET", url: "/api/admin/dashboard", wantStatus: 401,
			wantContain: []string{`"code":"EUNAUTHORIZED"`, "admin login required"}, wantAbsent: []string{"Things"}},
		{name: "admin refused with a wrong token", method: "GET", url: "/api/admin/dashboard",
			headers: map[string]string{"Authorization": "Bearer nope"}, wantStatus: 401},
		{name: "admin refused with a forged cookie", method: "GET", url: "/api/admin/dashboard",
			headers: map[string]string{"Cookie": "fusebox_admin=forged"}, wantStatus: 401},
		{name: "a header cannot claim the window door", method: "GET", url: "/api/admin/dashboard",
			headers: map[string]string{"X-Fusebox-Door": "window", "Origin": "wails://wails"}, wantStatus: 401},
		{name: "admin with bearer token", method: "GET", url: "/api/admin/dashboard",
			headers: map[string]string{"Authorization": "Bearer " + adminToken}, wantStatus: 200,
			wantContain: []string{`"name":"Things"`, `"count":42`, `"schema_version":`}},
		{name: "window door is trusted", window: true, method: "GET", url: "/api/admin/whoami", wantStatus: 200,
			wantContain: []string{`"door":"window"`}},
		{name: "rebinding host refused", method: "GET", url: "/healthz", host: "attacker.example:8787", wantStatus: 403,
			wantContain: []string{`"code":"EFORBIDDEN"`, "attacker.example"}},
		{name: "localhost allowed", method: "GET", url: "/healthz", host: "localhost:8787", wantStatus: 200},
		{name: "ipv6 loopback allowed", method: "GET", url: "/healthz", host: "[::1]:8787", wantStatus: 200},
		{name: "unknown api route is JSON", method: "GET", url: "/api/nope", wantStatus: 404, wantContain: []string{`"code":"ENOTFOUND"`}},
		{name: "console page", method: "GET", url: "/", wantStatus: 200, wantContain: []string{"Fusebox console"}},
		{name: "sdk file", method: "GET", url: "/sdk/importer.js", wantStatus: 200, wantContain: []string{"FuseboxImporter"}},
		{name: "missing asset", method: "GET", url: "/assets/nope.js", wantStatus: 404},
		{name: "ready needs JSON", window: true, method: "POST", url: "/api/admin/ready", body: "{nope", wantStatus: 422,
			wantContain: []string{"EINVALID", "not valid JSON"}},
		{name: "ready body too large", window: true, method: "POST", url: "/api/admin/ready",
			body: `{"page":"` + strings.Repeat("x", 5000) + `"}`, wantStatus: 413, wantContain: []string{"ETOOLARGE"}},
		{name: "ready wrong type", window: true, method: "POST", url: "/api/admin/ready", body: `{"page": 3}`,
			wantStatus: 422, wantContain: []string{`field \"page\" must be a string`}},
		{name: "ready ok", window: true, method: "POST", url: "/api/admin/ready", body: `{"page":"dashboard"}`, wantStatus: 204},
		{name: "upload step ready", window: true, method: "POST", url: "/api/admin/ready", body: `{"page":"importers","step":"upload","x":10,"y":20}`, wantStatus: 204},
		{name: "header step ready", window: true, method: "POST", url: "/api/admin/ready", body: `{"page":"importers","step":"header","x":10,"y":20}`, wantStatus: 204},
		{name: "unknown step", window: true, method: "POST", url: "/api/admin/ready", body: `{"page":"importers","step":"nope"}`,
			wantStatus: 422, wantContain: []string{"EINVALID", `step \"nope\"`}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
	}
}

func TestConsolePageRefusesFraming(t *testing.T) {
	s := newServer(t)
	res := scenario{method: "GET", url: "/", wantStatus: 200}.run(t, s)
	if csp := res.Header.Get("Content-Security-Policy"); csp != "frame-ancestors 'none'" {
		t.Errorf("console CSP = %q", csp)
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("console page sends CORS headers")
	}
}

func TestLoginCodeWorksOnce(t *testing.T) {
	s := newServer(t)
	code := s.NewLoginCode()
	res := scenario{method: "GET", url: "/login?code=" + code, wantStatus: 303}.run(t, s)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "fusebox_admin" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login cookie = %+v", cookie)
	}
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Errorf("redirect to %q, want / (without the code)", loc)
	}
	res = scenario{method: "GET", url: "/api/admin/dashboard", headers: map[string]string{"Cookie": "fusebox_admin=" + cookie.Value},
		wantStatus: 200}.run(t, s)
	var d struct {
		Version string `json:"version"`
	}
	_ = json.NewDecoder(res.Body).Decode(&d)
	scenario{method: "GET", url: "/login?code=" + code, wantStatus: 401, wantContain: []string{"not valid"}}.run(t, s)
	scenario{method: "GET", url: "/login?code=" + adminToken, wantStatus: 303}.run(t, s)
}

// The console route of --open reaches the window's console only; the
// browser console on the port keeps its own address.
func TestWhoamiOpenRouteWindowOnly(t *testing.T) {
	db := storetest.Open(t)
	bearer := map[string]string{"Authorization": "Bearer " + adminToken}
	for _, tc := range []struct {
		open string
		sc   scenario
	}{
		{"importers/contacts/try", scenario{window: true, wantContain: []string{`"open_route":"importers/contacts/try"`}}},
		{"importers/contacts/try", scenario{headers: bearer, wantAbsent: []string{"open_route"}}},
		{"", scenario{window: true, wantAbsent: []string{"open_route"}}},
	} {
		s := httpapi.New(httpapi.Config{Version: "v-test", Assets: fstest.MapFS{}, AdminToken: adminToken, ConsoleOpen: tc.open},
			httpapi.Deps{DB: db})
		tc.sc.method, tc.sc.url, tc.sc.wantStatus = "GET", "/api/admin/whoami", 200
		tc.sc.run(t, s)
	}
}
