package httpapi_test

import (
	"testing"
	"time"
)

// waitBound is how long waitUntil waits: generous, because it waits for an
// event (a background job finishing), it does not time anything.
const waitBound = 30 * time.Second

// waitUntil calls cond until it reports done, and fails the test when
// waitBound passes first, naming what it waited for and the last state
// cond described.
func waitUntil(t testing.TB, what string, cond func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		done, state := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", waitBound, what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
