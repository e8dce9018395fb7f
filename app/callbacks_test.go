package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/store"
	"fusebox/internal/docsample"
)

// docSample returns the fenced block after <!-- sample:NAME --> in a doc.
func docSample(t *testing.T, doc, name string) string {
	t.Helper()
	code, err := docsample.One(name, filepath.Join("..", "docs", doc))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// stageCSV creates an import of importerSlug as an admin, uploads csv,
// confirms the suggested mapping and stages the rows.
func stageCSV(t *testing.T, a *App, importerSlug, csv string) importer.Import {
	t.Helper()
	ctx := context.Background()
	imp, err := a.Importer.CreateImport(ctx, importer.Actor{Admin: true}, importerSlug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Importer.Upload(ctx, imp.Slug, strings.NewReader(csv), "o.csv", int64(len(csv))); err != nil {
		t.Fatal(err)
	}
	mv, err := a.Importer.GetMapping(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Importer.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		t.Fatal(err)
	}
	if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	return imp
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// The Go host endpoint of docs/hooks.md, built and run, against the real
// importer: it rejects two customer ids and fixes one value; fixing the
// ids makes the import submittable; when the endpoint stops answering,
// the import says so and submit is refused (invalid_rows: block).
func TestValidateCallbackWithTheDocsGoEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the docs' Go sample")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(docSample(t, "hooks.md", "validate-go")), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module validate\n\ngo 1.22\n"), 0o644)
	build := exec.Command("go", "build", "-o", "validate", ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the docs sample: %v\n%s", err, out)
	}
	port := freePort(t)
	host := exec.Command(filepath.Join(dir, "validate"))
	host.Env = append(os.Environ(), "PORT="+port, "FUSEBOX_SIGNING_SECRET=s3cret-value")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Process.Kill()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatalf("the sample endpoint does not listen: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Setenv("FUSEBOX_VALIDATE_SECRET", "s3cret-value")

	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ws := `version: 1
importers:
  - slug: orders
    name: Orders
    columns:
      - {key: customer_id, label: Customer id, required: true}
      - {key: country, label: Country}
      - {key: amount, label: Amount, type: integer}
    hooks:
      validate: {url: "http://127.0.0.1:` + port + `/validate", batch: 2, timeout: 2s, signing_secret: FUSEBOX_VALIDATE_SECRET}
marketplace:
  org_id: test-org
  allowed_hosts: [127.0.0.1]
`
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	imp, err := a.Importer.CreateImport(ctx, importer.Actor{Admin: true, Metadata: map[string]any{"user_id": "u1"}}, "orders")
	if err != nil {
		t.Fatal(err)
	}
	csv := "Customer id,Country,Amount\nC-1,FR,10\nX-7,UK,20\nC-3,UK,30\nY-9,DE,40\nC-4,DE,50\n"
	if _, err := a.Importer.Upload(ctx, imp.Slug, strings.NewReader(csv), "orders.csv", int64(len(csv))); err != nil {
		t.Fatal(err)
	}
	mv, _ := a.Importer.GetMapping(ctx, imp.Slug)
	if err := a.Importer.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		t.Fatal(err)
	}
	if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	sum, err := a.Importer.Summary(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ErrorRows != 2 || sum.CanSubmit || sum.Callback == nil || sum.Callback.State != "ok" || sum.Callback.Checked != 5 {
		t.Fatalf("after staging: errors %d can_submit %v callback %+v, want 2/false/ok 5", sum.ErrorRows, sum.CanSubmit, sum.Callback)
	}
	page, _ := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{Filter: "errors"})
	if len(page.Rows) != 2 || page.Rows[0].Row != 2 || page.Rows[0].Issues[0].Message != "customer X-7 does not exist" || page.Rows[1].Issues[0].Message != "customer Y-9 does not exist" {
		t.Fatalf("errors page: %+v", page.Rows)
	}
	all, _ := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{})
	if all.Rows[1].Values[1] != "GB" || all.Rows[2].Values[1] != "GB" {
		t.Fatalf("the endpoint's replacement UK -> GB was not applied: %q %q", all.Rows[1].Values, all.Rows[2].Values)
	}
	// the end user fixes both ids: each edit sends that row only
	for row, id := range map[int64]string{2: "C-2", 4: "C-4"} {
		if _, err := a.Importer.EditRow(ctx, imp.Slug, row, map[string]string{"customer_id": id}); err != nil {
			t.Fatal(err)
		}
	}
	sum, _ = a.Importer.Summary(ctx, imp.Slug)
	if sum.ErrorRows != 0 || !sum.CanSubmit || sum.Callback.Checked != 1 {
		t.Fatalf("after the fixes: errors %d can_submit %v callback %+v", sum.ErrorRows, sum.CanSubmit, sum.Callback)
	}

	// the endpoint goes away: the next edit gets no answer
	host.Process.Kill()
	host.Wait()
	if _, err := a.Importer.EditRow(ctx, imp.Slug, 1, map[string]string{"amount": "11"}); err != nil {
		t.Fatal(err)
	}
	sum, _ = a.Importer.Summary(ctx, imp.Slug)
	if sum.CanSubmit || sum.Callback.State != "failed" || !strings.Contains(sum.SubmitBlocked, "your validation service did not answer") {
		t.Fatalf("silent endpoint: can_submit %v blocked %q callback %+v", sum.CanSubmit, sum.SubmitBlocked, sum.Callback)
	}
	if _, err := a.Importer.Submit(ctx, imp.Slug); errs.Code(err) != errs.EINVALID || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("submit with a silent endpoint: %v", err)
	}
}

