package cli

import (
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
	u, ok := testDatabases.Load(dir)
	if !ok {
		u = storetest.PostgresURL(t)
		testDatabases.Store(dir, u)
	}
	t.Setenv("FUSEBOX_DATABASE_URL", u.(string))
}
