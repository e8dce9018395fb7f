package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"fusebox/app"
	"fusebox/backend/hooks"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// runBenchHooks times the same file staged three ways: without hooks,
// with a simple JavaScript row hook, and with a server callback to a
// loopback endpoint (batch 1000), each from upload to review-ready, and
// prints the ratios to the run without hooks. Targets: JS <= 2x,
// callback <= 3x. Then matching: the file is submitted through an
// importer with match_on, and a copy with every 10th row changed is
// re-imported with and without match_on; targets: matching adds <= 5s
// (the review's whole-import target), the first page of updated rows
// <= 300ms. Exit 3 when one is missed.
func runBenchHooks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench hooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.Int("rows", 1_000_000, "rows in the generated CSV (10 columns)")
	batch := fs.Int("batch", 1000, "rows per callback request")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the hooked imports to this file")
	match := fs.Bool("match", true, "time the re-import through match_on too")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *rows < 1 || *batch < 1 {
		fmt.Fprintln(stderr, "fusebox-bench: --rows and --batch must be at least 1")
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "fusebox-bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "fusebox-bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	missed, err := benchHooks(ctx, *rows, *batch, *match, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench:", err)
		return 1
	}
	if missed {
		return 3
	}
	return 0
}

const benchRowHook = `function (row) {
  if (row.company.length > 100) return {warnings: {company: "a long company name"}}
}`

