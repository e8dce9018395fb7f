package hooks

import (
	"strings"
	"testing"
	"time"
)

// TestSecurityHookCodeRunsOnlyWithinItsBudget: a hook's code can run after
// its function has returned, when its answer is read (a getter, a
// toString, a Proxy's traps, Export of an object) or its exception is
// described (a thrown object's toString), and before its function exists
// (the source is an expression: a call in front of a comma runs when the
// runner is made). All of it must be under the per-call time budget; a
// loop there kept a goroutine spinning forever (a staging that never
// ends, the console's two hook-try slots taken for good).
func TestSecurityHookCodeRunsOnlyWithinItsBudget(t *testing.T) {
	lim := Limits{Call: 50 * time.Millisecond}
	within := func(t *testing.T, what string, f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); f() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second): // a liveness bound, not a timing: the budget is 50 ms
			t.Fatalf("%s: still running after 20 s: hook code ran outside its budget", what)
		}
	}
	for name, c := range map[string]struct {
		row  string
		cols map[string]string
		col  int
	}{
		"column getter":         {cols: map[string]string{"sku": `function (v) { return {get error() { for (;;) {} }} }`}, col: 1},
		"column value toString": {cols: map[string]string{"sku": `function (v) { return {value: {toString: function () { for (;;) {} }}} }`}, col: 1},
		"column array message":  {cols: map[string]string{"sku": `function (v) { return {warning: [{toString: function () { for (;;) {} }}]} }`}, col: 1},
		"column export":         {cols: map[string]string{"sku": `function (v) { var o = {}; Object.defineProperty(o, "x", {enumerable: true, get: function () { for (;;) {} }}); return o }`}, col: 1},
		"thrown toString":       {cols: map[string]string{"sku": `function (v) { throw {toString: function () { for (;;) {} }} }`}, col: 1},
		"row values proxy":      {row: `function (row) { return {values: new Proxy({}, {ownKeys: function () { for (;;) {} }})} }`},
		"row errors getter":     {row: `function (row) { return {get errors() { for (;;) {} }} }`},
		"row value toString":    {row: `function (row) { return {values: {sku: {toString: function () { for (;;) {} }}}} }`},
	} {
		t.Run(name, func(t *testing.T) {
			within(t, name, func() {
				res := run(t, c.row, c.cols, lim, "a", "b", "1")
				if len(res.Findings) == 0 || res.Findings[0].Col != c.col || res.Findings[0].Severity != Error {
					t.Errorf("want an error on column %d, got %+v", c.col, res.Findings)
				}
			})
		})
	}
	// Code in front of the function runs when the runner is made.
	within(t, "source expression", func() {
		p, err := Compile(keys, `(function () { for (;;) {} })(), function (row) {}`, nil, lim)
		if err == nil {
			var r *Runner
			if r, err = p.NewRunner(); err == nil {
				r.Close()
				t.Fatal("a source that loops before it gives its function made a runner")
			}
		}
		if !strings.Contains(err.Error(), "time budget") {
			t.Errorf("error %q does not name the time budget", err)
		}
	})
}
