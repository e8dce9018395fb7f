package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/ingest"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Import statuses (the imports API).
const (
	StatusCreated    = "created"
	StatusSubmitting = "submitting"
	StatusSubmitted  = "submitted"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
)

// Import steps (the embed flow).
const (
	StepCreated    = "created"    // no file yet
	StepUploaded   = "uploaded"   // file stored: preview, header, mapping
	StepStaging    = "staging"    // rows being parsed, validated, stored
	StepReview     = "review"     // rows staged: review, edit, submit
	StepSubmitting = "submitting" // records being written
	StepDone       = "done"       // submitted (or failed after submit)
)

// Template names the importer an import belongs to.
type Template struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Import is one import. Its JSON is the imports API shape (as Fuse):
// {slug, row_count, created_at, updated_at, status, template, metadata}
// plus failure_reason when it failed.
type Import struct {
	Slug          string         `json:"slug"`
	RowCount      int64          `json:"row_count"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Status        string         `json:"status"`
	Template      Template       `json:"template"`
	Metadata      map[string]any `json:"metadata"`
	FailureReason string         `json:"failure_reason,omitempty"`

	ID          int64             `json:"-"`
	ImporterID  int64             `json:"-"`
	SessionID   string            `json:"-"`
	UserID      string            `json:"-"`
	Step        string            `json:"-"`
	FileName    string            `json:"-"`
	FileSize    int64             `json:"-"`
	FileSHA256  string            `json:"-"`
	ErrorRows   int64             `json:"-"`
	WarningRows int64             `json:"-"`
	RecordCount int64             `json:"-"`
	Version     int64             `json:"-"`
	SubmittedAt time.Time         `json:"-"`
	CancelledAt time.Time         `json:"-"`
	HeaderRow   int               `json:"-"`
	Headers     []string          `json:"-"`
	Mapping     *schema.Mapping   `json:"-"`
	FileOptions FileOptions       `json:"-"`
	Detected    ingest.Detected   `json:"-"`
	FileIssues  []ingest.RowIssue `json:"-"`
	filePath    string
	maxRow      int64
	definition  string
	// matchDefault is the match status of the rows without a row in
	// importer_row_match ("": every row has one; match.go)
	matchDefault string
}

// FileOptions are the user's parse overrides for an uploaded file.
type FileOptions struct {
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	// HeaderRow is the 1-based row holding the headers; 0 = detected.
	HeaderRow int `json:"header_row,omitempty"`
}

// AccessibleBy reports whether actor may see and change the import: an
// admin always, a session only its own imports.
func (imp *Import) AccessibleBy(a Actor) bool {
	if a.Admin {
		return true
	}
	return a.SessionID != "" && a.SessionID == imp.SessionID
}

const importColumns = `i.id, i.slug, i.importer_id, im.slug, im.name, i.definition, i.session_id, i.user_id, i.metadata, i.status, i.step,
	i.failure_reason, i.file_name, i.file_path, i.file_size, i.file_sha256, i.file_options, i.detected, i.header_row, i.headers,
	i.mapping, i.file_issues, i.row_count, i.max_row, i.error_rows, i.warning_rows, i.record_count, i.version, i.created_at, i.updated_at, i.submitted_at, i.cancelled_at, i.match_default`

type scanner interface{ Scan(dest ...any) error }

func scanImport(sc scanner) (*Import, error) {
	var imp Import
	var md, fo, det, headers, mapping, issues, created, updated, submitted, cancelled string
	err := sc.Scan(&imp.ID, &imp.Slug, &imp.ImporterID, &imp.Template.Slug, &imp.Template.Name, &imp.definition, &imp.SessionID, &imp.UserID,
		&md, &imp.Status, &imp.Step, &imp.FailureReason, &imp.FileName, &imp.filePath, &imp.FileSize, &imp.FileSHA256, &fo, &det,
		&imp.HeaderRow, &headers, &mapping, &issues, &imp.RowCount, &imp.maxRow, &imp.ErrorRows, &imp.WarningRows, &imp.RecordCount,
		&imp.Version, &created, &updated, &submitted, &cancelled, &imp.matchDefault)
	if err != nil {
		return nil, err
	}
	imp.CreatedAt, imp.UpdatedAt, imp.SubmittedAt = parseTime(created), parseTime(updated), parseTime(submitted)
	if cancelled != "" {
		imp.CancelledAt = parseTime(cancelled)
	}
	imp.Metadata = map[string]any{}
	_ = json.Unmarshal([]byte(md), &imp.Metadata)
	_ = json.Unmarshal([]byte(fo), &imp.FileOptions)
	_ = json.Unmarshal([]byte(det), &imp.Detected)
	_ = json.Unmarshal([]byte(headers), &imp.Headers)
	_ = json.Unmarshal([]byte(issues), &imp.FileIssues)
	if mapping != "" {
		var m schema.Mapping
		if json.Unmarshal([]byte(mapping), &m) == nil {
			imp.Mapping = &m
		}
	}
	return &imp, nil
}

func (s *Service) loadImport(ctx context.Context, q queryer, slug string) (*Import, error) {
	row := q.QueryRowContext(ctx, `SELECT `+importColumns+` FROM importer_imports i JOIN importers im ON im.id = i.importer_id WHERE i.slug = ?`, slug)
	imp, err := scanImport(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("import %q not found", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("get import %s: %w", slug, err)
	}
	return imp, nil
}

// GetImport returns the import with slug.
func (s *Service) GetImport(ctx context.Context, slug string) (Import, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return Import{}, err
	}
	return *imp, nil
}

// ListFilter selects imports for ListImports. Page is 1-based (default 1),
// PerPage defaults to 25 (max 100). Metadata matches top-level metadata
// keys by their text value.
type ListFilter struct {
	Page         int
	PerPage      int
	Status       string
	ImporterSlug string
	// ImporterSlugs, when not empty, keeps the imports of these
	// importers only (the demo app lists its own importers' imports).
	ImporterSlugs []string
	SessionID     string
	Metadata      map[string]string
	// States, when not empty, keeps the imports in these console states
	// (see Import.State). Without it, ShowHidden decides whether
	// abandoned and cancelled imports are listed.
	States     []string
	ShowHidden bool
	// From and To, when set, keep the imports created in [From, To).
	From, To time.Time
	// Now is the time the abandoned threshold counts back from (zero:
	// the current time).
	Now time.Time
}

// ListImports returns a page of imports, newest first, and the total
// number matching the filter.
func (s *Service) ListImports(ctx context.Context, f ListFilter) ([]Import, int, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = 25
	}
	if f.PerPage > 100 {
		f.PerPage = 100
	}
	q := `SELECT ` + importColumns + ` FROM importer_imports i JOIN importers im ON im.id = i.importer_id WHERE 1=1`
	var args []any
	if f.Status != "" {
		q += ` AND i.status = ?`
		args = append(args, f.Status)
	}
	if f.ImporterSlug != "" {
		q += ` AND im.slug = ?`
		args = append(args, f.ImporterSlug)
	}
	if len(f.ImporterSlugs) > 0 {
		q += ` AND im.slug IN (?` + strings.Repeat(`, ?`, len(f.ImporterSlugs)-1) + `)`
		for _, slug := range f.ImporterSlugs {
			args = append(args, slug)
		}
	}
	if f.SessionID != "" {
		q += ` AND i.session_id = ?`
		args = append(args, f.SessionID)
	}
	if uid, ok := f.Metadata["user_id"]; ok {
		q += ` AND i.user_id = ?`
		args = append(args, uid)
	}
	sq, sargs, err := stateFilter(f)
	if err != nil {
		return nil, 0, err
	}
	q += sq
	args = append(args, sargs...)
	q += ` ORDER BY i.id DESC`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	out := []Import{}
	total := 0
	skip := (f.Page - 1) * f.PerPage
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list imports: %w", err)
		}
		if !metadataMatches(imp.Metadata, f.Metadata) {
			continue
		}
		total++
		if total > skip && len(out) < f.PerPage {
			out = append(out, *imp)
		}
	}
	return out, total, rows.Err()
}

func metadataMatches(md map[string]any, want map[string]string) bool {
	for k, v := range want {
		got, ok := md[k]
		if !ok {
			return false
		}
		var text string
		switch x := got.(type) {
		case string:
			text = x
		case nil:
			text = ""
		default:
			b, _ := json.Marshal(x)
			text = strings.Trim(string(b), `"`)
		}
		if text != v {
			return false
		}
	}
	return true
}

