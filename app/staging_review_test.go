package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
)

// The review reads an import while it is still staging: the first rows
// are committed early, progress, the summary and row pages report the
// same committed rows (marked partial), a search and edits are refused
// at once (not after the staging run lets go of the import), and when
// staging ends everything is whole. Staging is held half way by a
// validation endpoint that does not answer until the test lets it.
func TestReviewReadsAnImportWhileItStages(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `{"rows": []}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	a, err := New(ctx, Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ws := "version: 1\nimporters:\n  - slug: orders\n    name: Orders\n    settings: {invalid_rows: exclude}\n    columns: [{key: customer_id, label: Customer id}, {key: amount, label: Amount, type: integer}]\n" +
		"    hooks: {validate: {url: \"" + srv.URL + "/validate\", batch: 100, timeout: 10s}}\nmarketplace:\n  org_id: test-org\n  allowed_hosts: [127.0.0.1]\n"
	if _, err := a.Workspace.Apply(ctx, []byte(ws), "ws.yaml"); err != nil {
		t.Fatal(err)
	}
	a.Importer.Callbacks.Backoff = []time.Duration{} // one attempt
	const rows = 5000
	var b strings.Builder
	b.WriteString("Customer id,Amount\n")
	for i := 1; i <= rows; i++ {
		amount := fmt.Sprint(i)
		if i%10 == 0 {
			amount = "ten" // an error every 10th row
		}
		fmt.Fprintf(&b, "C-%d,%s\n", i, amount)
	}
	csv := b.String()
	imp, err := a.Importer.CreateImport(ctx, importer.Actor{Admin: true}, "orders")
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
	a.Importer.StartStaging(imp.Slug)

	// The endpoint holds the first batches, so staging stops after a few
	// hundred rows; the first of them must be readable by then.
	var p importer.Progress
	for deadline := time.Now().Add(30 * time.Second); ; {
		if p, err = a.Importer.Progress(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
		if p.Rows > 0 || p.Done || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p.Done || p.Phase != "staging" || p.Rows < 100 || p.Rows >= rows {
		t.Fatalf("while the endpoint holds staging: progress %+v; want staging with its first rows committed", p)
	}
	wantErr := p.Rows / 10
	if p.ErrorRows != wantErr {
		t.Fatalf("progress: %d rows staged with %d error rows, want %d", p.Rows, p.ErrorRows, wantErr)
	}
	sum, err := a.Importer.Summary(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Step != importer.StepStaging || !sum.Partial || sum.Rows != p.Rows || sum.ErrorRows != wantErr || sum.ValidRows != p.Rows-wantErr || sum.CanSubmit {
		t.Fatalf("summary while staging: step %s partial %v rows %d errors %d valid %d can_submit %v; want staging, partial, %d/%d, no submit",
			sum.Step, sum.Partial, sum.Rows, sum.ErrorRows, sum.ValidRows, sum.CanSubmit, p.Rows, wantErr)
	}
	if sum.Columns[1].Errors != wantErr {
		t.Fatalf("amount errors while staging: %d, want %d (the committed rows only)", sum.Columns[1].Errors, wantErr)
	}
	page, err := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !page.Partial || page.Total != p.Rows || len(page.Rows) != 100 || page.Rows[0].Row != 1 || page.Rows[0].Values[0] != "C-1" {
		t.Fatalf("first page while staging: partial %v total %d, %d rows; want partial, %d, 100 from row 1", page.Partial, page.Total, len(page.Rows), p.Rows)
	}
	last, err := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{Offset: int(p.Rows) - 10, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Rows) != 10 || last.Rows[9].Row != p.Rows {
		t.Fatalf("last page while staging: %d rows, want the 10 up to row %d", len(last.Rows), p.Rows)
	}
	errPage, err := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{Filter: "errors", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if errPage.Total != wantErr || int64(len(errPage.Rows)) != wantErr {
		t.Fatalf("errors page while staging: total %d, %d rows; want %d", errPage.Total, len(errPage.Rows), wantErr)
	}
	if _, err := a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{Q: "C-1"}); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("a search while staging: %v, want a conflict saying to wait", err)
	}
	edited := make(chan error, 1)
	go func() {
		_, err := a.Importer.EditRow(ctx, imp.Slug, 1, map[string]string{"amount": "1"})
		edited <- err
	}()
	select {
	case err := <-edited:
		if errs.Code(err) != errs.ECONFLICT {
			t.Fatalf("an edit while staging: %v, want a conflict", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an edit while staging waited for the staging run instead of being refused")
	}

	if _, err := a.Importer.Submit(ctx, imp.Slug); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("a submit while staging: %v, want a conflict", err)
	}

	free()
	if _, err := a.Importer.Wait(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	sum, err = a.Importer.Summary(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Step != importer.StepReview || sum.Partial || sum.Rows != rows || sum.ErrorRows != rows/10 || !sum.CanSubmit {
		t.Fatalf("summary after staging: step %s partial %v rows %d errors %d can_submit %v (%s)", sum.Step, sum.Partial, sum.Rows, sum.ErrorRows, sum.CanSubmit, sum.SubmitBlocked)
	}
	p, _ = a.Importer.Progress(ctx, imp.Slug)
	if !p.Done || p.Rows != rows || p.ErrorRows != rows/10 {
		t.Fatalf("progress after staging: %+v", p)
	}
	page, err = a.Importer.Rows(ctx, imp.Slug, importer.RowQuery{Offset: rows - 100})
	if err != nil {
		t.Fatal(err)
	}
	if page.Partial || page.Total != rows || len(page.Rows) != 100 || page.Rows[99].Row != rows {
		t.Fatalf("last page after staging: partial %v total %d rows %d", page.Partial, page.Total, len(page.Rows))
	}
	if _, err := a.Importer.EditRow(ctx, imp.Slug, 10, map[string]string{"amount": "10"}); err != nil {
		t.Fatalf("an edit after staging: %v", err)
	}
}
