package store

import (
	"context"
	"log/slog"
	"strconv"
)

// walAutoCheckpoint is SQLite's default: the writer checkpoints the WAL
// at the commit that takes it past this many pages.
const walAutoCheckpoint = 1000

// BeginBulkLoad tells the writer that a bulk load (staging a large file)
// starts: until the last running bulk load ends, commits do not
// checkpoint the WAL (durability is the same: commits are in the WAL; the
// WAL grows instead of the pages being copied into the database file
// several times while the load runs). The returned end, called once when
// the load is done, runs one checkpoint in the background after the last
// load and restores checkpoints at commit. Close waits for it.
func (db *DB) BeginBulkLoad(ctx context.Context) (end func()) {
	if db.engine == Postgres {
		return func() {} // no WAL checkpoints to hold back
	}
	db.bulkMu.Lock()
	db.bulkLoads++
	if db.bulkLoads == 1 {
		if _, err := db.Write.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
			slog.Warn("bulk load: keep checkpointing at commit", "err", err)
		}
	}
	db.bulkMu.Unlock()
	ended := false
	return func() {
		db.bulkMu.Lock()
		defer db.bulkMu.Unlock()
		if ended {
			return
		}
		ended = true
		db.bulkLoads--
		if db.bulkLoads > 0 {
			return
		}
		db.background.Add(1)
		go func() {
			defer db.background.Done()
			ctx := context.WithoutCancel(ctx)
			// PASSIVE: readers and the next writer are not waited for
			if _, err := db.Write.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				slog.Warn("checkpoint after bulk load", "err", err)
			}
			db.bulkMu.Lock()
			defer db.bulkMu.Unlock()
			if db.bulkLoads == 0 { // no load started meanwhile
				if _, err := db.Write.ExecContext(ctx, `PRAGMA wal_autocheckpoint = `+strconv.Itoa(walAutoCheckpoint)); err != nil {
					slog.Warn("restore checkpoints at commit", "err", err)
				}
			}
		}()
	}
}

// waitBackground waits for the checkpoints started by ended bulk loads.
func (db *DB) waitBackground() { db.background.Wait() }
