package hooks

import (
	"strings"
	"testing"
	"time"
)

var keys = []string{"email", "sku", "qty"}

func run(t *testing.T, row string, cols map[string]string, lim Limits, cells ...string) Result {
	t.Helper()
	p, err := Compile(keys, row, cols, lim)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	r, err := p.NewRunner()
	if err != nil {
		t.Fatalf("runner: %v", err)
	}
	defer r.Close()
	var res Result
	r.Run(cells, &res)
	return res
}

func oneError(t *testing.T, res Result, col int, want ...string) {
	t.Helper()
	if len(res.Findings) != 1 || res.Findings[0].Col != col || res.Findings[0].Severity != Error {
		t.Fatalf("want one error on column %d, got %+v", col, res.Findings)
	}
	for _, w := range want {
		if !strings.Contains(res.Findings[0].Message, w) {
			t.Errorf("message %q does not say %q", res.Findings[0].Message, w)
		}
	}
}

func TestRowHookErrorsWarningsValues(t *testing.T) {
	cells := []string{"A@x.com", "X-1", "3"}
	var res Result
	p, _ := Compile(keys, `function (row) { return {errors: {sku: "discontinued"}, warnings: {qty: ["small", "odd"]}, values: {email: row.email.toLowerCase()}} }`, nil, Limits{})
	r, _ := p.NewRunner()
	defer r.Close()
	r.Run(cells, &res)
	if cells[0] != "a@x.com" || len(res.Changed) != 1 || res.Changed[0] != 0 {
		t.Fatalf("value not replaced: %v %v", cells, res.Changed)
	}
	want := []Finding{{1, Error, "discontinued"}, {2, Warning, "small"}, {2, Warning, "odd"}}
	if len(res.Findings) != len(want) {
		t.Fatalf("findings %+v, want %+v", res.Findings, want)
	}
	for i := range want {
		if res.Findings[i] != want[i] {
			t.Errorf("finding %d: %+v, want %+v", i, res.Findings[i], want[i])
		}
	}
}

func TestColumnHook(t *testing.T) {
	res := run(t, "", map[string]string{"qty": `function (v, row) { if (Number(v) > 2) return "too many for " + row.sku }`}, Limits{}, "a@x.com", "S1", "3")
	oneError(t, res, 2, "too many for S1")
	cells := []string{"a@x.com", " s1 ", "1"}
	p, _ := Compile(keys, "", map[string]string{"sku": `v => ({value: v.trim().toUpperCase(), warning: "normalised"})`}, Limits{})
	r, _ := p.NewRunner()
	defer r.Close()
	r.Run(cells, &res)
	if cells[1] != "S1" || len(res.Findings) != 1 || res.Findings[0].Severity != Warning {
		t.Fatalf("got %v %+v", cells, res.Findings)
	}
}

func TestCompileRefusesSyntaxErrorNamingLine(t *testing.T) {
	_, err := Compile(keys, "function (row) {\n  var x = ;\n}", nil, Limits{})
	if err == nil || !strings.Contains(err.Error(), `hook "row"`) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("want a syntax error naming the row hook and line 2, got %v", err)
	}
	_, err = Compile(keys, "", map[string]string{"sku": "function (v) {\n\n return v +\n}"}, Limits{})
	if err == nil || !strings.Contains(err.Error(), `hook "column.sku"`) || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("want a syntax error naming column.sku and line 4, got %v", err)
	}
	_, err = Compile(keys, "42", nil, Limits{})
	if err == nil || !strings.Contains(err.Error(), "must be a function") {
		t.Fatalf("want 'must be a function', got %v", err)
	}
	_, err = Compile(keys, "", map[string]string{"nope": "v => v"}, Limits{})
	if err == nil || !strings.Contains(err.Error(), `no column with key "nope"`) {
		t.Fatalf("want unknown column, got %v", err)
	}
}

func TestThrowNamesHookAndLine(t *testing.T) {
	res := run(t, "function (row) {\n  if (row.qty) {\n    throw new Error(\"boom\")\n  }\n}", nil, Limits{}, "a", "b", "1")
	oneError(t, res, 0, `hook "row"`, "Error: boom", "line 3")
}

func TestInfiniteLoopIsInterrupted(t *testing.T) {
	start := time.Now()
	res := run(t, "function (row) {\n  var i = 0;\n  for (;;) { i++ }\n}", nil, Limits{Call: 20 * time.Millisecond}, "a", "b", "1")
	oneError(t, res, 0, `hook "row"`, "time budget", "line 3")
	if time.Since(start) > 10*time.Second {
		t.Fatalf("the loop was not stopped")
	}
}

func TestHugeAllocationIsRefused(t *testing.T) {
	// one step: refused before allocating
	res := run(t, `function (row) { return {values: {sku: "x".repeat(1 << 30)}} }`, nil, Limits{}, "a", "b", "1")
	oneError(t, res, 0, `hook "row"`, "RangeError", "too long")
	res = run(t, `function (row) { var a = new Array(1e9); return {values: {sku: a.length}} }`, nil, Limits{}, "a", "b", "1")
	oneError(t, res, 0, "too long")
	// many steps: interrupted by the allocation budget (the time budget is
	// far away so only memory can stop it)
	res = run(t, "function (row) {\n  var keep = [];\n  for (;;) { keep.push(new Array(1000).join('x') + keep.length) }\n}", nil,
		Limits{Call: time.Hour, Memory: 16 << 20}, "a", "b", "1")
	oneError(t, res, 0, `hook "row"`, "memory budget", "line 3")
}

