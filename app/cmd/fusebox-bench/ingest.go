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
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"fusebox/app"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// startCPUProfile writes a CPU profile of the rest of the run to path
// (nothing when path is empty); call stop when the run ends.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// runBenchIngest is `fusebox-bench ingest --rows N`: the importer engine
// against `sqlite3 .import` of the same generated file, in process and
// through the HTTP handler on loopback (the embed's calls with an importer
// session token), one line per figure and a last summary line.
func runBenchIngest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.Int("rows", 1_000_000, "rows in the generated CSV (10 columns)")
	keep := fs.Bool("keep", false, "keep the temporary directory (file and database)")
	pages := fs.Int("pages", 50, "review pages sampled for the p50/p95 figures")
	papa := fs.Bool("papaparse", true, "also time Papa Parse under node (installs the npm package into the user cache when missing)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (not of the whole-job child processes) to this file")
	repeat := fs.Int("repeat", 5, "runs of the whole job (own process) each beside its own sqlite3 .import; the medians are compared")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *rows < 1 || *pages < 1 || *repeat < 1 {
		fmt.Fprintln(stderr, "fusebox-bench: --rows, --pages and --repeat must be at least 1")
		return 2
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench:", err)
		return 1
	}
	missed, err := benchIngest(ctx, *rows, *pages, *repeat, *keep, *papa, stdout, stderr)
	stopProfile()
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench:", err)
		return 1
	}
	if missed {
		return 3
	}
	return 0
}

// benchImporter is the importer the benchmark file is imported with.
func benchImporter() *schema.Importer {
	return &schema.Importer{Slug: "bench", Name: "Benchmark", Settings: schema.Settings{InvalidRows: schema.InvalidRowsExclude, MaxFileSize: "2GB"},
		Columns: []schema.Column{
			{Key: "first_name", Label: "First name", Type: schema.TypeString, Required: true},
			{Key: "last_name", Label: "Last name", Type: schema.TypeString},
			{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true, Unique: schema.UniqueCaseInsensitive,
				Transformations: []schema.Transformation{{Type: schema.TrLowercase}}},
			{Key: "phone", Label: "Phone", Type: schema.TypePhone},
			{Key: "company", Label: "Company", Type: schema.TypeString, Validations: []schema.Validation{{Type: schema.ValMaxLength, Value: "120"}}},
			{Key: "plan", Label: "Plan", Type: schema.TypeEnum, Values: []schema.EnumValue{{Value: "free"}, {Value: "pro"}, {Value: "enterprise"}}},
			{Key: "signup_date", Label: "Signup date", Type: schema.TypeDate, Pattern: "yyyy-MM-dd"},
			{Key: "seats", Label: "Seats", Type: schema.TypeInteger, Validations: []schema.Validation{{Type: schema.ValGreaterThan, Value: "0"}}},
			{Key: "website", Label: "Website", Type: schema.TypeURL, Transformations: []schema.Transformation{{Type: schema.TrPrefix}}},
			{Key: "score", Label: "Score", Type: schema.TypeFloat, Transformations: []schema.Transformation{{Type: schema.TrNumberOfDecimals, Value: "2"}}},
		}}
}

var (
	benchFirst = []string{"Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger", "José", "Zoë"}
	benchLast  = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra", "Müller"}
	benchPlans = []string{"free", "pro", "enterprise", "Pro", "FREE"}
)

