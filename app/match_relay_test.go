package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/importer"
	"fusebox/backend/relay"
	"fusebox/backend/schema"
)

// The relay carries each record's operation (_operation) for an importer
// with match_on, and a destination with skip_unchanged leaves the
// unchanged records out.
func TestRelayCarriesOperation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	a, err := New(ctx, Config{DatabaseURL: testDatabaseURL(t, ""), DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		a.Close()
	})
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	var mu sync.Mutex
	got := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rec map[string]any
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
			t.Errorf("record: %v", err)
		}
		mu.Lock()
		got[r.URL.Path] = append(got[r.URL.Path], rec["email"].(string)+" "+rec["_operation"].(string))
		mu.Unlock()
	}))
	defer srv.Close()

	if _, err := a.Importer.SaveImporter(ctx, &schema.Importer{Slug: "contacts", Name: "Contacts", MatchOn: []string{"email"},
		Columns: []schema.Column{{Key: "email", Label: "Email", Type: schema.TypeEmail, Required: true}, {Key: "plan", Label: "Plan"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "all", Importer: "contacts", URL: srv.URL + "/all"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Relay.CreateDestination(ctx, relay.Destination{ID: "changes", Importer: "contacts", URL: srv.URL + "/changes", SkipUnchanged: true}); err != nil {
		t.Fatal(err)
	}
	submit := func(csv string) {
		t.Helper()
		imp, err := a.Importer.CreateImport(ctx, importer.Actor{Admin: true}, "contacts")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Importer.Upload(ctx, imp.Slug, strings.NewReader(csv), "c.csv", int64(len(csv))); err != nil {
			t.Fatal(err)
		}
		mv, err := a.Importer.GetMapping(ctx, imp.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
			t.Fatal(err)
		}
		if err := a.Importer.Stage(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Importer.Submit(ctx, imp.Slug); err != nil {
			t.Fatal(err)
		}
	}
	submit("Email,Plan\nada@example.com,free\nalan@example.com,free\n")
	submit("Email,Plan\nada@example.com,pro\nalan@example.com,free\n")
	want := map[string][]string{
		"/all":     {"ada@example.com create", "ada@example.com update", "alan@example.com create", "alan@example.com unchanged"},
		"/changes": {"ada@example.com create", "ada@example.com update", "alan@example.com create"},
	}
	for {
		mu.Lock()
		done := len(got["/all"]) >= 4 && len(got["/changes"]) >= 3
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deliveries: %v", got)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// every job expanded: the deliveries are all there is to send
	for {
		jobs, err := a.Relay.ListJobs(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		done := len(jobs) == 4
		for _, j := range jobs {
			done = done && j.Status == "done"
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("jobs: %+v", jobs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if n, err := a.Relay.CountDeliveries(ctx); err != nil || n != 7 {
		t.Fatalf("deliveries %d (%v), want 4 + 3", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for path, w := range want {
		g := slices.Clone(got[path])
		slices.Sort(g)
		if !slices.Equal(g, w) {
			t.Errorf("%s received %v, want %v", path, g, w)
		}
	}
}
