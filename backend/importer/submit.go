package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Submit applies the importer's invalid_rows policy and transformations
// and stores typed records, blocking until the import is completed (or
// failed). It is StartSubmit and the job it starts, run on the caller's
// goroutine. With invalid_rows: block and rows that still have errors it
// refuses (EINVALID) and nothing changes.
func (s *Service) Submit(ctx context.Context, slug string) (Import, error) {
	if _, err := s.beginSubmit(ctx, slug); err != nil {
		return Import{}, err
	}
	if err := s.runSubmit(ctx, slug); err != nil {
		return Import{}, err
	}
	return s.GetImport(ctx, slug)
}

// StartSubmit checks that the import can be submitted, records the submit
// as a durable job (the status moves to submitting in the same
// transaction) and runs it in the background; it returns the import as
// submitting. Progress reports the records written; a process that stops
// half way leaves the job to the next one to start on the data dir
// (Recover), which carries it to its end.
func (s *Service) StartSubmit(ctx context.Context, slug string) (Import, error) {
	imp, err := s.beginSubmit(ctx, slug)
	if err != nil {
		return Import{}, err
	}
	s.jobsWG.Add(1)
	go func() {
		defer s.jobsWG.Done()
		if err := s.runSubmit(s.jobsContext(), slug); err != nil && errs.Code(err) == errs.EINTERNAL {
			s.log.Error("submit failed", "import", slug, "err", err)
		}
	}()
	return imp, nil
}

// beginSubmit checks the import and moves it to submitting, with its job
// row (owned by this process) in the same transaction.
func (s *Service) beginSubmit(ctx context.Context, slug string) (Import, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, err
	}
	// not in review yet: said at once, not after the staging run lets go
	if part, _ := s.stagingNow(ctx, imp); part != nil && s.running(imp.ID) { // this process's run: read from memory
		return Import{}, errs.Conflict("import %s is still being checked (%d rows so far): submit it once every row is checked", slug, part.Rows)
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return Import{}, err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil {
		return Import{}, err
	}
	if err := refuseCancelled(imp); err != nil {
		return Import{}, err
	}
	if imp, err = s.recoverInterrupted(ctx, imp); err != nil {
		return Import{}, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return Import{}, err
	}
	if ok, why := submittable(imp, sc); !ok {
		if imp.Step == StepReview && imp.Status == StatusCreated && imp.RowCount > 0 {
			return Import{}, errs.Invalid("import %s cannot be submitted: %s (invalid_rows: block)", slug, why)
		}
		return Import{}, errs.Conflict("import %s cannot be submitted: %s", slug, why)
	}
	if why, err := s.callbackBlocks(ctx, imp, sc); err != nil {
		return Import{}, err
	} else if why != "" {
		return Import{}, errs.Invalid("import %s cannot be submitted: %s (invalid_rows: block)", slug, why)
	}
	total := imp.RowCount
	if sc.Def.Settings.InvalidRowsPolicy() == schema.InvalidRowsExclude {
		total -= imp.ErrorRows
	}
	j := newJob("submitting", total)
	j.submit = true
	s.setJob(imp.ID, j)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_records WHERE import_id = ?`, imp.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = '', record_count = 0, updated_at = ? WHERE id = ?`,
			StatusSubmitting, StepSubmitting, nowString(), imp.ID); err != nil {
			return err
		}
		return s.putSubmitJob(ctx, tx, imp.ID, total)
	})
	if err != nil {
		j.finish(err)
		return Import{}, fmt.Errorf("submit %s: %w", slug, err)
	}
	out, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, err
	}
	return *out, nil
}

