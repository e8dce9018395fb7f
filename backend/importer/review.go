package importer

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"fusebox/backend/errs"
	"fusebox/backend/ingest"
	"fusebox/backend/schema"
)

// RowQuery selects a page of staged rows for review.
type RowQuery struct {
	// Offset skips matching rows; Cursor (a row number from NextCursor)
	// continues after that row and wins over Offset when set.
	Offset int
	Cursor int64
	Limit  int // default 100, at most 1000
	// Filter: "" all rows, "errors", "warnings" or "issues" (either), or
	// a match status: "new", "update" or "unchanged" (importers with
	// match_on).
	Filter string
	// Column (a key) narrows Filter to findings in that column, and Q to
	// that column.
	Column string
	// Q keeps rows with a cell containing Q (any case).
	Q string
	// Sort orders by a column key (typed: numbers and dates by value,
	// empty cells last); Desc reverses it.
	Sort string
	Desc bool
}

// Row is one staged row: values in column order as the file (or an edit)
// gave them, and Cleaned: what submit stores for each of them, as text
// (transformations applied, defaults filled, dates in their output form;
// "" for a cell stored as null). Cleaned comes from the code that writes
// the records, so what the review shows is what is stored.
type Row struct {
	Row      int64       `json:"row"`
	Values   []string    `json:"values"`
	Cleaned  []string    `json:"cleaned"`
	Errors   int         `json:"errors"`
	Warnings int         `json:"warnings"`
	Issues   []CellIssue `json:"issues"`
	// Match is new, update or unchanged for an importer with match_on
	// (match.go); Changed are the keys of an update's changed columns.
	Match   string   `json:"match,omitempty"`
	Changed []string `json:"changed,omitempty"`
}

// CellIssue is a finding on one cell of a row. Message is English; Codes
// say the same (one per finding when a cell has several) as a stable code
// with parameters, for a user interface to translate (see schema.IssueCode).
type CellIssue struct {
	Column   string             `json:"column"`
	Severity schema.Severity    `json:"severity"`
	Message  string             `json:"message"`
	Codes    []schema.IssueCode `json:"codes"`
}

// RowPage is a page of rows.
type RowPage struct {
	Columns    []string `json:"columns"`
	Rows       []Row    `json:"rows"`
	Total      int64    `json:"total"`
	Offset     int      `json:"offset"`
	NextCursor int64    `json:"next_cursor"`
	Version    int64    `json:"version"`
	// Partial: the import is still staging; the page and Total cover the
	// rows committed so far (the same as its progress's rows).
	Partial bool `json:"partial,omitempty"`
}

