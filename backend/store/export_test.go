package store

import "database/sql"

// LockPoolStats is the statistics of Lock's connection pool, for tests.
func LockPoolStats(db *DB) sql.DBStats { return db.locks.Stats() }

// SetWALSizes sets the -wal size from which a deferred-checkpoint lease's
// Committed checkpoints on the caller's goroutine, and the growth after
// which it has the checkpointer run.
func SetWALSizes(db *DB, capBytes, kickBytes int64) {
	db.ckpt.capBytes.Store(capBytes)
	db.ckpt.kickBytes.Store(kickBytes)
}

// Checkpoints is how many checkpoints the deferred-checkpoint machinery has
// run (the checkpointer's and Committed's own at the cap).
func Checkpoints(db *DB) int64 { return db.ckpt.runs.Load() }

// HoldCheckpoints keeps the checkpointer from starting a checkpoint until
// the returned function is called.
func HoldCheckpoints(db *DB) (let func()) {
	db.ckpt.run.Lock()
	return db.ckpt.run.Unlock
}
