package schema

import (
	"strings"
	"testing"
)

// A draft with other problems (no name yet, a bad setting) still has its
// hooks compiled, so the console's live check names a hook's syntax error
// and line while the rest is unfinished.
func TestCompileNamesHookSyntaxErrorNextToOtherProblems(t *testing.T) {
	def := &Importer{
		Slug:    "orders",
		Columns: []Column{{Key: "sku", Label: "SKU"}, {Key: "qty", Label: "Qty"}},
		Hooks: &Hooks{
			Row:    "function (row) {\n  if (row.sku === ) return 1\n}",
			Column: map[string]string{"qty": "function (v) {}"},
		},
	}
	_, err := Compile(def)
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{`name: is required`, `hook "row": syntax error at line 2: `} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	// A bad key: the hooks of the sound columns are still compiled, and a
	// hook on the bad column is not reported twice.
	def.Name = "Orders"
	def.Columns[1].Key = "1qty"
	def.Hooks.Column = map[string]string{"1qty": "function (v) {}"}
	_, err = Compile(def)
	msg = err.Error()
	if !strings.Contains(msg, `hook "row": syntax error at line 2`) || strings.Contains(msg, `no column with key "1qty"`) {
		t.Errorf("error %q: want the row hook's syntax error and no complaint about the hook of the bad column", msg)
	}
}

func TestCompileHooksOnly(t *testing.T) {
	def := &Importer{Columns: []Column{{Key: "sku"}}, Hooks: &Hooks{Row: "function (row) {}", CallTimeout: "5ms"}}
	p, err := CompileHooks(def)
	if err != nil || p == nil {
		t.Fatalf("CompileHooks = %v, %v", p, err)
	}
	def.Hooks.CallTimeout = "soon"
	if _, err := CompileHooks(def); err == nil || !strings.Contains(err.Error(), `hooks.call_timeout: "soon" is not a positive duration`) {
		t.Errorf("bad budget: %v", err)
	}
	if p, err := CompileHooks(&Importer{Columns: []Column{{Key: "sku"}}}); p != nil || err != nil {
		t.Errorf("no hooks: %v, %v", p, err)
	}
}

// A definition's budgets have ceilings: one call may not hold a worker (or
// one of the console's two hook-try slots) for an hour.
func TestSecurityHookBudgetsHaveCeilings(t *testing.T) {
	for _, tc := range []struct {
		hooks Hooks
		want  string
	}{
		{Hooks{CallTimeout: "1000h"}, `hooks.call_timeout: "1000h" is over the most a call may take (10s)`},
		{Hooks{ImportTimeout: "48h"}, `hooks.import_timeout: "48h" is over the most an import's hooks may take (1h0m0s)`},
		{Hooks{Memory: "64GB"}, `hooks.memory: "64GB" is over the most a call may allocate (512MB)`},
	} {
		h := tc.hooks
		h.Row = "function (row) {}"
		_, err := CompileHooks(&Importer{Columns: []Column{{Key: "sku"}}, Hooks: &h})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.hooks, err, tc.want)
		}
	}
	ok := &Hooks{Row: "function (row) {}", CallTimeout: "10s", ImportTimeout: "1h", Memory: "512MB"}
	if _, err := CompileHooks(&Importer{Columns: []Column{{Key: "sku"}}, Hooks: ok}); err != nil {
		t.Errorf("budgets at the ceilings: %v", err)
	}
}
