package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fusebox/backend/store/storetest"
)

// Commands given --database (or FUSEBOX_DATABASE_URL) share one
// PostgreSQL database: what one data dir's command writes, another's
// reads, as long as it holds the same key files; a data dir without them
// is refused, never given new keys.
func TestDatabaseFlagSharesOnePostgreSQL(t *testing.T) {
	url := storetest.PostgresURL(t)
	a, b := t.TempDir(), t.TempDir()

	code, out, errOut := runCLI(t, "keys", "create", "--data-dir", a, "--database", url, "--name", "billing")
	if code != 0 || !strings.Contains(out, "fbx_sk_") {
		t.Fatalf("keys create: code %d stdout %q stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(a, "fusebox.db")); err == nil {
		t.Error("a SQLite database was made in the data dir although --database was given")
	}

	// A data dir without the key files is refused: the database holds a
	// session signing key sealed under a's sessions.key.
	code, _, errOut = runCLI(t, "keys", "list", "--data-dir", b, "--database", url)
	if code == 0 || !strings.Contains(errOut, "sessions.key") {
		t.Fatalf("keys list from a data dir without the keys: code %d stderr %q, want a refusal naming sessions.key", code, errOut)
	}
	for _, f := range []string{"sessions.key", "secrets.key"} {
		if _, err := os.Stat(filepath.Join(b, f)); err == nil && f == "sessions.key" {
			t.Errorf("a new %s was made in the refused data dir", f)
		}
	}

	// With the same key files it reads what a wrote; the URL may come
	// from the environment.
	for _, f := range []string{"sessions.key", "secrets.key"} {
		raw, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b, f), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("FUSEBOX_DATABASE_URL", url)
	code, out, errOut = runCLI(t, "keys", "list", "--data-dir", b)
	if code != 0 || !strings.Contains(out, "billing") {
		t.Fatalf("keys list with FUSEBOX_DATABASE_URL: code %d stdout %q stderr %q", code, out, errOut)
	}

	// File backups are of SQLite data dirs; PostgreSQL is backed up with
	// its own tools.
	code, _, errOut = runCLI(t, "backup", "--data-dir", b, filepath.Join(t.TempDir(), "b.tar.gz"))
	if code == 0 || !strings.Contains(errOut, "pg_dump") {
		t.Fatalf("backup of a PostgreSQL data dir: code %d stderr %q, want a refusal naming pg_dump", code, errOut)
	}

	// serve on the same database answers.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, "test", []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", b, "--database", url, "--no-demo"}, &sout, &serr)
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(sout.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve --database printed no URL; stdout %q stderr %q", sout.String(), serr.String())
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d; stderr %s", code, serr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}
