package importer_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
)

// TestSecurityCancelledImportGoesNoFurther: the HTTP layer refuses a
// cancelled import's writes before it takes the import's lock, so a submit
// (or an upload, or a staging) that passed that check just before the
// Cancel landed reaches the service after it. The service itself must
// refuse: a cancelled import is never submitted (its staged rows are
// gone, so it would "complete" with no records and tell the host page's
// destinations so), uploaded to or staged again.
func TestSecurityCancelledImportGoesNoFurther(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	actor := importer.Actor{Admin: true}
	const clean = "First Name,E-mail\nAda,ada@example.com\nAlan,alan@example.com\n"
	slug := stageFile(t, svc, actor, "people.csv", clean, nil)
	if _, err := svc.CancelImport(ctx, slug); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, slug); errs.Code(err) != errs.ECONFLICT || !strings.Contains(errs.Message(err), "cancelled") {
		t.Fatalf("submit of a cancelled import: %v", err)
	}
	if _, err := svc.StartSubmit(ctx, slug); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("background submit of a cancelled import: %v", err)
	}
	imp, err := svc.GetImport(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Status != importer.StatusCreated || imp.CancelledAt.IsZero() || imp.RecordCount != 0 {
		t.Fatalf("after the refused submits: status %s cancelled %v records %d", imp.Status, imp.CancelledAt, imp.RecordCount)
	}
	if err := svc.Stage(ctx, slug); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("staging of a cancelled import: %v", err)
	}

	// Cancelled right after the upload: no new file is taken.
	other, err := svc.CreateImport(ctx, actor, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CancelImport(ctx, other.Slug); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upload(ctx, other.Slug, strings.NewReader(clean), "again.csv", int64(len(clean))); errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("upload to a cancelled import: %v", err)
	}
	if imp, _ := svc.GetImport(ctx, other.Slug); imp.FileName != "" || imp.Step != importer.StepCreated {
		t.Fatalf("after the refused upload: file %q step %s", imp.FileName, imp.Step)
	}
}

// TestSecurityConcurrentSubmitsAndCancelWriteRecordsOnce: submits and a
// Cancel sent at once (a double click, two tabs) leave one outcome: the
// records written once, or the import cancelled with none.
func TestSecurityConcurrentSubmitsAndCancelWriteRecordsOnce(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	const clean = "First Name,E-mail\nAda,ada@example.com\nAlan,alan@example.com\nGrace,grace@example.com\n"
	for round := 0; round < 5; round++ {
		slug := stageFile(t, svc, importer.Actor{Admin: true}, "people.csv", clean, nil)
		errc := make(chan error, 4)
		for i := 0; i < 3; i++ {
			go func() { _, err := svc.Submit(ctx, slug); errc <- err }()
		}
		go func() { _, err := svc.CancelImport(ctx, slug); errc <- err }()
		ok := 0
		for i := 0; i < 4; i++ {
			err := <-errc
			if err == nil {
				ok++
			} else if errs.Code(err) != errs.ECONFLICT {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		imp, err := svc.GetImport(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		recs, total, err := svc.ListRecords(ctx, slug, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !imp.CancelledAt.IsZero():
			if imp.Status != importer.StatusCreated || total != 0 || ok != 1 {
				t.Fatalf("round %d: cancelled, status %s, %d records, %d successes", round, imp.Status, total, ok)
			}
		default:
			if imp.Status != importer.StatusCompleted || total != 3 || len(recs) != 3 || imp.RecordCount != 3 || ok != 1 {
				t.Fatalf("round %d: status %s, %d records (count %d), %d successes", round, imp.Status, total, imp.RecordCount, ok)
			}
		}
	}
}
