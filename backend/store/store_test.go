package store_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden")

func openTemp(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fusebox.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// openFresh opens a fresh database on the run's engine (storetest) and
// returns a function that opens it again, as a restart or another replica.
func openFresh(t *testing.T) (*store.DB, func() (*store.DB, error)) {
	t.Helper()
	url, path := storetest.Location(t)
	reopen := func() (*store.DB, error) { return store.OpenDatabase(context.Background(), url, path) }
	db, err := reopen()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, reopen
}

func schema(t *testing.T, db *store.DB) string {
	t.Helper()
	rows, err := db.Read.Query(`SELECT type, name, sql FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		b.WriteString("-- " + typ + " " + name + "\n" + sql + ";\n\n")
	}
	return b.String()
}

func TestMigratesEmptyDatabase(t *testing.T) {
	db, _ := openFresh(t)
	got, err := db.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got == 0 {
		t.Fatalf("schema version = %d, want %d (> 0)", got, want)
	}
}

func TestGoldenSchema(t *testing.T) {
	storetest.SQLiteOnly(t)
	db, _ := openTemp(t)
	got := schema(t, db)
	golden := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if got != string(want) {
		t.Fatalf("schema differs from %s; if the change is intended run:\n  go test ./backend/store -run TestGoldenSchema -update\n--- got ---\n%s", golden, got)
	}
}

func TestReopenKeepsDataAndDoesNotRemigrate(t *testing.T) {
	ctx := context.Background()
	db, reopen := openFresh(t)
	if err := db.Tx(ctx, func(tx *store.Tx) error { return store.SetSetting(ctx, tx, "k", "v") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := reopen()
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	v, ok, err := db.Setting(ctx, "k")
	if err != nil || !ok || v != "v" {
		t.Fatalf("setting after reopen = %q %v %v", v, ok, err)
	}
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); n != want {
		t.Fatalf("migrations recorded = %d, want %d", n, want)
	}
}

func TestRefusesNonSQLiteFile(t *testing.T) {
	storetest.SQLiteOnly(t)
	path := filepath.Join(t.TempDir(), "fusebox.db")
	content := []byte("name,email\nAda,ada@example.com\n")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "not a SQLite database") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a 'not a SQLite database' error naming %s", err, path)
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(content) {
		t.Fatal("the refused file was modified")
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	db, reopen := openFresh(t)
	if _, err := db.Write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := reopen()
	if err == nil || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), db.Path) {
		t.Fatalf("err = %v, want a 'newer schema' error naming the database %s", err, db.Path)
	}
}

func TestTxRollsBackAndRunsAfterCommit(t *testing.T) {
	ctx := context.Background()
	db, _ := openFresh(t)
	ran := 0
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran++ })
		if err := store.SetSetting(ctx, tx, "a", "1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, ok, _ := db.Setting(ctx, "a"); ok || ran != 0 {
		t.Fatalf("rolled-back write visible (%v) or after-commit ran (%d)", ok, ran)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran++ })
		return store.SetSetting(ctx, tx, "a", "1")
	})
	if err != nil || ran != 1 {
		t.Fatalf("commit err=%v ran=%d", err, ran)
	}
}

func TestPragmas(t *testing.T) {
	storetest.SQLiteOnly(t)
	db, _ := openTemp(t)
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"}, {"foreign_keys", "1"}, {"synchronous", "1"}, {"busy_timeout", "10000"},
	} {
		var got string
		if err := db.Read.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("read pool PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
		if err := db.Write.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("writer PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	if _, err := db.Read.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('x','y','z')`); err == nil {
		t.Error("read pool accepted a write")
	}
}
