package importer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/schema"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// replicas opens n services on one PostgreSQL database, each with a data
// dir of its own (the replicas of a team server on different machines).
// Team mode is PostgreSQL only: the test is skipped in a SQLite run.
func replicas(t *testing.T, n int) []*Service {
	t.Helper()
	storetest.PostgresOnly(t)
	url, _ := storetest.Location(t)
	var out []*Service
	for i := range n {
		db, err := store.OpenDatabase(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s := New(db, t.TempDir(), nil)
		// on machines of their own (the test runs them in one process)
		s.host = fmt.Sprintf("replica-%d", i)
		s.owner = newOwner(s.host)
		out = append(out, s)
	}
	return out
}

// peopleCSV is a file of n people (every 7th with a bad email) and the
// number of valid rows.
func peopleCSV(n int) (string, int) {
	var b strings.Builder
	b.WriteString("Email,N\n")
	valid := 0
	for i := 1; i <= n; i++ {
		if i%7 == 0 {
			fmt.Fprintf(&b, "broken-%d,%d\n", i, i)
			continue
		}
		valid++
		fmt.Fprintf(&b, "p%d@example.com,%d\n", i, i)
	}
	return b.String(), valid
}

func savePeople(t *testing.T, svc *Service) {
	t.Helper()
	def := &schema.Importer{Slug: "people", Name: "People", Settings: schema.Settings{InvalidRows: schema.InvalidRowsExclude}, Columns: []schema.Column{
		{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true},
		{Key: "n", Label: "N", Type: schema.TypeInteger},
	}}
	if _, err := svc.SaveImporter(context.Background(), def); err != nil {
		t.Fatal(err)
	}
}

// uploadPeople creates an import of people through svc and uploads file.
func uploadPeople(t *testing.T, svc *Service, file string) string {
	t.Helper()
	ctx := context.Background()
	savePeople(t, svc)
	imp, err := svc.CreateImport(ctx, Actor{Admin: true}, "people")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, imp.Slug, strings.NewReader(file), "people.csv", int64(len(file))); err != nil {
		t.Fatal(err)
	}
	return imp.Slug
}

