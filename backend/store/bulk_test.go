package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTx writes about pages 4 KiB pages in one transaction.
func writeTx(t *testing.T, db *DB, pages int) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *Tx) error {
		for i := 0; i < pages; i++ {
			if _, err := tx.Exec(`INSERT INTO bulk_t (v) VALUES (?)`, strings.Repeat("x", 3900)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// During a bulk load the writer does not checkpoint at each commit (the
// WAL grows instead); when the last bulk load ends, one checkpoint runs in
// the background and checkpoints at commit resume.
func TestBulkLoadDefersCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fusebox.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`CREATE TABLE bulk_t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	// normal mode: each 1,500-page commit is checkpointed and the next
	// transaction starts the WAL again, so it stays about one commit long
	for i := 0; i < 3; i++ {
		writeTx(t, db, 1500)
	}
	if n := walSize(t, path); n > 2500*4096 {
		t.Fatalf("without a bulk load the WAL is %d bytes; want about one commit (checkpoints at commit)", n)
	}
	end := db.BeginBulkLoad(ctx)
	end2 := db.BeginBulkLoad(ctx) // a second load at the same time
	for i := 0; i < 3; i++ {
		writeTx(t, db, 1500)
	}
	end2()
	writeTx(t, db, 1500) // the first load still runs
	if n := walSize(t, path); n < 5500*4096 {
		t.Fatalf("during a bulk load the WAL is %d bytes; want the four commits in it (no checkpoint at commit)", n)
	}
	end()
	db.waitBackground()
	var auto int
	if err := db.Write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 1000 {
		t.Fatalf("after the bulk load wal_autocheckpoint = %d (%v), want 1000", auto, err)
	}
	var busy, log, done int
	if err := db.Write.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		t.Fatal(err)
	}
	if log != done {
		t.Fatalf("after the bulk load %d of %d WAL frames are checkpointed", done, log)
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM bulk_t`).Scan(&n); err != nil || n != 7*1500 {
		t.Fatalf("rows %d (%v)", n, err)
	}
}
