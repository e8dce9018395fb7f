package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/schema"
)

// Importer routes: the embed's API under /api/importer/ (session bearer
// token, or admin for the console's "Try this importer") and the console's
// importer editor and import list under /api/admin/. See
// docs/importer-api.md.
func (s *Server) bindImporter(mux *http.ServeMux) {
	if s.deps.Importer == nil {
		return
	}
	const p = "/api/importer/imports/{slug}"
	mux.HandleFunc("GET /api/importer/importer", s.importerDefinition)
	mux.HandleFunc("GET /api/importer/importer/template", s.importerTemplate)
	mux.HandleFunc("POST /api/importer/imports", s.createImport)
	mux.HandleFunc("GET "+p, s.withImport(s.getImport))
	mux.HandleFunc("PUT "+p+"/file", s.withImport(s.uploadFile))
	mux.HandleFunc("POST "+p+"/file", s.withImport(s.uploadFile))
	mux.HandleFunc("GET "+p+"/upload", s.withImport(s.uploadState))
	mux.HandleFunc("GET "+p+"/progress", s.withImport(s.importProgress))
	mux.HandleFunc("GET "+p+"/events", s.withImport(s.importEvents))
	mux.HandleFunc("GET "+p+"/preview", s.withImport(s.importPreview))
	mux.HandleFunc("POST "+p+"/header", s.withImport(s.importHeader))
	mux.HandleFunc("GET "+p+"/mapping", s.withImport(s.getMapping))
	mux.HandleFunc("PUT "+p+"/mapping", s.withImport(s.putMapping))
	mux.HandleFunc("GET "+p+"/rows", s.withImport(s.listRows))
	mux.HandleFunc("PATCH "+p+"/rows/{row}", s.withImport(s.editRow))
	mux.HandleFunc("POST "+p+"/rows/delete", s.withImport(s.deleteRows))
	mux.HandleFunc("POST "+p+"/replace", s.withImport(s.replaceCells))
	mux.HandleFunc("GET "+p+"/errors.csv", s.withImport(s.exportErrors("csv")))
	mux.HandleFunc("GET "+p+"/errors.xlsx", s.withImport(s.exportErrors("xlsx")))
	mux.HandleFunc("POST "+p+"/errors/patch", s.withImport(s.patchErrors))
	mux.HandleFunc("POST "+p+"/undo", s.withImport(s.undoEdit))
	mux.HandleFunc("POST "+p+"/redo", s.withImport(s.redoEdit))
	mux.HandleFunc("GET "+p+"/summary", s.withImport(s.importSummary))
	mux.HandleFunc("POST "+p+"/submit", s.withImport(s.submitImport))
	mux.HandleFunc("GET "+p+"/records", s.withImport(s.importRecords))
	mux.HandleFunc("POST "+p+"/reimport", s.withImport(s.reimport))
	mux.HandleFunc("POST "+p+"/cancel", s.withImport(s.cancelImport))

	mux.HandleFunc("GET /api/admin/importers", s.requireAdmin(s.adminListImporters))
	mux.HandleFunc("POST /api/admin/importers", s.requireAdmin(s.adminCreateImporter))
	mux.HandleFunc("POST /api/admin/importers/validate", s.requireAdmin(s.adminValidateImporter))
	mux.HandleFunc("GET /api/admin/importers/{slug}", s.requireAdmin(s.adminGetImporter))
	mux.HandleFunc("PUT /api/admin/importers/{slug}", s.requireAdmin(s.adminPutImporter))
	mux.HandleFunc("DELETE /api/admin/importers/{slug}", s.requireAdmin(s.adminDeleteImporter))
	mux.HandleFunc("POST /api/admin/importer/imports/{slug}/file-from-path", s.requireAdmin(s.adminFileFromPath))
	mux.HandleFunc("GET /api/admin/imports", s.requireAdmin(s.adminListImports))
	mux.HandleFunc("GET /api/admin/imports/{slug}", s.requireAdmin(s.adminGetImport))
	mux.HandleFunc("DELETE /api/admin/imports/{slug}", s.requireAdmin(s.adminDeleteImport))
	mux.HandleFunc("GET /api/admin/imports/{slug}/records", s.requireAdmin(s.adminImportRecords))
	mux.HandleFunc("GET /api/admin/imports/{slug}/file", s.requireAdmin(s.adminImportFile))
	s.bindCleanup(mux)
	s.bindHooksTry(mux)
}

