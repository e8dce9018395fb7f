package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/httpapi"
	"fusebox/backend/marketplace"
)

// do sends a request to the world's port. host, when set, replaces the
// Host header; admin adds the admin token; marketplace session sid, when
// set, goes in its header.
func (w *demoWorld) do(method, path, host, body string, admin bool, sid string) (int, string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.url+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	if sid != "" {
		req.Header.Set(httpapi.MarketplaceSessionHeader, sid)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// demoRoutes are the demo app's routes with a request each makes.
var demoRoutes = []struct{ method, path, body string }{
	{"GET", "/demo", ""},
	{"GET", "/demo/api/config", ""},
	{"POST", "/demo/api/session", `{"importer_slug":"contacts","user_id":"42"}`},
	{"GET", "/demo/api/imports?user_id=42", ""},
	{"POST", "/demo/api/marketplace-link", `{"user_id":"42","plan":"pro"}`},
}

func (w *demoWorld) expectDemo(on bool, why string) {
	w.t.Helper()
	for _, r := range demoRoutes {
		st, body := w.do(r.method, r.path, "", r.body, false, "")
		if on && st >= 300 {
			w.t.Errorf("%s %s with the demo on: %d %s", r.method, r.path, st, body)
		}
		if !on && (st != http.StatusNotFound || !strings.Contains(body, why)) {
			w.t.Errorf("%s %s with the demo off: %d %s (want 404 saying %q)", r.method, r.path, st, body, why)
		}
	}
}

// ownWorkspace is a user's workspace: its own org and listing.
const ownWorkspace = `version: 1
marketplace:
  org_id: acme-prod
  listings:
    - id: acme-hook
      name: Acme hook
      workflow:
        - kind: notify
          message: hi
`

// TestSecurityDemoRoutesOffOnceOwnWorkspaceApplied: the demo app's routes
// (the page, config, sessions, imports, marketplace links) answer while
// the demo workspace is in force and are 404, saying why, once a
// workspace of the user's own is applied; no link is signed for the
// user's org.
func TestSecurityDemoRoutesOffOnceOwnWorkspaceApplied(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{})
	w.expectDemo(true, "")
	if _, err := w.ws.Apply(context.Background(), []byte(ownWorkspace), "acme.yaml"); err != nil {
		t.Fatal(err)
	}
	w.expectDemo(false, "a workspace of your own was applied")
	_, body := w.do("POST", "/demo/api/marketplace-link", "", `{"user_id":"1","plan":"enterprise"}`, false, "")
	if strings.Contains(body, "token") {
		t.Fatalf("a link was signed after the user's workspace was applied: %s", body)
	}
	// Re-applying the same file changes nothing and keeps the demo off.
	if _, err := w.ws.Apply(context.Background(), []byte(ownWorkspace), "acme.yaml"); err != nil {
		t.Fatal(err)
	}
	w.expectDemo(false, "a workspace of your own was applied")
}

// TestSecurityDemoConsoleSwitch: GET/PUT /api/admin/demo show and set the
// console's switch; off, the demo routes are 404; on again, they answer;
// once the user's workspace is applied the switch cannot turn them on.
func TestSecurityDemoConsoleSwitch(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{})
	st, body := w.do("GET", "/api/admin/demo", "", "", true, "")
	if st != 200 || !strings.Contains(body, `"on":true`) || !strings.Contains(body, w.url+"/demo") {
		t.Fatalf("demo state: %d %s", st, body)
	}
	if st, body := w.do("PUT", "/api/admin/demo", "", `{"enabled":false}`, false, ""); st != http.StatusUnauthorized {
		t.Fatalf("switch without admin: %d %s", st, body)
	}
	st, body = w.do("PUT", "/api/admin/demo", "", `{"enabled":false}`, true, "")
	if st != 200 || !strings.Contains(body, `"on":false`) || !strings.Contains(body, "switched off in the console") {
		t.Fatalf("switch off: %d %s", st, body)
	}
	w.expectDemo(false, "switched off in the console")
	if st, body = w.do("PUT", "/api/admin/demo", "", `{"enabled":true}`, true, ""); st != 200 || !strings.Contains(body, `"on":true`) {
		t.Fatalf("switch on: %d %s", st, body)
	}
	w.expectDemo(true, "")
	if _, err := w.ws.Apply(context.Background(), []byte(ownWorkspace), "acme.yaml"); err != nil {
		t.Fatal(err)
	}
	st, body = w.do("GET", "/api/admin/demo", "", "", true, "")
	if st != 200 || !strings.Contains(body, `"on":false`) || !strings.Contains(body, "a workspace of your own was applied (acme.yaml)") {
		t.Fatalf("state after the user's workspace: %d %s", st, body)
	}
	if st, body = w.do("PUT", "/api/admin/demo", "", `{"enabled":true}`, true, ""); st != http.StatusForbidden || !strings.Contains(body, "a workspace of your own") {
		t.Fatalf("switch on over the user's workspace: %d %s", st, body)
	}
	w.expectDemo(false, "a workspace of your own was applied")
}