// CreateImport starts a new import of importerSlug for actor. A session
// actor can only create imports of its session's importer.
func (s *Service) CreateImport(ctx context.Context, actor Actor, importerSlug string) (Import, error) {
	return s.createImport(ctx, actor, importerSlug, nil)
}

// createImport is CreateImport that also runs also (when not nil) in the
// transaction that inserts the import, with its id.
func (s *Service) createImport(ctx context.Context, actor Actor, importerSlug string, also func(tx *store.Tx, id int64) error) (Import, error) {
	if importerSlug == "" {
		importerSlug = actor.ImporterSlug
	}
	if !actor.Admin && importerSlug != actor.ImporterSlug {
		return Import{}, errs.Forbidden("this session is for importer %q, not %q", actor.ImporterSlug, importerSlug)
	}
	if importerSlug == "" {
		return Import{}, errs.Invalid("importer slug is required")
	}
	md := actor.Metadata
	if md == nil {
		md = map[string]any{}
	}
	mdJSON, err := json.Marshal(md)
	if err != nil {
		return Import{}, errs.Invalid("metadata is not JSON-serializable: %v", err)
	}
	slug := ids.New("imp_")
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := s.checkSessionQuota(ctx, tx, actor); err != nil {
			return err
		}
		def, id, err := s.getImporter(ctx, tx, importerSlug)
		if err != nil {
			return err
		}
		def.CreatedAt, def.UpdatedAt = time.Time{}, time.Time{}
		body, err := json.Marshal(def)
		if err != nil {
			return fmt.Errorf("create import: %w", err)
		}
		now := nowString()
		var impID int64
		err = tx.QueryRowContext(ctx, `INSERT INTO importer_imports (slug, importer_id, definition, session_id, user_id, metadata, status, step, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, slug, id, string(body), actor.SessionID, userIDOf(md), string(mdJSON), StatusCreated, StepCreated, now, now).Scan(&impID)
		if err != nil {
			return fmt.Errorf("create import: %w", err)
		}
		if also != nil {
			return also(tx, impID)
		}
		return nil
	})
	if err != nil {
		return Import{}, err
	}
	return s.GetImport(ctx, slug)
}

// checkSessionQuota refuses a new import past MaxImportsPerSession for
// the actor's session (admins are not capped).
func (s *Service) checkSessionQuota(ctx context.Context, tx *store.Tx, actor Actor) error {
	limit := s.MaxImportsPerSession
	if actor.Admin || actor.SessionID == "" || limit <= 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM importer_imports WHERE session_id = ?`, actor.SessionID).Scan(&n); err != nil {
		return fmt.Errorf("create import: count the session's imports: %w", err)
	}
	if n >= limit {
		return errs.Limit("this session has started %d imports, the most one session may (limit: %d imports per session); start a new session", n, limit)
	}
	return nil
}

