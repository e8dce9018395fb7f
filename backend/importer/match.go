package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// The index look-ups (match_plan_test.go checks their query plans: the
// primary key, never a scan).
const matchLookupSQL = `SELECT data FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash = ?`

func matchBatchLookupSQL(n int) string {
	return `SELECT key_hash, data FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash IN (?` + strings.Repeat(",?", n-1) + `)`
}

// matchStatusCountSQL counts an import's rows of one status (the review's
// total under a new/update/unchanged filter), on importer_row_match_status.
const matchStatusCountSQL = `SELECT count(*) FROM importer_row_match WHERE import_id = ? AND status = ?`

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
	err := m.q.QueryRowContext(ctx, matchLookupSQL, m.importer, m.scope, h).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return MatchNew, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("match: look up: %w", err)
	}
	return m.compare(data, cells)
}

// compare compares cells with the index form of the last record.
func (m *matcher) compare(data string, cells []string) (string, []string, error) {
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

// stageMatcher marks rows as they are staged: the parser computes each
// row's key hash and the index form of its cells (prepare), the writer
// looks a batch's keys up in the index, 500 a query (point lookups on
// the primary key), and stores the statuses in the transaction that
// stores the rows (write).
type stageMatcher struct {
	m     *matcher
	order []int // columns in key order: the index form's order
	args  []any
	buf   []byte
}

func newStageMatcher(imp *Import, sc *schema.Schema) *stageMatcher {
	m := newMatcher(imp, sc, nil)
	if m == nil {
		return nil
	}
	return &stageMatcher{m: m, order: keyOrder(sc)}
}

// keyOrder is the columns sorted by key (the index form is a JSON object
// with its keys sorted, as encoding/json wrote it before).
func keyOrder(sc *schema.Schema) []int {
	order := make([]int, sc.NumColumns())
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(sc.Key(a), sc.Key(b)) })
	return order
}

// appendIndexData appends the index form of a row: {"key": "cell", ...},
// keys sorted.
func appendIndexData(dst []byte, sc *schema.Schema, order []int, cells []string) []byte {
	dst = append(dst, '{')
	for i, ci := range order {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = schema.AppendJSONString(dst, sc.Key(ci))
		dst = append(dst, ':')
		v := ""
		if ci < len(cells) {
			v = cells[ci]
		}
		dst = schema.AppendJSONString(dst, v)
	}
	return append(dst, '}')
}

// prepare fills a row's match key hash and index form.
func (sm *stageMatcher) prepare(sr *stagedRow, cells []string) {
	if sm == nil {
		return
	}
	h, ok := sm.m.hash(cells)
	if !ok {
		return
	}
	sr.matchKey = [16]byte(h)
	sm.buf = appendIndexData(sm.buf[:0], sm.m.sc, sm.order, cells)
	sr.matchData = string(sm.buf)
}

