package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"fusebox/app"
	"fusebox/backend/stats"
	"fusebox/backend/store"
)

// dashboardTarget is the console dashboard's answer time on the bench's
// data dir (issue 15).
const dashboardTarget = 200 * time.Millisecond

// runBenchDashboard is `fusebox-bench dashboard`: a data dir with --records
// delivered records (one per delivery, each with its attempt: the relay's
// batch 0, the largest table the dashboard reads) and --imports imports,
// written straight into SQLite; then the dashboard's charts
// (GET /api/admin/dashboard/charts, the last 30 days, which hold them all)
// answered in process and over loopback HTTP. The reference is a bare
// count(*) over relay_deliveries in the same run.
func runBenchDashboard(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench dashboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	records := fs.Int("records", 1_000_000, "delivered records (one delivery and one attempt each)")
	imports := fs.Int("imports", 10_000, "imports")
	dests := fs.Int("destinations", 20, "relay destinations")
	runs := fs.Int("runs", 9, "dashboard answers measured (the median is reported)")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *records < 100 || *imports < 10 || *dests < 1 || *runs < 1 {
		fmt.Fprintln(stderr, "fusebox-bench dashboard: --records at least 100, --imports at least 10, --destinations and --runs at least 1")
		return 2
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench dashboard:", err)
		return 1
	}
	defer stopProfile()
	if err := benchDashboard(ctx, *records, *imports, *dests, *runs, *keep, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "fusebox-bench dashboard:", err)
		return 1
	}
	return 0
}

func benchDashboard(ctx context.Context, records, imports, dests, runs int, keep bool, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "fusebox-bench-dashboard-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(stderr, "data dir kept at", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	start := time.Now()
	if err := fillDashboardData(ctx, filepath.Join(dir, "fusebox.db"), records, imports, dests); err != nil {
		return err
	}
	fill := time.Since(start)

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := benchServer()
	srv.AdminToken = "bench-admin-token-0123456789abcdef"
	a, err := app.New(ctx, app.Config{Version: version, DataDir: dir, Logger: log, Server: srv})
	if err != nil {
		return err
	}
	defer a.Close()
	base, stop, err := benchListen(a.Handler())
	if err != nil {
		return err
	}
	defer stop()

	db, err := store.Open(ctx, filepath.Join(dir, "fusebox.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	st := stats.New(db)

	median := func(f func() error) (time.Duration, error) {
		var ds []time.Duration
		for i := 0; i < runs; i++ {
			t := time.Now()
			if err := f(); err != nil {
				return 0, err
			}
			ds = append(ds, time.Since(t))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2], nil
	}
	ref, err := median(func() error {
		var n int64
		return db.Read.QueryRowContext(ctx, `SELECT count(*) FROM relay_deliveries`).Scan(&n)
	})
	if err != nil {
		return err
	}
	var got stats.Dashboard
	inProc, err := median(func() error {
		got, err = st.Dashboard(ctx, stats.Query{})
		return err
	})
	if err != nil {
		return err
	}
	if got.Deliveries.Delivered < int64(records)*9/10 || got.Imports.Started != int64(imports) {
		return fmt.Errorf("the dashboard counted %d delivered and %d imports; want about %d and exactly %d", got.Deliveries.Delivered, got.Imports.Started, records, imports)
	}
	client := &http.Client{}
	overHTTP, err := median(func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/admin/dashboard/charts", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /api/admin/dashboard/charts: %s %s", resp.Status, strings.TrimSpace(string(body)))
		}
		return nil
	})
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "dashboard benchmark: %d delivered records (one delivery and one attempt each) to %d destinations, %d imports, all in the last 30 days; median of %d answers\n",
		records, dests, imports, runs)
	fmt.Fprintf(stdout, "data dir written in %v\n", fill.Round(time.Millisecond))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\t%10s\t%12s\n", "ms", "vs reference")
	fmt.Fprintf(tw, "reference: count(*) over relay_deliveries\t%10.1f\t%11.2fx\n", ms(ref), 1.0)
	fmt.Fprintf(tw, "dashboard charts, in process\t%10.1f\t%11.2fx\n", ms(inProc), float64(inProc)/float64(ref))
	fmt.Fprintf(tw, "dashboard charts, GET over HTTP\t%10.1f\t%11.2fx\n", ms(overHTTP), float64(overHTTP)/float64(ref))
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "met"
	if overHTTP > dashboardTarget {
		verdict = "NOT met"
	}
	fmt.Fprintf(stdout, "target <= %v over HTTP (issue 15): %s\n", dashboardTarget, verdict)
	fmt.Fprintf(stdout, "dashboard records=%d imports=%d http_ms=%.1f in_process_ms=%.1f\n", records, imports, ms(overHTTP), ms(inProc))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fillDashboardData writes the bench's rows straight into a new database:
