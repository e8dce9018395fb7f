package httpapi

import (
	"mime"
	"net/http"
	"path/filepath"
)

// adminImportFile serves the file an import's end user uploaded, as an
// attachment (never rendered by the browser), for the console's import
// detail. Admin only.
func (s *Server) adminImportFile(w http.ResponseWriter, r *http.Request) {
	f, imp, err := s.deps.Importer.OriginalFile(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := filepath.Base(imp.FileName)
	if name == "" || name == "." || name == "/" {
		name = imp.Slug
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}
