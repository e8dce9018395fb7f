package datatest_test

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// Crash tests: `fusebox import` and `fusebox serve` killed with SIGKILL
// during the upload, the staging and the submit of a large import. After
// a restart every such import ends submitted with exactly its records, or
// failed with a reason; none stays in a running step, none is half
// written, and a retry works.
//
// Rows: 200,000 (20,000 under -short); FUSEBOX_CRASH_ROWS sets another
// count (the long run: FUSEBOX_CRASH_ROWS=1000000).
func crashRows(t *testing.T) int {
	t.Helper()
	if v := os.Getenv("FUSEBOX_CRASH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("FUSEBOX_CRASH_ROWS=%q: want a row count of 1000 or more", v)
		}
		return n
	}
	if testing.Short() {
		return 20_000
	}
	return 200_000
}

// crashWorkspace has one importer (every row valid) and a status
// destination that hears each import's completion at url.
func crashWorkspace(url string) string {
	return `version: 1
importers:
  - slug: people
    name: People
    columns:
      - {key: email, label: Email, type: email, required: true}
      - {key: name, label: Name, type: string}
      - {key: n, label: N, type: integer}
destinations:
  - id: status
    importer: people
    send: status
    url: ` + url + `/status
    retry: [100ms, 200ms, 500ms]
`
}

// statusReceiver counts the status events per import and status.
type statusReceiver struct {
	url string
	mu  sync.Mutex
	got map[string]int // "imp_x completed" -> count
}

func newStatusReceiver(t *testing.T) *statusReceiver {
	t.Helper()
	rc := &statusReceiver{got: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Slug   string `json:"import_slug"`
			Status string `json:"status"`
		}
		raw, _ := io.ReadAll(r.Body)
		if json.Unmarshal(raw, &ev) == nil {
			rc.mu.Lock()
			rc.got[ev.Slug+" "+ev.Status]++
			rc.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	})}
	rc.url = "http://" + ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rc
}

func (rc *statusReceiver) count(slug, status string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got[slug+" "+status]
}

// importState is what the database holds about one import.
type importState struct {
	Status, Step, Reason    string
	RecordCount             int64
	Chunks, Records, MaxEnd int64 // stored record chunks, records in them, last sort
	Jobs                    int64 // rows of importer_jobs left for it
}

