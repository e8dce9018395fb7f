package importer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// Staging's writer runs with the writer connection's automatic
// checkpoints off (store.DeferCheckpoints) and gives them back however
// it ends: the rows all written, the context cancelled between
// transactions, or a transaction failing (a row written twice).
func TestStageWriterGivesCheckpointsBackOnEveryExit(t *testing.T) {
	storetest.SQLiteOnly(t) // a SQLite connection setting
	for _, end := range []string{"done", "cancelled", "failed"} {
		t.Run(end, func(t *testing.T) {
			db := storetest.Open(t)
			s := New(db, t.TempDir(), nil)
			s.TxRows = 1 // a transaction per batch
			batch := func(from int64) *stageBatch {
				b := &stageBatch{}
				for i := from; i < from+10; i++ {
					b.rows = append(b.rows, stagedRow{num: i, data: fmt.Sprintf(`["r%d"]`, i)})
				}
				return b
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			batches := make(chan *stageBatch)
			res := make(chan error, 1)
			go func() { res <- s.writeBatches(ctx, 7, batches, newJob("staging", 0)) }()
			batches <- batch(1)
			batches <- batch(11) // taken once the first transaction committed
			if n := writerAutocheckpoint(t, db); n != 0 {
				t.Errorf("wal_autocheckpoint while staging: %d, want 0", n)
			}
			switch end {
			case "done":
				close(batches)
			case "cancelled":
				cancel()
			case "failed":
				batches <- batch(1)
			}
			err := <-res
			if (err == nil) != (end == "done") {
				t.Fatalf("staging writer %s: %v", end, err)
			}
			// back once the store's checkpointer has copied the WAL
			waitAutocheckpoint(t, db, 1000, "after staging "+end)
		})
	}
}

func writerAutocheckpoint(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Submit writes its records the same way: the writer connection's
// automatic checkpoints are off while it writes and back once it is done.
func TestSubmitWriterDefersCheckpoints(t *testing.T) {
	storetest.SQLiteOnly(t)
	db := storetest.Open(t)
	s := New(db, t.TempDir(), nil)
	s.BatchRows, s.SubmitTxRows = 10, 100
	slug, _ := stagedPeople(t, s, 500)
	during := -1
	s.afterBatch = func(int64) {
		if during == -1 {
			during = writerAutocheckpoint(t, db)
		}
	}
	if _, err := s.Submit(context.Background(), slug); err != nil {
		t.Fatal(err)
	}
	if during != 0 {
		t.Errorf("wal_autocheckpoint while submitting: %d, want 0", during)
	}
	waitAutocheckpoint(t, db, 1000, "after the submit")
}

// waitAutocheckpoint waits up to 10 s for the writer's wal_autocheckpoint
// to be want.
func waitAutocheckpoint(t *testing.T, db *store.DB, want int, when string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := writerAutocheckpoint(t, db)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("wal_autocheckpoint %s: %d, want %d", when, n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
