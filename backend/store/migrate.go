package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// SQLite's migrations are migrations/NNNN_name.sql; PostgreSQL's are
// migrations/postgres/NNNN_name.sql, one for each SQLite one, with the same
// version and name (TestMigrationsMatchAcrossEngines).
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

func migrationDir(e Engine) string {
	if e == Postgres {
		return "migrations/postgres"
	}
	return "migrations"
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded files NNNN_name.sql of engine e in
// version order.
func migrations(e Engine) ([]migration, error) {
	dir := migrationDir(e)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations share version %d", ms[i].version)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary migrates to.
func LatestVersion() (int, error) {
	ms, err := migrations(SQLite)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[len(ms)-1].version, nil
}

// SchemaVersion reports the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", db.Path, err)
	}
	return v, nil
}

// querier is what migrate reads and writes the schema with.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// migrate applies pending migrations and refuses a database that a newer
// binary has migrated further. Openers that race on a new database (two
// replicas, or a command beside a starting server) migrate once: on SQLite
// the whole run is one BEGIN IMMEDIATE transaction (all migrations or
// none); on PostgreSQL a session advisory lock is held meanwhile and each
// migration commits on its own. The others wait, then find nothing to do.
func (db *DB) migrate(ctx context.Context) error {
	if db.engine != Postgres {
		tx, err := db.Write.BeginTx(ctx, nil) // _txlock=immediate
		if err != nil {
			return fmt.Errorf("open database %s: %w", db.Path, err)
		}
		defer tx.Rollback()
		apply := func(m migration) error { return applyMigration(ctx, tx, m) }
		if err := db.migrateOn(ctx, tx, apply); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("open database %s: commit migrations: %w", db.Path, err)
		}
		return nil
	}
	c, err := db.Write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open database %s: %w", db.Path, err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, int64(pgMigrateLock)); err != nil {
		return fmt.Errorf("open database %s: take the migration lock: %w", db.Path, err)
	}
	defer c.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, int64(pgMigrateLock))
	apply := func(m migration) error {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := applyMigration(ctx, tx, m); err != nil {
			return err
		}
		return tx.Commit()
	}
	return db.migrateOn(ctx, c, apply)
}

func (db *DB) migrateOn(ctx context.Context, c querier, apply func(migration) error) error {
	ms, err := migrations(db.engine)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("open database %s: %w", db.Path, err)
	}
	applied := map[int]bool{}
	rows, err := c.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read migrations of %s: %w", db.Path, err)
	}
	maxApplied := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("read migrations of %s: %w", db.Path, err)
		}
		applied[v] = true
		maxApplied = max(maxApplied, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read migrations of %s: %w", db.Path, err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if maxApplied > latest {
		return fmt.Errorf("open database %s: schema version %d is newer than this Fusebox supports (%d); use a newer fusebox binary", db.Path, maxApplied, latest)
	}
	n := 0
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if err := apply(m); err != nil {
			return fmt.Errorf("apply migration %04d_%s to %s: %w", m.version, m.name, db.Path, err)
		}
		n++
	}
	db.applied = n
	return nil
}

func applyMigration(ctx context.Context, tx *sql.Tx, m migration) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, Now())
	return err
}
