package main

import (
	"archive/zip"
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fusebox/app"
	"fusebox/backend/importer"
	"fusebox/backend/ingest"
)

// childEnv makes the bench binary (or its test binary) run one measured
// step in a child process, so that each step's peak RSS is its own.
const childEnv = "FUSEBOX_BENCH_CHILD"

// runChildIfAsked runs the child step named by childEnv and reports
// whether it did (the caller then exits with code).
func runChildIfAsked() (code int, ran bool) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return 0, false
	}
	mode, file, _ := strings.Cut(spec, ":")
	// FUSEBOX_BENCH_CHILD_PROFILE=path writes the step's CPU profile
	stop, err := startCPUProfile(os.Getenv("FUSEBOX_BENCH_CHILD_PROFILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fusebox-bench child:", err)
		return 1, true
	}
	defer stop()
	var rows int
	var detail string
	switch mode {
	case "parse":
		rows, err = childParse(file)
	case "import":
		rows, detail, err = childImport(file)
	default:
		err = fmt.Errorf("unknown child step %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fusebox-bench child:", err)
		return 1, true
	}
	fmt.Println(rows, detail)
	return 0, true
}

// childParse reads every row of file with the ingest reader.
func childParse(file string) (int, error) {
	rd, err := ingest.OpenFile(file, "", ingest.Options{})
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	n := 0
	for {
		if _, err := rd.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

// childImport runs the importer's job on file as the embed does: upload
// (copy + hash + detection), mapping suggestions, parse + validate + stage.
func childImport(file string) (int, string, error) {
	ctx := context.Background()
	dataDir, err := os.MkdirTemp(filepath.Dir(file), "data-")
	if err != nil {
		return 0, "", err
	}
	defer os.RemoveAll(dataDir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, app.Config{Version: version, DataDir: dataDir, Logger: log, Server: benchServer()})
	if err != nil {
		return 0, "", err
	}
	defer a.Close()
	svc := a.Importer
	if _, err := svc.SaveImporter(ctx, benchImporter()); err != nil {
		return 0, "", err
	}
	imp, err := svc.CreateImport(ctx, importer.Actor{Admin: true}, "bench")
	if err != nil {
		return 0, "", err
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, "", err
	}
	st, _ := f.Stat()
	start := time.Now()
	_, err = svc.Upload(ctx, imp.Slug, f, filepath.Base(file), st.Size())
	f.Close()
	if err != nil {
		return 0, "", fmt.Errorf("upload: %w", err)
	}
	mv, err := svc.GetMapping(ctx, imp.Slug)
	if err != nil {
		return 0, "", err
	}
	if err := svc.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		return 0, "", err
	}
	if err := svc.Stage(ctx, imp.Slug); err != nil {
		return 0, "", fmt.Errorf("stage: %w", err)
	}
	// the job's own time, upload to review-ready, without the process's
	// start and exit (stderr: the stdout line is compared between runs)
	fmt.Fprintf(os.Stderr, "job_ms=%.1f\n", float64(time.Since(start).Microseconds())/1000)
	sum, err := svc.Summary(ctx, imp.Slug)
	if err != nil {
		return 0, "", err
	}
	return int(sum.Rows), fmt.Sprintf("errors=%d", sum.ErrorRows), nil
}

// stepResult is one measured child process.
type stepResult struct {
	dur   time.Duration
	cpu   time.Duration // user + system
	rssMB int64
	out   string
	job   time.Duration // an import child's job_ms (upload to review-ready), 0 if none
}

// runStep runs cmd and measures its wall time and peak RSS.
func runStep(cmd *exec.Cmd) (stepResult, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	res := stepResult{dur: time.Since(t0), out: strings.TrimSpace(string(out))}
	if cmd.ProcessState != nil {
		res.cpu, res.rssMB = childUsage(cmd.ProcessState)
	}
	if err != nil {
		return res, fmt.Errorf("%v: %s", err, lastLine(stderr.String()))
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "job_ms="); ok {
			if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				res.job = time.Duration(ms * float64(time.Millisecond))
			}
		}
	}
	return res, nil
}

func childCmd(ctx context.Context, mode, file string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), childEnv+"="+mode+":"+file)
	return cmd, nil
}

