package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Advisory lock keys (pg_advisory_lock takes one bigint; these spell
// "fbxmigr" and "fbxwrit" so they are unlikely to meet another program's).
const (
	pgMigrateLock = 0x6662786d69677200
	pgWriteLock   = 0x6662787772697400
)

// IsPostgresURL reports whether s names a PostgreSQL database
// (postgres:// or postgresql://).
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// OpenDatabase opens the PostgreSQL database at databaseURL when it is set
// (a team server), else the SQLite file at sqlitePath (the default).
func OpenDatabase(ctx context.Context, databaseURL, sqlitePath string) (*DB, error) {
	if databaseURL != "" {
		return OpenPostgres(ctx, databaseURL)
	}
	return Open(ctx, sqlitePath)
}

// OpenPostgres connects to the PostgreSQL database at rawURL
// (postgres://user:password@host:port/dbname?sslmode=...) and applies any
// pending migrations, once, under an advisory lock, so replicas starting
// together do not race. Like Open, it refuses a database that a newer
// Fusebox has migrated past what this one knows.
func OpenPostgres(ctx context.Context, rawURL string) (*DB, error) {
	name := redactURL(rawURL)
	if !IsPostgresURL(rawURL) {
		return nil, fmt.Errorf("open database %s: not a postgres:// URL", name)
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "fusebox"
	// Timestamps are text written by Go; now() in migrations is UTC too.
	cfg.RuntimeParams["timezone"] = "UTC"
	w := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	rcfg := cfg.Copy()
	// The read pool refuses writes, as SQLite's query_only read pool does.
	rcfg.RuntimeParams["default_transaction_read_only"] = "on"
	r := sql.OpenDB(pgConnector{stdlib.GetConnector(*rcfg)})
	for _, p := range []*sql.DB{w, r} {
		p.SetMaxOpenConns(8)
		p.SetMaxIdleConns(8)
	}
	db := &DB{Write: w, Read: r, Path: name, engine: Postgres}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// redactURL is rawURL without its password, for messages.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return "(database URL)"
	}
	return u.Redacted()
}
