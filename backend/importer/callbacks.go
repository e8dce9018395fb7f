package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

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

func rowHash(data string) []byte {
	h := sha256.Sum256([]byte(data))
	return h[:16]
}

// callbackIssues returns the cached findings of a row's content; ok is
// false when the endpoint has not judged it.
func callbackIssues(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, importID int64, sc *schema.Schema, cells []string, out []schema.Issue) ([]schema.Issue, bool, error) {
	data := string(schema.AppendRowJSON(nil, cells))
	var raw string
	err := q.QueryRowContext(ctx, `SELECT result FROM importer_callback_cache WHERE import_id = ? AND row_hash = ?`, importID, rowHash(data)).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return out, false, nil
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

// runCallbacks sends the rows (nil: every row) whose content the
// endpoint has not judged, and applies the answers.
func (s *Service) runCallbacks(ctx context.Context, imp *Import, sc *schema.Schema, rows []int64) error {
	cb := sc.CallbackOf()
	if cb == nil {
		return nil
	}
	if s.Callbacks == nil {
		return s.setCallbackState(ctx, imp.ID, CallbackFailed, "callbacks are not available in this process", 0)
	}
	if rows != nil {
		// after a failure, any call checks every row not judged yet
		if st, err := s.callbackState(ctx, imp, sc); err != nil {
			return err
		} else if st.State != CallbackOK {
			rows = nil
		}
	}
	if err := s.setCallbackState(ctx, imp.ID, CallbackRunning, "", 0); err != nil {
		return err
	}
	cfg := hooks.CallbackConfig{URL: cb.URL, Timeout: cb.TimeoutOf(), SigningSecret: cb.SigningSecret}
	batchN := cb.BatchSize()
	type pending struct {
		row   int64
		cells []string
		hash  []byte
	}
	var batch []pending
	var checked int64
	var reqRows []hooks.CallbackRow
	var rec []byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		reqRows = reqRows[:0]
		for _, p := range batch {
			rec = sc.AppendRecord(rec[:0], p.cells)
			reqRows = append(reqRows, hooks.CallbackRow{Row: p.row, Values: json.RawMessage(append([]byte(nil), rec...))})
		}
		ans, err := s.Callbacks.Call(ctx, cfg, hooks.CallbackRequest{Importer: imp.Template.Slug, Import: imp.Slug, Metadata: imp.Metadata, Rows: reqRows})
		if err != nil {
			return err
		}
		byRow := map[int64]hooks.RowAnswer{}
		for _, a := range ans.Rows {
			byRow[a.Row] = a
		}
		if err := s.applyAnswers(ctx, imp, sc, func(yield func(row int64, cells []string, hash []byte, a hooks.RowAnswer) error) error {
			for _, p := range batch {
				if err := yield(p.row, p.cells, p.hash, byRow[p.row]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		checked += int64(len(batch))
		batch = batch[:0]
		return nil
	}
	// candidates are checked against the cache in chunks (one IN query
	// per 500 rows), then the unjudged ones are sent in batches
	var cand []pending
	sift := func() error {
		for len(cand) > 0 {
			n := min(len(cand), 500)
			chunk := cand[:n]
			cand = cand[n:]
			args := make([]any, 0, n+1)
			args = append(args, imp.ID)
			for _, p := range chunk {
				args = append(args, p.hash)
			}
			rs, err := s.db.Read.QueryContext(ctx, `SELECT row_hash FROM importer_callback_cache WHERE import_id = ? AND row_hash IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
			if err != nil {
				return fmt.Errorf("callback cache: %w", err)
			}
			judged := map[string]bool{}
			for rs.Next() {
				var h []byte
				if err := rs.Scan(&h); err != nil {
					rs.Close()
					return fmt.Errorf("callback cache: %w", err)
				}
				judged[string(h)] = true
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return fmt.Errorf("callback cache: %w", err)
			}
			for _, p := range chunk {
				if judged[string(p.hash)] {
					continue
				}
				batch = append(batch, p)
				if len(batch) >= batchN {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	err := s.eachStagedRow(ctx, imp.ID, rows, func(row int64, data string, cells []string) error {
		cand = append(cand, pending{row: row, cells: cells, hash: rowHash(data)})
		if len(cand) >= 500 {
			return sift()
		}
		return nil
	})
	if err == nil {
		err = sift()
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		if errors.Is(err, hooks.ErrNoAnswer) {
			s.log.Warn("validation callback", "import", imp.Slug, "err", err)
			return s.setCallbackState(ctx, imp.ID, CallbackFailed, errMessage(err), checked)
		}
		_ = s.setCallbackState(context.WithoutCancel(ctx), imp.ID, CallbackFailed, err.Error(), checked)
		return err
	}
	return s.setCallbackState(ctx, imp.ID, CallbackOK, "", checked)
}

func errMessage(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// eachStagedRow calls fn for the given rows (nil: all), in row order.
func (s *Service) eachStagedRow(ctx context.Context, importID int64, rows []int64, fn func(row int64, data string, cells []string) error) error {
	if rows != nil {
		for _, r := range rows {
			var data string
			err := s.db.Read.QueryRowContext(ctx, `SELECT data FROM importer_rows WHERE import_id = ? AND row_num = ?`, importID, r).Scan(&data)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("read row %d: %w", r, err)
			}
			cells, err := schema.DecodeRowJSON(data, nil)
			if err != nil {
				return err
			}
			if err := fn(r, data, cells); err != nil {
				return err
			}
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
		rs, err := s.db.Read.QueryContext(ctx, `SELECT row_num, data FROM importer_rows WHERE import_id = ? AND row_num > ? ORDER BY row_num LIMIT 5000`, importID, after)
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
			cells, err := schema.DecodeRowJSON(r.data, nil)
			if err != nil {
				return err
			}
			if err := fn(r.n, r.data, cells); err != nil {
				return err
			}
		}
		if len(page) < 5000 {
			return nil
		}
		after = page[len(page)-1].n
	}
}

// applyAnswers caches a batch's answers and rewrites the rows they
// concern (findings, replacement values) through a mutation, so counts,
// uniqueness and matching follow.
func (s *Service) applyAnswers(ctx context.Context, imp *Import, sc *schema.Schema,
	each func(yield func(row int64, cells []string, hash []byte, a hooks.RowAnswer) error) error) error {
	u, err := s.uniqFor(ctx, imp, sc)
	if err != nil {
		return err
	}
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
		err = each(func(row int64, cells []string, hash []byte, a hooks.RowAnswer) error {
			f := cachedFindings{Errors: a.Errors, Warnings: a.Warnings}
			if err := put(hash, f); err != nil {
				return err
			}
			newCells := append([]string(nil), cells...)
			for k, v := range a.Values {
				if ci := sc.Index(k); ci >= 0 {
					newCells[ci] = answerText(v)
				}
			}
			changed := false
			for i := range cells {
				changed = changed || newCells[i] != cells[i]
			}
			if changed {
				// the replaced content carries the same findings
				if err := put(rowHash(string(schema.AppendRowJSON(nil, newCells))), f); err != nil {
					return err
				}
			}
			if !changed && len(f.Errors)+len(f.Warnings) == 0 {
				return nil
			}
			if m == nil {
				m = s.newMutation(ctx, tx, imp, sc, u)
			}
			old, err := m.readRow(row)
			if err != nil {
				return err
			}
			return m.update(old, newCells)
		})
		if err != nil || m == nil {
			return err
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
	case float64, bool:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
