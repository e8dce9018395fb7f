package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"fusebox/backend/hooks"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Server callbacks (hooks.validate). After staging, and for the rows an
// edit changes, the rows whose content the endpoint has not judged yet
// are sent in batches; the answers are cached per row content (a hash of
// the cells), so a row is sent again only when its cells change. Their
// findings join the row's findings through mutation.rowIssues (which
// reads the cache), replacement values are written like an edit. When
// the endpoint does not answer (after retries) the import's callback
// state is failed: the review shows one banner and, under invalid_rows:
// block, submit is refused; rows are never taken as valid unchecked.

// Callback states.
const (
	CallbackRunning = "running"
	CallbackOK      = "ok"
	CallbackFailed  = "failed"
)

// CallbackState is an import's validation-endpoint state (Summary).
type CallbackState struct {
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	Checked int64  `json:"checked"`
}

// cachedFindings is what the cache keeps per row content.
type cachedFindings struct {
	Errors   map[string]hooks.Messages `json:"errors,omitempty"`
	Warnings map[string]hooks.Messages `json:"warnings,omitempty"`
}

// callbackIssues returns the cached findings of a row's content (data,
// its stored encoding, encodeRow); ok is false when the endpoint has not
// judged it. An answer with findings is looked up first: it is the latest
// (a later clean verdict removes it, cbclean.go).
func callbackIssues(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, importID int64, sc *schema.Schema, data string, out []schema.Issue) ([]schema.Issue, bool, error) {
	var raw string
	h := rowHash16(data)
	err := q.QueryRowContext(ctx, `SELECT result FROM importer_callback_cache WHERE import_id = ? AND row_hash = ?`, importID, hashBytes(h)).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		clean, err := judgedCleanOne(ctx, q, importID, h)
		return out, clean, err
	}
	if err != nil {
		return out, false, fmt.Errorf("callback cache: %w", err)
	}
	var f cachedFindings
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		return out, false, fmt.Errorf("callback cache: %w", err)
	}
	return appendFindings(out, sc, f), true, nil
}

func appendFindings(out []schema.Issue, sc *schema.Schema, f cachedFindings) []schema.Issue {
	for _, part := range []struct {
		m   map[string]hooks.Messages
		sev schema.Severity
	}{{f.Errors, schema.SeverityError}, {f.Warnings, schema.SeverityWarning}} {
		keys := make([]string, 0, len(part.m))
		for k := range part.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ci := sc.Index(k)
			for _, msg := range part.m[k] {
				if ci < 0 {
					out = append(out, schema.Issue{Col: 0, Severity: schema.SeverityError,
						Message: fmt.Sprintf("the validation service reported %q on %s, which is not a column", msg, k)})
					continue
				}
				out = append(out, schema.Issue{Col: ci, Severity: part.sev, Message: msg})
			}
		}
	}
	return out
}

func (s *Service) setCallbackState(ctx context.Context, importID int64, state, msg string, checked int64) error {
	_, err := s.db.Write.ExecContext(ctx, `INSERT INTO importer_callback_state (import_id, state, message, checked, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (import_id) DO UPDATE SET state = excluded.state, message = excluded.message, checked = excluded.checked, updated_at = excluded.updated_at`,
		importID, state, msg, checked, nowString())
	if err != nil {
		return fmt.Errorf("callback state: %w", err)
	}
	return nil
}

// callbackState reads an import's state; nil when the importer has no
// callback.
func (s *Service) callbackState(ctx context.Context, imp *Import, sc *schema.Schema) (*CallbackState, error) {
	if sc.CallbackOf() == nil {
		return nil, nil
	}
	st := &CallbackState{}
	err := s.db.Read.QueryRowContext(ctx, `SELECT state, message, checked FROM importer_callback_state WHERE import_id = ?`, imp.ID).Scan(&st.State, &st.Message, &st.Checked)
	if errors.Is(err, sql.ErrNoRows) {
		return &CallbackState{State: CallbackRunning}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("callback state: %w", err)
	}
	if st.State == CallbackRunning && !s.cbRuns.running(imp.ID) {
		// no run of this process: it ended just now, or a restart cut it short
		if err := s.db.Read.QueryRowContext(ctx, `SELECT state, message, checked FROM importer_callback_state WHERE import_id = ?`, imp.ID).Scan(&st.State, &st.Message, &st.Checked); err != nil {
			return nil, fmt.Errorf("callback state: %w", err)
		}
		if st.State == CallbackRunning {
			st.State, st.Message = CallbackFailed, "the check was interrupted (the server restarted); any change checks the rows again"
		}
	}
	return st, nil
}