// TestSecurityDemoProcessSwitch: a process told to keep the demo off
// (--no-demo, a non-loopback address) serves no demo route.
func TestSecurityDemoProcessSwitch(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{DemoOff: "the server was started with --no-demo"})
	w.expectDemo(false, "--no-demo")
}

func demoSecrets(t *testing.T, mp *marketplace.Service) (active, all int, id string) {
	t.Helper()
	list, err := mp.Secrets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Label != "demo" {
			continue
		}
		all++
		if s.Active {
			active++
			id = s.ID
		}
	}
	return active, all, id
}

// TestSecurityDemoLinkNeverRecreatesADeactivatedSecret: the demo link is
// signed with the "demo" secret; once a person deactivates it, the demo
// link fails saying so and no new secret appears.
func TestSecurityDemoLinkNeverRecreatesADeactivatedSecret(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{})
	if st, body := w.do("POST", "/demo/api/marketplace-link", "", `{"user_id":"42"}`, false, ""); st != 200 {
		t.Fatalf("demo link: %d %s", st, body)
	}
	active, all, id := demoSecrets(t, w.mp)
	if active != 1 || all != 1 {
		t.Fatalf("demo secrets: %d active of %d", active, all)
	}
	if st, body := w.do("POST", "/api/admin/marketplace/secrets/"+id+"/deactivate", "", `{}`, true, ""); st != 200 {
		t.Fatalf("deactivate: %d %s", st, body)
	}
	st, body := w.do("POST", "/demo/api/marketplace-link", "", `{"user_id":"42"}`, false, "")
	if st != http.StatusConflict || !strings.Contains(body, "deactivated") || strings.Contains(body, "token") {
		t.Fatalf("demo link after deactivation: %d %s", st, body)
	}
	if active, all, _ := demoSecrets(t, w.mp); active != 0 || all != 1 {
		t.Fatalf("demo secrets after deactivation: %d active of %d (a secret was re-created)", active, all)
	}
}

// TestSecurityDemoLinkOnlyForTheDemoOrg: with the org id changed from the
// demo's, the demo app signs no link.
func TestSecurityDemoLinkOnlyForTheDemoOrg(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{})
	st, err := w.mp.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.OrgID = "acme-prod"
	if _, err := w.mp.UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	code, body := w.do("POST", "/demo/api/marketplace-link", "", `{"user_id":"42","plan":"pro"}`, false, "")
	if code != http.StatusForbidden || strings.Contains(body, "token") || !strings.Contains(body, "demo-org") {
		t.Fatalf("demo link for another org: %d %s", code, body)
	}
}

// TestSecurityMarketplaceSessionEndsWithItsSecret: deactivating a secret
// ends the marketplace sessions that logged in with links it signed;
// sessions of other secrets go on.
func TestSecurityMarketplaceSessionEndsWithItsSecret(t *testing.T) {
	e := newMPEnv(t, nil)
	other, err := e.svc.CreateSecret(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := e.login(rawToken(hs256(), baseClaims("u-1"), e.secret))
	otherSID, _ := e.login(rawToken(hs256(), baseClaims("u-2"), other.Value))
	if st, body, _ := e.do("GET", "/api/marketplace/me", sid, nil); st != 200 {
		t.Fatalf("me: %d %v", st, body)
	}
	if st, body, _ := e.do("POST", "/api/admin/marketplace/secrets/"+e.secretID+"/deactivate", "", map[string]any{}); st != 200 {
		t.Fatalf("deactivate: %d %v", st, body)
	}
	if st, body, _ := e.do("GET", "/api/marketplace/me", sid, nil); st != http.StatusUnauthorized {
		t.Fatalf("session of a deactivated secret: %d %v", st, body)
	}
	if st, body, _ := e.do("POST", "/api/marketplace/installs", sid, map[string]any{"listing_id": "hook"}); st != http.StatusUnauthorized {
		t.Fatalf("install with a session of a deactivated secret: %d %v", st, body)
	}
	if st, body, _ := e.do("GET", "/api/marketplace/me", otherSID, nil); st != 200 {
		t.Fatalf("session of another secret: %d %v", st, body)
	}
}

// listener records every request that reaches it.
type listener struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string
}

