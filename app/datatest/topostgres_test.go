package datatest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fusebox/app"
	"fusebox/app/testbin"
	"fusebox/internal/pgtest"
)

// A workstation's data dir, populated through the API by an earlier binary
// (the upgrade fixture: imports submitted with their records, relay
// deliveries, an end user's install, API keys, sessions), plus a
// marketplace install whose config holds a secret made here through this
// binary's API, is copied by `fusebox migrate-to-postgres` into an empty
// PostgreSQL database with its keys into a key dir. `fusebox serve` on
// that database answers the console API as it did on the data dir; what is
// sealed opens (the API key issues sessions, the marketplace secret signs
// a link that logs in, the install's secret config opens). The command
// prints the row counts of every table and refuses to copy into the
// database again, now that it is not empty.
func TestMigrateToPostgresKeepsWhatTheAPISays(t *testing.T) {
	url := pgtest.CreateDatabase(t, "")
	fixtures, _ := filepath.Glob("testdata/upgrade-*.tar.gz")
	if len(fixtures) == 0 {
		t.Fatal("no testdata/upgrade-*.tar.gz")
	}
	root := t.TempDir()
	untar(t, fixtures[len(fixtures)-1], root)
	dir, exp := filepath.Join(root, "datadir"), filepath.Join(root, "expected")
	keyDir := filepath.Join(root, "keys")

	// On the data dir: a scripted import whose original file is kept, an
	// install with a secret config field, then what the console API says.
	csv := filepath.Join(root, "contacts.csv")
	if err := os.WriteFile(csv, []byte("First name,Last name,Email\nAda,Lovelace,ada@example.com\nAlan,Turing,alan@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var imported struct {
		Import string `json:"import"`
	}
	if err := json.Unmarshal([]byte(lastLine(cli(t, "import", "--data-dir", dir, "--importer", "contacts", csv))), &imported); err != nil || imported.Import == "" {
		t.Fatalf("fusebox import: %v", err)
	}
	s := startServer(t, dir)
	var link struct {
		Token string `json:"token"`
	}
	if code := s.admin("POST", "/api/admin/marketplace/links", map[string]any{"external_id": "migrating-user", "email": "m@example.com", "plan": "pro"}, &link); code != 200 || link.Token == "" {
		t.Fatalf("signed link: HTTP %d", code)
	}
	var login struct {
		Session string `json:"session"`
	}
	if code := s.call("POST", "/api/marketplace/login", "", map[string]string{"token": link.Token}, &login); code != 200 || login.Session == "" {
		t.Fatalf("login: HTTP %d", code)
	}
	const secretValue = "crm-key-kept-through-the-migration"
	installID := mpInstall(t, s, login.Session, map[string]any{"listing_id": "crm", "name": "CRM", "config": map[string]string{"api_key": secretValue, "pipeline": "sales"}})
	waitFor(t, "the install to finish", time.Minute, func() bool {
		var v struct {
			Install struct {
				Status string `json:"status"`
			} `json:"install"`
		}
		s.admin("GET", "/api/admin/marketplace/installs/"+installID, nil, &v)
		return v.Install.Status == "installed" || v.Install.Status == "failed"
	})
	// The scripted import's deliveries are sent first: a delivery still on
	// its way when the server stops would be sent by the server on
	// PostgreSQL, which would then rightly answer otherwise.
	waitFor(t, "the data dir's deliveries to be sent", 30*time.Second, func() bool {
		var st struct {
			ByStatus map[string]int `json:"by_status"`
		}
		s.admin("GET", "/api/admin/relay/stats", nil, &st)
		return st.ByStatus != nil && st.ByStatus["pending"] == 0
	})
	paths := []string{
		"/api/admin/imports", "/api/admin/relay/deliveries", "/api/admin/relay/stats", "/api/admin/relay/destinations",
		"/api/admin/marketplace/installs", "/api/admin/marketplace/installs/" + installID, "/api/admin/marketplace/end-users", "/api/admin/importers",
	}
	runs, err := os.ReadFile(filepath.Join(exp, "imports.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(runs)), "\n") {
		var r importRun
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, "/api/admin/imports/"+r.Slug, "/api/importer/imports/"+r.Slug+"/records?limit=1000", "/api/admin/imports/"+r.Slug+"/file")
	}
	paths = append(paths, "/api/admin/imports/"+imported.Import, "/api/importer/imports/"+imported.Import+"/records?limit=1000", "/api/admin/imports/"+imported.Import+"/file")
	before := map[string]string{}
	for _, p := range paths {
		body, code := get(t, s, p)
		if code == http.StatusNotFound && strings.HasSuffix(p, "/file") && !strings.Contains(p, imported.Import) {
			continue // the clean-up removed the fixture's uploaded file
		}
		if code != http.StatusOK {
			t.Fatalf("GET %s: HTTP %d %s", p, code, body)
		}
		before[p] = body
	}
	s.Stop()

	// The copy.
	out, errOut, err := testbin.Run(bin, nil, "migrate-to-postgres", "--data-dir", dir, "--database", url, "--key-dir", keyDir)
	if err != nil {
		t.Fatalf("migrate-to-postgres: %v\n%s%s", err, out, errOut)
	}
	// The fixture's files too, which the SQLite server no longer finds
	// where their imports recorded them (the fixture was made in another
	// directory) but migrate-to-postgres finds under uploads/.
	for _, want := range []string{"importer_rows", "relay_deliveries", "marketplace_installs", "importer_upload_chunks", "every table's rows match", "3 imports' original files are stored in PostgreSQL", keyDir} {
		if !strings.Contains(out, want) {
			t.Fatalf("migrate-to-postgres printed no %q:\n%s", want, out)
		}
	}
	t.Logf("migrate-to-postgres:\n%s", out)
	for _, f := range []string{"sessions.key", "secrets.key", "admin.token"} {
		if readFile(t, filepath.Join(keyDir, f)) != readFile(t, filepath.Join(dir, f)) {
			t.Fatalf("%s in the key dir differs from the data dir's", f)
		}
	}
	// Not again: the database is no longer empty.
	if out, errOut, err := testbin.Run(bin, nil, "migrate-to-postgres", "--data-dir", dir, "--database", url); err == nil || !strings.Contains(errOut, "not empty") {
		t.Fatalf("a second copy into the same database: %v\n%s%s", err, out, errOut)
	}

	// The server on PostgreSQL, with the key dir, says the same, from a
	// data dir of its own (as another replica's): the original file comes
	// from the database.
	// (The admin token is the key dir's; the test's client reads it from
	// the data dir.)
	own := t.TempDir()
	if err := os.WriteFile(filepath.Join(own, "admin.token"), []byte(readFile(t, filepath.Join(keyDir, "admin.token"))), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &server{testbin.Start(t, bin, own, []string{"FUSEBOX_DATABASE_URL=" + url, "FUSEBOX_KEY_DIR=" + keyDir})}
	for path, want := range before {
		if got, code := get(t, p, path); code != http.StatusOK || !sameJSON(want, got) {
			t.Errorf("GET %s on PostgreSQL differs from the data dir:\nSQLite:     %.600s\nPostgreSQL: %.600s", path, want, got)
		}
	}
	sk := strings.TrimSpace(readFile(t, filepath.Join(exp, "api-key")))
	var iss struct {
		Token string `json:"token"`
	}
	if code := p.call("POST", "/api/v1/importer/sessions", sk, map[string]any{"importer_slug": "contacts"}, &iss); code != 200 && code != 201 || iss.Token == "" {
		t.Errorf("the data dir's API key issues a session on PostgreSQL: HTTP %d", code)
	} else if code := p.call("GET", "/api/importer/importer", iss.Token, nil, nil); code != 200 {
		t.Errorf("a session token signed on PostgreSQL: HTTP %d", code)
	}
	f := strings.Fields(readFile(t, filepath.Join(exp, "marketplace-secret")))
	if code := p.call("POST", "/api/marketplace/login", "", map[string]string{"token": signLink(t, "demo-org", f[0], f[1], "after-migration")}, &login); code != 200 || login.Session == "" {
		t.Errorf("a link signed with the data dir's marketplace secret on PostgreSQL: HTTP %d", code)
	}
	p.Stop()

	// The install's sealed config opens with the key dir's secrets.key.
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), DatabaseURL: url, Keys: app.KeyConfig{Dir: keyDir}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if v, err := a.Marketplace.InstallSecret(ctx, installID, "api_key"); err != nil || v != secretValue {
		t.Fatalf("the install's secret on PostgreSQL = %q, %v; want %q", v, err, secretValue)
	}
}

// mpInstall installs a listing as the marketplace session sid and returns
// the install's id.
func mpInstall(t *testing.T, s *server, sid string, body map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.URL+"/api/marketplace/installs", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Fusebox-Marketplace-Session", sid)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var v struct {
		Install struct {
			ID string `json:"id"`
		} `json:"install"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Install.ID == "" {
		t.Fatalf("install: HTTP %d %s", res.StatusCode, raw)
	}
	return v.Install.ID
}

// get is the body and status of an admin GET.
func get(t *testing.T, s *server, path string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw), res.StatusCode
}

// sameJSON reports whether two answers say the same (JSON compared as
// values; other bodies, such as an original file, byte for byte).
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}
