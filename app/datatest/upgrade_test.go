package datatest_test

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// Every testdata/upgrade-*.tar.gz is a data dir written by an earlier
// Fusebox (scripts/make-upgrade-fixture.sh) with what that binary's
// commands and console API said about it. This binary opens it, migrates
// it to its own schema, and says the same: the workspace, API keys,
// sessions, imports with their records, deliveries, end users and
// installs. The key files still open what was sealed under them: the
// fixture's API key issues a session, its marketplace secret signs a link
// that logs in.
func TestUpgradeKeepsData(t *testing.T) {
	fixtures, _ := filepath.Glob("testdata/upgrade-*.tar.gz")
	if len(fixtures) == 0 {
		t.Fatal("no testdata/upgrade-*.tar.gz: make one with scripts/make-upgrade-fixture.sh")
	}
	for _, fx := range fixtures {
		t.Run(filepath.Base(fx), func(t *testing.T) {
			root := t.TempDir()
			untar(t, fx, root)
			dir, exp := filepath.Join(root, "datadir"), filepath.Join(root, "expected")
			expected := func(name string) any {
				t.Helper()
				b, err := os.ReadFile(filepath.Join(exp, name))
				if err != nil {
					t.Fatal(err)
				}
				return decode(t, name, b)
			}

			// The data commands (they open and migrate the data dir too).
			same(t, "fusebox export", expected("workspace.yaml"), decode(t, "workspace.yaml", []byte(cli(t, "export", "--data-dir", dir))))
			same(t, "fusebox keys list", expected("keys.json"), decode(t, "keys.json", []byte(cli(t, "keys", "list", "--json", "--data-dir", dir))))
			// A session's status follows the clock; the rest stays.
			sessions := func(v any) any { return drop(v, "status") }
			same(t, "fusebox sessions list", sessions(expected("sessions.json")), sessions(decode(t, "sessions.json", []byte(cli(t, "sessions", "list", "--json", "--data-dir", dir)))))

			s := startServer(t, dir)
			var dash struct {
				SchemaVersion int `json:"schema_version"`
			}
			s.admin("GET", "/api/admin/dashboard", nil, &dash)
			latest := migrations(t)
			if dash.SchemaVersion != latest {
				t.Errorf("schema version after the upgrade = %d, want %d", dash.SchemaVersion, latest)
			}
			get := func(path string) any {
				t.Helper()
				var v any
				if code := s.admin("GET", path, nil, &v); code != 200 {
					t.Fatalf("GET %s: HTTP %d", path, code)
				}
				return v
			}
			for file, path := range map[string]string{
				"imports.json":     "/api/admin/imports",
				"deliveries.json":  "/api/admin/relay/deliveries",
				"relay-stats.json": "/api/admin/relay/stats",
				"installs.json":    "/api/admin/marketplace/installs",
				"end-users.json":   "/api/admin/marketplace/end-users",
			} {
				same(t, path, expected(file), get(path))
			}
			stats := func(v any) any { // the active session count follows the clock
				var kept []any
				for _, st := range v.(map[string]any)["stats"].([]any) {
					if st.(map[string]any)["name"] != "Active sessions" {
						kept = append(kept, st)
					}
				}
				return kept
			}
			same(t, "dashboard stats", stats(expected("dashboard.json")), stats(get("/api/admin/dashboard")))
			runs, err := os.ReadFile(filepath.Join(exp, "imports.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(string(runs)), "\n") {
				var r importRun
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatal(err)
				}
				same(t, "import "+r.Slug, expected("import-"+r.Slug+".json"), get("/api/admin/imports/"+r.Slug))
				same(t, "records of "+r.Slug, expected("records-"+r.Slug+".json"), get("/api/importer/imports/"+r.Slug+"/records?limit=1000"))
				n++
			}
			if n == 0 {
				t.Fatal("the fixture lists no imports")
			}

			// What was sealed under the key files still opens.
			sk := strings.TrimSpace(readFile(t, filepath.Join(exp, "api-key")))
			var iss struct {
				Token string `json:"token"`
			}
			if code := s.call("POST", "/api/v1/importer/sessions", sk, map[string]any{"importer_slug": "contacts", "metadata": map[string]string{"user_id": "after-upgrade"}}, &iss); code != 200 && code != 201 || iss.Token == "" {
				t.Errorf("the fixture's API key issues a session: HTTP %d", code)
			} else if code := s.call("GET", "/api/importer/importer", iss.Token, nil, nil); code != 200 {
				t.Errorf("a session token signed after the upgrade: HTTP %d", code)
			}
			f := strings.Fields(readFile(t, filepath.Join(exp, "marketplace-secret")))
			var login struct {
				Session string `json:"session"`
			}
			if code := s.call("POST", "/api/marketplace/login", "", map[string]string{"token": signLink(t, "demo-org", f[0], f[1], "fixture-user")}, &login); code != 200 || login.Session == "" {
				t.Errorf("a link signed with the fixture's marketplace secret: HTTP %d", code)
			}
		})
	}
}