func newListener(t *testing.T) *listener {
	l := &listener{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
		l.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"x","token":"attacker","expires_at":"2099-01-01T00:00:00Z"}`)
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *listener) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

func hostOf(u string) string { return strings.TrimPrefix(u, "http://") }

// TestSecurityHostHeaderDoesNotSteerTheDemoKey: a demo session request
// whose Host names another port on the loopback makes no request there:
// the demo's secret key never leaves the process, and the session is real.
func TestSecurityHostHeaderDoesNotSteerTheDemoKey(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{})
	evil := newListener(t)
	_, port, _ := net.SplitHostPort(hostOf(evil.URL))
	st, body := w.do("POST", "/demo/api/session", "127.0.0.1:"+port, `{"importer_slug":"contacts","user_id":"42"}`, false, "")
	if got := evil.got(); len(got) > 0 {
		t.Fatalf("the demo backend sent requests to the Host header's port: %v", got)
	}
	var sess struct{ Token string }
	_ = json.Unmarshal([]byte(body), &sess)
	if st != http.StatusCreated || sess.Token == "" || sess.Token == "attacker" {
		t.Fatalf("session: %d %s", st, body)
	}
	if _, err := w.sess.Verify(context.Background(), sess.Token); err != nil {
		t.Fatalf("session token: %v", err)
	}
	// The imports list does not go there either.
	if st, body := w.do("GET", "/demo/api/imports?user_id=42", "127.0.0.1:"+port, "", false, ""); st != 200 || len(evil.got()) > 0 {
		t.Fatalf("imports: %d %s; attacker got %v", st, body, evil.got())
	}
}

// TestSecurityHostHeaderDoesNotSteerInstallBaseURL: an install started
// with a Host header naming another port gets this server's own URL as
// {{fusebox.base_url}}: its steps and its delivery route point here, and
// nothing reaches the other port.
func TestSecurityHostHeaderDoesNotSteerInstallBaseURL(t *testing.T) {
	w := newDemoWorld(t, httpapi.Config{})
	evil := newListener(t)
	st, body := w.do("POST", "/demo/api/marketplace-link", "", `{"user_id":"42","plan":"pro"}`, false, "")
	var link struct{ Token string }
	if err := json.Unmarshal([]byte(body), &link); err != nil || st != 200 {
		t.Fatalf("demo link: %d %s", st, body)
	}
	tok, _ := json.Marshal(map[string]string{"token": link.Token})
	st, body = w.do("POST", "/api/marketplace/login", "", string(tok), false, "")
	var login struct{ Session string }
	if err := json.Unmarshal([]byte(body), &login); err != nil || st != 200 {
		t.Fatalf("login: %d %s", st, body)
	}
	st, body = w.do("POST", "/api/marketplace/installs", hostOf(evil.URL), `{"listing_id":"webhook","config":{"endpoint_name":"hook"}}`, false, login.Session)
	if st != http.StatusAccepted {
		t.Fatalf("install: %d %s", st, body)
	}
	var in struct {
		Install struct{ ID string } `json:"install"`
	}
	_ = json.Unmarshal([]byte(body), &in)
	var status string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, body = w.do("GET", "/api/marketplace/installs/"+in.Install.ID, "", "", false, login.Session)
		var got struct {
			Install struct{ Status string } `json:"install"`
		}
		_ = json.Unmarshal([]byte(body), &got)
		if status = got.Install.Status; status != "running" {
			break
		}
	}
	if got := evil.got(); len(got) > 0 {
		t.Fatalf("the install's steps reached the Host header's port: %v", got)
	}
	w.book.mu.Lock()
	defer w.book.mu.Unlock()
	for _, spec := range w.book.routes {
		if !strings.HasPrefix(spec.URL, w.url+"/") {
			t.Fatalf("the install's delivery route points at %s, not at this server (%s)", spec.URL, w.url)
		}
	}
	if status != "installed" || len(w.book.routes) != 1 {
		t.Fatalf("install %s, routes %v: %s", status, w.book.routes, body)
	}
}

// TestSecurityDemoKeyIdleWhileTheDemoIsOff: the demo publishable key lists
// every loopback origin so that /demo works with no setup. A process that
// keeps the demo off (a non-loopback listener, --no-demo) must not let that
// key's origins frame importers, pass CORS or create sessions: pages there
// need origins configured, as docs/security.md says.
func TestSecurityDemoKeyIdleWhileTheDemoIsOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  httpapi.Config
		on   bool
	}{
		{"demo on", httpapi.Config{}, true},
		{"demo off for the listener", httpapi.Config{DemoOff: "the server listens on a non-loopback address"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newDemoWorld(t, tc.cfg)
			keys, err := w.sess.DemoKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			const page = "http://localhost:3999"
			req, _ := http.NewRequest("GET", w.url+"/api/v1/embed/check?importer=contacts", nil)
			req.Header.Set("Origin", page)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var check struct {
				Allowed bool `json:"allowed"`
			}
			json.NewDecoder(res.Body).Decode(&check)
			res.Body.Close()
			if check.Allowed != tc.on {
				t.Fatalf("embed check for %s: allowed=%v, want %v", page, check.Allowed, tc.on)
			}
			req, _ = http.NewRequest("POST", w.url+"/api/v1/importer/sessions", strings.NewReader(`{"importer_slug":"contacts"}`))
			req.Header.Set("Origin", page)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+keys.Publishable)
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			cors := res.Header.Get("Access-Control-Allow-Origin")
			if tc.on && (res.StatusCode != http.StatusCreated || cors != page) {
				t.Fatalf("session with the demo key while the demo is on: %d cors=%q %s", res.StatusCode, cors, body)
			}
			if !tc.on && (res.StatusCode < 400 || cors != "" || !strings.Contains(string(body), "demo")) {
				t.Fatalf("session with the demo key while the demo is off: %d cors=%q %s", res.StatusCode, cors, body)
			}
		})
	}
}
