package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fusebox/backend/workspace"
)

// demoServer is the embed env with the demo keys and the demo workspace
// in force, listening on a real loopback port.
func demoServer(t *testing.T) (*embedEnv, *httptest.Server) {
	t.Helper()
	e := newEmbedEnv(t)
	e.srv.deps.Demo = demoInForce{}
	if _, err := e.sess.EnsureDemoKeys(context.Background(), []string{"contacts"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e.srv.PortHandler())
	t.Cleanup(ts.Close)
	return e, ts
}

func call(t *testing.T, method, url, auth, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestDemoBackend(t *testing.T) {
	e, ts := demoServer(t)
	keys, err := e.sess.DemoKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// config: importers and the publishable key, never the secret key
	st, body := call(t, "GET", ts.URL+"/demo/api/config", "", "")
	if st != 200 || !strings.Contains(body, `"slug":"contacts"`) || !strings.Contains(body, keys.Publishable) || strings.Contains(body, keys.Secret) {
		t.Fatalf("config: %d %s", st, body)
	}

	// a session for user 42, made with the demo secret key
	st, body = call(t, "POST", ts.URL+"/demo/api/session", "", `{"importer_slug":"contacts","user_id":"42"}`)
	if st != http.StatusCreated {
		t.Fatalf("session: %d %s", st, body)
	}
	var sess struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(body), &sess); err != nil || sess.Token == "" || sess.ExpiresAt == "" {
		t.Fatalf("session body %s: %v", body, err)
	}
	got, err := e.sess.Verify(context.Background(), sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ImporterSlug != "contacts" || jsonText(got.Metadata["user_id"]) != "42" {
		t.Fatalf("session = %+v, want contacts with metadata user_id 42", got)
	}
	if list, err := e.sess.ListKeys(context.Background()); err == nil {
		for _, k := range list {
			if k.ID == keys.SecretID && k.LastUsedAt.IsZero() {
				t.Errorf("the demo secret key was not used (last_used_at empty): the session did not go through the API")
			}
		}
	}

	// the user's imports, through the imports API
	st, body = call(t, "POST", ts.URL+"/api/importer/imports", sess.Token, "{}")
	if st != http.StatusCreated {
		t.Fatalf("create import with the session: %d %s", st, body)
	}
	var imp struct {
		Slug string `json:"slug"`
	}
	_ = json.Unmarshal([]byte(body), &imp)

	tests := []struct {
		name, url string
		status    int
		must      []string
		mustNot   []string
	}{
		{"own imports", "/demo/api/imports?user_id=42", 200, []string{imp.Slug, `"total_count":1`}, nil},
		{"another user's", "/demo/api/imports?user_id=43", 200, []string{`"total_count":0`}, []string{imp.Slug}},
		{"bad user id", "/demo/api/imports?user_id=a%20b", 422, []string{"user_id"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := call(t, "GET", ts.URL+tt.url, "", "")
			if st != tt.status {
				t.Fatalf("%s: status %d, want %d: %s", tt.url, st, tt.status, body)
			}
			for _, m := range tt.must {
				if !strings.Contains(body, m) {
					t.Errorf("body lacks %q: %s", m, body)
				}
			}
			for _, m := range tt.mustNot {
				if strings.Contains(body, m) {
					t.Errorf("body has %q: %s", m, body)
				}
			}
		})
	}

	// the demo issues sessions for the demo's importers only
	st, body = call(t, "POST", ts.URL+"/demo/api/session", "", `{"importer_slug":"nope"}`)
	if st != http.StatusForbidden || !strings.Contains(body, `"code":"EFORBIDDEN"`) {
		t.Fatalf("unknown importer: %d %s", st, body)
	}
	st, body = call(t, "POST", ts.URL+"/demo/api/session", "", `{"importer_slug":"contacts","user_id":"x y"}`)
	if st != 422 {
		t.Fatalf("bad user: %d %s", st, body)
	}

	// a deactivated demo secret key stops the demo backend
	if _, err := e.sess.DeactivateKey(context.Background(), keys.SecretID); err != nil {
		t.Fatal(err)
	}
	st, body = call(t, "POST", ts.URL+"/demo/api/session", "", `{"importer_slug":"contacts"}`)
	if st != http.StatusForbidden || !strings.Contains(body, "deactivated") {
		t.Fatalf("deactivated secret: %d %s", st, body)
	}
	if strings.Contains(e.logs.String(), sess.Token) || strings.Contains(e.logs.String(), keys.Secret) {
		t.Fatalf("a token or key reached the log")
	}
}

func TestDemoBackendThroughTheWindow(t *testing.T) {
	e, _ := demoServer(t)
	r := httptest.NewRequest("POST", "/demo/api/session", strings.NewReader(`{"importer_slug":"contacts"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.srv.WindowHandler().ServeHTTP(w, r)
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"token"`) {
		t.Fatalf("window: %d %s", w.Code, w.Body.String())
	}
}

// demoInForce is a data dir that holds the demo workspace: the demo
// routes answer only while the demo is in force.
type demoInForce struct{}

func (demoInForce) Demo(context.Context) (workspace.DemoState, error) {
	return workspace.DemoState{Applied: true, Enabled: true}, nil
}

func (demoInForce) SetDemoRoutes(context.Context, bool) (workspace.DemoState, error) {
	return workspace.DemoState{Applied: true, Enabled: true}, nil
}

func TestDemoWithoutDemoKeys(t *testing.T) {
	e := newEmbedEnv(t)
	e.srv.deps.Demo = demoInForce{}
	ts := httptest.NewServer(e.srv.PortHandler())
	defer ts.Close()
	st, body := call(t, "POST", ts.URL+"/demo/api/session", "", `{"importer_slug":"contacts"}`)
	if st != http.StatusNotFound || !strings.Contains(body, "--no-demo") {
		t.Fatalf("no demo keys: %d %s", st, body)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
