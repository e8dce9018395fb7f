// Package hooks runs an importer's JavaScript hooks (hooks.row and
// hooks.column.<key> in the definition) in a sandbox: an embedded
// interpreter (goja, pure Go) with nothing but the language's own
// built-ins, no I/O, timers, network or module loader, a fixed clock, no
// Math.random, frozen globals (so one row cannot leave state for the
// next), a time budget per call and per import, and an allocation budget
// per call.
//
// What is enforced, precisely:
//   - Time: a watchdog goroutine samples the running call every
//     millisecond and interrupts it past Limits.Call; the calls' total time
//     is counted against Limits.Import, after which the remaining rows are
//     not run and get an error instead. Reading a hook's answer (its
//     getters, toString, a Proxy's traps), describing what it threw and
//     running its source to get its function are budgeted calls too.
//   - Memory: the watchdog reads the Go runtime's cumulative heap
//     allocation counter (runtime/metrics /gc/heap/allocs:bytes) at the
//     same samples and interrupts a call that allocated more than
//     Limits.Memory since the first sample taken during it (allocations
//     in the call's first millisecond are not counted). The counter is process-wide, so work
//     running concurrently is counted too, and a single built-in operation
//     finishes before the interrupt lands (a call can overshoot by the size
//     of its last allocation). String.prototype.repeat, padStart and
//     padEnd and the Array constructor refuse results longer than
//     Limits.MaxLength up front, so the one-step huge allocations are
//     refused rather than sampled.
//   - Stack: at most 512 nested calls.
package hooks

import (
	"errors"
	"fmt"
	"regexp"
	"runtime/metrics"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// Limits are a runner's budgets. Zero fields take the defaults.
type Limits struct {
	Call      time.Duration // one call of one hook
	Import    time.Duration // all calls of one import (one Runner)
	Memory    int64         // bytes allocated by one call
	MaxLength int           // longest string or array a built-in may create in one step
}

// Default budgets.
const (
	DefaultCall      = 100 * time.Millisecond
	DefaultImport    = 10 * time.Minute
	DefaultMemory    = 64 << 20
	DefaultMaxLength = 1 << 20
)

// The most a definition may ask for: a call that runs longer would hold
// a staging worker (or one of the console's hook-try slots) too long.
const (
	MaxCall   = 10 * time.Second
	MaxImport = time.Hour
	MaxMemory = 512 << 20
)

func (l Limits) withDefaults() Limits {
	if l.Call <= 0 {
		l.Call = DefaultCall
	}
	if l.Import <= 0 {
		l.Import = DefaultImport
	}
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	if l.MaxLength <= 0 {
		l.MaxLength = DefaultMaxLength
	}
	return l
}

// Program is a compiled set of hooks for one importer. It is safe for
// concurrent use; each goroutine runs it through its own Runner.
type Program struct {
	keys   []string       // the importer's column keys, in column order
	index  map[string]int // column key -> column
	row    *goja.Program
	cols   []colProgram
	limits Limits
}

type colProgram struct {
	col  int
	name string
	prg  *goja.Program
}

// Compile compiles the row hook (may be empty) and the column hooks
// (column key -> source) of an importer whose columns are keys. Each
// source is a JavaScript function expression, e.g.
//
//	function (row) { if (row.sku.startsWith("X-")) return {errors: {sku: "discontinued"}} }
//
// The error names the hook and the line of a syntax error.
func Compile(keys []string, row string, columns map[string]string, lim Limits) (*Program, error) {
	p := &Program{keys: keys, index: make(map[string]int, len(keys)), limits: lim.withDefaults()}
	for i, k := range keys {
		p.index[k] = i
	}
	var problems []string
	if strings.TrimSpace(row) != "" {
		prg, err := compileHook("row", row)
		if err != nil {
			problems = append(problems, err.Error())
		}
		p.row = prg
	}
	names := make([]string, 0, len(columns))
	for k := range columns {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		name := "column." + k
		ci := indexOf(keys, k)
		if ci < 0 {
			problems = append(problems, fmt.Sprintf("hook %q: no column with key %q", name, k))
			continue
		}
		if strings.TrimSpace(columns[k]) == "" {
			continue
		}
		prg, err := compileHook(name, columns[k])
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		p.cols = append(p.cols, colProgram{col: ci, name: name, prg: prg})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	// Evaluate once: the source must be a function.
	r, err := p.NewRunner()
	if err != nil {
		return nil, err
	}
	r.Close()
	return p, nil
}

// Empty reports whether there is no hook to run.
func (p *Program) Empty() bool { return p == nil || (p.row == nil && len(p.cols) == 0) }

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

// compileHook compiles one hook's source as a strict-mode expression. The
// wrapper adds nothing before the source's first line, so lines match.
func compileHook(name, src string) (*goja.Program, error) {
	prg, err := goja.Compile(name, `"use strict";(`+src+"\n)", true)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) {
			if m := syntaxRE.FindStringSubmatch(se.Message); m != nil {
				return nil, fmt.Errorf("hook %q: syntax error at line %s: %s", name, m[1], m[2])
			}
			return nil, fmt.Errorf("hook %q: syntax error: %s", name, se.Message)
		}
		return nil, fmt.Errorf("hook %q: %v", name, err)
	}
	return prg, nil
}

