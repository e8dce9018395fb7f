package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"
)

// Lock spaces: the first key of PostgreSQL's two-key advisory locks, so
// locks of different kinds on the same id do not meet.
const (
	// LockImport is an import's mutation lock (importer: staging, edits,
	// submit, upload).
	LockImport int32 = 0x66627869 // "fbxi"
)

// DefaultLockConns is how many connections Lock holds at most at once on
// PostgreSQL, one per held lock, unless SetMaxLockConns says otherwise.
// Past it a Lock waits for a held lock to be released, so the locks of
// many imports changed at once never take more of the server's
// max_connections.
const DefaultLockConns = 16

// SetMaxLockConns caps the connections Lock holds at once at n (n >= 1).
// On SQLite, which needs none, it does nothing.
func (db *DB) SetMaxLockConns(n int) {
	if db.locks != nil {
		db.locks.SetMaxOpenConns(n)
	}
}

// Lock takes the lock (space, id) shared by every replica on the
// database and holds it until the returned function is called. On
// PostgreSQL it is a session advisory lock on a connection of its own
// (from a pool apart from the writer's, so a replica holding many locks
// still has connections to write with, capped by SetMaxLockConns); waiting
// for a connection or the lock ends with ctx. On SQLite
// the database belongs to one process, whose own locks suffice: it
// returns at once.
func (db *DB) Lock(ctx context.Context, space int32, id int64) (unlock func(), err error) {
	if db.engine != Postgres {
		return func() {}, nil
	}
	conn, err := db.locks.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("lock %d/%d: waited for a connection while all %d lock connections were held by other locks: %w",
				space, id, db.locks.Stats().MaxOpenConnections, err)
		}
		return nil, fmt.Errorf("lock %d/%d: %w", space, id, err)
	}
	// The second key is 32 bits: ids past 2^31 share locks with smaller
	// ones, which only serializes more.
	key := int32(uint32(id))
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?, ?)`, space, key); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn }) // a lock being taken may be held: drop the session
		conn.Close()
		return nil, fmt.Errorf("lock %d/%d: %w", space, id, err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var ok bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock(?, ?)`, space, key).Scan(&ok); err != nil || !ok {
			// Unsure the lock is gone: end the session, which ends it.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