// generateCSV writes n rows of 10 mixed columns with about 3% rows holding
// an invalid cell: an unknown plan (every 97th), an email without @ (137th),
// an impossible date (173rd), text seats (211th), a duplicate email (1009th).
func generateCSV(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(42, 7))
	w.WriteString("First Name,Last Name,Email,Phone,Company,Plan,Signup Date,Seats,Website,Score\n")
	var b []byte
	prevEmail := ""
	for i := 1; i <= n; i++ {
		fn := benchFirst[rng.IntN(len(benchFirst))]
		ln := benchLast[rng.IntN(len(benchLast))]
		email := strings.ToLower(fn[:1]) + "." + strings.ToLower(ln[:3]) + strconv.Itoa(i) + "@example.com"
		plan := benchPlans[rng.IntN(len(benchPlans))]
		date := fmt.Sprintf("20%02d-%02d-%02d", rng.IntN(24), 1+rng.IntN(12), 1+rng.IntN(28))
		seats := strconv.Itoa(1 + rng.IntN(500))
		switch {
		case i%97 == 0:
			plan = "Gold"
		case i%137 == 0:
			email = strings.Replace(email, "@", "-at-", 1)
		case i%173 == 0:
			date = "2023-02-30"
		case i%211 == 0:
			seats = "many"
		case i%1009 == 0:
			email = strings.ToUpper(prevEmail)
		}
		prevEmail = email
		b = b[:0]
		b = append(b, fn...)
		b = append(b, ',')
		b = append(b, ln...)
		b = append(b, ',')
		b = append(b, email...)
		b = fmt.Appendf(b, ",555-%03d-%04d,Company %d,", rng.IntN(1000), rng.IntN(10000), i%5000)
		b = append(b, plan...)
		b = append(b, ',')
		b = append(b, date...)
		b = append(b, ',')
		b = append(b, seats...)
		b = fmt.Appendf(b, ",co%d.example.com,%d.%02d\n", i%5000, rng.IntN(1000), rng.IntN(100))
		if _, err := w.Write(b); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

func benchIngest(ctx context.Context, rows, pages, repeat int, keep, papa bool, stdout, stderr io.Writer) (missed bool, err error) {
	tmp, err := os.MkdirTemp("", "fusebox-bench-")
	if err != nil {
		return false, err
	}
	if keep {
		fmt.Fprintln(stderr, "keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	line := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	secs := func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	verdict := func(ok bool) string {
		if !ok {
			missed = true
		}
		return verdict(ok)
	}

	csvPath := filepath.Join(tmp, "bench.csv")
	t0 := time.Now()
	size, err := generateCSV(csvPath, rows)
	if err != nil {
		return false, fmt.Errorf("generate: %w", err)
	}
	line("generate            %s  (%d rows x 10 columns, %.1f MB)", secs(time.Since(t0)), rows, float64(size)/1e6)

	// The whole job as the embed runs it (upload: copy + hash + detection
	// and preview; mapping suggestions; parse + validate + stage), each run
	// in its own process for its peak RSS, right after its own sqlite3
	// .import of the same file: the machine's load hits both alike.
	sqliteDur, sqliteCPU, whole, err := wholeJobRuns(ctx, csvPath, rows, repeat, line)
	if err != nil {
		return false, err
	}
	if sqliteDur > 0 {
		r := whole.dur.Seconds() / sqliteDur.Seconds()
		line("whole job, median   %s  CPU %s  peak RSS %d MB  (%.2fx sqlite3 .import, target <= 1.0x: %s; peak RSS target <= 150 MB: %s; CPU time %.2fx sqlite3's, for context)",
			secs(whole.dur), secs(whole.cpu), whole.rssMB, r, verdict(r <= 1.0), verdict(whole.rssMB <= 150), whole.cpu.Seconds()/sqliteCPU.Seconds())
	} else {
		line("whole job, median   %s  CPU %s  peak RSS %d MB  (no sqlite3 reference; peak RSS target <= 150 MB: %s)", secs(whole.dur), secs(whole.cpu), whole.rssMB, verdict(whole.rssMB <= 150))
	}

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
	svc := a.Importer
	if _, err := svc.SaveImporter(ctx, benchImporter()); err != nil {
		return false, err
	}
	ratioTo := func(d time.Duration) string {
		if sqliteDur <= 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", d.Seconds()/sqliteDur.Seconds())
	}

	// In process: the service calls the HTTP handlers make, one by one.
	imp, err := svc.CreateImport(ctx, importer.Actor{Admin: true}, "bench")
	if err != nil {
		return false, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return false, err
	}
	jobStart := time.Now()
	t0 = jobStart
	_, err = svc.Upload(ctx, imp.Slug, f, "bench.csv", size)
	f.Close()
	if err != nil {
		return false, fmt.Errorf("upload: %w", err)
	}
	line("upload (store copy) %s  (copy to uploads/ + SHA-256 + header detection and preview)", secs(time.Since(t0)))
	t0 = time.Now()
	mv, err := svc.GetMapping(ctx, imp.Slug)
	if err != nil {
		return false, err
	}
	line("mapping suggestions %s  (incl. enum value scan)", secs(time.Since(t0)))
	m := mv.Suggestions.Mapping()
	if err := svc.ConfirmMapping(ctx, imp.Slug, m); err != nil {
		return false, err
	}
	t0 = time.Now()
	if err := svc.Stage(ctx, imp.Slug); err != nil {
		return false, fmt.Errorf("stage: %w", err)
	}
	stageDur := time.Since(t0)
	wholeDur := time.Since(jobStart)
	sum, err := svc.Summary(ctx, imp.Slug)
	if err != nil {
		return false, err
	}
	ratio, stageVerdict := ratioTo(stageDur), "no reference"
	if sqliteDur > 0 {
		stageVerdict = verdict(stageDur <= 2*sqliteDur)
	}
	line("parse+validate+stage %s  (%d rows, %d with errors; %sx sqlite3, target <= 2x: %s)", secs(stageDur), sum.Rows, sum.ErrorRows, ratio, stageVerdict)
	line("whole job, in process %s  (upload -> review-ready: copy + hash + suggestions + stage; %sx sqlite3; this process, after the runs above)", secs(wholeDur), ratioTo(wholeDur))

	// Over HTTP: the same file through the real handler on loopback, with
	// an importer session token, as the embed sends it.
	base, stopHTTP, err := benchListen(a.Handler())
	if err != nil {
		return false, err
	}
	defer stopHTTP()
	h, err := newIngestHTTP(ctx, a, base)
	if err != nil {
		return false, err
	}
	hj, err := h.wholeJobHTTP(csvPath, size)
	if err != nil {
		return false, fmt.Errorf("over HTTP: %w", err)
	}
	if hj.rows != sum.Rows || hj.errorRows != sum.ErrorRows {
		return false, fmt.Errorf("over HTTP: staged %d rows, %d with errors; in process %d, %d", hj.rows, hj.errorRows, sum.Rows, sum.ErrorRows)
	}
	line("whole job, over HTTP %s  (PUT file %s + GET mapping %s + PUT mapping and staging %s; %sx sqlite3; in this process, after the runs above)",
		secs(hj.whole), secs(hj.upload), secs(hj.mapping), secs(hj.stage), ratioTo(hj.whole))

	// Review: pages at the same random offsets, in process (the first
	// import) and over HTTP (the second, with the session token).
	offsets := make([]int, pages)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range offsets {
		if rows > 100 {
			offsets[i] = rng.IntN(rows - 100)
		}
	}
	var lat, latHTTP []time.Duration
	for _, off := range offsets {
		t0 = time.Now()
		p, err := svc.Rows(ctx, imp.Slug, importer.RowQuery{Offset: off, Limit: 100})
		if err != nil {
			return false, err
		}
		lat = append(lat, time.Since(t0))
		if len(p.Rows) == 0 {
			return false, fmt.Errorf("review page at %d is empty", off)
		}
	}
	for _, off := range offsets {
		t0 = time.Now()
		n, _, err := h.rows(hj.slug, pageQuery(off, 100))
		if err != nil {
			return false, fmt.Errorf("review page over HTTP: %w", err)
		}
		latHTTP = append(latHTTP, time.Since(t0))
		if n == 0 {
			return false, fmt.Errorf("review page over HTTP at %d is empty", off)
		}
	}
	p50, p95 := percentiles(lat)
	line("review page 100     p50 %s  p95 %s  (in process; target p95 <= 50ms: %s)", ms(p50), ms(p95), verdict(p95 <= 50*time.Millisecond))
	h50, h95 := percentiles(latHTTP)
	line("review page 100, HTTP p50 %s  p95 %s  (GET .../rows?offset=&limit=100 with a session token; %d pages)", ms(h50), ms(h95), len(latHTTP))

	t0 = time.Now()
	ep, err := svc.Rows(ctx, imp.Slug, importer.RowQuery{Filter: "errors", Limit: 100})
	if err != nil {
		return false, err
	}
	errorsDur := time.Since(t0)
	line("errors-only page 1  %s  (in process; %d of %d rows; target <= 300ms: %s)", ms(errorsDur), len(ep.Rows), ep.Total, verdict(errorsDur <= 300*time.Millisecond))
	q := pageQuery(0, 100)
	q.Set("filter", "errors")
	t0 = time.Now()
	en, etotal, err := h.rows(hj.slug, q)
	if err != nil {
		return false, fmt.Errorf("errors-only page over HTTP: %w", err)
	}
	line("errors-only page 1, HTTP %s  (GET .../rows?filter=errors&limit=100; %d of %d rows)", ms(time.Since(t0)), en, etotal)

	t0 = time.Now()
	rr, err := svc.Replace(ctx, imp.Slug, importer.ReplaceInput{Column: "plan", Find: "Gold", Replace: "enterprise", WholeCell: true})
	if err != nil {
		return false, fmt.Errorf("replace: %w", err)
	}
	replaceDur := time.Since(t0)
	line("find & replace      %s  (all %d rows scanned, %d cells changed; target <= 5s: %s)", secs(replaceDur), sum.Rows, rr.Cells, verdict(replaceDur <= 5*time.Second))
	t0 = time.Now()
	ur, err := svc.Undo(ctx, imp.Slug)
	if err != nil {
		return false, fmt.Errorf("undo: %w", err)
	}
	undoDur := time.Since(t0)
	t0 = time.Now()
	if _, err := svc.Redo(ctx, imp.Slug); err != nil {
		return false, fmt.Errorf("redo: %w", err)
	}
	line("undo, redo          %s, %s  (the find & replace: %d cells; target <= 5s each: %s)", secs(undoDur), secs(time.Since(t0)), ur.Cells, verdict(max(undoDur, time.Since(t0)) <= 5*time.Second))

	t0 = time.Now()
	done, err := svc.Submit(ctx, imp.Slug)
	if err != nil {
		return false, fmt.Errorf("submit: %w", err)
	}
	submitDur := time.Since(t0)
	line("submit              %s  (%d records; %.2fx stage, target <= 1x: %s)", secs(submitDur), done.RecordCount, submitDur.Seconds()/stageDur.Seconds(), verdict(submitDur <= stageDur))

	if papa {
		line("papaparse (node)    %s", papaparse(ctx, csvPath, tmp))
	} else {
		line("papaparse (node)    skipped: --papaparse=false")
	}

	rss := peakRSSMB()
	line("ingest rows=%d ratio_vs_sqlite3=%s whole_job_ratio_vs_sqlite3=%s whole_job_peak_rss_mb=%d whole_job_http_ratio_vs_sqlite3=%s peak_rss_mb=%d",
		rows, ratio, ratioTo(whole.dur), whole.rssMB, ratioTo(hj.whole), rss)
	return missed, nil
}

// papaparse times Papa Parse (streaming, chunk callback) on the file under
// node, for context; it returns the figure or "skipped: <why>".
func papaparse(ctx context.Context, csvPath, tmp string) string {
	node, err := exec.LookPath("node")
	if err != nil {
		return "skipped: node is not installed"
	}
	dir, err := findPapaparse(ctx)
	if err != nil {
		return "skipped: " + err.Error()
	}
	script := filepath.Join(tmp, "papa.js")
	js := `const Papa = require(process.argv[2]); const fs = require('fs');
const t = Date.now(); let n = 0;
Papa.parse(fs.createReadStream(process.argv[3]), {chunk: r => { n += r.data.length }, complete: () => {
  console.log(JSON.stringify({rows: n, ms: Date.now() - t}));
}});`
	if err := os.WriteFile(script, []byte(js), 0o600); err != nil {
		return "skipped: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, script, dir, csvPath).Output()
	if err != nil {
		return "skipped: node failed: " + err.Error()
	}
	var res struct {
		Rows int   `json:"rows"`
		MS   int64 `json:"ms"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return "skipped: unexpected output " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%.2fs  (parse only, %d rows incl. header; for context)", float64(res.MS)/1000, res.Rows)
}

// findPapaparse looks for the papaparse package in frontend/node_modules,
// then in the user cache, installing it there with npm when missing.
func findPapaparse(ctx context.Context) (string, error) {
	for _, d := range []string{os.Getenv("FUSEBOX_PAPAPARSE_DIR"), "frontend/node_modules/papaparse"} {
		if d != "" {
			if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
				return filepath.Abs(d)
			}
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache dir for papaparse: %v", err)
	}
	prefix := filepath.Join(cache, "fusebox-bench")
	dir := filepath.Join(prefix, "node_modules", "papaparse")
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
		return dir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("papaparse is not installed and npm is missing")
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", prefix, "papaparse@5")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install papaparse failed: %v: %s", err, lastLine(string(out)))
	}
	return dir, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// percentiles returns the p50 and p95 of lat (sorted in place).
func percentiles(lat []time.Duration) (p50, p95 time.Duration) {
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*95/100)]
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB.
func peakRSSMB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb / 1024
			}
		}
	}
	return -1
}

// verdict is how a figure fares against its target: "met" or "NOT met"
// (scripts/bench.sh fails `make bench` on the latter).
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// wholeJobRuns runs sqlite3 .import of csvPath and then the whole import
// job in a child process, repeat times, printing each pair, and returns
// the median sqlite3 time and CPU time (0 without sqlite3) and the median
// job (by wall time; its CPU time and the largest peak RSS of the runs).
func wholeJobRuns(ctx context.Context, csvPath string, rows, repeat int, line func(string, ...any)) (time.Duration, time.Duration, stepResult, error) {
	secs := func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
	bin, lookErr := exec.LookPath("sqlite3")
	if lookErr != nil {
		line("sqlite3 .import     skipped: sqlite3 is not installed (apt-get install sqlite3)")
	}
	var refs, refCPU []time.Duration
	var jobs []stepResult
	var maxRSS int64
	for i := 1; i <= repeat; i++ {
		ref := time.Duration(0)
		if lookErr == nil {
			settle()
			res, err := runStep(exec.CommandContext(ctx, bin, ":memory:", ".mode csv", ".import "+csvPath+" t", "SELECT count(*) FROM t;"))
			if err != nil {
				return 0, 0, stepResult{}, fmt.Errorf("sqlite3: %w", err)
			}
			ref = res.dur
			refs = append(refs, ref)
			refCPU = append(refCPU, res.cpu)
			line("sqlite3 .import %d/%d %s  CPU %s  peak RSS %d MB  (reference, into :memory:; %s rows counted)", i, repeat, secs(res.dur), secs(res.cpu), res.rssMB, res.out)
		}
		cmd, err := childCmd(ctx, "import", csvPath)
		if err != nil {
			return 0, 0, stepResult{}, err
		}
		settle()
		res, err := runStep(cmd)
		if err != nil {
			return 0, 0, stepResult{}, fmt.Errorf("whole job: %w", err)
		}
		if n, _, _ := strings.Cut(res.out, " "); n != strconv.Itoa(rows) {
			return 0, 0, stepResult{}, fmt.Errorf("whole job: %s staged, want %d rows", res.out, rows)
		}
		if res.job <= 0 {
			return 0, 0, stepResult{}, fmt.Errorf("whole job: the child did not report its job time")
		}
		process := res.dur
		res.dur = res.job
		jobs = append(jobs, res)
		maxRSS = max(maxRSS, res.rssMB)
		ratio := "n/a"
		if ref > 0 {
			ratio = fmt.Sprintf("%.2fx", res.dur.Seconds()/ref.Seconds())
		}
		line("whole job %d/%d (own process) %s  CPU %s  peak RSS %d MB  (upload: copy + SHA-256 + preview, suggestions, parse+validate+stage, until review-ready; the process %s with its start and exit; %s; %s this run's sqlite3)",
			i, repeat, secs(res.dur), secs(res.cpu), res.rssMB, secs(process), res.out, ratio)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].dur < jobs[b].dur })
	med := jobs[len(jobs)/2]
	med.rssMB = maxRSS
	var ref, cpu time.Duration
	if len(refs) > 0 {
		sort.Slice(refs, func(a, b int) bool { return refs[a] < refs[b] })
		sort.Slice(refCPU, func(a, b int) bool { return refCPU[a] < refCPU[b] })
		ref, cpu = refs[len(refs)/2], refCPU[len(refCPU)/2]
	}
	return ref, cpu, med, nil
}
