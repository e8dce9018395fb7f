package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"fusebox/app"
	"fusebox/backend/relay"
	"fusebox/backend/schema"
	"fusebox/backend/sessions"
)

// runBenchTeam is `fusebox-bench team`: sessions issued/s over loopback
// HTTP, relay records/s (batch 1000) and a CSV staged, on one replica on
// SQLite, one replica on PostgreSQL and two replicas sharing one
// PostgreSQL database, side by side with ratios to the SQLite column.
func runBenchTeam(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench team", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", os.Getenv("FUSEBOX_BENCH_DATABASE_URL"), "a PostgreSQL server's URL (default $FUSEBOX_BENCH_DATABASE_URL); each setup gets a database of its own on it, dropped at the end")
	clients := fs.Int("clients", 16, "concurrent HTTP clients issuing sessions")
	duration := fs.Duration("duration", 3*time.Second, "how long the sessions figure is measured")
	records := fs.Int("records", 100000, "records delivered by the relay (batch 1000)")
	rows := fs.Int("rows", 1000000, "rows of the CSV staged (upload, mapping, validation, staging)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *database == "" {
		fmt.Fprintln(stderr, "fusebox-bench team: --database (or FUSEBOX_BENCH_DATABASE_URL) is required: a PostgreSQL server to create the benchmark's databases on (scripts/bench.sh starts one)")
		return 2
	}
	if *clients < 1 || *duration < 100*time.Millisecond || *records < 1000 || *rows < 1 {
		fmt.Fprintln(stderr, "fusebox-bench team: --clients must be at least 1, --duration at least 100ms, --records at least 1000, --rows at least 1")
		return 2
	}
	if err := benchTeam(ctx, *database, *clients, *duration, *records, *rows, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "fusebox-bench team:", err)
		return 1
	}
	return 0
}

// teamSetup is one column of the table.
type teamSetup struct {
	name     string
	postgres bool
	replicas int
}

// teamFigures are one setup's figures.
type teamFigures struct {
	sessions float64 // issued/s
	records  float64 // delivered/s
	staged   float64 // rows/s
	stageDur time.Duration
}

func benchTeam(ctx context.Context, adminURL string, clients int, d time.Duration, records, rows int, stdout, stderr io.Writer) error {
	work, err := os.MkdirTemp("", "fusebox-bench-team-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	csvPath := filepath.Join(work, "stage.csv")
	if _, err := writeRelayBenchCSV(csvPath, rows); err != nil {
		return err
	}
	setups := []teamSetup{{"1 replica, SQLite", false, 1}, {"1 replica, PostgreSQL", true, 1}, {"2 replicas, PostgreSQL", true, 2}}
	var figs []teamFigures
	for i, s := range setups {
		fmt.Fprintf(stderr, "team: %s\n", s.name)
		f, err := benchTeamSetup(ctx, adminURL, filepath.Join(work, strconv.Itoa(i)), s, clients, d, records, csvPath, rows, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		figs = append(figs, f)
	}
	fmt.Fprintf(stdout, "team: the same work on one replica on SQLite, one on PostgreSQL and two sharing one PostgreSQL database (%d HTTP clients for %v; %d relay records; %d rows staged)\n", clients, d, records, rows)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "figure\t")
	for _, s := range setups {
		fmt.Fprintf(tw, "%s\t", s.name)
	}
	fmt.Fprint(tw, "PG 1 / SQLite\tPG 2 / SQLite\tPG 2 / PG 1\t\n")
	line := func(name string, get func(teamFigures) float64) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, f := range figs {
			fmt.Fprintf(tw, "%.0f\t", get(f))
		}
		s, p1, p2 := get(figs[0]), get(figs[1]), get(figs[2])
		fmt.Fprintf(tw, "%.2f\t%.2f\t%.2f\t\n", p1/s, p2/s, p2/p1)
	}
	line("sessions issued/s", func(f teamFigures) float64 { return f.sessions })
	line("relay records/s, batch 1000", func(f teamFigures) float64 { return f.records })
	line("rows staged/s", func(f teamFigures) float64 { return f.staged })
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stage of %d rows: %v (SQLite), %v (PostgreSQL), %v (two imports at once, one per replica, on PostgreSQL)\n", rows,
		figs[0].stageDur.Round(time.Millisecond), figs[1].stageDur.Round(time.Millisecond), figs[2].stageDur.Round(time.Millisecond))
	return nil
}

