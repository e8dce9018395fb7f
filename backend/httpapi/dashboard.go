package httpapi

import (
	"net/http"

	"fusebox/backend/errs"
	"fusebox/backend/stats"
)

// dashboardCharts answers GET /api/admin/dashboard/charts?from=&to=&importer=
// (UTC days, both included; default the last 30 days).
func (s *Server) dashboardCharts(w http.ResponseWriter, r *http.Request) {
	if s.deps.Dashboard == nil {
		s.writeError(w, r, errs.Unavailable("the dashboard's charts are not available in this server"))
		return
	}
	q := r.URL.Query()
	d, err := s.deps.Dashboard.Dashboard(r.Context(), stats.Query{From: q.Get("from"), To: q.Get("to"), Importer: q.Get("importer")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, d)
}
