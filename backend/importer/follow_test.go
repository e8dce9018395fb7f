package importer

import (
	"context"
	"sync"
	"testing"
	"time"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// follower runs svc.Follow on slug until ctx ends and hands each progress
// it is given to the returned channel.
func follower(t *testing.T, ctx context.Context, svc *Service, slug string) (<-chan Progress, <-chan error) {
	t.Helper()
	got := make(chan Progress, 1024)
	end := make(chan error, 1)
	go func() {
		end <- svc.Follow(ctx, slug, func(p Progress) error {
			got <- p
			return nil
		})
	}()
	return got, end
}

// until takes progress from got until ok holds, failing at the deadline
// (a bound on a wait, not a timing assertion).
func until(t *testing.T, got <-chan Progress, what string, ok func(Progress) bool) Progress {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	var last Progress
	for {
		select {
		case p := <-got:
			if ok(p) {
				return p
			}
			last = p
		case <-deadline:
			t.Fatalf("no progress event with %s; the last one: %+v", what, last)
		}
	}
}

// confirmPeople uploads file as an import of people through svc and
// confirms its suggested mapping.
func confirmPeople(t *testing.T, svc *Service, file string) string {
	t.Helper()
	slug := uploadPeople(t, svc, file)
	m, err := svc.suggestedMapping(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ConfirmMapping(context.Background(), slug, *m); err != nil {
		t.Fatal(err)
	}
	return slug
}

// stagingHeld confirms an import of rows people on svc and starts its
// staging run, held after its first commit; it returns the import's slug,
// the progress of that first commit, and the release of the run.
func stagingHeld(t *testing.T, svc *Service, rows int) (string, stagedSoFar, func()) {
	t.Helper()
	file, _ := peopleCSV(rows)
	slug := confirmPeople(t, svc, file)
	first, release := holdStaging(t, svc)
	svc.StartStaging(slug)
	return slug, <-first, release
}

// A follower of an import's progress is given each change of a staging
// run as it happens, on either engine: its fallback look is an hour away,
// so only a wake on change can bring the events. It ends with the final
// progress.
func TestFollowIsWokenByEachChange(t *testing.T) {
	db := storetest.Open(t)
	svc := New(db, t.TempDir(), nil)
	svc.FollowFallback = time.Hour
	const rows = 20_000
	slug, st, release := stagingHeld(t, svc, rows)

	got, end := follower(t, context.Background(), svc, slug)
	until(t, got, "the first committed rows", func(p Progress) bool {
		return p.Phase == "staging" && !p.Done && p.Rows == st.Rows && p.ErrorRows == st.ErrorRows
	})
	release()
	last := until(t, got, "the end of staging", func(p Progress) bool { return p.Done })
	if last.Phase != "done" || last.Rows != rows || last.Error != "" {
		t.Fatalf("final progress: %+v", last)
	}
	if err := <-end; err != nil {
		t.Fatalf("follow: %v", err)
	}
	if n := svc.Followers(); n != 0 {
		t.Fatalf("%d followers left after the follow ended", n)
	}
}

// listeners counts the connections to the test database that listen for
// import progress.
func listeners(t *testing.T, db *store.DB) int {
	t.Helper()
	return countWhere(t, db, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
}

// waitCond waits until cond holds, failing at a generous deadline.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// Followers on one replica of a team server are given the progress of a
// staging run on another replica as it changes (announced with NOTIFY),
// and its final progress. Many followers share the replica's one
// listening connection and hold no database connection while they wait;
// followers whose client went away end, and with the last one the
// listening connection closes.
func TestTeamFollowersHearAnotherReplicasStaging(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	b.FollowFallback = time.Hour
	const rows = 20_000
	slug, st, release := stagingHeld(t, a, rows)

	got, end := follower(t, context.Background(), b, slug)
	until(t, got, "the first rows committed on the other replica", func(p Progress) bool {
		return p.Phase == "staging" && !p.Done && p.Rows == st.Rows
	})

	const many = 200
	ctx, leave := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range many {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Follow(ctx, slug, func(Progress) error { return nil })
		}()
	}
	waitCond(t, "the followers to wait, holding no database connection", func() bool {
		return b.Followers() == many+1 && b.db.Read.Stats().InUse == 0 && b.db.Write.Stats().InUse == 0
	})
	if n := listeners(t, b.db); n != 1 {
		t.Fatalf("%d listening connections for %d followers, want 1", n, many+1)
	}
	leave() // their clients go away
	wg.Wait()
	if n := b.Followers(); n != 1 {
		t.Fatalf("%d followers after %d left, want 1", n, many)
	}

	release()
	last := until(t, got, "the end of staging on the other replica", func(p Progress) bool { return p.Done })
	if last.Phase != "done" || last.Rows != rows || last.Error != "" {
		t.Fatalf("final progress read on the other replica: %+v", last)
	}
	if err := <-end; err != nil {
		t.Fatalf("follow: %v", err)
	}
	waitCond(t, "the listening connection to close with the last follower", func() bool {
		return b.Followers() == 0 && listeners(t, b.db) == 0
	})
}
