package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Update instead of duplicate. An importer with match_on marks each
// staged row new, update (with the changed columns) or unchanged against
// the last submitted record with the same match key, looked up in
// importer_match_index (keyed by importer, scope and a hash of the key:
// one point lookup per row, never a scan). Submit gives each record its
// operation (create, update, unchanged) and moves the index forward.

// Match statuses of a staged row, and the operations of records.
const (
	MatchNew       = "new"
	MatchUpdate    = "update"
	MatchUnchanged = "unchanged"

	OpCreate    = "create"
	OpUpdate    = "update"
	OpUnchanged = "unchanged"
)

// operationOf is the record operation of a row's match status.
func operationOf(status string) string {
	switch status {
	case MatchUpdate:
		return OpUpdate
	case MatchUnchanged:
		return OpUnchanged
	case MatchNew:
		return OpCreate
	}
	return ""
}

// matchScope is the index scope of an import: "org", or "user:<value of
// the session metadata key>".
func matchScope(imp *Import, sc *schema.Schema) string {
	if sc.Def.MatchScopeOf() != schema.MatchScopeUser {
		return schema.MatchScopeOrg
	}
	v, ok := imp.Metadata[sc.Def.MatchUserKeyOf()]
	if !ok || v == nil {
		return "user:"
	}
	return "user:" + fmt.Sprint(v)
}

// matcher looks rows up in the index.
type matcher struct {
	sc       *schema.Schema
	importer string
	scope    string
	q        interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	keyBuf    []byte
	rowImport int64 // the import whose rows write stores statuses of
}

func newMatcher(imp *Import, sc *schema.Schema, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) *matcher {
	if len(sc.MatchColumns()) == 0 {
		return nil
	}
	return &matcher{sc: sc, importer: imp.Template.Slug, scope: matchScope(imp, sc), q: q, rowImport: imp.ID}
}

func (m *matcher) hash(cells []string) ([]byte, bool) {
	var ok bool
	m.keyBuf, ok = m.sc.AppendMatchKey(m.keyBuf[:0], cells)
	if !ok {
		return nil, false
	}
	h := sha256.Sum256(m.keyBuf)
	return h[:16], true
}

// status returns a row's match status and, for an update, the keys of
// the columns that differ from the last submitted record.
func (m *matcher) status(ctx context.Context, cells []string) (string, []string, error) {
	h, ok := m.hash(cells)
	if !ok {
		return MatchNew, nil, nil
	}
	var data string
	err := m.q.QueryRowContext(ctx, `SELECT data FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash = ?`, m.importer, m.scope, h).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return MatchNew, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("match: look up: %w", err)
	}
	var last map[string]string
	if err := json.Unmarshal([]byte(data), &last); err != nil {
		return "", nil, fmt.Errorf("match: read index: %w", err)
	}
	var changed []string
	for ci := 0; ci < m.sc.NumColumns(); ci++ {
		v := ""
		if ci < len(cells) {
			v = schema.TrimCell(cells[ci])
		}
		if schema.TrimCell(last[m.sc.Key(ci)]) != v {
			changed = append(changed, m.sc.Key(ci))
		}
	}
	if len(changed) == 0 {
		return MatchUnchanged, nil, nil
	}
	return MatchUpdate, changed, nil
}

// write stores a row's status.
func (m *matcher) write(ctx context.Context, exec func(q string, args ...any) error, row int64, cells []string) error {
	st, changed, err := m.status(ctx, cells)
	if err != nil {
		return err
	}
	ch := ""
	if len(changed) > 0 {
		b, _ := json.Marshal(changed)
		ch = string(b)
	}
	return exec(`INSERT INTO importer_row_match (import_id, row_num, status, changed) VALUES (?, ?, ?, ?)
		ON CONFLICT (import_id, row_num) DO UPDATE SET status = excluded.status, changed = excluded.changed`, m.rowImport, row, st, ch)
}

