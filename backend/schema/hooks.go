package schema

import (
	"fmt"
	"time"

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
}

// HookProgram returns the compiled hooks, nil when the importer has none.
func (s *Schema) HookProgram() *hooks.Program { return s.hooks }

// compileHooks compiles def.Hooks; a syntax error names the hook and line.
func (c *compiler) compileHooks(s *Schema) {
	h := c.def.Hooks
	if h == nil || (h.Row == "" && len(h.Column) == 0) {
		return
	}
	var lim hooks.Limits
	for _, d := range []struct {
		field string
		text  string
		dst   *time.Duration
	}{{"hooks.call_timeout", h.CallTimeout, &lim.Call}, {"hooks.import_timeout", h.ImportTimeout, &lim.Import}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v <= 0 {
			c.fail("", d.field, "%q is not a positive duration such as 100ms or 5m", d.text)
			continue
		}
		*d.dst = v
	}
	if h.Memory != "" {
		n, ok := ParseByteSize(h.Memory)
		if !ok || n <= 0 {
			c.fail("", "hooks.memory", "%q is not a size such as 16MB", h.Memory)
		}
		lim.Memory = n
	}
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
