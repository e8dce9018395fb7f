package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"regexp"
	"slices"
	"strings"
	"sync"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Review edits. Every change goes through a mutation: the changed rows are
// re-validated, the uniqueness groups they leave or join are updated (and
// the partner rows whose duplicate status changes are re-validated too),
// the import's counts move by the difference, and the change is logged
// for undo/redo. Nothing else is re-validated.

// rowState is a staged row as read from the database.
type rowState struct {
	row      int64
	cells    []string
	errors   int
	warnings int
}

type mutation struct {
	s        *Service
	ctx      context.Context
	tx       *store.Tx
	imp      *Import
	sc       *schema.Schema
	u        *uniqIndex
	dRows    int64
	dErrRows int64
	dWarRows int64
	touched  map[int64]bool
	partners map[int64]bool
	keyBuf   []byte
	issues   []schema.Issue
	merged   []cellIssue
	stmts    map[string]*sql.Stmt
	hooks    *rowHooks // made on first use, closed by finish
	hooked   []schema.Issue
	isHooked bool
}

func (s *Service) newMutation(ctx context.Context, tx *store.Tx, imp *Import, sc *schema.Schema, u *uniqIndex) *mutation {
	return &mutation{s: s, ctx: ctx, tx: tx, imp: imp, sc: sc, u: u, touched: map[int64]bool{}, partners: map[int64]bool{}, stmts: map[string]*sql.Stmt{}}
}

