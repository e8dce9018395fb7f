package main

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"fusebox/frontend"
	"fusebox/internal/pgtest"
)

// The smoke tests run each benchmark at tiny sizes: they prove it runs and
// prints its figures, not how fast anything is.

func runBench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBenchIngestSmoke(t *testing.T) {
	code, out, errb := runBench(t, "ingest", "--rows", "3000", "--pages", "5", "--papaparse=false", "--repeat", "2")
	// at this size the targets are not meaningful: exit 3 (a target
	// missed) is accepted, a failure to run is not
	if code != 0 && code != 3 {
		t.Fatalf("bench: %d %s %s", code, out, errb)
	}
	for _, want := range []string{"generate", "sqlite3 .import", "whole job 1/2 (own process)", "whole job 2/2 (own process)",
		"whole job, median", "x sqlite3 .import, target <= 1.0x", "peak RSS target <= 150 MB", "parse+validate+stage", "whole job, in process", "whole job, over HTTP",
		"review page 100", "review page 100, HTTP", "errors-only page 1", "errors-only page 1, HTTP", "find & replace", "undo, redo", "submit", "papaparse (node)"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "ingest rows=3000 ratio_vs_sqlite3=") || !strings.Contains(last, " whole_job_ratio_vs_sqlite3=") ||
		!strings.Contains(last, " whole_job_peak_rss_mb=") || !strings.Contains(last, " whole_job_http_ratio_vs_sqlite3=") || !strings.Contains(last, " peak_rss_mb=") {
		t.Fatalf("last line %q", last)
	}
	if code, _, _ := runBench(t, "nope"); code != 2 {
		t.Fatalf("bench nope: exit %d, want 2", code)
	}
}

func TestBenchSessionsRuns(t *testing.T) {
	code, out, errOut := runBench(t, "sessions", "--duration", "150ms", "--clients", "4")
	if code != 0 {
		t.Fatalf("bench sessions: %d %s", code, errOut)
	}
	for _, want := range []string{"reference: bare loopback HTTP handler", "sessions issued: POST /api/v1/importer/sessions", "token verifications in process", "token verifications over HTTP", "target >= 3000 sessions/s"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchMarketplaceSmoke(t *testing.T) {
	if _, err := fs.Stat(frontend.Dist, "dist/index.html"); err != nil {
		t.Skip("the frontend is not built (the benchmark loads the marketplace page)")
	}
	code, out, errOut := runBench(t, "marketplace", "--duration", "150ms", "--clients", "4", "--users", "10")
	if code != 0 {
		t.Fatalf("bench marketplace: %d %s", code, errOut)
	}
	for _, want := range []string{"marketplace benchmark:", "reference: Verify in process, no jti", "token verifications, no jti: GET /marketplace?jwt=",
		"reference: Verify in process, with jti", "token verifications, with jti: GET /marketplace?jwt=",
		"reference: Login in process, with jti", "logins, with jti: POST /api/marketplace/login",
		"reference: Login in process, no jti", "logins, no jti: POST /api/marketplace/login", "single-use jti check:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchRelaySmoke(t *testing.T) {
	code, out, errOut := runBench(t, "relay", "--records", "1000", "--requests", "100")
	if code != 0 {
		t.Fatalf("bench relay: %d %s", code, errOut)
	}
	for _, want := range []string{"plain Go client, 1 record per request", "plain Go client, arrays of 1000", "relay, batch: 1000", "relay, batch: 0",
		"submit -> last delivery, 1000-row import, batch: 1000", "targets: batch 1000 >= 50,000 records/s"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runBench(t, "relay", "--records", "10"); code != 2 {
		t.Fatalf("bench relay --records 10: exit %d, want 2", code)
	}
}

func TestBenchDashboardSmoke(t *testing.T) {
	code, out, errOut := runBench(t, "dashboard", "--records", "2000", "--imports", "100", "--destinations", "3", "--runs", "1")
	if code != 0 {
		t.Fatalf("bench dashboard: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"reference: count(*) over relay_deliveries", "dashboard charts, in process", "dashboard charts, GET over HTTP", "target <= 200ms over HTTP (issue 15)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "dashboard records=2000 imports=100 http_ms=") {
		t.Fatalf("last line %q", last)
	}
}

func TestBenchHooksSmoke(t *testing.T) {
	code, out, errb := runBench(t, "hooks", "--rows", "3000", "--batch", "500")
	if code != 0 && code != 3 {
		t.Fatalf("bench hooks: %d %s %s", code, out, errb)
	}
	for _, want := range []string{"without hooks", "JS row hook", "target <= 2.0x", "callback, batch 500", "target <= 3.0x", "(6 requests to a loopback endpoint,",
		"re-import with match_on", "matching added", "update 293, unchanged 2621", "first page of updated rows", "match_ratio="} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	// --match=false: the hook figures only
	code, out, errb = runBench(t, "hooks", "--rows", "2000", "--batch", "500", "--match=false")
	if code != 0 && code != 3 {
		t.Fatalf("bench hooks --match=false: %d %s %s", code, out, errb)
	}
	if !strings.Contains(out, "callback, batch 500") || strings.Contains(out, "match_on") {
		t.Errorf("bench hooks --match=false: want the callback figure and no match_on figure:\n%s", out)
	}
}

// The team benchmark at tiny sizes on the test cluster
// (scripts/pg-test-cluster.sh): its three setups run and the table has its
// rows.
func TestBenchTeamSmoke(t *testing.T) {
	code, out, errOut := runBench(t, "team", "--database", pgtest.Require(t), "--duration", "150ms", "--clients", "4", "--records", "2000", "--rows", "500")
	if code != 0 {
		t.Fatalf("bench team: %d %s", code, errOut)
	}
	for _, want := range []string{"1 replica, SQLite", "1 replica, PostgreSQL", "2 replicas, PostgreSQL", "sessions issued/s", "relay records/s, batch 1000", "rows staged/s", "PG 2 / PG 1"} {
		if !strings.Contains(out, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runBench(t, "team"); code != 2 {
		t.Fatalf("bench team without --database: exit %d, want 2", code)
	}
}
