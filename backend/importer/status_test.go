package importer_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/store"
)

// TestOnStatusReportsSubmitOutcomes: the status hooks hear submitted then
// failed when an OnSubmit hook refuses, and submitted then completed when
// the same import is submitted again and the hook accepts.
func TestOnStatusReportsSubmitOutcomes(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	refuse := true
	svc.OnSubmit(func(ctx context.Context, tx *store.Tx, imp importer.Import) error {
		if refuse {
			return errs.Unavailable("the CRM is down")
		}
		return nil
	})
	var seen []string
	svc.OnStatus(func(ctx context.Context, imp importer.Import, status string) {
		if imp.Status != status {
			t.Errorf("hook got import status %q with status %q", imp.Status, status)
		}
		entry := status
		if imp.FailureReason != "" {
			entry += " (" + imp.FailureReason + ")"
		}
		seen = append(seen, entry)
	})
	admin := importer.Actor{Admin: true, Metadata: map[string]any{"user_id": "u1"}}
	slug := stageFile(t, svc, admin, "people.csv", "First Name,E-mail\nAda,ada@example.com\n", nil)

	if _, err := svc.Submit(ctx, slug); err == nil {
		t.Fatal("submit succeeded although the hook refused")
	}
	if got, want := strings.Join(seen, ", "), "submitted, failed (after submit: the CRM is down)"; got != want {
		t.Fatalf("statuses after a refused submit: %q; want %q", got, want)
	}
	seen = nil
	refuse = false
	if _, err := svc.Submit(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(seen, ", "), "submitted, completed"; got != want {
		t.Fatalf("statuses after a good submit: %q; want %q", got, want)
	}
}
