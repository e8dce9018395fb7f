package httpapi

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// teamServer reports whether db is the shared database of a team server
// (PostgreSQL), whose replicas must share what a single process keeps in
// memory: console logins, rate limits, the sink's requests.
func teamServer(db *store.DB) bool { return db != nil && db.Engine() == store.Postgres }

// touchEvery bounds how often a shared console session's last use is
// written (every request would be a write on every replica).
const touchEvery = time.Minute

// sharedLogins keeps console login codes and sessions in the database
// (console_login_codes, console_sessions), by SHA-256 hash only.
type sharedLogins struct{ db *store.DB }

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (sl *sharedLogins) addCode(ctx context.Context, code string, now time.Time) error {
	return sl.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_login_codes WHERE code_hash IN
			(SELECT code_hash FROM console_login_codes ORDER BY created_at DESC, code_hash OFFSET ?)`, maxLoginCodes-1); err != nil {
			return fmt.Errorf("drop old console login codes: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_login_codes (code_hash, created_at) VALUES (?, ?)`, hashSecret(code), store.FormatTime(now)); err != nil {
			return fmt.Errorf("store console login code: %w", err)
		}
		return nil
	})
}

// exchange spends a code (once, whichever replica it reaches) or accepts
// the admin token, and stores a new session.
func (sl *sharedLogins) exchange(ctx context.Context, l *logins, code string) (string, bool, error) {
	if code == "" {
		return "", false, nil
	}
	sid := ids.New("")
	ok := false
	err := sl.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM console_login_codes WHERE code_hash = ?`, hashSecret(code))
		if err != nil {
			return fmt.Errorf("spend console login code: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("spend console login code: %w", err)
		}
		if n == 0 && !l.validToken(code) {
			return nil
		}
		now := l.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE last_used_at < ? OR created_at < ?`,
			store.FormatTime(now.Add(-l.idle-touchEvery)), store.FormatTime(now.Add(-l.maxAge))); err != nil {
			return fmt.Errorf("delete expired console sessions: %w", err)
		}
		// Over the cap, the least recently used sessions end.
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash IN
			(SELECT id_hash FROM console_sessions ORDER BY last_used_at DESC, id_hash OFFSET ?)`, l.maxSessions-1); err != nil {
			return fmt.Errorf("end the least recently used console sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, created_at, last_used_at) VALUES (?, ?, ?)`,
			hashSecret(sid), store.FormatTime(now), store.FormatTime(now)); err != nil {
			return fmt.Errorf("store console session: %w", err)
		}
		ok = true
		return nil
	})
	if err != nil || !ok {
		return "", false, err
	}
	return sid, true, nil
}

// valid reports whether sid is a live session; its last use is written
// at most every touchEvery. An expired session is deleted.
func (sl *sharedLogins) valid(ctx context.Context, l *logins, sid string) (bool, error) {
	h := hashSecret(sid)
	var created, lastUsed string
	err := sl.db.Read.QueryRowContext(ctx, `SELECT created_at, last_used_at FROM console_sessions WHERE id_hash = ?`, h).Scan(&created, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read console session: %w", err)
	}
	cs := &consoleSession{}
	if cs.created, err = store.ParseTime(created); err != nil {
		return false, fmt.Errorf("read console session: %w", err)
	}
	if cs.lastUsed, err = store.ParseTime(lastUsed); err != nil {
		return false, fmt.Errorf("read console session: %w", err)
	}
	now := l.now()
	if l.expired(cs, now) {
		return false, sl.end(ctx, sid)
	}
	if now.Sub(cs.lastUsed) >= touchEvery {
		if _, err := sl.db.Write.ExecContext(ctx, `UPDATE console_sessions SET last_used_at = ? WHERE id_hash = ? AND last_used_at < ?`,
			store.FormatTime(now), h, store.FormatTime(now)); err != nil {
			return false, fmt.Errorf("mark console session used: %w", err)
		}
	}
	return true, nil
}

func (sl *sharedLogins) end(ctx context.Context, sid string) error {
	if _, err := sl.db.Write.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = ?`, hashSecret(sid)); err != nil {
		return fmt.Errorf("end console session: %w", err)
	}
	return nil
}