// markMatches sets the match status of every staged row of an import
// (after staging).
func (s *Service) markMatches(ctx context.Context, imp *Import, sc *schema.Schema) error {
	m := newMatcher(imp, sc, s.db.Read)
	if m == nil {
		return nil
	}
	var after int64
	for {
		type row struct {
			num   int64
			cells []string
		}
		var rows []row
		rs, err := s.db.Read.QueryContext(ctx, `SELECT row_num, data FROM importer_rows WHERE import_id = ? AND row_num > ? ORDER BY row_num LIMIT 5000`, imp.ID, after)
		if err != nil {
			return fmt.Errorf("match: read rows: %w", err)
		}
		for rs.Next() {
			var r row
			var data string
			if err := rs.Scan(&r.num, &data); err != nil {
				rs.Close()
				return fmt.Errorf("match: read rows: %w", err)
			}
			if r.cells, err = schema.DecodeRowJSON(data, nil); err != nil {
				rs.Close()
				return err
			}
			rows = append(rows, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return fmt.Errorf("match: read rows: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO importer_row_match (import_id, row_num, status, changed) VALUES (?, ?, ?, ?)
				ON CONFLICT (import_id, row_num) DO UPDATE SET status = excluded.status, changed = excluded.changed`)
			if err != nil {
				return err
			}
			defer st.Close()
			exec := func(_ string, args ...any) error { _, err := st.ExecContext(ctx, args...); return err }
			for _, r := range rows {
				if err := m.write(ctx, exec, r.num, r.cells); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("match: %w", err)
		}
		after = rows[len(rows)-1].num
	}
}

// updateMatchIndex records the submitted rows (create and update) as the
// last record of their key.
func (s *Service) updateMatchIndex(ctx context.Context, tx *store.Tx, imp *Import, sc *schema.Schema, exclude bool) error {
	m := newMatcher(imp, sc, tx)
	if m == nil {
		return nil
	}
	q := `SELECT r.data FROM importer_rows r JOIN importer_row_match x ON x.import_id = r.import_id AND x.row_num = r.row_num
		WHERE r.import_id = ? AND x.status != 'unchanged'`
	if exclude {
		q += ` AND r.errors = 0`
	}
	rs, err := tx.QueryContext(ctx, q+` ORDER BY r.row_num`, imp.ID)
	if err != nil {
		return fmt.Errorf("match: index: %w", err)
	}
	var datas []string
	for rs.Next() {
		var d string
		if err := rs.Scan(&d); err != nil {
			rs.Close()
			return fmt.Errorf("match: index: %w", err)
		}
		datas = append(datas, d)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("match: index: %w", err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO importer_match_index (importer, scope, key_hash, data, import_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (importer, scope, key_hash) DO UPDATE SET data = excluded.data, import_id = excluded.import_id, updated_at = excluded.updated_at`)
	if err != nil {
		return fmt.Errorf("match: index: %w", err)
	}
	defer st.Close()
	now := nowString()
	obj := map[string]string{}
	for _, d := range datas {
		cells, err := schema.DecodeRowJSON(d, nil)
		if err != nil {
			return err
		}
		h, ok := m.hash(cells)
		if !ok {
			continue
		}
		for ci := 0; ci < sc.NumColumns(); ci++ {
			v := ""
			if ci < len(cells) {
				v = cells[ci]
			}
			obj[sc.Key(ci)] = v
		}
		b, _ := json.Marshal(obj)
		if _, err := st.ExecContext(ctx, m.importer, m.scope, h, string(b), imp.ID, now); err != nil {
			return fmt.Errorf("match: index: %w", err)
		}
	}
	return nil
}

// attachMatch fills the rows' match status and changed columns.
func (s *Service) attachMatch(ctx context.Context, importID int64, sc *schema.Schema, rows []Row) error {
	if len(sc.MatchColumns()) == 0 || len(rows) == 0 {
		return nil
	}
	st, err := s.db.Read.PrepareContext(ctx, `SELECT status, changed FROM importer_row_match WHERE import_id = ? AND row_num = ?`)
	if err != nil {
		return fmt.Errorf("match: %w", err)
	}
	defer st.Close()
	for i := range rows {
		var status, changed string
		err := st.QueryRowContext(ctx, importID, rows[i].Row).Scan(&status, &changed)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("match: %w", err)
		}
		rows[i].Match = status
		if changed != "" {
			_ = json.Unmarshal([]byte(changed), &rows[i].Changed)
		}
	}
	return nil
}

// matchCounts counts the staged rows per match status.
func (s *Service) matchCounts(ctx context.Context, importID int64, sc *schema.Schema) (map[string]int64, error) {
	if len(sc.MatchColumns()) == 0 {
		return nil, nil
	}
	out := map[string]int64{MatchNew: 0, MatchUpdate: 0, MatchUnchanged: 0}
	rs, err := s.db.Read.QueryContext(ctx, `SELECT status, count(*) FROM importer_row_match WHERE import_id = ? GROUP BY status`, importID)
	if err != nil {
		return nil, fmt.Errorf("match: count: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var st string
		var n int64
		if err := rs.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("match: count: %w", err)
		}
		out[st] = n
	}
	return out, rs.Err()
}

// appendOperation adds the operation as one more element of a stored
// record values array ([v1,...,vn] -> [v1,...,vn,"update"]); readers of
// the n values ignore it.
func appendOperation(buf []byte, op string) []byte {
	if op == "" || len(buf) == 0 || buf[len(buf)-1] != ']' {
		return buf
	}
	buf = append(buf[:len(buf)-1], `,"`...)
	buf = append(buf, op...)
	return append(buf, `"]`...)
}

// storedOperation reads the operation a stored values array of ncols
// values carries after them, "" when it has none.
func storedOperation(raw string, ncols int) string {
	parts, err := splitJSONArray(raw, nil)
	// after the values: the kept unmapped columns (an object), then the operation
	if err != nil || len(parts) <= ncols || !strings.HasPrefix(parts[len(parts)-1], `"`) {
		return ""
	}
	var op string
	if json.Unmarshal([]byte(parts[len(parts)-1]), &op) != nil {
		return ""
	}
	return op
}

// fileFindings fills a file import's first findings, match counts and
// callback state (fusebox import's summary).
func (s *Service) fileFindings(ctx context.Context, slug string, res *FileResult) error {
	sum, err := s.Summary(ctx, slug)
	if err != nil {
		return err
	}
	res.Matches, res.Callback = sum.Matches, sum.Callback
	if sum.ErrorRows+sum.WarningRows == 0 {
		return nil
	}
	page, err := s.Rows(ctx, slug, RowQuery{Filter: "issues", Limit: MaxFileIssues})
	if err != nil {
		return err
	}
	for _, r := range page.Rows {
		for _, is := range r.Issues {
			if len(res.Issues) < MaxFileIssues {
				res.Issues = append(res.Issues, FileIssue{Row: r.Row, Column: is.Column, Severity: is.Severity, Message: is.Message})
			}
		}
	}
	return nil
}
