package importer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fusebox/backend/importer"
	"fusebox/backend/store"
)

// TestSecurityPoisonJobIsNotResumedForever: an import whose job has
// stopped its process MaxJobAttempts times (a file that crashes every
// reader) is marked failed on the next start instead of being taken over
// again; later starts leave it alone.
func TestSecurityPoisonJobIsNotResumedForever(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	slug := stageFile(t, svc, importer.Actor{Admin: true}, "people.csv", "First Name,E-mail\nAda,ada@example.com\n", nil)
	imp, err := svc.GetImport(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	past := store.FormatTime(time.Now().Add(-time.Hour))
	// A submit job of a process that is gone (its lease long over), taken over as often as allowed.
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE importer_imports SET status = 'submitting', step = 'submitting' WHERE id = ?`, imp.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO importer_jobs (import_id, then_submit, owner, lease_until, attempts, records_total, created_at, updated_at)
			VALUES (?, 1, '2147483646:gone', ?, ?, 1, ?, ?)`, imp.ID, past, importer.MaxJobAttempts, past, past)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != importer.StatusFailed || !strings.Contains(got[0].Reason, "stopped") {
		t.Fatalf("recover: %+v", got)
	}
	after, _ := svc.GetImport(ctx, slug)
	if after.Status != importer.StatusFailed || after.RecordCount != 0 {
		t.Fatalf("after recover: status %s, %d records", after.Status, after.RecordCount)
	}
	if again, err := svc.Recover(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second start: %+v %v", again, err)
	}
}
