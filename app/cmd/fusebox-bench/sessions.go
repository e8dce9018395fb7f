package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"fusebox/app"
	"fusebox/backend/httpapi"
	"fusebox/backend/schema"
	"fusebox/backend/sessions"
)

// runBenchSessions is `fusebox-bench sessions`: importer sessions issued
// per second over loopback HTTP by concurrent clients, and session token
// verifications per second, each next to a bare loopback HTTP handler
// measured in the same run with the same clients.
func runBenchSessions(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench sessions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	duration := fs.Duration("duration", 3*time.Second, "how long each figure is measured")
	keep := fs.Bool("keep", false, "keep the temporary data dir")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *clients < 1 || *duration < 100*time.Millisecond {
		fmt.Fprintln(stderr, "fusebox-bench sessions: --clients must be at least 1 and --duration at least 100ms")
		return 2
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench sessions:", err)
		return 1
	}
	defer stopProfile()
	if err := benchSessions(ctx, *clients, *duration, *keep, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "fusebox-bench sessions:", err)
		return 1
	}
	return 0
}

// SessionsTarget is the target: sessions issued per second on
// two cores.
const sessionsTarget = 3000

type benchFigure struct {
	name string
	ops  int64
	dur  time.Duration
	cpu  time.Duration // CPU time this process used meanwhile (clients and server)
}

func (f benchFigure) rate() float64 { return float64(f.ops) / f.dur.Seconds() }

// cpuPerOp is the process's CPU time per operation in microseconds: on a
// loaded machine it compares runs where ops/s also counts waits for a core.
func (f benchFigure) cpuPerOp() float64 {
	if f.ops == 0 {
		return 0
	}
	return float64(f.cpu.Microseconds()) / float64(f.ops)
}

// hammer runs fn from n goroutines for d and counts the calls; the first
// error stops it.
func hammer(ctx context.Context, n int, d time.Duration, fn func(worker int, i int64) error) (benchFigure, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ops atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPU()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); ctx.Err() == nil; i++ {
				if err := fn(w, i); err != nil {
					if ctx.Err() != nil {
						return
					}
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	return benchFigure{ops: ops.Load(), dur: time.Since(start), cpu: processCPU() - cpu0}, firstErr
}

func benchSessions(ctx context.Context, clients int, d time.Duration, keep bool, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "fusebox-bench-sessions-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(stderr, "data dir kept at", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(ctx, app.Config{Version: version, DataDir: dir, Logger: log, Server: benchServer()})
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Importer.SaveImporter(ctx, &schema.Importer{Slug: "bench", Name: "Bench", Columns: []schema.Column{
		{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true},
		{Key: "name", Label: "Name", Type: schema.TypeString},
	}}); err != nil {
		return err
	}
	key, err := a.Sessions.CreateKey(ctx, sessions.NewKey{Name: "bench", Kind: sessions.KindSecret})
	if err != nil {
		return err
	}
	base, stop, err := benchListen(a.Handler())
	if err != nil {
		return err
	}
	defer stop()
	refBase, stopRef, err := benchListen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	if err != nil {
		return err
	}
	defer stopRef()

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, IdleConnTimeout: time.Minute}}
	post := func(url, body, auth string, want int) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != want {
			return nil, fmt.Errorf("POST %s: HTTP %d: %s", url, res.StatusCode, b)
		}
		return b, nil
	}

	// Warm up connections and the signing key.
	if _, err := hammer(ctx, clients, d/10, func(int, int64) error { _, err := post(refBase+"/", "{}", "", 204); return err }); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	body := func(w int, i int64) string {
		return `{"importer_slug":"bench","metadata":{"user_id":"u` + strconv.Itoa(w) + "-" + strconv.FormatInt(i, 10) + `"}}`
	}
	if _, err := hammer(ctx, clients, d/10, func(w int, i int64) error {
		_, err := post(base+"/api/v1/importer/sessions", body(w, -i), key.Secret, 201)
		return err
	}); err != nil {
		return fmt.Errorf("warm up sessions: %w", err)
	}

	ref, err := hammer(ctx, clients, d, func(w int, i int64) error {
		_, err := post(refBase+"/", body(w, i), key.Secret, 204)
		return err
	})
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	ref.name = "reference: bare loopback HTTP handler (204), same request"

	var tokMu sync.Mutex
	var tokens []string
	issued, err := hammer(ctx, clients, d, func(w int, i int64) error {
		b, err := post(base+"/api/v1/importer/sessions", body(w, i), key.Secret, 201)
		if err != nil {
			return err
		}
		if i%8 == 0 {
			tok, _, _ := bytes.Cut(bytes.TrimPrefix(b[bytes.Index(b, []byte(`"token":"`)):], []byte(`"token":"`)), []byte(`"`))
			tokMu.Lock()
			if len(tokens) < 20000 {
				tokens = append(tokens, string(tok))
			}
			tokMu.Unlock()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("issue sessions: %w", err)
	}
	issued.name = "sessions issued: POST /api/v1/importer/sessions"
	if len(tokens) == 0 {
		return errors.New("no tokens were issued")
	}

	procs := runtime.GOMAXPROCS(0)
	verified, err := hammer(ctx, procs, d, func(w int, i int64) error {
		_, err := a.Sessions.Verify(ctx, tokens[(int(i)*procs+w)%len(tokens)])
		return err
	})
	if err != nil {
		return fmt.Errorf("verify tokens: %w", err)
	}
	verified.name = fmt.Sprintf("token verifications in process (%d goroutines, DB revocation check)", procs)

	get := func(url, auth string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+auth)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("GET %s: HTTP %d", url, res.StatusCode)
		}
		return nil
	}
	verifiedHTTP, err := hammer(ctx, clients, d, func(w int, i int64) error {
		return get(base+"/api/importer/importer", tokens[(int(i)*clients+w)%len(tokens)])
	})
	if err != nil {
		return fmt.Errorf("verify tokens over HTTP: %w", err)
	}
	verifiedHTTP.name = "token verifications over HTTP: GET /api/importer/importer"
	return benchReport(stdout, clients, procs, d, ref, issued, verified, verifiedHTTP)
}

// benchServer is the HTTP handler's configuration in the benchmarks: no
// admin token, and the per-client rate limits of the open routes lifted,
// as every benchmark client comes from the one loopback address.
func benchServer() app.ServerConfig {
	return app.ServerConfig{RateLimits: httpapi.RateLimits{
		OpenPerSecond: 1e9, OpenBurst: 1 << 30, RelayPerSecond: 1e9, RelayBurst: 1 << 30,
	}}
}

func benchListen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// benchReport prints the table: every figure with its rate and its ratio
// to the reference measured in the same run.
func benchReport(w io.Writer, clients, procs int, d time.Duration, ref benchFigure, figs ...benchFigure) error {
	fmt.Fprintf(w, "sessions benchmark: %d concurrent HTTP clients over loopback, %v per figure, GOMAXPROCS=%d\n", clients, d, procs)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\t%9s\t%9s\t%12s\t%12s\n", "ops", "ops/s", "vs reference", "CPU µs/op")
	for _, f := range append([]benchFigure{ref}, figs...) {
		fmt.Fprintf(tw, "%s\t%9d\t%9.0f\t%12.2f\t%12.1f\n", f.name, f.ops, f.rate(), f.rate()/ref.rate(), f.cpuPerOp())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	issued := figs[0].rate()
	fmt.Fprintf(w, "target >= %d sessions/s: %s (%.0f sessions/s, %.0f%% of the bare handler's requests/s)\n", sessionsTarget, verdict(issued >= sessionsTarget), issued, 100*issued/ref.rate())
	return nil
}
