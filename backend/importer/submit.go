package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Submit applies the importer's invalid_rows policy and transformations
// and stores typed records. The status moves created -> submitting ->
// submitted (records stored) -> completed, the last in one transaction
// with the OnSubmit hooks. With invalid_rows: block and rows that still
// have errors it refuses (EINVALID) and nothing changes.
func (s *Service) Submit(ctx context.Context, slug string) (Import, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, err
	}
	unlock := s.lock(imp.ID)
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil {
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
	exclude := sc.Def.Settings.InvalidRowsPolicy() == InvalidRowsExclude
	j := newJob("submitting", imp.RowCount)
	s.setJob(imp.ID, j)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_records WHERE import_id = ?`, imp.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = '', updated_at = ? WHERE id = ?`,
			StatusSubmitting, StepSubmitting, nowString(), imp.ID)
		return err
	})
	if err != nil {
		j.finish(err)
		return Import{}, fmt.Errorf("submit %s: %w", slug, err)
	}
	n, err := s.writeRecords(ctx, imp, sc, exclude, j)
	if err != nil {
		j.finish(err)
		s.failSubmit(ctx, imp, errs.Message(err))
		return Import{}, err
	}
	submittedAt := nowString()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, record_count = ?, submitted_at = ?, updated_at = ? WHERE id = ?`,
			StatusSubmitted, n, submittedAt, submittedAt, imp.ID)
		return err
	})
	if err != nil {
		j.finish(err)
		s.failSubmit(ctx, imp, "internal error")
		return Import{}, fmt.Errorf("submit %s: %w", slug, err)
	}
	s.hookMu.RLock()
	hooks := append([]SubmitHook(nil), s.onSubmit...)
	s.hookMu.RUnlock()
	var hookErr error
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, updated_at = ? WHERE id = ?`,
			StatusCompleted, StepDone, nowString(), imp.ID); err != nil {
			return err
		}
		cur, err := s.loadImport(ctx, tx, slug)
		if err != nil {
			return err
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
		reason := "internal error"
		if hookErr != nil {
			reason = "after submit: " + errs.Message(hookErr)
			if errs.Code(hookErr) == errs.EINTERNAL {
				reason = "after submit: " + hookErr.Error()
			}
		}
		s.setFailedStep(ctx, imp.ID, reason)
		return Import{}, fmt.Errorf("submit %s: %w", slug, err)
	}
	j.finish(nil)
	s.dropUniq(imp.ID)
	return s.GetImport(ctx, slug)
}

func (s *Service) failSubmit(ctx context.Context, imp *Import, reason string) {
	err := s.db.Tx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_records WHERE import_id = ?`, imp.ID); err != nil {
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
	err := s.db.Tx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = ?, updated_at = ? WHERE id = ?`,
			StatusFailed, StepReview, reason, nowString(), id)
		return err
	})
	if err != nil {
		s.log.Error("mark import failed", "id", id, "err", err)
	}
}

type recordBatch struct {
	recs []stagedRow // num = sort, errors = source row (reused fields)
}