func (q *RowQuery) norm(sc *schema.Schema) (col int, err error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 1000 {
		q.Limit = 1000
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	switch q.Filter {
	case "", "errors", "warnings", "issues":
	case MatchNew, MatchUpdate, MatchUnchanged:
		if len(sc.MatchColumns()) == 0 {
			return -1, errs.Invalid("filter %q: the importer has no match_on", q.Filter)
		}
		q.Column = "" // a match filter is per row
	case "all":
		q.Filter = ""
	default:
		return -1, errs.Invalid("filter %q: use errors, warnings, issues, new, update or unchanged", q.Filter)
	}
	col = -1
	if q.Column != "" {
		if col = sc.Index(q.Column); col < 0 {
			return -1, errs.Invalid("column %q does not exist", q.Column)
		}
	}
	if q.Sort != "" && sc.Index(q.Sort) < 0 {
		return -1, errs.Invalid("sort column %q does not exist", q.Sort)
	}
	return col, nil
}

// Rows returns a page of an import's staged rows.
func (s *Service) Rows(ctx context.Context, slug string, q RowQuery) (RowPage, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return RowPage{}, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return RowPage{}, err
	}
	col, err := q.norm(sc)
	if err != nil {
		return RowPage{}, err
	}
	page := RowPage{Columns: make([]string, sc.NumColumns()), Rows: []Row{}, Offset: q.Offset, Version: imp.Version}
	for i := range page.Columns {
		page.Columns[i] = sc.Key(i)
	}
	part, err := s.stagingNow(ctx, imp)
	if err != nil {
		return RowPage{}, err
	}
	if part != nil {
		if q.Q != "" || q.Sort != "" || q.Filter == MatchNew || q.Filter == MatchUpdate || q.Filter == MatchUnchanged {
			return RowPage{}, errs.Conflict("import %s is still being checked (%d rows so far): search, sort and match filters work once every row is checked", slug, part.Rows)
		}
		page.Partial = true
	}
	if q.Q != "" || q.Sort != "" {
		ids, err := s.view(ctx, imp, sc, q, col)
		if err != nil {
			return RowPage{}, err
		}
		page.Total = int64(len(ids))
		start := q.Offset
		if q.Cursor > 0 {
			// the cursor is a position in the view here
			start = int(q.Cursor)
			page.Offset = start
		}
		if start > len(ids) {
			start = len(ids)
		}
		end := min(start+q.Limit, len(ids))
		page.Rows, err = s.rowsByNum(ctx, imp.ID, sc, ids[start:end])
		if err != nil {
			return RowPage{}, err
		}
		if end < len(ids) {
			page.NextCursor = int64(end)
		}
		return page, nil
	}
	byIssue := col >= 0 && q.Filter != ""
	var upTo int64
	if part != nil {
		// the rows committed when the staged state was read: rows, counts
		// and pages agree however far staging got since
		upTo = part.MaxRow
	}
	where, whereArgs := filterSQL(imp, q.Filter, col, 0, upTo)
	var sqlq string
	var args []any
	switch {
	case q.Cursor > 0:
		var w string
		w, args = filterSQL(imp, q.Filter, col, q.Cursor, upTo)
		sqlq = selectRows(w, byIssue) + ` ORDER BY ` + rowOrder(byIssue) + ` LIMIT ?`
		args = append(args, q.Limit)
	case q.Filter == "" && imp.RowCount == imp.maxRow:
		// no deleted rows: offset n is row n+1
		var w string
		w, args = filterSQL(imp, q.Filter, col, int64(q.Offset), upTo)
		sqlq = selectRows(w, false) + ` ORDER BY r.id LIMIT ?`
		args = append(args, q.Limit)
	default:
		sqlq = selectRows(where, byIssue) + ` ORDER BY ` + rowOrder(byIssue) + ` LIMIT ? OFFSET ?`
		args = append(append(args, whereArgs...), q.Limit, q.Offset)
	}
	page.Rows, err = s.queryRows(ctx, imp.ID, sc, sqlq, args...)
	if err != nil {
		return RowPage{}, err
	}
	switch {
	case part != nil && q.Filter == "":
		page.Total = part.Rows
	case part != nil && q.Filter == "errors" && col < 0:
		page.Total = part.ErrorRows
	case part != nil && q.Filter == "warnings" && col < 0:
		page.Total = part.WarningRows
	case q.Filter == "":
		page.Total = imp.RowCount
	case q.Filter == "errors" && col < 0:
		page.Total = imp.ErrorRows
	case q.Filter == "warnings" && col < 0:
		page.Total = imp.WarningRows
	case (q.Filter == MatchNew || q.Filter == MatchUpdate || q.Filter == MatchUnchanged) && col < 0 && q.Filter == imp.matchDefault:
		var stored int64
		if err := s.db.Read.QueryRowContext(ctx, matchStoredCountSQL, imp.ID).Scan(&stored); err != nil {
			return RowPage{}, fmt.Errorf("count rows: %w", err)
		}
		page.Total = imp.RowCount - stored
	case (q.Filter == MatchNew || q.Filter == MatchUpdate || q.Filter == MatchUnchanged) && col < 0:
		if err := s.db.Read.QueryRowContext(ctx, matchStatusCountSQL, imp.ID, q.Filter).Scan(&page.Total); err != nil {
			return RowPage{}, fmt.Errorf("count rows: %w", err)
		}
	default:
		cq := `SELECT count(*) FROM ` + strings.TrimPrefix(selectFrom(where, col >= 0), "FROM ")
		if err := s.db.Read.QueryRowContext(ctx, cq, whereArgs...).Scan(&page.Total); err != nil {
			return RowPage{}, fmt.Errorf("count rows: %w", err)
		}
	}
	if len(page.Rows) == q.Limit {
		page.NextCursor = page.Rows[len(page.Rows)-1].Row
	}
	return page, nil
}

