package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/hooks"
	"fusebox/backend/schema"
	"fusebox/backend/store"
)

// Service is the importer engine over the database: importer definitions,
// imports and their staged rows, review edits, submission and records.
type Service struct {
	db      *store.DB
	dataDir string
	log     *slog.Logger

	hookMu   sync.RWMutex
	onSubmit []SubmitHook
	onStatus []StatusHook

	mu      sync.Mutex
	locks   map[int64]*importLock    // per-import mutation lock
	schemas map[int64]*schema.Schema // compiled snapshot per import
	jobs    map[int64]*job           // running or last finished job per import
	uniq    map[int64]*uniqIndex     // uniqueness index per import (built lazily)
	views   map[viewKey][]int64      // search/sort results by import version
	cbRuns  cbRegistry               // validation endpoint runs going (callbacks.go)
	parked  parkedFiles              // readers kept from the mapping step's scan (resume.go)

	fixSlots chan struct{} // fix files being received and read (MaxFixFilesAtOnce)

	// staging's match look-up (match_lookup.go): the path (zero: chosen
	// per key range) and the keys a range (zero: matchRangeKeys); tests
	// set them
	matchLookup    matchLookupPath
	matchRangeKeys int

	// BatchRows is how many rows the parser hands the writer at a time and
	// TxRows how many rows one staging transaction writes (default 8,000:
	// a transaction's new pages then fit SQLite's page cache, which
	// otherwise spills them to the WAL and writes them again).
	BatchRows int
	TxRows    int
	// SubmitTxRows is how many records one submit transaction writes
	// (with the job's progress; default 10,000).
	SubmitTxRows int
	// Callbacks calls importers' validation endpoints (hooks.validate);
	// nil: such importers' rows stay unchecked and submit is blocked.
	Callbacks *hooks.Caller
	// MaxImportsPerSession caps the imports one session token may start
	// (default DefaultMaxImportsPerSession; admins are not capped).
	MaxImportsPerSession int
	// MaxPendingUploadBytes caps the bytes held, data-dir-wide, by the
	// uploaded files of imports not yet submitted, whoever uploaded them
	// (default DefaultMaxPendingUploadBytes, $FUSEBOX_MAX_PENDING_UPLOAD_BYTES).
	MaxPendingUploadBytes int64
	// MinFreeDiskBytes is the free space the data dir's filesystem must
	// keep: uploads that would leave less are refused (default
	// DefaultMinFreeDiskBytes, $FUSEBOX_MIN_FREE_DISK_BYTES; checked on
	// unix systems).
	MinFreeDiskBytes int64

	inflight atomic.Int64 // bytes of uploads being received, not yet recorded

	owner   string          // this process in importer_jobs.owner (pid:token, on PostgreSQL pid:token@host)
	host    string          // on PostgreSQL: this machine's name in owner
	jobsCtx context.Context // background jobs run under it (RunJobs sets it)
	jobsWG  sync.WaitGroup  // background jobs running

	// FollowFallback is how often a progress follower (Follow) looks
	// again without being woken (default DefaultFollowFallback).
	FollowFallback time.Duration
	hub            progressHub // wakes the followers of import progress (follow.go)

	afterBatch    func(records int64)  // tests: called after each committed batch of a submit
	afterProgress func(p Progress)     // tests: called after each progress stored for other replicas
	afterStaged   func(st stagedSoFar) // tests: called after each committed transaction of staged rows
}

// DefaultMaxImportsPerSession is how many imports one importer session
// may start.
const DefaultMaxImportsPerSession = 100

// Upload space limits (docs/security.md: Limits).
const (
	DefaultMaxPendingUploadBytes int64 = 2_000_000_000
	DefaultMinFreeDiskBytes      int64 = 1_000_000_000
)

// SubmitHook runs inside the transaction that completes an import (status
// -> completed). Returning an error rolls that transaction back and marks
// the import failed with the error as reason. The relay registers one to
// enqueue deliveries atomically with the completion.
type SubmitHook func(ctx context.Context, tx *store.Tx, imp Import) error

// StatusHook is told that a submit moved an import to status (submitted,
// completed or failed), after that change commits. imp is the import as
// stored then. It runs on the submitting request's goroutine, with a
// context that is not cancelled with the request; it cannot undo the
// change, so it handles its own errors.
type StatusHook func(ctx context.Context, imp Import, status string)

type importLock struct {
	mu   sync.Mutex
	refs int
}