// runSubmit writes the records of a submitting import from where its job
// stands (the start, or where a stopped process left it), then marks it
// submitted and completes it. The caller owns the job row.
func (s *Service) runSubmit(ctx context.Context, slug string) error {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil {
		return err
	}
	jr, err := s.loadJobRow(ctx, imp.ID)
	if err != nil {
		return err
	}
	if jr == nil || jr.Owner != s.owner {
		err := errs.Conflict("import %s: its submit is run by another process", slug)
		if jr == nil {
			err = errs.Conflict("import %s has no submit to run", slug)
		}
		s.mu.Lock()
		if j := s.jobs[imp.ID]; j != nil && j.submit && !j.done.Load() {
			j.finish(err) // not running here: a scan may resume it
		}
		s.mu.Unlock()
		return err
	}
	stopBeat := s.heartbeat(imp.ID)
	defer stopBeat()
	s.mu.Lock()
	j := s.jobs[imp.ID]
	s.mu.Unlock()
	if j == nil || j.done.Load() || !j.submit {
		j = newJob("submitting", jr.RecordsTotal)
		j.submit = true
		s.setJob(imp.ID, j)
	}
	j.rows.Store(jr.Records)
	switch {
	case imp.Status == StatusCompleted || imp.Status == StatusFailed:
		j.finish(nil)
		return s.dropJob(ctx, imp.ID)
	case imp.Status == StatusSubmitting:
		if err := s.writeSubmitted(ctx, imp, jr, j); err != nil {
			return err
		}
	case imp.Status != StatusSubmitted:
		err := errs.Conflict("import %s is %s (step %s); there is no submit to run", slug, imp.Status, imp.Step)
		j.finish(err)
		return err
	}
	return s.complete(ctx, imp, j)
}

// writeSubmitted writes the records left and marks the import submitted.
func (s *Service) writeSubmitted(ctx context.Context, imp *Import, jr *jobRow, j *job) error {
	sc, err := s.schemaOf(imp)
	if err != nil {
		j.finish(err)
		return err
	}
	exclude := sc.Def.Settings.InvalidRowsPolicy() == schema.InvalidRowsExclude
	n, err := s.writeRecords(ctx, imp, sc, exclude, j, jr.LastRow, jr.Records)
	if err != nil {
		j.finish(err)
		if ctx.Err() != nil || errs.Code(err) == errs.ECONFLICT {
			// stopping, or taken over: the job stays for whoever resumes it
			return err
		}
		s.failSubmit(ctx, imp, errs.Message(err))
		s.statusChanged(ctx, imp.Slug, StatusFailed)
		return err
	}
	submittedAt := nowString()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, record_count = ?, submitted_at = ?, updated_at = ? WHERE id = ?`,
			StatusSubmitted, n, submittedAt, submittedAt, imp.ID)
		if err != nil {
			return err
		}
		if err := s.updateMatchIndex(ctx, tx, imp, sc, exclude); err != nil {
			return err
		}
		return markReached(ctx, tx, imp.ID, ReachedSubmit)
	})
	if err != nil {
		j.finish(err)
		if ctx.Err() != nil {
			return err
		}
		s.failSubmit(ctx, imp, "internal error")
		s.statusChanged(ctx, imp.Slug, StatusFailed)
		return fmt.Errorf("submit %s: %w", imp.Slug, err)
	}
	s.statusChanged(ctx, imp.Slug, StatusSubmitted)
	return nil
}

// complete moves a submitted import to completed in one transaction with
// the OnSubmit hooks (the completion event) and the end of its job: the
// event is queued exactly once, whoever completes it.
func (s *Service) complete(ctx context.Context, imp *Import, j *job) error {
	s.hookMu.RLock()
	hooks := append([]SubmitHook(nil), s.onSubmit...)
	s.hookMu.RUnlock()
	var hookErr error
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, updated_at = ? WHERE id = ? AND status = ?`,
			StatusCompleted, StepDone, nowString(), imp.ID, StatusSubmitted); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_jobs WHERE import_id = ?`, imp.ID); err != nil {
			return err
		}
		cur, err := s.loadImport(ctx, tx, imp.Slug)
		if err != nil {
			return err
		}
		if cur.Status != StatusCompleted {
			return errs.Conflict("import %s is %s, not submitted", imp.Slug, cur.Status)
		}
		for _, h := range hooks {
			if err := h(ctx, tx, *cur); err != nil {
				hookErr = err
				return err
			}
		}
		return nil
	})
	if err != nil {
		j.finish(err)
		if ctx.Err() != nil && hookErr == nil {
			return err
		}
		reason := "internal error"
		if hookErr != nil {
			reason = "after submit: " + errs.Message(hookErr)
			if errs.Code(hookErr) == errs.EINTERNAL {
				reason = "after submit: " + hookErr.Error()
			}
		}
		s.setFailedStep(ctx, imp.ID, reason)
		s.statusChanged(ctx, imp.Slug, StatusFailed)
		return fmt.Errorf("submit %s: %w", imp.Slug, err)
	}
	j.finish(nil)
	s.dropUniq(imp.ID)
	s.statusChanged(ctx, imp.Slug, StatusCompleted)
	return nil
}

func (s *Service) failSubmit(ctx context.Context, imp *Import, reason string) {
	ctx = context.WithoutCancel(ctx)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_records WHERE import_id = ?`, imp.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_jobs WHERE import_id = ?`, imp.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = ?, record_count = 0, updated_at = ? WHERE id = ?`,
			StatusFailed, StepReview, reason, nowString(), imp.ID)
		return err
	})
	if err != nil {
		s.log.Error("mark submit failed", "import", imp.Slug, "err", err)
	}
}

