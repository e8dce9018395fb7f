package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Durable jobs: a row of importer_jobs exists while a long step of an
// import (a staging the server runs, a submit, a whole `fusebox import`)
// must be carried to its end. Its owner is the process running it; a
// process that starts on the data dir, and the server every
// JobScanInterval, takes over the jobs whose owner is gone (its process
// ended, or its lease ran out) and resumes them: the staging is run
// again, the submit goes on from the last committed batch of records.
// An import whose job cannot be resumed is marked failed with the reason.

const (
	// JobLease is how long a job stays its owner's without a renewal.
	JobLease = 30 * time.Second
	// jobBeat is how often a running job renews its lease.
	jobBeat = 5 * time.Second
	// JobScanInterval is how often the server looks for abandoned jobs.
	JobScanInterval = 15 * time.Second
	// MaxJobAttempts is how many times a job is taken over before the
	// import is marked failed instead (a file that stops every process
	// that reads it does not stop every restart).
	MaxJobAttempts = 3
)

// Interrupted is the start of the reason an import fails with when a
// stopped process left it and it could not be resumed.
const Interrupted = "interrupted"

// newOwner names this process in importer_jobs.owner: pid:token, and on
// a team server pid:token@host (host names the machine, or container,
// whose process ids the pid is of).
func newOwner(host string) string {
	o := strconv.Itoa(os.Getpid()) + ":" + ids.New("")
	if host != "" {
		o += "@" + host
	}
	return o
}

// jobRow is one row of importer_jobs.
type jobRow struct {
	ImportID     int64
	ThenSubmit   bool
	SourcePath   string
	Mapping      string
	Owner        string
	LeaseUntil   string
	Attempts     int
	LastRow      int64
	Records      int64
	RecordsTotal int64
}

const jobColumns = `import_id, then_submit, source_path, mapping, owner, lease_until, attempts, last_row, records, records_total`

func scanJob(sc scanner) (*jobRow, error) {
	var j jobRow
	var then int64
	err := sc.Scan(&j.ImportID, &then, &j.SourcePath, &j.Mapping, &j.Owner, &j.LeaseUntil, &j.Attempts, &j.LastRow, &j.Records, &j.RecordsTotal)
	j.ThenSubmit = then != 0
	return &j, err
}

func (s *Service) loadJobRow(ctx context.Context, id int64) (*jobRow, error) {
	j, err := scanJob(s.db.Read.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM importer_jobs WHERE import_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read job of import %d: %w", id, err)
	}
	return j, nil
}

func leaseFrom(now time.Time) string { return store.FormatTime(now.Add(JobLease)) }

// putJob records (or takes over, in this process) the job of an import.
func (s *Service) putJob(ctx context.Context, tx *store.Tx, id int64, thenSubmit bool, source, mapping string) error {
	now := time.Now()
	then := 0
	if thenSubmit {
		then = 1
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO importer_jobs (import_id, then_submit, source_path, mapping, owner, lease_until, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (import_id) DO UPDATE SET then_submit = CASE WHEN excluded.then_submit = 1 THEN 1 ELSE importer_jobs.then_submit END,
			owner = excluded.owner, lease_until = excluded.lease_until, updated_at = excluded.updated_at`,
		id, then, source, mapping, s.owner, leaseFrom(now), store.FormatTime(now), store.FormatTime(now))
	if err != nil {
		return fmt.Errorf("record the job of import %d: %w", id, err)
	}
	return nil
}

// putSubmitJob records the submit of an import, records from the start.
func (s *Service) putSubmitJob(ctx context.Context, tx *store.Tx, id, total int64) error {
	if err := s.putJob(ctx, tx, id, true, "", ""); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE importer_jobs SET last_row = 0, records = 0, records_total = ? WHERE import_id = ?`, total, id)
	return err
}

// advanceJob moves a submit's position with the records the transaction
// adds; ECONFLICT when another process has taken the job over.
func (s *Service) advanceJob(ctx context.Context, tx *store.Tx, id, lastRow, records int64) error {
	now := time.Now()
	res, err := tx.ExecContext(ctx, `UPDATE importer_jobs SET last_row = ?, records = ?, lease_until = ?, updated_at = ? WHERE import_id = ? AND owner = ?`,
		lastRow, records, leaseFrom(now), store.FormatTime(now), id, s.owner)
	if err != nil {
		return fmt.Errorf("advance the job of import %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.Conflict("the submit of import %d was taken over by another process", id)
	}
	return nil
}

// dropJob ends the job of an import (this process's, or one nobody runs).
func (s *Service) dropJob(ctx context.Context, id int64) error {
	ctx = context.WithoutCancel(ctx) // the job's row goes also when the request ends
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM importer_jobs WHERE import_id = ?`, id)
		return err
	})
}

// dropStageJob ends a job that brings its import to review, unless a
// submit has taken it over since (then_submit set).
func (s *Service) dropStageJob(ctx context.Context, id int64) error {
	ctx = context.WithoutCancel(ctx) // the job's row goes also when the request ends
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM importer_jobs WHERE import_id = ? AND then_submit = 0`, id)
		return err
	})
}