// Actor is who calls an importer route: an end user's session (SessionID,
// ImporterSlug, Metadata from the session) or an admin (console, "try
// this importer").
type Actor struct {
	SessionID    string
	ImporterSlug string
	Metadata     map[string]any
	Admin        bool
}

// UserID returns the actor's end-user id (metadata user_id), "" if none.
func (a Actor) UserID() string { return userIDOf(a.Metadata) }

func userIDOf(md map[string]any) string {
	v, ok := md["user_id"]
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprintf("%v", x)
	default:
		return fmt.Sprint(x)
	}
}

// New builds the service. dataDir holds uploads under dataDir/uploads.
func New(db *store.DB, dataDir string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{
		db: db, dataDir: dataDir, log: log, fixSlots: make(chan struct{}, MaxFixFilesAtOnce),
		locks: map[int64]*importLock{}, schemas: map[int64]*schema.Schema{}, jobs: map[int64]*job{}, uniq: map[int64]*uniqIndex{},
		BatchRows: 250, TxRows: 8_000, SubmitTxRows: 10_000, MaxImportsPerSession: DefaultMaxImportsPerSession,
		MaxPendingUploadBytes: DefaultMaxPendingUploadBytes, MinFreeDiskBytes: DefaultMinFreeDiskBytes,
	}
	if db.Engine() == store.Postgres {
		// replicas on several machines share the jobs table
		s.host, _ = os.Hostname()
		if s.host == "" {
			s.host = "unknown"
		}
	}
	s.owner = newOwner(s.host)
	s.spaceLimitsFromEnv()
	return s
}

// OnSubmit registers fn to run inside the transaction that completes an
// import, after its records are stored. Hooks run in registration order;
// register them while wiring, before the server starts.
func (s *Service) OnSubmit(fn SubmitHook) {
	s.hookMu.Lock()
	s.onSubmit = append(s.onSubmit, fn)
	s.hookMu.Unlock()
}

// OnStatus registers fn to be told of submit status changes (submitted,
// completed, failed) after they commit. Register while wiring.
func (s *Service) OnStatus(fn StatusHook) {
	s.hookMu.Lock()
	s.onStatus = append(s.onStatus, fn)
	s.hookMu.Unlock()
}

// statusChanged tells the status hooks that import slug is now status,
// when the stored import says so (a failed write to mark it is not
// reported).
func (s *Service) statusChanged(ctx context.Context, slug, status string) {
	s.hookMu.RLock()
	hooks := append([]StatusHook(nil), s.onStatus...)
	s.hookMu.RUnlock()
	if len(hooks) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		s.log.Error("status hooks: load import", "import", slug, "err", err)
		return
	}
	if imp.Status != status {
		return
	}
	for _, h := range hooks {
		h(ctx, *imp, status)
	}
}

// lock serializes mutations of one import (staging, edits, submit): in
// this process, then, on a team server, across the replicas (the
// database's lock on the import; see store.DB.Lock).
func (s *Service) lock(ctx context.Context, id int64) (func(), error) {
	s.mu.Lock()
	l := s.locks[id]
	if l == nil {
		l = &importLock{}
		s.locks[id] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	release := func() {
		l.mu.Unlock()
		s.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(s.locks, id)
		}
		s.mu.Unlock()
	}
	dbUnlock, err := s.db.Lock(ctx, store.LockImport, id)
	if err != nil {
		release()
		return nil, fmt.Errorf("lock import %d: %w", id, err)
	}
	return func() {
		dbUnlock()
		release()
	}, nil
}

func (s *Service) uploadDir(importSlug string) string {
	return filepath.Join(s.dataDir, "uploads", importSlug)
}

func nowString() string { return store.Now() }

func parseTime(s string) time.Time {
	t, err := store.ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// ---- importer definitions ----

// ListImporters returns every importer, by slug.
func (s *Service) ListImporters(ctx context.Context) ([]schema.Importer, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT definition, created_at, updated_at FROM importers ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list importers: %w", err)
	}
	defer rows.Close()
	out := []schema.Importer{}
	for rows.Next() {
		var def, c, u string
		if err := rows.Scan(&def, &c, &u); err != nil {
			return nil, fmt.Errorf("list importers: %w", err)
		}
		var imp schema.Importer
		if err := json.Unmarshal([]byte(def), &imp); err != nil {
			return nil, fmt.Errorf("list importers: decode definition: %w", err)
		}
		imp.CreatedAt, imp.UpdatedAt = parseTime(c), parseTime(u)
		out = append(out, imp)
	}
	return out, rows.Err()
}