// syntaxRE reads goja's "row: Line 2:11 Unexpected token ; (and 2 more errors)".
var syntaxRE = regexp.MustCompile(`Line (\d+):\d+ (.*?)(?: \(and \d+ more errors?\))?$`)

// Severity of a finding.
const (
	Error   = "error"
	Warning = "warning"
)

// Finding is one error or warning a hook reported on a column.
type Finding struct {
	Col      int
	Severity string
	Message  string
}

// Result is what the hooks said about one row.
type Result struct {
	Findings []Finding
	Changed  []int // columns whose value a hook replaced (cells were updated)
}

func (r *Result) reset() {
	r.Findings = r.Findings[:0]
	r.Changed = r.Changed[:0]
}

// Runner runs a Program's hooks on rows, one row at a time, from one
// goroutine. Close it when done: it stops the watchdog.
type Runner struct {
	p     *Program
	vm    *goja.Runtime
	row   goja.Callable
	cols  []goja.Callable
	used  time.Duration
	spent bool

	mu       sync.Mutex
	running  bool
	guard    goja.Callable // runs pending under the budget
	pending  func()
	watching bool
	closed   bool
	seq      uint64
	start    time.Time
	sample   []metrics.Sample
}

type budgetErr struct{ what string }

func (b budgetErr) Error() string { return b.what }

// NewRunner prepares a sandboxed interpreter with the program's hooks.
func (p *Program) NewRunner() (*Runner, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(512)
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	vm.SetTimeSource(func() time.Time { return epoch })
	vm.SetRandSource(func() float64 { return 0 })
	if err := sandbox(vm, p.limits.MaxLength); err != nil {
		return nil, fmt.Errorf("hooks: sandbox: %w", err)
	}
	r := &Runner{p: p, vm: vm,
		sample: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}}
	// Go code that reads a hook's answer can run the hook's code (getters,
	// toString, a Proxy's traps): it runs as this function, a call under
	// the budget like the hook's own.
	r.guard, _ = goja.AssertFunction(vm.ToValue(func(goja.FunctionCall) goja.Value {
		r.pending()
		return goja.Undefined()
	}))
	fn := func(name string, prg *goja.Program) (goja.Callable, error) {
		var v goja.Value
		err := r.watched(func() (err error) { v, err = vm.RunProgram(prg); return err })
		if err != nil {
			return nil, fmt.Errorf("hook %q: %s", name, r.describe(err))
		}
		f, ok := goja.AssertFunction(v)
		if !ok {
			return nil, fmt.Errorf("hook %q: the source must be a function, e.g. function (row) { ... }", name)
		}
		return f, nil
	}
	var err error
	if p.row != nil {
		if r.row, err = fn("row", p.row); err != nil {
			return nil, err
		}
	}
	for _, c := range p.cols {
		f, err := fn(c.name, c.prg)
		if err != nil {
			return nil, err
		}
		r.cols = append(r.cols, f)
	}
	return r, nil
}

// Close stops the runner's watchdog (it also stops by itself after a
// second without calls, so a runner that is dropped leaks nothing).
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

func (r *Runner) allocs() uint64 {
	metrics.Read(r.sample)
	return r.sample[0].Value.Uint64()
}

