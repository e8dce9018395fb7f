package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fusebox import runs the importer's JavaScript hooks and match_on like
// the embed does, and its JSON summary carries the findings (the hooks'
// included) and the match counts.
func TestImportCLIHooksAndMatches(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws.yaml")
	os.WriteFile(ws, []byte(`version: 1
importers:
  - slug: orders
    name: Orders
    match_on: [sku]
    columns:
      - {key: sku, label: SKU, required: true}
      - {key: qty, label: Qty, type: integer}
    hooks:
      row: |
        function (row) {
          if (row.sku.startsWith("X-")) return {errors: {sku: "SKU " + row.sku + " is discontinued"}}
        }
`), 0o600)
	if code, _, errb := runCLI(t, "apply", "--data-dir", dir, ws); code != 0 {
		t.Fatalf("apply: %d %s", code, errb)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("SKU,Qty\nA-1,3\nX-9,1\n"), 0o600)
	code, out, errb := runCLI(t, "import", "--data-dir", dir, "--importer", "orders", bad)
	if code != 1 {
		t.Fatalf("import bad: %d %s %s", code, out, errb)
	}
	m := lastJSON(t, out)
	issues, _ := m["issues"].([]any)
	if m["errors"] != float64(1) || len(issues) != 1 {
		t.Fatalf("summary: %v", m)
	}
	want := map[string]any{"row": float64(2), "column": "sku", "severity": "error", "message": "SKU X-9 is discontinued"}
	if !reflect.DeepEqual(issues[0], want) {
		t.Fatalf("issue %v, want %v", issues[0], want)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("SKU,Qty\nA-1,3\nB-2,1\n"), 0o600)
	if code, out, errb = runCLI(t, "import", "--data-dir", dir, "--importer", "orders", good); code != 0 {
		t.Fatalf("import good: %d %s %s", code, out, errb)
	}
	os.WriteFile(good, []byte("SKU,Qty\nA-1,4\nB-2,1\nC-3,1\n"), 0o600)
	if code, out, errb = runCLI(t, "import", "--data-dir", dir, "--importer", "orders", good); code != 0 {
		t.Fatalf("re-import: %d %s %s", code, out, errb)
	}
	m = lastJSON(t, out)
	if want := map[string]any{"new": float64(1), "update": float64(1), "unchanged": float64(1)}; !reflect.DeepEqual(m["matches"], want) {
		t.Fatalf("matches %v, want %v (%s)", m["matches"], want, strings.TrimSpace(out))
	}
}
