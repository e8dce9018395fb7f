package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/ingest"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Staging: the stored original is parsed (ingest), mapped to the
// importer's columns, validated and written to importer_rows in batches,
// with per-cell findings in importer_cell_issues. Parsing and validation
// run on one goroutine, SQLite writes on another, so both cores work; the
// channel between them holds a few batches, so memory stays flat however
// large the file is.

// stagedRow is one row ready to insert.
type stagedRow struct {
	num      int64
	data     string // the cells as stored (encodeRow)
	errors   int
	warnings int
}

type cellIssue struct {
	row      int64
	col      int
	severity schema.Severity
	message  string
}

type stageBatch struct {
	rows   []stagedRow
	issues []cellIssue
	bytes  int64
}

// uniqIndex holds, per uniqueness group, which rows hold which key (by a
// 64-bit hash of the normalized key). Keys held by one row cost one map
// entry; only duplicated keys keep a list.
type uniqIndex struct {
	version int64
	seed    maphash.Seed
	groups  []*uniqGroupIdx
}

type uniqGroupIdx struct {
	first rowTable
	more  map[uint64][]uint32
}

func newUniqIndex(n int) *uniqIndex {
	u := &uniqIndex{seed: maphash.MakeSeed()}
	for i := 0; i < n; i++ {
		u.groups = append(u.groups, &uniqGroupIdx{more: map[uint64][]uint32{}})
	}
	return u
}

// add records that row holds h and returns how many other rows held it.
func (g *uniqGroupIdx) add(h uint64, row uint32) int {
	if _, ok := g.first.get(h); !ok {
		g.first.set(h, row)
		return 0
	}
	g.more[h] = append(g.more[h], row)
	return len(g.more[h])
}

// remove drops row from h's holders and returns the rows still holding it.
func (g *uniqGroupIdx) remove(h uint64, row uint32) []uint32 {
	f, ok := g.first.get(h)
	if !ok {
		return nil
	}
	more := g.more[h]
	if f == row {
		if len(more) == 0 {
			g.first.del(h)
			return nil
		}
		g.first.set(h, more[0])
		more = more[1:]
	} else {
		for i, r := range more {
			if r == row {
				more = append(more[:i:i], more[i+1:]...)
				break
			}
		}
	}
	if len(more) == 0 {
		delete(g.more, h)
	} else {
		g.more[h] = more
	}
	return g.holders(h)
}

func (g *uniqGroupIdx) firstHolder(h uint64) uint32 {
	f, _ := g.first.get(h)
	return f
}

func (g *uniqGroupIdx) holders(h uint64) []uint32 {
	f, ok := g.first.get(h)
	if !ok {
		return nil
	}
	return append([]uint32{f}, g.more[h]...)
}

func (s *Service) dropUniq(id int64) {
	s.mu.Lock()
	delete(s.uniq, id)
	s.mu.Unlock()
}

func (s *Service) keepUniq(id int64, u *uniqIndex) {
	s.mu.Lock()
	if len(s.uniq) >= 4 {
		clear(s.uniq) // a few large imports at most; others rebuild on demand
	}
	s.uniq[id] = u
	s.mu.Unlock()
}

// StartStaging runs Stage in the background; follow it with Progress.
// The step is registered before it returns, so a progress poll right
// after sees it.
func (s *Service) StartStaging(slug string) {
	ctx := context.Background()
	j := newJob("staging", 0)
	if imp, err := s.loadImport(ctx, s.db.Read, slug); err == nil {
		j.total.Store(imp.FileSize)
		s.setJob(imp.ID, j)
	}
	// a durable job while it runs: a process that stops half way leaves
	// it to the next one to start, which stages the file again
	id, err := s.putStageJob(ctx, slug)
	if err != nil {
		s.log.Error("record staging job", "import", slug, "err", err)
	}
	s.jobsWG.Add(1)
	go func() {
		defer s.jobsWG.Done()
		if id != 0 {
			stopBeat := s.heartbeat(id)
			defer stopBeat()
		}
		if err := s.runStage(ctx, slug, j); err != nil && errs.Code(err) == errs.EINTERNAL {
			s.log.Error("staging failed", "import", slug, "err", err)
		}
		if id != 0 {
			s.endStageJob(ctx, id)
		}
	}()
}

