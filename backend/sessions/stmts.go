package sessions

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Hot statements are prepared once: the key lookup of every API request,
// the session lookup of every token verification and the session insert.
// database/sql keeps one prepared copy per pooled connection, so SQLite
// parses each of them once per connection instead of once per request.
type statements struct {
	once          sync.Once
	err           error
	keyByHash     *sql.Stmt
	sessionByID   *sql.Stmt
	insertSession *sql.Stmt
}

const insertSessionSQL = `INSERT INTO importer_sessions (id, importer_slug, metadata, key_id, origin, created_at, expires_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)`

func (s *Service) stmts(ctx context.Context) (*statements, error) {
	st := &s.prepared
	st.once.Do(func() {
		ctx := context.WithoutCancel(ctx)
		prep := func(db *sql.DB, q string) *sql.Stmt {
			if st.err != nil {
				return nil
			}
			p, err := db.PrepareContext(ctx, q)
			if err != nil {
				st.err = fmt.Errorf("prepare %q: %w", q, err)
			}
			return p
		}
		st.keyByHash = prep(s.db.Read, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`)
		st.sessionByID = prep(s.db.Read, `SELECT `+sessionColumns+` FROM importer_sessions WHERE id = ?`)
		st.insertSession = prep(s.db.Write, insertSessionSQL)
	})
	return st, st.err
}