// mapPeople confirms the suggested mapping of a people import through svc.
func mapPeople(t *testing.T, svc *Service, slug string) {
	t.Helper()
	ctx := context.Background()
	m, err := svc.suggestedMapping(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ConfirmMapping(ctx, slug, *m); err != nil {
		t.Fatal(err)
	}
}

func countWhere(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A file uploaded through one replica is previewed, mapped, staged,
// reviewed and downloaded through another, whose disk never had it (the
// first replica's data dir is gone); deleting the import deletes it.
func TestTeamUploadThroughOneReplicaStagedThroughTheOther(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	// bigger than one stored chunk, so the file is kept in several
	file, valid := peopleCSV(120_000)
	if len(file) < 2*uploadChunkBytes {
		t.Fatalf("the file is %d bytes, want more than two chunks", len(file))
	}
	slug := uploadPeople(t, a, file)
	if err := os.RemoveAll(a.dataDir); err != nil {
		t.Fatal(err)
	}

	pv, err := b.GetPreview(ctx, slug)
	if err != nil {
		t.Fatalf("preview through the other replica: %v", err)
	}
	if len(pv.Rows) == 0 || pv.Headers[0] != "Email" {
		t.Fatalf("preview: %+v", pv)
	}
	mapPeople(t, b, slug)
	if err := b.Stage(ctx, slug); err != nil {
		t.Fatalf("stage through the other replica: %v", err)
	}
	page, err := b.Rows(ctx, slug, RowQuery{Filter: "errors"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != int64(120_000-valid) {
		t.Fatalf("rows with errors: %d, want %d", page.Total, 120_000-valid)
	}
	f, _, err := b.OriginalFile(ctx, slug)
	if err != nil {
		t.Fatalf("original through the other replica: %v", err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, []byte(file)) {
		t.Fatalf("original through the other replica: %d bytes (%v), want the %d uploaded", len(got), err, len(file))
	}

	if err := a.DeleteImport(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(t, a.db, `SELECT count(*) FROM importer_upload_chunks`); n != 0 {
		t.Fatalf("%d chunks left after the import was deleted", n)
	}
	if n := countWhere(t, a.db, `SELECT count(*) FROM importer_uploads`); n != 0 {
		t.Fatalf("%d uploads left after the import was deleted", n)
	}
}

// failingReader gives n bytes of r, then fails, as a connection that drops.
type failingReader struct {
	r io.Reader
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// An upload cut short keeps nothing in the database; one a stopped
// replica left half written is removed by the clean-up worker once it is
// a day old, and a new upload replaces the previous file's chunks.
func TestTeamPartialUploadsAreRemoved(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	file, _ := peopleCSV(120_000)
	slug := uploadPeople(t, a, file)
	chunks := countWhere(t, a.db, `SELECT count(*) FROM importer_upload_chunks`)
	if chunks < 2 {
		t.Fatalf("%d chunks stored for a %d byte file", chunks, len(file))
	}

	// cut after a chunk and a half: the import keeps its first file
	_, err := b.Upload(ctx, slug, &failingReader{r: strings.NewReader(file), n: uploadChunkBytes * 3 / 2}, "people.csv", int64(len(file)))
	if err == nil {
		t.Fatal("a cut upload succeeded")
	}
	if n := countWhere(t, a.db, `SELECT count(*) FROM importer_upload_chunks`); n != chunks {
		t.Fatalf("%d chunks after a cut upload, want the first file's %d", n, chunks)
	}
	if _, err := b.GetPreview(ctx, slug); err != nil {
		t.Fatalf("the first file after a cut upload: %v", err)
	}

	// a replica stopped while receiving: its chunks stay until the clean-up
	var id int64
	if err := a.db.Read.QueryRowContext(ctx, `SELECT id FROM importer_imports WHERE slug = ?`, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	old := store.FormatTime(time.Now().Add(-25 * time.Hour))
	err = a.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO importer_uploads (upload_id, import_id, name, size, sha256, complete, created_at, updated_at)
			VALUES ('up_dead', ?, 'x.csv', 0, '', 0, ?, ?)`, id, old, old); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO importer_upload_chunks (upload_id, import_id, seq, data) VALUES ('up_dead', ?, 0, ?)`, id, []byte("Email\n"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CleanupAbandoned(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(t, a.db, `SELECT count(*) FROM importer_uploads WHERE upload_id = 'up_dead'`); n != 0 {
		t.Fatal("the clean-up left a stale partial upload")
	}
	if n := countWhere(t, a.db, `SELECT count(*) FROM importer_upload_chunks`); n != chunks {
		t.Fatalf("%d chunks after the clean-up, want the import's file's %d", n, chunks)
	}

	// a second upload replaces the first file's chunks
	small := "Email,N\na@example.com,1\n"
	if _, err := b.Upload(ctx, slug, strings.NewReader(small), "people.csv", int64(len(small))); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(t, a.db, `SELECT count(*) FROM importer_upload_chunks`); n != 1 {
		t.Fatalf("%d chunks after a new upload, want its 1", n)
	}
}

// The progress of a staging run by one replica is read from another, and
// the other's Wait returns when the staging ends.
func TestTeamStagingProgressReadFromTheOtherReplica(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	file, valid := peopleCSV(5_000)
	slug := uploadPeople(t, a, file)
	mapPeople(t, a, slug)

	// the first progress a stores (the staging has started) is held
	// there until b has read it
	seen := make(chan Progress, 1)
	release := make(chan struct{})
	var once sync.Once
	a.afterProgress = func(p Progress) {
		if p.Phase == "staging" && !p.Done {
			once.Do(func() {
				seen <- p
				<-release
			})
		}
	}
	go a.StartStaging(slug) // it returns once its first progress is stored: held here
	<-seen
	p, err := b.Progress(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if p.Phase != "staging" || p.Done || p.BytesTotal != int64(len(file)) {
		t.Fatalf("progress read from the other replica: %+v", p)
	}
	close(release)

	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	p, err = b.Wait(wctx, slug)
	if err != nil {
		t.Fatalf("wait through the other replica: %v", err)
	}
	if !p.Done || p.Phase != "done" || p.Rows != 5_000 {
		t.Fatalf("final progress read from the other replica: %+v (valid %d)", p, valid)
	}
	a.jobsWG.Wait()
}

// A job whose replica is alive (its lease runs) is left to it; once the
// lease has run out (the replica died) another replica takes it over and
// finishes it, and of two replicas looking at once only one does.
func TestTeamExpiredLeaseIsTakenOverByAnotherReplica(t *testing.T) {
	rs := replicas(t, 3)
	a, b, c := rs[0], rs[1], rs[2]
	ctx := context.Background()
	file, _ := peopleCSV(2_000)
	slug := uploadPeople(t, a, file)
	mapPeople(t, a, slug)
	var id int64
	if err := a.db.Read.QueryRowContext(ctx, `SELECT id FROM importer_imports WHERE slug = ?`, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	// a is staging it (as far as the database knows)
	err := a.db.Tx(ctx, func(tx *store.Tx) error {
		if err := a.putJob(ctx, tx, id, false, "", ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET step = ? WHERE id = ?`, StepStaging, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(a.dataDir); err != nil {
		t.Fatal(err)
	}

	got, err := b.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a job under a running lease was taken over: %+v", got)
	}

	// a dies: its lease runs out
	if _, err := a.db.Write.ExecContext(ctx, `UPDATE importer_jobs SET lease_until = ? WHERE import_id = ?`,
		store.FormatTime(time.Now().Add(-time.Second)), id); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]Recovered, 2)
	for i, r := range []*Service{b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.Recover(ctx)
			if err != nil {
				t.Error(err)
			}
			results[i] = out
		}()
	}
	wg.Wait()
	if n := len(results[0]) + len(results[1]); n != 1 {
		t.Fatalf("the job was resumed %d times: %+v", n, results)
	}
	imp, err := b.loadImport(ctx, b.db.Read, slug)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Step != StepReview || imp.RowCount != 2_000 {
		t.Fatalf("after the takeover the import is at %s with %d rows", imp.Step, imp.RowCount)
	}
	if n := countWhere(t, b.db, `SELECT count(*) FROM importer_jobs`); n != 0 {
		t.Fatalf("%d jobs left after the takeover finished", n)
	}
}

// Two replicas taking the same import's lock: the second waits until the
// first lets it go.
func TestTeamImportLockHoldsAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	slug := uploadPeople(t, a, "Email,N\na@example.com,1\n")
	imp, err := a.loadImport(ctx, a.db.Read, slug)
	if err != nil {
		t.Fatal(err)
	}
	unlockA, err := a.lock(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		unlockB, err := b.lock(ctx, imp.ID)
		if err == nil {
			unlockB()
		}
		got <- err
	}()
	// b is seen waiting for the lock in the database, not holding it
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		select {
		case err := <-got:
			t.Fatalf("b took the import's lock while a held it (err %v)", err)
		default:
		}
		var waiting int
		if err := a.db.Read.QueryRowContext(wctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatalf("b never waited for the lock: %v", err)
		}
		if waiting == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	unlockA()
	if err := <-got; err != nil {
		t.Fatalf("b's lock after a let it go: %v", err)
	}
}

// holdStaging makes svc's staging stop after its first committed
// transaction until release is called; the returned channel gives what
// that transaction committed.
func holdStaging(t *testing.T, svc *Service) (first <-chan stagedSoFar, release func()) {
	t.Helper()
	seen := make(chan stagedSoFar, 1)
	held := make(chan struct{})
	var once, freed sync.Once
	svc.afterStaged = func(st stagedSoFar) {
		once.Do(func() {
			seen <- st
			<-held
		})
	}
	release = func() { freed.Do(func() { close(held) }) }
	t.Cleanup(func() {
		release()
		svc.jobsWG.Wait() // the staging ends before its database closes
	})
	return seen, release
}

// The review of an import still staging on one replica is read through
// another: its first page, its errors-only page and its summary show the
// rows the staging replica has committed (marked partial), and once
// staging ends the other replica shows every row.
func TestTeamReviewWhileStagingFromTheOtherReplica(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	const rows = 50_000
	file, valid := peopleCSV(rows)
	slug := uploadPeople(t, a, file)
	mapPeople(t, a, slug)
	first, release := holdStaging(t, a)
	a.StartStaging(slug)
	st := <-first
	if st.Rows == 0 || st.Rows >= rows {
		t.Fatalf("the first staging transaction committed %+v", st)
	}

	page, err := b.Rows(ctx, slug, RowQuery{})
	if err != nil {
		t.Fatalf("first page through the other replica while staging: %v", err)
	}
	if !page.Partial || page.Total != st.Rows || len(page.Rows) != 100 || page.Rows[0].Row != 1 {
		t.Fatalf("first page through the other replica while staging: partial %v total %d, %d rows; want partial, %d, 100 from row 1",
			page.Partial, page.Total, len(page.Rows), st.Rows)
	}
	errPage, err := b.Rows(ctx, slug, RowQuery{Filter: "errors", Limit: 1000})
	if err != nil {
		t.Fatalf("errors page through the other replica while staging: %v", err)
	}
	if !errPage.Partial || errPage.Total != st.ErrorRows || int64(len(errPage.Rows)) != st.ErrorRows || st.ErrorRows != st.Rows/7 {
		t.Fatalf("errors page through the other replica while staging: total %d, %d rows; want %d (%+v)", errPage.Total, len(errPage.Rows), st.Rows/7, st)
	}
	sum, err := b.Summary(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Partial || sum.Rows != st.Rows || sum.ErrorRows != st.ErrorRows {
		t.Fatalf("summary through the other replica while staging: partial %v rows %d errors %d; want partial, %d, %d", sum.Partial, sum.Rows, sum.ErrorRows, st.Rows, st.ErrorRows)
	}

	release()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if p, err := b.Wait(wctx, slug); err != nil || !p.Done || p.Error != "" {
		t.Fatalf("wait through the other replica: %+v %v", p, err)
	}
	page, err = b.Rows(ctx, slug, RowQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Partial || page.Total != rows {
		t.Fatalf("first page after staging: partial %v total %d, want %d (%d valid)", page.Partial, page.Total, rows, valid)
	}
	a.jobsWG.Wait()
}

// Right after a replica starts staging (the mapping's 202), another
// replica's progress is the staging's, not the previous step's "done": a
// client that follows the import's events through another replica would
// otherwise see the stream end at once, with no rows. Several imports, as
// the old order of writes lost this race only now and then.
func TestTeamProgressRightAfterStagingStartsIsTheStagings(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	file, _ := peopleCSV(20_000)
	for i := range 10 {
		slug := uploadPeople(t, a, file)
		mapPeople(t, a, slug)
		a.StartStaging(slug)
		p, err := b.Progress(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		if p.Done && p.Rows != 20_000 {
			t.Fatalf("import %d: right after the staging started, the other replica reads %+v: the previous step's end", i+1, p)
		}
		a.jobsWG.Wait()
	}
}