// callbackBlocks says why submit is refused because of the callback
// ("" when it is not): under invalid_rows: block, rows the endpoint has
// not judged are not valid.
func (s *Service) callbackBlocks(ctx context.Context, imp *Import, sc *schema.Schema) (string, error) {
	if sc.Def.Settings.InvalidRowsPolicy() != schema.InvalidRowsBlock {
		return "", nil
	}
	st, err := s.callbackState(ctx, imp, sc)
	if err != nil || st == nil {
		return "", err
	}
	switch st.State {
	case CallbackOK:
		return "", nil
	case CallbackFailed:
		return "your validation service did not answer; the rows are not checked yet (" + st.Message + ")", nil
	}
	return "the validation service is still checking the rows", nil
}

// Runs. A run posts batches of rows to the endpoint, cbInFlight at a
// time, while the rows are staged (stage feeds it from the parser) or
// read back (an edit, a replace, an undo: the rows whose content is not
// judged yet). Clean answers are cached in bulk at the end of the run,
// sorted (one transaction, B-tree appends); answers with findings or
// replacement values are applied at the end, under the import's lock,
// to the rows whose content is still what was sent: a row changed in the
// meantime has its own run, and the stale answer only goes to the cache.
// Edits hold the import's lock only to commit and to apply answers, not
// while the endpoint works, so a slow endpoint delays no other edit.

// cbInFlight is how many batches one run posts at a time.
const cbInFlight = 2

// cbRow is a row sent: its number and its staged content (data, the
// stored encoding of its cells, and the hash the cache keys it by).
type cbRow struct {
	row  int64
	hash [16]byte
	data string
}

type cbBatch struct {
	rows []cbRow // hashed and encoded by the poster, off the staging path
}

// cbFound is an answer with findings or values.
type cbFound struct {
	cbRow
	ans hooks.RowAnswer
}

// cbRun is one run of an import's validation endpoint.
type cbRun struct {
	s      *Service
	imp    *Import
	sc     *schema.Schema
	cfg    hooks.CallbackConfig
	batchN int
	head   []byte
	ctx    context.Context
	cancel context.CancelFunc
	send   chan *cbBatch
	wg     sync.WaitGroup
	cur    *cbBatch
	closed bool

	stopped atomic.Bool // a batch went unanswered: nothing more is sent
	mu      sync.Mutex
	judged  [][16]byte // clean answers not cached yet
	found   []cbFound
	checked int64
	err     error
}

// cbRegistry knows which imports have runs going (several edits may
// each have one). The stored state is running from the first run's start
// to the last run's end, then ok, or failed when one of them failed.
type cbRegistry struct {
	mu     sync.Mutex
	active map[int64]int
	failed map[int64]string
}

func (g *cbRegistry) begin(ctx context.Context, s *Service, id int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active == nil {
		g.active, g.failed = map[int64]int{}, map[int64]string{}
	}
	g.active[id]++
	if g.active[id] > 1 {
		return nil
	}
	delete(g.failed, id)
	if err := s.setCallbackState(ctx, id, CallbackRunning, "", 0); err != nil {
		g.active[id]--
		if g.active[id] == 0 {
			delete(g.active, id)
		}
		return err
	}
	return nil
}

func (g *cbRegistry) end(ctx context.Context, s *Service, id int64, failure string, checked int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if failure != "" {
		g.failed[id] = failure
	}
	g.active[id]--
	if g.active[id] > 0 {
		return nil
	}
	delete(g.active, id)
	msg, failed := g.failed[id]
	delete(g.failed, id)
	if failed {
		return s.setCallbackState(context.WithoutCancel(ctx), id, CallbackFailed, msg, checked)
	}
	return s.setCallbackState(ctx, id, CallbackOK, "", checked)
}

func (g *cbRegistry) running(id int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active[id] > 0
}

func rowHash16(data string) [16]byte {
	h := sha256.Sum256([]byte(data))
	return [16]byte(h[:16])
}

// hashBytes is h as a slice, for a query argument or a map key's bytes.
func hashBytes(h [16]byte) []byte { return h[:] }

