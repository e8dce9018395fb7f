package schema

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/hooks"
)

// Hooks are an importer's JavaScript hooks, run in a sandbox on every
// staged and edited row (fusebox/backend/hooks). Each is the source of a
// function expression.
type Hooks struct {
	// Row gets the row ({key: text}) and may return
	// {errors: {key: msg|[msg]}, warnings: {...}, values: {key: text}}.
	Row string `json:"row,omitempty" yaml:"row,omitempty"`
	// Column maps a column key to a function getting (value, row) that
	// may return a message (an error) or {error, warning, value}.
	Column map[string]string `json:"column,omitempty" yaml:"column,omitempty"`
	// CallTimeout and ImportTimeout are the time budgets (Go durations)
	// per call and for all calls of one import; Memory caps what one call
	// may allocate ("16MB"). Empty fields take the defaults.
	CallTimeout   string `json:"call_timeout,omitempty" yaml:"call_timeout,omitempty"`
	ImportTimeout string `json:"import_timeout,omitempty" yaml:"import_timeout,omitempty"`
	Memory        string `json:"memory,omitempty" yaml:"memory,omitempty"`
	// Validate is the host's own validation endpoint, called with batches
	// of rows during staging and after each edit.
	Validate *Callback `json:"validate,omitempty" yaml:"validate,omitempty"`
}

// Callback is a server callback: Fusebox POSTs rows to URL, signed with
// Standard Webhooks headers when SigningSecret (the NAME of an
// environment variable) is set, and the answer gives errors, warnings and
// replacement values per row.
type Callback struct {
	URL           string `json:"url" yaml:"url"`
	Batch         int    `json:"batch,omitempty" yaml:"batch,omitempty"`     // rows per request, default 100
	Timeout       string `json:"timeout,omitempty" yaml:"timeout,omitempty"` // per request, default 10s
	SigningSecret string `json:"signing_secret,omitempty" yaml:"signing_secret,omitempty"`
}

// Callback defaults.
const (
	DefaultCallbackBatch   = 100
	DefaultCallbackTimeout = 10 * time.Second
)

// CallbackOf returns the importer's validation callback, nil without one.
func (s *Schema) CallbackOf() *Callback {
	if s.Def.Hooks == nil {
		return nil
	}
	return s.Def.Hooks.Validate
}

// BatchSize returns the effective batch size.
func (c *Callback) BatchSize() int {
	if c.Batch <= 0 {
		return DefaultCallbackBatch
	}
	return c.Batch
}

// TimeoutOf returns the effective per-request timeout.
func (c *Callback) TimeoutOf() time.Duration {
	d, err := time.ParseDuration(c.Timeout)
	if err != nil || d <= 0 {
		return DefaultCallbackTimeout
	}
	return d
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *compiler) compileCallback(cb *Callback) {
	u, err := url.Parse(cb.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.fail("", "hooks.validate.url", "%q must be an absolute http or https URL", cb.URL)
	}
	if cb.Batch < 0 || cb.Batch > 10000 {
		c.fail("", "hooks.validate.batch", "%d: use 1 to 10000 rows per request", cb.Batch)
	}
	if cb.Timeout != "" {
		if d, err := time.ParseDuration(cb.Timeout); err != nil || d <= 0 || d > 5*time.Minute {
			c.fail("", "hooks.validate.timeout", "%q is not a duration between 1ms and 5m such as 10s", cb.Timeout)
		}
	}
	if cb.SigningSecret != "" && !envNameRE.MatchString(cb.SigningSecret) {
		c.fail("", "hooks.validate.signing_secret", "%q must be the NAME of an environment variable (letters, digits, _), never the secret itself", cb.SigningSecret)
	}
}

// HookProgram returns the compiled hooks, nil when the importer has none.
func (s *Schema) HookProgram() *hooks.Program { return s.hooks }