// importerActor authenticates an importer route. The admin token (Bearer),
// the console cookie or the window door make an admin; any other Bearer
// token is an importer session token checked by Deps.VerifySession
// (rejected with 401 while no verifier is wired).
func (s *Server) importerActor(r *http.Request) (importer.Actor, error) {
	if tok, ok := bearer(r); ok {
		if s.logins.validToken(tok) {
			return importer.Actor{Admin: true}, nil
		}
		if s.deps.VerifySession == nil {
			return importer.Actor{}, errs.Unauthorized("importer session tokens are not accepted: no session verifier is configured")
		}
		a, err := s.deps.VerifySession(r.Context(), tok)
		if err != nil {
			if errs.Code(err) == errs.EINTERNAL {
				return importer.Actor{}, err
			}
			return importer.Actor{}, errs.Unauthorized("invalid or expired importer session token: %s", errs.Message(err))
		}
		a.Admin = false
		return a, nil
	}
	if s.isAdmin(r) {
		return importer.Actor{Admin: true}, nil
	}
	return importer.Actor{}, errs.Unauthorized("send Authorization: Bearer <importer session token>")
}

type importHandler func(w http.ResponseWriter, r *http.Request, a importer.Actor, imp importer.Import)

// withImport authenticates, loads the import named in the path and checks
// the actor may use it (another session's import is "not found").
func (s *Server) withImport(h importHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.importerActor(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		slug := r.PathValue("slug")
		imp, err := s.deps.Importer.GetImport(r.Context(), slug)
		if err == nil && !imp.AccessibleBy(a) {
			err = errs.NotFound("import %q not found", slug)
		}
		if err == nil && !imp.CancelledAt.IsZero() && r.Method != http.MethodGet && r.Method != http.MethodHead && !strings.HasSuffix(r.URL.Path, "/cancel") {
			err = errs.Conflict("import %s was cancelled by its end user; start a new import", slug)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r, a, imp)
	}
}

// importView is the import as the embed sees it: the API shape plus the
// flow step.
type importView struct {
	importer.Import
	Step     string `json:"step"`
	FileName string `json:"file_name,omitempty"`
}

func viewOf(imp importer.Import) importView {
	return importView{Import: imp, Step: imp.Step, FileName: imp.FileName}
}

func (s *Server) importerDefinition(w http.ResponseWriter, r *http.Request) {
	a, err := s.importerActor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	slug := a.ImporterSlug
	if a.Admin {
		slug = r.URL.Query().Get("slug")
	}
	imp, err := s.deps.Importer.GetImporter(r.Context(), slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, definitionView{Importer: imp, Settings: settingsView{Settings: imp.Settings,
		MaxFileBytes: imp.Settings.MaxFileBytes(), InvalidRows: imp.Settings.InvalidRowsPolicy()}})
}