// startCallbacks starts a run (state running); nil when the importer has
// no callback, or callbacks are not available (then the state says so).
func (s *Service) startCallbacks(ctx context.Context, imp *Import, sc *schema.Schema) (*cbRun, error) {
	cb := sc.CallbackOf()
	if cb == nil {
		return nil, nil
	}
	if s.Callbacks == nil {
		return nil, s.setCallbackState(ctx, imp.ID, CallbackFailed, "callbacks are not available in this process", 0)
	}
	head, err := hooks.AppendRequestHead(nil, imp.Template.Slug, imp.Slug, imp.Metadata)
	if err != nil {
		return nil, err
	}
	if err := s.cbRuns.begin(ctx, s, imp.ID); err != nil {
		return nil, err
	}
	r := &cbRun{s: s, imp: imp, sc: sc, head: head, batchN: cb.BatchSize(), send: make(chan *cbBatch),
		cfg: hooks.CallbackConfig{URL: cb.URL, Timeout: cb.TimeoutOf(), SigningSecret: cb.SigningSecret}}
	r.ctx, r.cancel = context.WithCancel(ctx)
	for i := 0; i < cbInFlight; i++ {
		r.wg.Add(1)
		go r.post()
	}
	return r, nil
}

// add queues a row (data: its stored content); a full batch is handed
// to a poster, waiting while cbInFlight are out.
func (r *cbRun) add(row int64, data string) error {
	if r == nil || r.stopped.Load() {
		return nil
	}
	if r.cur == nil {
		r.cur = &cbBatch{rows: make([]cbRow, 0, r.batchN)}
	}
	r.cur.rows = append(r.cur.rows, cbRow{row: row, data: data})
	if len(r.cur.rows) >= r.batchN {
		return r.flush()
	}
	return nil
}

// encode hashes a batch's rows and writes its request body: the rows'
// records, typed as submit will type them.
func (r *cbRun) encode(b *cbBatch, body, rec []byte, cells []string) ([]byte, []byte, []string, error) {
	body = append(body[:0], r.head...)
	for i := range b.rows {
		row := &b.rows[i]
		row.hash = rowHash16(row.data)
		var err error
		if cells, err = decodeRow(row.data, cells); err != nil {
			return body, rec, cells, err
		}
		rec = r.sc.AppendRecord(rec[:0], cells)
		body = hooks.AppendRequestRow(body, i == 0, row.row, rec)
	}
	return hooks.AppendRequestEnd(body), rec, cells, nil
}