// compileHooks compiles def.Hooks; a syntax error names the hook and line.
func (c *compiler) compileHooks(s *Schema) {
	h := c.def.Hooks
	if h != nil && h.Validate != nil {
		c.compileCallback(h.Validate)
	}
	if h == nil || (h.Row == "" && len(h.Column) == 0) {
		return
	}
	lim := c.hookLimits(h)
	keys := make([]string, len(s.cols))
	for i, col := range s.cols {
		keys[i] = col.key
	}
	p, err := hooks.Compile(keys, h.Row, h.Column, lim)
	if err != nil {
		c.fail("", "", "%s", fmt.Sprint(err))
		return
	}
	if !p.Empty() {
		s.hooks = p
	}
}

// checkHooks compiles the hooks of a definition that has other problems
// against its column keys as written, only to report the hooks' own
// problems (a syntax error and its line) next to the others while the
// rest of a draft is unfinished.
func (c *compiler) checkHooks() {
	h := c.def.Hooks
	if h == nil || (strings.TrimSpace(h.Row) == "" && len(h.Column) == 0) {
		return
	}
	lim := c.hookLimits(h)
	keys := make([]string, len(c.def.Columns))
	for i, col := range c.def.Columns {
		keys[i] = col.Key
	}
	if _, err := hooks.Compile(keys, h.Row, h.Column, lim); err != nil {
		c.fail("", "", "%s", err)
	}
}

// hookLimits reads the hooks' budgets; a bad one is a problem and takes
// the default.
func (c *compiler) hookLimits(h *Hooks) hooks.Limits {
	var lim hooks.Limits
	for _, d := range []struct {
		field string
		text  string
		dst   *time.Duration
		max   time.Duration
		what  string
	}{
		{"hooks.call_timeout", h.CallTimeout, &lim.Call, hooks.MaxCall, "a call may take"},
		{"hooks.import_timeout", h.ImportTimeout, &lim.Import, hooks.MaxImport, "an import's hooks may take"},
	} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v <= 0 {
			c.fail("", d.field, "%q is not a positive duration such as 100ms or 5m", d.text)
			continue
		}
		if v > d.max {
			c.fail("", d.field, "%q is over the most %s (%s)", d.text, d.what, d.max)
			continue
		}
		*d.dst = v
	}
	if h.Memory != "" {
		n, ok := ParseByteSize(h.Memory)
		if !ok || n <= 0 {
			c.fail("", "hooks.memory", "%q is not a size such as 16MB", h.Memory)
		} else if n > hooks.MaxMemory {
			c.fail("", "hooks.memory", "%q is over the most a call may allocate (%dMB)", h.Memory, hooks.MaxMemory>>20)
			n = 0
		}
		lim.Memory = n
	}
	return lim
}

// CompileHooks compiles only def's JavaScript hooks, with the budgets
// and sandbox Compile gives them, so they can be tried on sample rows
// while the rest of the definition is still being edited. The program
// sees def's column keys in order. It returns (nil, nil) when def has no
// JavaScript hook; the error (errs.Invalid) names the hook and the line
// of a syntax error, e.g. hook "row": syntax error at line 2: ….
func CompileHooks(def *Importer) (*hooks.Program, error) {
	h := def.Hooks
	if h == nil || (strings.TrimSpace(h.Row) == "" && len(h.Column) == 0) {
		return nil, nil
	}
	c := &compiler{def: def}
	lim := c.hookLimits(h)
	if len(c.problems) > 0 {
		return nil, errs.Invalid("%s", strings.Join(c.problems, "; "))
	}
	keys := make([]string, len(def.Columns))
	for i, col := range def.Columns {
		keys[i] = col.Key
	}
	p, err := hooks.Compile(keys, h.Row, h.Column, lim)
	if err != nil {
		return nil, errs.Invalid("%s", err.Error())
	}
	if p.Empty() {
		return nil, nil
	}
	return p, nil
}