// benchTeamSetup starts the setup's replicas in process (each its own
// data dir, all one key dir, as a team's replicas share their keys) and
// measures its figures.
func benchTeamSetup(ctx context.Context, adminURL, dir string, s teamSetup, clients int, d time.Duration, records int, csvPath string, rows int, stderr io.Writer) (teamFigures, error) {
	var f teamFigures
	dbURL := ""
	if s.postgres {
		u, drop, err := createBenchDatabase(ctx, adminURL)
		if err != nil {
			return f, err
		}
		defer drop()
		dbURL = u
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var apps []*app.App
	defer func() {
		for _, a := range apps {
			a.Close()
		}
	}()
	keys := filepath.Join(dir, "keys")
	for i := range s.replicas {
		rd := filepath.Join(dir, "replica"+strconv.Itoa(i))
		if err := os.MkdirAll(rd, 0o700); err != nil {
			return f, err
		}
		a, err := app.New(ctx, app.Config{Version: version, DataDir: rd, DatabaseURL: dbURL, Keys: app.KeyConfig{Dir: keys}, Logger: log, Server: benchServer()})
		if err != nil {
			return f, err
		}
		apps = append(apps, a)
	}
	a0 := apps[0]
	if _, err := a0.Importer.SaveImporter(ctx, &schema.Importer{Slug: "relaybench", Name: "Bench", Settings: schema.Settings{InvalidRows: schema.InvalidRowsExclude, MaxFileSize: "2GB"},
		Columns: []schema.Column{
			{Key: "email", Label: "Email", Type: schema.TypeEmail},
			{Key: "first_name", Label: "First name", Type: schema.TypeString},
			{Key: "last_name", Label: "Last name", Type: schema.TypeString},
			{Key: "company", Label: "Company", Type: schema.TypeString},
			{Key: "seats", Label: "Seats", Type: schema.TypeInteger},
		}}); err != nil {
		return f, err
	}

	// Sessions issued over loopback HTTP, the clients spread over the
	// replicas in turn.
	key, err := a0.Sessions.CreateKey(ctx, sessions.NewKey{Name: "bench", Kind: sessions.KindSecret})
	if err != nil {
		return f, err
	}
	var bases []string
	for _, a := range apps {
		base, stop, err := benchListen(a.Handler())
		if err != nil {
			return f, err
		}
		defer stop()
		bases = append(bases, base)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, IdleConnTimeout: time.Minute}}
	issue := func(w int, i int64) error {
		body := `{"importer_slug":"relaybench","metadata":{"user_id":"u` + strconv.Itoa(w) + "-" + strconv.FormatInt(i, 10) + `"}}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, bases[w%len(bases)]+"/api/v1/importer/sessions", bytes.NewBufferString(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("issue a session: HTTP %d: %s", res.StatusCode, b)
		}
		return nil
	}
	if _, err := hammer(ctx, clients, d/10, func(w int, i int64) error { return issue(w, -i-1) }); err != nil {
		return f, fmt.Errorf("warm up: %w", err)
	}
	fig, err := hammer(ctx, clients, d, issue)
	if err != nil {
		return f, err
	}
	f.sessions = fig.rate()

	// Relay: records enqueued at once, delivered in arrays of 1000 by a
	// worker on every replica.
	recv := &benchReceiver{}
	rbase, stopRecv, err := benchListen(recv)
	if err != nil {
		return f, err
	}
	defer stopRecv()
	if _, err := a0.Relay.CreateDestination(ctx, relay.Destination{ID: "team-batch-1000", Importer: "relaybench", URL: rbase + "/batch", Batch: 1000}); err != nil {
		return f, err
	}
	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Relay.NewWorker(relay.WorkerOptions{}).Run(wctx)
		}()
	}
	defer func() { stopWorkers(); wg.Wait() }()
	recs := make([][]byte, records)
	for i := range recs {
		recs[i] = []byte(`{"contact":{"email":"p` + strconv.Itoa(i) + `@example.com"},"seats":1}`)
	}
	start := time.Now()
	if _, err := a0.Relay.EnqueueRecords(ctx, "team-batch-1000", recs, relay.EnqueueOptions{}); err != nil {
		return f, err
	}
	deadline := start.Add(10 * time.Minute)
	for recv.records.Load() < int64(records) {
		if time.Now().After(deadline) || recv.bad.Load() > 0 {
			return f, fmt.Errorf("relay: %d of %d records arrived (%d malformed bodies)", recv.records.Load(), records, recv.bad.Load())
		}
		time.Sleep(2 * time.Millisecond)
	}
	f.records = float64(records) / time.Since(start).Seconds()
	stopWorkers()
	wg.Wait()

	// Staging: one CSV through upload, mapping, validation and staging on
	// each replica, the replicas at once.
	start = time.Now()
	errs := make([]error, len(apps))
	var sw sync.WaitGroup
	for i, a := range apps {
		sw.Add(1)
		go func() {
			defer sw.Done()
			_, errs[i] = stageBenchImport(ctx, a.Importer, csvPath)
		}()
	}
	sw.Wait()
	if err := errors.Join(errs...); err != nil {
		return f, fmt.Errorf("stage: %w", err)
	}
	f.stageDur = time.Since(start)
	f.staged = float64(rows*len(apps)) / f.stageDur.Seconds()
	return f, nil
}

// createBenchDatabase creates an empty database on the server of
// adminURL and returns its URL and a function that drops it.
func createBenchDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", redactURL(adminURL), err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "fusebox_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

// redactURL leaves the password out of a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the database URL"
	}
	return u.Redacted()
}
