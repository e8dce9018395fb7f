package importer

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
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
//
// Each index row carries a digest of its record (matchDigest of its
// data): staging reads only (key hash, digest) pairs and reads the data
// of the rows whose digest differs, to name their changed columns. An
// import's most common status (importer_imports.match_default) is not
// stored per row: importer_row_match holds the other rows' statuses.

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
// primary key or the digest index, never a scan).
const matchLookupSQL = `SELECT data FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash = ?`

// matchBatchLookupSQL reads the digests of n keys (NULL: indexed before
// the digest column, matchBatchDataSQL reads the data).
func matchBatchLookupSQL(n int) string {
	return `SELECT key_hash, digest FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash IN (?` + strings.Repeat(",?", n-1) + `)`
}

// matchBatchDataSQL reads the last records of n keys.
func matchBatchDataSQL(n int) string {
	return `SELECT key_hash, data FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash IN (?` + strings.Repeat(",?", n-1) + `)`
}

// matchDigest is the digest of a record's index form, as stored in
// importer_match_index.digest: the first 16 bytes of its SHA-256 (the
// PostgreSQL migration computes the same in SQL).
func matchDigest(data []byte) [16]byte {
	h := sha256.Sum256(data)
	return [16]byte(h[:16])
}

// matchStatusCountSQL counts an import's rows of one status (the review's
// total under a new/update/unchanged filter), on importer_row_match_status;
// matchStoredCountSQL counts the rows with a stored status (the rows of
// the import's default status are the others).
const (
	matchStatusCountSQL = `SELECT count(*) FROM importer_row_match WHERE import_id = ? AND status = ?`
	matchStoredCountSQL = `SELECT count(*) FROM importer_row_match WHERE import_id = ?`
)

// matcher looks rows up in the index.
type matcher struct {
	sc       *schema.Schema
	importer string
	scope    string
	q        interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	keyBuf    []byte
	last      map[string]string // compare's record, cleared and refilled by each call
	rowImport int64             // the import whose rows write stores statuses of
	deflt     string            // that import's status not stored per row ("": every status stored)
}

