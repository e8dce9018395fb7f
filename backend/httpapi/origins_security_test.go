package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// originsEnv is the real handler over a fresh data dir with one importer
// (contacts) and no origin configured anywhere: no allowed_origins, no
// publishable key. loopback is Config.LoopbackOnly.
type originsEnv struct {
	t   *testing.T
	imp *importer.Service
	srv *Server
	h   http.Handler
}

func newOriginsEnv(t *testing.T, loopback bool) *originsEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imp := importer.New(db, dir, log)
	for _, slug := range []string{"contacts", "orders"} {
		if _, err := imp.SaveImporter(ctx, &schema.Importer{Slug: slug, Name: slug, Columns: []schema.Column{
			{Key: "name", Label: "Name", Type: schema.TypeString},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	assets := fstest.MapFS{"embed/importer.html": {Data: []byte("<!doctype html><title>Fusebox Importer</title>")}}
	srv := New(Config{Version: "test", DataDir: dir, Logger: log, Assets: assets, AdminToken: embedAdminToken, LoopbackOnly: loopback},
		Deps{DB: db, Importer: imp})
	srv.SetBaseURL("http://127.0.0.1:8787")
	return &originsEnv{t: t, imp: imp, srv: srv, h: srv.PortHandler()}
}

// req sends one request through the port door from client address ip.
func (e *originsEnv) req(method, target, ip string, h map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "127.0.0.1:8787"
	if ip != "" {
		r.RemoteAddr = ip + ":40000"
	}
	for k, v := range h {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// check calls the embed check with an Origin header.
func (e *originsEnv) check(origin, slug string, extra ...string) EmbedCheck {
	e.t.Helper()
	h := map[string]string{"Origin": origin}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	w := e.req("GET", "/api/v1/embed/check?importer="+slug, "", h, "")
	if w.Code != http.StatusOK {
		e.t.Fatalf("check %s %s: %d %s", origin, slug, w.Code, w.Body.String())
	}
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		e.t.Errorf("check: Access-Control-Allow-Origin = %q, want * (the SDK reads it from any page)", got)
	}
	var c EmbedCheck
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
		e.t.Fatalf("check: %v: %s", err, w.Body.String())
	}
	return c
}

// frameAncestors returns the embed page's frame-ancestors for ?origin=.
func (e *originsEnv) frameAncestors(origin string, h map[string]string) string {
	e.t.Helper()
	w := e.req("GET", "/embed/importer?origin="+origin, "", h, "")
	if w.Code != http.StatusOK {
		e.t.Fatalf("embed page: %d %s", w.Code, w.Body.String())
	}
	return w.Header().Get("Content-Security-Policy")
}

func (e *originsEnv) refused(slug string) []importer.RefusedOrigin {
	e.t.Helper()
	list, err := e.imp.RefusedOrigins(context.Background(), slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func hasSource(csp, origin string) bool {
	for _, f := range strings.Fields(strings.TrimPrefix(csp, "frame-ancestors ")) {
		if f == origin {
			return true
		}
	}
	return false
}

func TestEmbedLoopbackListenerAllowsLocalPagesWithNoSetup(t *testing.T) {
	e := newOriginsEnv(t, true)
	for _, o := range []string{"http://localhost:5173", "http://127.0.0.1:3000", "https://localhost:8443", "http://localhost"} {
		if csp := e.frameAncestors(o, nil); !hasSource(csp, o) {
			t.Errorf("loopback listener: %s not in %q", o, csp)
		}
		if c := e.check(o, "contacts"); !c.Allowed || !strings.Contains(c.Reason, "loopback") {
			t.Errorf("check %s: %+v, want allowed by the loopback rule", o, c)
		}
	}
	// Only the loopback names: other pages still need configuration.
	for _, o := range []string{"http://127.0.0.2:3000", "http://hostpage.test:3000", "https://app.example.com", "http://localhost.example.com:3000"} {
		if csp := e.frameAncestors(o, nil); hasSource(csp, o) {
			t.Errorf("loopback listener: %s must not be allowed: %q", o, csp)
		}
		if c := e.check(o, "contacts"); c.Allowed {
			t.Errorf("check %s: %+v, want refused", o, c)
		}
	}
	if len(e.refused("contacts")) != 4 {
		t.Errorf("refused list: %+v, want the 4 refused origins", e.refused("contacts"))
	}
}

func TestSecurityNonLoopbackListenerRefusesLocalhostOrigins(t *testing.T) {
	e := newOriginsEnv(t, false)
	for _, o := range []string{"http://localhost:5173", "http://127.0.0.1:3000", "https://localhost:8443"} {
		if csp := e.frameAncestors(o, nil); hasSource(csp, o) {
			t.Errorf("non-loopback listener: %s framed with no origin configured: %q", o, csp)
		}
		c := e.check(o, "contacts")
		if c.Allowed {
			t.Errorf("check %s: allowed on a non-loopback listener with no origins: %+v", o, c)
		}
		if !strings.Contains(c.Reason, "only while Fusebox listens on a loopback address") {
			t.Errorf("check %s: reason %q does not say why localhost is refused here", o, c.Reason)
		}
	}
	// Configured exactly as before: an importer's allowed_origins admits it.
	if _, err := e.imp.AllowOrigin(context.Background(), "contacts", "http://localhost:5173"); err != nil {
		t.Fatal(err)
	}
	if c := e.check("http://localhost:5173", "contacts"); !c.Allowed {
		t.Errorf("after allowed_origins lists it: %+v", c)
	}
	if !hasSource(e.frameAncestors("http://localhost:5173", nil), "http://localhost:5173") {
		t.Error("after allowed_origins lists it, the frame is still refused")
	}
}

// The loopback allowance comes from the listener (Config.LoopbackOnly),
// never from anything a request carries.
func TestSecurityForgedHostCannotTurnOnLoopbackAllowance(t *testing.T) {
	e := newOriginsEnv(t, false)
	forged := []map[string]string{
		{"Host": "localhost:8787"},
		{"Host": "127.0.0.1"},
		{"Host": "[::1]:8787"},
		{"Host": "localhost:8787", "X-Forwarded-Host": "localhost", "X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1;host=localhost"},
	}
	for _, h := range forged {
		if csp := e.frameAncestors("http://localhost:3000", h); hasSource(csp, "http://localhost:3000") {
			t.Errorf("headers %v turned on the loopback allowance: %q", h, csp)
		}
		hh := map[string]string{"Origin": "http://localhost:3000"}
		for k, v := range h {
			hh[k] = v
		}
		w := e.req("GET", "/api/v1/embed/check?importer=contacts", "127.0.0.1", hh, "")
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"allowed":true`) {
			t.Errorf("headers %v: check answered %d %s", h, w.Code, w.Body.String())
		}
	}
}

// The check's answer does not depend on the importer: an unknown slug
// gets the same answer as a known one, for allowed and refused origins.
func TestSecurityEmbedCheckRevealsNoImporters(t *testing.T) {
	e := newOriginsEnv(t, false)
	if _, err := e.imp.AllowOrigin(context.Background(), "orders", "https://partner.example"); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"https://partner.example", "https://stranger.example"} {
		want := e.check(o, "contacts")
		for _, slug := range []string{"orders", "no-such-importer", "", "../../etc"} {
			got := e.check(o, slug)
			if got.Allowed != want.Allowed || got.Reason != want.Reason || got.Origin != want.Origin {
				t.Errorf("origin %s: importer %q answers %+v, importer contacts %+v", o, slug, got, want)
			}
		}
	}
	if got := e.check("https://stranger.example", "no-such-importer").Fixes.AllowedOriginsURL; got != "http://127.0.0.1:8787/#/importers/no-such-importer" {
		t.Errorf("fix link %q", got)
	}
	if got := e.check("https://stranger.example", "").Fixes; got.AllowedOriginsURL != "http://127.0.0.1:8787/#/importers" || got.KeysURL != "http://127.0.0.1:8787/#/keys" {
		t.Errorf("fix links without an importer: %+v", got)
	}
	if got := e.check("https://stranger.example", "../../etc").Fixes.AllowedOriginsURL; strings.Contains(got, "/../") {
		t.Errorf("fix link not escaped: %q", got)
	}
}

func TestEmbedCheckUsesTheOriginHeaderOverTheQuery(t *testing.T) {
	e := newOriginsEnv(t, false)
	if _, err := e.imp.AllowOrigin(context.Background(), "contacts", "https://partner.example"); err != nil {
		t.Fatal(err)
	}
	w := e.req("GET", "/api/v1/embed/check?importer=contacts&origin=https://partner.example", "", map[string]string{"Origin": "https://evil.example"}, "")
	var c EmbedCheck
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	if c.Allowed || c.Origin != "https://evil.example" {
		t.Fatalf("a page on evil.example claimed a listed origin in the query: %+v", c)
	}
	// Without an Origin header (a same-origin GET, a script) the query counts.
	w = e.req("GET", "/api/v1/embed/check?importer=contacts&origin=https://partner.example", "", nil, "")
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || !c.Allowed {
		t.Fatalf("query origin: %v %+v", err, c)
	}
	// No origin at all: a clear 422.
	w = e.req("GET", "/api/v1/embed/check?importer=contacts", "", nil, "")
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Origin header") {
		t.Fatalf("no origin: %d %s", w.Code, w.Body.String())
	}
}

func TestEmbedCheckRefusesOriginsThatCannotBeAllowed(t *testing.T) {
	e := newOriginsEnv(t, true)
	for _, o := range []string{"null", "http://[::1]:3000", "javascript:alert(1)", "https://a.example/path", "https://a.example;script-src *"} {
		c := e.check(o, "contacts")
		if c.Allowed || c.Reason == "" {
			t.Errorf("%q: %+v", o, c)
		}
	}
	if list := e.refused("contacts"); len(list) != 0 {
		t.Fatalf("origins that are not canonical were stored: %+v", list)
	}
}

// The refused list is bounded per importer and cannot be churned faster
// than the per-importer budget, whatever the number of clients.
func TestSecurityRefusedOriginsCannotBeFlooded(t *testing.T) {
	e := newOriginsEnv(t, false)
	for i := range 200 {
		ip := fmt.Sprintf("10.0.%d.%d", i/250, i%250+1) // a new client each time: the per-client limit does not save us here
		w := e.req("GET", "/api/v1/embed/check?importer=contacts", ip, map[string]string{"Origin": fmt.Sprintf("https://flood%d.example", i)}, "")
		if w.Code != http.StatusOK {
			t.Fatalf("check %d: %d %s", i, w.Code, w.Body.String())
		}
	}
	list := e.refused("contacts")
	if len(list) > importer.MaxRefusedOrigins {
		t.Fatalf("%d refused origins kept, want at most %d", len(list), importer.MaxRefusedOrigins)
	}
	if len(list) != refusedNewBurst {
		t.Fatalf("%d refused origins kept, want the %d the per-importer budget let in", len(list), refusedNewBurst)
	}
	// A known origin is still counted when the budget for new ones is spent.
	known := list[0].Origin
	e.req("GET", "/api/v1/embed/check?importer=contacts", "10.9.9.9", map[string]string{"Origin": known}, "")
	for _, ro := range e.refused("contacts") {
		if ro.Origin == known && ro.Count != list[0].Count+1 {
			t.Errorf("known origin count %d, want %d", ro.Count, list[0].Count+1)
		}
	}

	// Storage alone keeps the most recent MaxRefusedOrigins.
	ctx := context.Background()
	for i := range 50 {
		if _, err := e.imp.RecordRefusedOrigin(ctx, "orders", fmt.Sprintf("https://o%02d.example", i), e.srv.cfg.StartedAt.Add(timeStep(i)), true); err != nil {
			t.Fatal(err)
		}
	}
	list = e.refused("orders")
	if len(list) != importer.MaxRefusedOrigins || list[0].Origin != "https://o49.example" || list[len(list)-1].Origin != "https://o30.example" {
		t.Fatalf("orders keeps %d: first %s last %s", len(list), list[0].Origin, list[len(list)-1].Origin)
	}

	// One client is limited on the check itself.
	limited := false
	for i := range embedCheckBurst + 5 {
		w := e.req("GET", "/api/v1/embed/check", "10.200.0.1", map[string]string{"Origin": fmt.Sprintf("https://c%d.example", i)}, "")
		if w.Code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("one client made more than the burst of embed checks without a 429")
	}
}

// "Allow this origin" is a console write: it needs the console's login
// and passes the same cross-origin and content-type guard as every other.
func TestSecurityAllowOriginNeedsConsoleLoginAndCSRFGuard(t *testing.T) {
	e := newOriginsEnv(t, false)
	e.check("https://hostpage.example:8443", "contacts")
	if len(e.refused("contacts")) != 1 {
		t.Fatalf("refused list: %+v", e.refused("contacts"))
	}
	login := e.req("GET", "/login?code="+e.srv.NewLoginCode(), "", nil, "")
	var cookie string
	for _, c := range login.Result().Cookies() {
		if c.Name == adminCookie {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no console cookie: %d", login.Code)
	}
	body := `{"origin":"https://hostpage.example:8443"}`
	path := "/api/admin/importers/contacts/refused-origins/allow"
	admin := "Cookie"
	for _, tc := range []struct {
		name string
		h    map[string]string
		want int
	}{
		{"no login", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, http.StatusUnauthorized},
		{"a page on another origin with the cookie", map[string]string{admin: adminCookie + "=" + cookie, "Content-Type": "application/json", "Origin": "https://hostpage.example:8443", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"a page on another port of this host", map[string]string{admin: adminCookie + "=" + cookie, "Content-Type": "application/json", "Origin": "http://127.0.0.1:3000", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"a form post", map[string]string{admin: adminCookie + "=" + cookie, "Content-Type": "text/plain", "Sec-Fetch-Site": "same-origin"}, http.StatusForbidden},
	} {
		if w := e.req("POST", path, "", tc.h, body); w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body.String(), tc.want)
		}
	}
	if imp, _ := e.imp.GetImporter(context.Background(), "contacts"); len(imp.Settings.AllowedOrigins) != 0 {
		t.Fatalf("a refused request changed allowed_origins: %v", imp.Settings.AllowedOrigins)
	}
	if c := e.check("https://hostpage.example:8443", "contacts"); c.Allowed {
		t.Fatal("allowed before the console allowed it")
	}

	// The console itself (same origin, JSON) allows it.
	w := e.req("POST", path, "", map[string]string{admin: adminCookie + "=" + cookie, "Content-Type": "application/json", "Origin": "http://127.0.0.1:8787", "Sec-Fetch-Site": "same-origin"}, body)
	if w.Code != http.StatusOK {
		t.Fatalf("console allow: %d %s", w.Code, w.Body.String())
	}
	imp, _ := e.imp.GetImporter(context.Background(), "contacts")
	if strings.Join(imp.Settings.AllowedOrigins, ",") != "https://hostpage.example:8443" {
		t.Fatalf("allowed_origins = %v", imp.Settings.AllowedOrigins)
	}
	if list := e.refused("contacts"); len(list) != 0 {
		t.Fatalf("still refused: %+v", list)
	}
	if c := e.check("https://hostpage.example:8443", "contacts"); !c.Allowed {
		t.Fatalf("after allow: %+v", c)
	}
	if !hasSource(e.frameAncestors("https://hostpage.example:8443", nil), "https://hostpage.example:8443") {
		t.Fatal("after allow, frame-ancestors does not list the origin")
	}

	// The list is readable only with the login too.
	if w := e.req("GET", "/api/admin/importers/contacts/refused-origins", "", nil, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("list without login: %d", w.Code)
	}
}

func TestAllowOriginValidatesLikeAnImporterEdit(t *testing.T) {
	e := newOriginsEnv(t, false)
	auth := map[string]string{"Authorization": "Bearer " + embedAdminToken, "Content-Type": "application/json"}
	for body, want := range map[string]int{
		`{"origin":"not an origin"}`:          http.StatusUnprocessableEntity,
		`{"origin":"https://a.example/path"}`: http.StatusUnprocessableEntity,
		`{"origin":"http://[::1]:3000"}`:      http.StatusUnprocessableEntity,
		`{}`:                                  http.StatusUnprocessableEntity,
		`{"origin":"https://A.example:443"}`:  http.StatusOK,
		`{"origin":"https://a.example"}`:      http.StatusOK, // already there: unchanged
		`{"origin":"http://localhost:3000"}`:  http.StatusOK,
	} {
		if w := e.req("POST", "/api/admin/importers/contacts/refused-origins/allow", "", auth, body); w.Code != want {
			t.Errorf("%s: %d %s, want %d", body, w.Code, w.Body.String(), want)
		}
	}
	if w := e.req("POST", "/api/admin/importers/nope/refused-origins/allow", "", auth, `{"origin":"https://a.example"}`); w.Code != http.StatusNotFound {
		t.Errorf("unknown importer: %d", w.Code)
	}
	imp, _ := e.imp.GetImporter(context.Background(), "contacts")
	got := strings.Join(imp.Settings.AllowedOrigins, ",")
	if got != "https://a.example,http://localhost:3000" && got != "http://localhost:3000,https://a.example" {
		t.Errorf("allowed_origins = %v", imp.Settings.AllowedOrigins)
	}
	// An edit through the ordinary save path also clears the refused entry.
	e.check("https://b.example", "contacts")
	imp.Settings.AllowedOrigins = append(imp.Settings.AllowedOrigins, "https://B.example:443")
	if _, err := e.imp.SaveImporter(context.Background(), imp); err != nil {
		t.Fatal(err)
	}
	if list := e.refused("contacts"); len(list) != 0 {
		t.Errorf("refused after a manual allow: %+v", list)
	}
}

func timeStep(i int) time.Duration { return time.Duration(i) * time.Second }

// The console's list leaves out an origin allowed meanwhile another way
// (here: another importer lists it).
func TestRefusedOriginsListLeavesOutOriginsAllowedSince(t *testing.T) {
	e := newOriginsEnv(t, false)
	e.check("https://later.example", "contacts")
	e.check("https://still.example", "contacts")
	if _, err := e.imp.AllowOrigin(context.Background(), "orders", "https://later.example"); err != nil {
		t.Fatal(err)
	}
	w := e.req("GET", "/api/admin/importers/contacts/refused-origins", "", map[string]string{"Authorization": "Bearer " + embedAdminToken}, "")
	var got struct {
		Origins  []importer.RefusedOrigin `json:"origins"`
		Loopback bool                     `json:"loopback_only"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if len(got.Origins) != 1 || got.Origins[0].Origin != "https://still.example" || got.Loopback {
		t.Fatalf("list: %+v", got)
	}
}
