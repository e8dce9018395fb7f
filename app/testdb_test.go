package app

import (
	"sync"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// testDatabases maps a test's data dir to its PostgreSQL database, so a
// test that opens one data dir again opens the same database.
var testDatabases sync.Map

// testDatabaseURL is Config.DatabaseURL for a test on the run's engine
// (storetest's switch): "" on SQLite (the data dir's file); on PostgreSQL
// a fresh database, the same one each time for the same dir ("" dir:
// always a fresh one).
func testDatabaseURL(t testing.TB, dir string) string {
	t.Helper()
	if storetest.Engine(t) != store.Postgres {
		return ""
	}
	if dir != "" {
		if u, ok := testDatabases.Load(dir); ok {
			return u.(string)
		}
	}
	u := storetest.MigratedPostgresURL(t)
	if dir != "" {
		testDatabases.Store(dir, u)
	}
	return u
}
