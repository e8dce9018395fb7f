// Package store owns Fusebox's database: SQLite in the data dir (the
// default: opened with the right pragmas, one writer connection plus a read
// pool) or PostgreSQL for a team server (OpenPostgres), the embedded
// migrations of each engine, and a transaction helper with after-commit
// callbacks. See Engine for what the store hides between the two.
package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DB is the opened database. Write has exactly one connection, so writes
// are serialized in Go rather than fighting over SQLite's lock; Read is a
// pool of query-only connections that WAL lets run beside the writer.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
	// Path is the SQLite file, or the PostgreSQL URL without its password.
	Path    string
	engine  Engine
	applied int
	ckpt    *checkpointer // SQLite: checkpoints deferred off the writer (DeferCheckpoints)

	// PostgreSQL only: the pool Lock takes its connections from, and the
	// configuration Listen connects with.
	locks    *sql.DB
	pgConfig *pgx.ConnConfig
}

// AppliedAtOpen is the number of migrations this open applied (0 when
// the schema was already current, or another replica migrated it).
func (db *DB) AppliedAtOpen() int { return db.applied }

// Engine is the engine the database runs on.
func (db *DB) Engine() Engine { return db.engine }

var sqliteMagic = []byte("SQLite format 3\x00")

// Open opens (creating if needed) the database file at path and applies
// any pending migrations. It refuses, without touching it, a file that is
// not SQLite or that a newer Fusebox has migrated past what this one knows.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	if err := makePrivate(path); err != nil {
		return nil, err
	}
	w, err := openPool(path, false)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r, err := openPool(path, true)
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db := &DB{Write: w, Read: r, Path: path}
	db.ckpt = newCheckpointer(db)
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPool builds a *sql.DB whose every connection gets the pragmas.
// busy_timeout comes first so the later pragmas wait instead of failing.
func openPool(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walKeepBytes))
		q.Set("_txlock", "immediate")
	}
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// makePrivate creates the database file 0600 before SQLite opens it, so
// the -wal and -shm files SQLite creates take the same mode, and tightens
// to 0600 an existing database (and its -wal, -shm) an older version left
// readable by others.
func makePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open database %s: %w", p, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("make database file %s private (0600): %w", p, err)
			}
		}
	}
	return nil
}

// checkHeader refuses a non-empty file that does not start with SQLite's
// magic bytes, so a wrong --data-dir never gets a file overwritten.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // empty file: SQLite treats it as a new database
	}
	if !bytes.Equal(head[:n], sqliteMagic) {
		return fmt.Errorf("open database %s: the file is not a SQLite database (refusing to touch it)", path)
	}
	return nil
}

// Close closes the pools (and the checkpointer's connection); the writer
// last, so the WAL is checkpointed.
func (db *DB) Close() error {
	var lerr error
	if db.locks != nil {
		lerr = db.locks.Close()
	}
	var cerr error
	if db.ckpt != nil {
		cerr = db.ckpt.close()
	}
	rerr := db.Read.Close()
	werr := db.Write.Close()
	return errors.Join(lerr, cerr, rerr, werr)
}

// Tx is a write transaction. Callbacks added with AfterCommit run once the
// transaction has committed (not on rollback), outside the writer lock.
type Tx struct {
	*sql.Tx
	after []func()
	conn  *sql.Conn // PostgreSQL: the connection the transaction runs on (CopyFrom)
}

// AfterCommit registers fn to run after a successful commit.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// Tx runs fn in a write transaction on the single writer connection. It
// commits when fn returns nil and rolls back otherwise (or on panic).
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	var conn *sql.Conn
	if db.engine == Postgres {
		// the transaction's own connection, for CopyFrom
		if conn, err = db.Write.Conn(ctx); err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer conn.Close()
	}
	var sqlTx *sql.Tx
	if conn != nil {
		sqlTx, err = conn.BeginTx(ctx, nil)
	} else {
		sqlTx, err = db.Write.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: sqlTx, conn: conn}
	if db.engine == Postgres {
		// One writer at a time across every replica, like SQLite's
		// BEGIN IMMEDIATE on its single writer connection.
		if _, err := sqlTx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(pgWriteLock)); err != nil {
			_ = sqlTx.Rollback()
			return fmt.Errorf("begin transaction: take the write lock: %w", err)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// Now is the timestamp format stored in TEXT columns: RFC 3339 in UTC with
// milliseconds, which sorts as text and parses in any database.
func Now() string { return FormatTime(time.Now()) }

// FormatTime formats t the way Now does.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// ParseTime parses a timestamp written by FormatTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// Setting reads a value from the settings table; ok is false when unset.
func (db *DB) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetSetting writes a value to the settings table inside tx.
func SetSetting(ctx context.Context, tx *Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, Now())
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}
