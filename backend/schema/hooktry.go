package schema

import (
	"context"
	"maps"
	"slices"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/hooks"
)

// HookTry is what an importer definition's JavaScript hooks said about
// sample rows (the console's "run on these sample rows").
type HookTry struct {
	// Hooks are the hooks that ran, in order: column.<key> by key, then row.
	Hooks []string     `json:"hooks"`
	Rows  []HookTryRow `json:"rows"`
}

// HookTryRow is one sample row after the hooks.
type HookTryRow struct {
	Row      int               `json:"row"`     // 1-based position among the sample rows
	Values   map[string]string `json:"values"`  // every column's value after the hooks
	Changed  []string          `json:"changed"` // keys of the columns a hook replaced
	Errors   []HookFinding     `json:"errors"`
	Warnings []HookFinding     `json:"warnings"`
}

// HookFinding is one message a hook reported on a column.
type HookFinding struct {
	Column  string `json:"column"`
	Message string `json:"message"`
}

// TryHooks compiles def's JavaScript hooks (CompileHooks: only they and
// the column keys need to be sound) and runs them on rows ({column key:
// text}; a missing key is an empty cell) exactly as staging runs them:
// the same sandbox and budgets. The validation service is not called. A
// row key that is not a column, or a definition without hooks, is an
// errs.Invalid.
func TryHooks(ctx context.Context, def *Importer, rows []map[string]string) (*HookTry, error) {
	keys := make([]string, len(def.Columns))
	for i, c := range def.Columns {
		keys[i] = c.Key
	}
	for n, row := range rows {
		for k := range row {
			if !slices.Contains(keys, k) {
				return nil, errs.Invalid("row %d: %q is not a column of the importer (columns: %s)", n+1, k, strings.Join(keys, ", "))
			}
		}
	}
	prg, err := CompileHooks(def)
	if err != nil {
		return nil, err
	}
	if prg == nil {
		return nil, errs.Invalid("the definition has no JavaScript hooks (hooks.row or hooks.column) to try")
	}
	run, err := prg.NewRunner()
	if err != nil {
		return nil, errs.Invalid("%v", err)
	}
	defer run.Close()

	out := &HookTry{Hooks: hookNames(def.Hooks), Rows: make([]HookTryRow, 0, len(rows))}
	var res hooks.Result
	cells := make([]string, len(keys))
	for n, row := range rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i, k := range keys {
			cells[i] = row[k]
		}
		run.Run(cells, &res)
		r := HookTryRow{Row: n + 1, Values: make(map[string]string, len(keys)), Changed: []string{}, Errors: []HookFinding{}, Warnings: []HookFinding{}}
		for i, k := range keys {
			r.Values[k] = cells[i]
		}
		for _, c := range res.Changed {
			r.Changed = append(r.Changed, keys[c])
		}
		for _, f := range res.Findings {
			hf := HookFinding{Column: keys[f.Col], Message: f.Message}
			if f.Severity == hooks.Warning {
				r.Warnings = append(r.Warnings, hf)
			} else {
				r.Errors = append(r.Errors, hf)
			}
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}

// hookNames are the hooks that run, in the order they run.
func hookNames(h *Hooks) []string {
	names := []string{}
	for _, k := range slices.Sorted(maps.Keys(h.Column)) {
		if strings.TrimSpace(h.Column[k]) != "" {
			names = append(names, "column."+k)
		}
	}
	if strings.TrimSpace(h.Row) != "" {
		names = append(names, "row")
	}
	return names
}
