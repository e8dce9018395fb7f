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
func OpenPostgres(ctx context.Context, rawURL string) (db *DB, err error) {
	defer func() {
		if err != nil {
			err = redactErr(err, urlSecrets(rawURL))
		}
	}()
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
	// Lock's connections: each held while its lock is; a pool of their
	// own, so waiting for locks never takes the writers' connections.
	l := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg.Copy())})
	l.SetMaxOpenConns(DefaultLockConns)
	l.SetMaxIdleConns(4)
	db = &DB{Write: w, Read: r, Path: name, engine: Postgres, locks: l, pgConfig: cfg.Copy()}
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
	q := u.Query()
	for k := range q {
		if isSecretParam(k) {
			q[k] = []string{"xxxxx"}
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// isSecretParam reports whether a database URL's query parameter holds a
// password (libpq's password and sslpassword; any case).
func isSecretParam(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "sslpassword"
}

// urlSecrets are the passwords written in rawURL (its user part and its
// password parameters), as written and decoded.
func urlSecrets(rawURL string) []string {
	var out []string
	if u, err := url.Parse(rawURL); err == nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
		for k, vs := range u.Query() {
			if isSecretParam(k) {
				out = append(out, vs...)
			}
		}
	}
	// As written too: a URL that does not parse still has them in its text.
	if _, rest, ok := strings.Cut(rawURL, "://"); ok {
		if userinfo, _, ok := strings.Cut(rest, "@"); ok {
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				out = append(out, pw)
			}
		}
	}
	if _, query, ok := strings.Cut(rawURL, "?"); ok {
		for _, kv := range strings.Split(query, "&") {
			if k, v, ok := strings.Cut(kv, "="); ok && isSecretParam(k) {
				out = append(out, v)
			}
		}
	}
	return out
}

// redactErr is err with every secret replaced in its text (the driver's
// own messages quote the URL it was given).
func redactErr(err error, secrets []string) error {
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
