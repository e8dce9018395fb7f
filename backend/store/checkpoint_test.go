package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"fusebox/backend/store"
)

// autocheckpoint is the writer connection's wal_autocheckpoint, checked
// to go with its journal_size_limit: -1 (none) when it is on.
func autocheckpoint(t *testing.T, db *store.DB) int {
	t.Helper()
	// both read on one hold of the writer connection: the checkpointer
	// sets them back on one hold too, and may do so between two
	conn, err := db.Write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n, limit int
	if err := conn.QueryRowContext(context.Background(), `PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(context.Background(), `PRAGMA journal_size_limit`).Scan(&limit); err != nil {
		t.Fatal(err)
	}
	if (n == 0) != (limit == 0) {
		t.Fatalf("wal_autocheckpoint %d with journal_size_limit %d", n, limit)
	}
	return n
}

// A lease turns the writer connection's automatic checkpoints off; they
// come back when the last of nested leases is released, whatever the
// context the lease was taken with has become, and a second release does
// not release another holder's lease.
func TestDeferCheckpointsRestoresTheWriter(t *testing.T) {
	db, _ := openTemp(t)
	if n := autocheckpoint(t, db); n != 1000 {
		t.Fatalf("wal_autocheckpoint at open: %d, want 1000", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := db.DeferCheckpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := autocheckpoint(t, db); n != 0 {
		t.Fatalf("wal_autocheckpoint during a lease: %d, want 0", n)
	}
	b, err := db.DeferCheckpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	a.Release()
	a.Release()
	if n := autocheckpoint(t, db); n != 0 {
		t.Fatalf("wal_autocheckpoint with one of two leases released (twice): %d, want 0", n)
	}
	b.Release()
	// back once the checkpointer has copied the WAL (see below)
	eventually(t, "wal_autocheckpoint 1000 after the last lease", func() bool { return autocheckpoint(t, db) == 1000 })
}

// While checkpoints are deferred the WAL is still copied into the
// database file (by the checkpointer, beside the writer) and does not
// grow past its cap (plus a transaction) however much is written.
func TestDeferredCheckpointsCopyTheWALAndCapIt(t *testing.T) {
	db, path := openTemp(t)
	ctx := context.Background()
	const capBytes = 1 << 20
	store.SetWALSizes(db, capBytes, capBytes/4)
	if _, err := db.Write.Exec(`CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	lease, err := db.DeferCheckpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release() // a second release does nothing
	const txBytes = 64 << 10
	var maxWAL int64
	for i := 0; i < 160; i++ { // 10 MB in all
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for k := 0; k < 16; k++ {
				if _, err := tx.Exec(`INSERT INTO blobs (b) VALUES (randomblob(4000))`); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		lease.Committed(ctx)
		maxWAL = max(maxWAL, size(path+"-wal"))
	}
	// a little over the cap: the transaction that reaches it, the one
	// after, and the pages of the table's b-tree above the rows
	if limit := int64(capBytes + 3*txBytes); maxWAL > limit {
		t.Errorf("the WAL grew to %d bytes, want at most %d", maxWAL, limit)
	}
	// the checkpointer copies the WAL into the database file in the
	// background, the rest once the lease is released: it gets there
	lease.Release()
	deadline := time.Now().Add(30 * time.Second)
	for size(path) < 10<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes after 10 MB written and checkpointed", size(path))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A lease's run of transactions (an import's staging, on a machine whose
// cores it keeps busy) is not checkpointed beside it while its WAL is small
// (a 1M-row CSV's staging writes about 170 MB): the copy into the database
// file runs once the lease is released, in the background.
func TestDeferredCheckpointsWaitForTheRelease(t *testing.T) {
	db, path := openBlobs(t)
	ctx := context.Background()
	lease, err := db.DeferCheckpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	for i := 0; i < 80; i++ { // 5 MB
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for k := 0; k < 16; k++ {
				if _, err := tx.Exec(`INSERT INTO blobs (b) VALUES (randomblob(4000))`); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		lease.Committed(ctx)
	}
	time.Sleep(50 * time.Millisecond) // a checkpoint kicked by the last commit would have started
	if n := store.Checkpoints(db); n != 0 {
		t.Fatalf("%d checkpoints while the lease was held with a 5 MB WAL, want none", n)
	}
	lease.Release()
	deadline := time.Now().Add(30 * time.Second)
	for st, _ := os.Stat(path); st.Size() < 5<<20; st, _ = os.Stat(path) {
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes after 5 MB written and the lease released", st.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The writer keeps a WAL that has been checkpointed to at most 64 MiB on
// disk: once a long lease has grown it, the next write after a checkpoint
// cuts it back (journal_size_limit), at open and after a lease.
func TestWriterCutsTheWALBack(t *testing.T) {
	db, _ := openTemp(t)
	limit := func() int64 {
		var n int64
		if err := db.Write.QueryRow(`PRAGMA journal_size_limit`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := limit(); n != 64<<20 {
		t.Fatalf("journal_size_limit at open: %d, want %d", n, 64<<20)
	}
	lease, err := db.DeferCheckpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lease.Release()
	eventually(t, "journal_size_limit 64 MiB after a lease", func() bool { return limit() == 64<<20 })
}

// While a lease is held the writer keeps statement journals in memory
// (temp_store MEMORY): a multi-row INSERT in a transaction journals the
// pages it changes, and past 64 KiB SQLite spills that journal to a
// temporary file, a write system call per page on the writer's path (0.29 s
// of a 1M-row staging's 1.7 s). The setting comes back with the last lease.
func TestLeaseKeepsStatementJournalsInMemory(t *testing.T) {
	db, _ := openTemp(t)
	tempStore := func() int {
		var n int
		if err := db.Write.QueryRow(`PRAGMA temp_store`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := tempStore(); n != 0 {
		t.Fatalf("temp_store at open: %d, want 0 (default)", n)
	}
	lease, err := db.DeferCheckpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := tempStore(); n != 2 {
		t.Errorf("temp_store during a lease: %d, want 2 (memory)", n)
	}
	lease.Release()
	eventually(t, "temp_store 0 after the lease", func() bool { return tempStore() == 0 })
}

// The writer's automatic checkpoint comes back only once the checkpointer
// has copied the lease's WAL: back at once, the writer's next commit (the
// import's status after its rows) would copy the whole WAL itself, on the
// writer's path (0.57 s after a 1M-row submit).
func TestWriterCheckpointsAgainOnlyAfterTheLeaseIsCopied(t *testing.T) {
	db, _ := openBlobs(t)
	ctx := context.Background()
	lease, err := db.DeferCheckpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO blobs (b) VALUES (randomblob(100000))`); err != nil {
		t.Fatal(err)
	}
	let := store.HoldCheckpoints(db)
	lease.Release()
	if n := autocheckpoint(t, db); n != 0 {
		let()
		t.Fatalf("wal_autocheckpoint after the release, before the copy: %d, want 0", n)
	}
	let()
	eventually(t, "wal_autocheckpoint back at 1000 after the copy", func() bool { return autocheckpoint(t, db) == 1000 })
}

// eventually waits up to 10 s for ok.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A reader still on a snapshot from before the lease's writes keeps the
// checkpointer from copying them; the writer's automatic checkpoint stays
// off until the copy is whole (else the writer's next commit after the
// reader is done, a job's heartbeat say, copies it on the writer's path:
// 1.6 s of a 1M-row import with a server callback).
func TestWriterCheckpointsAgainOnlyAfterAWholeCopy(t *testing.T) {
	db, path := openBlobs(t)
	ctx := context.Background()
	rtx, err := db.Read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRow(`SELECT count(*) FROM blobs`).Scan(&n); err != nil { // the snapshot starts here
		t.Fatal(err)
	}
	lease, err := db.DeferCheckpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if _, err := db.Write.Exec(`INSERT INTO blobs (b) VALUES (randomblob(50000))`); err != nil {
			t.Fatal(err)
		}
	}
	before := store.Checkpoints(db)
	lease.Release()
	eventually(t, "a checkpoint after the release", func() bool { return store.Checkpoints(db) > before })
	time.Sleep(20 * time.Millisecond)
	if n := autocheckpoint(t, db); n != 0 {
		t.Errorf("wal_autocheckpoint with the lease's WAL not copied (a reader on an older snapshot): %d, want 0", n)
	}
	rtx.Rollback()
	eventually(t, "wal_autocheckpoint back at 1000 after the whole copy", func() bool { return autocheckpoint(t, db) == 1000 })
	if st, err := os.Stat(path); err != nil || st.Size() < 2<<20 {
		t.Fatalf("the database file after the copy: %v, %v; want the 2 MB written", st.Size(), err)
	}
}

// openBlobs opens a fresh database with a table blobs (id, b BLOB).
func openBlobs(t *testing.T) (*store.DB, string) {
	t.Helper()
	db, path := openTemp(t)
	if _, err := db.Write.Exec(`CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	return db, path
}
