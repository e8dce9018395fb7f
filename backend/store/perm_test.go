package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// TestSecurityDatabaseFilesPrivate: the database and its -wal and -shm
// files are readable by their owner only, whatever the umask, and an
// existing database left 0644 by an older version is tightened on open.
func TestSecurityDatabaseFilesPrivate(t *testing.T) {
	storetest.SQLiteOnly(t) // the SQLite file and its backups
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()

	check := func(t *testing.T, path string) {
		t.Helper()
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer db.Close()
		if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS perm_probe (x INTEGER)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO perm_probe VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT count(*) FROM perm_probe`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatalf("stat %s: %v", filepath.Base(p), err)
			}
			if mode := st.Mode().Perm(); mode != 0o600 {
				t.Errorf("%s has mode %#o, want 0600", filepath.Base(p), mode)
			}
		}
	}

	t.Run("new", func(t *testing.T) {
		check(t, filepath.Join(t.TempDir(), "fusebox.db"))
	})
	t.Run("existing 0644", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "fusebox.db")
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(p, 0o644); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
		check(t, path)
	})
}