// setFailedStep marks a submitted import whose completion failed: the
// records stay, the import can be submitted again after the cause is fixed.
func (s *Service) setFailedStep(ctx context.Context, id int64, reason string) {
	ctx = context.WithoutCancel(ctx)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_jobs WHERE import_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = ?, updated_at = ? WHERE id = ?`,
			StatusFailed, StepReview, reason, nowString(), id)
		return err
	})
	if err != nil {
		s.log.Error("mark import failed", "id", id, "err", err)
	}
}

type recordBatch struct {
	recs    []stagedRow // num = sort; data = the staged cells
	lastRow int64       // the staged row number of the last record
	ops     []string    // each record's operation (importers with match_on), else nil
	chunk   string      // the records' values, set by a worker
	ready   chan struct{}
	err     error
}

// writeRecords streams staged rows after row afterRow into typed records
// numbered from startSort+1, and returns the last sort written. One
// goroutine reads staged rows in order, transform workers turn batches
// into record values in parallel, and the caller's goroutine writes them
// in order, SubmitTxRows records a transaction; each transaction moves
// the import's job (last_row, records) with the records it adds, so a
// submit cut anywhere resumes with nothing written twice or half.
func (s *Service) writeRecords(ctx context.Context, imp *Import, sc *schema.Schema, exclude bool, j *job, afterRow, startSort int64) (int64, error) {
	// as while staging: the WAL is copied into the database file after the
	// records, not inside every few commits on this goroutine
	lease, err := s.db.DeferCheckpoints(ctx)
	if err != nil {
		return 0, fmt.Errorf("submit: write records: %w", err)
	}
	defer lease.Release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ordered := make(chan *recordBatch, 8)
	work := make(chan *recordBatch, 8)
	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(work)
		readErr <- s.readForRecords(ctx, imp, len(sc.MatchColumns()) > 0, exclude, afterRow, startSort, ordered, work)
	}()
	var custom []string // kept unmapped columns' names (settings.unmapped_columns: keep)
	if sc.Def.Settings.KeepsUnmapped() && imp.Mapping != nil {
		if src, err := sc.Resolve(*imp.Mapping, imp.Headers); err == nil {
			_, custom = sc.CustomColumns(imp.Headers, src)
		}
	}
	for w := 0; w < 2; w++ {
		go func() {
			var cells []string
			var buf []byte
			for b := range work {
				// one stored chunk per batch: [[values...],[values...]]
				buf = append(buf[:0], '[')
				for i := range b.recs {
					var err error
					if cells, err = decodeRow(b.recs[i].data, cells); err != nil {
						b.err = err
						break
					}
					if i > 0 {
						buf = append(buf, ',')
					}
					buf = sc.AppendRecordValuesCustom(buf, cells, custom)
					if b.ops != nil {
						buf = appendOperation(buf, b.ops[i])
					}
				}
				buf = append(buf, ']')
				b.chunk = string(buf)
				close(b.ready)
			}
		}()
	}
	next := func() (*recordBatch, bool, error) {
		b, ok := <-ordered
		if !ok {
			return nil, false, nil
		}
		<-b.ready
		return b, true, b.err
	}
	total := startSort
	var werr error
	for werr == nil {
		first, ok, err := next()
		if err != nil {
			werr = err
			break
		}
		if !ok {
			break
		}
		more := true
		werr = s.db.Tx(ctx, func(tx *store.Tx) error {
			w := newBulkWriter(tx, imp.ID)
			defer w.close()
			written := 0
			var lastRow int64
			b := first
			for {
				if err := w.exec(ctx, `INSERT INTO importer_records (import_id, first_sort, n, data) VALUES (?, ?, ?, ?)`,
					imp.ID, b.recs[0].num, len(b.recs), b.chunk); err != nil {
					return err
				}
				written += len(b.recs)
				lastRow = b.lastRow
				if written >= s.SubmitTxRows {
					break
				}
				var err error
				if b, more, err = next(); err != nil {
					return err
				} else if !more {
					break
				}
			}
			if err := s.advanceJob(ctx, tx, imp.ID, lastRow, total+int64(written)); err != nil {
				return err
			}
			tx.AfterCommit(func() {
				total += int64(written)
				j.rows.Store(total)
				if s.afterBatch != nil {
					s.afterBatch(total)
				}
			})
			return nil
		})
		if werr == nil {
			lease.Committed(ctx)
		}
		if !more {
			break
		}
	}
	if werr != nil {
		cancel()
		for b := range ordered {
			<-b.ready
		}
	}
	if err := <-readErr; err != nil {
		return 0, err
	}
	if werr != nil {
		return 0, fmt.Errorf("submit: write records: %w", werr)
	}
	return total, nil
}

func (s *Service) readForRecords(ctx context.Context, imp *Import, matching, exclude bool, afterRow, startSort int64, ordered, work chan<- *recordBatch) error {
	after := afterRow
	_, lastKey := rowKeys(imp.ID)
	sortN := startSort
	newBatch := func() *recordBatch {
		return &recordBatch{recs: make([]stagedRow, 0, s.BatchRows), ready: make(chan struct{})}
	}
	batch := newBatch()
	send := func() error {
		for _, ch := range []chan<- *recordBatch{ordered, work} {
			select {
			case ch <- batch:
			case <-ctx.Done():
				if ch == work {
					close(batch.ready) // ordered has it: release the writer
				}
				return ctx.Err()
			}
		}
		batch = newBatch()
		return nil
	}
	// the match status only for an importer with match_on: without it the
	// join is an index look-up per row for nothing
	q := `SELECT ` + rowNumOf("r") + `, r.data, r.errors, ? FROM importer_rows r
			WHERE r.id > ? AND r.id <= ? ORDER BY r.id LIMIT 10000`
	if matching {
		q = `SELECT ` + rowNumOf("r") + `, r.data, r.errors, coalesce(x.status, ?) FROM importer_rows r
			LEFT JOIN importer_row_match x ON x.import_id = ? AND x.row_num = ` + rowNumOf("r") + `
			WHERE r.id > ? AND r.id <= ? ORDER BY r.id LIMIT 10000`
	}
	for {
		args := []any{imp.matchDefault, rowKey(imp.ID, after), lastKey}
		if matching {
			args = []any{imp.matchDefault, imp.ID, rowKey(imp.ID, after), lastKey}
		}
		rs, err := s.db.Read.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("submit: read rows: %w", err)
		}
		n := 0
		for rs.Next() {
			var row int64
			var data string
			var nerr int
			var match string
			if err := rs.Scan(&row, &data, &nerr, &match); err != nil {
				rs.Close()
				return fmt.Errorf("submit: read rows: %w", err)
			}
			n++
			after = row
			if exclude && nerr > 0 {
				continue
			}
			sortN++
			batch.recs = append(batch.recs, stagedRow{num: sortN, data: data})
			batch.lastRow = row
			if matching {
				batch.ops = append(batch.ops, operationOf(match))
			}
			if len(batch.recs) == s.BatchRows {
				if err := send(); err != nil {
					rs.Close()
					return err
				}
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return fmt.Errorf("submit: read rows: %w", err)
		}
		if n < 10000 {
			break
		}
	}
	if len(batch.recs) > 0 {
		return send()
	}
	return nil
}

func (w *bulkWriter) exec(ctx context.Context, q string, args ...any) error {
	st, ok := w.stmts[q]
	if !ok {
		var err error
		if st, err = w.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		w.stmts[q] = st
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

// Record is one submitted record (the imports API shape, as Fuse).
type Record struct {
	Slug      string          `json:"slug"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Sort      int64           `json:"sort"`
	// Operation is create, update or unchanged for an importer with
	// match_on (against the last submitted record with the same key).
	Operation string `json:"operation,omitempty"`
}

