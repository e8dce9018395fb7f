// Package storetest opens a fresh, migrated database for a test on the
// engine chosen by one switch: FUSEBOX_TEST_ENGINE=postgres runs the
// store-backed suites on PostgreSQL (a database of their own on the cluster
// of scripts/pg-test-cluster.sh), anything else (the default) on SQLite in
// the test's temporary directory.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"fusebox/backend/store"
	"fusebox/internal/pgtest"
)

// EnvEngine names the environment variable that picks the engine.
const EnvEngine = "FUSEBOX_TEST_ENGINE"

// Engine is the engine the tests of this run use.
func Engine(t testing.TB) store.Engine {
	t.Helper()
	switch v := os.Getenv(EnvEngine); v {
	case "", "sqlite":
		return store.SQLite
	case "postgres":
		return store.Postgres
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", EnvEngine, v)
		return store.SQLite
	}
}

// Open opens a fresh, migrated database on the run's engine and closes it
// when t ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenOn(t, Engine(t))
}

// OpenOn opens a fresh, migrated database on engine e.
func OpenOn(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	return openIn(t, e, "")
}

// Location is where a fresh database on the run's engine lives, for tests
// that open it themselves (again and again, or from two replicas): the
// arguments of store.OpenDatabase, a PostgreSQL URL or a SQLite path.
func Location(t testing.TB) (databaseURL, sqlitePath string) {
	t.Helper()
	return LocationOn(t, Engine(t))
}

// LocationOn is Location on engine e.
func LocationOn(t testing.TB, e store.Engine) (databaseURL, sqlitePath string) {
	t.Helper()
	if e == store.Postgres {
		return PostgresURL(t), ""
	}
	return "", filepath.Join(t.TempDir(), "fusebox.db")
}

// PostgresURL creates an empty database on the test cluster and returns
// its URL; it is dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return pgtest.CreateDatabase(t, "")
}

// SQLiteOnly skips t in a PostgreSQL run: for tests of what only the SQLite
// engine has (the database file, its pragmas, file backups).
func SQLiteOnly(t testing.TB) {
	t.Helper()
	if Engine(t) != store.SQLite {
		t.Skipf("SQLite only (%s=%s)", EnvEngine, os.Getenv(EnvEngine))
	}
}

// PostgresOnly skips t in a SQLite run: for tests of what only a team
// server on PostgreSQL does (replicas sharing one database, pg_dump advice).
func PostgresOnly(t testing.TB) {
	t.Helper()
	if Engine(t) != store.Postgres {
		t.Skipf("PostgreSQL only: run with %s=postgres", EnvEngine)
	}
}

// OpenIn is Open with the SQLite database at dir/fusebox.db, the data
// dir's own file, for tests of what reads the data dir (file backups); on
// PostgreSQL it is Open.
func OpenIn(t testing.TB, dir string) *store.DB {
	t.Helper()
	return openIn(t, Engine(t), dir)
}

// openIn opens a fresh, migrated database on engine e, on SQLite at
// dir/fusebox.db (dir "" is a new temporary dir), and closes it when t
// ends.
func openIn(t testing.TB, e store.Engine, dir string) *store.DB {
	t.Helper()
	var url, path string
	if e == store.Postgres {
		url = MigratedPostgresURL(t)
	} else {
		if dir == "" {
			dir = t.TempDir()
		}
		path = filepath.Join(dir, store.DBFile)
	}
	db, err := store.OpenDatabase(context.Background(), url, path)
	if err != nil {
		t.Fatalf("open %s test database: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// template is the migrated database of this test process on the cluster,
// which MigratedPostgresURL copies: a copy is much quicker than running
// every migration again for each test.
var template struct {
	once sync.Once
	name string
	err  error
}

// MigratedPostgresURL is PostgresURL with the schema already migrated (a
// copy of one database this process migrated once): for tests that open
// the database right away. Tests of the migrations themselves use
// PostgresURL. The template database stays on the cluster, which the test
// scripts throw away.
func MigratedPostgresURL(t testing.TB) string {
	t.Helper()
	base := pgtest.Require(t)
	template.once.Do(func() {
		template.name, template.err = makeTemplate(base)
	})
	if template.err != nil {
		t.Fatalf("migrated template database: %v", template.err)
	}
	return pgtest.CreateDatabase(t, template.name)
}

func makeTemplate(base string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect to the test cluster: %w", err)
	}
	defer conn.Close(ctx)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "tmpl_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create %s: %w", name, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	db, err := store.OpenDatabase(ctx, u.String(), "")
	if err != nil {
		return "", fmt.Errorf("migrate %s: %w", name, err)
	}
	// A template must have no connections while it is copied.
	db.Close()
	return name, nil
}