func (r *cbRun) flush() error {
	b := r.cur
	r.cur = nil
	if b == nil || len(b.rows) == 0 || r.stopped.Load() {
		return nil
	}
	select {
	case r.send <- b:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// post sends batches until the run is closed.
func (r *cbRun) post() {
	defer r.wg.Done()
	var body, rec []byte
	var cells []string
	for b := range r.send {
		if r.stopped.Load() {
			continue
		}
		var err error
		if body, rec, cells, err = r.encode(b, body, rec, cells); err != nil {
			r.fail(err)
			continue
		}
		ans, err := r.s.Callbacks.CallBody(r.ctx, r.cfg, body)
		if err != nil {
			r.fail(err)
			continue
		}
		var byRow map[int64]hooks.RowAnswer
		for _, a := range ans.Rows {
			if len(a.Errors)+len(a.Warnings)+len(a.Values) > 0 {
				if byRow == nil {
					byRow = map[int64]hooks.RowAnswer{}
				}
				byRow[a.Row] = a
			}
		}
		r.mu.Lock()
		for _, row := range b.rows {
			if a, ok := byRow[row.row]; ok {
				r.found = append(r.found, cbFound{cbRow: row, ans: a})
			} else {
				r.judged = append(r.judged, row.hash)
			}
		}
		r.checked += int64(len(b.rows))
		r.mu.Unlock()
	}
}

// fail stops the run with err (the first failure is kept).
func (r *cbRun) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.stopped.Store(true)
}

// takeJudged hands over the clean answers received so far, to be cached.
func (r *cbRun) takeJudged() [][16]byte {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.judged
	r.judged = nil
	return j
}

// wait sends the last partial batch and waits for every answer.
func (r *cbRun) wait() {
	if r.closed {
		return
	}
	r.closed = true
	_ = r.flush()
	close(r.send)
	r.wg.Wait()
}

// finish waits for the run's answers, caches the clean ones, applies the
// others (taking the import's lock unless the caller holds it) and
// records the state. A run whose endpoint did not answer is not an error
// of the caller: the state says it.
func (s *Service) finishCallbacks(ctx context.Context, r *cbRun, locked bool) error {
	if r == nil {
		return nil
	}
	r.wait()
	r.cancel()
	failure := ""
	err := func() error {
		if j := r.takeJudged(); len(j) > 0 {
			if err := s.db.Tx(ctx, func(tx *store.Tx) error { return insertJudged(ctx, tx, r.imp.ID, j) }); err != nil {
				return err
			}
		}
		if len(r.found) == 0 {
			return nil
		}
		if !locked {
			unlock, err := s.lock(ctx, r.imp.ID)
			if err != nil {
				return err
			}
			defer unlock()
		}
		imp, err := s.loadImport(ctx, s.db.Read, r.imp.Slug) // the current version
		if err != nil {
			return err
		}
		if imp.Step != StepReview || (imp.Status != StatusCreated && imp.Status != StatusFailed) {
			return nil // submitted meanwhile: the answers are of no use
		}
		u, err := s.uniqFor(ctx, imp, r.sc)
		if err != nil {
			return err
		}
		for found := r.found; len(found) > 0; {
			n := min(len(found), 1000)
			if err := s.applyAnswers(ctx, imp, r.sc, u, found[:n]); err != nil {
				return err
			}
			found = found[n:]
		}
		return nil
	}()
	if r.err != nil {
		s.log.Warn("validation callback", "import", r.imp.Slug, "err", r.err)
		failure = errMessage(r.err)
	} else if err != nil {
		failure = errMessage(err)
	}
	if eerr := s.cbRuns.end(ctx, s, r.imp.ID, failure, r.checked); err == nil {
		err = eerr
	}
	return err
}

// beginCallbacks starts a run for the rows (nil: every row) an edit
// changed, under the import's lock, so that submit sees the state
// running from the moment the edit commits. After a failure any run
// checks every row not judged yet.
func (s *Service) beginCallbacks(ctx context.Context, imp *Import, sc *schema.Schema, rows []int64) (*cbRun, []int64, error) {
	if sc.CallbackOf() == nil {
		return nil, nil, nil
	}
	if rows != nil {
		if st, err := s.callbackState(ctx, imp, sc); err != nil {
			return nil, nil, err
		} else if st.State != CallbackOK && !s.cbRuns.running(imp.ID) {
			rows = nil
		}
	}
	r, err := s.startCallbacks(ctx, imp, sc)
	return r, rows, err
}

// checkRows sends the rows (nil: every row) whose content the endpoint
// has not judged, then finishes the run.
func (s *Service) checkRows(ctx context.Context, r *cbRun, rows []int64, locked bool) error {
	if r == nil {
		return nil
	}
	ferr := s.feedUnjudged(ctx, r, rows)
	if ferr != nil {
		r.cancel()
	}
	err := s.finishCallbacks(ctx, r, locked)
	if ferr != nil {
		return ferr
	}
	return err
}

// feedUnjudged adds the rows whose content the endpoint has not judged,
// looked up 500 at a time.
func (s *Service) feedUnjudged(ctx context.Context, r *cbRun, rows []int64) error {
	type cand struct{ cbRow }
	var cands []cand
	sift := func() error {
		if len(cands) == 0 {
			return nil
		}
		hashes := make([][16]byte, len(cands))
		for i, c := range cands {
			hashes[i] = c.hash
		}
		seen, err := judged(ctx, s.db.Read, r.imp.ID, hashes)
		if err != nil {
			return err
		}
		for _, c := range cands {
			if !seen[c.hash] {
				if err := r.add(c.row, c.data); err != nil {
					return err
				}
			}
		}
		cands = cands[:0]
		return nil
	}
	err := s.eachStagedRow(ctx, r.imp.ID, rows, func(row int64, data string) error {
		cands = append(cands, cand{cbRow: cbRow{row: row, hash: rowHash16(data), data: data}})
		if len(cands) >= 500 {
			return sift()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return sift()
}

func errMessage(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// eachStagedRow calls fn for the given rows (nil: all; rows no longer
// there are skipped), in row order.
func (s *Service) eachStagedRow(ctx context.Context, importID int64, rows []int64, fn func(row int64, data string) error) error {
	if rows != nil {
		rows = slices.Clone(rows)
		slices.Sort(rows)
		rows = slices.Compact(rows)
		args := make([]any, 0, 501)
		for len(rows) > 0 {
			n := min(len(rows), 500)
			args = args[:0]
			for _, r := range rows[:n] {
				args = append(args, rowKey(importID, r))
			}
			rs, err := s.db.Read.QueryContext(ctx, `SELECT `+rowNumOf("")+`, data FROM importer_rows WHERE id IN (?`+strings.Repeat(",?", n-1)+`) ORDER BY id`, args...)
			if err != nil {
				return fmt.Errorf("read rows: %w", err)
			}
			type row struct {
				n    int64
				data string
			}
			var page []row
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.n, &r.data); err != nil {
					rs.Close()
					return fmt.Errorf("read rows: %w", err)
				}
				page = append(page, r)
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return fmt.Errorf("read rows: %w", err)
			}
			for _, r := range page {
				if err := fn(r.n, r.data); err != nil {
					return err
				}
			}
			rows = rows[n:]
		}
		return nil
	}
	var after int64
	for {
		type row struct {
			n    int64
			data string
		}
		var page []row
		_, last := rowKeys(importID)
		rs, err := s.db.Read.QueryContext(ctx, `SELECT `+rowNumOf("")+`, data FROM importer_rows WHERE id > ? AND id <= ? ORDER BY id LIMIT 5000`, rowKey(importID, after), last)
		if err != nil {
			return fmt.Errorf("read rows: %w", err)
		}
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.n, &r.data); err != nil {
				rs.Close()
				return fmt.Errorf("read rows: %w", err)
			}
			page = append(page, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return fmt.Errorf("read rows: %w", err)
		}
		for _, r := range page {
			if err := fn(r.n, r.data); err != nil {
				return err
			}
		}
		if len(page) < 5000 {
			return nil
		}
		after = page[len(page)-1].n
	}
}

// applyAnswers caches answers with findings or values and rewrites the
// rows they concern (findings, replacement values) through a mutation,
// so counts, uniqueness and matching follow. A row whose content is no
// longer what was sent is left alone: the answer is stale.
func (s *Service) applyAnswers(ctx context.Context, imp *Import, sc *schema.Schema, u *uniqIndex, found []cbFound) error {
	return s.commitEdit(ctx, imp, u, func(tx *store.Tx) error {
		var m *mutation // made for the first row that needs rewriting
		defer func() {
			if m != nil {
				m.close()
			}
		}()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO importer_callback_cache (import_id, row_hash, result) VALUES (?, ?, ?)
			ON CONFLICT (import_id, row_hash) DO UPDATE SET result = excluded.result`)
		if err != nil {
			return fmt.Errorf("callback cache: %w", err)
		}
		defer ins.Close()
		put := func(hash []byte, f cachedFindings) error {
			res := "{}"
			if len(f.Errors)+len(f.Warnings) > 0 {
				b, _ := json.Marshal(f)
				res = string(b)
			}
			if _, err := ins.ExecContext(ctx, imp.ID, hash, res); err != nil {
				return fmt.Errorf("callback cache: %w", err)
			}
			return nil
		}
		cur, err := tx.PrepareContext(ctx, `SELECT data, errors, warnings FROM importer_rows WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("callback: %w", err)
		}
		defer cur.Close()
		for _, fd := range found {
			a := fd.ans
			f := cachedFindings{Errors: a.Errors, Warnings: a.Warnings}
			if err := put(fd.hash[:], f); err != nil {
				return err
			}
			old := rowState{row: fd.row}
			var data string
			err := cur.QueryRowContext(ctx, rowKey(imp.ID, fd.row)).Scan(&data, &old.errors, &old.warnings)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && data != fd.data) {
				continue // deleted or changed since it was sent
			}
			if err != nil {
				return fmt.Errorf("callback: read row %d: %w", fd.row, err)
			}
			if old, err = decodeRowState(sc, old, data); err != nil {
				return fmt.Errorf("callback: read row %d: %w", fd.row, err)
			}
			if m == nil {
				m = s.newMutation(ctx, tx, imp, sc, u)
			}
			newCells := append([]string(nil), old.cells...)
			for k, v := range a.Values {
				if ci := sc.Index(k); ci >= 0 {
					newCells[ci] = answerText(v)
				}
			}
			changed := false
			for i := range old.cells {
				changed = changed || newCells[i] != old.cells[i]
			}
			if changed {
				// the replaced content carries the same findings
				if err := put(hashBytes(rowHash16(string(encodeRow(nil, newCells)))), f); err != nil {
					return err
				}
			}
			if !changed && len(f.Errors)+len(f.Warnings) == 0 {
				continue
			}
			if err := m.update(old, newCells); err != nil {
				return err
			}
		}
		if m == nil {
			return nil
		}
		_, err = m.finish()
		return err
	})
}

// answerText is a replacement value as cell text.
func answerText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default: // numbers and booleans as JSON writes them
		b, _ := json.Marshal(x)
		return string(b)
	}
}