func recordSlug(importSlug string, sort int64) string {
	return importSlug + "-" + strconv.FormatInt(sort, 10)
}

// ListRecords returns a page (1-based; perPage default 25, max 1000) of an
// import's records and their total. An import not submitted yet has none.
func (s *Service) ListRecords(ctx context.Context, slug string, page, perPage int) ([]Record, int, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return nil, 0, err
	}
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = 25
	}
	if perPage > 1000 {
		perPage = 1000
	}
	out := []Record{}
	if imp.Status != StatusSubmitted && imp.Status != StatusCompleted {
		return out, 0, nil
	}
	from := int64(page-1) * int64(perPage)
	err = s.eachRecord(ctx, imp, from, int64(perPage), func(r Record) error {
		out = append(out, r)
		return nil
	})
	return out, int(imp.RecordCount), err
}

// StreamRecords calls fn for every record of an import in order, reading
// in chunks (constant memory). It stops at fn's first error.
func (s *Service) StreamRecords(ctx context.Context, slug string, fn func(Record) error) error {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	if imp.Status != StatusSubmitted && imp.Status != StatusCompleted {
		return nil
	}
	return s.eachRecord(ctx, imp, 0, -1, fn)
}

func (s *Service) eachRecord(ctx context.Context, imp *Import, from, limit int64, fn func(Record) error) error {
	sc, err := s.schemaOf(imp)
	if err != nil {
		return err
	}
	at := imp.SubmittedAt
	if at.IsZero() {
		at = imp.UpdatedAt
	}
	// records are stored in chunks of consecutive sorts: find the chunk
	// holding from+1, then read forward
	var start int64
	err = s.db.Read.QueryRowContext(ctx, `SELECT coalesce(max(first_sort), 0) FROM importer_records WHERE import_id = ? AND first_sort <= ?`, imp.ID, from+1).Scan(&start)
	if err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	var raws []string
	for limit != 0 {
		rs, err := s.db.Read.QueryContext(ctx, `SELECT first_sort, data FROM importer_records WHERE import_id = ? AND first_sort >= ? ORDER BY first_sort LIMIT 8`, imp.ID, start)
		if err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		var recs []Record
		chunks := 0
		for rs.Next() && limit != 0 {
			chunks++
			var first int64
			var data string
			if err := rs.Scan(&first, &data); err != nil {
				rs.Close()
				return fmt.Errorf("read records: %w", err)
			}
			if raws, err = splitJSONArray(data, raws[:0]); err != nil {
				rs.Close()
				return fmt.Errorf("read records of %s: %w", imp.Slug, err)
			}
			for k, raw := range raws {
				sort := first + int64(k)
				if sort <= from {
					continue
				}
				obj, err := sc.RecordObject(nil, raw)
				if err != nil {
					rs.Close()
					return fmt.Errorf("read record %d of %s: %w", sort, imp.Slug, err)
				}
				at := at
				recs = append(recs, Record{Slug: recordSlug(imp.Slug, sort), Data: json.RawMessage(obj), CreatedAt: at, UpdatedAt: at, Sort: sort,
					Operation: storedOperation(raw, sc.NumColumns())})
				if limit > 0 {
					if limit--; limit == 0 {
						break
					}
				}
			}
			start = first + int64(len(raws))
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
		if chunks < 8 {
			return nil
		}
	}
	return nil
}

// splitJSONArray returns the raw elements of a JSON array (of arrays or
// scalars) as substrings of s.
func splitJSONArray(s string, dst []string) ([]string, error) {
	i := skipJSONSpace(s, 0)
	if i >= len(s) || s[i] != '[' {
		return dst, fmt.Errorf("want a JSON array")
	}
	i = skipJSONSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return dst, nil
	}
	for {
		i = skipJSONSpace(s, i)
		start, depth, inStr := i, 0, false
		for ; i < len(s); i++ {
			c := s[i]
			if inStr {
				switch c {
				case '\\':
					i++
				case '"':
					inStr = false
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '[', '{':
				depth++
			case ']', '}':
				depth--
			}
			if depth < 0 || (depth == 0 && c == ',') {
				break
			}
		}
		if i >= len(s) {
			return dst, fmt.Errorf("truncated JSON array")
		}
		dst = append(dst, strings.TrimSpace(s[start:i]))
		if s[i] == ']' {
			return dst, nil
		}
		i++
	}
}

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON whitespace.
func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	return i
}

