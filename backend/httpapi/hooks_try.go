package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
)

// Limits of POST /api/admin/importers/hooks/try.
const (
	maxTryRows    = 100
	maxTryBody    = 5 << 20 // a definition (4 MB, as a save) and the rows
	maxTryRunning = 2       // tries running at once; more are refused
)

// bindHooksTry registers the console's "run on these sample rows": an
// unsaved definition's JavaScript hooks run on a few rows, in the sandbox
// and with the budgets imports use (schema.TryHooks). The validation
// service (hooks.validate) is never called.
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
	Definition *schema.Importer    `json:"definition"`
	Rows       []map[string]string `json:"rows"`
}

func tryHooks(w http.ResponseWriter, r *http.Request) (*schema.HookTry, error) {
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
	if req.Definition == nil {
		return nil, errs.Invalid("definition: required (the importer definition whose hooks to try, saved or not)")
	}
	if len(req.Rows) == 0 {
		return nil, errs.Invalid("no sample rows: send at least one row as {column key: text}")
	}
	if len(req.Rows) > maxTryRows {
		return nil, errs.Invalid("at most %d sample rows can be tried at once (got %d)", maxTryRows, len(req.Rows))
	}
	return schema.TryHooks(r.Context(), req.Definition, req.Rows)
}
