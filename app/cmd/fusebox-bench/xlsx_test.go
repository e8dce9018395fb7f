package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
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

// SheetJS runs under a budget: a run past it is stopped and reported as
// over (the ratio is then a lower bound), a run within it is timed.
func TestTimedRunStopsAtTheBudget(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed (make test installs it):", err)
	}
	ctx := context.Background()
	t0 := time.Now()
	_, why, over := timedRun(ctx, 300*time.Millisecond, node, "-e", "setTimeout(() => {}, 20000)")
	if !over || why != "" || time.Since(t0) > 10*time.Second {
		t.Fatalf("a 20 s run with a 300 ms budget: over %v, why %q, after %s", over, why, time.Since(t0))
	}
	res, why, over := timedRun(ctx, time.Minute, node, "-e", "console.log(42)")
	if over || why != "" || res.out != "42" {
		t.Fatalf("a quick run: over %v, why %q, out %q", over, why, res.out)
	}
	if _, why, over = timedRun(ctx, time.Minute, node, "-e", "process.exit(3)"); over || !strings.Contains(why, "exit status 3") {
		t.Fatalf("a failing run: over %v, why %q", over, why)
	}
}
