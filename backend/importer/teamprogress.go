package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"fusebox/backend/store"
)

// On a team server (PostgreSQL, several replicas) the progress of a long
// step is kept in importer_progress as well as in the memory of the
// replica running it, so that a progress poll, an event stream or a Wait
// served by another replica sees it; each write is announced on
// progressChannel (NOTIFY), which the replicas with followers listen on
// (follow.go).

// progressChannel is the NOTIFY channel of stored progress; the payload is
// the import's id.
const progressChannel = "fusebox_import_progress"

// progressEvery is how often a running step's progress is stored at most.
const progressEvery = 250 * time.Millisecond

// team reports whether the service runs as a replica of a team server.
func (s *Service) team() bool { return s.db.Engine() == store.Postgres }

// publish makes j's progress known while it runs, at most every
// progressEvery and when it changed, then once more when it ends, before
// the step returns: on a team server it stores it for the other replicas
// (which announces it); on either engine it wakes this process's
// followers (follow.go).
func (s *Service) publish(id int64, j *job) {
	if !j.published.CompareAndSwap(false, true) {
		return // a step registered twice (StartStaging, then runStage)
	}
	var mu sync.Mutex // one write at a time, the final one last
	var last Progress
	final := false
	write := func(end bool) {
		mu.Lock()
		defer mu.Unlock()
		if final {
			return
		}
		final = end
		p := j.snapshot()
		if p.Phase == last.Phase && p.BytesRead == last.BytesRead && p.Rows == last.Rows && p.Done == last.Done && p.Error == last.Error && p.BytesTotal == last.BytesTotal {
			return
		}
		if s.team() {
			if err := s.storeProgress(id, j, p); err != nil {
				s.log.Warn("store import progress", "import_id", id, "err", err)
				return
			}
		}
		last = p
		s.hub.wake(id)
		if s.team() && s.afterProgress != nil {
			s.afterProgress(p)
		}
	}
	onDone := func() { write(true) }
	j.onDone.Store(&onDone)
	if j.done.Load() {
		write(true) // finished before it was published
		return
	}
	// the first write before the caller goes on: a request that started
	// the step (the mapping's 202) is answered once another replica reads
	// this step's progress, not the previous step's end
	write(false)
	go func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-j.doneCh:
				return
			case <-t.C:
				write(false)
			}
		}
	}()
}

// storeProgress writes p, the progress of job j of import id, unless the
// row already holds a later step's, and announces it.
func (s *Service) storeProgress(id int64, j *job, p Progress) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.db.Write.ExecContext(ctx, `INSERT INTO importer_progress (import_id, owner, progress, started_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (import_id) DO UPDATE SET owner = excluded.owner, progress = excluded.progress, started_at = excluded.started_at, updated_at = excluded.updated_at
		WHERE importer_progress.started_at <= excluded.started_at`,
		id, s.owner, string(body), store.FormatTime(j.started), nowString())
	if err != nil {
		return fmt.Errorf("store the progress of import %d: %w", id, err)
	}
	return s.db.Notify(ctx, progressChannel, strconv.FormatInt(id, 10))
}

// storedProgress is the progress another replica stored for import id;
// ok is false when there is none, or when it is of a step still running
// whose replica stopped writing it (then the job row tells more).
func (s *Service) storedProgress(ctx context.Context, id int64) (p Progress, ok bool, err error) {
	var body, updated string
	err = s.db.Read.QueryRowContext(ctx, `SELECT progress, updated_at FROM importer_progress WHERE import_id = ?`, id).Scan(&body, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Progress{}, false, nil
	}
	if err != nil {
		return Progress{}, false, fmt.Errorf("read the progress of import %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return Progress{}, false, fmt.Errorf("read the progress of import %d: %w", id, err)
	}
	if !p.Done {
		if time.Since(parseTime(updated)) > JobLease {
			return Progress{}, false, nil
		}
		p.ElapsedMS = time.Since(p.StartedAt).Milliseconds()
	}
	return p, true, nil
}

// waitStored waits until the step another replica runs on import id
// ends (its stored progress is done, or no longer kept up) or ctx ends.
// It sleeps until the import's progress is announced (follow.go), looking
// again at least every JobLease, for a replica that stopped without one.
func (s *Service) waitStored(ctx context.Context, id int64) error {
	wake, stop := s.follow(id)
	defer stop()
	t := time.NewTicker(JobLease)
	defer t.Stop()
	for {
		p, ok, err := s.storedProgress(ctx, id)
		if err != nil {
			return err
		}
		if !ok || p.Done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
	}
}

// storeStaged writes st, what staging job j of import id has committed
// once tx commits, into the import's progress row, in tx, and announces
// it when tx commits: a replica reading the review of an import still
// staging elsewhere counts only rows that are stored. On SQLite (one
// process, which reads j) it does nothing.
func (s *Service) storeStaged(ctx context.Context, tx *store.Tx, id int64, j *job, st stagedSoFar) error {
	if !s.team() {
		return nil
	}
	body, err := json.Marshal(j.snapshot())
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO importer_progress (import_id, owner, progress, started_at, updated_at,
			staged_rows, staged_max_row, staged_error_rows, staged_warning_rows, staged_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (import_id) DO UPDATE SET staged_rows = excluded.staged_rows, staged_max_row = excluded.staged_max_row,
			staged_error_rows = excluded.staged_error_rows, staged_warning_rows = excluded.staged_warning_rows, staged_bytes = excluded.staged_bytes
		WHERE importer_progress.started_at <= excluded.started_at`,
		id, s.owner, string(body), store.FormatTime(j.started), nowString(), st.Rows, st.MaxRow, st.ErrorRows, st.WarningRows, st.Bytes)
	if err != nil {
		return fmt.Errorf("store the staged rows of import %d: %w", id, err)
	}
	return tx.Notify(ctx, progressChannel, strconv.FormatInt(id, 10))
}

// storedStaged is what the staging run of import id, on whichever
// replica, has committed so far: nothing when the import is not staging
// (any more) or its run has committed nothing yet.
func (s *Service) storedStaged(ctx context.Context, id int64) (*stagedSoFar, error) {
	var st stagedSoFar
	err := s.db.Read.QueryRowContext(ctx, `SELECT p.staged_rows, p.staged_max_row, p.staged_error_rows, p.staged_warning_rows, p.staged_bytes
		FROM importer_progress p JOIN importer_imports i ON i.id = p.import_id WHERE p.import_id = ? AND i.step = ?`, id, StepStaging).
		Scan(&st.Rows, &st.MaxRow, &st.ErrorRows, &st.WarningRows, &st.Bytes)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read the staged rows of import %d: %w", id, err)
	}
	return &st, nil
}