// runBenchXLSX is `fusebox-bench xlsx --rows N`: the same generated data as
// XLSX and as CSV, imported by Fusebox (each in its own process, for its
// peak RSS), and the XLSX parsed by Fusebox and by SheetJS under node.
func runBenchXLSX(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench xlsx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.Int("rows", 1_000_000, "rows in the generated workbook (11 columns)")
	keep := fs.Bool("keep", false, "keep the temporary directory")
	sheetjs := fs.Bool("sheetjs", true, "also time SheetJS (npm xlsx 0.18.5) under node (installs it into the user cache when missing)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *rows < 1 {
		fmt.Fprintln(stderr, "fusebox-bench: --rows must be at least 1")
		return 2
	}
	missed, err := benchXLSX(ctx, *rows, *keep, *sheetjs, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox-bench:", err)
		return 1
	}
	if missed {
		return 3
	}
	return 0
}

func benchXLSX(ctx context.Context, rows int, keep, sheetjs bool, stdout, stderr io.Writer) (missed bool, err error) {
	tmp, err := os.MkdirTemp("", "fusebox-bench-xlsx-")
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
	check := func(ok bool) string {
		if !ok {
			missed = true
		}
		return verdict(ok)
	}

	xlsxPath, csvPath := filepath.Join(tmp, "bench.xlsx"), filepath.Join(tmp, "bench.csv")
	t0 := time.Now()
	xsize, csize, err := generateXLSX(xlsxPath, csvPath, rows)
	if err != nil {
		return false, fmt.Errorf("generate: %w", err)
	}
	line("generate            %s  (%d rows x 11 columns: shared and inline strings, numbers, dates with a date style, booleans, empty cells, a second sheet; XLSX %.1f MB, the same data as CSV %.1f MB)",
		secs(time.Since(t0)), rows, float64(xsize)/1e6, float64(csize)/1e6)

	csvImp, err := runChildStep(ctx, "import", csvPath, rows)
	if err != nil {
		return false, err
	}
	line("import CSV          %s  CPU %s  peak RSS %d MB  (reference: upload + suggestions + parse+validate+stage, own process)", secs(csvImp.dur), secs(csvImp.cpu), csvImp.rssMB)
	xImp, err := runChildStep(ctx, "import", xlsxPath, rows)
	if err != nil {
		return false, err
	}
	if xImp.out != csvImp.out {
		return false, fmt.Errorf("the XLSX staged as %q, the CSV as %q", xImp.out, csvImp.out)
	}
	ratio := xImp.dur.Seconds() / csvImp.dur.Seconds()
	line("import XLSX         %s  CPU %s  peak RSS %d MB  (%.2fx CSV, target <= 2x: %s; CPU time %.2fx CSV; RSS target <= 200 MB: %s)", secs(xImp.dur), secs(xImp.cpu), xImp.rssMB, ratio, check(ratio <= 2),
		xImp.cpu.Seconds()/csvImp.cpu.Seconds(), check(xImp.rssMB <= 200))
	xParse, err := runChildStep(ctx, "parse", xlsxPath, rows)
	if err != nil {
		return false, err
	}
	line("parse XLSX (Fusebox) %s  CPU %s  peak RSS %d MB  (%.0f rows/s)", secs(xParse.dur), secs(xParse.cpu), xParse.rssMB, float64(rows)/xParse.dur.Seconds())
	sheetRatio, sheetRows := "n/a", rows
	if sheetjs {
		// SheetJS holds the whole workbook in memory, and past a few
		// hundred thousand rows it runs for many minutes: it gets a budget,
		// and when it runs out the ratio is at least the budget over
		// Fusebox's time. Then both parse a workbook of the same kind at
		// the size of the earlier SheetJS figures, for an exact ratio.
		budget := max(sheetJSMinBudget, 30*xParse.dur)
		res, why, over := sheetJSParse(ctx, xlsxPath, tmp, budget)
		if over {
			r := budget.Seconds() / xParse.dur.Seconds()
			sheetRatio = fmt.Sprintf(">%.2f", r)
			line("parse XLSX (SheetJS) did not finish in %s  (npm xlsx 0.18.5 under node, XLSX.readFile, %d rows; stopped: Fusebox is more than %.1fx faster, target >= 3x: %s)", secs(budget), rows, r, check(r >= 3))
			if rows > sheetJSSmallRows {
				small := filepath.Join(tmp, "small.xlsx")
				if _, _, err := generateXLSX(small, filepath.Join(tmp, "small.csv"), sheetJSSmallRows); err != nil {
					return false, fmt.Errorf("generate: %w", err)
				}
				fuse, err := runChildStep(ctx, "parse", small, sheetJSSmallRows)
				if err != nil {
					return false, err
				}
				line("parse XLSX (Fusebox) %s  CPU %s  peak RSS %d MB  (the same kind of workbook at %d rows, for SheetJS)", secs(fuse.dur), secs(fuse.cpu), fuse.rssMB, sheetJSSmallRows)
				if res, why, over = sheetJSParse(ctx, small, tmp, max(sheetJSMinBudget, 30*fuse.dur)); why == "" && !over {
					r := res.dur.Seconds() / fuse.dur.Seconds()
					line("parse XLSX (SheetJS) %s  CPU %s  peak RSS %d MB  (%d rows; Fusebox is %.2fx faster, target >= 3x: %s)", secs(res.dur), secs(res.cpu), res.rssMB, sheetJSSmallRows, r, check(r >= 3))
					sheetRows, sheetRatio = sheetJSSmallRows, fmt.Sprintf("%.2f", r)
				} else {
					line("parse XLSX (SheetJS) at %d rows: %s", sheetJSSmallRows, cmp.Or(why, "did not finish either"))
				}
			}
		} else if why != "" {
			line("parse XLSX (SheetJS) skipped: %s", why)
		} else {
			r := res.dur.Seconds() / xParse.dur.Seconds()
			sheetRatio = fmt.Sprintf("%.2f", r)
			line("parse XLSX (SheetJS) %s  CPU %s  peak RSS %d MB  (npm xlsx 0.18.5 under node, XLSX.readFile; Fusebox is %.2fx faster, target >= 3x: %s)", secs(res.dur), secs(res.cpu), res.rssMB, r, check(r >= 3))
		}
	} else {
		line("parse XLSX (SheetJS) skipped: --sheetjs=false")
	}
	line("xlsx rows=%d import_ratio_vs_csv=%.2f sheetjs_over_fusebox=%s sheetjs_rows=%d xlsx_import_peak_rss_mb=%d", rows, ratio, sheetRatio, sheetRows, xImp.rssMB)
	return missed, nil
}

