package httpapi

import (
	"net/http"
	"time"
)

// bindCleanup registers the console's abandoned-import clean-up routes:
// the age past which unsubmitted imports are deleted and the last run.
func (s *Server) bindCleanup(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/admin/importer/cleanup", s.requireAdmin(s.adminGetCleanup))
	mux.HandleFunc("PUT /api/admin/importer/cleanup", s.requireAdmin(s.adminPutCleanup))
	mux.HandleFunc("POST /api/admin/importer/cleanup/run", s.requireAdmin(s.adminRunCleanup))
}

func (s *Server) adminGetCleanup(w http.ResponseWriter, r *http.Request) {
	s.respond(w, r, result(s.deps.Importer.CleanupSettings(r.Context())))
}

func (s *Server) adminPutCleanup(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MaxAge string `json:"max_age"`
	}
	if err := decodeJSON(w, r, &body, 4<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, result(s.deps.Importer.SetCleanupAge(r.Context(), body.MaxAge)))
}

// adminRunCleanup runs the clean-up now and answers with the settings
// and this run.
func (s *Server) adminRunCleanup(w http.ResponseWriter, r *http.Request) {
	if _, err := s.deps.Importer.CleanupAbandoned(r.Context(), time.Now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, result(s.deps.Importer.CleanupSettings(r.Context())))
}
