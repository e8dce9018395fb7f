package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fusebox/backend/csvsafe"
	"fusebox/backend/errs"
	"fusebox/backend/importer"
)

// Imports API (Fuse shapes) for host app backends, on the importer's read
// API. Secret key (or the console) on every route.
func (s *Server) bindImports(mux *http.ServeMux) {
	if s.deps.Sessions == nil || s.deps.Importer == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/imports", s.apiAuth(s.listImports))
	mux.HandleFunc("GET /api/v1/imports/{slug}", s.apiAuth(s.getImportAPI))
	mux.HandleFunc("GET /api/v1/imports/{slug}/records", s.apiAuth(s.listRecordsAPI))
	mux.HandleFunc("GET /api/v1/imports/{slug}/records.ndjson", s.apiAuth(s.exportNDJSON))
	mux.HandleFunc("GET /api/v1/imports/{slug}/records.csv", s.apiAuth(s.exportCSV))
}

// apiImport is an import in the public API: exactly Fuse's fields plus
// failure_reason when it failed.
type apiImport struct {
	Slug          string            `json:"slug"`
	RowCount      int64             `json:"row_count"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	Status        string            `json:"status"`
	Template      importer.Template `json:"template"`
	Metadata      map[string]any    `json:"metadata"`
	FailureReason string            `json:"failure_reason,omitempty"`
}

func apiImportOf(imp importer.Import) apiImport {
	md := imp.Metadata
	if md == nil {
		md = map[string]any{}
	}
	return apiImport{
		Slug: imp.Slug, RowCount: imp.RowCount, CreatedAt: imp.CreatedAt, UpdatedAt: imp.UpdatedAt,
		Status: imp.Status, Template: imp.Template, Metadata: md, FailureReason: imp.FailureReason,
	}
}

var importStatuses = []string{importer.StatusCreated, importer.StatusSubmitting, importer.StatusSubmitted, importer.StatusCompleted, importer.StatusFailed}

// metadataFilter reads metadata[key]=value query parameters (Rails style,
// as Fuse). Values match the metadata's top-level values by their text.
func metadataFilter(q url.Values) (map[string]string, error) {
	var out map[string]string
	for k, vs := range q {
		if !strings.HasPrefix(k, "metadata[") {
			continue
		}
		key, ok := strings.CutSuffix(strings.TrimPrefix(k, "metadata["), "]")
		if !ok || key == "" || strings.ContainsAny(key, "[]") {
			return nil, errs.Invalid("query parameter %q: metadata filters look like metadata[user_id]=123", k)
		}
		if len(vs) > 1 {
			return nil, errs.Invalid("query parameter %q is given %d times; give it once", k, len(vs))
		}
		if out == nil {
			out = map[string]string{}
		}
		out[key] = vs[0]
	}
	return out, nil
}

func (s *Server) listImports(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	q := r.URL.Query()
	page, per, err := pageParams(q.Get("page"), q.Get("per_page"), 25)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := q.Get("status")
	if status != "" && !contains(importStatuses, status) {
		s.writeError(w, r, errs.Invalid("status must be one of %s, not %q", strings.Join(importStatuses, ", "), status))
		return
	}
	md, err := metadataFilter(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.deps.Importer.ListImports(r.Context(), importer.ListFilter{
		Page: page, PerPage: per, Status: status, ImporterSlug: q.Get("importer"), Metadata: md,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := make([]apiImport, len(list))
	for i, imp := range list {
		data[i] = apiImportOf(imp)
	}
	s.writeJSON(w, http.StatusOK, listPage{Data: data, Pagination: paginationOf(page, per, total)})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) getImportAPI(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	imp, err := s.deps.Importer.GetImport(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, apiImportOf(imp))
}

func (s *Server) listRecordsAPI(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	q := r.URL.Query()
	page, per, err := pageParams(q.Get("page"), q.Get("per_page"), 25)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, total, err := s.deps.Importer.ListRecords(r.Context(), r.PathValue("slug"), page, per)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if recs == nil {
		recs = []importer.Record{}
	}
	s.writeJSON(w, http.StatusOK, listPage{Data: recs, Pagination: paginationOf(page, per, total)})
}

// exportNDJSON streams every record of an import, one JSON object (the
// records API's shape) per line, in constant memory.
func (s *Server) exportNDJSON(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	slug := r.PathValue("slug")
	if _, err := s.deps.Importer.GetImport(r.Context(), slug); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.ndjson"`, slug))
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	err := s.deps.Importer.StreamRecords(r.Context(), slug, func(rec importer.Record) error {
		return enc.Encode(rec) // Encode ends each value with "\n"
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// The status line is sent; the client sees a truncated stream.
		s.log.WarnContext(r.Context(), "export records", "format", "ndjson", "import", slug, "err", err)
	}
}

// exportCSV streams every record of an import as CSV: a header row of
// the importer's column keys, then one row per record with typed values
// written as text (numbers as numbers, booleans true/false, dates ISO
// 8601, null as an empty cell). Cells a spreadsheet would run as a
// formula (=, +, -, @, tab, CR first; not plain numbers) get a leading '.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, _ apiCaller) {
	slug := r.PathValue("slug")
	sc, err := s.deps.Importer.Schema(r.Context(), slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cols := sc.Columns()
	keys := make([]string, len(cols))
	for i, c := range cols {
		keys[i] = c.Key
	}
	// kept unmapped columns (settings.unmapped_columns: keep): "custom.<header>" after the importer's
	custom, err := s.deps.Importer.CustomFields(r.Context(), slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	header := append([]string(nil), keys...)
	for _, name := range custom {
		header = append(header, "custom."+name)
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, slug))
	bw := bufio.NewWriterSize(w, 64<<10)
	// encoding/csv through csvsafe.Writer (the one place formula cells are
	// neutralized): the columns are the importer's, known only now, and the
	// rows stream from the database. The typed deliveries CSV (relay.go)
	// uses gocsv over the same writer.
	cw := csvsafe.NewWriter(bw) // cells that would run as formulas get a leading '
	nk := len(keys)
	if len(sc.MatchColumns()) > 0 {
		header = append(header, "operation") // create, update or unchanged (match_on)
	}
	row := make([]string, len(header))
	err = cw.Write(header)
	if err == nil {
		err = s.deps.Importer.StreamRecords(r.Context(), slug, func(rec importer.Record) error {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(rec.Data, &obj); err != nil {
				return fmt.Errorf("record %d: %w", rec.Sort, err)
			}
			for i, k := range keys[:nk] {
				row[i] = csvCell(obj[k])
			}
			if len(custom) > 0 {
				var extra map[string]json.RawMessage
				_ = json.Unmarshal(obj["custom"], &extra) // absent: empty cells
				for i, name := range custom {
					row[nk+i] = csvCell(extra[name])
				}
			}
			if nk+len(custom) < len(header) {
				row[len(header)-1] = rec.Operation
			}
			return cw.Write(row)
		})
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "export records", "format", "csv", "import", slug, "err", err)
	}
}

// csvCell writes one typed JSON value as a CSV cell.
func csvCell(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0, string(raw) == "null":
		return ""
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw) // numbers, true/false, nested values as JSON
}
