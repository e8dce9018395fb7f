package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"fusebox/backend/errs"
	"fusebox/backend/ingest"
	"fusebox/backend/store"
)

// Progress is what a long step (upload, staging, submit) reports while it
// runs. Phase is uploading, staging, validating, submitting, done or
// failed.
type Progress struct {
	Phase      string `json:"phase"`
	BytesRead  int64  `json:"bytes_read"`
	BytesTotal int64  `json:"bytes_total"`
	Rows       int64  `json:"rows"`
	// Records and RecordsTotal are a submit's records written and to
	// write (also in rows and bytes_total, as before).
	Records      int64 `json:"records"`
	RecordsTotal int64 `json:"records_total"`
	// ErrorRows and WarningRows: staging's rows with errors and with
	// warnings among the rows committed so far (Rows), readable in the
	// review while staging goes on.
	ErrorRows   int64     `json:"error_rows"`
	WarningRows int64     `json:"warning_rows"`
	Done        bool      `json:"done"`
	Error       string    `json:"error,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	ElapsedMS   int64     `json:"elapsed_ms"`
}

// job tracks one running step; its fields are read by progress polls
// while the step's goroutines write them.
type job struct {
	phase    atomic.Value // string
	bytes    atomic.Int64
	total    atomic.Int64
	rows     atomic.Int64
	done     atomic.Bool
	errMsg   atomic.Value // string
	started  time.Time
	finished atomic.Int64 // unix nanos
	doneCh   chan struct{}
	submit   bool // a submit: rows are records written, total the records to write
	// staged: what staging has committed so far, stored as one value
	// after each transaction, so a reader sees rows, counts and bytes of
	// the same moment.
	staged atomic.Pointer[stagedSoFar]
	// onDone runs when the job finishes, on the finishing goroutine (a
	// team server stores the final progress before the step returns)
	onDone atomic.Pointer[func()]
	// published: its progress is being published (publish)
	published atomic.Bool
}

// stagedSoFar is staging's committed state: rows 1..MaxRow are stored,
// of which ErrorRows have errors and WarningRows warnings; Bytes of the
// file were read for them.
type stagedSoFar struct {
	Rows, MaxRow, ErrorRows, WarningRows, Bytes int64
}

// nextStaged is the staged state once a transaction with these rows
// commits.
func (j *job) nextStaged(rows, maxRow, errorRows, warningRows, bytes int64) stagedSoFar {
	prev := j.staged.Load()
	next := stagedSoFar{MaxRow: maxRow, Bytes: bytes}
	if prev != nil {
		next.Rows, next.ErrorRows, next.WarningRows = prev.Rows, prev.ErrorRows, prev.WarningRows
	}
	next.Rows += rows
	next.ErrorRows += errorRows
	next.WarningRows += warningRows
	return next
}

// committed adds a committed transaction's rows to the staged state.
func (j *job) committed(rows, maxRow, errorRows, warningRows, bytes int64) {
	next := j.nextStaged(rows, maxRow, errorRows, warningRows, bytes)
	j.staged.Store(&next)
	j.rows.Store(next.Rows)
	j.bytes.Store(bytes)
}

func newJob(phase string, total int64) *job {
	j := &job{started: time.Now(), doneCh: make(chan struct{})}
	j.phase.Store(phase)
	j.errMsg.Store("")
	j.total.Store(total)
	return j
}

func (j *job) finish(err error) {
	if err != nil {
		j.errMsg.Store(errs.Message(err))
		if errs.Code(err) == errs.EINTERNAL {
			j.errMsg.Store("internal error")
		}
		j.phase.Store("failed")
	} else {
		j.phase.Store("done")
	}
	j.finished.Store(time.Now().UnixNano())
	if j.done.CompareAndSwap(false, true) {
		close(j.doneCh)
		if f := j.onDone.Load(); f != nil {
			(*f)()
		}
	}
}

func (j *job) snapshot() Progress {
	p := Progress{Phase: j.phase.Load().(string), BytesRead: j.bytes.Load(), BytesTotal: j.total.Load(), Rows: j.rows.Load(),
		Done: j.done.Load(), Error: j.errMsg.Load().(string), StartedAt: j.started}
	end := time.Now()
	if f := j.finished.Load(); f > 0 {
		end = time.Unix(0, f)
	}
	p.ElapsedMS = end.Sub(j.started).Milliseconds()
	if st := j.staged.Load(); st != nil {
		p.Rows, p.BytesRead, p.ErrorRows, p.WarningRows = st.Rows, st.Bytes, st.ErrorRows, st.WarningRows
	}
	if j.submit {
		p.Records, p.RecordsTotal = p.Rows, p.BytesTotal
	}
	return p
}

func (s *Service) setJob(id int64, j *job) {
	s.mu.Lock()
	s.jobs[id] = j
	s.mu.Unlock()
	s.publish(id, j)
}

// Progress reports the running (or last) long step of an import. With no
// step run in this process it is derived from the stored state.
func (s *Service) Progress(ctx context.Context, slug string) (Progress, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Progress{}, err
	}
	s.mu.Lock()
	j := s.jobs[imp.ID]
	s.mu.Unlock()
	if j != nil && (!s.team() || !j.done.Load()) {
		return j.snapshot(), nil
	}
	if s.team() {
		// the last step may have run on another replica
		p, ok, err := s.storedProgress(ctx, imp.ID)
		if err != nil {
			return p, err
		}
		// a finished step's progress, unless the import has since entered
		// a step that is not reporting (the job row says more)
		if ok && (!p.Done || imp.Step != StepStaging && imp.Step != StepSubmitting) {
			return p, nil
		}
		if j != nil {
			return j.snapshot(), nil
		}
	}
	if p, ok, err := s.jobProgress(ctx, imp); err != nil || ok {
		return p, err
	}
	p := Progress{Phase: "done", Done: true, BytesRead: imp.FileSize, BytesTotal: imp.FileSize, Rows: imp.RowCount, StartedAt: imp.UpdatedAt}
	switch {
	case imp.Status == StatusFailed:
		p.Phase, p.Error = "failed", imp.FailureReason
	case imp.Step == StepStaging || imp.Step == StepSubmitting:
		// a step that was running when the process stopped
		p.Phase, p.Error = "failed", "interrupted: the server stopped while this step ran; run it again"
	}
	return p, nil
}

// Wait blocks until the running step of the import (if any) finishes and
// returns its final progress.
func (s *Service) Wait(ctx context.Context, slug string) (Progress, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Progress{}, err
	}
	s.mu.Lock()
	j := s.jobs[imp.ID]
	s.mu.Unlock()
	switch {
	case j != nil && !j.done.Load():
		select {
		case <-j.doneCh:
		case <-ctx.Done():
			return j.snapshot(), ctx.Err()
		}
	case s.team():
		// a step another replica runs
		if err := s.waitStored(ctx, imp.ID); err != nil {
			return Progress{}, fmt.Errorf("wait for import %s: %w", slug, err)
		}
	}
	return s.Progress(ctx, slug)
}

// Preview is the first rows of an uploaded file as parsed, with what was
// detected and the header row in use.
type Preview struct {
	Detected          ingest.Detected   `json:"detected"`
	Options           FileOptions       `json:"options"`
	Rows              [][]string        `json:"rows"`
	HeaderRow         int               `json:"header_row"`
	DetectedHeaderRow int               `json:"detected_header_row"`
	Headers           []string          `json:"headers"`
	HeaderError       string            `json:"header_error,omitempty"`
	More              bool              `json:"more"`
	Issues            []ingest.RowIssue `json:"issues,omitempty"`
}

// PreviewRows is how many leading rows a preview shows.
const PreviewRows = 50

// PreviewCellBytes is the most text a preview shows of one cell; a longer
// cell is cut and ends with "…" (header names are not cut).
const PreviewCellBytes = 1 << 10

// PreviewBytes bounds the text of a preview's rows: rows after the header
// row are shown while it is not reached (More is then set). With rows
// bounded by the row limit (1 MiB), a preview response stays within a few MB.
const PreviewBytes = 2 << 20

// previewHeaderScan is how many leading rows header detection looks at.
const previewHeaderScan = 20

var extOK = map[string]bool{"csv": true, "tsv": true, "txt": true, "xlsx": true, "xlsm": true, "json": true, "tab": true}

// fileExt returns a safe extension for the stored original.
func fileExt(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	if extOK[ext] {
		return ext
	}
	return "dat"
}

// inputError converts an ingest problem to a domain error.
func inputError(err error) error {
	var ie *ingest.Error
	if errors.As(err, &ie) {
		if ie.Kind == ingest.ErrTooLarge {
			return errs.TooLarge("%s", ie.Error())
		}
		return errs.Invalid("%s", ie.Error())
	}
	return err
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// Upload streams body (the file named name, size bytes or -1 when unknown)
// to <data-dir>/uploads/<import>/original.<ext>, kept for audit and
// re-import, and returns its preview. A new upload replaces the previous
// file and any staged rows of a not yet submitted import.
func (s *Service) Upload(ctx context.Context, slug string, body io.Reader, name string, size int64) (Preview, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Preview{}, err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return Preview{}, err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil { // fresh, under the lock
		return Preview{}, err
	}
	if err := refuseCancelled(imp); err != nil {
		return Preview{}, err
	}
	if imp.Status != StatusCreated && imp.Status != StatusFailed || imp.Step == StepSubmitting || imp.Step == StepDone {
		return Preview{}, errs.Conflict("import %s is %s; start a new import to upload another file", slug, imp.Status)
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return Preview{}, err
	}
	name = filepath.Base(strings.TrimSpace(name))
	if name == "" || name == "." || name == "/" {
		name = "upload.csv"
	}
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	if !sc.Def.Settings.AllowsFileType(ext) {
		return Preview{}, errs.Invalid("file type %q is not allowed for importer %q (allowed: %s)", ext, sc.Def.Slug, strings.Join(sc.Def.Settings.AllowedFileTypes, ", "))
	}
	limit := sc.Def.Settings.MaxFileBytes()
	if size > limit {
		return Preview{}, errs.TooLarge("the file is %s; importer %q accepts at most %s", humanSize(size), sc.Def.Slug, humanSize(limit))
	}
	space, err := s.uploadSpace(ctx, imp, size)
	if err != nil {
		return Preview{}, err
	}
	defer space.done()
	j := newJob("uploading", size)
	s.setJob(imp.ID, j)
	pv, err := s.receive(ctx, imp, j, body, name, limit, space)
	j.finish(err)
	return pv, err
}

func (s *Service) receive(ctx context.Context, imp *Import, j *job, body io.Reader, name string, limit int64, space *spaceWriter) (Preview, error) {
	dir := s.uploadDir(imp.Slug)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Preview{}, fmt.Errorf("upload: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "upload-*.part")
	if err != nil {
		return Preview{}, fmt.Errorf("upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	var to io.Writer = io.MultiWriter(tmp, h)
	var cw *chunkWriter // a team server's copy in the database
	if s.team() {
		if cw, err = s.beginUpload(ctx, imp.ID, name); err != nil {
			tmp.Close()
			return Preview{}, err
		}
		defer func() {
			if !cw.done {
				cw.discard() // cut short or refused
			}
		}()
		to = io.MultiWriter(tmp, h, cw)
	}
	n, err := io.Copy(countingWriter{w: space.wrap(to), n: &j.bytes}, io.LimitReader(body, limit+1))
	if err == nil && cw != nil && n <= limit {
		err = cw.flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if errs.Code(err) == errs.EUNAVAILABLE {
		return Preview{}, err // the pending-upload quota or the disk's free space
	}
	if err != nil {
		if ctx.Err() != nil {
			return Preview{}, errs.Invalid("upload interrupted: %v", ctx.Err())
		}
		return Preview{}, errs.Wrap(errs.EINVALID, err, "upload interrupted after %s", humanSize(n))
	}
	if n > limit {
		return Preview{}, errs.TooLarge("the file is larger than %s, the most importer %q accepts", humanSize(limit), imp.Template.Slug)
	}
	if n == 0 {
		return Preview{}, errs.Invalid("the file is empty")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	var complete func(ctx context.Context, tx *store.Tx) error
	if cw != nil {
		complete = func(ctx context.Context, tx *store.Tx) error { return cw.complete(ctx, tx, n, sum) }
	}
	pv, err := s.install(ctx, imp, tmp.Name(), name, n, sum, limit, complete)
	if err != nil {
		return Preview{}, err
	}
	if cw != nil {
		cw.done = true
	}
	return pv, nil
}

// install makes the received file at path (name, n bytes, sha256 sum)
// the import's file: it moves it to the import's original, previews it
// and, in one transaction with complete (the database's record of the
// upload, if any), stores it on the import and drops its staged rows.
func (s *Service) install(ctx context.Context, imp *Import, path, name string, n int64, sum string, limit int64,
	complete func(ctx context.Context, tx *store.Tx) error) (Preview, error) {
	dir := s.uploadDir(imp.Slug)
	final := filepath.Join(dir, "original."+fileExt(name))
	if s.team() {
		// named by its content: another replica fetching it from the
		// database never takes an older file of the import for it
		final = filepath.Join(dir, "original-"+sum[:16]+"."+fileExt(name))
	}
	// remove previous originals (another extension) before the rename
	if old, _ := filepath.Glob(filepath.Join(dir, "original.*")); len(old) > 0 {
		for _, o := range old {
			if o != final {
				os.Remove(o)
			}
		}
	}
	if err := os.Rename(path, final); err != nil {
		return Preview{}, fmt.Errorf("upload: %w", err)
	}
	imp.filePath, imp.FileName, imp.FileSize = final, name, n
	pv, err := s.preview(ctx, imp, FileOptions{}, limit)
	if err != nil {
		os.Remove(final)
		return Preview{}, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := clearStaged(ctx, tx, imp.ID); err != nil {
			return err
		}
		if complete != nil {
			if err := complete(ctx, tx); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `DELETE FROM importer_uploads WHERE import_id = ?`, imp.ID); err != nil {
			// a workstation: an upload in progress ends with this file
			return fmt.Errorf("upload: drop the upload in progress: %w", err)
		}
		det, _ := json.Marshal(pv.Detected)
		hdr, _ := json.Marshal(pv.Headers)
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET file_name = ?, file_path = ?, file_size = ?, file_sha256 = ?, file_options = '{}',
			detected = ?, header_row = ?, headers = ?, mapping = '', step = ?, status = ?, failure_reason = '', row_count = 0, max_row = 0,
			error_rows = 0, warning_rows = 0, file_issues = '[]', version = version + 1, updated_at = ? WHERE id = ?`,
			name, final, n, sum, string(det), pv.HeaderRow, string(hdr), StepUploaded, StatusCreated, nowString(), imp.ID)
		if err == nil {
			err = markReached(ctx, tx, imp.ID, ReachedUploaded)
		}
		if err != nil {
			return fmt.Errorf("upload: save import: %w", err)
		}
		return nil
	})
	if err != nil {
		return Preview{}, err
	}
	// what this process kept of an upload in progress the file replaced
	parts, _ := filepath.Glob(filepath.Join(dir, "resume-*.part"))
	for _, p := range parts {
		os.Remove(p)
	}
	s.dropUniq(imp.ID)
	return pv, nil
}