// heartbeat renews this process's lease on a job until the returned
// function is called.
func (s *Service) heartbeat(id int64) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(jobBeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				now := time.Now()
				err := s.db.Tx(context.Background(), func(tx *store.Tx) error {
					_, err := tx.ExecContext(context.Background(), `UPDATE importer_jobs SET lease_until = ? WHERE import_id = ? AND owner = ?`,
						leaseFrom(now), id, s.owner)
					return err
				})
				if err != nil {
					s.log.Warn("renew import job lease", "import_id", id, "err", err)
				}
			}
		}
	}()
	return func() { close(done) }
}

// ownerGone reports whether the process named in a job row no longer
// runs it: another process (not this one) that has ended, or whose lease
// ran out.
func (s *Service) ownerGone(owner, leaseUntil string) bool {
	if owner == s.owner {
		return false
	}
	if _, host, ok := strings.Cut(owner, "@"); ok && host != s.host {
		// A replica of a team server on another machine or container
		// (often all pid 1 of their containers): its pid says nothing
		// here, only the lease says it has stopped.
		lease, err := store.ParseTime(leaseUntil)
		return err != nil || time.Now().After(lease)
	}
	owner, _, _ = strings.Cut(owner, "@")
	pidText, _, _ := strings.Cut(owner, ":")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid == os.Getpid() {
		return true // not a process, or an earlier one with this pid
	}
	if lease, err := store.ParseTime(leaseUntil); err != nil || time.Now().After(lease) {
		return true
	}
	return !processAlive(pid)
}