// Without the host in the marketplace's allowed_hosts, the network guard
// keeps the callback off this machine: the rows stay unchecked, and the
// state says why.
func TestValidateCallbackGuarded(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer srv.Close()
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    columns: [{key: customer_id, label: Customer id}]\n" +
		"    hooks: {validate: {url: \"" + srv.URL + "\", timeout: 1s}}\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	a.Importer.Callbacks.Backoff = []time.Duration{} // one attempt
	csv := "Customer id\nC-1\n"
	imp := stageCSV(t, a, "orders", csv)
	sum, _ := a.Importer.Summary(ctx, imp.Slug)
	if called || sum.CanSubmit || sum.Callback.State != "failed" || !strings.Contains(sum.Callback.Message, "loopback") {
		t.Fatalf("called %v, can_submit %v, callback %+v", called, sum.CanSubmit, sum.Callback)
	}
}

// An edit whose row the endpoint is slow to judge does not hold the
// import: a second edit of another row completes while the first row's
// request is still open; the slow answer is applied when it comes, unless
// the row changed meanwhile (then it is stale and dropped).
func TestValidateCallbackSlowEndpointDoesNotBlockOtherEdits(t *testing.T) {
	release := make(chan struct{})
	slowSeen := make(chan string, 4)
	var slowDone atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Rows []struct {
				Row    int64          `json:"row"`
				Values map[string]any `json:"values"`
			} `json:"rows"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out []string
		for _, row := range in.Rows {
			id, _ := row.Values["customer_id"].(string)
			switch {
			case strings.HasPrefix(id, "SLOW"):
				slowSeen <- id
				select {
				case <-release:
				case <-r.Context().Done():
					slowDone.Add(1)
					return
				}
				slowDone.Add(1)
				out = append(out, fmt.Sprintf(`{"row": %d, "errors": {"customer_id": "slow says no to %s"}}`, row.Row, id))
			case strings.HasPrefix(id, "X-"):
				out = append(out, fmt.Sprintf(`{"row": %d, "errors": {"customer_id": "customer %s does not exist"}}`, row.Row, id))
			}
		}
		io.WriteString(w, `{"rows": [`+strings.Join(out, ",")+`]}`)
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    columns: [{key: customer_id, label: Customer id}, {key: amount, label: Amount, type: integer}]\n" +
		"    hooks: {validate: {url: \"" + srv.URL + "/validate\", timeout: 3s}}\nmarketplace:\n  org_id: test-org\n  allowed_hosts: [127.0.0.1]\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	a.Importer.Callbacks.Backoff = []time.Duration{} // one attempt
	csv := "Customer id,Amount\nC-1,1\nC-2,2\nC-3,3\n"
	imp := stageCSV(t, a, "orders", csv)

	// row 1 goes to the slow endpoint; row 3 too, and is then changed again before the answer
	first := make(chan error, 2)
	go func() {
		_, err := a.Importer.EditRow(ctx, imp.Slug, 1, map[string]string{"customer_id": "SLOW-1"})
		first <- err
	}()
	<-slowSeen
	go func() {
		_, err := a.Importer.EditRow(ctx, imp.Slug, 3, map[string]string{"customer_id": "SLOW-3"})
		first <- err
	}()
	<-slowSeen
	sum, _ := a.Importer.Summary(ctx, imp.Slug)
	if sum.Callback == nil || sum.Callback.State != "running" || sum.CanSubmit {
		t.Fatalf("while rows are being checked: callback %+v, can_submit %v; want running and no submit", sum.Callback, sum.CanSubmit)
	}
	res, err := a.Importer.EditRow(ctx, imp.Slug, 2, map[string]string{"customer_id": "X-2"})
	if err != nil {
		t.Fatal(err)
	}
	if n := slowDone.Load(); n != 0 {
		t.Fatalf("the second edit completed only after %d slow request(s) had ended: the edit waited for another row's check", n)
	}
	if res.Row.Errors != 1 || res.Row.Issues[0].Message != "customer X-2 does not exist" {
		t.Fatalf("second edit: %+v", res.Row)
	}
	if _, err := a.Importer.EditRow(ctx, imp.Slug, 3, map[string]string{"customer_id": "C-33"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	for i := 0; i < 2; i++ {
		if err := <-first; err != nil {
			t.Fatal(err)
		}
	}
	page, _ := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{})
	if r := page.Rows[0]; r.Errors != 1 || r.Issues[0].Message != "slow says no to SLOW-1" {
		t.Fatalf("row 1 after the slow answer: %+v", r)
	}
	if r := page.Rows[2]; r.Values[0] != "C-33" || r.Errors != 0 {
		t.Fatalf("row 3 changed while its check ran: the stale answer must be dropped, got %+v", r)
	}
	sum, _ = a.Importer.Summary(ctx, imp.Slug)
	if sum.Callback.State != "ok" || sum.ErrorRows != 2 {
		t.Fatalf("after all answers: callback %+v, error rows %d; want ok and 2", sum.Callback, sum.ErrorRows)
	}
}

// Edits kept across a mapping change are checked by the endpoint too: the
// re-staged file's rows are judged while staged, the kept edit's content
// after it is re-applied.
func TestValidateCallbackChecksEditsKeptAcrossAMappingChange(t *testing.T) {
	var seen sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Rows []struct {
				Row    int64          `json:"row"`
				Values map[string]any `json:"values"`
			} `json:"rows"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out []string
		for _, row := range in.Rows {
			id, _ := row.Values["customer_id"].(string)
			seen.Store(id, true)
			if strings.HasPrefix(id, "X-") {
				out = append(out, fmt.Sprintf(`{"row": %d, "errors": {"customer_id": "customer %s does not exist"}}`, row.Row, id))
			}
		}
		io.WriteString(w, `{"rows": [`+strings.Join(out, ",")+`]}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    settings: {invalid_rows: block}\n" +
		"    columns: [{key: customer_id, label: Customer id}, {key: amount, label: Amount, type: integer}]\n" +
		"    hooks: {validate: {url: \"" + srv.URL + "/validate\", timeout: 3s}}\nmarketplace:\n  org_id: test-org\n  allowed_hosts: [127.0.0.1]\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	csv := "Customer id,Amount,Other\nC-1,1,9\nC-2,2,9\n"
	imp := stageCSV(t, a, "orders", csv)
	if _, err := a.Importer.EditRow(ctx, imp.Slug, 2, map[string]string{"customer_id": "X-2"}); err != nil {
		t.Fatal(err)
	}
	// the endpoint forgets; the mapping changes (Amount no longer mapped): the file is staged again, the edit kept
	seen.Clear()
	mv, _ := a.Importer.GetMapping(ctx, imp.Slug)
	m := mv.Suggestions.Mapping()
	for i := range m.Columns {
		if m.Columns[i].Key == "amount" {
			m.Columns[i].Key = ""
		}
	}
	if _, err := a.Importer.ConfirmMappingChange(ctx, imp.Slug, m); err != nil {
		t.Fatal(err)
	}
	if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	page, _ := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{})
	if page.Rows[1].Values[0] != "X-2" {
		t.Fatalf("the edit was not kept: %+v", page.Rows[1])
	}
	if _, ok := seen.Load("X-2"); !ok || page.Rows[1].Errors != 1 {
		t.Fatalf("the kept edit's content was not sent to the endpoint (sent: %v), row 2: %+v", ok, page.Rows[1])
	}
	sum, _ := a.Importer.Summary(ctx, imp.Slug)
	if sum.CanSubmit || sum.Callback.State != "ok" {
		t.Fatalf("after the mapping change: can_submit %v, callback %+v", sum.CanSubmit, sum.Callback)
	}
}

// After a find & replace and its undo the endpoint checks only the rows
// they changed: rows they did not touch are not read back and re-checked
// even when their content is not in the cache (here: the cache cleared).
func TestValidateCallbackRechecksOnlyTheRowsAnEditTouched(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Rows []struct {
				Values map[string]any `json:"values"`
			} `json:"rows"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, row := range in.Rows {
			id, _ := row.Values["customer_id"].(string)
			sent = append(sent, id)
		}
		mu.Unlock()
		io.WriteString(w, `{"rows": []}`)
	}))
	defer srv.Close()
	took := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := sent
		sent = nil
		sort.Strings(out)
		return out
	}
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    columns: [{key: customer_id, label: Customer id}, {key: amount, label: Amount, type: integer}]\n" +
		"    hooks: {validate: {url: \"" + srv.URL + "/validate\", timeout: 3s}}\nmarketplace:\n  org_id: test-org\n  allowed_hosts: [127.0.0.1]\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	imp := stageCSV(t, a, "orders", "Customer id,Amount\nC-1,1\nC-2,2\nC-3,3\n")
	if got := took(); !slices.Equal(got, []string{"C-1", "C-2", "C-3"}) {
		t.Fatalf("staging sent %v", got)
	}
	if _, err := a.db.Write.ExecContext(ctx, `DELETE FROM importer_callback_cache`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.Write.ExecContext(ctx, `DELETE FROM importer_callback_clean`); err != nil {
		t.Fatal(err)
	}
	res, err := a.Importer.Replace(ctx, imp.Slug, importer.ReplaceInput{Column: "customer_id", Find: "C-1", Replace: "D-1"})
	if err != nil || res.Rows != 1 {
		t.Fatalf("replace: %+v %v", res, err)
	}
	if got := took(); !slices.Equal(got, []string{"D-1"}) {
		t.Fatalf("after a replace that changed row 1 the endpoint got %v, want [D-1]", got)
	}
	if _, err := a.Importer.Undo(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	if got := took(); !slices.Equal(got, []string{"C-1"}) {
		t.Fatalf("after undoing it the endpoint got %v, want [C-1]", got)
	}
	if _, err := a.Importer.Redo(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	if got := took(); len(got) != 0 { // D-1 was judged after the replace
		t.Fatalf("after the redo the endpoint got %v, want nothing (D-1 is cached)", got)
	}
}

// The endpoint's verdict on a content is the last one it gave: a content
// it rejected and, staged again, accepted, is clean from then on; an edit
// away from it and its undo neither send it again nor bring the old error
// back. And the other way round: accepted, then rejected.
func TestValidateCallbackKeepsTheLatestVerdictOnAContent(t *testing.T) {
	var reject atomic.Value // the customer id the endpoint rejects
	reject.Store("C-1")
	var mu sync.Mutex
	var sent []string
	url := customerEndpoint(t, func(id string) string {
		mu.Lock()
		sent = append(sent, id)
		mu.Unlock()
		if id == reject.Load().(string) {
			return "customer " + id + " does not exist"
		}
		return ""
	})
	took := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := sent
		sent = nil
		sort.Strings(out)
		return out
	}
	ctx := context.Background()
	a := ordersApp(t, url, "")
	imp := stageCSV(t, a, "orders", "Customer id,Amount\nC-1,1\nC-2,2\nC-3,3\n")
	errorsOf := func(step string) []int {
		t.Helper()
		page, err := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{})
		if err != nil || len(page.Rows) != 3 {
			t.Fatalf("%s: rows %+v %v", step, page.Rows, err)
		}
		var out []int
		for _, r := range page.Rows {
			out = append(out, r.Errors)
		}
		return out
	}
	restage := func() {
		t.Helper()
		mv, err := a.Importer.GetMapping(ctx, imp.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Importer.ConfirmMappingChange(ctx, imp.Slug, *mv.Mapping); err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
	}
	// an edit away from row 1's content and its undo: the content is back
	editAndUndo := func(step string, want []string) {
		t.Helper()
		if _, err := a.Importer.EditRow(ctx, imp.Slug, 1, map[string]string{"customer_id": "C-9"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Importer.Undo(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
		if got := took(); !slices.Equal(got, want) {
			t.Fatalf("%s: the edit and its undo sent %v, want %v (C-1 was judged)", step, got, want)
		}
	}
	if got := errorsOf("staged"); !slices.Equal(got, []int{1, 0, 0}) {
		t.Fatalf("staged, C-1 rejected: errors per row %v", got)
	}
	took()

	reject.Store("C-2")
	restage()
	if got := took(); !slices.Equal(got, []string{"C-1", "C-2", "C-3"}) {
		t.Fatalf("staging again sent %v", got)
	}
	if got := errorsOf("staged again"); !slices.Equal(got, []int{0, 1, 0}) {
		t.Fatalf("staged again, C-2 rejected and C-1 accepted: errors per row %v", got)
	}
	editAndUndo("after C-1 was accepted", []string{"C-9"})
	if got := errorsOf("edit and undo"); !slices.Equal(got, []int{0, 1, 0}) {
		t.Fatalf("after an edit of row 1 and its undo: errors per row %v, want C-1 clean (its latest verdict)", got)
	}

	reject.Store("C-1")
	restage()
	took()
	editAndUndo("after C-1 was rejected again", nil) // C-9 was judged too
	if got := errorsOf("rejected again"); !slices.Equal(got, []int{1, 0, 0}) {
		t.Fatalf("after C-1 was rejected again, an edit and its undo: errors per row %v", got)
	}
}

// Deleting an import deletes every row that names it: each table with an
// import_id column (found in the schema, so a table added later is
// checked too) has none left, the validation endpoint's answers included.
func TestDeleteImportLeavesNoRowNamingIt(t *testing.T) {
	url := customerEndpoint(t, func(id string) string {
		if id == "C-1" {
			return "customer C-1 does not exist"
		}
		return ""
	})
	ctx := context.Background()
	a := ordersApp(t, url, "    match_on: [customer_id]\n")
	csv := "Customer id,Amount\nC-1,1\nC-2,2\nC-3,x\n"
	kept := stageCSV(t, a, "orders", csv) // another import, left alone
	imp := stageCSV(t, a, "orders", csv)
	if _, err := a.Importer.EditRow(ctx, imp.Slug, 3, map[string]string{"amount": "3"}); err != nil {
		t.Fatal(err)
	}
	var tablesQuery string
	if a.db.Engine() == store.Postgres {
		tablesQuery = `SELECT table_name FROM information_schema.columns WHERE column_name = 'import_id' AND table_schema = current_schema() ORDER BY 1`
	} else {
		tablesQuery = `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'import_id' ORDER BY 1`
	}
	rs, err := a.db.Read.QueryContext(ctx, tablesQuery)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rs.Close()
	if !slices.Contains(tables, "importer_callback_clean") || !slices.Contains(tables, "importer_cell_issues") {
		t.Fatalf("tables with import_id: %v", tables)
	}
	rowsOf := func(id int64) map[string]int {
		out := map[string]int{}
		for _, table := range tables {
			var n int
			if err := a.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE import_id = ?`, id).Scan(&n); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if n > 0 {
				out[table] = n
			}
		}
		return out
	}
	ids := map[string]int64{}
	for _, slug := range []string{kept.Slug, imp.Slug} {
		var id int64
		if err := a.db.Read.QueryRowContext(ctx, `SELECT id FROM importer_imports WHERE slug = ?`, slug).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[slug] = id
	}
	before := rowsOf(ids[imp.Slug])
	for _, table := range []string{"importer_callback_cache", "importer_callback_clean", "importer_callback_state", "importer_edits", "importer_cell_issues"} {
		if before[table] == 0 {
			t.Fatalf("before the delete %s has no row of the import (rows per table: %v): the test would prove nothing", table, before)
		}
	}
	keptBefore := rowsOf(ids[kept.Slug])
	if err := a.Importer.DeleteImport(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	if left := rowsOf(ids[imp.Slug]); len(left) > 0 {
		t.Fatalf("rows naming the deleted import are left: %v", left)
	}
	if got := rowsOf(ids[kept.Slug]); !maps.Equal(got, keptBefore) {
		t.Fatalf("the other import's rows changed: %v, were %v", got, keptBefore)
	}
}

// customerEndpoint is a validation endpoint for the orders importer of
// ordersApp: judge gets each row's customer id and returns the error to
// report on it ("" for none). It is closed when t ends.
func customerEndpoint(t *testing.T, judge func(id string) string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Rows []struct {
				Row    int64          `json:"row"`
				Values map[string]any `json:"values"`
			} `json:"rows"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out []string
		for _, row := range in.Rows {
			id, _ := row.Values["customer_id"].(string)
			if msg := judge(id); msg != "" {
				b, _ := json.Marshal(msg)
				out = append(out, fmt.Sprintf(`{"row": %d, "errors": {"customer_id": %s}}`, row.Row, b))
			}
		}
		io.WriteString(w, `{"rows": [`+strings.Join(out, ",")+`]}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// ordersApp is an App whose workspace has the orders importer (customer
// id and amount) checked by the validation endpoint at url; extra is more
// of the importer's YAML (indented lines). It is closed when t ends.
func ordersApp(t *testing.T, url, extra string) *App {
	t.Helper()
	ctx := context.Background()
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n" + extra +
		"    columns: [{key: customer_id, label: Customer id}, {key: amount, label: Amount, type: integer}]\n" +
		"    hooks: {validate: {url: \"" + url + "/validate\", timeout: 3s}}\nmarketplace:\n  org_id: test-org\n  allowed_hosts: [127.0.0.1]\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	return a
}