// SheetJS's time budget is 30x Fusebox's parse of the same workbook, at
// least sheetJSMinBudget; past it, SheetJS parses sheetJSSmallRows rows
// (the size of the earlier SheetJS figures) beside Fusebox.
const (
	sheetJSMinBudget = time.Minute
	sheetJSSmallRows = 200_000
)

// runChildStep runs a child (import or parse of file, its own process)
// and checks it read rows rows.
func runChildStep(ctx context.Context, mode, file string, rows int) (stepResult, error) {
	cmd, err := childCmd(ctx, mode, file)
	if err != nil {
		return stepResult{}, err
	}
	settle()
	res, err := runStep(cmd)
	if err != nil {
		return res, fmt.Errorf("%s %s: %w", mode, filepath.Base(file), err)
	}
	if n, _, _ := strings.Cut(res.out, " "); n != strconv.Itoa(rows+1) && n != strconv.Itoa(rows) {
		return res, fmt.Errorf("%s %s: %s rows, want %d", mode, filepath.Base(file), res.out, rows)
	}
	return res, nil
}

// sheetJSParse times XLSX.readFile under node; why says why it was
// skipped, over that it was stopped at the budget.
func sheetJSParse(ctx context.Context, xlsxPath, tmp string, budget time.Duration) (res stepResult, why string, over bool) {
	node, err := exec.LookPath("node")
	if err != nil {
		return stepResult{}, "node is not installed", false
	}
	dir, err := findNodePackage(ctx, "xlsx", "xlsx@0.18.5")
	if err != nil {
		return stepResult{}, err.Error(), false
	}
	script := filepath.Join(tmp, "sheetjs.js")
	js := `const XLSX = require(process.argv[2]);
const wb = XLSX.readFile(process.argv[3]);
const ws = wb.Sheets[wb.SheetNames[0]];
console.log(XLSX.utils.decode_range(ws['!ref']).e.r + 1);`
	if err := os.WriteFile(script, []byte(js), 0o600); err != nil {
		return stepResult{}, err.Error(), false
	}
	return timedRun(ctx, budget, node, "--max-old-space-size=8192", script, dir, xlsxPath)
}