// stagingNow is what the staging run of the import has committed so far,
// or nil when the import is not staging. The run of this process is read
// from memory; on a team server a run of another replica is read from
// importer_progress, which the staging replica updates in the transaction
// that commits each batch of rows. An import left staging by a stopped
// process (resumed by the next start) has nothing committed yet.
func (s *Service) stagingNow(ctx context.Context, imp *Import) (*stagedSoFar, error) {
	if imp.Step != StepStaging {
		return nil, nil
	}
	s.mu.Lock()
	j := s.jobs[imp.ID]
	s.mu.Unlock()
	if j != nil && !j.submit && (!s.team() || !j.done.Load()) {
		if st := j.staged.Load(); st != nil {
			return st, nil
		}
		return &stagedSoFar{}, nil
	}
	if s.team() {
		return s.storedStaged(ctx, imp.ID)
	}
	return &stagedSoFar{}, nil
}

// filterSQL returns the WHERE clause (over r = importer_rows, and
// i = importer_cell_issues when filtering by column) and its args: the
// rows after row number after, up to row upTo (0: all). Each is one
// bound of one range: SQLite seeks with one lower bound, so a second one
// would have it step through every row before the first.
func filterSQL(imp *Import, filter string, col int, after, upTo int64) (string, []any) {
	importID := imp.ID
	if col >= 0 && filter != "" {
		w := `i.import_id = ? AND i.col = ?`
		args := []any{importID, col}
		switch filter {
		case "errors":
			w += ` AND i.severity = 'error'`
		case "warnings":
			w += ` AND i.severity = 'warning'`
		}
		if after > 0 {
			w += ` AND i.row_num > ?`
			args = append(args, after)
		}
		if upTo > 0 {
			w += ` AND i.row_num <= ?`
			args = append(args, upTo)
		}
		return w, args
	}
	_, last := rowKeys(importID)
	if upTo > 0 {
		last = rowKey(importID, upTo)
	}
	w := `r.id > ? AND r.id <= ?`
	args := []any{rowKey(importID, after), last}
	switch filter {
	case "errors":
		w += ` AND r.errors > 0`
	case "warnings":
		w += ` AND r.warnings > 0`
	case "issues":
		w += ` AND (r.errors > 0 OR r.warnings > 0)`
	case MatchNew, MatchUpdate, MatchUnchanged: // constants: safe in the text
		if filter == imp.matchDefault { // the rows without a stored status
			w += ` AND NOT EXISTS (SELECT 1 FROM importer_row_match x WHERE x.import_id = ? AND x.row_num = ` + rowNumOf("r") + `)`
			args = append(args, importID)
			break
		}
		w += ` AND EXISTS (SELECT 1 FROM importer_row_match x WHERE x.import_id = ? AND x.row_num = ` + rowNumOf("r") + ` AND x.status = '` + filter + `')`
		args = append(args, importID)
	}
	return w, args
}

func selectFrom(where string, byIssue bool) string {
	if byIssue {
		return `FROM importer_cell_issues i JOIN importer_rows r ON r.id = ` + rowKeyOf("i") + ` WHERE ` + where
	}
	return `FROM importer_rows r WHERE ` + where
}

// rowOrder is the ORDER BY of selectRows's rows in row order.
func rowOrder(byIssue bool) string {
	if byIssue {
		return `i.row_num`
	}
	return `r.id`
}

func selectRows(where string, byIssue bool) string {
	return `SELECT ` + rowNumOf("r") + `, r.data, r.errors, r.warnings ` + selectFrom(where, byIssue)
}

// queryRows runs a row query and attaches each row's findings.
func (s *Service) queryRows(ctx context.Context, importID int64, sc *schema.Schema, q string, args ...any) ([]Row, error) {
	rs, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query rows: %w", err)
	}
	defer rs.Close()
	out := []Row{}
	for rs.Next() {
		var r Row
		var data string
		if err := rs.Scan(&r.Row, &data, &r.Errors, &r.Warnings); err != nil {
			return nil, fmt.Errorf("query rows: %w", err)
		}
		r.Values, err = decodeRow(data, nil)
		if err != nil {
			return nil, err
		}
		r.Values = padCells(r.Values, sc.NumColumns())
		r.Cleaned = make([]string, len(r.Values))
		for ci, v := range r.Values {
			r.Cleaned[ci] = sc.TransformCell(ci, v)
		}
		r.Issues = []CellIssue{}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("query rows: %w", err)
	}
	if err := s.attachMatch(ctx, importID, sc, out); err != nil {
		return nil, err
	}
	return out, s.attachIssues(ctx, importID, sc, out)
}