// importerTemplate answers the session's importer's template file
// (?format=csv or xlsx): its column labels and, when the definition gives
// examples, an example row.
func (s *Server) importerTemplate(w http.ResponseWriter, r *http.Request) {
	a, err := s.importerActor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	slug := a.ImporterSlug
	if a.Admin {
		slug = r.URL.Query().Get("slug")
	}
	def, err := s.deps.Importer.GetImporter(r.Context(), slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	b, ct, err := importer.TemplateFile(def, format)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "" {
		format = importer.TemplateCSV
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-template.%s"`, def.Slug, format))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// definitionView is an importer definition with its effective settings
// (max_file_bytes parsed, invalid_rows defaulted) for the embed.
type definitionView struct {
	*schema.Importer
	Settings settingsView `json:"settings"`
}

type settingsView struct {
	schema.Settings
	MaxFileBytes int64  `json:"max_file_bytes"`
	InvalidRows  string `json:"invalid_rows"`
}

func (s *Server) createImport(w http.ResponseWriter, r *http.Request) {
	a, err := s.importerActor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		ImporterSlug string         `json:"importer_slug"`
		Metadata     map[string]any `json:"metadata"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body, 1<<20); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if a.Admin && body.Metadata != nil {
		a.Metadata = body.Metadata
	}
	imp, err := s.deps.Importer.CreateImport(r.Context(), a, body.ImporterSlug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, viewOf(imp))
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.writeJSON(w, http.StatusOK, viewOf(imp))
}

// uploadFile takes the file as the raw body (name in ?name=) or as the
// first file of a multipart form; a raw body with Content-Range: bytes
// START-END/TOTAL is one range of a resumable upload (uploadRange).
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	if r.Header.Get("Content-Range") != "" {
		s.uploadRange(w, r, imp)
		return
	}
	name := r.URL.Query().Get("name")
	var body io.Reader = r.Body
	size := r.ContentLength
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			s.writeError(w, r, errs.Invalid("bad multipart body: %v", err))
			return
		}
		found := false
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				s.writeError(w, r, errs.Invalid("bad multipart body: %v", err))
				return
			}
			if part.FileName() == "" {
				continue
			}
			if name == "" {
				name = part.FileName()
			}
			body, size, found = part, -1, true
			break
		}
		if !found {
			s.writeError(w, r, errs.Invalid("the multipart body has no file part"))
			return
		}
	}
	if name == "" {
		name = "upload.csv"
	}
	s.respond(w, r, result(s.deps.Importer.Upload(r.Context(), imp.Slug, body, name, size)))
}

// uploadRange receives one range of a resumable upload: 200 with the
// preview when it completes the file, else 202 with the upload's status
// (offset: where the next range starts). Upload-Offset and Upload-Length
// carry the same numbers.
func (s *Server) uploadRange(w http.ResponseWriter, r *http.Request, imp importer.Import) {
	rg, err := parseContentRange(r.Header.Get("Content-Range"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		s.writeError(w, r, errs.Invalid("a range of an upload (Content-Range) is the raw bytes, not a multipart form"))
		return
	}
	want := rg.End - rg.Start + 1
	var body io.Reader = r.Body
	switch {
	case r.ContentLength < 0:
		// No Content-Length (chunked transfer coding, or the desktop
		// window's asset server, which streams every body): the range is
		// taken by its bytes, and a body running past END is refused.
		body = &rangeBody{r: r.Body, left: want}
	case r.ContentLength != want:
		s.writeError(w, r, errs.Invalid("Content-Range bytes %d-%d/%d is %d bytes but the body has Content-Length %d", rg.Start, rg.End, rg.Total, want, r.ContentLength))
		return
	}
	st, pv, err := s.deps.Importer.UploadPart(r.Context(), imp.Slug, body, r.URL.Query().Get("name"), rg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(st.Offset, 10))
	w.Header().Set("Upload-Length", strconv.FormatInt(st.Total, 10))
	if pv != nil {
		s.writeJSON(w, http.StatusOK, pv)
		return
	}
	s.writeJSON(w, http.StatusAccepted, st)
}

// rangeBody gives the range's bytes of a body of unknown length and
// fails if the body goes on past them: it looks one byte ahead when the
// range's last byte is read, so nothing past END is handed on.
type rangeBody struct {
	r    io.Reader
	left int64
}

func (b *rangeBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, b.ended()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left == 0 && err == nil {
		err = b.ended()
	}
	return n, err
}

// ended is io.EOF when the body ends with the range, else why not.
func (b *rangeBody) ended() error {
	var one [1]byte
	for {
		n, err := b.r.Read(one[:])
		if n > 0 {
			return errs.Invalid("the body is longer than the range: Content-Range ends before the body does (nothing past END was kept)")
		}
		if err != nil {
			return err // io.EOF: the body ended with the range
		}
	}
}

// parseContentRange reads "bytes START-END/TOTAL".
func parseContentRange(v string) (importer.UploadRange, error) {
	bad := errs.Invalid("Content-Range %q: want bytes START-END/TOTAL (END inclusive, TOTAL the whole file's size)", v)
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return importer.UploadRange{}, bad
	}
	rng, total, ok := strings.Cut(spec, "/")
	if !ok {
		return importer.UploadRange{}, bad
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok {
		return importer.UploadRange{}, bad
	}
	var rg importer.UploadRange
	for _, f := range []struct {
		s string
		v *int64
	}{{first, &rg.Start}, {last, &rg.End}, {total, &rg.Total}} {
		n, err := strconv.ParseInt(strings.TrimSpace(f.s), 10, 64)
		if err != nil || n < 0 {
			return importer.UploadRange{}, bad
		}
		*f.v = n
	}
	if rg.End < rg.Start || rg.End >= rg.Total {
		return importer.UploadRange{}, errs.Invalid("Content-Range %q: END must be at least START and below TOTAL", v)
	}
	return rg, nil
}

// uploadState answers how much of the import's resumable upload the
// server keeps (GET or HEAD; also in Upload-Offset and Upload-Length).
func (s *Server) uploadState(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	st, err := s.deps.Importer.UploadState(r.Context(), imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(st.Offset, 10))
	w.Header().Set("Upload-Length", strconv.FormatInt(st.Total, 10))
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, http.StatusOK, st)
}

func (s *Server) importProgress(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.respond(w, r, result(s.deps.Importer.Progress(r.Context(), imp.Slug)))
}

// importEvents streams progress as server-sent events: a "progress" event
// now, then each time the progress changes (and at least every few
// seconds), the last one with done: true. The stream sleeps between
// changes (importer.Follow) and ends when the client goes away.
func (s *Server) importEvents(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	fl, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, errs.E(errs.EINTERNAL, "streaming is not supported"))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Minute)
	defer cancel()
	err := s.deps.Importer.Follow(ctx, imp.Slug, func(p importer.Progress) error {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b); err != nil {
			return err // the client went away
		}
		fl.Flush()
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Warn("import events", "import", imp.Slug, "err", err)
	}
}

func (s *Server) importPreview(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.respond(w, r, result(s.deps.Importer.GetPreview(r.Context(), imp.Slug)))
}

func (s *Server) importHeader(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	var o importer.FileOptions
	if err := decodeJSON(w, r, &o, 1<<16); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, result(s.deps.Importer.SetFileOptions(r.Context(), imp.Slug, o)))
}

func (s *Server) getMapping(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.respond(w, r, result(s.deps.Importer.GetMapping(r.Context(), imp.Slug)))
}

// putMapping confirms the mapping and starts staging in the background
// (202); follow it with /progress or /events. For an import in review,
// "edits" says which edits are kept and which columns' edits are dropped.
func (s *Server) putMapping(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	var m schema.Mapping
	if err := decodeJSON(w, r, &m, 8<<20); err != nil {
		s.writeError(w, r, err)
		return
	}
	ch, err := s.deps.Importer.ConfirmMappingChange(r.Context(), imp.Slug, m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.deps.Importer.StartStaging(imp.Slug)
	s.writeJSON(w, http.StatusAccepted, map[string]any{"status": "staging", "progress": "/api/importer/imports/" + imp.Slug + "/progress", "edits": ch})
}

func (s *Server) listRows(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	q := r.URL.Query()
	rq := importer.RowQuery{Filter: q.Get("filter"), Column: q.Get("column"), Q: q.Get("q"), Sort: q.Get("sort")}
	if q.Get("errors") == "only" || q.Get("errors") == "true" {
		rq.Filter = "errors"
	}
	if strings.HasPrefix(rq.Sort, "-") {
		rq.Sort, rq.Desc = rq.Sort[1:], true
	}
	if d := q.Get("desc"); d == "true" || d == "1" {
		rq.Desc = true
	}
	var err error
	if rq.Offset, err = intParam(q.Get("offset")); err != nil {
		s.writeError(w, r, errs.Invalid("offset: %v", err))
		return
	}
	if rq.Limit, err = intParam(q.Get("limit")); err != nil {
		s.writeError(w, r, errs.Invalid("limit: %v", err))
		return
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, errs.Invalid("cursor %q is not a row cursor", c))
			return
		}
		rq.Cursor = n
	}
	s.respond(w, r, result(s.deps.Importer.Rows(r.Context(), imp.Slug, rq)))
}

func intParam(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative number", v)
	}
	return n, nil
}

func (s *Server) editRow(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	row, err := strconv.ParseInt(r.PathValue("row"), 10, 64)
	if err != nil || row < 1 {
		s.writeError(w, r, errs.Invalid("row %q is not a row number", r.PathValue("row")))
		return
	}
	var body struct {
		Column string            `json:"column"`
		Value  *string           `json:"value"`
		Values map[string]string `json:"values"`
	}
	if err := decodeJSON(w, r, &body, 1<<20); err != nil {
		s.writeError(w, r, err)
		return
	}
	values := body.Values
	if body.Column != "" {
		if body.Value == nil {
			s.writeError(w, r, errs.Invalid("value is required with column"))
			return
		}
		if values == nil {
			values = map[string]string{}
		}
		values[body.Column] = *body.Value
	}
	s.respond(w, r, result(s.deps.Importer.EditRow(r.Context(), imp.Slug, row, values)))
}

func (s *Server) deleteRows(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	var in importer.DeleteInput
	if err := decodeJSON(w, r, &in, 4<<20); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, result(s.deps.Importer.DeleteRows(r.Context(), imp.Slug, in)))
}

// exportErrors downloads the rows with errors as a fix file (row id,
// values, errors) to edit in a spreadsheet and send back to errors/patch.
// The file streams; an error before its first byte is an ordinary error
// answer.
func (s *Server) exportErrors(format string) importHandler {
	return func(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
		ctype := "text/csv; charset=utf-8"
		if format == "xlsx" {
			ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		base := strings.TrimSuffix(imp.FileName, filepath.Ext(imp.FileName))
		if base == "" {
			base = imp.Slug
		}
		lw := &lazyWriter{w: w, start: func() {
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": base + "-errors." + format}))
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		}}
		if err := s.deps.Importer.ExportErrors(r.Context(), imp.Slug, format, lw); err != nil {
			if !lw.started {
				s.writeError(w, r, err)
				return
			}
			s.log.Error("errors file cut short", "import", imp.Slug, "err", err)
		}
	}
}

// lazyWriter sends the response head on the first write.
type lazyWriter struct {
	w       io.Writer
	start   func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start()
	}
	return l.w.Write(p)
}

// patchErrors takes a fix file back (raw body with ?name=, or the first
// file of a multipart form) and changes the rows it names.
func (s *Server) patchErrors(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	body, name, err := fileBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if name == "" {
		name = "fix.csv"
	}
	s.respond(w, r, result(s.deps.Importer.PatchFromFile(r.Context(), imp.Slug, body, name)))
}

// fileBody returns a request's file: the raw body (name from ?name=) or
// the first file part of a multipart form.
func fileBody(r *http.Request) (io.Reader, string, error) {
	name := r.URL.Query().Get("name")
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return r.Body, name, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", errs.Invalid("bad multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", errs.Invalid("the multipart body has no file part")
		}
		if err != nil {
			return nil, "", errs.Invalid("bad multipart body: %v", err)
		}
		if part.FileName() != "" {
			if name == "" {
				name = part.FileName()
			}
			return part, name, nil
		}
	}
}

func (s *Server) replaceCells(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	var in importer.ReplaceInput
	if err := decodeJSON(w, r, &in, 1<<20); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.respond(w, r, result(s.deps.Importer.Replace(r.Context(), imp.Slug, in)))
}

func (s *Server) undoEdit(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.respond(w, r, result(s.deps.Importer.Undo(r.Context(), imp.Slug)))
}

func (s *Server) redoEdit(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.respond(w, r, result(s.deps.Importer.Redo(r.Context(), imp.Slug)))
}

func (s *Server) importSummary(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.respond(w, r, result(s.deps.Importer.Summary(r.Context(), imp.Slug)))
}

// submitView is the answer to submit: the import (submitting) and where
// to follow the records being written.
type submitView struct {
	importView
	Progress string `json:"progress"`
}

// submitImport records the submit as a durable background job and answers
// 202 at once; GET .../progress reports the records written and GET
// .../imports/{slug} the status (completed, or failed with the reason).
func (s *Server) submitImport(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	out, err := s.deps.Importer.StartSubmit(r.Context(), imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	base := "/api/importer/imports/" + out.Slug
	w.Header().Set("Location", base)
	s.writeJSON(w, http.StatusAccepted, submitView{importView: viewOf(out), Progress: base + "/progress"})
}

type recordPage struct {
	Records []importer.Record `json:"records"`
	Total   int               `json:"total"`
	Page    int               `json:"page"`
	PerPage int               `json:"per_page"`
}

func (s *Server) writeRecords(w http.ResponseWriter, r *http.Request, slug string) {
	page, err := intParam(r.URL.Query().Get("page"))
	if err != nil {
		s.writeError(w, r, errs.Invalid("page: %v", err))
		return
	}
	per, err := intParam(r.URL.Query().Get("per_page"))
	if err != nil {
		s.writeError(w, r, errs.Invalid("per_page: %v", err))
		return
	}
	page, per = max(page, 1), min(max(per, 1), 1000)
	if r.URL.Query().Get("per_page") == "" {
		per = 25
	}
	recs, total, err := s.deps.Importer.ListRecords(r.Context(), slug, page, per)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, recordPage{Records: recs, Total: total, Page: page, PerPage: per})
}

func (s *Server) importRecords(w http.ResponseWriter, r *http.Request, _ importer.Actor, imp importer.Import) {
	s.writeRecords(w, r, imp.Slug)
}

func (s *Server) reimport(w http.ResponseWriter, r *http.Request, a importer.Actor, imp importer.Import) {
	out, pv, err := s.deps.Importer.Reimport(r.Context(), a, imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, map[string]any{"import": viewOf(out), "preview": pv})
}

// ---- console (admin) ----

func (s *Server) adminListImporters(w http.ResponseWriter, r *http.Request) {
	list, err := s.deps.Importer.ListImporters(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"importers": list})
}

func (s *Server) adminGetImporter(w http.ResponseWriter, r *http.Request) {
	s.respond(w, r, result(s.deps.Importer.GetImporter(r.Context(), r.PathValue("slug"))))
}

func decodeImporter(w http.ResponseWriter, r *http.Request) (*schema.Importer, error) {
	var imp schema.Importer
	body := http.MaxBytesReader(w, r.Body, 4<<20)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&imp); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, errs.TooLarge("importer definition is larger than 4 MB")
		}
		return nil, errs.Invalid("importer definition: %v", err)
	}
	return &imp, nil
}

func (s *Server) adminCreateImporter(w http.ResponseWriter, r *http.Request) {
	imp, err := decodeImporter(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.deps.Importer.CreateImporter(r.Context(), imp); err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.deps.Importer.GetImporter(r.Context(), imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, out)
}

func (s *Server) adminValidateImporter(w http.ResponseWriter, r *http.Request) {
	imp, err := decodeImporter(w, r)
	if err == nil {
		err = imp.Validate()
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]bool{"valid": true})
}

func (s *Server) adminPutImporter(w http.ResponseWriter, r *http.Request) {
	imp, err := decodeImporter(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if imp.Slug == "" {
		imp.Slug = r.PathValue("slug")
	}
	if imp.Slug != r.PathValue("slug") {
		s.writeError(w, r, errs.Invalid("the slug in the body (%q) differs from the URL (%q)", imp.Slug, r.PathValue("slug")))
		return
	}
	action, err := s.deps.Importer.SaveImporter(r.Context(), imp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.deps.Importer.GetImporter(r.Context(), imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if action == "created" {
		status = http.StatusCreated
	}
	s.writeJSON(w, status, out)
}

func (s *Server) adminDeleteImporter(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Importer.DeleteImporter(r.Context(), r.PathValue("slug")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminGetImport(w http.ResponseWriter, r *http.Request) {
	imp, err := s.deps.Importer.GetImport(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sm, err := s.deps.Importer.Summary(r.Context(), imp.Slug)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"import": viewOf(imp), "summary": sm})
}

func (s *Server) adminDeleteImport(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Importer.DeleteImport(r.Context(), r.PathValue("slug")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminImportRecords(w http.ResponseWriter, r *http.Request) {
	if _, err := s.deps.Importer.GetImport(r.Context(), r.PathValue("slug")); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeRecords(w, r, r.PathValue("slug"))
}

// adminFileFromPath uploads a local file by path (the desktop window's
// native file dialog and files dropped on the window). Only through the
// window door: through the port it would let any console login (a browser
// on a team server) read any file the server process can read.
func (s *Server) adminFileFromPath(w http.ResponseWriter, r *http.Request) {
	if doorOf(r.Context()) != doorWindow {
		s.writeError(w, r, errs.Forbidden("reading a file by its path is only for the desktop window; upload the file instead"))
		return
	}
	var body struct {
		Path string `json:"path"`
	}
	if err := decodeJSON(w, r, &body, 1<<16); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !filepath.IsAbs(body.Path) {
		s.writeError(w, r, errs.Invalid("path must be an absolute file path"))
		return
	}
	// Checked before opening: opening a FIFO would wait for a writer forever.
	if st, err := os.Stat(body.Path); err != nil {
		s.writeError(w, r, errs.Invalid("cannot open %s: %v", body.Path, errors.Unwrap(err)))
		return
	} else if !st.Mode().IsRegular() {
		s.writeError(w, r, errs.Invalid("%s is not a regular file", body.Path))
		return
	}
	f, err := os.Open(body.Path)
	if err != nil {
		s.writeError(w, r, errs.Invalid("cannot open %s: %v", body.Path, errors.Unwrap(err)))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		s.writeError(w, r, errs.Invalid("%s is not a regular file", body.Path))
		return
	}
	s.respond(w, r, result(s.deps.Importer.Upload(r.Context(), r.PathValue("slug"), f, filepath.Base(body.Path), st.Size())))
}
