package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func strictDecoder(src string) func(v any) error {
	return func(v any) error {
		return yaml.UnmarshalWithOptions([]byte(src), v, yaml.DisallowUnknownField())
	}
}

func TestSectionLoadApplyExport(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	sec := svc.Section()
	if sec.Key() != "importers" {
		t.Fatalf("key %q", sec.Key())
	}
	src := `
- slug: leads
  name: Leads
  settings: {unmapped_columns: keep}
  branding:
    primary_color: "#0b7285"
    title: {"*": Import leads, de: Leads importieren}
    texts: {en: {upload.title: Upload your leads}}
  columns:
    - key: email
      label: Email
      type: email
      unique: case_insensitive
    - key: score
      label: Score
      type: integer
      example: "42"
      default: 0
      validations:
        - type: less_than
          value: 101
`
	apply, err := sec.Load(strictDecoder(src))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := apply(ctx)
	if err != nil || strings.Join(lines, ";") != "created importer leads" {
		t.Fatalf("apply: %v %v", lines, err)
	}
	apply, _ = sec.Load(strictDecoder(src))
	if lines, _ := apply(ctx); len(lines) != 0 {
		t.Fatalf("second apply changed %v", lines)
	}
	exported, err := sec.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(exported)
	if err != nil {
		t.Fatal(err)
	}
	apply, err = sec.Load(strictDecoder(string(out)))
	if err != nil {
		t.Fatalf("exported YAML does not load back: %v\n%s", err, out)
	}
	if lines, _ := apply(ctx); len(lines) != 0 {
		t.Fatalf("export/apply is not a fixed point: %v\n%s", lines, out)
	}

	bad := []struct{ src, want string }{
		{"- slug: x\n  name: X\n  colums: []\n", `unknown field "colums"`},
		{"- slug: x\n  name: X\n  columns:\n    - key: a\n      label: A\n      validations:\n        - type: regex\n          value: \"([\"\n", `importers[0]: importer "x": column "a": validations[0].regex: invalid regex`},
		{"- slug: x\n  name: X\n  columns: [{key: a, label: A}]\n- slug: x\n  name: Y\n  columns: [{key: a, label: A}]\n", `importers[1]: slug "x" is already used by importers[0]`},
		// fusebox apply refuses a brand colour white text is hard to read on, saying the ratio
		{"- slug: x\n  name: X\n  branding: {primary_color: \"#0c8599\"}\n  columns: [{key: a, label: A}]\n", `branding.primary_color: #0c8599 has a contrast ratio of 4.35:1 with white`},
		{"- slug: x\n  name: X\n  settings: {unmapped_columns: store}\n  columns: [{key: a, label: A}]\n", `settings.unmapped_columns: "store" must be drop or keep`},
	}
	for _, b := range bad {
		_, err := sec.Load(strictDecoder(b.src))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Load: %v, want %q", err, b.want)
		}
	}
	if _, err := svc.GetImporter(ctx, "x"); err == nil {
		t.Errorf("a rejected section was applied")
	}
}
