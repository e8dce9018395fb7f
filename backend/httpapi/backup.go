package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// bindBackup registers the console's backups: the last backup and the
// files in <data-dir>/backups, a new backup there, and a download.
func (s *Server) bindBackup(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/admin/backup", s.requireAdmin(s.adminGetBackups))
	mux.HandleFunc("POST /api/admin/backup", s.requireAdmin(s.adminCreateBackup))
	mux.HandleFunc("GET /api/admin/backup/{name}", s.requireAdmin(s.adminDownloadBackup))
}

// backupNameRE is what the console's backups are called.
var backupNameRE = regexp.MustCompile(`^fusebox-backup-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.tar\.gz$`)

type backupFile struct {
	Name      string `json:"name"`
	SizeBytes int64  `json:"size_bytes"`
	CreatedAt string `json:"created_at"`
}

type backupsView struct {
	// Last is the last backup taken (console or `fusebox backup`), if any.
	Last *store.BackupInfo `json:"last"`
	// Folder is the data dir's backups folder; Files are the backups in
	// it, newest first.
	Folder string       `json:"folder"`
	Files  []backupFile `json:"files"`
}

func (s *Server) backupFolder() string { return filepath.Join(s.cfg.DataDir, store.BackupsDir) }

func (s *Server) adminGetBackups(w http.ResponseWriter, r *http.Request) {
	v := backupsView{Folder: s.backupFolder(), Files: []backupFile{}}
	last, err := s.deps.DB.LastBackup(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.Last = last
	entries, err := os.ReadDir(v.Folder)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.writeError(w, r, fmt.Errorf("read the backups folder: %w", err))
		return
	}
	for _, e := range entries {
		if !backupNameRE.MatchString(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		v.Files = append(v.Files, backupFile{Name: e.Name(), SizeBytes: info.Size(), CreatedAt: store.FormatTime(info.ModTime())})
	}
	sort.Slice(v.Files, func(i, j int) bool { return v.Files[i].Name > v.Files[j].Name })
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) adminCreateBackup(w http.ResponseWriter, r *http.Request) {
	if !s.backupMu.TryLock() {
		s.writeError(w, r, errs.Conflict("a backup is being written; wait for it to finish"))
		return
	}
	defer s.backupMu.Unlock()
	if s.deps.DB.Engine() == store.Postgres {
		s.writeError(w, r, errs.Invalid("the data is in PostgreSQL (a team server): back it up with pg_dump (or your PostgreSQL backups) and keep the data dir's key files with it; the console's backups are of SQLite data dirs"))
		return
	}
	name := "fusebox-backup-" + time.Now().UTC().Format("20060102-150405") + ".tar.gz"
	for i := 2; ; i++ {
		if _, err := os.Stat(filepath.Join(s.backupFolder(), name)); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("fusebox-backup-%s-%d.tar.gz", time.Now().UTC().Format("20060102-150405"), i)
	}
	info, err := store.WriteBackupFile(r.Context(), s.cfg.Version, s.cfg.DataDir, filepath.Join(s.backupFolder(), name))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := store.RecordLastBackup(r.Context(), s.deps.DB.Path, info); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("backup written", "path", info.Path, "bytes", info.SizeBytes)
	s.writeJSON(w, http.StatusOK, map[string]any{"backup": info})
}

func (s *Server) adminDownloadBackup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !backupNameRE.MatchString(name) {
		s.writeError(w, r, errs.NotFound("no backup %q: backups are named fusebox-backup-YYYYMMDD-HHMMSS.tar.gz", name))
		return
	}
	f, err := os.Open(filepath.Join(s.backupFolder(), name))
	if errors.Is(err, os.ErrNotExist) {
		s.writeError(w, r, errs.NotFound("no backup %q in %s", name, s.backupFolder()))
		return
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("open backup: %w", err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.writeError(w, r, fmt.Errorf("open backup: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, name, st.ModTime(), f)
}