// Reimport starts a new import of the same importer from the stored
// original file of slug (same session and metadata as actor).
func (s *Service) Reimport(ctx context.Context, actor Actor, slug string) (Import, Preview, error) {
	old, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, Preview{}, err
	}
	if old.filePath == "" {
		return Import{}, Preview{}, errs.Conflict("import %s has no stored file", slug)
	}
	if actor.Metadata == nil {
		actor.Metadata = old.Metadata
	}
	imp, err := s.CreateImport(ctx, actor, old.Template.Slug)
	if err != nil {
		return Import{}, Preview{}, err
	}
	if err := s.localFile(ctx, old); err != nil {
		return Import{}, Preview{}, err
	}
	f, err := os.Open(old.filePath)
	if err != nil {
		return Import{}, Preview{}, fmt.Errorf("reimport %s: %w", slug, err)
	}
	defer f.Close()
	pv, err := s.Upload(ctx, imp.Slug, f, old.FileName, old.FileSize)
	if err != nil {
		return Import{}, Preview{}, err
	}
	imp, err = s.GetImport(ctx, imp.Slug)
	return imp, pv, err
}

// FileResult is the outcome of ImportFile.
type FileResult struct {
	Import   Import
	Rows     int64
	Errors   int64 // rows with errors
	Warnings int64 // rows with warnings
	Blocked  string
	// Issues are the first findings (hooks' and callbacks' included, at
	// most MaxFileIssues); Matches and Callback as in Summary.
	Issues   []FileIssue
	Matches  map[string]int64
	Callback *CallbackState
}