// padKeep pads v to at least n cells and keeps any cells after the
// importer's columns (unmapped file columns kept as custom fields,
// settings.unmapped_columns: keep): what edits write back.
func padKeep(v []string, n int) []string {
	for len(v) < n {
		v = append(v, "")
	}
	return v
}

func padCells(v []string, n int) []string {
	for len(v) < n {
		v = append(v, "")
	}
	return v[:n]
}

// attachIssues loads the findings of rows (which have errors or warnings).
func (s *Service) attachIssues(ctx context.Context, importID int64, sc *schema.Schema, rows []Row) error {
	var nums []any
	idx := map[int64]int{}
	for i, r := range rows {
		if r.Errors+r.Warnings > 0 {
			nums = append(nums, r.Row)
			idx[r.Row] = i
		}
	}
	for len(nums) > 0 {
		n := min(len(nums), 500)
		q := `SELECT row_num, col, severity, message FROM importer_cell_issues WHERE import_id = ? AND row_num IN (?` + strings.Repeat(",?", n-1) + `) ORDER BY row_num, col`
		rs, err := s.db.Read.QueryContext(ctx, q, append([]any{importID}, nums[:n]...)...)
		if err != nil {
			return fmt.Errorf("load findings: %w", err)
		}
		for rs.Next() {
			var row int64
			var col int
			var ci CellIssue
			if err := rs.Scan(&row, &col, &ci.Severity, &ci.Message); err != nil {
				rs.Close()
				return fmt.Errorf("load findings: %w", err)
			}
			if col >= 0 && col < sc.NumColumns() {
				ci.Column = sc.Key(col)
			}
			ci.Codes = sc.IssueCodes(col, ci.Message)
			if i, ok := idx[row]; ok {
				rows[i].Issues = append(rows[i].Issues, ci)
			}
		}
		rs.Close()
		nums = nums[n:]
	}
	return nil
}

// rowsByNum fetches rows by number, in the given order.
func (s *Service) rowsByNum(ctx context.Context, importID int64, sc *schema.Schema, nums []int64) ([]Row, error) {
	if len(nums) == 0 {
		return []Row{}, nil
	}
	args := make([]any, 0, len(nums))
	for _, n := range nums {
		args = append(args, rowKey(importID, n))
	}
	rows, err := s.queryRows(ctx, importID, sc, selectRows(`r.id IN (?`+strings.Repeat(",?", len(nums)-1)+`)`, false), args...)
	if err != nil {
		return nil, err
	}
	pos := map[int64]int{}
	for i, n := range nums {
		pos[n] = i
	}
	sort.Slice(rows, func(a, b int) bool { return pos[rows[a].Row] < pos[rows[b].Row] })
	return rows, nil
}

// Views: a search or a sort is answered from the list of matching row
// numbers, computed once per (import version, query) by one pass over the
// rows and kept for paging.
type viewKey struct {
	id      int64
	version int64
	filter  string
	col     int
	q, sort string
	desc    bool
}

type sortEntry struct {
	row   int64
	num   float64
	str   string
	empty bool
	bad   bool // does not parse as the column type: after valid values
}

