package app

import (
	"context"
	"sync"
	"testing"

	"fusebox/backend/marketplace"
)

// runWorkers runs a's background workers until the test ends; stop
// (also run at cleanup) cancels ctx and waits for every worker to return.
func runWorkers(t *testing.T, ctx context.Context, cancel context.CancelFunc, a *App) (stop func()) {
	t.Helper()
	var wg sync.WaitGroup
	stop = func() {
		cancel()
		wg.Wait()
	}
	t.Cleanup(stop)
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	return stop
}

// saveCRMListing creates the marketplace's secret and saves listing "crm"
// with one password field, api_key, and the given workflow.
func saveCRMListing(t *testing.T, ctx context.Context, m *marketplace.Service, workflow []marketplace.Step) {
	t.Helper()
	if _, err := m.CreateSecret(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SaveListing(ctx, marketplace.Listing{
		ID: "crm", Name: "CRM",
		ConfigFields: []marketplace.ConfigField{{Name: "api_key", Label: "API key", Type: "password", Required: true}},
		Workflow:     workflow,
	}); err != nil {
		t.Fatal(err)
	}
}
