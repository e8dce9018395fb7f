package stats

import (
	"context"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

func open(t *testing.T) (*Service, *store.DB) {
	t.Helper()
	db := storetest.Open(t)
	s := New(db)
	s.now = func() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) }
	return s, db
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Write.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestDashboardCountsImportsFunnelDeliveriesAndInstalls(t *testing.T) {
	s, db := open(t)
	ts := "2026-03-01T00:00:00.000Z"
	exec(t, db, `INSERT INTO importers (id, slug, name, definition, created_at, updated_at) VALUES (1, 'contacts', 'Contacts', '{}', ?, ?), (2, 'orders', 'Orders', '{}', ?, ?)`, ts, ts, ts, ts)
	imp := func(slug string, importer int, status string, reached, rows, errRows, records int, created string) {
		exec(t, db, `INSERT INTO importer_imports (slug, importer_id, definition, status, step, reached, row_count, error_rows, record_count, created_at, updated_at)
			VALUES (?, ?, '{}', ?, 'review', ?, ?, ?, ?, ?, ?)`, slug, importer, status, reached, rows, errRows, records, created, created)
	}
	imp("a", 1, "completed", 5, 100, 10, 100, "2026-03-09T08:00:00.000Z")
	imp("b", 1, "failed", 4, 50, 5, 0, "2026-03-09T09:00:00.000Z")
	imp("c", 1, "created", 2, 0, 0, 0, "2026-03-10T09:00:00.000Z")
	imp("d", 2, "created", 0, 0, 0, 0, "2026-03-10T10:00:00.000Z")
	imp("old", 1, "completed", 5, 9, 0, 9, "2026-01-01T10:00:00.000Z") // outside the range

	exec(t, db, `INSERT INTO relay_destinations (id, origin, spec, created_at, updated_at) VALUES ('crm', 'console', '{}', ?, ?), ('idle', 'console', '{}', ?, ?)`, ts, ts, ts, ts)
	del := func(id int, status, reason string, attempts int, created string, durations ...int) {
		exec(t, db, `INSERT INTO relay_deliveries (id, uid, destination_id, source, status, reason, attempts, body, created_at, updated_at) VALUES (?, ?, 'crm', 'import', ?, ?, ?, '', ?, ?)`,
			id, "u"+string(rune('a'+id)), status, reason, attempts, created, created)
		for n, ms := range durations {
			exec(t, db, `INSERT INTO relay_attempts (delivery_id, n, started_at, duration_ms, status_code, outcome) VALUES (?, ?, ?, ?, 200, 'x')`, id, n+1, created, ms)
		}
	}
	del(1, "delivered", "", 1, "2026-03-09T08:00:00.000Z", 10)
	del(2, "delivered", "", 2, "2026-03-09T08:01:00.000Z", 20, 30)
	del(3, "failed", "HTTP 500", 3, "2026-03-10T08:00:00.000Z", 40, 50, 60)
	del(4, "dead", "HTTP 410", 1, "2026-03-10T08:30:00.000Z", 70)
	del(5, "pending", "", 0, "2026-03-10T09:00:00.000Z")
	del(6, "held", "plan limit", 0, "2026-03-10T09:00:00.000Z")
	del(7, "delivered", "", 1, "2026-01-01T08:00:00.000Z", 1) // outside the range

	exec(t, db, `INSERT INTO marketplace_end_users (id, org_id, external_id, plan, created_at, last_login_at) VALUES ('u1', 'o', 'ext1', 'free', ?, ?), ('u2', 'o', 'ext2', 'pro', ?, ?)`,
		"2026-03-09T00:00:00.000Z", ts, "2026-01-01T00:00:00.000Z", ts)
	exec(t, db, `INSERT INTO marketplace_installs (id, end_user_id, listing_id, listing_name, name, status, created_at, updated_at) VALUES
		('i1', 'u1', 'acme', 'Acme CRM', 'x', 'installed', '2026-03-09T10:00:00.000Z', ''),
		('i2', 'u2', 'acme', 'Acme CRM', 'x', 'installed', '2026-03-10T10:00:00.000Z', ''),
		('i3', 'u2', 'sheets', 'Sheets', 'x', 'failed', '2026-03-10T11:00:00.000Z', '')`)
	exec(t, db, `INSERT INTO marketplace_limit_hits (end_user_id, listing_id, plan, detail, created_at) VALUES ('u1', 'sheets', 'free', 'limit', '2026-03-10T11:00:00.000Z')`)

	d, err := s.Dashboard(context.Background(), Query{From: "2026-03-09", To: "2026-03-10"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Days) != 2 || d.Days[0] != "2026-03-09" {
		t.Fatalf("days %v", d.Days)
	}
	im := d.Imports
	if im.Started != 4 || im.Submitted != 1 || im.Failed != 1 || im.InFlight != 2 || im.Rows != 150 || im.ErrorRows != 15 || im.Records != 100 {
		t.Fatalf("imports %+v", im)
	}
	if im.PerDay[0].Started != 2 || im.PerDay[1].Started != 2 || im.PerDay[0].Submitted != 1 {
		t.Fatalf("per day %+v", im.PerDay)
	}
	if got, want := d.Funnel.Overall, []int64{3, 3, 2, 2, 1}; !equal(got, want) {
		t.Fatalf("funnel %v, want %v", got, want)
	}
	if len(d.Funnel.ByImporter) != 2 || d.Funnel.ByImporter[1].Importer != "orders" || d.Funnel.ByImporter[1].Counts[0] != 0 || d.Funnel.ByImporter[1].Started != 1 {
		t.Fatalf("by importer %+v", d.Funnel.ByImporter)
	}

	crm := d.Deliveries.Destinations[0]
	if crm.ID != "crm" || crm.Delivered != 2 || crm.Failed != 2 || crm.Held != 1 || crm.Backlog != 1 || crm.Attempts != 7 || crm.Deliveries != 5 {
		t.Fatalf("crm %+v", crm)
	}
	if crm.SuccessRate != 0.5 || crm.LastError != "HTTP 410" {
		t.Fatalf("crm rate/error %+v", crm)
	}
	// attempts of the latest finished deliveries: 1, 10, 20, 30, 40, 50, 60, 70
	if crm.LatencyN != 8 || crm.P50Ms != 30 || crm.P95Ms != 70 {
		t.Fatalf("latency n=%d p50=%d p95=%d", crm.LatencyN, crm.P50Ms, crm.P95Ms)
	}
	if !equal(crm.DeliveredPerDay, []int64{2, 0}) || !equal(crm.FailedPerDay, []int64{0, 2}) {
		t.Fatalf("sparkline %v %v", crm.DeliveredPerDay, crm.FailedPerDay)
	}
	if idle := d.Deliveries.Destinations[1]; idle.SuccessRate != -1 || idle.Deliveries != 0 {
		t.Fatalf("idle %+v", idle)
	}

	mp := d.Marketplace
	if mp.Installs != 3 || mp.EndUsers != 2 || mp.NewEndUsers != 1 || mp.InstallsRefus != 1 || mp.HeldDeliveries != 1 || mp.LimitHits != 2 || mp.InstallsNow != 2 {
		t.Fatalf("marketplace %+v", mp)
	}
	if len(mp.ByListingPlan) != 3 || mp.ByListingPlan[0] != (ListingPlanCount{"acme", "Acme CRM", "free", 1}) {
		t.Fatalf("by listing and plan %+v", mp.ByListingPlan)
	}
	kinds := map[string]int{}
	for _, a := range d.Activity {
		kinds[a.Kind]++
	}
	if kinds["import"] != 5 || kinds["install"] != 3 || kinds["delivery_failed"] != 2 {
		t.Fatalf("activity %v", kinds)
	}

	// one importer
	d, err = s.Dashboard(context.Background(), Query{From: "2026-03-09", To: "2026-03-10", Importer: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Imports.Started != 1 || len(d.Funnel.ByImporter) != 1 {
		t.Fatalf("orders only: %+v %+v", d.Imports, d.Funnel)
	}
	// default range: the 30 days up to today
	d, err = s.Dashboard(context.Background(), Query{})
	if err != nil || d.From != "2026-02-09" || d.To != "2026-03-10" || len(d.Days) != 30 {
		t.Fatalf("default range %s..%s (%d days) %v", d.From, d.To, len(d.Days), err)
	}
}

func TestDashboardRejectsBadRanges(t *testing.T) {
	s, _ := open(t)
	for _, q := range []Query{{From: "yesterday"}, {To: "2026-13-01"}, {From: "2026-03-10", To: "2026-03-01"}, {From: "2020-01-01", To: "2026-01-01"}} {
		if _, err := s.Dashboard(context.Background(), q); !errs.Is(err, errs.EINVALID) {
			t.Errorf("%+v: %v, want invalid", q, err)
		}
	}
	if _, err := s.Dashboard(context.Background(), Query{Importer: "nope"}); !errs.Is(err, errs.ENOTFOUND) {
		t.Errorf("unknown importer: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		v    []int64
		p    int
		want int64
	}{{nil, 50, 0}, {[]int64{5}, 95, 5}, {[]int64{4, 1, 3, 2}, 50, 2}, {[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10}, {[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5}} {
		if got := Percentile(c.v, c.p); got != c.want {
			t.Errorf("Percentile(%v, %d) = %d, want %d", c.v, c.p, got, c.want)
		}
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