// watch interrupts a call past its time or allocation budget. It runs
// while calls are made and stops when the runner is closed or idle.
func (r *Runner) watch() {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	var seenSeq, base uint64
	idle := 0
	for range t.C {
		r.mu.Lock()
		if r.closed || (!r.running && idle >= 1000) {
			r.watching = false
			r.mu.Unlock()
			return
		}
		idle++
		if r.running {
			idle = 0
			if r.seq != seenSeq {
				// the call's allocations count from its first sample
				seenSeq, base = r.seq, r.allocs()
			} else if time.Since(r.start) > r.p.limits.Call {
				r.vm.Interrupt(budgetErr{fmt.Sprintf("ran out of its time budget (%s per row)", r.p.limits.Call)})
			} else if a := r.allocs(); a-base > uint64(r.p.limits.Memory) {
				r.vm.Interrupt(budgetErr{fmt.Sprintf("ran out of its memory budget (%d MB per row)", r.p.limits.Memory>>20)})
			}
		}
		r.mu.Unlock()
	}
}

func (r *Runner) call(f goja.Callable, args ...goja.Value) (goja.Value, error) {
	var v goja.Value
	err := r.watched(func() (err error) { v, err = f(goja.Undefined(), args...); return err })
	return v, err
}

// watched runs fn, which runs JavaScript, under the watchdog: one call's
// time and allocation budgets.
func (r *Runner) watched(fn func() error) error {
	r.mu.Lock()
	r.running = true
	r.seq++
	r.start = time.Now()
	if !r.watching {
		r.watching = true
		go r.watch()
	}
	r.mu.Unlock()
	err := fn()
	r.mu.Lock()
	r.running = false
	r.vm.ClearInterrupt()
	r.used += time.Since(r.start)
	r.mu.Unlock()
	return err
}

// guarded runs Go code that reads JavaScript values (and so may run a
// hook's getters or toString) as a budgeted call; an interrupt or a throw
// there is its error.
func (r *Runner) guarded(v goja.Value, fn func()) error {
	if _, ok := v.(*goja.Object); !ok {
		fn() // a primitive runs no code when read
		return nil
	}
	r.pending = fn
	defer func() { r.pending = nil }()
	_, err := r.call(r.guard)
	return err
}

// describe is describe under the budget: a thrown object's toString is
// the hook's code. When that fails too, the value is not shown.
func (r *Runner) describe(err error) string {
	var thrown goja.Value
	if ex, ok := err.(*goja.Exception); ok {
		thrown = ex.Value()
	}
	var msg string
	if gerr := r.guarded(thrown, func() { msg = describe(err) }); gerr != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			return withLine("threw a value that cannot be shown", ex.Stack())
		}
		return "failed: " + err.Error()
	}
	return msg
}

// Run runs the column hooks, then the row hook, on one row whose cells
// are in column order; values the hooks replace are written into cells.
// A hook that throws or runs out of budget gives an error finding naming
// the hook and the line. out is reset and reused.
func (r *Runner) Run(cells []string, out *Result) {
	out.reset()
	if r.spent || r.used > r.p.limits.Import {
		r.spent = true
		col := 0
		if r.row == nil && len(r.p.cols) > 0 {
			col = r.p.cols[0].col
		}
		out.Findings = append(out.Findings, Finding{Col: col, Severity: Error,
			Message: fmt.Sprintf("hooks were not run: they used up this import's time budget (%s)", r.p.limits.Import)})
		return
	}
	for i, f := range r.cols {
		c := r.p.cols[i]
		v, err := r.call(f, r.vm.ToValue(cells[c.col]), r.rowObject(cells))
		if err == nil {
			err = r.guarded(v, func() { r.columnResult(c, v, cells, out) })
		}
		if err != nil {
			out.Findings = append(out.Findings, Finding{Col: c.col, Severity: Error, Message: fmt.Sprintf("hook %q %s", c.name, r.describe(err))})
		}
	}
	if r.row != nil {
		v, err := r.call(r.row, r.rowObject(cells))
		if err == nil {
			err = r.guarded(v, func() { r.rowResult(v, cells, out) })
		}
		if err != nil {
			out.Findings = append(out.Findings, Finding{Col: 0, Severity: Error, Message: fmt.Sprintf("hook \"row\" %s", r.describe(err))})
			return
		}
	}
}

// rowObject is the row a hook gets: an object whose column properties are
// read from cells when the hook reads them, so a hook that looks at one
// column does not pay for converting ten (5.1 µs -> 1.x µs a call with
// ten columns). It behaves as a plain object of strings: writes, deletes
// and new properties stay on the object (they change no cell), keys come
// in column order, then the added ones.
func (r *Runner) rowObject(cells []string) *goja.Object {
	return r.vm.NewDynamicObject(&rowView{r: r, cells: cells})
}