// timedRun runs a command (its own process, timed) and stops it at the
// budget: over says it was stopped, why why it failed otherwise.
func timedRun(ctx context.Context, budget time.Duration, name string, args ...string) (res stepResult, why string, over bool) {
	run, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	cmd := exec.CommandContext(run, name, args...)
	settle()
	res, err := runStep(cmd)
	if err != nil {
		if run.Err() != nil && ctx.Err() == nil {
			return res, "", true
		}
		return res, filepath.Base(name) + " failed: " + err.Error(), false
	}
	return res, "", false
}

// findNodePackage looks for an npm package in frontend/node_modules, then
// in the user cache, installing spec there with npm when missing.
func findNodePackage(ctx context.Context, name, spec string) (string, error) {
	if d := filepath.Join("frontend/node_modules", name); fileExists(filepath.Join(d, "package.json")) {
		return filepath.Abs(d)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache dir for %s: %v", name, err)
	}
	prefix := filepath.Join(cache, "fusebox-bench")
	dir := filepath.Join(prefix, "node_modules", name)
	if fileExists(filepath.Join(dir, "package.json")) {
		return dir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("%s is not installed and npm is missing", name)
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", prefix, spec)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install %s failed: %v: %s", spec, err, lastLine(string(out)))
	}
	return dir, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// generateXLSX writes rows of the ingest benchmark's data as a workbook
