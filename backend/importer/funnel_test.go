package importer_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/importer"
	"fusebox/backend/store"
)

func reached(t *testing.T, db *store.DB, slug string) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT reached FROM importer_imports WHERE slug = ?`, slug).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The funnel stage an import reached rises with each step and never goes
// back when the user does (a new file after the review).
func TestReachedStageFollowsTheFlow(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t)
	if _, err := svc.SaveImporter(ctx, contacts()); err != nil {
		t.Fatal(err)
	}
	admin := importer.Actor{Admin: true}
	imp, err := svc.CreateImport(ctx, admin, "contacts")
	if err != nil {
		t.Fatal(err)
	}
	csv := "First Name,E-mail\nAda,ada@example.com\n"
	step := func(want int, what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := reached(t, db, imp.Slug); got != want {
			t.Fatalf("after %s: reached %d, want %d", what, got, want)
		}
	}
	step(0, "create", nil)
	_, err = svc.Upload(ctx, imp.Slug, strings.NewReader(csv), "a.csv", int64(len(csv)))
	step(importer.ReachedUploaded, "upload", err)
	mv, err := svc.GetMapping(ctx, imp.Slug)
	step(importer.ReachedHeader, "mapping opened", err)
	step(importer.ReachedMapping, "mapping confirmed", svc.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()))
	step(importer.ReachedReview, "staged", svc.Stage(ctx, imp.Slug))
	_, err = svc.Upload(ctx, imp.Slug, strings.NewReader(csv), "b.csv", int64(len(csv)))
	step(importer.ReachedReview, "a new file", err)
	mv, err = svc.GetMapping(ctx, imp.Slug)
	step(importer.ReachedReview, "mapping again", err)
	if err := svc.ConfirmMapping(ctx, imp.Slug, mv.Suggestions.Mapping()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stage(ctx, imp.Slug); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Submit(ctx, imp.Slug)
	step(importer.ReachedSubmit, "submit", err)
}