type rowView struct {
	r     *Runner
	cells []string
	over  map[string]goja.Value // written or deleted (nil value) properties
	added []string              // keys of properties that are not columns, in order of addition
}

func (v *rowView) Get(key string) goja.Value {
	if x, ok := v.over[key]; ok {
		return x
	}
	if ci, ok := v.r.p.index[key]; ok {
		return v.r.vm.ToValue(v.cells[ci])
	}
	return nil
}

func (v *rowView) Set(key string, val goja.Value) bool {
	if v.over == nil {
		v.over = map[string]goja.Value{}
	}
	if _, col := v.r.p.index[key]; !col {
		if x, ok := v.over[key]; !ok || x == nil {
			v.added = append(v.added, key)
		}
	}
	v.over[key] = val
	return true
}

func (v *rowView) Has(key string) bool {
	if x, ok := v.over[key]; ok {
		return x != nil
	}
	_, col := v.r.p.index[key]
	return col
}

func (v *rowView) Delete(key string) bool {
	if !v.Has(key) {
		return true
	}
	if v.over == nil {
		v.over = map[string]goja.Value{}
	}
	v.over[key] = nil
	if _, col := v.r.p.index[key]; !col {
		for i, k := range v.added {
			if k == key {
				v.added = append(v.added[:i], v.added[i+1:]...)
				break
			}
		}
	}
	return true
}

func (v *rowView) Keys() []string {
	keys := make([]string, 0, len(v.r.p.keys)+len(v.added))
	for _, k := range v.r.p.keys {
		if x, ok := v.over[k]; !ok || x != nil {
			keys = append(keys, k)
		}
	}
	return append(keys, v.added...)
}

// columnResult reads a column hook's answer: nothing, a string (an
// error), or {error, warning, value}.
func (r *Runner) columnResult(c colProgram, v goja.Value, cells []string, out *Result) {
	if isNothing(v) {
		return
	}
	if s, ok := v.Export().(string); ok {
		out.Findings = append(out.Findings, Finding{Col: c.col, Severity: Error, Message: s})
		return
	}
	o, ok := v.(*goja.Object)
	if !ok {
		out.Findings = append(out.Findings, Finding{Col: c.col, Severity: Error,
			Message: fmt.Sprintf("hook %q returned %s: want nothing, a message or {error, warning, value}", c.name, v.String())})
		return
	}
	for _, m := range messages(o.Get("error")) {
		out.Findings = append(out.Findings, Finding{Col: c.col, Severity: Error, Message: m})
	}
	for _, m := range messages(o.Get("warning")) {
		out.Findings = append(out.Findings, Finding{Col: c.col, Severity: Warning, Message: m})
	}
	if nv := o.Get("value"); nv != nil && !goja.IsUndefined(nv) {
		r.set(c.col, nv, cells, out)
	}
}

// rowResult reads a row hook's answer: nothing or {errors, warnings,
// values}, each keyed by column key.
func (r *Runner) rowResult(v goja.Value, cells []string, out *Result) {
	if isNothing(v) {
		return
	}
	o, ok := v.(*goja.Object)
	if !ok {
		out.Findings = append(out.Findings, Finding{Col: 0, Severity: Error,
			Message: fmt.Sprintf("hook \"row\" returned %s: want nothing or {errors, warnings, values}", v.String())})
		return
	}
	for _, part := range []struct{ name, sev string }{{"errors", Error}, {"warnings", Warning}} {
		po, ok := o.Get(part.name).(*goja.Object)
		if !ok {
			continue
		}
		for _, k := range po.Keys() {
			ci := indexOf(r.p.keys, k)
			if ci < 0 {
				out.Findings = append(out.Findings, Finding{Col: 0, Severity: Error,
					Message: fmt.Sprintf("hook \"row\" reported %s on %q, which is not a column", part.name, k)})
				continue
			}
			for _, m := range messages(po.Get(k)) {
				out.Findings = append(out.Findings, Finding{Col: ci, Severity: part.sev, Message: m})
			}
		}
	}
	if vo, ok := o.Get("values").(*goja.Object); ok {
		for _, k := range vo.Keys() {
			if ci := indexOf(r.p.keys, k); ci >= 0 {
				r.set(ci, vo.Get(k), cells, out)
			}
		}
	}
}