// writeRecords streams staged rows into typed records: one goroutine
// reads and transforms, the caller's goroutine writes.
func (s *Service) writeRecords(ctx context.Context, imp *Import, sc *Schema, exclude bool, j *job) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan *recordBatch, 4)
	readErr := make(chan error, 1)
	go func() {
		defer close(out)
		readErr <- s.readForRecords(ctx, imp, sc, exclude, out)
	}()
	var total int64
	var werr error
	for werr == nil {
		first, ok := <-out
		if !ok {
			break
		}
		more := true
		werr = s.db.Tx(ctx, func(tx *store.Tx) error {
			w := newBulkWriter(tx, imp.ID)
			defer w.close()
			written := 0
			b := first
			for {
				if err := w.records(ctx, b.recs); err != nil {
					return err
				}
				written += len(b.recs)
				if written >= s.TxRows {
					break
				}
				if b, more = <-out; !more {
					break
				}
			}
			tx.AfterCommit(func() { total += int64(written); j.rows.Store(total) })
			return nil
		})
		if !more {
			break
		}
	}
	if werr != nil {
		cancel()
		for range out {
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

func (s *Service) readForRecords(ctx context.Context, imp *Import, sc *Schema, exclude bool, out chan<- *recordBatch) error {
	var after int64
	var sortN int64
	var cells []string
	var buf []byte
	batch := &recordBatch{}
	for {
		rs, err := s.db.Read.QueryContext(ctx, `SELECT row_num, data, errors FROM importer_rows WHERE import_id = ? AND row_num > ? ORDER BY row_num LIMIT 10000`, imp.ID, after)
		if err != nil {
			return fmt.Errorf("submit: read rows: %w", err)
		}
		n := 0
		for rs.Next() {
			var row int64
			var data string
			var nerr int
			if err := rs.Scan(&row, &data, &nerr); err != nil {
				rs.Close()
				return fmt.Errorf("submit: read rows: %w", err)
			}
			n++
			after = row
			if exclude && nerr > 0 {
				continue
			}
			if cells, err = decodeRowJSON(data, cells); err != nil {
				rs.Close()
				return err
			}
			sortN++
			buf = sc.AppendRecord(buf[:0], cells)
			batch.recs = append(batch.recs, stagedRow{num: sortN, data: string(buf), errors: int(row)})
			if len(batch.recs) == s.BatchRows {
				select {
				case out <- batch:
				case <-ctx.Done():
					rs.Close()
					return ctx.Err()
				}
				batch = &recordBatch{}
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
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (w *bulkWriter) records(ctx context.Context, recs []stagedRow) error {
	for len(recs) > 0 {
		n := min(len(recs), maxTuples)
		st, err := w.stmt(ctx, `INSERT INTO importer_records (import_id, sort, row_num, data) VALUES `, `(?,?,?,?)`, n)
		if err != nil {
			return err
		}
		w.args = w.args[:0]
		for _, r := range recs[:n] {
			w.args = append(w.args, w.importID, r.num, r.errors, r.data)
		}
		if _, err := st.ExecContext(ctx, w.args...); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// Record is one submitted record (the imports API shape, as Fuse).
type Record struct {
	Slug      string          `json:"slug"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Sort      int64           `json:"sort"`
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
	at := imp.SubmittedAt
	if at.IsZero() {
		at = imp.UpdatedAt
	}
	after := from
	for limit != 0 {
		chunk := int64(1000)
		if limit > 0 {
			chunk = min(chunk, limit)
		}
		rs, err := s.db.Read.QueryContext(ctx, `SELECT sort, data FROM importer_records WHERE import_id = ? AND sort > ? ORDER BY sort LIMIT ?`, imp.ID, after, chunk)
		if err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		var recs []Record
		for rs.Next() {
			var r Record
			var data string
			if err := rs.Scan(&r.Sort, &data); err != nil {
				rs.Close()
				return fmt.Errorf("read records: %w", err)
			}
			r.Data = json.RawMessage(data)
			r.Slug, r.CreatedAt, r.UpdatedAt = recordSlug(imp.Slug, r.Sort), at, at
			recs = append(recs, r)
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
		if int64(len(recs)) < chunk {
			return nil
		}
		after = recs[len(recs)-1].Sort
		if limit > 0 {
			limit -= int64(len(recs))
		}
	}
	return nil
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
}

// ImportFile runs a whole import of a local file for scripts: store the
// original, map (mapping, or the suggestions when nil), stage, submit.
// When invalid_rows: block stops the submit, Blocked says why and the
// import stays in review.
func (s *Service) ImportFile(ctx context.Context, actor Actor, importerSlug, path string, m *Mapping) (FileResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileResult{}, errs.Invalid("open %s: %v", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return FileResult{}, errs.Invalid("open %s: %v", path, err)
	}
	imp, err := s.CreateImport(ctx, actor, importerSlug)
	if err != nil {
		return FileResult{}, err
	}
	if _, err := s.Upload(ctx, imp.Slug, f, filepathBase(path), st.Size()); err != nil {
		return FileResult{Import: imp}, err
	}
	if m == nil {
		mv, err := s.GetMapping(ctx, imp.Slug)
		if err != nil {
			return FileResult{Import: imp}, err
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
		m = &auto
	}
	if err := s.ConfirmMapping(ctx, imp.Slug, *m); err != nil {
		return FileResult{Import: imp}, err
	}
	if err := s.Stage(ctx, imp.Slug); err != nil {
		return FileResult{Import: imp}, err
	}
	cur, err := s.GetImport(ctx, imp.Slug)
	if err != nil {
		return FileResult{Import: imp}, err
	}
	res := FileResult{Import: cur, Rows: cur.RowCount, Errors: cur.ErrorRows, Warnings: cur.WarningRows}
	done, err := s.Submit(ctx, imp.Slug)
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			res.Blocked = errs.Message(err)
			return res, nil
		}
		return res, err
	}
	res.Import = done
	return res, nil
}

func filepathBase(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[i+1:]
		}
	}
	return p
}