// Stage parses, maps, validates and stores every row of the import's file
// with the confirmed mapping. It blocks until done; Progress reports it
// meanwhile.
func (s *Service) Stage(ctx context.Context, slug string) error {
	return s.runStage(ctx, slug, newJob("staging", 0))
}

func (s *Service) runStage(ctx context.Context, slug string, j *job) (err error) {
	defer func() {
		if !j.done.Load() {
			j.finish(err)
		}
	}()
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return err
	}
	defer unlock()
	imp, err = s.loadImport(ctx, s.db.Read, slug) // fresh, under the lock
	if err != nil {
		return err
	}
	if err := refuseCancelled(imp); err != nil {
		return err
	}

	if imp.Mapping == nil {
		return errs.Conflict("import %s has no confirmed mapping yet", slug)
	}
	if imp.Status != StatusCreated || imp.Step == StepSubmitting || imp.Step == StepDone {
		return errs.Conflict("import %s is %s; it cannot be staged again", slug, imp.Status)
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return err
	}
	src, err := sc.Resolve(*imp.Mapping, imp.Headers)
	if err != nil {
		return err
	}
	j.total.Store(imp.FileSize)
	s.setJob(imp.ID, j)
	err = s.stage(ctx, imp, sc, src, j)
	j.finish(err)
	if err != nil {
		reason := errs.Message(err)
		uerr := s.db.Tx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			if err := clearStaged(ctx, tx, imp.ID); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET step = ?, failure_reason = ?, row_count = 0, max_row = 0, error_rows = 0, warning_rows = 0,
				version = version + 1, updated_at = ? WHERE id = ?`, StepUploaded, reason, nowString(), imp.ID)
			return err
		})
		if uerr != nil {
			s.log.Error("reset failed staging", "import", slug, "err", uerr)
		}
		return err
	}
	return nil
}

type stageResult struct {
	rows, maxRow, errorRows, warningRows int64
	dupFirst                             []dupFlag
	fileIssues                           []ingest.RowIssue
	uniq                                 *uniqIndex
	cb                                   *cbRun        // the validation endpoint's run, fed as rows are staged
	match                                *stageMatcher // match_on: each row's key, looked up after (match.go)
}

type dupFlag struct {
	row   uint32
	group int
}

func (s *Service) stage(ctx context.Context, imp *Import, sc *schema.Schema, src []int, j *job) error {
	var carry *editPayload // edits kept from before a mapping change (carry.go)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := takeCarry(ctx, tx, imp.ID)
		if err != nil {
			return err
		}
		carry = c
		if err := clearStaged(ctx, tx, imp.ID); err != nil {
			return err
		}
		if err := s.storeStaged(ctx, tx, imp.ID, j, stagedSoFar{}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE importer_imports SET step = ?, failure_reason = '', row_count = 0, max_row = 0, error_rows = 0,
			warning_rows = 0, updated_at = ? WHERE id = ?`, StepStaging, nowString(), imp.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	rd, err := s.openForStage(ctx, imp, imp.FileOptions, sc.Def.Settings.MaxFileBytes())
	if err != nil {
		return err
	}
	defer rd.Close()
	rd.SetHeader(imp.HeaderRow, len(imp.Headers))
	rd.Prefetch() // a workbook is tokenized on its own goroutine

	// the validation endpoint gets the rows while they are staged
	cbr, err := s.startCallbacks(ctx, imp, sc)
	if err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	cbDone := false
	defer func() {
		if cbr != nil && !cbDone {
			cbr.fail(errors.New("staging did not finish"))
			_ = s.finishCallbacks(context.WithoutCancel(ctx), cbr, true)
		}
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// 32 batches (8,000 rows at the default size, a transaction's worth): the
	// producer goes on while the writer commits, and the writer, the slower of
	// the two, does not wait for rows after a commit
	batches := make(chan *stageBatch, 32)
	res := stageResult{cb: cbr, match: newStageMatcher(imp, sc)}
	prodErr := make(chan error, 1)
	go func() {
		defer close(batches)
		prodErr <- s.produce(ctx, imp, sc, src, rd, j, batches, &res)
	}()
	werr := s.writeBatches(ctx, imp.ID, batches, j)
	if werr != nil {
		cancel()
		for range batches {
		}
	}
	perr := <-prodErr
	if perr != nil {
		return perr
	}
	if werr != nil {
		return werr
	}
	if res.rows == 0 {
		return inputError(ingest.HeaderOnlyError(imp.HeaderRow))
	}
	j.phase.Store("validating")
	issuesJSON, _ := json.Marshal(res.fileIssues)
	if res.fileIssues == nil {
		issuesJSON = []byte("[]")
	}
	var finalErr, finalWarn int64
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// first holders of duplicated keys change after counting: the
		// counts follow them (no scan of every row)
		newErr, lostWarn, err := flagFirstDuplicates(ctx, tx, imp.ID, sc, res.dupFirst)
		if err != nil {
			return err
		}
		errRows, warnRows := res.errorRows+newErr, res.warningRows-lostWarn
		_, err = tx.ExecContext(ctx, `UPDATE importer_imports SET step = ?, row_count = ?, max_row = ?, error_rows = ?, warning_rows = ?, file_issues = ?,
			version = version + 1, updated_at = ? WHERE id = ?`,
			StepReview, res.rows, res.maxRow, errRows, warnRows, string(issuesJSON), nowString(), imp.ID)
		if err != nil {
			return fmt.Errorf("stage: finish: %w", err)
		}
		if err := markReached(ctx, tx, imp.ID, ReachedReview); err != nil {
			return err
		}
		finalErr, finalWarn = errRows, warnRows
		return nil
	})
	if err != nil {
		return err
	}
	j.staged.Store(&stagedSoFar{Rows: res.rows, MaxRow: res.maxRow, ErrorRows: finalErr, WarningRows: finalWarn, Bytes: j.bytes.Load()})
	var version int64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT version FROM importer_imports WHERE id = ?`, imp.ID).Scan(&version); err == nil && res.uniq != nil {
		res.uniq.version = version
		s.keepUniq(imp.ID, res.uniq)
	}
	if err := s.storeMatches(ctx, imp, res.match); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	cbDone = true
	if err := s.finishCallbacks(ctx, cbr, true); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	if carry != nil {
		touched, err := s.applyCarry(ctx, imp.Slug, carry)
		if err != nil {
			return fmt.Errorf("stage: re-apply kept edits: %w", err)
		}
		// the kept edits' content goes to the validation endpoint too (the
		// rows they changed: staging had every other row checked)
		r, rows, err := s.beginCallbacks(ctx, imp, sc, touched)
		if err != nil {
			return fmt.Errorf("stage: %w", err)
		}
		if err := s.checkRows(ctx, r, rows, true); err != nil {
			return fmt.Errorf("stage: %w", err)
		}
	}
	return nil
}

// produce reads, maps and validates rows and sends them in batches.
func (s *Service) produce(ctx context.Context, imp *Import, sc *schema.Schema, src []int, rd *ingest.Reader, j *job, out chan<- *stageBatch, res *stageResult) error {
	n := sc.NumColumns()
	cells := make([]string, n)
	var valueMaps []map[string]string
	if imp.Mapping != nil && len(imp.Mapping.Values) > 0 {
		valueMaps = make([]map[string]string, n)
		for key, vm := range imp.Mapping.Values {
			if ci := sc.Index(key); ci >= 0 {
				valueMaps[ci] = vm
			}
		}
	}
	defaults := make([]string, n)
	hasDef := make([]bool, n)
	for ci := 0; ci < n; ci++ {
		defaults[ci], hasDef[ci] = sc.Default(ci)
	}
	groups := sc.UniqueGroups()
	var uniq *uniqIndex
	if len(groups) > 0 {
		uniq = newUniqIndex(len(groups))
		res.uniq = uniq
	}
	var keyBuf []byte
	hk, err := newRowHooks(sc)
	if err != nil {
		return err
	}
	defer hk.close()
	issues := make([]schema.Issue, 0, 16)
	var rowBuf []byte
	// settings.unmapped_columns: keep: the unmapped file columns are staged after the importer's
	// (edits keep them; submit puts them under "custom")
	var keepIdx []int
	if sc.Def.Settings.KeepsUnmapped() {
		keepIdx, _ = sc.CustomColumns(imp.Headers, src)
	}
	var full []string
	batchRows := s.BatchRows
	batch := &stageBatch{rows: make([]stagedRow, 0, batchRows)}
	var dataRow int64
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return inputError(err)
		}
		if rd.Row() <= imp.HeaderRow {
			continue
		}
		blank := true
		for _, v := range row {
			if schema.TrimCell(v) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		dataRow++
		if err := checkRowNum(dataRow); err != nil {
			return err
		}
		if uniq != nil && dataRow == uniqReserveAt {
			reserveUniq(uniq, dataRow, rd.BytesRead(), imp.FileSize)
		}
		for ci := 0; ci < n; ci++ {
			v := ""
			if fi := src[ci]; fi >= 0 && fi < len(row) {
				v = row[fi]
			}
			if valueMaps != nil && valueMaps[ci] != nil {
				if to, ok := valueMaps[ci][v]; ok {
					v = to
				} else if to, ok := valueMaps[ci][schema.TrimCell(v)]; ok {
					v = to
				}
			}
			if hasDef[ci] && schema.TrimCell(v) == "" {
				v = defaults[ci]
			}
			cells[ci] = v
		}
		issues = hk.run(cells, issues[:0]) // may replace values: before the built-in checks
		issues = sc.ValidateRow(cells, issues)
		for gi := range groups {
			g := &groups[gi]
			var ok bool
			keyBuf, ok = sc.AppendUniqueKey(keyBuf[:0], g, cells)
			if !ok {
				continue
			}
			h := maphash.Bytes(uniq.seed, keyBuf)
			others := uniq.groups[gi].add(h, uint32(dataRow))
			if others > 0 {
				issues = append(issues, schema.Issue{Col: g.Col, Severity: schema.SeverityError, Message: g.Message})
				if others == 1 {
					res.dupFirst = append(res.dupFirst, dupFlag{row: uniq.groups[gi].firstHolder(h), group: gi})
				}
			}
		}
		sr := stagedRow{num: dataRow}
		batch.issues, sr.errors, sr.warnings = appendMerged(batch.issues, dataRow, issues)
		if len(keepIdx) > 0 {
			full = append(full[:0], cells...)
			for _, fi := range keepIdx {
				v := ""
				if fi < len(row) {
					v = row[fi]
				}
				full = append(full, v)
			}
			rowBuf = encodeRow(rowBuf[:0], full)
		} else {
			rowBuf = encodeRow(rowBuf[:0], cells)
		}
		sr.data = string(rowBuf)
		res.match.add(dataRow, cells)
		if err := res.cb.add(dataRow, sr.data); err != nil {
			return err
		}
		batch.rows = append(batch.rows, sr)
		res.rows++
		res.maxRow = dataRow
		if sr.errors > 0 {
			res.errorRows++
		}
		if sr.warnings > 0 {
			res.warningRows++
		}
		if len(batch.rows) == batchRows {
			batch.bytes = rd.BytesRead()
			select {
			case out <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = &stageBatch{rows: make([]stagedRow, 0, batchRows)}
		}
	}
	batch.bytes = rd.BytesRead()
	if len(batch.rows) > 0 {
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	res.fileIssues = append([]ingest.RowIssue(nil), rd.Issues()...)
	return nil
}

// uniqReserveAt is the row at which the uniqueness tables make room for
// the rows the file's size suggests (reserveUniq); uniqReserveMax bounds
// that guess (a larger file's tables grow as they fill).
const (
	uniqReserveAt  = 16_384
	uniqReserveMax = 2_000_000
)

// reserveUniq makes room in each uniqueness group's table for the rows a
// file of size bytes holds if its rows are as long as the first rows (read
// bytes for rows), a little over: the tables do not then double and rehash
// every key again and again as they fill.
func reserveUniq(u *uniqIndex, rows, read, size int64) {
	if read <= 0 || size <= read {
		return
	}
	est := min(uniqReserveMax, int64(float64(rows)*float64(size)/float64(read)*1.05))
	for _, g := range u.groups {
		g.first.reserve(int(est))
	}
}

// appendMerged merges a row's issues into one finding per cell (the worst
// severity, messages joined) and counts the row's error and warning cells.
func appendMerged(dst []cellIssue, row int64, issues []schema.Issue) ([]cellIssue, int, int) {
	if len(issues) == 0 {
		return dst, 0, 0
	}
	// insertion sort by column, stable (unique findings come last)
	for i := 1; i < len(issues); i++ {
		for k := i; k > 0 && issues[k].Col < issues[k-1].Col; k-- {
			issues[k], issues[k-1] = issues[k-1], issues[k]
		}
	}
	errors, warnings := 0, 0
	for i := 0; i < len(issues); {
		k := i + 1
		sev, msg := issues[i].Severity, issues[i].Message
		for k < len(issues) && issues[k].Col == issues[i].Col {
			if issues[k].Severity == schema.SeverityError {
				sev = schema.SeverityError
			}
			msg += "; " + issues[k].Message
			k++
		}
		dst = append(dst, cellIssue{row: row, col: issues[i].Col, severity: sev, message: msg})
		if sev == schema.SeverityError {
			errors++
		} else {
			warnings++
		}
		i = k
	}
	return dst, errors, warnings
}

// writeBatches writes batches to SQLite: multi-row INSERTs, one
// transaction per TxRows rows.
func (s *Service) writeBatches(ctx context.Context, importID int64, batches <-chan *stageBatch, j *job) error {
	// the full-size statements, prepared once for all the transactions
	// (preparing a 250-row INSERT costs as much as running a few); none
	// on PostgreSQL, which COPYs
	shared, err := s.prepareStageStmts(ctx, importID)
	if err != nil {
		return fmt.Errorf("stage: write rows: %w", err)
	}
	defer shared.close()
	// SQLite's automatic checkpoint would copy the WAL into the database
	// file inside every few commits, on this goroutine: a connection of the
	// store's own does it once the rows are written (store.DeferCheckpoints)
	lease, err := s.db.DeferCheckpoints(ctx)
	if err != nil {
		return fmt.Errorf("stage: write rows: %w", err)
	}
	defer lease.Release()
	for {
		var first *stageBatch
		select {
		case b, ok := <-batches:
			if !ok {
				return nil
			}
			first = b
		case <-ctx.Done():
			return ctx.Err()
		}
		written := 0
		var lastBytes, maxRow, errRows, warnRows int64
		more := true
		// the first transaction ends after the first batch: the review
		// shows the first rows while the rest of the file is staged
		txRows := s.TxRows
		if j.staged.Load() == nil {
			txRows = 1
		}
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			w := s.newStageWriter(tx, importID, shared)
			defer w.close()
			// the rows' count for the other replicas commits with them
			end := func() error {
				if err := w.flush(ctx); err != nil {
					return err
				}
				return s.storeStaged(ctx, tx, importID, j, j.nextStaged(int64(written), maxRow, errRows, warnRows, lastBytes))
			}
			b := first
			for {
				if err := w.rows(ctx, b.rows); err != nil {
					return err
				}
				if err := w.issues(ctx, b.issues); err != nil {
					return err
				}
				written += len(b.rows)
				lastBytes = b.bytes
				for i := range b.rows {
					if b.rows[i].errors > 0 {
						errRows++
					}
					if b.rows[i].warnings > 0 {
						warnRows++
					}
				}
				if len(b.rows) > 0 {
					maxRow = b.rows[len(b.rows)-1].num
				}
				if written >= txRows {
					return end()
				}
				var ok bool
				b, ok = <-batches
				if !ok {
					more = false
					return end()
				}
			}
		})
		if err != nil {
			return fmt.Errorf("stage: write rows: %w", err)
		}
		lease.Committed(ctx)
		j.committed(int64(written), maxRow, errRows, warnRows, lastBytes)
		s.hub.wake(importID) // this process's followers; a team server's others hear the NOTIFY
		if s.afterStaged != nil {
			s.afterStaged(*j.staged.Load())
		}
		if !more {
			return nil
		}
	}
}

// stageWriter writes one staging transaction's rows (importer_rows) and
// cell findings (importer_cell_issues) of one import, in row order; flush
// writes what it still holds before the transaction commits. It is what
// differs between the engines: newStageWriter picks the engine's.
type stageWriter interface {
	rows(ctx context.Context, rows []stagedRow) error
	issues(ctx context.Context, issues []cellIssue) error
	flush(ctx context.Context) error
	close()
}

// newStageWriter returns the writer of staged rows for the database's
// engine, inside tx; shared holds statements prepared for every
// transaction of the staging run (prepareStageStmts), or is nil.
func (s *Service) newStageWriter(tx *store.Tx, importID int64, shared *stageStmts) stageWriter {
	if tx.CanCopy() {
		return newCopyWriter(tx, importID) // PostgreSQL (stage_copy.go)
	}
	w := newBulkWriter(tx, importID)
	w.insert = s.stageInsert()
	w.shared = shared
	return w
}

// stageInsert is how staged rows are inserted. On SQLite OR FAIL: a
// failing row ends the statement without undoing the rows before it (the
// transaction is rolled back then anyway), so SQLite keeps no statement
// journal of the pages a multi-row INSERT changes, a copy of each (most of
// the write's time).
func (s *Service) stageInsert() string {
	if s.db.Engine() == store.SQLite {
		return "INSERT OR FAIL INTO"
	}
	return "INSERT INTO"
}

// Rows and findings are inserted in statements of a few fixed sizes:
// cleanTuples rows without findings, flaggedTuples rows with findings,
// flaggedTuples findings; what is left at the end of a transaction goes
// in one statement of its own size.
const (
	maxTuples     = 250
	cleanTuples   = maxTuples
	flaggedTuples = 64
)

// The statements' text: prefix and one tuple per row.
const (
	stageRowsPrefix   = ` importer_rows (id, data, errors, warnings) VALUES `
	stageIssuesPrefix = ` importer_cell_issues (import_id, row_num, col, severity, message) VALUES `
	stageRowTuple     = `(?,?,?,?)` // id (rowKey), data, errors, warnings
	stageIssueTuple   = `(?,?,?,?,?)`
	// stageCleanTuple has the zero counts in the statement's text: each
	// bound value is a call into SQLite under its mutex.
	stageCleanTuple = `(?,?,0,0)`
)

// stageStmts are the full-size statements of one staging run, prepared on
// the database (not a transaction) so that every transaction uses them.
type stageStmts struct {
	byKey map[string]*sql.Stmt
}

// prepareStageStmts prepares them; on PostgreSQL it returns nil, as its
// staging transactions COPY (stage_copy.go) and would never use them.
func (s *Service) prepareStageStmts(ctx context.Context, importID int64) (*stageStmts, error) {
	if s.db.Engine() != store.SQLite {
		return nil, nil
	}
	ins := s.stageInsert()
	st := &stageStmts{byKey: map[string]*sql.Stmt{}}
	for _, q := range []struct {
		prefix, tuple string
		n             int
	}{
		{ins + stageRowsPrefix, stageCleanTuple, cleanTuples},
		{ins + stageRowsPrefix, stageRowTuple, flaggedTuples},
		{ins + stageIssuesPrefix, stageIssueTuple, flaggedTuples},
	} {
		p, err := s.db.Write.PrepareContext(ctx, insertText(q.prefix, q.tuple, q.n))
		if err != nil {
			st.close()
			return nil, err
		}
		st.byKey[insertKey(q.prefix, q.tuple, q.n)] = p
	}
	return st, nil
}

func (st *stageStmts) close() {
	if st == nil {
		return
	}
	for _, p := range st.byKey {
		p.Close()
	}
}

// insertKey names the multi-row INSERT of n tuples (insertText).
func insertKey(prefix, tuple string, n int) string {
	return prefix + tuple + "/" + strconv.Itoa(n)
}

// insertText is a multi-row INSERT of n tuples.
func insertText(prefix, tuple string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	return b.String()
}

// bulkWriter inserts rows and issues with prepared multi-row statements.
type bulkWriter struct {
	tx       *store.Tx
	importID int64
	insert   string      // "INSERT INTO", or SQLite's "INSERT OR FAIL INTO"
	shared   *stageStmts // prepared for every transaction, or nil
	stmts    map[string]*sql.Stmt
	args     []any
	// held until a statement's worth (or flush): rows without findings
	// (most of a file), rows with findings and the findings
	clean   []stagedRow
	flagged []stagedRow
	pending []cellIssue
}

func newBulkWriter(tx *store.Tx, importID int64) *bulkWriter {
	return &bulkWriter{tx: tx, importID: importID, insert: "INSERT INTO", stmts: map[string]*sql.Stmt{}}
}

func (w *bulkWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// stmt is the multi-row INSERT of n tuples, prepared once per writer.
func (w *bulkWriter) stmt(ctx context.Context, prefix, tuple string, n int) (*sql.Stmt, error) {
	return w.stmtWith(ctx, prefix, tuple, "", n)
}

// stmtWith is stmt followed by suffix (an ON CONFLICT clause).
func (w *bulkWriter) stmtWith(ctx context.Context, prefix, tuple, suffix string, n int) (*sql.Stmt, error) {
	key := insertKey(prefix, tuple, n) + suffix
	if st, ok := w.stmts[key]; ok {
		return st, nil
	}
	var st *sql.Stmt
	var err error
	if p, ok := w.shared.get(key); ok {
		st, err = w.tx.StmtContext(ctx, p), nil
	} else {
		st, err = w.tx.PrepareContext(ctx, insertText(prefix, tuple, n)+suffix)
	}
	if err != nil {
		return nil, err
	}
	w.stmts[key] = st
	return st, nil
}

func (st *stageStmts) get(key string) (*sql.Stmt, bool) {
	if st == nil {
		return nil, false
	}
	p, ok := st.byKey[key]
	return p, ok
}

// rows inserts rows, a statement's worth at a time; flush writes the
// rest. Rows without findings go in statements that bind only the row
// number and the data.
func (w *bulkWriter) rows(ctx context.Context, rows []stagedRow) error {
	for _, r := range rows {
		if r.errors == 0 && r.warnings == 0 {
			w.clean = append(w.clean, r)
			if len(w.clean) == cleanTuples {
				if err := w.writeClean(ctx); err != nil {
					return err
				}
			}
		} else {
			w.flagged = append(w.flagged, r)
			if len(w.flagged) == flaggedTuples {
				if err := w.writeFlagged(ctx); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w *bulkWriter) issues(ctx context.Context, issues []cellIssue) error {
	for len(issues) > 0 {
		n := min(len(issues), flaggedTuples-len(w.pending))
		w.pending = append(w.pending, issues[:n]...)
		issues = issues[n:]
		if len(w.pending) == flaggedTuples {
			if err := w.writeIssues(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the rows and findings held.
func (w *bulkWriter) flush(ctx context.Context) error {
	if err := w.writeClean(ctx); err != nil {
		return err
	}
	if err := w.writeFlagged(ctx); err != nil {
		return err
	}
	return w.writeIssues(ctx)
}

func (w *bulkWriter) writeClean(ctx context.Context) error {
	if len(w.clean) == 0 {
		return nil
	}
	st, err := w.stmt(ctx, w.insert+stageRowsPrefix, stageCleanTuple, len(w.clean))
	if err != nil {
		return err
	}
	w.args = w.args[:0]
	for _, r := range w.clean {
		w.args = append(w.args, rowKey(w.importID, r.num), r.data)
	}
	w.clean = w.clean[:0]
	_, err = st.ExecContext(ctx, w.args...)
	return err
}

func (w *bulkWriter) writeFlagged(ctx context.Context) error {
	if len(w.flagged) == 0 {
		return nil
	}
	st, err := w.stmt(ctx, w.insert+stageRowsPrefix, stageRowTuple, len(w.flagged))
	if err != nil {
		return err
	}
	w.args = w.args[:0]
	for _, r := range w.flagged {
		w.args = append(w.args, rowKey(w.importID, r.num), r.data, r.errors, r.warnings)
	}
	w.flagged = w.flagged[:0]
	_, err = st.ExecContext(ctx, w.args...)
	return err
}

func (w *bulkWriter) writeIssues(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	st, err := w.stmt(ctx, w.insert+stageIssuesPrefix, stageIssueTuple, len(w.pending))
	if err != nil {
		return err
	}
	w.args = w.args[:0]
	for _, is := range w.pending {
		w.args = append(w.args, w.importID, is.row, is.col, string(is.severity), is.message)
	}
	w.pending = w.pending[:0]
	_, err = st.ExecContext(ctx, w.args...)
	return err
}

// flagFirstDuplicates adds the uniqueness finding to the first row of
// each duplicated key (later rows got it while staging). It returns how
// many rows newly have an error and how many no longer have a warning.
func flagFirstDuplicates(ctx context.Context, tx *store.Tx, importID int64, sc *schema.Schema, flags []dupFlag) (newErrRows, lostWarnRows int64, err error) {
	groups := sc.UniqueGroups()
	for _, f := range flags {
		g := groups[f.group]
		added, lost, err := addIssue(ctx, tx, importID, int64(f.row), g.Col, schema.SeverityError, g.Message)
		if err != nil {
			return 0, 0, err
		}
		if added {
			newErrRows++
		}
		if lost {
			lostWarnRows++
		}
	}
	return newErrRows, lostWarnRows, nil
}

// addIssue merges a finding into a cell's issue row and the row's counts.
// It reports whether the row went from no errors to having errors, and
// whether it went from having warnings to none (a warning cell that
// became an error).
func addIssue(ctx context.Context, tx *store.Tx, importID, row int64, col int, sev schema.Severity, msg string) (newErr, lostWarn bool, _ error) {
	var oldSev, oldMsg string
	err := tx.QueryRowContext(ctx, `SELECT severity, message FROM importer_cell_issues WHERE import_id = ? AND row_num = ? AND col = ?`, importID, row, col).Scan(&oldSev, &oldMsg)
	var rowErrs, rowWarns int
	if e := tx.QueryRowContext(ctx, `SELECT errors, warnings FROM importer_rows WHERE id = ?`, rowKey(importID, row)).Scan(&rowErrs, &rowWarns); e != nil {
		return false, false, fmt.Errorf("flag duplicate: %w", e)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO importer_cell_issues (import_id, row_num, col, severity, message) VALUES (?, ?, ?, ?, ?)`,
			importID, row, col, string(sev), msg); err != nil {
			return false, false, fmt.Errorf("flag duplicate: %w", err)
		}
		field := "warnings"
		if sev == schema.SeverityError {
			field = "errors"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE importer_rows SET `+field+` = `+field+` + 1 WHERE id = ?`, rowKey(importID, row)); err != nil {
			return false, false, fmt.Errorf("flag duplicate: %w", err)
		}
		return sev == schema.SeverityError && rowErrs == 0, false, nil
	case err != nil:
		return false, false, fmt.Errorf("flag duplicate: %w", err)
	}
	if strings.Contains(oldMsg, msg) {
		return false, false, nil
	}
	newSev := oldSev
	if sev == schema.SeverityError {
		newSev = string(schema.SeverityError)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE importer_cell_issues SET severity = ?, message = ? WHERE import_id = ? AND row_num = ? AND col = ?`,
		newSev, oldMsg+"; "+msg, importID, row, col); err != nil {
		return false, false, fmt.Errorf("flag duplicate: %w", err)
	}
	if oldSev != newSev {
		if _, err := tx.ExecContext(ctx, `UPDATE importer_rows SET errors = errors + 1, warnings = warnings - 1 WHERE id = ?`, rowKey(importID, row)); err != nil {
			return false, false, fmt.Errorf("flag duplicate: %w", err)
		}
		return rowErrs == 0, rowWarns == 1, nil
	}
	return false, false, nil
}
