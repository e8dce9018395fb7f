package httpapi

import (
	"net/http"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
)

// consoleImport is one import in the console's imports list: the engine's
// view plus its console state (abandoned and cancelled included), error
// rows, who started it (from the session's metadata) and how long it took.
type consoleImport struct {
	importView
	State           string     `json:"state"`
	ErrorRows       int64      `json:"error_rows"`
	Who             string     `json:"who,omitempty"`
	SubmittedAt     *time.Time `json:"submitted_at,omitempty"`
	CancelledAt     *time.Time `json:"cancelled_at,omitempty"`
	LastActivityAt  time.Time  `json:"last_activity_at"`
	DurationSeconds int64      `json:"duration_seconds"`
}

func consoleImportOf(imp importer.Import, now time.Time) consoleImport {
	out := consoleImport{
		importView: viewOf(imp), State: imp.State(now), ErrorRows: imp.ErrorRows, Who: whoOf(imp),
		LastActivityAt: imp.LastActivity(),
	}
	if !imp.SubmittedAt.IsZero() {
		out.SubmittedAt = &imp.SubmittedAt
	}
	if !imp.CancelledAt.IsZero() {
		out.CancelledAt = &imp.CancelledAt
	}
	if d := out.LastActivityAt.Sub(imp.CreatedAt); d > 0 {
		out.DurationSeconds = int64(d / time.Second)
	}
	return out
}

// whoOf names the end user of an import from its session's metadata: an
// email (email, user_email), else the user id, else a name; "" when the
// session said nothing (an import started in the console).
func whoOf(imp importer.Import) string {
	for _, k := range []string{"email", "user_email"} {
		if v, ok := imp.Metadata[k].(string); ok && v != "" {
			return v
		}
	}
	if imp.UserID != "" {
		return imp.UserID
	}
	for _, k := range []string{"user_name", "name"} {
		if v, ok := imp.Metadata[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// cancelImport records the end user's Cancel (the embed sends it before
// telling the host page).
func (s *Server) cancelImport(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	out, err := s.deps.Importer.CancelImport(r.Context(), imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, consoleImportOf(out, time.Now()))
}

// adminListImports is the console's imports list: ?status= one or more
// console states (comma-separated; see importer.States), else every import
// but the abandoned and cancelled unless hidden=1; ?importer=, ?user_id=,
// ?from= and ?to= (UTC days of creation, both included), page and per_page.
func (s *Server) adminListImports(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, per, err := pageParams(q.Get("page"), q.Get("per_page"), 25)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := importer.ListFilter{Page: page, PerPage: per, ImporterSlug: q.Get("importer"), Now: time.Now()}
	if st := q.Get("status"); st != "" {
		f.States = strings.Split(st, ",")
	}
	switch h := q.Get("hidden"); h {
	case "", "0", "false":
	case "1", "true":
		f.ShowHidden = true
	default:
		s.writeError(w, r, errs.Invalid("hidden must be 1 (list abandoned and cancelled imports too) or 0, not %q", h))
		return
	}
	if f.From, err = dayParam("from", q.Get("from")); err == nil {
		f.To, err = dayParam("to", q.Get("to"))
	}
	if err == nil && !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		err = errs.Invalid("from %s must be on or before to %s", q.Get("from"), q.Get("to"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	if f.Metadata, err = metadataFilter(q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if uid := q.Get("user_id"); uid != "" {
		if f.Metadata == nil {
			f.Metadata = map[string]string{}
		}
		f.Metadata["user_id"] = uid
	}
	list, total, err := s.deps.Importer.ListImports(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows := make([]consoleImport, len(list))
	for i, imp := range list {
		rows[i] = consoleImportOf(imp, f.Now)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"imports": rows, "total": total, "page": page, "pagination": paginationOf(page, per, total)})
}

// dayParam reads a UTC day, YYYY-MM-DD; "" is no day.
func dayParam(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, errs.Invalid("%s must be a day written YYYY-MM-DD (UTC), not %q", name, v)
	}
	return t, nil
}