func TestNothingOutsideTheRow(t *testing.T) {
	res := run(t, `function (row) {
		var seen = [typeof require, typeof process, typeof fetch, typeof setTimeout, typeof setInterval,
		            typeof globalThis.require, typeof XMLHttpRequest, typeof console, typeof eval, typeof Math.random];
		return {errors: {sku: seen.join(",")}, values: {qty: String(Date.now()) + "|" + new Date().toISOString()}}
	}`, nil, Limits{}, "a", "b", "1")
	if len(res.Findings) != 1 || res.Findings[0].Message != strings.Repeat("undefined,", 9)+"undefined" {
		t.Fatalf("something outside the row is reachable: %+v", res.Findings)
	}
	for _, src := range []string{
		`function (row) { require("fs") }`,
		`function (row) { process.exit(1) }`,
		`function (row) { fetch("http://127.0.0.1/") }`,
		`function (row) { setTimeout(function () {}, 1) }`,
		`function (row) { globalThis.leak = 1 }`,
		`function (row) { Array.prototype.leak = 1 }`,
		`function (row) { leaked = 1 }`,
	} {
		res := run(t, src, nil, Limits{}, "a", "b", "1")
		oneError(t, res, 0, `hook "row" threw`)
	}
}

func TestDeterministicAndNoStateAcrossRows(t *testing.T) {
	p, err := Compile(keys, `function (row) { return {values: {qty: String(Date.now())}} }`, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 2; i++ {
		r, _ := p.NewRunner()
		cells := []string{"a", "b", "1"}
		var res Result
		r.Run(cells, &res)
		r.Close()
		got = append(got, cells[2])
	}
	if got[0] != got[1] || got[0] != "946684800000" {
		t.Fatalf("Date.now is not fixed: %v", got)
	}
}

func TestImportBudget(t *testing.T) {
	p, err := Compile(keys, "function (row) { var t = 0; for (var i = 0; i < 2e5; i++) t += i; }", nil, Limits{Import: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.NewRunner()
	defer r.Close()
	var res Result
	r.Run([]string{"a", "b", "1"}, &res)
	r.Run([]string{"a", "b", "1"}, &res)
	oneError(t, res, 0, "time budget")
}

func BenchmarkNewRunner(b *testing.B) {
	p, _ := Compile(keys, `function (row) { if (row.sku === "X") return {errors: {sku: "no"}} }`, nil, Limits{})
	for i := 0; i < b.N; i++ {
		r, _ := p.NewRunner()
		r.Close()
	}
}

func BenchmarkRowCall(b *testing.B) {
	p, _ := Compile(keys, `function (row) { if (row.sku === "X") return {errors: {sku: "no"}} }`, nil, Limits{})
	r, _ := p.NewRunner()
	defer r.Close()
	cells := []string{"a@x.com", "S1", "3"}
	var res Result
	for i := 0; i < b.N; i++ {
		r.Run(cells, &res)
	}
}

// The bench's shape: ten columns, a hook that reads one.
func BenchmarkRowCall10Columns(b *testing.B) {
	keys := []string{"email", "name", "company", "country", "plan", "seats", "price", "start", "active", "notes"}
	p, err := Compile(keys, `function (row) { if (row.company.length > 100) return {warnings: {company: "long"}} }`, nil, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	r, _ := p.NewRunner()
	defer r.Close()
	cells := []string{"a@x.com", "Ada", "Acme", "GB", "pro", "3", "9.5", "2024-01-01", "true", ""}
	var res Result
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Run(cells, &res)
	}
}

// The row a hook gets behaves as a plain object of strings: reads,
// keys in column order, spread, JSON, in, writes and deletes that stay on
// the object (no cell changes), added properties; each call gets a fresh
// row, so nothing written in one call is seen by the next.
func TestRowObjectBehavesAsAPlainObject(t *testing.T) {
	p, err := Compile(keys, `function (row) {
  var seen = [typeof row.qty, Object.keys(row).join(","), JSON.stringify(row), "sku" in row, "nope" in row,
    Object.assign({}, row).email, row.hasOwnProperty("qty"), String(row.nope), row.mark === undefined];
  row.email = "changed"; row.mark = 1; delete row.sku;
  seen.push(row.email, Object.keys(row).join(","), "sku" in row, JSON.stringify({...row}));
  for (var k in row) seen.push(k);
  return {warnings: {email: seen.join(" | ")}}
}`, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := `string | email,sku,qty | {"email":"a@x.com","sku":"S-1","qty":"3"} | true | false | a@x.com | true | undefined | true | ` +
		`changed | email,qty,mark | false | {"email":"changed","qty":"3","mark":1} | email | qty | mark`
	for i := 0; i < 2; i++ {
		cells := []string{"a@x.com", "S-1", "3"}
		var res Result
		r.Run(cells, &res)
		if len(res.Findings) != 1 || res.Findings[0].Message != want {
			t.Fatalf("call %d: got %+v\nwant %s", i, res.Findings, want)
		}
		if cells[0] != "a@x.com" || cells[1] != "S-1" || len(res.Changed) != 0 {
			t.Fatalf("writes to the row object changed cells: %q %v", cells, res.Changed)
		}
	}
}