// Schema returns the compiled definition snapshot of an import.
func (s *Service) Schema(ctx context.Context, slug string) (*schema.Schema, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return nil, err
	}
	return s.schemaOf(imp)
}

// CustomFields names the kept unmapped columns of an import (under
// "custom" in its records) in file order; none unless its importer keeps
// unmapped columns (settings.unmapped_columns: keep).
func (s *Service) CustomFields(ctx context.Context, slug string) ([]string, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return nil, err
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return nil, err
	}
	if !sc.Def.Settings.KeepsUnmapped() || imp.Mapping == nil {
		return nil, nil
	}
	src, err := sc.Resolve(*imp.Mapping, imp.Headers)
	if err != nil {
		return nil, err
	}
	_, names := sc.CustomColumns(imp.Headers, src)
	return names, nil
}

func (s *Service) schemaOf(imp *Import) (*schema.Schema, error) {
	s.mu.Lock()
	sc := s.schemas[imp.ID]
	s.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	var def schema.Importer
	if err := json.Unmarshal([]byte(imp.definition), &def); err != nil {
		return nil, fmt.Errorf("import %s: decode definition: %w", imp.Slug, err)
	}
	sc, err := schema.Compile(&def)
	if err != nil {
		return nil, fmt.Errorf("import %s: definition snapshot: %w", imp.Slug, err)
	}
	s.mu.Lock()
	if len(s.schemas) > 64 {
		clear(s.schemas)
	}
	s.schemas[imp.ID] = sc
	s.mu.Unlock()
	return sc, nil
}

