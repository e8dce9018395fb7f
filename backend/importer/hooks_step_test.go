package importer_test

import (
	"context"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// The importer's JavaScript hooks run on staging and on every edit, and
// their findings behave like the built-in ones (counts, errors filter,
// submit policy).
func TestJavaScriptHooksInReview(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	def := contacts()
	def.Hooks = &schema.Hooks{
		Row: `function (row) {
  if (row.last_name === "Turing") return {errors: {last_name: "no Turings"}}
  if (row.plan === "free") return {warnings: {plan: "free plan"}, values: {first_name: row.first_name.toUpperCase()}}
}`,
		Column: map[string]string{"seats": "function (v, row) {\n  if (v === \"99\") throw new Error(\"bad seats\")\n}"},
	}
	if _, err := svc.SaveImporter(ctx, def); err != nil {
		t.Fatal(err)
	}
	csv := "First Name,Surname,E-mail,Plan,Seats\n" +
		"Ada,Lovelace,ada@example.com,free,3\n" +
		"Alan,Turing,alan@example.com,pro,1\n" +
		"Grace,Hopper,grace@example.com,pro,99\n"
	admin := importer.Actor{Admin: true}
	slug := stageFile(t, svc, admin, "people.csv", csv, nil)
	sum, err := svc.Summary(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 3 || sum.ErrorRows != 2 || sum.WarningRows != 1 || sum.CanSubmit {
		t.Fatalf("summary rows=%d errors=%d warnings=%d can_submit=%v, want 3/2/1/false", sum.Rows, sum.ErrorRows, sum.WarningRows, sum.CanSubmit)
	}
	page, err := svc.Rows(ctx, slug, importer.RowQuery{Filter: "errors"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || page.Rows[0].Row != 2 || page.Rows[0].Issues[0].Column != "last_name" || page.Rows[0].Issues[0].Message != "no Turings" {
		t.Fatalf("errors page: %+v", page.Rows)
	}
	thrown := page.Rows[1].Issues[0]
	if thrown.Column != "seats" || !strings.Contains(thrown.Message, `hook "column.seats" threw Error: bad seats (line 2)`) {
		t.Fatalf("a throwing hook should mark the row naming the hook and line: %+v", thrown)
	}
	all, _ := svc.Rows(ctx, slug, importer.RowQuery{})
	if all.Rows[0].Values[0] != "ADA" {
		t.Fatalf("the hook's replacement value was not staged: %q", all.Rows[0].Values)
	}
	if _, err := svc.Submit(ctx, slug); errs.Code(err) != errs.EINVALID {
		t.Fatalf("submit with hook errors: %v, want EINVALID", err)
	}
	// edits re-run the hooks on the edited row
	if _, err := svc.EditRow(ctx, slug, 2, map[string]string{"last_name": "Mathison"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditRow(ctx, slug, 3, map[string]string{"seats": "4", "plan": "free"}); err != nil {
		t.Fatal(err)
	}
	sum, _ = svc.Summary(ctx, slug)
	if sum.ErrorRows != 0 || sum.WarningRows != 2 || !sum.CanSubmit {
		t.Fatalf("after the fixes: errors=%d warnings=%d can_submit=%v, want 0/2/true", sum.ErrorRows, sum.WarningRows, sum.CanSubmit)
	}
	all, _ = svc.Rows(ctx, slug, importer.RowQuery{})
	if all.Rows[2].Values[0] != "GRACE" {
		t.Fatalf("the hook's replacement value was not applied on edit: %q", all.Rows[2].Values)
	}
	if _, err := svc.Submit(ctx, slug); err != nil {
		t.Fatalf("submit: %v", err)
	}
}

// A definition whose hook does not compile is refused, naming the line.
func TestSaveImporterRefusesBrokenHook(t *testing.T) {
	svc, _ := newService(t)
	def := contacts()
	def.Hooks = &schema.Hooks{Row: "function (row) {\n  return {errors: {email: }}\n}"}
	_, err := svc.SaveImporter(context.Background(), def)
	if errs.Code(err) != errs.EINVALID || !strings.Contains(err.Error(), `hook "row": syntax error at line 2`) {
		t.Fatalf("want a refusal naming the hook and line 2, got %v", err)
	}
}
