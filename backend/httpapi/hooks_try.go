package httpapi

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/hooks"
	"fusebox/backend/schema"
)

// Limits of POST /api/admin/importers/hooks/try.
const (
	maxTryRows    = 100
	maxTryBody    = 5 << 20 // a definition (4 MB, as a save) and the rows
	maxTryRunning = 2       // tries running at once; more are refused
)

// bindHooksTry registers the console's "run on these sample rows":
// an unsaved definition's JavaScript hooks run on a few rows, in the
// sandbox and with the budgets imports use (backend/hooks). The
// validation service (hooks.validate) is never called.
func (s *Server) bindHooksTry(mux *http.ServeMux) {
	slots := make(chan struct{}, maxTryRunning)
	mux.HandleFunc("POST /api/admin/importers/hooks/try", s.requireAdmin(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			s.writeError(w, r, errs.RateLimit("%d hook tries are already running; try again when one has finished", maxTryRunning))
			return
		}
		out, err := tryHooks(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeJSON(w, http.StatusOK, out)
	}))
}

type tryRequest struct {
	Definition *schema.Importer     `json:"definition"`
	Rows       []map[string]string `json:"rows"`
}

type tryFinding struct {
	Column  string `json:"column"`
	Message string `json:"message"`
}

type tryRowResult struct {
	Row      int               `json:"row"`
	Values   map[string]string `json:"values"`
	Changed  []string          `json:"changed"`
	Errors   []tryFinding      `json:"errors"`
	Warnings []tryFinding      `json:"warnings"`
}

type tryResult struct {
	Hooks []string       `json:"hooks"`
	Rows  []tryRowResult `json:"rows"`
}

func tryHooks(w http.ResponseWriter, r *http.Request) (*tryResult, error) {
	var req tryRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTryBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, errs.TooLarge("the request is larger than %d MB", maxTryBody>>20)
		}
		return nil, errs.Invalid("hooks try: %v", err)
	}
	def := req.Definition
	if def == nil {
		return nil, errs.Invalid("definition: required (the importer definition whose hooks to try, saved or not)")
	}
	if len(req.Rows) == 0 {
		return nil, errs.Invalid("no sample rows: send at least one row as {column key: text}")
	}
	if len(req.Rows) > maxTryRows {
		return nil, errs.Invalid("at most %d sample rows can be tried at once (got %d)", maxTryRows, len(req.Rows))
	}
	keys := make([]string, len(def.Columns))
	index := make(map[string]int, len(keys))
	for i, c := range def.Columns {
		keys[i] = c.Key
		if _, dup := index[c.Key]; !dup {
			index[c.Key] = i
		}
	}
	for n, row := range req.Rows {
		for k := range row {
			if _, ok := index[k]; !ok {
				return nil, errs.Invalid("row %d: %q is not a column of the importer (columns: %s)", n+1, k, strings.Join(keys, ", "))
			}
		}
	}
	prg, err := schema.CompileHooks(def)
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

	out := &tryResult{Hooks: hookNames(def.Hooks), Rows: make([]tryRowResult, 0, len(req.Rows))}
	var res hooks.Result
	cells := make([]string, len(keys))
	for n, row := range req.Rows {
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
		for i, k := range keys {
			cells[i] = row[k]
		}
		run.Run(cells, &res)
		rr := tryRowResult{Row: n + 1, Values: make(map[string]string, len(keys)), Changed: []string{}, Errors: []tryFinding{}, Warnings: []tryFinding{}}
		for i, k := range keys {
			rr.Values[k] = cells[i]
		}
		for _, c := range res.Changed {
			rr.Changed = append(rr.Changed, keys[c])
		}
		for _, f := range res.Findings {
			tf := tryFinding{Column: keys[f.Col], Message: f.Message}
			if f.Severity == hooks.Warning {
				rr.Warnings = append(rr.Warnings, tf)
			} else {
				rr.Errors = append(rr.Errors, tf)
			}
		}
		out.Rows = append(out.Rows, rr)
	}
	return out, nil
}

// hookNames are the hooks that run, in the order they run: column hooks
// (by key), then the row hook.
func hookNames(h *schema.Hooks) []string {
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