// what the importer, the relay and the marketplace would have stored,
// spread over the last 30 days.
func fillDashboardData(ctx context.Context, path string, records, imports, dests int) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UTC()
	at := func(i, n int) string {
		// evenly over the last 28.5 days, oldest first
		back := time.Duration(float64(28*24*time.Hour+12*time.Hour) * float64(n-i) / float64(n))
		return store.FormatTime(now.Add(-back))
	}
	// batch runs one multi-VALUES INSERT per 100 rows, 20,000 rows a transaction.
	batch := func(head string, cols, n int, row func(i int) []any) error {
		for lo := 0; lo < n; lo += 20_000 {
			hi := min(lo+20_000, n)
			err := db.Tx(ctx, func(tx *store.Tx) error {
				for s := lo; s < hi; s += 100 {
					e := min(s+100, hi)
					var sb strings.Builder
					sb.WriteString(head)
					args := make([]any, 0, (e-s)*cols)
					ph := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
					for i := s; i < e; i++ {
						if i > s {
							sb.WriteByte(',')
						}
						sb.WriteString(ph)
						args = append(args, row(i)...)
					}
					if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("fill: %w", err)
			}
		}
		return nil
	}
	ts := store.Now()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i, slug := range []string{"contacts", "orders"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO importers (id, slug, name, definition, created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?)`, i+1, slug, strings.ToUpper(slug[:1])+slug[1:], ts, ts); err != nil {
				return err
			}
		}
		for d := 0; d < dests; d++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO relay_destinations (id, origin, spec, created_at, updated_at) VALUES (?, 'console', '{}', ?, ?)`, fmt.Sprintf("dest-%02d", d), ts, ts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	statuses := []string{"submitted", "completed", "completed", "failed", "created", "created"}
	reached := []int{5, 5, 5, 4, 2, 1}
	err = batch(`INSERT INTO importer_imports (slug, importer_id, definition, status, step, reached, file_name, row_count, error_rows, record_count, created_at, updated_at) VALUES `, 12, imports, func(i int) []any {
		k := i % len(statuses)
		t := at(i, imports)
		return []any{fmt.Sprintf("imp_%07d", i), 1 + i%2, "{}", statuses[k], "review", reached[k], fmt.Sprintf("file-%d.csv", i), 100, i % 7, 100, t, t}
	})
	if err != nil {
		return err
	}
	delStatus := func(i int) string {
		switch {
		case i%100 == 7:
			return "failed"
		case i%100 == 8:
			return "dead"
		case i%100 == 9:
			return "pending"
		}
		return "delivered"
	}
	body := []byte(`{"id":1}`)
	err = batch(`INSERT INTO relay_deliveries (id, uid, destination_id, source, import_slug, seq, records, status, reason, attempts, body, created_at, updated_at) VALUES `, 13, records, func(i int) []any {
		t := at(i, records)
		status := delStatus(i)
		reason := ""
		if status == "failed" || status == "dead" {
			reason = "HTTP 500 from the destination"
		}
		return []any{i + 1, fmt.Sprintf("d%08d", i), fmt.Sprintf("dest-%02d", i%dests), "import", fmt.Sprintf("imp_%07d", (i/100)%imports), i, 1, status, reason, 1, body, t, t}
	})
	if err != nil {
		return err
	}
	err = batch(`INSERT INTO relay_attempts (delivery_id, n, started_at, duration_ms, status_code, outcome) VALUES `, 6, records, func(i int) []any {
		return []any{i + 1, 1, at(i, records), 5 + i%40, 200, "delivered"}
	})
	if err != nil {
		return err
	}
	users := 500
	err = batch(`INSERT INTO marketplace_end_users (id, org_id, external_id, plan, created_at, last_login_at) VALUES `, 6, users, func(i int) []any {
		return []any{fmt.Sprintf("mu_%04d", i), "bench", fmt.Sprintf("user-%d", i), []string{"free", "pro"}[i%2], at(i, users), at(i, users)}
	})
	if err != nil {
		return err
	}
	installs := 1000
	return batch(`INSERT INTO marketplace_installs (id, end_user_id, listing_id, listing_name, name, status, created_at, updated_at) VALUES `, 8, installs, func(i int) []any {
		t := at(i, installs)
		return []any{fmt.Sprintf("inst_%05d", i), fmt.Sprintf("mu_%04d", i%users), []string{"crm", "sheets"}[i%2], []string{"CRM", "Sheets"}[i%2], "bench", "installed", t, t}
	})
}