func (s *Service) view(ctx context.Context, imp *Import, sc *schema.Schema, q RowQuery, col int) ([]int64, error) {
	key := viewKey{imp.ID, imp.Version, q.Filter, col, q.Q, q.Sort, q.Desc}
	s.mu.Lock()
	if s.views == nil {
		s.views = map[viewKey][]int64{}
	}
	ids, ok := s.views[key]
	s.mu.Unlock()
	if ok {
		return ids, nil
	}
	where, args := filterSQL(imp, q.Filter, col, 0, 0)
	byIssue := col >= 0 && q.Filter != ""
	qq := selectRows(where, byIssue) + ` ORDER BY ` + rowOrder(byIssue)
	rs, err := s.db.Read.QueryContext(ctx, qq, args...)
	if err != nil {
		return nil, fmt.Errorf("search rows: %w", err)
	}
	defer rs.Close()
	needle := strings.ToLower(q.Q)
	sortCol := -1
	if q.Sort != "" {
		sortCol = sc.Index(q.Sort)
	}
	searchCol := -1
	if q.Filter == "" {
		searchCol = col
	}
	var entries []sortEntry
	var cells []string
	var data string
	for rs.Next() {
		var e sortEntry
		var ne, nw int
		if err := rs.Scan(&e.row, &data, &ne, &nw); err != nil {
			return nil, fmt.Errorf("search rows: %w", err)
		}
		cells, err = decodeRow(data, cells)
		if err != nil {
			return nil, err
		}
		if needle != "" && !rowContains(cells, searchCol, needle) {
			continue
		}
		if sortCol >= 0 {
			v := ""
			if sortCol < len(cells) {
				v = schema.TrimCell(cells[sortCol])
			}
			e.empty = v == ""
			if !e.empty {
				e.num, e.str = sc.SortKey(sortCol, v)
				e.bad = math.IsInf(e.num, 1)
			}
		}
		entries = append(entries, e)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("search rows: %w", err)
	}
	if sortCol >= 0 {
		sort.SliceStable(entries, func(a, b int) bool {
			x, y := &entries[a], &entries[b]
			if x.empty != y.empty {
				return !x.empty
			}
			if x.empty {
				return x.row < y.row
			}
			if x.bad != y.bad {
				return !x.bad
			}
			c := 0
			switch {
			case x.num < y.num:
				c = -1
			case x.num > y.num:
				c = 1
			default:
				c = strings.Compare(x.str, y.str)
			}
			if q.Desc {
				c = -c
			}
			if c == 0 {
				return x.row < y.row
			}
			return c < 0
		})
	}
	ids = make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.row
	}
	s.mu.Lock()
	if len(s.views) >= 8 {
		clear(s.views)
	}
	s.views[key] = ids
	s.mu.Unlock()
	return ids, nil
}

func rowContains(cells []string, col int, needle string) bool {
	if col >= 0 {
		return col < len(cells) && containsFold(cells[col], needle)
	}
	for _, c := range cells {
		if containsFold(c, needle) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case needle in any
// case; ASCII without allocating.
func containsFold(s, needle string) bool {
	if len(needle) == 0 {
		return true
	}
	for i := 0; i < len(needle); i++ {
		if needle[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), needle)
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), needle)
		}
	}
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != needle[0] {
			continue
		}
		if strings.EqualFold(s[i:i+n], needle) { // ASCII only here: no allocation
			return true
		}
	}
	return false
}

// ColumnSummary counts the findings of one column.
type ColumnSummary struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Errors   int64  `json:"errors"`
	Warnings int64  `json:"warnings"`
}

// Summary is the review step's overview of an import.
type Summary struct {
	Slug          string            `json:"slug"`
	Status        string            `json:"status"`
	Step          string            `json:"step"`
	Rows          int64             `json:"rows"`
	ErrorRows     int64             `json:"error_rows"`
	WarningRows   int64             `json:"warning_rows"`
	ValidRows     int64             `json:"valid_rows"`
	Columns       []ColumnSummary   `json:"columns"`
	InvalidRows   string            `json:"invalid_rows"`
	CanSubmit     bool              `json:"can_submit"`
	SubmitBlocked string            `json:"submit_blocked,omitempty"`
	CanUndo       bool              `json:"can_undo"`
	CanRedo       bool              `json:"can_redo"`
	Version       int64             `json:"version"`
	FileName      string            `json:"file_name"`
	FileSize      int64             `json:"file_size"`
	FileSHA256    string            `json:"file_sha256"`
	Detected      ingest.Detected   `json:"detected"`
	HeaderRow     int               `json:"header_row"`
	FileIssues    []ingest.RowIssue `json:"file_issues"`
	FailureReason string            `json:"failure_reason,omitempty"`
	RecordCount   int64             `json:"record_count"`
	// Partial: the import is still staging (step staging); the counts are
	// those of the rows committed so far, and nothing can be submitted or
	// edited until it is done.
	Partial bool `json:"partial,omitempty"`
	// Matches counts rows per match status (importers with match_on).
	Matches map[string]int64 `json:"matches,omitempty"`
	// Callback is the validation endpoint's state (hooks.validate).
	Callback *CallbackState `json:"callback,omitempty"`
}

