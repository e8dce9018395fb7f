package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fusebox apply compiles an importer's JavaScript hooks and refuses a hook
// with a syntax error, naming the hook and the line; nothing is applied.
func TestApplyRefusesBrokenHook(t *testing.T) {
	dir := t.TempDir()
	ws := func(hook string) string {
		file := filepath.Join(t.TempDir(), "ws.yaml")
		os.WriteFile(file, []byte(`version: 1
importers:
  - slug: orders
    name: Orders
    columns:
      - {key: sku, label: SKU}
    hooks:
      row: |
        function (row) {
          if (row.sku.startsWith("X-")) {
            return {errors: {sku: "discontinued"}}
          }`+hook+`
        }
`), 0o644)
		return file
	}
	code, out, errOut := runCLI(t, "apply", "--data-dir", dir, ws("\n          return {errors: {sku: }}"))
	if code != 1 || !strings.Contains(errOut, `hook "row": syntax error at line 5`) {
		t.Fatalf("broken hook: code %d out %q stderr %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "apply", "--data-dir", dir, ws(""))
	if code != 0 || !strings.Contains(out, "orders") {
		t.Fatalf("good hook: code %d out %q stderr %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "export", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `row.sku.startsWith("X-")`) {
		t.Fatalf("export lost the hook: %q", out)
	}
}