// DeleteImport deletes an import, its staged rows, edits, records,
// validation answers and uploaded file: every row that names it
// (TestDeleteImportLeavesNoRowNamingIt).
func (s *Service) DeleteImport(ctx context.Context, slug string) error {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return err
	}
	defer unlock()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := deleteRows(ctx, tx, imp.ID); err != nil {
			return fmt.Errorf("delete import %s: %w", slug, err)
		}
		for _, q := range []string{
			`DELETE FROM importer_cell_issues WHERE import_id = ?`,
			`DELETE FROM importer_edits WHERE import_id = ?`,
			`DELETE FROM importer_row_match WHERE import_id = ?`,
			`DELETE FROM importer_records WHERE import_id = ?`,
			`DELETE FROM importer_jobs WHERE import_id = ?`,
			`DELETE FROM importer_progress WHERE import_id = ?`,
			`DELETE FROM importer_callback_cache WHERE import_id = ?`,
			`DELETE FROM importer_callback_clean WHERE import_id = ?`,
			`DELETE FROM importer_callback_state WHERE import_id = ?`,
			`DELETE FROM importer_imports WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, imp.ID); err != nil {
				return fmt.Errorf("delete import %s: %w", slug, err)
			}
		}
		return deleteStoredFile(ctx, tx, imp.ID)
	})
	if err != nil {
		return err
	}
	s.forget(imp.ID)
	if err := os.RemoveAll(s.uploadDir(imp.Slug)); err != nil {
		s.log.Warn("remove upload", "import", imp.Slug, "err", err)
	}
	return nil
}

func (s *Service) forget(id int64) {
	s.mu.Lock()
	delete(s.schemas, id)
	delete(s.uniq, id)
	delete(s.jobs, id)
	s.mu.Unlock()
}

// running reports whether a step of the import runs in this process.
func (s *Service) running(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	return j != nil && !j.done.Load()
}

// recoverInterrupted repairs an import whose staging or submit was cut
// short by a stopped process (call it under the import's lock): staging
// goes back to the mapping step, a submit goes back to review as failed.
func (s *Service) recoverInterrupted(ctx context.Context, imp *Import) (*Import, error) {
	if (imp.Step != StepStaging && imp.Step != StepSubmitting) || s.running(imp.ID) {
		return imp, nil
	}
	if j, err := s.loadJobRow(ctx, imp.ID); err != nil {
		return nil, err
	} else if j != nil {
		return imp, nil // a durable job: running elsewhere, or resumed by Recover
	}
	const reason = "interrupted: the server stopped while this step ran; run it again"
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if imp.Step == StepStaging {
			if err := clearStaged(ctx, tx, imp.ID); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET step = ?, failure_reason = ?, row_count = 0, max_row = 0, error_rows = 0,
				warning_rows = 0, version = version + 1, updated_at = ? WHERE id = ?`, StepUploaded, reason, nowString(), imp.ID)
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_records WHERE import_id = ?`, imp.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = ?, step = ?, failure_reason = ?, record_count = 0, updated_at = ? WHERE id = ?`,
			StatusFailed, StepReview, reason, nowString(), imp.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recover import %s: %w", imp.Slug, err)
	}
	s.dropUniq(imp.ID)
	return s.loadImport(ctx, s.db.Read, imp.Slug)
}