// claim takes over the job of an import when its owner is gone; it
// returns the job, taken, or nil. On PostgreSQL the job's row is locked
// for the claim, and one another replica is claiming is skipped.
func (s *Service) claim(ctx context.Context, id int64) (*jobRow, error) {
	var out *jobRow
	forUpdate := ""
	if s.db.Engine() == store.Postgres {
		forUpdate = " FOR UPDATE SKIP LOCKED"
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM importer_jobs WHERE import_id = ?`+forUpdate, id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if !s.ownerGone(j.Owner, j.LeaseUntil) {
			return nil
		}
		now := time.Now()
		j.Owner, j.LeaseUntil, j.Attempts = s.owner, leaseFrom(now), j.Attempts+1
		_, err = tx.ExecContext(ctx, `UPDATE importer_jobs SET owner = ?, lease_until = ?, attempts = ?, updated_at = ? WHERE import_id = ?`,
			j.Owner, j.LeaseUntil, j.Attempts, store.FormatTime(now), id)
		out = j
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("take over the job of import %d: %w", id, err)
	}
	return out, nil
}

// jobProgress is the progress of an import whose job runs in another
// process or waits to be resumed (ok false when it has no job).
func (s *Service) jobProgress(ctx context.Context, imp *Import) (Progress, bool, error) {
	j, err := s.loadJobRow(ctx, imp.ID)
	if err != nil || j == nil {
		return Progress{}, false, err
	}
	p := Progress{Phase: "waiting", StartedAt: imp.UpdatedAt, BytesRead: imp.FileSize, BytesTotal: imp.FileSize, Rows: imp.RowCount}
	switch imp.Step {
	case StepStaging:
		p.Phase = "staging"
	case StepSubmitting:
		p.Phase, p.Rows, p.BytesTotal = "submitting", j.Records, j.RecordsTotal
		p.Records, p.RecordsTotal = j.Records, j.RecordsTotal
	}
	return p, true, nil
}

func (s *Service) jobsContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobsCtx != nil {
		return s.jobsCtx
	}
	return context.Background()
}

// RunJobs is the server's background worker for durable jobs: it resumes
// the jobs left by stopped processes now and every JobScanInterval, and
// runs the submits StartSubmit starts, until ctx ends; then it waits for
// them to stop (they stay recorded, to be resumed by the next start).
func (s *Service) RunJobs(ctx context.Context) {
	s.mu.Lock()
	s.jobsCtx = ctx
	s.mu.Unlock()
	t := time.NewTicker(JobScanInterval)
	defer t.Stop()
	for {
		if _, err := s.Recover(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("resume import jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			s.jobsWG.Wait()
			return
		case <-t.C:
		}
	}
}

// Recovered is one import Recover carried on.
type Recovered struct {
	Import string `json:"import"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Recover resumes every job whose owner is gone, one after the other, to
// its end (or marks its import failed with the reason), and moves imports
// a process of an earlier version left in a running step without a job
// (staging back to mapping, a submit to failed). It returns what it did.
func (s *Service) Recover(ctx context.Context) ([]Recovered, error) {
	var out []Recovered
	if err := s.recoverOrphans(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT j.import_id, i.slug, j.owner, j.lease_until FROM importer_jobs j
		JOIN importer_imports i ON i.id = j.import_id ORDER BY j.import_id`)
	if err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	type cand struct {
		id          int64
		slug        string
		owner, pass string
	}
	var cands []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.id, &c.slug, &c.owner, &c.pass); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list import jobs: %w", err)
		}
		if s.ownerGone(c.owner, c.pass) {
			cands = append(cands, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	for _, c := range cands {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		j, err := s.claim(ctx, c.id)
		if err != nil {
			return out, err
		}
		if j == nil {
			continue
		}
		s.log.Info("resuming an interrupted import", "import", c.slug, "attempt", j.Attempts)
		r := Recovered{Import: c.slug}
		if err := s.resume(ctx, c.slug, j); err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			r.Reason = errs.Message(err)
			if errs.Code(err) == errs.EINTERNAL {
				s.log.Error("resume import", "import", c.slug, "err", err)
				r.Reason = "internal error"
			}
			s.failJob(ctx, c.slug, Interrupted+": the process stopped and the import could not be resumed: "+r.Reason)
		}
		if imp, err := s.loadImport(ctx, s.db.Read, c.slug); err == nil {
			r.Status, r.Reason = imp.Status, imp.FailureReason
		}
		out = append(out, r)
	}
	return out, nil
}

// resume carries a claimed job to its end: what is left of upload,
// mapping, staging and submit, from the import's stored step.
func (s *Service) resume(ctx context.Context, slug string, j *jobRow) error {
	if j.Attempts > MaxJobAttempts {
		return errs.Unavailable("it stopped %d times while this import ran", j.Attempts-1)
	}
	s.removePartFiles(slug)
	_, err := s.drive(ctx, slug, j, false, nil)
	return err
}

// drive carries an import whose job this process owns forward from its
// stored step: upload from the job's source file, mapping, staging and,
// when the job says so, submit. With stopAtReview it stops at the review
// (the job stays). It reports whether it ran a staging.
func (s *Service) drive(ctx context.Context, slug string, j *jobRow, stopAtReview bool, onStep func(phase string)) (staged bool, err error) {
	if onStep == nil {
		onStep = func(string) {}
	}
	if imp, err := s.loadImport(ctx, s.db.Read, slug); err == nil {
		stopBeat := s.heartbeat(imp.ID) // the lease holds however long a step takes
		defer stopBeat()
	}
	for range 8 {
		imp, err := s.loadImport(ctx, s.db.Read, slug)
		if err != nil {
			return staged, err
		}
		switch {
		case imp.Status == StatusCompleted, imp.Status == StatusFailed && imp.Step != StepReview && imp.Step != StepCreated:
			return staged, s.dropJob(ctx, imp.ID)
		case imp.Status == StatusSubmitted || imp.Step == StepSubmitting:
			onStep("submitting")
			return staged, s.runSubmit(ctx, slug)
		case imp.Step == StepReview:
			if stopAtReview {
				return staged, nil
			}
			if !j.ThenSubmit {
				// a submit started meanwhile has made the job its own
				return staged, s.dropStageJob(ctx, imp.ID)
			}
			if _, err := s.beginSubmit(ctx, slug); err != nil {
				return staged, err
			}
		case imp.Step == StepUploaded || imp.Step == StepStaging:
			if imp.Mapping == nil || imp.Step == StepUploaded && j.ThenSubmit && j.Mapping != "" {
				if err := s.confirmFor(ctx, slug, j.Mapping); err != nil {
					return staged, err
				}
			}
			onStep("staging")
			if err := s.runStage(ctx, slug, newJob("staging", 0)); err != nil {
				return staged, err
			}
			staged = true
		case imp.Step == StepCreated:
			if j.SourcePath == "" {
				return staged, errs.Conflict("the file was not received whole; upload it again")
			}
			f, err := os.Open(j.SourcePath)
			if err != nil {
				return staged, errs.Invalid("the file %s can no longer be read (%v); upload it again", j.SourcePath, err)
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return staged, errs.Invalid("the file %s can no longer be read (%v); upload it again", j.SourcePath, err)
			}
			onStep("uploading")
			_, err = s.Upload(ctx, slug, f, filepathBase(j.SourcePath), st.Size())
			f.Close()
			if err != nil {
				return staged, err
			}
		default:
			return staged, errs.Conflict("import %s is %s at step %s", slug, imp.Status, imp.Step)
		}
	}
	return staged, fmt.Errorf("import %s: its job does not move on", slug)
}

// confirmFor confirms the job's mapping (JSON), or the suggested one.
func (s *Service) confirmFor(ctx context.Context, slug, mapping string) error {
	var m *schema.Mapping
	if mapping != "" {
		m = &schema.Mapping{}
		if err := json.Unmarshal([]byte(mapping), m); err != nil {
			return fmt.Errorf("the job's mapping: %w", err)
		}
	} else {
		auto, err := s.suggestedMapping(ctx, slug)
		if err != nil {
			return err
		}
		m = auto
	}
	return s.ConfirmMapping(ctx, slug, *m)
}

// suggestedMapping is the mapping a file import uses when given none:
// the suggestions, with the suggested enum values.
func (s *Service) suggestedMapping(ctx context.Context, slug string) (*schema.Mapping, error) {
	mv, err := s.GetMapping(ctx, slug)
	if err != nil {
		return nil, err
	}
	auto := mv.Suggestions.Mapping()
	for key, vs := range mv.Values {
		for _, v := range vs {
			if v.To != "" && v.Source != "exact" {
				if auto.Values == nil {
					auto.Values = map[string]map[string]string{}
				}
				if auto.Values[key] == nil {
					auto.Values[key] = map[string]string{}
				}
				auto.Values[key][v.From] = v.To
			}
		}
	}
	return &auto, nil
}

// failJob marks an import whose job could not be resumed failed with
// reason: no records, back to the step a retry starts from (a new upload,
// the mapping, or the review, from which submit runs again), the job gone.
func (s *Service) failJob(ctx context.Context, slug, reason string) {
	ctx = context.WithoutCancel(ctx)
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		s.log.Error("mark import failed", "import", slug, "err", err)
		return
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		s.log.Error("mark import failed", "import", slug, "err", err)
		return
	}
	defer unlock()
	step := imp.Step
	switch step {
	case StepStaging:
		step = StepUploaded
	case StepSubmitting, StepDone:
		step = StepReview
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if imp.Step == StepStaging {
			if err := clearStaged(ctx, tx, imp.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET row_count = 0, max_row = 0, error_rows = 0, warning_rows = 0, version = version + 1 WHERE id = ?`, imp.ID); err != nil {
				return err
			}
		}
		for _, q := range []string{`DELETE FROM importer_records WHERE import_id = ?`, `DELETE FROM importer_jobs WHERE import_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, imp.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = ?, record_count = 0, updated_at = ? WHERE id = ?`,
			StatusFailed, step, reason, nowString(), imp.ID)
		return err
	})
	if err != nil {
		s.log.Error("mark import failed", "import", slug, "err", err)
		return
	}
	s.dropUniq(imp.ID)
	s.mu.Lock()
	if j := s.jobs[imp.ID]; j != nil && !j.done.Load() {
		j.finish(errs.Unavailable("%s", reason))
	}
	s.mu.Unlock()
	s.statusChanged(ctx, slug, StatusFailed)
}