// clearStaged deletes the staged rows, issues and edits of an import.
func clearStaged(ctx context.Context, tx *store.Tx, id int64) error {
	if err := deleteRows(ctx, tx, id); err != nil {
		return fmt.Errorf("clear staged rows: %w", err)
	}
	for _, q := range []string{
		`DELETE FROM importer_cell_issues WHERE import_id = ?`,
		`DELETE FROM importer_edits WHERE import_id = ?`,
		`DELETE FROM importer_row_match WHERE import_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("clear staged rows: %w", err)
		}
	}
	return nil
}

// humanSize writes n in decimal units (1 MB = 1,000,000 bytes), as the
// embed's upload step does, so a limit reads the same in both places.
func humanSize(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1e9, "GB"}, {1e6, "MB"}, {1e3, "KB"}} {
		if n >= u.size {
			v := strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64)
			return strings.TrimSuffix(v, ".0") + " " + u.name
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

func ingestOptions(o FileOptions, limit int64) (ingest.Options, error) {
	opts := ingest.Options{Encoding: o.Encoding, Sheet: o.Sheet, MaxBytes: limit}
	switch o.Delimiter {
	case "":
	case ",", ";", "|":
		opts.Delimiter = rune(o.Delimiter[0])
	case "\t", "tab", "\\t", "TAB":
		opts.Delimiter = '\t'
	default:
		return opts, errs.Invalid("delimiter %q: use one of , ; | or tab", o.Delimiter)
	}
	return opts, nil
}

// openFile opens the import's stored original with its options.
func (s *Service) openFile(ctx context.Context, imp *Import, o FileOptions, limit int64) (*ingest.Reader, error) {
	if imp.filePath == "" {
		return nil, errs.Conflict("import %s has no file yet; upload one first", imp.Slug)
	}
	if err := s.localFile(ctx, imp); err != nil {
		return nil, err
	}
	opts, err := ingestOptions(o, limit)
	if err != nil {
		return nil, err
	}
	rd, err := ingest.OpenFile(imp.filePath, imp.FileName, opts)
	if err != nil {
		return nil, inputError(err)
	}
	return rd, nil
}

func (s *Service) preview(ctx context.Context, imp *Import, o FileOptions, limit int64) (Preview, error) {
	rd, err := s.openFile(ctx, imp, o, limit)
	if err != nil {
		return Preview{}, err
	}
	defer rd.Close()
	pv := Preview{Options: o, Rows: [][]string{}}
	// Rows that can be the header are kept whole (detection, header names);
	// the response shows at most PreviewCellBytes of a cell, and rows after
	// the header row only while PreviewBytes of text are not reached.
	whole := max(previewHeaderScan, o.HeaderRow)
	var rows [][]string
	var sizes []int // shown text per row
	shown := 0
	for len(rows) < PreviewRows {
		if len(rows) >= whole && shown > PreviewBytes {
			pv.More = true
			break
		}
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Preview{}, inputError(err)
		}
		n := 0
		for _, c := range row {
			n += min(len(c), PreviewCellBytes) + 4
		}
		shown += n
		sizes = append(sizes, n)
		if len(rows) < whole {
			rows = append(rows, slices.Clone(row))
		} else {
			rows = append(rows, truncateCells(row))
		}
	}
	if len(rows) == PreviewRows {
		if _, err := rd.Next(); err == nil {
			pv.More = true
		}
	}
	pv.Detected = rd.Detected()
	pv.DetectedHeaderRow = ingest.DetectHeaderRow(rows[:min(len(rows), previewHeaderScan)]) + 1
	pv.HeaderRow = pv.DetectedHeaderRow
	if o.HeaderRow > 0 {
		if o.HeaderRow > len(rows) {
			return Preview{}, errs.Invalid("header row %d is beyond the first %d rows of the file", o.HeaderRow, len(rows))
		}
		pv.HeaderRow = o.HeaderRow
	}
	pv.Headers = displayHeaders(rows[pv.HeaderRow-1])
	if err := ingest.CheckHeader(rows[pv.HeaderRow-1]); err != nil {
		pv.HeaderError = err.Error()
	}
	if pv.HeaderRow == len(rows) && !pv.More {
		return Preview{}, inputError(ingest.HeaderOnlyError(pv.HeaderRow))
	}
	for _, is := range rd.Issues() {
		if is.Row > pv.HeaderRow {
			pv.Issues = append(pv.Issues, is)
		}
	}
	shown = 0
	for i, row := range rows {
		if i >= pv.HeaderRow && shown+sizes[i] > PreviewBytes {
			pv.More = true
			break
		}
		shown += sizes[i]
		pv.Rows = append(pv.Rows, truncateCells(row))
	}
	return pv, nil
}

// truncateCells copies row with each cell cut to PreviewCellBytes (at a
// character boundary, marked with an ellipsis).
func truncateCells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		if len(c) > PreviewCellBytes {
			cut := PreviewCellBytes
			for cut > 0 && !utf8.RuneStart(c[cut]) {
				cut--
			}
			c = c[:cut] + "…"
		}
		out[i] = c
	}
	return out
}

// displayHeaders names blank header cells "Column C" (by letter) so they
// can still be mapped.
func displayHeaders(row []string) []string {
	out := make([]string, len(row))
	for i, h := range row {
		h = strings.TrimSpace(h)
		if h == "" {
			h = "Column " + ingest.ColumnLetter(i+1)
		}
		out[i] = h
	}
	return out
}

// GetPreview returns the preview of the import's file with its current
// options.
func (s *Service) GetPreview(ctx context.Context, slug string) (Preview, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Preview{}, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return Preview{}, err
	}
	return s.preview(ctx, imp, imp.FileOptions, sc.Def.Settings.MaxFileBytes())
}

// SetFileOptions re-parses the file with the given header row, sheet,
// encoding and delimiter overrides. Staged rows, if any, are dropped: the
// mapping must be confirmed again.
func (s *Service) SetFileOptions(ctx context.Context, slug string, o FileOptions) (Preview, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Preview{}, err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return Preview{}, err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil { // fresh, under the lock
		return Preview{}, err
	}
	if err := refuseCancelled(imp); err != nil {
		return Preview{}, err
	}
	if imp.Status != StatusCreated || imp.Step == StepCreated || imp.Step == StepSubmitting {
		return Preview{}, errs.Conflict("import %s cannot change its file options now (status %s, step %s)", slug, imp.Status, imp.Step)
	}
	if o.HeaderRow < 0 {
		return Preview{}, errs.Invalid("header_row must be 1 or more (0 = detect)")
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return Preview{}, err
	}
	pv, err := s.preview(ctx, imp, o, sc.Def.Settings.MaxFileBytes())
	if err != nil {
		return Preview{}, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := clearStaged(ctx, tx, imp.ID); err != nil {
			return err
		}
		fo, _ := json.Marshal(o)
		det, _ := json.Marshal(pv.Detected)
		hdr, _ := json.Marshal(pv.Headers)
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET file_options = ?, detected = ?, header_row = ?, headers = ?, mapping = '', step = ?,
			row_count = 0, max_row = 0, error_rows = 0, warning_rows = 0, version = version + 1, updated_at = ? WHERE id = ?`,
			string(fo), string(det), pv.HeaderRow, string(hdr), StepUploaded, nowString(), imp.ID)
		if err != nil {
			return fmt.Errorf("set file options: %w", err)
		}
		return nil
	})
	if err != nil {
		return Preview{}, err
	}
	s.dropUniq(imp.ID)
	return pv, nil
}
