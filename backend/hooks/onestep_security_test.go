package hooks

import (
	"runtime"
	"testing"
	"time"
)

// The allocation budget is sampled between steps, so a built-in that makes
// a huge result in one step must be refused before it runs: joins,
// replacements, concatenation and JSON.stringify of shared structures.
func TestSecurityHookOneStepBuiltinsAreCapped(t *testing.T) {
	for name, src := range map[string]string{
		"join":            `function (row) { return {values: {sku: Array(200).join("x".repeat(1000000))}} }`,
		"join of strings": `function (row) { var s = "x".repeat(1000000), a = []; for (var i = 0; i < 300; i++) a.push(s); return {values: {sku: a.join("").length}} }`,
		"replaceAll":      `function (row) { return {values: {sku: "y".repeat(1000000).replaceAll("y", "x".repeat(1000)).length}} }`,
		"replace /g":      `function (row) { return {values: {sku: "y".repeat(1000000).replace(/y/g, "x".repeat(1000)).length}} }`,
		"replace fn":      `function (row) { var big = "x".repeat(1000000); return {values: {sku: "y".repeat(1000).replace(/y/g, function () { return big }).length}} }`,
		"concat":          `function (row) { var s = "x".repeat(1000000); return {values: {sku: s.concat(s, s, s).length}} }`,
		"stringify":       `function (row) { var a = ["x".repeat(100000)]; for (var i = 0; i < 20; i++) a = [a, a]; return {values: {sku: JSON.stringify(a).length}} }`,
	} {
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res := run(t, src, nil, Limits{Call: 30 * time.Second, Memory: 64 << 20}, "a", "b", "1")
			runtime.ReadMemStats(&after)
			oneError(t, res, 0, `hook "row"`, "too long")
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Fatalf("allocated %d MB before refusing", alloc>>20)
			}
		})
	}
	// Ordinary use stays possible, with the same results.
	p, err := Compile(keys, `function (row) { return {values: {sku: ["a", "b"].join("-") + "ab".replace(/b/g, "c") + "x".concat("y") + JSON.stringify({k: [1, 2]}) + "ab".replaceAll("", "-") + "a1b2".replace(/\d/g, "<$&>") + JSON.stringify({a: 1, b: 2}, ["a"])}} }`, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cells := []string{"a", "b", "1"}
	var res Result
	r.Run(cells, &res)
	if len(res.Findings) != 0 {
		t.Fatalf("ordinary calls refused: %+v", res.Findings)
	}
	if want := `a-bacxy{"k":[1,2]}-a-b-a<1>b<2>{"a":1}`; cells[1] != want {
		t.Fatalf("ordinary results: %q, want %q", cells[1], want)
	}
}

// Function and eval are removed; a function's constructor must not bring
// the Function constructor (dynamic code) back.
func TestSecurityHookNoFunctionConstructor(t *testing.T) {
	for _, src := range []string{
		`function (row) { return {values: {sku: (function(){}).constructor("return 1")()}} }`,
		`function (row) { return {values: {sku: (function*(){}).constructor("yield 1")().next().value}} }`,
	} {
		res := run(t, src, nil, Limits{}, "a", "b", "1")
		oneError(t, res, 0, `hook "row" threw`)
	}
}
