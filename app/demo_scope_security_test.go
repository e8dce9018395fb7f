package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"fusebox/backend/sessions"
)

const demoTestAdmin = "adm_demo_scope_test_token_0123456789"

// demoPort is a new data dir with the demo, served on a loopback port
// with an admin token.
func demoPort(t *testing.T) (*App, string) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(ctx, Config{Version: "test", DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: log, Server: ServerConfig{AdminToken: demoTestAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if _, _, err := a.FirstStart(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return a, a.BaseURL()
}

// call sends a request and returns the status and body.
func call(t *testing.T, method, url, contentType, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

var adminHdr = map[string]string{"Authorization": "Bearer " + demoTestAdmin}

const payrollImporter = `{"slug":"payroll","name":"Payroll","columns":[{"key":"email","label":"Email","type":"email"}]}`

// TestSecurityDemoActsOnlyOnDemoObjects: with the demo on, the admin
// creates importer payroll in the console and an end user imports into
// it. The unauthenticated demo routes then refuse a session for payroll
// (JSON or not), list none of payroll's imports, still work for the
// demo's own importer, and take only JSON.
func TestSecurityDemoActsOnlyOnDemoObjects(t *testing.T) {
	a, base := demoPort(t)
	ctx := context.Background()
	if code, body, _ := call(t, "POST", base+"/api/admin/importers", "application/json", payrollImporter, adminHdr); code != 201 {
		t.Fatalf("create payroll: %d %s", code, body)
	}
	// An import of payroll's, by user 42.
	own, err := a.Sessions.CreateKey(ctx, sessions.NewKey{Name: "own", Kind: sessions.KindSecret})
	if err != nil {
		t.Fatal(err)
	}
	tok := postJSON(t, base+"/api/v1/importer/sessions", own.Secret, `{"importer_slug":"payroll","metadata":{"user_id":42}}`)["token"].(string)
	postJSON(t, base+"/api/importer/imports", tok, `{}`)

	for _, ct := range []string{"application/json", "text/plain"} {
		code, body, _ := call(t, "POST", base+"/demo/api/session", ct, `{"importer_slug":"payroll","user_id":"victim"}`, nil)
		if code == 201 || strings.Contains(body, `"token"`) {
			t.Fatalf("demo session for the admin's importer payroll (%s): %d %s", ct, code, body)
		}
	}
	if code, body, _ := call(t, "POST", base+"/demo/api/session", "text/plain", `{"importer_slug":"contacts","user_id":"7"}`, nil); code != http.StatusForbidden {
		t.Fatalf("demo session posted as text/plain: %d %s, want 403", code, body)
	}
	if code, body, _ := call(t, "POST", base+"/demo/api/session", "application/json", `{"importer_slug":"contacts","user_id":"7"}`, nil); code != 201 {
		t.Fatalf("demo session for the demo's importer: %d %s", code, body)
	}
	code, body, _ := call(t, "GET", base+"/demo/api/imports?user_id=42", "", "", nil)
	if code != 200 || strings.Contains(body, "payroll") {
		t.Fatalf("the demo lists the admin's imports: %d %s", code, body)
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Data) != 0 {
		t.Fatalf("demo imports of user 42: %v %s", err, body)
	}
	code, body, _ = call(t, "GET", base+"/demo/api/config", "", "", nil)
	if code != 200 || strings.Contains(body, "payroll") {
		t.Fatalf("the demo config offers the admin's importer: %d %s", code, body)
	}
}

const ownWorkspace = `version: 1
importers:
  - slug: hr
    name: HR
    columns:
      - key: email
        label: Email
        type: email
`

// TestSecurityDemoKeysEndWithTheDemo: the demo publishable key is scoped
// to the demo's importers, never "*"; once a workspace of the user's own
// is applied, both demo keys are deactivated (the publishable key mints
// no session, for the user's importer or the demo's, from a loopback
// origin), and the demo's open inbound relay route is closed.
func TestSecurityDemoKeysEndWithTheDemo(t *testing.T) {
	a, base := demoPort(t)
	ctx := context.Background()
	keys, err := a.Sessions.DemoKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := a.Sessions.GetKey(ctx, keys.PublishableID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pub.Importers, ",") != "contacts" {
		t.Fatalf("the demo publishable key allows importers %v, want only the demo's [contacts]", pub.Importers)
	}
	if _, err := a.Workspace.Apply(ctx, []byte(ownWorkspace), "own.yaml"); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"hr", "contacts"} {
		code, body, h := call(t, "POST", base+"/api/v1/importer/sessions", "application/json", `{"importer_slug":"`+slug+`"}`,
			map[string]string{"Authorization": "Bearer " + keys.Publishable, "Origin": "http://127.0.0.1:9"})
		if code == 201 || h.Get("Access-Control-Allow-Origin") != "" && code < 300 {
			t.Fatalf("the demo publishable key after the demo ended, importer %s: %d %s", slug, code, body)
		}
	}
	code, body, _ := call(t, "POST", base+"/api/v1/importer/sessions", "application/json", `{"importer_slug":"hr","metadata":{"user_id":1}}`,
		map[string]string{"Authorization": "Bearer " + keys.Secret})
	if code == 201 {
		t.Fatalf("the demo secret key after the demo ended: %d %s", code, body)
	}
	code, body, _ = call(t, "POST", base+"/relay/demo", "application/json", `{"records":[{"a":1}]}`, nil)
	if code < 400 {
		t.Fatalf("the demo's open inbound route after the demo ended: %d %s", code, body)
	}
}

// TestSecurityOlderDemoKeysRescopedAtStart: a data dir of an older
// version whose demo publishable key allows "*" gets it scoped to the
// demo's importers at the next start; one whose demo already ended gets
// both demo keys deactivated.
func TestSecurityOlderDemoKeysRescopedAtStart(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	a := startedApp(t, ctx, dir, true, log)
	keys, err := a.Sessions.DemoKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Write.ExecContext(ctx, `UPDATE api_keys SET importers = '["*"]' WHERE id = ?`, keys.PublishableID); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = startedApp(t, ctx, dir, true, log)
	pub, err := a.Sessions.GetKey(ctx, keys.PublishableID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pub.Importers, ",") != "contacts" || !pub.Active {
		t.Fatalf("an older demo publishable key after a start: importers %v, active %v; want [contacts], active", pub.Importers, pub.Active)
	}
	// The demo ended under an older version: its keys stayed active.
	if _, err := a.db.Write.ExecContext(ctx, `UPDATE settings SET value = 'false' WHERE key = 'workspace.demo'`); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = startedApp(t, ctx, dir, true, log)
	defer a.Close()
	keys, err = a.Sessions.DemoKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keys.PublishableActive || keys.SecretActive {
		t.Fatalf("demo keys of a data dir whose demo ended are still active: %+v", keys)
	}
}