func benchHooks(ctx context.Context, rows, batch int, match bool, stdout, stderr io.Writer) (bool, error) {
	tmp, err := os.MkdirTemp("", "fusebox-bench-hooks-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	line := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	csvPath := filepath.Join(tmp, "bench.csv")
	size, err := generateCSV(csvPath, rows)
	if err != nil {
		return false, fmt.Errorf("generate: %w", err)
	}

	// the host's endpoint: decodes the batch, answers "no findings"
	var calls atomic.Int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in hooks.CallbackRequest
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"rows":[]}`)
	}))
	defer host.Close()

	dataDir := filepath.Join(tmp, "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return false, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, app.Config{Version: version, DataDir: dataDir, Logger: log, Server: benchServer()})
	if err != nil {
		return false, err
	}
	defer a.Close()
	// the loopback endpoint is the bench's own: no network guard here
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	a.Importer.Callbacks = &hooks.Caller{Client: func(context.Context) (*http.Client, error) { return client, nil },
		Sign: func(string, string, time.Time, []byte) (string, error) { return "", nil }, Secret: os.LookupEnv}

	base := benchImporter()
	js := benchImporter()
	js.Slug, js.Name, js.Hooks = "bench_js", "Benchmark (JS hook)", &schema.Hooks{Row: benchRowHook}
	cb := benchImporter()
	cb.Slug, cb.Name, cb.Hooks = "bench_cb", "Benchmark (callback)", &schema.Hooks{Validate: &schema.Callback{URL: host.URL + "/validate", Batch: batch, Timeout: "30s"}}
	var lastSlug string       // the import the last stage made
	var lastCPU time.Duration // the CPU time the last stage used (this process, every goroutine)
	stage := func(def *schema.Importer) (time.Duration, importer.Summary, error) {
		if _, err := a.Importer.SaveImporter(ctx, def); err != nil {
			return 0, importer.Summary{}, err
		}
		imp, err := a.Importer.CreateImport(ctx, importer.Actor{Admin: true}, def.Slug)
		if err != nil {
			return 0, importer.Summary{}, err
		}
		lastSlug = imp.Slug
		f, err := os.Open(csvPath)
		if err != nil {
			return 0, importer.Summary{}, err
		}
		defer f.Close()
		settle()
		t0, c0 := time.Now(), processCPU()
		if _, err := a.Importer.Upload(ctx, imp.Slug, f, "bench.csv", size); err != nil {
			return 0, importer.Summary{}, err
		}
		mv, err := a.Importer.GetMapping(ctx, imp.Slug)
		if err != nil {
			return 0, importer.Summary{}, err
		}
		if err := a.Importer.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
			return 0, importer.Summary{}, err
		}
		if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
			return 0, importer.Summary{}, err
		}
		d := time.Since(t0)
		lastCPU = processCPU() - c0
		sum, err := a.Importer.Summary(ctx, imp.Slug)
		return d, sum, err
	}
	dBase, sBase, err := stage(base)
	if err != nil {
		return false, fmt.Errorf("without hooks: %w", err)
	}
	cBase := lastCPU
	line("without hooks            %.2fs  (%d rows, upload -> review-ready; reference; CPU %.2fs)", dBase.Seconds(), sBase.Rows, cBase.Seconds())
	dJS, sJS, err := stage(js)
	if err != nil {
		return false, fmt.Errorf("JS row hook: %w", err)
	}
	if sJS.Rows != sBase.Rows {
		return false, fmt.Errorf("JS row hook: %d rows staged, want %d", sJS.Rows, sBase.Rows)
	}
	cJS := lastCPU
	dCB, sCB, err := stage(cb)
	if err != nil {
		return false, fmt.Errorf("callback: %w", err)
	}
	cCB := lastCPU
	if sCB.Callback == nil || sCB.Callback.State != importer.CallbackOK || sCB.Callback.Checked != sBase.Rows {
		return false, fmt.Errorf("callback: state %+v, want ok with %d rows checked", sCB.Callback, sBase.Rows)
	}
	// the reference again: on a shared machine the load drifts over the
	// run, so the ratios are to the mean of a run before and one after
	dBase2, _, err := stage(base)
	if err != nil {
		return false, fmt.Errorf("without hooks: %w", err)
	}
	ref := (dBase + dBase2) / 2
	line("without hooks, again     %.2fs  (reference: the mean of both, %.2fs)", dBase2.Seconds(), ref.Seconds())
	rJS := dJS.Seconds() / ref.Seconds()
	line("JS row hook              %.2fs  %.2fx  target <= 2.0x: %s  (CPU %.2fs)", dJS.Seconds(), rJS, verdict(rJS <= 2), cJS.Seconds())
	rCB := dCB.Seconds() / ref.Seconds()
	line("callback, batch %-6d   %.2fs  %.2fx  target <= 3.0x: %s  (%d requests to a loopback endpoint, whose decoding runs in this process; CPU %.2fs)", batch, dCB.Seconds(), rCB, verdict(rCB <= 3), calls.Load(), cCB.Seconds())
	if !match {
		line("hooks rows=%d js_ratio=%.2f callback_ratio=%.2f", rows, rJS, rCB)
		return rJS > 2 || rCB > 3, nil
	}

	// update instead of duplicate: the file is submitted once through an
	// importer with match_on (every earlier record in the index), then a
	// copy with every 10th row changed is staged through it and through
	// the importer without match_on
	mt := benchImporter()
	mt.Slug, mt.Name, mt.MatchOn = "bench_match", "Benchmark (match_on email)", []string{"email"}
	dFirst, _, err := stage(mt)
	if err != nil {
		return false, fmt.Errorf("match_on, first import: %w", err)
	}
	firstSlug := lastSlug
	t0 := time.Now()
	if _, err := a.Importer.Submit(ctx, firstSlug); err != nil {
		return false, fmt.Errorf("match_on, submit: %w", err)
	}
	dSubmit := time.Since(t0)
	indexed, err := a.Importer.Summary(ctx, firstSlug)
	if err != nil {
		return false, err
	}
	line("match_on email, first import %.2fs  %.2fx; its submit %.2fs (%d records into the match index)",
		dFirst.Seconds(), dFirst.Seconds()/ref.Seconds(), dSubmit.Seconds(), indexed.Rows-indexed.ErrorRows)
	changedPath := filepath.Join(tmp, "changed.csv")
	changedRows, err := changeEveryTenth(csvPath, changedPath)
	if err != nil {
		return false, err
	}
	csvPath = changedPath
	if fi, err := os.Stat(csvPath); err == nil {
		size = fi.Size()
	}
	dNoMatch, _, err := stage(base)
	if err != nil {
		return false, fmt.Errorf("re-import without match_on: %w", err)
	}
	cNoMatch := lastCPU
	dMatch, sMatch, err := stage(mt)
	if err != nil {
		return false, fmt.Errorf("re-import with match_on: %w", err)
	}
	cMatch := lastCPU
	if sMatch.Matches == nil || sMatch.Matches[importer.MatchUpdate] == 0 || sMatch.Matches[importer.MatchUnchanged] == 0 {
		return false, fmt.Errorf("re-import with match_on: matches %v, want updates and unchanged rows", sMatch.Matches)
	}
	matchSlug := lastSlug
	t0 = time.Now()
	page, err := a.Importer.Rows(ctx, matchSlug, importer.RowQuery{Filter: importer.MatchUpdate, Limit: 100})
	dPage := time.Since(t0)
	if err != nil || len(page.Rows) == 0 {
		return false, fmt.Errorf("re-import with match_on: first page of updated rows: %v (%d rows)", err, len(page.Rows))
	}
	dNoMatch2, _, err := stage(base)
	if err != nil {
		return false, fmt.Errorf("re-import without match_on: %w", err)
	}
	cNoMatch = (cNoMatch + lastCPU) / 2
	noMatch := (dNoMatch + dNoMatch2) / 2
	extra := dMatch - noMatch
	rMatch := dMatch.Seconds() / noMatch.Seconds()
	line("re-import without match_on %.2fs and %.2fs, before and after  (%d rows, %d of them changed; reference: the mean)",
		dNoMatch.Seconds(), dNoMatch2.Seconds(), sMatch.Rows, changedRows)
	line("re-import with match_on    %.2fs  %.2fx; matching added %.2fs  target <= 5s (find & replace over all rows): %s  (new %d, update %d, unchanged %d)",
		dMatch.Seconds(), rMatch, extra.Seconds(), verdict(extra <= 5*time.Second),
		sMatch.Matches[importer.MatchNew], sMatch.Matches[importer.MatchUpdate], sMatch.Matches[importer.MatchUnchanged])
	line("CPU time: re-import with match_on %.2fs, without %.2fs (the mean); matching added %.2fs of CPU (not a target: the wall figure counts the waits for a core on a loaded machine)",
		cMatch.Seconds(), cNoMatch.Seconds(), (cMatch - cNoMatch).Seconds())
	line("first page of updated rows %.1fms  target <= 300ms (first page of errors-only): %s", float64(dPage.Microseconds())/1000, verdict(dPage <= 300*time.Millisecond))
	line("hooks rows=%d js_ratio=%.2f callback_ratio=%.2f match_ratio=%.2f match_extra_s=%.2f", rows, rJS, rCB, rMatch, extra.Seconds())
	return rJS > 2 || rCB > 3 || extra > 5*time.Second || dPage > 300*time.Millisecond, nil
}

// changeEveryTenth copies the bench CSV with the company of every 10th
// data row changed, and returns how many rows it changed.
func changeEveryTenth(from, to string) (int, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, changed := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if n > 0 && n%10 == 0 {
			line = strings.Replace(line, ",Company ", ",Firm ", 1)
			changed++
		}
		n++
		w.WriteString(line)
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return 0, err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return 0, err
	}
	return changed, out.Close()
}
