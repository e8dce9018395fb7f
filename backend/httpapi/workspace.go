package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"

	"fusebox/backend/errs"
	"fusebox/backend/workspace"
)

// WorkspaceFile applies and exports the declarative workspace file (the
// same operations as `fusebox apply` and `fusebox export`).
type WorkspaceFile interface {
	// Apply validates every section of data, then applies them; a file
	// with an error anywhere changes nothing. source names the file in
	// errors. It returns one line per thing created or changed.
	Apply(ctx context.Context, data []byte, source string) ([]string, error)
	// Export returns the current workspace as YAML that Apply accepts back.
	Export(ctx context.Context) ([]byte, error)
}

// maxWorkspaceBytes caps a workspace file sent to POST /api/admin/workspace.
const maxWorkspaceBytes = 2 << 20

// bindWorkspace registers the console's workspace file routes: export as
// YAML and apply a pasted or uploaded YAML/JSON file (raw text body).
func (s *Server) bindWorkspace(mux *http.ServeMux) {
	if s.deps.Workspace == nil {
		return
	}
	mux.HandleFunc("GET /api/admin/workspace", s.requireAdmin(s.exportWorkspace))
	mux.HandleFunc("POST /api/admin/workspace", s.requireAdmin(s.applyWorkspace))
}

// exportWorkspace answers with the workspace file as text/yaml; with
// ?download=1 the browser saves it as fusebox-workspace.yaml.
func (s *Server) exportWorkspace(w http.ResponseWriter, r *http.Request) {
	out, err := s.deps.Workspace.Export(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="fusebox-workspace.yaml"`)
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(out); err != nil {
		s.log.Debug("write workspace export", "err", err)
	}
}

// applyWorkspace applies the raw request body (YAML or JSON) as a
// workspace file and answers {"changes": [...]}. Problems in the file
// are 422 EINVALID with the line and path the workspace package names.
func (s *Server) applyWorkspace(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWorkspaceBytes))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			s.writeError(w, r, errs.TooLarge("workspace file is larger than the limit of 2 MiB"))
			return
		}
		s.writeError(w, r, errs.Invalid("read workspace file: %v", err))
		return
	}
	source := r.URL.Query().Get("name")
	if source == "" {
		source = "workspace file"
	}
	changes, err := s.deps.Workspace.Apply(r.Context(), data, source)
	if err != nil {
		var we *workspace.Error
		if errors.As(err, &we) {
			err = errs.Invalid("%s", we.Error())
		}
		s.writeError(w, r, err)
		return
	}
	if changes == nil {
		changes = []string{}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"changes": changes})
}
