package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Snapshot writes a consistent copy of the database file at src to dest
// (which must not exist) with SQLite's VACUUM INTO, over a connection of
// its own: it works while a server (this process or another) reads and
// writes src, because in WAL mode the copy is one read transaction and
// writers go on beside it. The copy holds every transaction committed
// before it started and none after. dest is created 0600.
func Snapshot(ctx context.Context, src, dest string) error {
	if err := checkHeader(src); err != nil {
		return err
	}
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("snapshot database: %w", err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("snapshot database %s: the file is empty", src)
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("snapshot database to %s: the file exists", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("snapshot database to %s: %w", dest, err)
	}
	// The copy is private from its first byte: SQLite writes into the file
	// created here (VACUUM INTO accepts an empty file).
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("snapshot database to %s: %w", dest, err)
	}
	f.Close()
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		os.Remove(dest)
		return fmt.Errorf("snapshot database %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("snapshot database %s to %s: %w", src, dest, err)
	}
	return nil
}

// CheckFile checks that the database file at path is whole (PRAGMA
// integrity_check) and that this binary knows its schema, without
// migrating or changing it. It returns the file's schema version.
func CheckFile(ctx context.Context, path string) (int, error) {
	if err := checkHeader(path); err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("check database %s: %w", path, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return 0, fmt.Errorf("check database %s: %w", path, err)
	}
	if res != "ok" {
		return 0, fmt.Errorf("check database %s: integrity check failed: %s", path, res)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("check database %s: read schema version: %w", path, err)
	}
	latest, err := LatestVersion()
	if err != nil {
		return 0, err
	}
	if v > latest {
		return v, fmt.Errorf("database %s has schema version %d, newer than this Fusebox supports (%d); use a newer fusebox binary", path, v, latest)
	}
	return v, nil
}