// recoverOrphans moves imports left in a running step with no job (by a
// process of an earlier version, or one that stopped between the two) as
// recoverInterrupted does.
func (s *Service) recoverOrphans(ctx context.Context) error {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT i.slug FROM importer_imports i WHERE i.step IN (?, ?)
		AND NOT EXISTS (SELECT 1 FROM importer_jobs j WHERE j.import_id = i.id)`, StepStaging, StepSubmitting)
	if err != nil {
		return fmt.Errorf("find interrupted imports: %w", err)
	}
	var slugs []string
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			rows.Close()
			return fmt.Errorf("find interrupted imports: %w", err)
		}
		slugs = append(slugs, slug)
	}
	rows.Close()
	for _, slug := range slugs {
		imp, err := s.loadImport(ctx, s.db.Read, slug)
		if err != nil {
			continue
		}
		if s.running(imp.ID) {
			continue
		}
		unlock, err := s.lock(ctx, imp.ID)
		if err != nil {
			return err
		}
		imp, err = s.loadImport(ctx, s.db.Read, slug)
		if err == nil {
			_, err = s.recoverInterrupted(ctx, imp)
		}
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// removePartFiles deletes what an upload cut short left in the import's
// upload dir.
func (s *Service) removePartFiles(slug string) {
	parts, _ := filepath.Glob(filepath.Join(s.uploadDir(slug), "upload-*.part"))
	for _, p := range parts {
		os.Remove(p)
	}
}

// removeStalePartFiles deletes the partial uploads older than a day
// (cut short by a process that stopped; a running upload writes its file
// all the time).
func (s *Service) removeStalePartFiles() {
	parts, _ := filepath.Glob(filepath.Join(s.dataDir, "uploads", "*", "upload-*.part"))
	// and the bytes kept of resumable uploads not resumed for a day
	resumable, _ := filepath.Glob(filepath.Join(s.dataDir, "uploads", "*", "resume-*.part"))
	for _, p := range append(parts, resumable...) {
		if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			os.Remove(p)
		}
	}
}

// putStageJob records the staging StartStaging runs as this process's
// job (bringing the import to review); it returns the import's id.
func (s *Service) putStageJob(ctx context.Context, slug string) (int64, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return 0, err
	}
	return imp.ID, s.db.Tx(ctx, func(tx *store.Tx) error { return s.putJob(ctx, tx, imp.ID, false, "", "") })
}

// endStageJob ends a staging job of this process once the staging
// stopped (the import is in review, or back at the mapping with the
// reason); a job that goes on to a submit is left alone.
func (s *Service) endStageJob(ctx context.Context, id int64) {
	ctx = context.WithoutCancel(ctx)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM importer_jobs WHERE import_id = ? AND owner = ? AND then_submit = 0
			AND (SELECT step FROM importer_imports WHERE id = ?) != ?`, id, s.owner, id, StepStaging)
		return err
	})
	if err != nil {
		s.log.Error("end staging job", "import_id", id, "err", err)
	}
}
