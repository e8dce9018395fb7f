package sink_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/keyring"
	"fusebox/backend/sink"
	"fusebox/backend/store/storetest"
)

// eachStore runs fn on a memory sink and on a shared sink in a database of
// the run's engine, both with limits l.
func eachStore(t *testing.T, l sink.Limits, fn func(t *testing.T, k *sink.Sink)) {
	t.Run("memory", func(t *testing.T) { fn(t, sink.NewWithLimits(l)) })
	t.Run("shared", func(t *testing.T) { fn(t, sink.NewShared(storetest.Open(t), l, testKeyring(t))) })
}

func TestSinkKeepsTheLastRequestsWithCappedBodies(t *testing.T) {
	eachStore(t, sink.Limits{Requests: 3, BodyBytes: 8}, func(t *testing.T, k *sink.Sink) {
		ctx := context.Background()
		for i, body := range []string{"one", "two", "three", "four", "0123456789abc"} {
			r := httptest.NewRequest("POST", "/sink/demo?i="+string(rune('0'+i)), strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer x")
			if _, err := k.Record(ctx, "demo", r); err != nil {
				t.Fatal(err)
			}
		}
		reqs, sum, err := k.Requests(ctx, "demo", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total != 5 || sum.Kept != 3 || len(reqs) != 3 {
			t.Fatalf("summary %+v, %d requests", sum, len(reqs))
		}
		if reqs[0].Body != "01234567" || !reqs[0].Truncated || reqs[0].BodyBytes != 13 || reqs[0].URL != "/sink/demo?i=4" {
			t.Fatalf("newest %+v", reqs[0])
		}
		if reqs[2].Body != "three" || reqs[2].Truncated {
			t.Fatalf("oldest kept %+v", reqs[2])
		}
		found := false
		for _, h := range reqs[0].Headers {
			found = found || (h[0] == "Authorization" && h[1] == "Bearer x")
		}
		if !found {
			t.Fatalf("headers %v", reqs[0].Headers)
		}
		newer, _, err := k.Requests(ctx, "demo", reqs[1].ID, 0)
		if err != nil || len(newer) != 1 || newer[0].ID != reqs[0].ID {
			t.Fatalf("after %d: %+v %v", reqs[1].ID, newer, err)
		}
		if _, err := k.Record(ctx, "../etc", httptest.NewRequest("GET", "/sink/x", nil)); err == nil {
			t.Fatal("a bad sink name is accepted")
		}
		if err := k.Clear(ctx, "demo"); err != nil {
			t.Fatal(err)
		}
		got, _, err := k.Requests(ctx, "demo", 0, 0)
		list, lerr := k.List(ctx)
		if err != nil || lerr != nil || len(got) != 0 || len(list) != 0 {
			t.Fatalf("after clear: %v %v (%v, %v)", got, list, err, lerr)
		}
	})
}

// A new name beyond Sinks forgets the least recently used sink, and the
// bytes of all sinks stay within TotalBytes (the oldest requests dropped
// first), in memory and in the database alike.
func TestSinkBoundsNamesAndBytes(t *testing.T) {
	eachStore(t, sink.Limits{Sinks: 3, TotalBytes: 2000}, func(t *testing.T, k *sink.Sink) {
		ctx := context.Background()
		for i := range 5 {
			r := httptest.NewRequest("POST", "/sink/x", strings.NewReader(strings.Repeat("b", 300)))
			if _, err := k.Record(ctx, fmt.Sprintf("s%d", i), r); err != nil {
				t.Fatal(err)
			}
		}
		list, err := k.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, s := range list {
			names = append(names, s.Name)
		}
		if fmt.Sprint(names) != "[s4 s3 s2]" {
			t.Fatalf("sinks kept %v, want the 3 most recently used", names)
		}
		for range 10 {
			if _, err := k.Record(ctx, "s4", httptest.NewRequest("POST", "/sink/x", strings.NewReader(strings.Repeat("b", 300)))); err != nil {
				t.Fatal(err)
			}
		}
		kept := 0
		for _, n := range names {
			reqs, _, err := k.Requests(ctx, n, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			kept += len(reqs)
		}
		// Each request counts its body plus a few hundred bytes of
		// headers and bookkeeping: about 400 bytes, so 4 or 5 fit.
		if kept == 0 || kept > 5 {
			t.Fatalf("%d requests kept within 2000 bytes in all", kept)
		}
		reqs, _, _ := k.Requests(ctx, "s4", 0, 1)
		if len(reqs) != 1 {
			t.Fatal("the newest request was dropped")
		}
	})
}

// testKeyring is a key made for t.
func testKeyring(t *testing.T) *keyring.Keyring {
	t.Helper()
	kr, err := keyring.Create(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}
