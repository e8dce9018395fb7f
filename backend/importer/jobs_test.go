package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"fusebox/backend/schema"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// stagedPeople makes an importer (invalid_rows: exclude) and an import of
// rows people in review, every 7th with a bad email; it returns the slug
// and the number of valid rows.
func stagedPeople(t *testing.T, svc *Service, rows int) (string, int) {
	t.Helper()
	ctx := context.Background()
	def := &schema.Importer{Slug: "people", Name: "People", Settings: schema.Settings{InvalidRows: schema.InvalidRowsExclude}, Columns: []schema.Column{
		{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true},
		{Key: "n", Label: "N", Type: schema.TypeInteger},
	}}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("Email,N\n")
	valid := 0
	for i := 1; i <= rows; i++ {
		if i%7 == 0 {
			fmt.Fprintf(&b, "broken-%d,%d\n", i, i)
			continue
		}
		valid++
		fmt.Fprintf(&b, "p%d@example.com,%d\n", i, i)
	}
	imp, err := svc.CreateImport(ctx, Actor{Admin: true}, "people")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, imp.Slug, strings.NewReader(b.String()), "people.csv", int64(b.Len())); err != nil {
		t.Fatal(err)
	}
	m, err := svc.suggestedMapping(ctx, imp.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ConfirmMapping(ctx, imp.Slug, *m); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	return imp.Slug, valid
}

// A submit cut after a few batches (the process stopping) leaves the
// import submitting with whole batches and its job; a new process's
// Recover writes the rest: every valid row once, sorts dense and in file
// order, one completion.
func TestSubmitCutHalfWayIsResumedWithEveryRecordOnce(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t)
	first := New(db, dir, nil)
	first.BatchRows, first.SubmitTxRows = 10, 100
	slug, valid := stagedPeople(t, first, 1000)

	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	first.afterBatch = func(int64) {
		if batches++; batches == 3 {
			cancel() // the process stops after three transactions
		}
	}
	if _, err := first.Submit(ctx, slug); err == nil {
		t.Fatal("the cut submit reported success")
	}
	imp, _ := first.loadImport(context.Background(), db.Read, slug)
	jr, _ := first.loadJobRow(context.Background(), imp.ID)
	var stored int64
	db.Read.QueryRow(`SELECT coalesce(sum(n), 0) FROM importer_records WHERE import_id = ?`, imp.ID).Scan(&stored)
	if imp.Status != StatusSubmitting || jr == nil || jr.Records != 300 || stored != jr.Records || jr.RecordsTotal != int64(valid) {
		t.Fatalf("after the cut: status %s, job %+v, %d records stored; want submitting, 300 records in the job and stored, %d in all", imp.Status, jr, stored, valid)
	}

	// the next process on the data dir
	next := New(db, dir, nil)
	next.BatchRows, next.SubmitTxRows = 10, 100
	completions := 0
	next.OnSubmit(func(ctx context.Context, tx *store.Tx, imp Import) error { completions++; return nil })
	p, err := next.Progress(context.Background(), slug)
	if err != nil || p.Phase != "submitting" || p.Records != 300 || p.RecordsTotal != int64(valid) || p.Done {
		t.Fatalf("progress before the resume: %+v, %v", p, err)
	}
	got, err := next.Recover(context.Background())
	if err != nil || len(got) != 1 || got[0].Import != slug || got[0].Status != StatusCompleted {
		t.Fatalf("recover: %+v, %v", got, err)
	}
	if completions != 1 {
		t.Fatalf("%d completions, want 1", completions)
	}
	imp, _ = next.loadImport(context.Background(), db.Read, slug)
	if imp.RecordCount != int64(valid) {
		t.Fatalf("record_count %d, want %d", imp.RecordCount, valid)
	}
	if jr, _ := next.loadJobRow(context.Background(), imp.ID); jr != nil {
		t.Fatalf("the job is left: %+v", jr)
	}
	var want []int
	for i := 1; i <= 1000; i++ {
		if i%7 != 0 {
			want = append(want, i)
		}
	}
	k := 0
	err = next.StreamRecords(context.Background(), slug, func(r Record) error {
		var d struct {
			N int `json:"n"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return err
		}
		if r.Sort != int64(k+1) || d.N != want[k] {
			return fmt.Errorf("record %d: sort %d, n %d; want sort %d, n %d", k, r.Sort, d.N, k+1, want[k])
		}
		k++
		return nil
	})
	if err != nil || k != valid {
		t.Fatalf("records: %d read, %v; want %d", k, err, valid)
	}
	// nothing more to do
	if got, err := next.Recover(context.Background()); err != nil || len(got) != 0 {
		t.Fatalf("a second recover: %+v, %v", got, err)
	}
}

// A job whose process still runs is left alone; one whose process ended,
// or whose lease ran out, is taken over.
func TestJobOwnerGone(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t)
	s := New(db, dir, nil)
	later := store.FormatTime(time.Now().Add(time.Minute))
	past := store.FormatTime(time.Now().Add(-time.Second))
	ppid := os.Getppid() // the test binary's parent runs
	for _, c := range []struct {
		owner, lease string
		gone         bool
	}{
		{s.owner, past, false}, // this process
		{fmt.Sprintf("%d:x", ppid), later, false},
		{fmt.Sprintf("%d:x", ppid), past, true},         // lease ran out
		{fmt.Sprintf("%d:x", os.Getpid()), later, true}, // an earlier process with this pid
		{fmt.Sprintf("%d:x", 1<<22+12345), later, true}, // no such process
		{"", later, true},
	} {
		if got := s.ownerGone(c.owner, c.lease); got != c.gone {
			t.Errorf("ownerGone(%q, %s) = %v, want %v", c.owner, c.lease, got, c.gone)
		}
	}
}

// The end of a staging job does not end a submit that took the job over
// meanwhile (a resumed staging racing the end user's submit).
func TestStageJobEndKeepsASubmitStartedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t)
	s := New(db, dir, nil)
	slug, valid := stagedPeople(t, s, 50)
	ctx := context.Background()
	imp, _ := s.loadImport(ctx, db.Read, slug)
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return s.putJob(ctx, tx, imp.ID, false, "", "") }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.beginSubmit(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if err := s.dropStageJob(ctx, imp.ID); err != nil {
		t.Fatal(err)
	}
	if jr, _ := s.loadJobRow(ctx, imp.ID); jr == nil || !jr.ThenSubmit || jr.RecordsTotal != int64(valid) {
		t.Fatalf("the submit's job: %+v", jr)
	}
	if err := s.runSubmit(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetImport(ctx, slug); got.Status != StatusCompleted {
		t.Fatalf("status %s", got.Status)
	}
}