// (xlsxPath) and as CSV (csvPath) holding the values the workbook reads
// as. Names, companies and plans are shared strings, email/phone/website
// inline strings, seats and score numbers, the signup date a serial with
// a date style, active a boolean; every 10th phone is an empty cell (a
// column gap); a second sheet holds notes.
func generateXLSX(xlsxPath, csvPath string, n int) (xsize, csize int64, err error) {
	xf, err := os.Create(xlsxPath)
	if err != nil {
		return 0, 0, err
	}
	defer xf.Close()
	cf, err := os.Create(csvPath)
	if err != nil {
		return 0, 0, err
	}
	defer cf.Close()
	cw := bufio.NewWriterSize(cf, 1<<20)
	zw := zip.NewWriter(xf)
	add := func(name, body string) error {
		w, err := zw.Create(name)
		if err == nil {
			_, err = io.WriteString(w, body)
		}
		return err
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rns = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ` + ns + ` ` + rns + `><sheets><sheet name="Customers" sheetId="1" r:id="rId1"/><sheet name="Notes" sheetId="2" r:id="rId2"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet ` + ns + `><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`},
		{"xl/worksheets/sheet2.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ` + ns + `><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Generated for the benchmark</t></is></c></row></sheetData></worksheet>`},
	}
	for _, p := range parts {
		if err := add(p[0], p[1]); err != nil {
			return 0, 0, err
		}
	}
	// shared strings: header, names, plans, companies
	header := []string{"First Name", "Last Name", "Email", "Phone", "Company", "Plan", "Signup Date", "Seats", "Website", "Score", "Active"}
	var sst []string
	index := map[string]int{}
	intern := func(s string) int {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(sst)
		sst = append(sst, s)
		return len(sst) - 1
	}
	for _, h := range header {
		intern(h)
	}
	for _, s := range benchFirst {
		intern(s)
	}
	for _, s := range benchLast {
		intern(s)
	}
	for _, s := range benchPlans {
		intern(s)
	}
	for i := range 5000 {
		intern("Company " + strconv.Itoa(i))
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return 0, 0, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst %s count="%d" uniqueCount="%d">`, ns, len(sst), len(sst))
	for _, s := range sst {
		bw.WriteString("<si><t>")
		bw.WriteString(s)
		bw.WriteString("</t></si>")
	}
	bw.WriteString("</sst>")
	if err := bw.Flush(); err != nil {
		return 0, 0, err
	}

	w, err = zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return 0, 0, err
	}
	bw = bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ` + ns + `><dimension ref="A1:K` + strconv.Itoa(n+1) + `"/><sheetData><row r="1">`)
	cw.WriteString(strings.Join(header, ",") + "\n")
	for i, h := range header {
		fmt.Fprintf(bw, `<c r="%c1" t="s"><v>%d</v></c>`, 'A'+i, index[h])
	}
	bw.WriteString("</row>")
	rng := rand.New(rand.NewPCG(42, 7))
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	var b, c []byte
	for i := 1; i <= n; i++ {
		r := i + 1
		fn := benchFirst[rng.IntN(len(benchFirst))]
		ln := benchLast[rng.IntN(len(benchLast))]
		email := strings.ToLower(fn[:1]) + "." + strings.ToLower(ln[:3]) + strconv.Itoa(i) + "@example.com"
		plan := benchPlans[rng.IntN(len(benchPlans))]
		day := time.Date(2000+rng.IntN(24), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		serial := int(day.Sub(epoch).Hours() / 24)
		seats := 1 + rng.IntN(500)
		phone := fmt.Sprintf("555-%03d-%04d", rng.IntN(1000), rng.IntN(10000))
		company := "Company " + strconv.Itoa(i%5000)
		site := "co" + strconv.Itoa(i%5000) + ".example.com"
		score := fmt.Sprintf("%d.%02d", rng.IntN(1000), 1+rng.IntN(99))
		active := i%3 != 0
		rs := strconv.Itoa(r)
		b = b[:0]
		b = append(b, `<row r="`...)
		b = append(b, rs...)
		b = append(b, `">`...)
		sharedCell := func(col byte, v int) {
			b = append(b, `<c r="`...)
			b = append(b, col)
			b = append(b, rs...)
			b = append(b, `" t="s"><v>`...)
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, `</v></c>`...)
		}
		inlineCell := func(col byte, v string) {
			b = append(b, `<c r="`...)
			b = append(b, col)
			b = append(b, rs...)
			b = append(b, `" t="inlineStr"><is><t>`...)
			b = append(b, v...)
			b = append(b, `</t></is></c>`...)
		}
		numCell := func(col byte, style string, v string) {
			b = append(b, `<c r="`...)
			b = append(b, col)
			b = append(b, rs...)
			b = append(b, '"')
			b = append(b, style...)
			b = append(b, `><v>`...)
			b = append(b, v...)
			b = append(b, `</v></c>`...)
		}
		sharedCell('A', index[fn])
		sharedCell('B', index[ln])
		inlineCell('C', email)
		if i%10 != 0 {
			inlineCell('D', phone)
		}
		sharedCell('E', index[company])
		sharedCell('F', index[plan])
		numCell('G', ` s="1"`, strconv.Itoa(serial))
		numCell('H', "", strconv.Itoa(seats))
		inlineCell('I', site)
		numCell('J', ` s="2"`, score)
		boolV := "0"
		if active {
			boolV = "1"
		}
		numCell('K', ` t="b"`, boolV)
		b = append(b, `</row>`...)
		if _, err := bw.Write(b); err != nil {
			return 0, 0, err
		}
		if i%10 == 0 {
			phone = ""
		}
		c = c[:0]
		c = fmt.Appendf(c, "%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s\n", fn, ln, email, phone, company, plan, day.Format(time.DateOnly), seats, site,
			strings.TrimRight(strings.TrimRight(score, "0"), "."), map[bool]string{true: "TRUE", false: "FALSE"}[active])
		if _, err := cw.Write(c); err != nil {
			return 0, 0, err
		}
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	if err := cw.Flush(); err != nil {
		return 0, 0, err
	}
	xst, err := xf.Stat()
	if err != nil {
		return 0, 0, err
	}
	cst, err := cf.Stat()
	if err != nil {
		return 0, 0, err
	}
	return xst.Size(), cst.Size(), nil
}
