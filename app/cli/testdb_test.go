package cli

import (
	"os"
	"sync"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// testDatabases maps a test's data dir to its PostgreSQL database, so the
// commands a test runs on one data dir share one database.
var testDatabases sync.Map

// useTestDatabase points the commands about to run on the data dir of
// args (--data-dir) at the run's engine (storetest's switch): on
// PostgreSQL it sets FUSEBOX_DATABASE_URL, for the rest of the test, to
// the dir's own fresh database; on SQLite it does nothing (the data dir's
// file). Commands given --database keep theirs.
func useTestDatabase(t *testing.T, args []string) {
	t.Helper()
	if storetest.Engine(t) != store.Postgres {
		return
	}
	if cur := os.Getenv("FUSEBOX_DATABASE_URL"); cur != "" && !isTestDatabase(cur) {
		return // the test's own database
	}
	dir := ""
	for i, a := range args {
		if a == "--database" {
			return
		}
		if a == "--data-dir" && i+1 < len(args) {
			dir = args[i+1]
		}
	}
	if dir == "" {
		return
	}
	t.Setenv("FUSEBOX_DATABASE_URL", testDatabaseURL(t, dir))
}

// testDatabaseURL is the database of the test's data dir dir on
// PostgreSQL ("" on SQLite), made on first use.
func testDatabaseURL(t *testing.T, dir string) string {
	t.Helper()
	if storetest.Engine(t) != store.Postgres {
		return ""
	}
	u, ok := testDatabases.Load(dir)
	if !ok {
		u = storetest.MigratedPostgresURL(t)
		testDatabases.Store(dir, u)
	}
	return u.(string)
}

// isTestDatabase reports whether url is one testDatabaseURL made.
func isTestDatabase(url string) bool {
	found := false
	testDatabases.Range(func(_, v any) bool {
		found = v.(string) == url
		return !found
	})
	return found
}

// testDataFlags are the data flags of the commands a test runs on dir,
// for opening its App in the test.
func testDataFlags(t *testing.T, dir string) dataFlags {
	t.Helper()
	return dataFlags{dir: dir, database: testDatabaseURL(t, dir)}
}