// FileIssue is one finding of a file import.
type FileIssue struct {
	Row      int64           `json:"row"`
	Column   string          `json:"column"`
	Severity schema.Severity `json:"severity"`
	Message  string          `json:"message"`
}

// MaxFileIssues caps FileResult.Issues.
const MaxFileIssues = 50

// ImportFile runs a whole import of a local file for scripts: store the
// original, map (mapping, or the suggestions when nil), stage, submit.
// When invalid_rows: block stops the submit, Blocked says why and the
// import stays in review.
func (s *Service) ImportFile(ctx context.Context, actor Actor, importerSlug, path string, m *schema.Mapping) (FileResult, error) {
	return s.ImportFileProgress(ctx, actor, importerSlug, path, m, nil)
}

// ImportFileProgress is ImportFile that calls progress (when not nil)
// with the import's progress as it changes. The whole import is a durable
// job from the start (the file's path and the mapping are recorded with
// the new import): when the process stops, the next one to start on the
// data dir carries it on (Recover).
func (s *Service) ImportFileProgress(ctx context.Context, actor Actor, importerSlug, path string, m *schema.Mapping, progress func(slug string, p Progress)) (FileResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileResult{}, errs.Invalid("open %s: %v", path, err)
	}
	st, err := f.Stat()
	f.Close()
	if err != nil {
		return FileResult{}, errs.Invalid("open %s: %v", path, err)
	}
	if st.IsDir() {
		return FileResult{}, errs.Invalid("%s is a directory, not a file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return FileResult{}, errs.Invalid("open %s: %v", path, err)
	}
	var mapping string
	if m != nil {
		b, err := json.Marshal(m)
		if err != nil {
			return FileResult{}, errs.Invalid("mapping: %v", err)
		}
		mapping = string(b)
	}
	imp, err := s.createImport(ctx, actor, importerSlug, func(tx *store.Tx, id int64) error {
		return s.putJob(ctx, tx, id, true, abs, mapping)
	})
	if err != nil {
		return FileResult{}, err
	}
	var onStep func(string)
	if progress != nil {
		stop := s.reportProgress(imp.Slug, progress)
		defer stop()
		onStep = func(phase string) { progress(imp.Slug, Progress{Phase: phase, StartedAt: time.Now()}) }
	}
	jr, err := s.loadJobRow(ctx, imp.ID)
	if err != nil {
		return FileResult{Import: imp}, err
	}
	// to the review, then the findings, then the submit
	if _, err := s.drive(ctx, imp.Slug, jr, true, onStep); err != nil {
		s.dropJobAfterError(ctx, imp.ID)
		return FileResult{Import: imp}, err
	}
	cur, err := s.GetImport(ctx, imp.Slug)
	if err != nil {
		return FileResult{Import: imp}, err
	}
	res := FileResult{Import: cur, Rows: cur.RowCount, Errors: cur.ErrorRows, Warnings: cur.WarningRows}
	if err := s.fileFindings(ctx, imp.Slug, &res); err != nil {
		s.dropJobAfterError(ctx, imp.ID)
		return res, err
	}
	if _, err := s.drive(ctx, imp.Slug, jr, false, onStep); err != nil {
		s.dropJobAfterError(ctx, imp.ID)
		if errs.Code(err) == errs.EINVALID {
			res.Blocked = errs.Message(err)
			return res, nil
		}
		return res, err
	}
	res.Import, err = s.GetImport(ctx, imp.Slug)
	return res, err
}

// dropJobAfterError ends the job of a file import that stopped with an
// error its caller sees (unless the process is stopping: then the job
// stays, to be resumed).
func (s *Service) dropJobAfterError(ctx context.Context, id int64) {
	if ctx.Err() != nil {
		return
	}
	if err := s.dropJob(ctx, id); err != nil {
		s.log.Error("end import job", "import_id", id, "err", err)
	}
}

// reportProgress calls fn with the import's progress whenever it changes
// (polled every 10 ms) until the returned function is called.
func (s *Service) reportProgress(slug string, fn func(string, Progress)) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var last Progress
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			p, err := s.Progress(context.Background(), slug)
			if err != nil {
				continue
			}
			key, lastKey := p, last
			key.ElapsedMS, lastKey.ElapsedMS, key.StartedAt, lastKey.StartedAt = 0, 0, time.Time{}, time.Time{}
			if key != lastKey {
				fn(slug, p)
				last = p
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func filepathBase(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[i+1:]
		}
	}
	return p
}