// GetImporter returns the importer with slug.
func (s *Service) GetImporter(ctx context.Context, slug string) (*schema.Importer, error) {
	imp, _, err := s.getImporter(ctx, s.db.Read, slug)
	return imp, err
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Service) getImporter(ctx context.Context, q queryer, slug string) (*schema.Importer, int64, error) {
	var id int64
	var def, c, u string
	err := q.QueryRowContext(ctx, `SELECT id, definition, created_at, updated_at FROM importers WHERE slug = ?`, slug).Scan(&id, &def, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, errs.NotFound("importer %q not found", slug)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get importer %s: %w", slug, err)
	}
	var imp schema.Importer
	if err := json.Unmarshal([]byte(def), &imp); err != nil {
		return nil, 0, fmt.Errorf("get importer %s: decode definition: %w", slug, err)
	}
	imp.CreatedAt, imp.UpdatedAt = parseTime(c), parseTime(u)
	return &imp, id, nil
}

// SaveImporter validates imp and creates or replaces the importer with its
// slug. It returns "created", "updated" or "unchanged".
func (s *Service) SaveImporter(ctx context.Context, imp *schema.Importer) (string, error) {
	if _, err := schema.Compile(imp); err != nil {
		return "", err
	}
	var action string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		action, err = s.saveImporterTx(ctx, tx, imp)
		return err
	})
	return action, err
}

func (s *Service) saveImporterTx(ctx context.Context, tx *store.Tx, imp *schema.Importer) (string, error) {
	def := *imp
	def.CreatedAt, def.UpdatedAt = time.Time{}, time.Time{}
	body, err := json.Marshal(def)
	if err != nil {
		return "", fmt.Errorf("save importer %s: %w", imp.Slug, err)
	}
	now := nowString()
	var old string
	err = tx.QueryRowContext(ctx, `SELECT definition FROM importers WHERE slug = ?`, imp.Slug).Scan(&old)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO importers (slug, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			imp.Slug, imp.Name, string(body), now, now); err != nil {
			return "", fmt.Errorf("create importer %s: %w", imp.Slug, err)
		}
		return "created", nil
	case err != nil:
		return "", fmt.Errorf("save importer %s: %w", imp.Slug, err)
	}
	if old == string(body) {
		return "unchanged", nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE importers SET name = ?, definition = ?, updated_at = ? WHERE slug = ?`,
		imp.Name, string(body), now, imp.Slug); err != nil {
		return "", fmt.Errorf("update importer %s: %w", imp.Slug, err)
	}
	// Origins now allowed are no longer "recently refused".
	if err := forgetAllowedTx(ctx, tx, imp.Slug, imp.Settings.AllowedOrigins); err != nil {
		return "", err
	}
	return "updated", nil
}

// CreateImporter creates a new importer; ECONFLICT if the slug is taken.
func (s *Service) CreateImporter(ctx context.Context, imp *schema.Importer) error {
	if _, err := schema.Compile(imp); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM importers WHERE slug = ?`, imp.Slug).Scan(&n); err != nil {
			return fmt.Errorf("create importer: %w", err)
		}
		if n > 0 {
			return errs.Conflict("an importer with slug %q already exists", imp.Slug)
		}
		_, err := s.saveImporterTx(ctx, tx, imp)
		return err
	})
}

// DeleteImporter deletes an importer with its imports, staged rows and records.
func (s *Service) DeleteImporter(ctx context.Context, slug string) error {
	_, id, err := s.getImporter(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT slug FROM importer_imports WHERE importer_id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete importer %s: %w", slug, err)
	}
	var slugs []string
	for rows.Next() {
		var is string
		if err := rows.Scan(&is); err != nil {
			rows.Close()
			return fmt.Errorf("delete importer %s: %w", slug, err)
		}
		slugs = append(slugs, is)
	}
	rows.Close()
	for _, is := range slugs {
		if err := s.DeleteImport(ctx, is); err != nil && !errs.Is(err, errs.ENOTFOUND) {
			return err
		}
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM importers WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete importer %s: %w", slug, err)
		}
		return nil
	})
}

// CountImporters is a dashboard figure.
func (s *Service) CountImporters(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importers`).Scan(&n)
	return n, err
}

// CountImports is a dashboard figure.
func (s *Service) CountImports(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM importer_imports`).Scan(&n)
	return n, err
}