func (r *Runner) set(ci int, v goja.Value, cells []string, out *Result) {
	s := ""
	if !isNothing(v) {
		s = v.String()
	}
	if s == cells[ci] {
		return
	}
	cells[ci] = s
	for _, c := range out.Changed {
		if c == ci {
			return
		}
	}
	out.Changed = append(out.Changed, ci)
}

func isNothing(v goja.Value) bool {
	return v == nil || goja.IsUndefined(v) || goja.IsNull(v) || v == goja.Value(nil)
}

// messages reads a message or an array of messages.
func messages(v goja.Value) []string {
	if isNothing(v) {
		return nil
	}
	if o, ok := v.(*goja.Object); ok && o.ClassName() == "Array" {
		var out []string
		for _, k := range o.Keys() {
			if e := o.Get(k); !isNothing(e) && e.String() != "" {
				out = append(out, e.String())
			}
		}
		return out
	}
	if s := v.String(); s != "" {
		return []string{s}
	}
	return nil
}

// describe turns a hook failure into "threw Error: boom (line 3)" or
// "ran out of its time budget (100ms per row) (line 2)".
func describe(err error) string {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return withLine(fmt.Sprint(ie.Value()), ie.Stack())
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return withLine("ran out of stack (too deep recursion)", so.Stack())
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		msg := "threw"
		if ex.Value() != nil {
			msg += " " + ex.Value().String()
		}
		return withLine(msg, ex.Stack())
	}
	return "failed: " + err.Error()
}

func withLine(msg string, stack []goja.StackFrame) string {
	for _, f := range stack {
		if f.SrcName() != "" && f.SrcName() != "<native>" {
			if p := f.Position(); p.Line > 0 {
				return fmt.Sprintf("%s (line %d)", msg, p.Line)
			}
		}
	}
	return msg
}

// sandbox removes what is not the language itself, caps the one-step
// allocating built-ins and freezes the globals.
func sandbox(vm *goja.Runtime, maxLen int) error {
	_ = vm.Set("__maxLength", maxLen)
	_, err := vm.RunString(sandboxJS)
	return err
}