// write looks the rows up and stores their statuses.
func (sm *stageMatcher) write(ctx context.Context, w *bulkWriter, rows []stagedRow) error {
	if sm == nil || len(rows) == 0 {
		return nil
	}
	var zero [16]byte
	last := map[[16]byte]string{}
	for i := 0; i < len(rows); {
		sm.args = append(sm.args[:0], sm.m.importer, sm.m.scope)
		for ; i < len(rows) && len(sm.args) < 502; i++ {
			if rows[i].matchKey != zero {
				sm.args = append(sm.args, rows[i].matchKey[:])
			}
		}
		n := len(sm.args) - 2
		if n == 0 {
			continue
		}
		rs, err := w.tx.QueryContext(ctx, matchBatchLookupSQL(n), sm.args...)
		if err != nil {
			return fmt.Errorf("match: look up: %w", err)
		}
		for rs.Next() {
			var h []byte
			var data string
			if err := rs.Scan(&h, &data); err != nil {
				rs.Close()
				return fmt.Errorf("match: look up: %w", err)
			}
			last[[16]byte(h)] = data
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return fmt.Errorf("match: look up: %w", err)
		}
	}
	type status struct {
		row         int64
		st, changed string
	}
	out := make([]status, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		data, found := last[r.matchKey]
		switch {
		case r.matchKey == zero || !found:
			out = append(out, status{r.num, MatchNew, ""})
		case data == r.matchData:
			out = append(out, status{r.num, MatchUnchanged, ""})
		default:
			cells, err := schema.DecodeRowJSON(r.data, nil)
			if err != nil {
				return err
			}
			st, changed, err := sm.m.compare(data, cells)
			if err != nil {
				return err
			}
			ch := ""
			if len(changed) > 0 {
				b, _ := json.Marshal(changed)
				ch = string(b)
			}
			out = append(out, status{r.num, st, ch})
		}
	}
	for len(out) > 0 {
		n := min(len(out), maxTuples)
		st, err := w.stmt(ctx, `INSERT INTO importer_row_match (import_id, row_num, status, changed) VALUES `, `(?,?,?,?)`, n)
		if err != nil {
			return err
		}
		w.args = w.args[:0]
		for _, o := range out[:n] {
			w.args = append(w.args, w.importID, o.row, o.st, o.changed)
		}
		if _, err := st.ExecContext(ctx, w.args...); err != nil {
			return fmt.Errorf("match: %w", err)
		}
		out = out[n:]
	}
	return nil
}

// updateMatchIndex records the submitted rows (create and update) as the
// last record of their key: in key order, 200 a statement (a B-tree fed
// sorted keys appends; fed random keys it touches a random page per key).
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
	type entry struct {
		key  [16]byte
		data string
	}
	var entries []entry
	order := keyOrder(sc)
	var cells []string
	var buf []byte
	for rs.Next() {
		var d string
		if err := rs.Scan(&d); err != nil {
			rs.Close()
			return fmt.Errorf("match: index: %w", err)
		}
		if cells, err = schema.DecodeRowJSON(d, cells); err != nil {
			rs.Close()
			return err
		}
		h, ok := m.hash(cells)
		if !ok {
			continue
		}
		buf = appendIndexData(buf[:0], sc, order, cells)
		entries = append(entries, entry{key: [16]byte(h), data: string(buf)})
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("match: index: %w", err)
	}
	// the last row of a key wins, as when they were written in row order
	slices.SortStableFunc(entries, func(a, b entry) int { return bytes.Compare(a.key[:], b.key[:]) })
	uniq := entries[:0]
	for i, e := range entries {
		if i+1 < len(entries) && entries[i+1].key == e.key {
			continue
		}
		uniq = append(uniq, e)
	}
	entries = uniq
	now := nowString()
	const per = 200
	var stmts [2]*sql.Stmt
	defer func() {
		for _, st := range stmts {
			if st != nil {
				st.Close()
			}
		}
	}()
	args := make([]any, 0, 6*per)
	for len(entries) > 0 {
		n := min(len(entries), per)
		k := 0
		if n < per {
			k = 1
		}
		if stmts[k] == nil {
			st, err := tx.PrepareContext(ctx, `INSERT INTO importer_match_index (importer, scope, key_hash, data, import_id, updated_at) VALUES (?,?,?,?,?,?)`+
				strings.Repeat(`,(?,?,?,?,?,?)`, n-1)+
				` ON CONFLICT (importer, scope, key_hash) DO UPDATE SET data = excluded.data, import_id = excluded.import_id, updated_at = excluded.updated_at`)
			if err != nil {
				return fmt.Errorf("match: index: %w", err)
			}
			stmts[k] = st
		}
		args = args[:0]
		for _, e := range entries[:n] {
			args = append(args, m.importer, m.scope, e.key[:], e.data, imp.ID, now)
		}
		if _, err := stmts[k].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("match: index: %w", err)
		}
		entries = entries[n:]
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