// Summary returns counts per import and per column, and what can happen next.
func (s *Service) Summary(ctx context.Context, slug string) (Summary, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Summary{}, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return Summary{}, err
	}
	sm := Summary{Slug: imp.Slug, Status: imp.Status, Step: imp.Step, Rows: imp.RowCount, ErrorRows: imp.ErrorRows, WarningRows: imp.WarningRows,
		ValidRows: imp.RowCount - imp.ErrorRows, InvalidRows: sc.Def.Settings.InvalidRowsPolicy(), Version: imp.Version, FileName: imp.FileName,
		FileSize: imp.FileSize, FileSHA256: imp.FileSHA256, Detected: imp.Detected, HeaderRow: imp.HeaderRow, FileIssues: imp.FileIssues,
		FailureReason: imp.FailureReason, RecordCount: imp.RecordCount}
	if sm.FileIssues == nil {
		sm.FileIssues = []ingest.RowIssue{}
	}
	// while staging: the rows committed so far, the columns' counts of the same rows
	part, err := s.stagingNow(ctx, imp)
	if err != nil {
		return Summary{}, err
	}
	issuesSQL, issuesArgs := `SELECT col, severity, count(*) FROM importer_cell_issues WHERE import_id = ? GROUP BY col, severity`, []any{imp.ID}
	if part != nil {
		sm.Partial = true
		sm.Rows, sm.ErrorRows, sm.WarningRows, sm.ValidRows = part.Rows, part.ErrorRows, part.WarningRows, part.Rows-part.ErrorRows
		issuesSQL = `SELECT col, severity, count(*) FROM importer_cell_issues WHERE import_id = ? AND row_num <= ? GROUP BY col, severity`
		issuesArgs = append(issuesArgs, part.MaxRow)
	}
	if sm.Matches, err = s.matchCounts(ctx, imp, sc); err != nil {
		return Summary{}, err
	}
	infos := sc.Columns()
	sm.Columns = make([]ColumnSummary, len(infos))
	for i, c := range infos {
		sm.Columns[i] = ColumnSummary{Key: c.Key, Label: c.Label}
	}
	rs, err := s.db.Read.QueryContext(ctx, issuesSQL, issuesArgs...)
	if err != nil {
		return Summary{}, fmt.Errorf("summary: %w", err)
	}
	for rs.Next() {
		var col int
		var sev string
		var n int64
		if err := rs.Scan(&col, &sev, &n); err != nil {
			rs.Close()
			return Summary{}, fmt.Errorf("summary: %w", err)
		}
		if col >= 0 && col < len(sm.Columns) {
			if sev == string(schema.SeverityError) {
				sm.Columns[col].Errors = n
			} else {
				sm.Columns[col].Warnings = n
			}
		}
	}
	rs.Close()
	var undo, redo int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT coalesce(sum(CASE WHEN undone = 0 THEN 1 ELSE 0 END), 0), coalesce(sum(undone), 0)
		FROM importer_edits WHERE import_id = ? AND part = 0`, imp.ID).Scan(&undo, &redo); err != nil {
		return Summary{}, fmt.Errorf("summary: %w", err)
	}
	sm.CanUndo, sm.CanRedo = undo > 0 && imp.Step == StepReview, redo > 0 && imp.Step == StepReview
	sm.CanSubmit, sm.SubmitBlocked = submittable(imp, sc)
	if sm.Callback, err = s.callbackState(ctx, imp, sc); err != nil {
		return Summary{}, err
	}
	if why, err := s.callbackBlocks(ctx, imp, sc); err != nil {
		return Summary{}, err
	} else if why != "" && sm.CanSubmit {
		sm.CanSubmit, sm.SubmitBlocked = false, why
	}
	return sm, nil
}

func submittable(imp *Import, sc *schema.Schema) (bool, string) {
	switch {
	case !imp.CancelledAt.IsZero():
		return false, "the import was cancelled by its end user"
	case imp.Step != StepReview:
		return false, "the import is not ready for review (step " + imp.Step + ")"
	case imp.Status != StatusCreated && imp.Status != StatusFailed:
		return false, "the import is already " + imp.Status
	case imp.RowCount == 0:
		return false, "the import has no rows"
	case sc.Def.Settings.InvalidRowsPolicy() == schema.InvalidRowsBlock && imp.ErrorRows > 0:
		return false, strconv.FormatInt(imp.ErrorRows, 10) + " row(s) still have errors; fix or delete them first"
	}
	return true, ""
}
