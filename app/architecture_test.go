package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is the dependency direction of ARCHITECTURE.md, per
// package: main -> app/cli -> app -> httpapi -> domain packages -> store,
// ingest, errs. Domain packages never import each other; app adapts
// between them. Nothing imports app/cli but main.
var allowedImports = map[string][]string{
	"fusebox":         {"fusebox/app/cli"},
	"fusebox/app/cli": {"fusebox/app", "fusebox/backend/errs", "fusebox/backend/importer", "fusebox/backend/schema", "fusebox/backend/sessions"},
	"fusebox/app": {"fusebox/frontend", "fusebox/backend/demo", "fusebox/backend/errs", "fusebox/backend/ids", "fusebox/backend/store", "fusebox/backend/httpapi", "fusebox/backend/workspace", "fusebox/backend/sink",
		"fusebox/backend/importer", "fusebox/backend/sessions", "fusebox/backend/marketplace", "fusebox/backend/relay", "fusebox/backend/stats",
		"fusebox/backend/hooks", "fusebox/backend/netguard", "fusebox/backend/keyring"},
	// The benchmarks are their own command, outside the product binary.
	"fusebox/app/cmd/fusebox-bench": {"fusebox/app", "fusebox/backend/demo", "fusebox/backend/httpapi", "fusebox/backend/store", "fusebox/backend/importer", "fusebox/backend/ingest", "fusebox/backend/schema", "fusebox/backend/sessions",
		"fusebox/backend/marketplace", "fusebox/backend/relay", "fusebox/backend/stats", "fusebox/backend/hooks"},
	"fusebox/frontend": {},
	// demo holds what exists only for the demo workspace (its file, org
	// id, built-in relay secret); a leaf, so every door may hand it on.
	"fusebox/backend/demo":    {},
	"fusebox/backend/errs":    {},
	"fusebox/backend/csvsafe": {},
	"fusebox/backend/ingest":  {},
	"fusebox/backend/schema":  {"fusebox/backend/errs", "fusebox/backend/hooks"},
	// hooks is the JavaScript sandbox: a leaf that schema compiles with.
	"fusebox/backend/hooks": {},
	"fusebox/backend/sink":  {"fusebox/backend/errs", "fusebox/backend/store", "fusebox/backend/keyring"},
	// ingesttest writes test workbooks for the ingest and security tests.
	"fusebox/backend/ingest/ingesttest": {},
	// store names the uploads migrate-to-postgres copies with ids (a leaf).
	"fusebox/backend/store":       {"fusebox/backend/ids"},
	"fusebox/backend/netguard":    {},
	"fusebox/backend/keyring":     {},
	"fusebox/backend/ids":         {},
	"fusebox/backend/workspace":   {"fusebox/backend/errs", "fusebox/backend/store"},
	"fusebox/backend/importer":    {"fusebox/backend/errs", "fusebox/backend/store", "fusebox/backend/ingest", "fusebox/backend/schema", "fusebox/backend/ids", "fusebox/backend/csvsafe", "fusebox/backend/hooks"},
	"fusebox/backend/sessions":    {"fusebox/backend/errs", "fusebox/backend/store", "fusebox/backend/keyring", "fusebox/backend/ids"},
	"fusebox/backend/marketplace": {"fusebox/backend/errs", "fusebox/backend/store", "fusebox/backend/netguard", "fusebox/backend/keyring", "fusebox/backend/ids"},
	"fusebox/backend/relay":       {"fusebox/backend/errs", "fusebox/backend/store", "fusebox/backend/netguard", "fusebox/backend/ids"},
	// stats reads the dashboard's figures across the domains' tables.
	"fusebox/backend/stats": {"fusebox/backend/errs", "fusebox/backend/store"},
	// datatest, teamtest and reliability hold only tests that drive the
	// real binary.
	"fusebox/app/datatest":              {},
	"fusebox/app/teamtest":              {},
	"fusebox/backend/relay/reliability": {},
	// testbin builds and runs the real binary for those tests.
	"fusebox/app/testbin": {},
	"fusebox/backend/httpapi": {"fusebox/backend/demo", "fusebox/backend/errs", "fusebox/backend/csvsafe", "fusebox/backend/ids", "fusebox/backend/store", "fusebox/backend/workspace",
		"fusebox/backend/importer", "fusebox/backend/schema", "fusebox/backend/sessions", "fusebox/backend/marketplace", "fusebox/backend/relay", "fusebox/backend/sink", "fusebox/backend/stats"},
	// Test helpers: a database of a test's own on the run's engine
	// (storetest), on the PostgreSQL test cluster (pgtest).
	"fusebox/backend/store/storetest": {"fusebox/backend/store", "fusebox/internal/pgtest"},
	"fusebox/internal/pgtest":         {},
	// docsample finds the docs' marked code samples for the tests that run them.
	"fusebox/internal/docsample": {},
}

// TestDependencyDirection checks every package of the module against
// allowedImports (test files aside).
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "fusebox/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		seen[pkg] = true
		allowed, known := allowedImports[pkg]
		if !known {
			t.Errorf("package %s is not in allowedImports: decide where it sits in the dependency direction", pkg)
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, "fusebox/") {
				continue
			}
			if imp == "fusebox/app/cli" && pkg != "fusebox" {
				t.Errorf("%s imports fusebox/app/cli: only main may", pkg)
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || a == imp
			}
			if !ok {
				t.Errorf("%s imports %s, against the dependency direction", pkg, imp)
			}
		}
	}
	for pkg := range allowedImports {
		if !seen[pkg] {
			t.Errorf("allowedImports names %s, which go list did not find", pkg)
		}
	}
}
