package stats

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"fusebox/backend/store"
)

// The dashboard's fast queries (the per-day delivery rollup, the indexes)
// against plain counts over relay_deliveries and importer_imports, on
// random data that is then changed the ways the relay changes it: attempts
// finishing, retries back to pending, plan holds released, deliveries and
// whole destinations deleted.
func TestDashboardMatchesNaiveCountsOnRandomData(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s, db := open(t)
			rng := rand.New(rand.NewSource(seed))
			fillRandom(t, db, rng)
			checkRollup(t, db)
			mutateRandom(t, db, rng)
			checkRollup(t, db)
			for _, q := range []Query{{}, {From: "2026-03-01", To: "2026-03-10"}, {From: "2026-02-20", To: "2026-02-20"}, {Importer: "orders"}} {
				d, err := s.Dashboard(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				compareNaive(t, db, d)
			}
		})
	}
}

// A data dir written before the rollup existed gets it filled by the
// migration that adds it.
func TestDeliveryRollupMigrationFillsExistingDeliveries(t *testing.T) {
	_, db := open(t)
	rng := rand.New(rand.NewSource(9))
	fillRandom(t, db, rng)
	drop := []string{`DROP TRIGGER relay_delivery_days_insert`, `DROP TRIGGER relay_delivery_days_update`, `DROP TRIGGER relay_delivery_days_delete`, `DROP TABLE relay_delivery_days`, `DROP INDEX importer_imports_dashboard`}
	if db.Engine() == store.Postgres {
		drop = []string{`DROP TABLE relay_delivery_days`, `DROP FUNCTION relay_delivery_days_track CASCADE`, `DROP INDEX importer_imports_dashboard`}
	}
	for _, q := range drop {
		exec(t, db, q)
	}
	exec(t, db, `DELETE FROM schema_migrations WHERE name = 'dashboard_rollup'`)
	path := db.Path // the file, or the test cluster's URL (it has no password)
	db.Close()
	var dbURL string
	if db.Engine() == store.Postgres {
		dbURL = path
	}
	db2, err := store.OpenDatabase(context.Background(), dbURL, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	checkRollup(t, db2)
	mutateRandom(t, db2, rng)
	checkRollup(t, db2)
}

var (
	randStatuses = []string{"pending", "delivered", "delivered", "delivered", "failed", "dead", "held"}
	// 2026-02-01 .. 2026-03-12 around the pinned now (2026-03-10)
	randStart = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

func randTime(rng *rand.Rand) string {
	return store.FormatTime(randStart.Add(time.Duration(rng.Int63n(int64(40 * 24 * time.Hour)))))
}

func fillRandom(t *testing.T, db *store.DB, rng *rand.Rand) {
	t.Helper()
	ts := "2026-01-01T00:00:00.000Z"
	exec(t, db, `INSERT INTO importers (id, slug, name, definition, created_at, updated_at) VALUES (1, 'contacts', 'Contacts', '{}', ?, ?), (2, 'orders', 'Orders', '{}', ?, ?)`, ts, ts, ts, ts)
	for d := 0; d < 4; d++ {
		exec(t, db, `INSERT INTO relay_destinations (id, origin, spec, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)`, fmt.Sprintf("dest%d", d), []string{"console", "marketplace"}[d%2], ts, ts)
	}
	statuses := []string{"created", "submitted", "completed", "failed", "submitting"}
	for i := 0; i < 300; i++ {
		at := randTime(rng)
		rows := rng.Intn(1000)
		exec(t, db, `INSERT INTO importer_imports (slug, importer_id, definition, status, step, reached, row_count, error_rows, record_count, created_at, updated_at)
			VALUES (?, ?, '{}', ?, 'review', ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("imp%d", i), 1+rng.Intn(2), statuses[rng.Intn(len(statuses))], rng.Intn(6), rows, rng.Intn(rows+1), rng.Intn(rows+1), at, at)
	}
	for i := 1; i <= 1500; i++ {
		at := randTime(rng)
		status := randStatuses[rng.Intn(len(randStatuses))]
		attempts := 0
		if status != "pending" && status != "held" {
			attempts = 1 + rng.Intn(4)
		}
		exec(t, db, `INSERT INTO relay_deliveries (id, uid, destination_id, source, status, reason, attempts, body, created_at, updated_at) VALUES (?, ?, ?, 'import', ?, ?, ?, '', ?, ?)`,
			i, fmt.Sprint("u", i), fmt.Sprintf("dest%d", rng.Intn(4)), status, "reason "+fmt.Sprint(i), attempts, at, at)
		for n := 1; n <= attempts; n++ {
			exec(t, db, `INSERT INTO relay_attempts (delivery_id, n, started_at, duration_ms, status_code, outcome) VALUES (?, ?, ?, ?, 200, 'x')`, i, n, at, rng.Intn(500))
		}
	}
}

// mutateRandom changes deliveries as the relay does: a pending one
// attempted (delivered, failed for a retry, or dead), a failed or dead one
// retried (back to pending), a held one released, one deleted, and finally
// a destination deleted with its deliveries.
func mutateRandom(t *testing.T, db *store.DB, rng *rand.Rand) {
	t.Helper()
	for k := 0; k < 400; k++ {
		id := 1 + rng.Intn(1500)
		switch rng.Intn(6) {
		case 0, 1:
			exec(t, db, `UPDATE relay_deliveries SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`, []string{"delivered", "pending", "dead"}[rng.Intn(3)], randTime(rng), id)
		case 2:
			exec(t, db, `UPDATE relay_deliveries SET status = 'pending', reason = '', round = 0 WHERE id = ? AND status IN ('failed', 'dead')`, id)
		case 3:
			exec(t, db, `UPDATE relay_deliveries SET status = 'pending' WHERE id = ? AND status = 'held'`, id)
		case 4:
			exec(t, db, `UPDATE relay_deliveries SET lease_owner = 'w', lease_until = 5, reason = 'x' WHERE id = ?`, id)
		case 5:
			exec(t, db, `DELETE FROM relay_deliveries WHERE id = ?`, id)
		}
	}
	// a batch update of many rows at once
	exec(t, db, `UPDATE relay_deliveries SET status = 'pending', attempts = 0 WHERE status = 'dead' AND id % 3 = 0`)
	exec(t, db, `DELETE FROM relay_destinations WHERE id = 'dest3'`)
}

func checkRollup(t *testing.T, db *store.DB) {
	t.Helper()
	type key struct{ dest, status, day string }
	type val struct{ n, attempts int64 }
	read := func(q string) map[key]val {
		rows, err := db.Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[key]val{}
		for rows.Next() {
			var k key
			var v val
			if err := rows.Scan(&k.dest, &k.status, &k.day, &v.n, &v.attempts); err != nil {
				t.Fatal(err)
			}
			if v != (val{}) {
				m[k] = v
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	naive := read(`SELECT destination_id, status, substr(created_at, 1, 10), count(*), SUM(attempts) FROM relay_deliveries GROUP BY 1, 2, 3`)
	rollup := read(`SELECT destination_id, status, day, deliveries, attempts FROM relay_delivery_days`)
	if len(naive) == 0 {
		t.Fatal("no deliveries")
	}
	if len(naive) != len(rollup) {
		t.Errorf("rollup has %d non-zero days, the deliveries %d", len(rollup), len(naive))
	}
	for k, v := range naive {
		if rollup[k] != v {
			t.Errorf("%v: rollup %+v, counted %+v", k, rollup[k], v)
		}
	}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func compareNaive(t *testing.T, db *store.DB, d Dashboard) {
	t.Helper()
	imp := ""
	var impArgs []any
	if d.Importer != "" {
		imp = ` AND importer_id = (SELECT id FROM importers WHERE slug = ?)`
		impArgs = []any{d.Importer}
	}
	dayArgs := func(day string, extra ...any) []any {
		return append([]any{day + "T", day + "T99"}, extra...)
	}
	for i, day := range d.Days {
		pd := d.Imports.PerDay[i]
		a := dayArgs(day, impArgs...)
		if got, want := pd.Started, count(t, db, `SELECT count(*) FROM importer_imports WHERE created_at >= ? AND created_at < ?`+imp, a...); got != want {
			t.Errorf("%s imports started %d, counted %d", day, got, want)
		}
		if got, want := pd.Submitted, count(t, db, `SELECT count(*) FROM importer_imports WHERE created_at >= ? AND created_at < ? AND status IN ('submitted', 'completed')`+imp, a...); got != want {
			t.Errorf("%s imports submitted %d, counted %d", day, got, want)
		}
		if got, want := pd.Rows, count(t, db, `SELECT COALESCE(SUM(row_count), 0) FROM importer_imports WHERE created_at >= ? AND created_at < ?`+imp, a...); got != want {
			t.Errorf("%s rows %d, counted %d", day, got, want)
		}
	}
	lo, hi := d.From+"T", d.To+"T99"
	for k, step := range FunnelSteps {
		want := count(t, db, `SELECT count(*) FROM importer_imports WHERE created_at >= ? AND created_at < ? AND reached > ?`+imp, append([]any{lo, hi, k}, impArgs...)...)
		if got := d.Funnel.Overall[k]; got != want {
			t.Errorf("funnel %s %d, counted %d", step, got, want)
		}
	}
	var total DeliveryStats
	n := count(t, db, `SELECT count(*) FROM relay_destinations`)
	if int64(len(d.Deliveries.Destinations)) != n {
		t.Fatalf("%d destinations, %d in the table", len(d.Deliveries.Destinations), n)
	}
	for _, dest := range d.Deliveries.Destinations {
		for i, day := range d.Days {
			a := dayArgs(day, dest.ID)
			if got, want := dest.DeliveredPerDay[i], count(t, db, `SELECT count(*) FROM relay_deliveries WHERE created_at >= ? AND created_at < ? AND destination_id = ? AND status = 'delivered'`, a...); got != want {
				t.Errorf("%s %s delivered %d, counted %d", dest.ID, day, got, want)
			}
			if got, want := dest.FailedPerDay[i], count(t, db, `SELECT count(*) FROM relay_deliveries WHERE created_at >= ? AND created_at < ? AND destination_id = ? AND status IN ('failed', 'dead')`, a...); got != want {
				t.Errorf("%s %s failed %d, counted %d", dest.ID, day, got, want)
			}
		}
		a := []any{lo, hi, dest.ID}
		for _, c := range []struct {
			name string
			got  int64
			q    string
			args []any
		}{
			{"deliveries", dest.Deliveries, `SELECT count(*) FROM relay_deliveries WHERE created_at >= ? AND created_at < ? AND destination_id = ? AND status IN ('delivered', 'failed', 'dead', 'held')`, a},
			{"held", dest.Held, `SELECT count(*) FROM relay_deliveries WHERE created_at >= ? AND created_at < ? AND destination_id = ? AND status = 'held'`, a},
			{"attempts", dest.Attempts, `SELECT COALESCE(SUM(attempts), 0) FROM relay_deliveries WHERE created_at >= ? AND created_at < ? AND destination_id = ? AND status IN ('delivered', 'failed', 'dead', 'held')`, a},
			{"backlog", dest.Backlog, `SELECT count(*) FROM relay_deliveries WHERE destination_id = ? AND status = 'pending'`, []any{dest.ID}},
		} {
			if want := count(t, db, c.q, c.args...); c.got != want {
				t.Errorf("%s %s %d, counted %d", dest.ID, c.name, c.got, want)
			}
		}
		var lastErr string
		err := db.Read.QueryRow(`SELECT reason FROM relay_deliveries WHERE destination_id = ? AND status IN ('failed', 'dead') ORDER BY id DESC LIMIT 1`, dest.ID).Scan(&lastErr)
		if err != nil && dest.LastError != "" || err == nil && lastErr != dest.LastError {
			t.Errorf("%s last error %q, the latest is %q (%v)", dest.ID, dest.LastError, lastErr, err)
		}
		total.Delivered += dest.Delivered
		total.Backlog += dest.Backlog
	}
	if total.Delivered != d.Deliveries.Delivered || total.Backlog != d.Deliveries.Backlog {
		t.Errorf("totals %+v, destinations sum to %+v", d.Deliveries, total)
	}
}
