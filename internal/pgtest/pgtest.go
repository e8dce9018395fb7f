// Package pgtest gives tests a database of their own on the throwaway
// PostgreSQL cluster that scripts/pg-test-cluster.sh starts (scripts/test.sh
// runs the Go tests inside it). The cluster's URL comes from the
// environment variable FUSEBOX_TEST_DATABASE_URL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the test cluster's URL.
const EnvURL = "FUSEBOX_TEST_DATABASE_URL"

// Available reports whether a test cluster is configured.
func Available() bool { return os.Getenv(EnvURL) != "" }

// Require skips t when no test cluster is configured, or fails it when
// FUSEBOX_REQUIRE_TOOLS is set (scripts/test.sh, where a missing cluster
// is a broken run, not a reason to test less).
func Require(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u != "" {
		return u
	}
	msg := EnvURL + " is not set; run the tests inside scripts/pg-test-cluster.sh, e.g. scripts/pg-test-cluster.sh go test ./backend/store/"
	if os.Getenv("FUSEBOX_REQUIRE_TOOLS") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// CreateDatabase creates an empty database named like the test, copied
// from template (template0 when empty), and drops it when t ends. It
// returns the database's URL.
func CreateDatabase(t testing.TB, template string) string {
	t.Helper()
	base := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test cluster %s: %v", base, err)
	}
	defer conn.Close(ctx)
	name := "t_" + randomHex(8)
	if template == "" {
		template = "template0"
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())); err != nil {
		t.Fatalf("create test database from %s: %v", template, err)
	}
	t.Cleanup(func() { Drop(t, name) })
	return WithDatabase(t, base, name)
}

// Drop drops the named database, closing what is still connected to it.
func Drop(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, Require(t))
	if err != nil {
		t.Errorf("connect to the test cluster: %v", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

// WithDatabase returns base (a postgres:// URL) pointing at database name.
func WithDatabase(t testing.TB, base, name string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
