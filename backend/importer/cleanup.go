package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Abandoned-import clean-up: imports still "created" (never submitted)
// and untouched for longer than the configured age are deleted with
// their upload files by a background worker.
const (
	// DefaultCleanupAge is how long an unsubmitted import is kept.
	DefaultCleanupAge = 7 * 24 * time.Hour
	// MinCleanupAge is the shortest age the setting accepts.
	MinCleanupAge = time.Hour
	// CleanupInterval is how often the worker runs.
	CleanupInterval = time.Hour

	keyCleanupAge  = "importer.cleanup_age"
	keyCleanupLast = "importer.cleanup_last"
)

// CleanupRun is the result of one clean-up.
type CleanupRun struct {
	At      time.Time `json:"at"`
	Deleted int       `json:"deleted"`
	Error   string    `json:"error,omitempty"`
}

// CleanupSettings is the clean-up setting and the last run, for the console.
type CleanupSettings struct {
	// MaxAge is the age (a Go duration, e.g. "168h") past which an
	// unsubmitted import is deleted.
	MaxAge  string      `json:"max_age"`
	LastRun *CleanupRun `json:"last_run,omitempty"`
}

// CleanupSettings returns the clean-up age and the last run.
func (s *Service) CleanupSettings(ctx context.Context) (CleanupSettings, error) {
	age, err := s.cleanupAge(ctx)
	if err != nil {
		return CleanupSettings{}, err
	}
	out := CleanupSettings{MaxAge: age.String()}
	var last string
	err = s.db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, keyCleanupLast).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return CleanupSettings{}, fmt.Errorf("read clean-up settings: %w", err)
	default:
		var run CleanupRun
		if json.Unmarshal([]byte(last), &run) == nil {
			out.LastRun = &run
		}
	}
	return out, nil
}

// SetCleanupAge sets the age past which unsubmitted imports are deleted.
func (s *Service) SetCleanupAge(ctx context.Context, maxAge string) (CleanupSettings, error) {
	d, err := time.ParseDuration(maxAge)
	if err != nil || d < MinCleanupAge {
		return CleanupSettings{}, errs.Invalid("max_age %q: want a duration of at least %s, such as \"168h\" (default %s)", maxAge, MinCleanupAge, DefaultCleanupAge)
	}
	if err := s.putSetting(ctx, keyCleanupAge, d.String()); err != nil {
		return CleanupSettings{}, err
	}
	return s.CleanupSettings(ctx)
}

func (s *Service) cleanupAge(ctx context.Context) (time.Duration, error) {
	var v string
	err := s.db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, keyCleanupAge).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultCleanupAge, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read clean-up age: %w", err)
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < MinCleanupAge {
		return DefaultCleanupAge, nil
	}
	return d, nil
}

func (s *Service) putSetting(ctx context.Context, key, value string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, nowString())
		if err != nil {
			return fmt.Errorf("save setting %s: %w", key, err)
		}
		return nil
	})
}

// CleanupAbandoned removes partial uploads older than a day and deletes,
// with their upload files, the imports still
// "created" whose last change is older than the configured age, and
// records the run for the console.
func (s *Service) CleanupAbandoned(ctx context.Context, now time.Time) (CleanupRun, error) {
	run := CleanupRun{At: now.UTC()}
	s.removeStalePartFiles()
	if err := s.removeStaleUploads(ctx, now); err != nil {
		s.log.Warn("clean up partial uploads", "err", err)
	}
	deleted, err := s.cleanup(ctx, now)
	run.Deleted = deleted
	if err != nil {
		run.Error = err.Error()
	}
	b, _ := json.Marshal(run)
	if perr := s.putSetting(ctx, keyCleanupLast, string(b)); perr != nil && err == nil {
		err = perr
	}
	return run, err
}

func (s *Service) cleanup(ctx context.Context, now time.Time) (int, error) {
	age, err := s.cleanupAge(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := store.FormatTime(now.Add(-age))
	rows, err := s.db.Read.QueryContext(ctx, `SELECT slug FROM importer_imports WHERE status = ? AND updated_at < ? ORDER BY id LIMIT 10000`, StatusCreated, cutoff)
	if err != nil {
		return 0, fmt.Errorf("find abandoned imports: %w", err)
	}
	var slugs []string
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find abandoned imports: %w", err)
		}
		slugs = append(slugs, slug)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find abandoned imports: %w", err)
	}
	n := 0
	for _, slug := range slugs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := s.DeleteImport(ctx, slug); err != nil && !errs.Is(err, errs.ENOTFOUND) {
			return n, fmt.Errorf("delete abandoned import %s: %w", slug, err)
		}
		n++
	}
	if n > 0 {
		s.log.Info("abandoned imports deleted", "count", n, "older_than", age.String())
	}
	return n, nil
}

// RunCleanup deletes abandoned imports now and every CleanupInterval
// until ctx ends (a server background worker).
func (s *Service) RunCleanup(ctx context.Context) {
	t := time.NewTicker(CleanupInterval)
	defer t.Stop()
	for {
		if _, err := s.CleanupAbandoned(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("clean up abandoned imports", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
