package store

import "database/sql"

// LockPoolStats is the statistics of Lock's connection pool, for tests.
func LockPoolStats(db *DB) sql.DBStats { return db.locks.Stats() }