const sandboxJS = `(function (g) {
  "use strict";
  var max = g.__maxLength;
  delete g.__maxLength;
  delete Math.random;
  ["require", "process", "fetch", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval",
   "queueMicrotask", "XMLHttpRequest", "WebSocket", "console", "eval", "Function", "WebAssembly"].forEach(function (k) {
    try { delete g[k]; } catch (e) {}
  });
  // Function and eval are gone; so is the way back to them through a function's constructor.
  [function () {}, function* () {}].forEach(function (f) {
    Object.defineProperty(Object.getPrototypeOf(f), "constructor", {value: undefined, writable: false, configurable: false});
  });
  function cap(n) { if (n > max) throw new RangeError("result too long (over " + max + ")"); }
  var repeat = String.prototype.repeat, padStart = String.prototype.padStart, padEnd = String.prototype.padEnd;
  Object.defineProperty(String.prototype, "repeat", {value: function (n) { cap(String(this).length * n); return repeat.call(this, n); }, writable: false, configurable: false});
  Object.defineProperty(String.prototype, "padStart", {value: function (n, s) { cap(n); return padStart.call(this, n, s); }, writable: false, configurable: false});
  Object.defineProperty(String.prototype, "padEnd", {value: function (n, s) { cap(n); return padEnd.call(this, n, s); }, writable: false, configurable: false});
  // Built-ins whose one step can make a result far larger than their
  // inputs are sized first: the allocation budget is only sampled between
  // steps.
  function slen(x) { return x == null ? 0 : String(x).length; }
  var join = Array.prototype.join;
  Object.defineProperty(Array.prototype, "join", {value: function (sep) {
    var n = this.length >>> 0, total = n > 0 ? (n - 1) * (sep === undefined ? 1 : slen(sep)) : 0;
    cap(total);
    for (var i = 0; i < n; i++) { total += slen(this[i]); cap(total); }
    return join.call(this, sep);
  }, writable: false, configurable: false});
  var concat = String.prototype.concat;
  Object.defineProperty(String.prototype, "concat", {value: function () {
    var total = String(this).length;
    for (var i = 0; i < arguments.length; i++) { total += slen(arguments[i]); cap(total); }
    return concat.apply(this, arguments);
  }, writable: false, configurable: false});
  var match = String.prototype.match, split = String.prototype.split;
  function sizedReplace(orig, all) {
    return function (pattern, repl) {
      var s = String(this), total = s.length;
      if (typeof repl === "function") {
        var f = repl;
        repl = function () { var r = String(f.apply(undefined, arguments)); total += r.length; cap(total); return r; };
        return orig.call(s, pattern, repl);
      }
      var r = String(repl), dollars = split.call(r, "$").length - 1, wide = r.indexOf("$\x60") >= 0 || r.indexOf("$'") >= 0;
      // Each match adds the replacement; "$&", "$1"... add at most the match, the prefix and suffix forms
      // at most the whole string. Counted match by match, so the count itself makes nothing large.
      function add(m) { total += r.length + dollars * (wide ? s.length : m.length); cap(total); }
      if (pattern instanceof RegExp) {
        var global = all || pattern.flags.indexOf("g") >= 0, re = new RegExp(pattern.source, global ? (pattern.flags.indexOf("g") >= 0 ? pattern.flags : pattern.flags + "g") : pattern.flags.replace("y", "")), m;
        if (!global) { m = re.exec(s); if (m) add(m[0]); }
        else while ((m = re.exec(s)) !== null) { add(m[0]); if (m[0] === "") re.lastIndex++; }
      } else {
        var p = String(pattern), at = s.indexOf(p);
        while (at >= 0) { add(p); if (!all || (p.length === 0 && at >= s.length)) break; at = s.indexOf(p, at + Math.max(1, p.length)); }
      }
      return orig.call(s, pattern, r);
    };
  }
  Object.defineProperty(String.prototype, "replace", {value: sizedReplace(String.prototype.replace, false), writable: false, configurable: false});
  Object.defineProperty(String.prototype, "replaceAll", {value: sizedReplace(String.prototype.replaceAll, true), writable: false, configurable: false});
  var stringify = JSON.stringify;
  Object.defineProperty(JSON, "stringify", {value: function (v, replacer, space) {
    var total = 0, user = typeof replacer === "function" ? replacer : null, keep = null;
    if (Array.isArray(replacer)) { keep = {}; for (var i = 0; i < replacer.length; i++) keep[String(replacer[i])] = true; }
    var indent = typeof space === "number" ? Math.min(10, space) : typeof space === "string" ? Math.min(10, space.length) : 0;
    return stringify(v, function (k, val) {
      if (keep && k !== "" && !Array.isArray(this) && !keep[k]) return undefined;
      if (user) val = user.call(this, k, val);
      total += k.length + 4 + indent * 4 + (typeof val === "string" ? val.length : typeof val === "object" || typeof val === "function" || val === undefined ? 0 : String(val).length);
      cap(total);
      return val;
    }, space);
  }, writable: false, configurable: false});
  var A = Array;
  var fill = A.prototype.fill;
  Object.defineProperty(A.prototype, "fill", {value: function () { cap(this.length); return fill.apply(this, arguments); }, writable: false, configurable: false});
  var from = A.from;
  Object.defineProperty(A, "from", {value: function (x) { if (x != null) cap(x.length); return from.apply(A, arguments); }, writable: false, configurable: false});
  var Ctor = function Array() { if (arguments.length === 1 && typeof arguments[0] === "number") cap(arguments[0]); return A.apply(null, arguments); };
  Ctor.prototype = A.prototype;
  Object.getOwnPropertyNames(A).forEach(function (k) { if (k !== "prototype" && k !== "length" && k !== "name") Ctor[k] = A[k]; });
  Object.defineProperty(A.prototype, "constructor", {value: Ctor, writable: false, configurable: false});
  Object.defineProperty(g, "Array", {value: Ctor, writable: false, configurable: false});
  function freeze(o) {
    if (o === null || (typeof o !== "object" && typeof o !== "function")) return;
    Object.freeze(o);
    if (typeof o === "function" && o.prototype) Object.freeze(o.prototype);
  }
  Object.getOwnPropertyNames(g).forEach(function (k) { freeze(g[k]); });
  [Object.getPrototypeOf(function () {}), Object.getPrototypeOf(function* () {}), Object.getPrototypeOf([][Symbol.iterator]()),
   Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())), Object.getPrototypeOf(new Map().entries()),
   Object.getPrototypeOf(new Set().values()), Object.getPrototypeOf(""[Symbol.iterator]())].forEach(freeze);
  freeze(g);
})(this);`
