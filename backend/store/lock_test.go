package store_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

type lockResult struct {
	unlock func()
	err    error
}

// waitForLockWaiters returns once n Lock calls have waited for one of the
// capped lock connections; it fails the test if the Lock sending on done
// returns first.
func waitForLockWaiters(t *testing.T, db *store.DB, n int64, done <-chan lockResult) {
	t.Helper()
	for store.LockPoolStats(db).WaitCount < n {
		select {
		case r := <-done:
			t.Fatalf("a lock took a connection past the cap without waiting (err %v)", r.err)
		default:
			runtime.Gosched()
		}
	}
}

// Lock holds one connection per held lock, at most SetMaxLockConns of
// them: past the cap a Lock waits for a held one to be released, and one
// whose ctx ends while waiting fails with an error that names the cap.
func TestLockConnsCapped(t *testing.T) {
	storetest.PostgresOnly(t)
	db := storetest.Open(t)
	if got := store.LockPoolStats(db).MaxOpenConnections; got != store.DefaultLockConns {
		t.Fatalf("lock connections cap = %d, want the default %d", got, store.DefaultLockConns)
	}
	db.SetMaxLockConns(1)
	ctx := context.Background()

	unlockA, err := db.Lock(ctx, store.LockImport, 1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan lockResult, 1)
	go func() {
		unlock, err := db.Lock(ctx, store.LockImport, 2)
		done <- lockResult{unlock, err}
	}()
	waitForLockWaiters(t, db, 1, done)
	unlockA()
	r := <-done
	if r.err != nil {
		t.Fatalf("lock once the first was released: %v", r.err)
	}

	// The cap is full again (lock 2 held): a waiter whose ctx ends fails.
	wctx, cancel := context.WithCancel(ctx)
	go func() {
		unlock, err := db.Lock(wctx, store.LockImport, 3)
		done <- lockResult{unlock, err}
	}()
	waitForLockWaiters(t, db, 2, done)
	cancel()
	r3 := <-done
	if r3.err == nil {
		r3.unlock()
		t.Fatal("a lock past the cap was taken although its ctx ended while waiting")
	}
	if !errors.Is(r3.err, context.Canceled) || !strings.Contains(r3.err.Error(), "all 1 lock connections") {
		t.Fatalf("error %q: want the cap named and ctx's error wrapped", r3.err)
	}
	r.unlock()
	if got := store.LockPoolStats(db).OpenConnections; got > 1 {
		t.Fatalf("%d lock connections open, cap 1", got)
	}
}