func (m *mutation) exec(q string, args ...any) error {
	st, ok := m.stmts[q]
	if !ok {
		var err error
		st, err = m.tx.PrepareContext(m.ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		m.stmts[q] = st
	}
	_, err := st.ExecContext(m.ctx, args...)
	return err
}

func (m *mutation) close() {
	m.hooks.close()
	m.hooks = nil
	for _, st := range m.stmts {
		st.Close()
	}
}

// uniqFor returns the import's uniqueness index at its current version,
// rebuilding it from the staged rows when it is missing or stale.
func (s *Service) uniqFor(ctx context.Context, imp *Import, sc *schema.Schema) (*uniqIndex, error) {
	groups := sc.UniqueGroups()
	if len(groups) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	u := s.uniq[imp.ID]
	s.mu.Unlock()
	if u != nil && u.version == imp.Version {
		return u, nil
	}
	u = newUniqIndex(len(groups))
	first, last := rowKeys(imp.ID)
	rs, err := s.db.Read.QueryContext(ctx, `SELECT `+rowNumOf("")+`, data FROM importer_rows WHERE id BETWEEN ? AND ? ORDER BY id`, first, last)
	if err != nil {
		return nil, fmt.Errorf("build uniqueness index: %w", err)
	}
	defer rs.Close()
	var cells []string
	var keyBuf []byte
	for rs.Next() {
		var row int64
		var data string
		if err := rs.Scan(&row, &data); err != nil {
			return nil, fmt.Errorf("build uniqueness index: %w", err)
		}
		if cells, err = decodeRow(data, cells); err != nil {
			return nil, err
		}
		for gi := range groups {
			var ok bool
			keyBuf, ok = sc.AppendUniqueKey(keyBuf[:0], &groups[gi], cells)
			if ok {
				u.groups[gi].add(maphash.Bytes(u.seed, keyBuf), uint32(row))
			}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("build uniqueness index: %w", err)
	}
	u.version = imp.Version
	s.keepUniq(imp.ID, u)
	return u, nil
}

func (m *mutation) key(gi int, cells []string) (uint64, bool) {
	var ok bool
	m.keyBuf, ok = m.sc.AppendUniqueKey(m.keyBuf[:0], &m.sc.UniqueGroups()[gi], cells)
	if !ok {
		return 0, false
	}
	return maphash.Bytes(m.u.seed, m.keyBuf), true
}

// leave removes row from its groups; partners left alone get re-checked.
func (m *mutation) leave(row int64, cells []string) {
	if m.u == nil {
		return
	}
	for gi, g := range m.u.groups {
		h, ok := m.key(gi, cells)
		if !ok {
			continue
		}
		if rest := g.remove(h, uint32(row)); len(rest) == 1 {
			m.partners[int64(rest[0])] = true
		}
	}
}

// join adds row to its groups; a row that stops being alone gets re-checked.
func (m *mutation) join(row int64, cells []string) {
	if m.u == nil {
		return
	}
	for gi, g := range m.u.groups {
		h, ok := m.key(gi, cells)
		if !ok {
			continue
		}
		if g.add(h, uint32(row)) >= 0 {
			hs := g.holders(h)
			if len(hs) == 2 {
				for _, r := range hs {
					if int64(r) != row {
						m.partners[int64(r)] = true
					}
				}
			}
		}
	}
}

// runHooks runs the importer's hooks on a row about to be written (they
// may replace values, so before the row joins its uniqueness groups).
func (m *mutation) runHooks(cells []string) {
	if m.sc.HookProgram().Empty() {
		return
	}
	if m.hooks == nil {
		h, err := newRowHooks(m.sc)
		if err != nil {
			// compiled already: cannot fail but on a broken sandbox
			m.hooked = append(m.hooked[:0], schema.Issue{Col: 0, Severity: schema.SeverityError, Message: err.Error()})
			m.isHooked = true
			return
		}
		m.hooks = h
	}
	m.hooked = m.hooks.run(cells, m.hooked[:0])
	m.isHooked = true
}

// rowIssues validates a row completely, uniqueness and hooks included;
// the hooks have run on cells, and data is cells' stored encoding.
func (m *mutation) rowIssues(cells []string, data string) []schema.Issue {
	m.issues = append(m.issues[:0], m.hooked...)
	m.hooked, m.isHooked = m.hooked[:0], false
	m.issues = m.sc.ValidateRow(cells, m.issues)
	if m.sc.CallbackOf() != nil {
		var err error
		if m.issues, _, err = callbackIssues(m.ctx, m.tx, m.imp.ID, m.sc, data, m.issues); err != nil {
			m.s.log.Error("validation callback findings", "import", m.imp.Slug, "err", err)
		}
	}
	if m.u != nil {
		for gi, g := range m.u.groups {
			h, ok := m.key(gi, cells)
			if !ok {
				continue
			}
			if _, dup := g.more[h]; dup {
				grp := m.sc.UniqueGroups()[gi]
				m.issues = append(m.issues, schema.Issue{Col: grp.Col, Severity: schema.SeverityError, Message: grp.Message})
			}
		}
	}
	return m.issues
}

// write stores a row's cells and findings and moves the counts.
func (m *mutation) write(old rowState, cells []string, insert bool) error {
	var ne, nw int
	if !m.isHooked {
		m.runHooks(cells) // they may replace values: before the row is encoded
	}
	data := string(encodeRow(nil, cells))
	m.merged, ne, nw = appendMerged(m.merged[:0], old.row, m.rowIssues(cells, data))
	id, key := m.imp.ID, rowKey(m.imp.ID, old.row)
	if insert {
		if err := checkRowNum(old.row); err != nil {
			return err
		}
		if err := m.exec(`INSERT INTO importer_rows (id, data, errors, warnings) VALUES (?, ?, ?, ?)`, key, data, ne, nw); err != nil {
			return fmt.Errorf("insert row %d: %w", old.row, err)
		}
		m.dRows++
	} else {
		if err := m.exec(`UPDATE importer_rows SET data = ?, errors = ?, warnings = ? WHERE id = ?`, data, ne, nw, key); err != nil {
			return fmt.Errorf("update row %d: %w", old.row, err)
		}
		if old.errors+old.warnings > 0 {
			if err := m.exec(`DELETE FROM importer_cell_issues WHERE import_id = ? AND row_num = ?`, id, old.row); err != nil {
				return fmt.Errorf("update row %d: %w", old.row, err)
			}
		}
	}
	for _, is := range m.merged {
		if err := m.exec(`INSERT INTO importer_cell_issues (import_id, row_num, col, severity, message) VALUES (?, ?, ?, ?, ?)`,
			id, is.row, is.col, string(is.severity), is.message); err != nil {
			return fmt.Errorf("update row %d: %w", old.row, err)
		}
	}
	if mt := newMatcher(m.imp, m.sc, m.tx); mt != nil {
		if err := mt.write(m.ctx, m.exec, old.row, cells); err != nil {
			return fmt.Errorf("update row %d: %w", old.row, err)
		}
	}
	m.dErrRows += b2i(ne > 0) - b2i(!insert && old.errors > 0)
	m.dWarRows += b2i(nw > 0) - b2i(!insert && old.warnings > 0)
	m.touched[old.row] = true
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// update replaces a row's cells.
func (m *mutation) update(old rowState, cells []string) error {
	m.runHooks(cells)
	m.leave(old.row, old.cells)
	m.join(old.row, cells)
	return m.write(old, cells, false)
}

// insert adds a row (undo of a delete).
func (m *mutation) insert(row int64, cells []string) error {
	m.runHooks(cells)
	m.join(row, cells)
	return m.write(rowState{row: row}, cells, true)
}

// remove deletes a row.
func (m *mutation) remove(old rowState) error {
	m.leave(old.row, old.cells)
	if err := m.exec(`DELETE FROM importer_rows WHERE id = ?`, rowKey(m.imp.ID, old.row)); err != nil {
		return fmt.Errorf("delete row %d: %w", old.row, err)
	}
	if old.errors+old.warnings > 0 {
		if err := m.exec(`DELETE FROM importer_cell_issues WHERE import_id = ? AND row_num = ?`, m.imp.ID, old.row); err != nil {
			return fmt.Errorf("delete row %d: %w", old.row, err)
		}
	}
	if err := m.exec(`DELETE FROM importer_row_match WHERE import_id = ? AND row_num = ?`, m.imp.ID, old.row); err != nil {
		return fmt.Errorf("delete row %d: %w", old.row, err)
	}
	m.dRows--
	m.dErrRows -= b2i(old.errors > 0)
	m.dWarRows -= b2i(old.warnings > 0)
	m.touched[old.row] = true
	delete(m.partners, old.row)
	return nil
}

// finish re-validates partner rows and moves the import's counts; it
// returns the partner rows' numbers.
func (m *mutation) finish() ([]int64, error) {
	defer func() { m.hooks.close(); m.hooks = nil }()
	var partners []int64
	// partners include rows written earlier in this mutation whose group
	// changed after they were written
	for row := range m.partners {
		st, err := m.readRow(row)
		if err != nil {
			if errs.Is(err, errs.ENOTFOUND) {
				continue
			}
			return nil, err
		}
		if err := m.write(st, st.cells, false); err != nil {
			return nil, err
		}
		partners = append(partners, row)
	}
	m.partners = map[int64]bool{}
	_, err := m.tx.ExecContext(m.ctx, `UPDATE importer_imports SET row_count = row_count + ?, error_rows = error_rows + ?, warning_rows = warning_rows + ?,
		version = version + 1, updated_at = ? WHERE id = ?`, m.dRows, m.dErrRows, m.dWarRows, nowString(), m.imp.ID)
	if err != nil {
		return nil, fmt.Errorf("update import counts: %w", err)
	}
	m.dRows, m.dErrRows, m.dWarRows = 0, 0, 0
	return partners, nil
}

// touchedRows is the rows whose content the mutation wrote or deleted,
// in row order (what the validation endpoint has to check after it;
// partners only get their findings rewritten).
func (m *mutation) touchedRows() []int64 {
	rows := make([]int64, 0, len(m.touched))
	for r := range m.touched {
		rows = append(rows, r)
	}
	slices.Sort(rows)
	return rows
}

func (m *mutation) readRow(row int64) (rowState, error) {
	st := rowState{row: row}
	var data string
	err := m.tx.QueryRowContext(m.ctx, `SELECT data, errors, warnings FROM importer_rows WHERE id = ?`, rowKey(m.imp.ID, row)).Scan(&data, &st.errors, &st.warnings)
	if errors.Is(err, sql.ErrNoRows) {
		return st, errs.NotFound("row %d not found", row)
	}
	if err != nil {
		return st, fmt.Errorf("read row %d: %w", row, err)
	}
	return decodeRowState(m.sc, st, data)
}

// decodeRowState fills st's cells from data, the row's stored JSON.
func decodeRowState(sc *schema.Schema, st rowState, data string) (rowState, error) {
	var err error
	st.cells, err = decodeRow(data, nil)
	st.cells = padKeep(st.cells, sc.NumColumns())
	return st, err
}

// Undo log payloads.
type cellChange struct {
	Row int64  `json:"r"`
	Col int    `json:"c"`
	Old string `json:"o"`
	New string `json:"n"`
}

type deletedRow struct {
	Row   int64    `json:"r"`
	Cells []string `json:"d"`
}

type editPayload struct {
	Changes []cellChange `json:"changes,omitempty"`
	Deleted []deletedRow `json:"deleted,omitempty"`
	Note    string       `json:"note,omitempty"`
}

func nextSeq(ctx context.Context, tx *store.Tx, importID int64) (int64, error) {
	// a new edit drops what could have been redone
	if _, err := tx.ExecContext(ctx, `DELETE FROM importer_edits WHERE import_id = ? AND undone = 1`, importID); err != nil {
		return 0, fmt.Errorf("edit log: %w", err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM importer_edits WHERE import_id = ?`, importID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("edit log: %w", err)
	}
	return seq, nil
}

func logEdit(ctx context.Context, tx *store.Tx, importID, seq int64, part int, kind string, p editPayload) error {
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("edit log: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO importer_edits (import_id, seq, part, kind, undone, payload, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)`,
		importID, seq, part, kind, string(body), nowString())
	if err != nil {
		return fmt.Errorf("edit log: %w", err)
	}
	return nil
}

// beginEdit loads an import for a review edit, under its lock.
func (s *Service) beginEdit(ctx context.Context, slug string) (*Import, *schema.Schema, *uniqIndex, func(), error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// a staging run holds the lock until every row is checked: say so at
	// once instead of waiting for it (the review shows its rows meanwhile)
	if part, _ := s.stagingNow(ctx, imp); part != nil && s.running(imp.ID) { // this process's run: read from memory
		return nil, nil, nil, nil, errs.Conflict("import %s is still being checked (%d rows so far): edits work once every row is checked", slug, part.Rows)
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	imp, err = s.loadImport(ctx, s.db.Read, slug)
	if err == nil {
		err = refuseCancelled(imp)
	}
	if err == nil {
		imp, err = s.recoverInterrupted(ctx, imp)
	}
	if err != nil {
		unlock()
		return nil, nil, nil, nil, err
	}
	if imp.Step != StepReview || (imp.Status != StatusCreated && imp.Status != StatusFailed) {
		unlock()
		return nil, nil, nil, nil, errs.Conflict("import %s cannot be edited now (status %s, step %s)", slug, imp.Status, imp.Step)
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		unlock()
		return nil, nil, nil, nil, err
	}
	u, err := s.uniqFor(ctx, imp, sc)
	if err != nil {
		unlock()
		return nil, nil, nil, nil, err
	}
	return imp, sc, u, sync.OnceFunc(unlock), nil // idempotent: edits unlock before their callback runs
}

// commitEdit runs fn in a transaction; the uniqueness index follows the
// new version on success and is dropped on failure.
func (s *Service) commitEdit(ctx context.Context, imp *Import, u *uniqIndex, fn func(tx *store.Tx) error) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		var v int64
		if err := tx.QueryRowContext(ctx, `SELECT version FROM importer_imports WHERE id = ?`, imp.ID).Scan(&v); err != nil {
			return fmt.Errorf("edit: %w", err)
		}
		if u != nil {
			tx.AfterCommit(func() { u.version = v })
		}
		imp.Version = v
		return nil
	})
	if err != nil {
		s.dropUniq(imp.ID)
	}
	return err
}

// checkAfterEdit has the validation endpoint check the rows (nil: every
// row not judged yet) an edit changed. The run starts under the import's
// lock (so submit sees it running), the lock is released while the
// endpoint works, and taken again only to apply its answers.
func (s *Service) checkAfterEdit(ctx context.Context, imp *Import, sc *schema.Schema, rows []int64, unlock func()) error {
	r, rows, err := s.beginCallbacks(ctx, imp, sc, rows)
	unlock()
	if err != nil {
		return err
	}
	if r == nil {
		return nil
	}
	if err := s.checkRows(ctx, r, rows, false); err != nil {
		return err
	}
	// answers applied are a newer version
	if err := s.db.Read.QueryRowContext(ctx, `SELECT version FROM importer_imports WHERE id = ?`, imp.ID).Scan(&imp.Version); err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	return nil
}

// EditResult is a changed row plus the rows whose findings changed with
// it (duplicates that are no longer, or newly, duplicated).
type EditResult struct {
	Row      Row   `json:"row"`
	Affected []Row `json:"affected"`
	Version  int64 `json:"version"`
}

// EditRow sets cells of one row (column key -> new value), re-validates
// the row and the uniqueness groups it leaves or joins, and logs the edit
// for undo.
func (s *Service) EditRow(ctx context.Context, slug string, row int64, values map[string]string) (EditResult, error) {
	imp, sc, u, unlock, err := s.beginEdit(ctx, slug)
	if err != nil {
		return EditResult{}, err
	}
	defer unlock()
	if len(values) == 0 {
		return EditResult{}, errs.Invalid("no cell to change: send {\"values\": {\"column_key\": \"new value\"}}")
	}
	cols := map[int]string{}
	for k, v := range values {
		ci := sc.Index(k)
		if ci < 0 {
			return EditResult{}, errs.Invalid("column %q does not exist", k)
		}
		if len(v) > 1<<16 {
			return EditResult{}, errs.Invalid("the value for %q is longer than 65536 bytes", k)
		}
		cols[ci] = v
	}
	var partners []int64
	err = s.commitEdit(ctx, imp, u, func(tx *store.Tx) error {
		m := s.newMutation(ctx, tx, imp, sc, u)
		defer m.close()
		old, err := m.readRow(row)
		if err != nil {
			return err
		}
		cells := append([]string(nil), old.cells...)
		var p editPayload
		for ci, v := range cols {
			if cells[ci] != v {
				p.Changes = append(p.Changes, cellChange{Row: row, Col: ci, Old: cells[ci], New: v})
				cells[ci] = v
			}
		}
		if len(p.Changes) == 0 {
			return nil
		}
		if err := m.update(old, cells); err != nil {
			return err
		}
		if partners, err = m.finish(); err != nil {
			return err
		}
		seq, err := nextSeq(ctx, tx, imp.ID)
		if err != nil {
			return err
		}
		return logEdit(ctx, tx, imp.ID, seq, 0, "edit", p)
	})
	if err != nil {
		return EditResult{}, err
	}
	if err := s.checkAfterEdit(ctx, imp, sc, []int64{row}, unlock); err != nil {
		return EditResult{}, err
	}
	res := EditResult{Version: imp.Version, Affected: []Row{}}
	nums := []int64{row}
	for _, p := range partners {
		if p != row {
			nums = append(nums, p)
		}
	}
	rows, err := s.rowsByNum(ctx, imp.ID, sc, nums)
	if err != nil {
		return EditResult{}, err
	}
	if len(rows) > 0 {
		res.Row, res.Affected = rows[0], rows[1:]
	}
	return res, nil
}

// ReplaceInput is a find & replace over the whole import.
type ReplaceInput struct {
	Column    string `json:"column"` // key; "" = every column
	Find      string `json:"find"`
	Replace   string `json:"replace"`
	Regex     bool   `json:"regex"`
	MatchCase bool   `json:"match_case"`
	// WholeCell replaces only cells equal to Find (trimmed, any case
	// unless MatchCase); with an empty Find it fills empty cells.
	WholeCell bool `json:"whole_cell"`
}

// ReplaceResult counts what a replace changed.
type ReplaceResult struct {
	Cells   int64 `json:"cells"`
	Rows    int64 `json:"rows"`
	Version int64 `json:"version"`
}

type replacer struct {
	in     ReplaceInput
	re     *regexp.Regexp
	needle string
}

func newReplacer(in ReplaceInput) (*replacer, error) {
	r := &replacer{in: in}
	if in.Find == "" && !in.WholeCell {
		return nil, errs.Invalid("find must not be empty (use whole_cell with an empty find to fill empty cells)")
	}
	if in.Regex {
		expr := in.Find
		if !in.MatchCase {
			expr = "(?i)" + expr
		}
		if in.WholeCell {
			expr = "^(?:" + expr + ")$"
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, errs.Invalid("find: invalid regex %q: %v", in.Find, err)
		}
		r.re = re
		return r, nil
	}
	if !in.MatchCase && !in.WholeCell {
		r.re = regexp.MustCompile("(?i)" + regexp.QuoteMeta(in.Find))
		r.needle = strings.ToLower(in.Find)
	}
	return r, nil
}

// apply returns the new value and whether it changed.
func (r *replacer) apply(v string) (string, bool) {
	in := r.in
	switch {
	case in.WholeCell && !in.Regex:
		t := schema.TrimCell(v)
		if t == in.Find || (!in.MatchCase && strings.EqualFold(t, in.Find)) {
			return in.Replace, in.Replace != v
		}
		return v, false
	case r.re != nil:
		if r.needle != "" && !containsFold(v, r.needle) {
			return v, false
		}
		if !r.re.MatchString(v) {
			return v, false
		}
		var out string
		if in.Regex {
			out = r.re.ReplaceAllString(v, in.Replace)
		} else {
			out = r.re.ReplaceAllLiteralString(v, in.Replace)
		}
		return out, out != v
	default:
		if !strings.Contains(v, in.Find) {
			return v, false
		}
		out := strings.ReplaceAll(v, in.Find, in.Replace)
		return out, out != v
	}
}

// replaceChunkRows is how many rows one replace transaction changes.
const replaceChunkRows = 20_000

// Replace runs a find & replace over every row of the import (one column
// or all), re-validating changed rows, as one undoable edit.
func (s *Service) Replace(ctx context.Context, slug string, in ReplaceInput) (ReplaceResult, error) {
	rp, err := newReplacer(in)
	if err != nil {
		return ReplaceResult{}, err
	}
	imp, sc, u, unlock, err := s.beginEdit(ctx, slug)
	if err != nil {
		return ReplaceResult{}, err
	}
	defer unlock()
	col := -1
	if in.Column != "" {
		if col = sc.Index(in.Column); col < 0 {
			return ReplaceResult{}, errs.Invalid("column %q does not exist", in.Column)
		}
	}
	var res ReplaceResult
	var seq int64
	part := 0
	var pending []rowState
	var pendingNew [][]string
	var changes []cellChange
	touched := []int64{} // the rows the validation endpoint checks after (not nil: nil is every row)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		var rows []int64
		err := s.commitEdit(ctx, imp, u, func(tx *store.Tx) error {
			if part == 0 {
				var err error
				if seq, err = nextSeq(ctx, tx, imp.ID); err != nil {
					return err
				}
			}
			m := s.newMutation(ctx, tx, imp, sc, u)
			defer m.close()
			for i, old := range pending {
				if err := m.update(old, pendingNew[i]); err != nil {
					return err
				}
			}
			if _, err := m.finish(); err != nil {
				return err
			}
			rows = m.touchedRows()
			return logEdit(ctx, tx, imp.ID, seq, part, "replace", editPayload{Changes: changes, Note: in.Find + " -> " + in.Replace})
		})
		if err != nil {
			return err
		}
		touched = append(touched, rows...)
		part++
		pending, pendingNew, changes = pending[:0], pendingNew[:0], nil
		return nil
	}
	// scan in row ranges so the read snapshot never spans our own writes
	var after int64
	_, replaceLast := rowKeys(imp.ID)
	for {
		rs, err := s.db.Read.QueryContext(ctx, `SELECT `+rowNumOf("")+`, data, errors, warnings FROM importer_rows WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
			rowKey(imp.ID, after), replaceLast, replaceChunkRows)
		if err != nil {
			return res, fmt.Errorf("replace: %w", err)
		}
		n := 0
		for rs.Next() {
			var st rowState
			var data string
			if err := rs.Scan(&st.row, &data, &st.errors, &st.warnings); err != nil {
				rs.Close()
				return res, fmt.Errorf("replace: %w", err)
			}
			n++
			after = st.row
			cells, err := decodeRow(data, nil)
			if err != nil {
				rs.Close()
				return res, err
			}
			cells = padKeep(cells, sc.NumColumns())
			var newCells []string
			for ci := range cells[:sc.NumColumns()] { // not the kept unmapped cells after them
				if col >= 0 && ci != col {
					continue
				}
				nv, changed := rp.apply(cells[ci])
				if !changed {
					continue
				}
				if newCells == nil {
					newCells = append([]string(nil), cells...)
				}
				changes = append(changes, cellChange{Row: st.row, Col: ci, Old: cells[ci], New: nv})
				newCells[ci] = nv
				res.Cells++
			}
			if newCells != nil {
				st.cells = cells
				pending = append(pending, st)
				pendingNew = append(pendingNew, newCells)
				res.Rows++
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return res, fmt.Errorf("replace: %w", err)
		}
		if err := flush(); err != nil {
			return res, err
		}
		if n < replaceChunkRows {
			break
		}
	}
	if err := s.checkAfterEdit(ctx, imp, sc, touched, unlock); err != nil {
		return res, err
	}
	res.Version = imp.Version
	return res, nil
}

// DeleteInput names rows to delete: by number, or every row matching a
// filter ("errors", "warnings", "issues", or "all": the review's select-all).
type DeleteInput struct {
	Rows   []int64 `json:"rows"`
	Filter string  `json:"filter"`
}

// DeleteResult counts deleted rows.
type DeleteResult struct {
	Deleted int64 `json:"deleted"`
	Version int64 `json:"version"`
}

// DeleteRows deletes rows as one undoable edit.
func (s *Service) DeleteRows(ctx context.Context, slug string, in DeleteInput) (DeleteResult, error) {
	if len(in.Rows) == 0 && in.Filter == "" {
		return DeleteResult{}, errs.Invalid("say which rows to delete: {\"rows\": [1, 2]} or {\"filter\": \"errors\"}")
	}
	if len(in.Rows) > 0 && in.Filter != "" {
		return DeleteResult{}, errs.Invalid("give rows or filter, not both")
	}
	if len(in.Rows) > 100_000 {
		return DeleteResult{}, errs.Invalid("at most 100000 rows per request (use a filter for more)")
	}
	imp, sc, u, unlock, err := s.beginEdit(ctx, slug)
	if err != nil {
		return DeleteResult{}, err
	}
	defer unlock()
	var targets []rowState
	if in.Filter != "" {
		filter := in.Filter
		switch filter {
		case "errors", "warnings", "issues":
		case "all":
			filter = ""
		default:
			return DeleteResult{}, errs.Invalid("filter %q: use errors, warnings, issues or all", in.Filter)
		}
		where, args := filterSQL(imp, filter, -1, 0, 0)
		rs, err := s.db.Read.QueryContext(ctx, selectRows(where, false)+` ORDER BY r.id`, args...)
		if err != nil {
			return DeleteResult{}, fmt.Errorf("delete rows: %w", err)
		}
		for rs.Next() {
			var st rowState
			var data string
			if err := rs.Scan(&st.row, &data, &st.errors, &st.warnings); err != nil {
				rs.Close()
				return DeleteResult{}, fmt.Errorf("delete rows: %w", err)
			}
			if st.cells, err = decodeRow(data, nil); err != nil {
				rs.Close()
				return DeleteResult{}, err
			}
			st.cells = padKeep(st.cells, sc.NumColumns())
			targets = append(targets, st)
		}
		rs.Close()
	}
	var res DeleteResult
	err = s.commitEdit(ctx, imp, u, func(tx *store.Tx) error {
		m := s.newMutation(ctx, tx, imp, sc, u)
		defer m.close()
		if in.Filter == "" {
			seen := map[int64]bool{}
			for _, r := range in.Rows {
				if seen[r] {
					continue
				}
				seen[r] = true
				st, err := m.readRow(r)
				if err != nil {
					return err
				}
				targets = append(targets, st)
			}
		}
		if len(targets) == 0 {
			return nil
		}
		seq, err := nextSeq(ctx, tx, imp.ID)
		if err != nil {
			return err
		}
		var p editPayload
		part := 0
		for _, st := range targets {
			if err := m.remove(st); err != nil {
				return err
			}
			p.Deleted = append(p.Deleted, deletedRow{Row: st.row, Cells: st.cells})
			if len(p.Deleted) == 10_000 {
				if err := logEdit(ctx, tx, imp.ID, seq, part, "delete", p); err != nil {
					return err
				}
				part++
				p = editPayload{}
			}
		}
		if len(p.Deleted) > 0 {
			if err := logEdit(ctx, tx, imp.ID, seq, part, "delete", p); err != nil {
				return err
			}
		}
		if _, err := m.finish(); err != nil {
			return err
		}
		res.Deleted = int64(len(targets))
		return nil
	})
	if err != nil {
		return DeleteResult{}, err
	}
	res.Version = imp.Version
	return res, nil
}

// UndoResult says what undo or redo did.
type UndoResult struct {
	Kind    string `json:"kind"` // edit, replace, delete
	Cells   int64  `json:"cells"`
	Rows    int64  `json:"rows"`
	Version int64  `json:"version"`
}

// Undo reverts the latest edit (cell edit, replace or delete).
func (s *Service) Undo(ctx context.Context, slug string) (UndoResult, error) {
	return s.undoRedo(ctx, slug, true)
}

// Redo re-applies the latest undone edit.
func (s *Service) Redo(ctx context.Context, slug string) (UndoResult, error) {
	return s.undoRedo(ctx, slug, false)
}

func (s *Service) undoRedo(ctx context.Context, slug string, undo bool) (UndoResult, error) {
	imp, sc, u, unlock, err := s.beginEdit(ctx, slug)
	if err != nil {
		return UndoResult{}, err
	}
	defer unlock()
	q := `SELECT seq, kind FROM importer_edits WHERE import_id = ? AND undone = 0 ORDER BY seq DESC LIMIT 1`
	if !undo {
		q = `SELECT seq, kind FROM importer_edits WHERE import_id = ? AND undone = 1 ORDER BY seq ASC LIMIT 1`
	}
	var seq int64
	var res UndoResult
	touched := []int64{} // the rows the validation endpoint checks after (not nil: nil is every row)
	err = s.db.Read.QueryRowContext(ctx, q, imp.ID).Scan(&seq, &res.Kind)
	if errors.Is(err, sql.ErrNoRows) {
		if undo {
			return UndoResult{}, errs.Conflict("nothing to undo")
		}
		return UndoResult{}, errs.Conflict("nothing to redo")
	}
	if err != nil {
		return UndoResult{}, fmt.Errorf("undo: %w", err)
	}
	err = s.commitEdit(ctx, imp, u, func(tx *store.Tx) error {
		rs, err := tx.QueryContext(ctx, `SELECT payload FROM importer_edits WHERE import_id = ? AND seq = ? ORDER BY part`, imp.ID, seq)
		if err != nil {
			return fmt.Errorf("undo: %w", err)
		}
		var payloads []string
		for rs.Next() {
			var p string
			if err := rs.Scan(&p); err != nil {
				rs.Close()
				return fmt.Errorf("undo: %w", err)
			}
			payloads = append(payloads, p)
		}
		rs.Close()
		m := s.newMutation(ctx, tx, imp, sc, u)
		defer m.close()
		for i := range payloads {
			// undo walks the parts backwards
			k := i
			if undo {
				k = len(payloads) - 1 - i
			}
			var p editPayload
			if err := json.Unmarshal([]byte(payloads[k]), &p); err != nil {
				return fmt.Errorf("undo: decode edit: %w", err)
			}
			payloads[k] = ""
			if err := s.applyPayload(m, p, undo, &res); err != nil {
				return err
			}
		}
		if _, err := m.finish(); err != nil {
			return err
		}
		touched = m.touchedRows()
		flag := 1
		if !undo {
			flag = 0
		}
		if _, err := tx.ExecContext(ctx, `UPDATE importer_edits SET undone = ? WHERE import_id = ? AND seq = ?`, flag, imp.ID, seq); err != nil {
			return fmt.Errorf("undo: %w", err)
		}
		return nil
	})
	if err != nil {
		return UndoResult{}, err
	}
	if err := s.checkAfterEdit(ctx, imp, sc, touched, unlock); err != nil {
		return res, err
	}
	res.Version = imp.Version
	return res, nil
}

func (s *Service) applyPayload(m *mutation, p editPayload, undo bool, res *UndoResult) error {
	// cell changes, grouped by row in order of first appearance
	if len(p.Changes) > 0 {
		order := []int64{}
		byRow := map[int64][]cellChange{}
		for _, c := range p.Changes {
			if _, ok := byRow[c.Row]; !ok {
				order = append(order, c.Row)
			}
			byRow[c.Row] = append(byRow[c.Row], c)
		}
		for _, row := range order {
			old, err := m.readRow(row)
			if err != nil {
				if errs.Is(err, errs.ENOTFOUND) {
					continue // deleted since; its own undo brings it back with its values
				}
				return err
			}
			cells := append([]string(nil), old.cells...)
			for _, c := range byRow[row] {
				if c.Col < len(cells) {
					if undo {
						cells[c.Col] = c.Old
					} else {
						cells[c.Col] = c.New
					}
					res.Cells++
				}
			}
			if err := m.update(old, cells); err != nil {
				return err
			}
			res.Rows++
		}
	}
	for _, d := range p.Deleted {
		if undo {
			if err := m.insert(d.Row, padKeep(d.Cells, m.sc.NumColumns())); err != nil {
				return err
			}
		} else {
			old, err := m.readRow(d.Row)
			if err != nil {
				if errs.Is(err, errs.ENOTFOUND) {
					continue
				}
				return err
			}
			if err := m.remove(old); err != nil {
				return err
			}
		}
		res.Rows++
	}
	return nil
}