func readImport(t *testing.T, dir, slug string) importState {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "fusebox.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var st importState
	var id int64
	err = db.QueryRow(`SELECT id, status, step, failure_reason, record_count FROM importer_imports WHERE slug = ?`, slug).
		Scan(&id, &st.Status, &st.Step, &st.Reason, &st.RecordCount)
	if err != nil {
		t.Fatalf("read import %s: %v", slug, err)
	}
	err = db.QueryRow(`SELECT count(*), coalesce(sum(n), 0), coalesce(max(first_sort + n - 1), 0) FROM importer_records WHERE import_id = ?`, id).
		Scan(&st.Chunks, &st.Records, &st.MaxEnd)
	if err != nil {
		t.Fatalf("read records of %s: %v", slug, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'importer_jobs'`).Scan(&st.Jobs); err == nil && st.Jobs > 0 {
		if err := db.QueryRow(`SELECT count(*) FROM importer_jobs WHERE import_id = ?`, id).Scan(&st.Jobs); err != nil {
			t.Fatalf("read jobs of %s: %v", slug, err)
		}
	}
	return st
}

// checkSettled fails unless the import is submitted (or completed) with
// exactly rows records, dense and whole, or failed with a reason; it
// returns whether it was submitted.
func checkSettled(t *testing.T, dir, slug string, rows int) bool {
	t.Helper()
	st := readImport(t, dir, slug)
	switch st.Status {
	case "submitted", "completed":
		if st.RecordCount != int64(rows) || st.Records != int64(rows) || st.MaxEnd != int64(rows) {
			t.Errorf("import %s is %s with record_count %d, %d records stored up to sort %d; want exactly %d", slug, st.Status, st.RecordCount, st.Records, st.MaxEnd, rows)
		}
	case "failed":
		if st.Reason == "" {
			t.Errorf("import %s failed without a reason", slug)
		}
		if st.Records != 0 {
			t.Errorf("import %s failed with %d records stored", slug, st.Records)
		}
	default:
		t.Errorf("import %s is %s (step %s, reason %q) after the restart: stuck", slug, st.Status, st.Step, st.Reason)
	}
	if st.Jobs != 0 {
		t.Errorf("import %s settled as %s with %d background jobs left", slug, st.Status, st.Jobs)
	}
	return st.Status == "submitted" || st.Status == "completed"
}

var progressRE = regexp.MustCompile(`progress import=(imp_\S+) phase=(\S+) bytes=(\d+)/(\d+) rows=(\d+) records=(\d+)/(\d+)`)

// progressLine is one progress line of `fusebox import --progress`.
type progressLine struct {
	slug, phase                            string
	bytes, bytesTotal, rows, recs, recsTot int64
}

func parseProgress(line string) (progressLine, bool) {
	m := progressRE.FindStringSubmatch(line)
	if m == nil {
		return progressLine{}, false
	}
	n := func(i int) int64 { v, _ := strconv.ParseInt(m[i], 10, 64); return v }
	return progressLine{slug: m[1], phase: m[2], bytes: n(3), bytesTotal: n(4), rows: n(5), recs: n(6), recsTot: n(7)}, true
}

// importUntil runs `fusebox import --progress` of file and kills it with
// SIGKILL at the first progress line for which at says so; it returns the
// import's slug and the line it was killed at.
func importUntil(t *testing.T, dir, file string, at func(progressLine) bool) (string, progressLine) {
	t.Helper()
	cmd := exec.Command(bin, "import", "--data-dir", dir, "--importer", "people", "--progress", file)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(errPipe)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		p, ok := parseProgress(sc.Text())
		if ok && at(p) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			return p.slug, p
		}
	}
	_ = cmd.Wait()
	t.Fatalf("fusebox import finished before the point to kill it at:\n%s%s", log.String(), out.String())
	return "", progressLine{}
}

func writeCrashCSV(t *testing.T, dir string, rows int) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("people-%d.csv", rows))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("Email,Name,N\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "p%d@example.com,Person %d,%d\n", i, i, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The CLI killed during the upload, the staging and the submit: the next
// `fusebox import` on the data dir first finishes the killed import, which
// ends submitted with exactly its rows, and the completion event is sent
// once.
func TestImportCLIKilledResumesOnNextStart(t *testing.T) {
	rows := crashRows(t)
	rc := newStatusReceiver(t)
	dir := t.TempDir()
	applyWorkspace(t, dir, crashWorkspace(rc.url))
	csvDir := t.TempDir()
	file := writeCrashCSV(t, csvDir, rows)
	small := writeCrashCSV(t, csvDir, 1000)

	points := []struct {
		name string
		at   func(progressLine) bool
	}{
		{"upload", func(p progressLine) bool { return p.phase == "uploading" }},
		{"staging", func(p progressLine) bool { return p.phase == "staging" && (p.bytes > 0 || rows < 100_000) }},
		// staging defers SQLite's checkpoints to another connection, so
		// the WAL holds much of what was staged when the kill comes
		{"staging, past half", func(p progressLine) bool {
			return p.phase == "staging" && (p.bytesTotal > 0 && p.bytes >= p.bytesTotal/2 || rows < 100_000)
		}},
		{"submit", func(p progressLine) bool { return p.phase == "submitting" && p.recs > 0 && p.recs < p.recsTot }},
		{"submit, past half", func(p progressLine) bool {
			return p.phase == "submitting" && p.recs >= p.recsTot/2 && p.recs < p.recsTot
		}},
	}
	var slugs []string
	for _, pt := range points {
		slug, line := importUntil(t, dir, file, pt.at)
		var walBytes int64
		if fi, err := os.Stat(filepath.Join(dir, "fusebox.db-wal")); err == nil {
			walBytes = fi.Size()
		}
		st := readImport(t, dir, slug)
		t.Logf("killed during %s at %+v: status %s, step %s, %d records stored, a WAL of %d bytes", pt.name, line, st.Status, st.Step, st.Records, walBytes)
		if strings.HasPrefix(pt.name, "submit") && (st.Step != "submitting" || st.Records == 0 || st.Records >= int64(rows)) && rows >= 100_000 {
			t.Errorf("the kill during submit left step %s with %d records: want a submit cut half way", st.Step, st.Records)
		}
		// the next run resumes the killed import before its own
		out := cli(t, "import", "--data-dir", dir, "--importer", "people", small)
		var res importRun
		if err := json.Unmarshal([]byte(lastLine(out)), &res); err != nil || res.Status != "completed" {
			t.Fatalf("the next import: %v: %s", err, out)
		}
		if !checkSettled(t, dir, slug, rows) {
			t.Errorf("the import killed during %s was not resumed to completion", pt.name)
		}
		slugs = append(slugs, slug)
	}

	// each completion is told once (the server sends the queued events)
	srv := startServer(t, dir)
	_ = srv
	waitFor(t, "the status events", 60*time.Second, func() bool {
		for _, s := range slugs {
			if rc.count(s, "completed") == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // a second event would come within the retry schedule
	for _, s := range slugs {
		if n := rc.count(s, "completed"); n != 1 {
			t.Errorf("import %s: %d completed events, want 1", s, n)
		}
	}
}

// An import whose file is gone when the CLI restarts (killed during the
// upload, the file deleted) is marked failed with a reason; a retry of
// it through the imports API (upload again, map, submit) completes.
func TestImportCLIKilledDuringUploadWithFileGoneFailsAndRetryWorks(t *testing.T) {
	rows := crashRows(t)
	dir := t.TempDir()
	rc := newStatusReceiver(t)
	applyWorkspace(t, dir, crashWorkspace(rc.url))
	csvDir := t.TempDir()
	file := writeCrashCSV(t, csvDir, rows)
	slug, _ := importUntil(t, dir, file, func(p progressLine) bool { return p.phase == "uploading" })
	if st := readImport(t, dir, slug); st.Step != "created" {
		t.Skipf("the kill came after the upload (step %s); nothing to check here", st.Step)
	}
	moved := file + ".moved"
	if err := os.Rename(file, moved); err != nil {
		t.Fatal(err)
	}
	cli(t, "import", "--data-dir", dir, "--importer", "people", writeCrashCSV(t, csvDir, 1000))
	if checkSettled(t, dir, slug, rows) {
		t.Fatalf("import %s completed without its file", slug)
	}
	srv := startServer(t, dir)
	var imp struct {
		Status        string `json:"status"`
		FailureReason string `json:"failure_reason"`
	}
	if code := srv.admin("GET", "/api/importer/imports/"+slug, nil, &imp); code != 200 || imp.Status != "failed" || !strings.Contains(imp.FailureReason, "interrupted") {
		t.Fatalf("GET import: HTTP %d %+v; want failed with the reason", code, imp)
	}
	// retry: the file again, the mapping, submit
	retryImport(t, srv, slug, moved, rows)
}

// retryImport uploads path to the import, confirms the suggested mapping,
// waits for the review, submits and waits until it completes with rows
// records.
func retryImport(t *testing.T, srv *server, slug, path string, rows int) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/api/importer/imports/"+slug+"/file?name=people.csv", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("upload again: HTTP %d", res.StatusCode)
	}
	mapping := map[string]any{"columns": []map[string]any{{"header": "Email", "key": "email"}, {"header": "Name", "key": "name"}, {"header": "N", "key": "n"}}}
	if code := srv.admin("PUT", "/api/importer/imports/"+slug+"/mapping", mapping, nil); code != 202 {
		t.Fatalf("mapping: HTTP %d", code)
	}
	waitStep(t, srv, slug, "review")
	submitAndWait(t, srv, slug, rows)
}

type importView struct {
	Status        string `json:"status"`
	Step          string `json:"step"`
	FailureReason string `json:"failure_reason"`
}

func waitStep(t *testing.T, srv *server, slug, step string) importView {
	t.Helper()
	var v importView
	waitFor(t, slug+" at step "+step, 120*time.Second, func() bool {
		v = importView{}
		srv.admin("GET", "/api/importer/imports/"+slug, nil, &v)
		if v.Status == "failed" && step != "failed" {
			t.Fatalf("import %s failed: %s", slug, v.FailureReason)
		}
		return v.Step == step
	})
	return v
}

// submitAndWait submits and waits for completed with rows records.
func submitAndWait(t *testing.T, srv *server, slug string, rows int) {
	t.Helper()
	var sub struct {
		Status   string `json:"status"`
		Progress string `json:"progress"`
	}
	if code := srv.admin("POST", "/api/importer/imports/"+slug+"/submit", nil, &sub); code != 202 || sub.Progress == "" {
		t.Fatalf("submit: HTTP %d %+v; want 202 with the progress URL", code, sub)
	}
	waitCompleted(t, srv, slug, rows)
}

func waitCompleted(t *testing.T, srv *server, slug string, rows int) {
	t.Helper()
	var v importView
	waitFor(t, slug+" completed", 180*time.Second, func() bool {
		v = importView{}
		srv.admin("GET", "/api/importer/imports/"+slug, nil, &v)
		return v.Status == "completed" || v.Status == "failed"
	})
	if v.Status != "completed" {
		t.Fatalf("import %s: %+v, want completed", slug, v)
	}
	var recs struct {
		Total int `json:"total"`
	}
	if code := srv.admin("GET", "/api/importer/imports/"+slug+"/records?per_page=1", nil, &recs); code != 200 || recs.Total != rows {
		t.Fatalf("records: HTTP %d, total %d, want %d", code, recs.Total, rows)
	}
	checkSettled(t, srv.Dir, slug, rows)
}

type serverProgress struct {
	Phase        string `json:"phase"`
	Rows         int64  `json:"rows"`
	Records      int64  `json:"records"`
	RecordsTotal int64  `json:"records_total"`
	Done         bool   `json:"done"`
	Error        string `json:"error"`
}

// The server killed during staging and during a submit: after the
// restart the staging finishes by itself, and the submit resumes to
// completion; the API reports the submit's progress while it runs and
// the completion event is sent once.
func TestServeKilledDuringStagingAndSubmitResumes(t *testing.T) {
	rows := crashRows(t)
	rc := newStatusReceiver(t)
	dir := t.TempDir()
	applyWorkspace(t, dir, crashWorkspace(rc.url))
	file := writeCrashCSV(t, t.TempDir(), rows)
	srv := startServer(t, dir)

	var imp struct {
		Slug string `json:"slug"`
	}
	if code := srv.admin("POST", "/api/importer/imports", map[string]any{"importer_slug": "people"}, &imp); code != 201 {
		t.Fatalf("create: HTTP %d", code)
	}
	slug := imp.Slug
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/api/importer/imports/"+slug+"/file?name=people.csv", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("upload: HTTP %d", res.StatusCode)
	}
	mapping := map[string]any{"columns": []map[string]any{{"header": "Email", "key": "email"}, {"header": "Name", "key": "name"}, {"header": "N", "key": "n"}}}
	if code := srv.admin("PUT", "/api/importer/imports/"+slug+"/mapping", mapping, nil); code != 202 {
		t.Fatalf("mapping: HTTP %d", code)
	}
	// kill during staging (a small file may be staged before a poll sees it)
	var staging serverProgress
	waitFor(t, "staging under way or done", 60*time.Second, func() bool {
		staging = serverProgress{}
		srv.admin("GET", "/api/importer/imports/"+slug+"/progress", nil, &staging)
		return staging.Phase == "staging" || staging.Phase == "validating" || staging.Done
	})
	if staging.Done {
		t.Logf("the staging of %d rows ended before a poll saw it: no kill during staging", rows)
	} else {
		srv.Kill9()
		t.Logf("killed during staging at %+v: step %s", staging, readImport(t, dir, slug).Step)
	}
	srv = startServer(t, dir)
	waitStep(t, srv, slug, "review")

	// kill during the submit, half way
	var sub struct {
		Status   string `json:"status"`
		Progress string `json:"progress"`
	}
	if code := srv.admin("POST", "/api/importer/imports/"+slug+"/submit", nil, &sub); code != 202 || sub.Status != "submitting" || sub.Progress == "" {
		t.Fatalf("submit: HTTP %d %+v; want 202, submitting, the progress URL", code, sub)
	}
	var seen serverProgress
	var polls []serverProgress
	waitFor(t, "records being written", 60*time.Second, func() bool {
		seen = serverProgress{}
		srv.admin("GET", sub.Progress, nil, &seen)
		if len(polls) == 0 || polls[len(polls)-1] != seen {
			polls = append(polls, seen)
			if len(polls) < 50 {
				t.Logf("progress: %+v", seen)
			}
		}
		return seen.Phase == "submitting" && seen.Records > 0 && seen.Records < seen.RecordsTotal
	})
	if seen.RecordsTotal != int64(rows) {
		t.Errorf("progress records_total %d, want %d", seen.RecordsTotal, rows)
	}
	srv.Kill9()
	if st := readImport(t, dir, slug); st.Status != "submitting" || st.Records == 0 || st.Records >= int64(rows) {
		t.Logf("the kill came at status %s with %d records", st.Status, st.Records)
	}
	srv = startServer(t, dir)
	waitCompleted(t, srv, slug, rows)
	waitFor(t, "the completion event", 60*time.Second, func() bool { return rc.count(slug, "completed") > 0 })
	time.Sleep(300 * time.Millisecond)
	if n := rc.count(slug, "completed"); n != 1 {
		t.Errorf("%d completed events, want 1", n)
	}
}
