package importer

import (
	"fmt"

	"fusebox/backend/hooks"
	"fusebox/backend/schema"
)

// rowHooks runs an importer's JavaScript hooks on rows as they are staged
// or edited. Its findings join the built-in ones, so they count, filter
// and block submit exactly like them. The zero of *rowHooks (nil) runs
// nothing.
type rowHooks struct {
	r   *hooks.Runner
	res hooks.Result
}

// newRowHooks prepares the hooks of sc, nil when it has none.
func newRowHooks(sc *schema.Schema) (*rowHooks, error) {
	p := sc.HookProgram()
	if p.Empty() {
		return nil, nil
	}
	r, err := p.NewRunner()
	if err != nil {
		return nil, fmt.Errorf("hooks: %w", err)
	}
	return &rowHooks{r: r}, nil
}

// run runs the hooks on cells (replacing the values they change) and
// appends their findings to issues.
func (h *rowHooks) run(cells []string, issues []schema.Issue) []schema.Issue {
	if h == nil {
		return issues
	}
	h.r.Run(cells, &h.res)
	for _, f := range h.res.Findings {
		sev := schema.SeverityError
		if f.Severity == hooks.Warning {
			sev = schema.SeverityWarning
		}
		issues = append(issues, schema.Issue{Col: f.Col, Severity: sev, Message: f.Message})
	}
	return issues
}

func (h *rowHooks) close() {
	if h != nil {
		h.r.Close()
	}
}
