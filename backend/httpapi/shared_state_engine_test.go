package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"fusebox/backend/httpapi"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// TestLimitsAndConsoleLoginsKeptByEngine: a single process on SQLite keeps
// the per-client rate limits and the console's login codes and sessions in
// memory, so a request costs no database write for them (nothing else
// could read them); a team server on PostgreSQL keeps them in the tables
// its replicas share. Runs on the engine switch.
func TestLimitsAndConsoleLoginsKeptByEngine(t *testing.T) {
	db := storetest.Open(t)
	cfg := httpapi.Config{RateLimits: httpapi.RateLimits{RelayPerSecond: 0.001, RelayBurst: 3, FailedPerSecond: 0.001, FailedBurst: 2}}
	r := startReplica(t, cfg, httpapi.Deps{DB: db})

	limited := 0
	for range 5 {
		if res, _ := r.do("POST", "/sink/engine", "", `{"n":1}`); res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 2 {
		t.Fatalf("5 requests to /sink with a burst of 3: %d refused, want 2", limited)
	}
	failed := 0
	for range 3 {
		if res, _ := r.do("GET", "/login?code=guess", "", ""); res.StatusCode == http.StatusTooManyRequests {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("3 bad login codes with a failed-check burst of 2: %d refused, want 1", failed)
	}
	r.srv.NewLoginCode() // one left unused
	res, body := r.do("GET", "/login?code="+r.srv.NewLoginCode(), "", "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with a fresh code: %d %s", res.StatusCode, body)
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "fusebox_admin" {
			cookie = c.Value
		}
	}
	if res, body := r.do("GET", "/api/admin/whoami", cookie, ""); res.StatusCode != http.StatusOK {
		t.Fatalf("the console session: %d %s", res.StatusCode, body)
	}

	count := func(table string) int {
		t.Helper()
		var n int
		if err := db.Read.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, table := range []string{"rate_buckets", "console_login_codes", "console_sessions"} {
		n := count(table)
		switch db.Engine() {
		case store.SQLite:
			if n != 0 {
				t.Errorf("SQLite, a single process: %s holds %d rows, want none (kept in memory)", table, n)
			}
		case store.Postgres:
			if n == 0 {
				t.Errorf("PostgreSQL, a team server: %s holds no rows, want the state its replicas share", table)
			}
		}
	}
}