func newMatcher(imp *Import, sc *schema.Schema, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) *matcher {
	if len(sc.MatchColumns()) == 0 {
		return nil
	}
	return &matcher{sc: sc, importer: imp.Template.Slug, scope: matchScope(imp, sc), q: q, rowImport: imp.ID, deflt: imp.matchDefault}
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
	if m.last == nil {
		m.last = make(map[string]string, m.sc.NumColumns())
	}
	last := m.last
	if err := schema.DecodeObjectJSON(data, last); err != nil {
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

// write stores a row's status (removes it when it is the import's
// default status).
func (m *matcher) write(ctx context.Context, exec func(q string, args ...any) error, row int64, cells []string) error {
	st, changed, err := m.status(ctx, cells)
	if err != nil {
		return err
	}
	if st == m.deflt {
		return exec(`DELETE FROM importer_row_match WHERE import_id = ? AND row_num = ?`, m.rowImport, row)
	}
	ch := ""
	if len(changed) > 0 {
		b, _ := json.Marshal(changed)
		ch = string(b)
	}
	return exec(`INSERT INTO importer_row_match (import_id, row_num, status, changed) VALUES (?, ?, ?, ?)
		ON CONFLICT (import_id, row_num) DO UPDATE SET status = excluded.status, changed = excluded.changed`, m.rowImport, row, st, ch)
}

// stageMatcher marks rows as they are staged. The parser notes each
// row's key hash and the digest of its index form (add, 32 bytes a row);
// after the rows are written, storeMatches sorts the keys and looks their
// digests up 500 a query: in key order the look-ups walk the digest
// index's pages in order, each read once, where rows in file order hit a
// random page each (measured: 22 s for 1M rows against 1M records in file
// order). The last records of the rows whose digest differs are read,
// those rows read back (in row order) to name the changed columns, and
// the statuses other than the most common one stored in row order.
type stageMatcher struct {
	m     *matcher
	order []int // columns in key order: the index form's order
	buf   []byte
	// the rows noted, in row order, in chunks of matchChunk (a chunk is
	// never copied as more rows come, nor moved: lookUpMatches points
	// into them)
	chunks [][]matchEntry
}

// matchChunk is how many rows one chunk of a stageMatcher holds.
const matchChunk = 1 << 14

type matchEntry struct {
	key    [16]byte // zero: the row has no key
	digest [16]byte // of the row's index form
	row    int64
	status string // "" (new) until looked up
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

// add notes a staged row.
func (sm *stageMatcher) add(row int64, cells []string) {
	if sm == nil {
		return
	}
	e := matchEntry{row: row}
	if h, ok := sm.m.hash(cells); ok {
		e.key = [16]byte(h)
		sm.buf = appendIndexData(sm.buf[:0], sm.m.sc, sm.order, cells)
		e.digest = matchDigest(sm.buf)
	}
	if len(sm.chunks) == 0 || len(sm.chunks[len(sm.chunks)-1]) == matchChunk {
		sm.chunks = append(sm.chunks, make([]matchEntry, 0, matchChunk))
	}
	last := &sm.chunks[len(sm.chunks)-1]
	*last = append(*last, e)
}

// storeMatches looks the staged rows' keys up and stores their statuses:
// the import's most common status becomes its match_default, and only
// the rows of the other statuses get a row in importer_row_match.
func (s *Service) storeMatches(ctx context.Context, imp *Import, sm *stageMatcher) error {
	if sm == nil {
		return nil
	}
	chunks := sm.chunks
	sm.chunks = nil
	// no earlier record in this scope (a first import): every row is new
	var one int
	err := s.db.Read.QueryRowContext(ctx, `SELECT 1 FROM importer_match_index WHERE importer = ? AND scope = ? LIMIT 1`, sm.m.importer, sm.m.scope).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("match: look up: %w", err)
	}
	var digests []filledDigest
	var changed map[int64]string
	if err == nil && len(chunks) > 0 {
		if digests, changed, err = s.lookUpMatches(ctx, imp, sm, chunks); err != nil {
			return err
		}
	}
	counts := map[string]int{}
	for _, c := range chunks {
		for i := range c {
			if c[i].status == "" {
				c[i].status = MatchNew
			}
			counts[c[i].status]++
		}
	}
	deflt := MatchNew
	for _, st := range []string{MatchUnchanged, MatchUpdate} {
		if counts[st] > counts[deflt] {
			deflt = st
		}
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET match_default = ? WHERE id = ?`, deflt, imp.ID); err != nil {
			return fmt.Errorf("match: %w", err)
		}
		imp.matchDefault = deflt
		// the digests of records indexed before the digest column
		for _, d := range digests {
			if _, err := tx.ExecContext(ctx, `UPDATE importer_match_index SET digest = ? WHERE importer = ? AND scope = ? AND key_hash = ? AND digest IS NULL`,
				d.digest[:], sm.m.importer, sm.m.scope, d.key[:]); err != nil {
				return fmt.Errorf("match: fill digests: %w", err)
			}
		}
		w := newBulkWriter(tx, imp.ID)
		defer w.close()
		// the chunks are in row order
		var entries []*matchEntry
		for _, c := range chunks {
			for i := range c {
				if c[i].status != deflt {
					entries = append(entries, &c[i])
				}
			}
		}
		for len(entries) > 0 {
			n := min(len(entries), maxTuples)
			st, err := w.stmt(ctx, `INSERT INTO importer_row_match (import_id, row_num, status, changed) VALUES `, `(?,?,?,?)`, n)
			if err != nil {
				return fmt.Errorf("match: %w", err)
			}
			w.args = w.args[:0]
			for _, e := range entries[:n] {
				w.args = append(w.args, imp.ID, e.row, e.status, changed[e.row])
			}
			if _, err := st.ExecContext(ctx, w.args...); err != nil {
				return fmt.Errorf("match: %w", err)
			}
			entries = entries[n:]
		}
		return nil
	})
}

// filledDigest is the digest computed for an index row that had none.
type filledDigest struct{ key, digest [16]byte }

// lookUpMatches sets the status of the entries whose key the index
// holds, and returns the digests it computed for index rows without one
// and the changed columns of the updates (a JSON array by row).
func (s *Service) lookUpMatches(ctx context.Context, imp *Import, sm *stageMatcher, chunks [][]matchEntry) ([]filledDigest, map[int64]string, error) {
	type update struct {
		e    *matchEntry
		last string // the index form of the last record
	}
	var updates []update
	// keyBatches calls f with batches of up to 500 entries with a key, in key order
	keyBatches := func(es []*matchEntry, f func([]*matchEntry) error) error {
		for len(es) > 0 {
			n := min(len(es), 500)
			if err := f(es[:n]); err != nil {
				return err
			}
			es = es[n:]
		}
		return nil
	}
	keyed := keyOrderOf(chunks)
	// the digests: equal is unchanged; a different or missing one needs the data
	differ, noDigest, err := s.matchDigests(ctx, sm, keyed)
	if err != nil {
		return nil, nil, err
	}
	var filled []filledDigest
	err = keyBatches(differ, func(batch []*matchEntry) error {
		last := make(map[[16]byte]string, len(batch))
		if err := s.queryKeys(ctx, sm, matchBatchDataSQL(len(batch)), batch, func(key [16]byte, data []byte) {
			last[key] = string(data)
		}); err != nil {
			return err
		}
		for _, e := range batch {
			data, ok := last[e.key]
			if !ok { // gone since the first read
				continue
			}
			if noDigest[e.key] {
				d := matchDigest([]byte(data))
				filled = append(filled, filledDigest{key: e.key, digest: d})
				delete(noDigest, e.key) // once per key
				if d == e.digest {
					e.status = MatchUnchanged
					continue
				}
			}
			updates = append(updates, update{e: e, last: data})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// updates: the rows read back in row order, the changed columns named
	slices.SortFunc(updates, func(a, b update) int { return cmp.Compare(a.e.row, b.e.row) })
	rows := make([]int64, len(updates))
	for i, u := range updates {
		rows[i] = u.e.row
	}
	changed := make(map[int64]string, len(updates))
	var cells []string
	k := 0
	err = s.eachStagedRow(ctx, imp.ID, rows, func(row int64, data string) error {
		for updates[k].e.row < row { // fn comes in row order
			k++
		}
		u := updates[k]
		var err error
		if cells, err = decodeRow(data, cells); err != nil {
			return err
		}
		st, ch, err := sm.m.compare(u.last, cells)
		if err != nil {
			return err
		}
		u.e.status = st
		if len(ch) > 0 {
			b, _ := json.Marshal(ch)
			changed[u.e.row] = string(b)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("match: %w", err)
	}
	return filled, changed, nil
}

// queryKeys runs q (an IN list of batch's keys after the importer and
// scope, as matchBatchLookupSQL and matchBatchDataSQL) and calls row with
// each (key_hash, value) row read (v is its own copy; NULL is nil).
func (s *Service) queryKeys(ctx context.Context, sm *stageMatcher, q string, batch []*matchEntry, row func(key [16]byte, v []byte)) error {
	args := make([]any, 0, 2+len(batch))
	args = append(args, sm.m.importer, sm.m.scope)
	for _, e := range batch {
		args = append(args, e.key[:])
	}
	rs, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("match: look up: %w", err)
	}
	defer rs.Close()
	var h, v []byte
	for rs.Next() {
		if err := rs.Scan(&h, &v); err != nil {
			return fmt.Errorf("match: look up: %w", err)
		}
		if len(h) != 16 {
			return fmt.Errorf("match: look up: a key hash of %d bytes", len(h))
		}
		row([16]byte(h), v)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("match: look up: %w", err)
	}
	return nil
}

// keyOrderOf points to the entries with a key, sorted by key (entries
// of one key in row order).
func keyOrderOf(chunks [][]matchEntry) []*matchEntry {
	// sorted as two integers (big-endian: the order of the bytes), not
	// by moving the entries or reading them through their pointers
	type ref struct {
		hi, lo uint64
		e      *matchEntry
	}
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	refs := make([]ref, 0, n)
	var zero [16]byte
	for _, c := range chunks {
		for i := range c {
			if k := c[i].key; k != zero {
				refs = append(refs, ref{binary.BigEndian.Uint64(k[:8]), binary.BigEndian.Uint64(k[8:]), &c[i]})
			}
		}
	}
	slices.SortFunc(refs, func(a, b ref) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		return cmp.Compare(a.e.row, b.e.row)
	})
	keyed := make([]*matchEntry, len(refs))
	for i, r := range refs {
		keyed[i] = r.e
	}
	return keyed
}

// updateMatchIndex records the submitted rows (create and update) as the
// last record of their key: in key order, 200 a statement (a B-tree fed
// sorted keys appends; fed random keys it touches a random page per key).
func (s *Service) updateMatchIndex(ctx context.Context, tx *store.Tx, imp *Import, sc *schema.Schema, exclude bool) error {
	m := newMatcher(imp, sc, tx)
	if m == nil {
		return nil
	}
	q := `SELECT r.data FROM importer_rows r LEFT JOIN importer_row_match x ON x.import_id = ? AND x.row_num = ` + rowNumOf("r") + `
		WHERE r.id BETWEEN ? AND ? AND coalesce(x.status, ?) != 'unchanged'`
	if exclude {
		q += ` AND r.errors = 0`
	}
	first, last := rowKeys(imp.ID)
	rs, err := tx.QueryContext(ctx, q+` ORDER BY r.id`, imp.ID, first, last, imp.matchDefault)
	if err != nil {
		return fmt.Errorf("match: index: %w", err)
	}
	type entry struct {
		key, digest [16]byte
		data        string
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
		if cells, err = decodeRow(d, cells); err != nil {
			rs.Close()
			return err
		}
		h, ok := m.hash(cells)
		if !ok {
			continue
		}
		buf = appendIndexData(buf[:0], sc, order, cells)
		entries = append(entries, entry{key: [16]byte(h), digest: matchDigest(buf), data: string(buf)})
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
	w := newBulkWriter(tx, imp.ID)
	defer w.close()
	for len(entries) > 0 {
		n := min(len(entries), per)
		st, err := w.stmtWith(ctx, `INSERT INTO importer_match_index (importer, scope, key_hash, data, digest, import_id, updated_at) VALUES `, `(?,?,?,?,?,?,?)`,
			` ON CONFLICT (importer, scope, key_hash) DO UPDATE SET data = excluded.data, digest = excluded.digest, import_id = excluded.import_id, updated_at = excluded.updated_at`, n)
		if err != nil {
			return fmt.Errorf("match: index: %w", err)
		}
		w.args = w.args[:0]
		for _, e := range entries[:n] {
			w.args = append(w.args, m.importer, m.scope, e.key[:], e.data, e.digest[:], imp.ID, now)
		}
		if _, err := st.ExecContext(ctx, w.args...); err != nil {
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
	var deflt string
	if err := s.db.Read.QueryRowContext(ctx, `SELECT match_default FROM importer_imports WHERE id = ?`, importID).Scan(&deflt); err != nil {
		return fmt.Errorf("match: %w", err)
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
			rows[i].Match = deflt
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
func (s *Service) matchCounts(ctx context.Context, imp *Import, sc *schema.Schema) (map[string]int64, error) {
	if len(sc.MatchColumns()) == 0 {
		return nil, nil
	}
	out := map[string]int64{MatchNew: 0, MatchUpdate: 0, MatchUnchanged: 0}
	if imp.matchDefault != "" {
		var stored int64
		if err := s.db.Read.QueryRowContext(ctx, matchStoredCountSQL, imp.ID).Scan(&stored); err != nil {
			return nil, fmt.Errorf("match: count: %w", err)
		}
		out[imp.matchDefault] = imp.RowCount - stored
	}
	rs, err := s.db.Read.QueryContext(ctx, `SELECT status, count(*) FROM importer_row_match WHERE import_id = ? GROUP BY status`, imp.ID)
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
