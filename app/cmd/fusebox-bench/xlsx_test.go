package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary run the benchmarks' child steps, as the
// bench binary does.
func TestMain(m *testing.M) {
	if code, ran := runChildIfAsked(); ran {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestBenchXLSXSmoke(t *testing.T) {
	code, out, errb := runBench(t, "xlsx", "--rows", "2000", "--sheetjs=false")
	// at this size the targets are not meaningful: exit 3 (a target
	// missed) is accepted, a failure to run is not
	if code != 0 && code != 3 {
		t.Fatalf("bench: %d %s %s", code, out, errb)
	}
	for _, want := range []string{"generate", "import CSV", "import XLSX", "x CSV, target <= 2x", "parse XLSX (Fusebox)", "parse XLSX (SheetJS) skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "xlsx rows=2000 import_ratio_vs_csv=") {
		t.Fatalf("last line %q", last)
	}
}