// An older binary refuses a data dir a newer one has migrated further,
// without changing a byte of it.
func TestDowngradeRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	applyWorkspace(t, dir, peopleWorkspace("http://127.0.0.1:9"))
	db := filepath.Join(dir, "fusebox.db")
	// What a newer binary leaves: a migration this one does not know.
	newer := migrations(t) + 1
	execSQL(t, db, fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'from_the_future', '2099-01-01T00:00:00.000Z')`, newer))
	// A data dir a server has run on also holds its admin token.
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := sum(t, dir)
	for _, args := range [][]string{{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, {"export", "--data-dir", dir}, {"backup", "--data-dir", dir, filepath.Join(t.TempDir(), "b.tar.gz")}} {
		_, errb, err := run(args...)
		if err == nil || !strings.Contains(errb, fmt.Sprintf("schema version %d, newer than this Fusebox supports", newer)) && !strings.Contains(errb, fmt.Sprintf("schema version %d is newer than this Fusebox supports", newer)) {
			t.Errorf("fusebox %s on a newer data dir: err %v, stderr %q; want a clear refusal", args[0], err, errb)
		}
	}
	if after := sum(t, dir); after != before {
		t.Errorf("the refused data dir changed:\nbefore %s\nafter  %s", before, after)
	}
}

func untar(t *testing.T, archive, dest string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dest, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o700)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o700)
			out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, tr); err != nil {
				t.Fatal(err)
			}
			out.Close()
		}
	}
}

func decode(t *testing.T, name string, b []byte) any {
	t.Helper()
	var v any
	var err error
	if strings.HasSuffix(name, ".yaml") {
		err = yaml.Unmarshal(b, &v)
	} else {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return normalize(v)
}

// normalize turns YAML's and JSON's numbers and maps into one form.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int, int64, uint64, float64:
		var f float64
		fmt.Sscan(fmt.Sprint(x), &f)
		return f
	}
	return v
}

// drop removes the named field from every object in v.
func drop(v any, field string) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, field)
		for _, e := range x {
			drop(e, field)
		}
	case []any:
		for _, e := range x {
			drop(e, field)
		}
	}
	return v
}

// same checks that got says everything want says: the same values at the
// same places (a newer binary may add fields, never lose or change one).
func same(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := subset("", want, got); diff != "" {
		t.Errorf("%s after the upgrade: %s", what, diff)
	}
}

func subset(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", path, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing (want %v)", path, k, wv)
			}
			if d := subset(path+"."+k, wv, gv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want %d items, got %v", path, len(w), got)
		}
		for i := range w {
			if d := subset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: want %v, got %v", path, want, got)
	}
	return ""
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// migrations is the number of the newest migration file.
func migrations(t *testing.T) int {
	t.Helper()
	files, _ := filepath.Glob("../../backend/store/migrations/*.sql")
	n := 0
	for _, f := range files {
		var v int
		fmt.Sscanf(filepath.Base(f), "%d_", &v)
		n = max(n, v)
	}
	if n == 0 {
		t.Fatal("no migrations found")
	}
	return n
}

// sum is a digest of every file in dir, names and bytes.
func sum(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

// execSQL runs one statement on the database file at path.
func execSQL(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
