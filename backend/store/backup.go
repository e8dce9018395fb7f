package store

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// A backup is a gzipped tar of a data dir: a snapshot of the database
// (DBFile, taken with Snapshot while the server runs), every other
// regular file of the data dir (the key files, admin.token, uploads/...)
// and, last, manifest.json listing each file with its size and SHA-256.
// Left out: the database's -wal and -shm files (the snapshot holds what
// they hold), uploads still being received (*.part), the write probe and
// the backups/ folder itself.
const (
	// DBFile is the database's name inside a data dir.
	DBFile = "fusebox.db"
	// BackupsDir is the folder of a data dir the console writes backups into.
	BackupsDir = "backups"
	// ManifestName is the archive's last entry.
	ManifestName   = "manifest.json"
	backupFormat   = "fusebox-backup/1"
	lastBackupKey  = "backup.last"
	backupFileMode = 0o600
	backupDirMode  = 0o700
	// restoreFreeReserve is the free disk space a restore leaves: an entry
	// (its size is in its tar header, before its bytes) that would eat
	// into it is refused before it is written, so an archive that unpacks
	// to more than it says on the outside cannot fill the disk.
	restoreFreeReserve = 64 << 20
)

// Manifest describes a backup archive.
type Manifest struct {
	Format        string         `json:"format"`
	Version       string         `json:"fusebox_version"`
	SchemaVersion int            `json:"schema_version"`
	CreatedAt     string         `json:"created_at"`
	Files         []ManifestFile `json:"files"`
}

// ManifestFile is one file of a backup.
type ManifestFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupInfo is a backup written to a file.
type BackupInfo struct {
	Path          string `json:"path"`
	Name          string `json:"name"`
	SizeBytes     int64  `json:"size_bytes"`
	SHA256        string `json:"sha256"`
	CreatedAt     string `json:"created_at"`
	SchemaVersion int    `json:"schema_version"`
	Files         int    `json:"files"`
	Version       string `json:"fusebox_version"`
}

// skipInBackup reports whether a data dir file (slash path relative to
// the data dir) stays out of a backup.
func skipInBackup(rel string) bool {
	base := path.Base(rel)
	switch {
	case rel == DBFile, rel == DBFile+"-wal", rel == DBFile+"-shm", rel == DBFile+"-journal":
		return true // the snapshot stands for them
	case rel == BackupsDir || strings.HasPrefix(rel, BackupsDir+"/"):
		return true
	case strings.HasSuffix(base, ".part"), strings.HasPrefix(base, ".write-check-"), strings.HasPrefix(base, ".backup-"):
		return true
	}
	return false
}

// WriteBackup writes a backup of dataDir to w (see the package comment
// above). version is the running binary's, recorded in the manifest.
func WriteBackup(ctx context.Context, version, dataDir string, w io.Writer) (Manifest, error) {
	m := Manifest{Format: backupFormat, Version: version, CreatedAt: Now()}
	tmp, err := os.MkdirTemp(dataDir, ".backup-")
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, DBFile)
	if err := Snapshot(ctx, filepath.Join(dataDir, DBFile), snap); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if m.SchemaVersion, err = CheckFile(ctx, snap); err != nil {
		return m, fmt.Errorf("backup: the snapshot does not check: %w", err)
	}

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	add := func(rel, src string) error {
		f, err := os.Open(src)
		if errors.Is(err, os.ErrNotExist) && rel != DBFile {
			return nil // an upload deleted since the walk saw it
		}
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: rel, Mode: backupFileMode, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(f, st.Size()))
		if err != nil {
			return err
		}
		if n != st.Size() {
			return fmt.Errorf("%s shrank while it was read (%d of %d bytes)", src, n, st.Size())
		}
		m.Files = append(m.Files, ManifestFile{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	}
	if err := add(DBFile, snap); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	var rels []string
	err = filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, rerr := filepath.Rel(dataDir, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if skipInBackup(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			rels = append(rels, rel)
		}
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("backup: read data dir %s: %w", dataDir, err)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		if err := ctx.Err(); err != nil {
			return m, fmt.Errorf("backup: %w", err)
		}
		if err := add(rel, filepath.Join(dataDir, filepath.FromSlash(rel))); err != nil {
			return m, fmt.Errorf("backup: %w", err)
		}
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	body = append(body, '\n')
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: backupFileMode, Size: int64(len(body)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(body); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// WriteBackupFile writes a backup of dataDir to the file out (0600),
// through a temporary file beside it, so out appears only when whole.
// It refuses an existing out and an out inside the data dir other than
// in its backups/ folder (a backup would contain itself).
func WriteBackupFile(ctx context.Context, version, dataDir, out string) (BackupInfo, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", out, err)
	}
	if rel, err := filepath.Rel(dataDir, abs); err == nil && filepath.IsLocal(rel) && !skipInBackup(filepath.ToSlash(rel)) {
		return BackupInfo{}, fmt.Errorf("backup to %s: the file is inside the data dir %s; write it elsewhere (or into its %s/ folder)", out, dataDir, BackupsDir)
	}
	if _, err := os.Stat(abs); err == nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: the file exists; choose a new name", out)
	}
	if err := os.MkdirAll(filepath.Dir(abs), backupDirMode); err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", out, err)
	}
	f, err := os.CreateTemp(filepath.Dir(abs), ".backup-*.part")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", out, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(backupFileMode); err != nil {
		f.Close()
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", out, err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	m, err := WriteBackup(ctx, version, dataDir, cw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, err
	}
	if err := os.Link(f.Name(), abs); err != nil { // fails, unlike rename, if out appeared meanwhile
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", out, err)
	}
	return BackupInfo{
		Path: abs, Name: filepath.Base(abs), SizeBytes: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)),
		CreatedAt: m.CreatedAt, SchemaVersion: m.SchemaVersion, Files: len(m.Files), Version: m.Version,
	}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// RestoreBackup restores the backup archive at archive into dataDir,
// which must not exist or be empty. It checks every entry against the
// manifest (names, sizes, SHA-256; nothing missing, nothing extra) and
// the database (integrity, a schema this binary knows); on any failure it
// removes what it wrote and says why. An entry larger than the disk's free
// space (less restoreFreeReserve) is refused before it is written. Files
// are written 0600, folders 0700.
func RestoreBackup(ctx context.Context, archive, dataDir string) (Manifest, error) {
	var m Manifest
	if err := emptyTarget(dataDir); err != nil {
		return m, err
	}
	f, err := os.Open(archive)
	if err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	created := false
	if _, err := os.Stat(dataDir); errors.Is(err, os.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(dataDir, backupDirMode); err != nil {
		return m, fmt.Errorf("restore: create %s: %w", dataDir, err)
	}
	m, err = restore(ctx, f, archive, dataDir)
	if err != nil {
		// Leave the target as it was: empty (or absent).
		if created {
			os.RemoveAll(dataDir)
		} else if entries, rerr := os.ReadDir(dataDir); rerr == nil {
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dataDir, e.Name()))
			}
		}
		return m, err
	}
	return m, nil
}

func emptyTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore into %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore into %s: the directory is not empty (%d entries, e.g. %s); restore into a new or empty directory", dir, len(entries), entries[0].Name())
	}
	return nil
}

func restore(ctx context.Context, r io.Reader, archive, dataDir string) (Manifest, error) {
	var m Manifest
	bad := func(format string, a ...any) error {
		return fmt.Errorf("restore: %s is not a whole Fusebox backup: %s", archive, fmt.Sprintf(format, a...))
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, bad("not gzip (%v)", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]ManifestFile{}
	var manifest []byte
	for {
		if err := ctx.Err(); err != nil {
			return m, fmt.Errorf("restore: %w", err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, bad("%v", err)
		}
		if manifest != nil {
			return m, bad("entry %q after the manifest", hdr.Name)
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			return m, bad("entry %q is not a regular file", hdr.Name)
		}
		name := hdr.Name
		if !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != name || strings.Contains(name, `\`) {
			return m, bad("entry name %q is not a plain relative path", name)
		}
		if name == ManifestName {
			if manifest, err = io.ReadAll(io.LimitReader(tr, 64<<20)); err != nil {
				return m, bad("read manifest: %v", err)
			}
			continue
		}
		if skipInBackup(name) && name != DBFile {
			return m, bad("entry %q has no place in a data dir backup", name)
		}
		if _, dup := got[name]; dup {
			return m, bad("entry %q appears twice", name)
		}
		if free, ok := freeDiskBytes(dataDir); ok && hdr.Size > free-restoreFreeReserve {
			return m, fmt.Errorf("restore: entry %q of %s is %d bytes, but the disk holding %s has %d bytes free (%d kept in reserve); free some space or restore elsewhere",
				name, archive, hdr.Size, dataDir, max(free, 0), restoreFreeReserve)
		}
		dest := filepath.Join(dataDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dest), backupDirMode); err != nil {
			return m, fmt.Errorf("restore: %w", err)
		}
		out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, backupFileMode)
		if err != nil {
			return m, fmt.Errorf("restore: %w", err)
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, h), tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return m, bad("read %s: %v", name, err)
		}
		got[name] = ManifestFile{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	}
	if manifest == nil {
		return m, bad("no %s at its end (cut short?)", ManifestName)
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return m, bad("manifest: %v", err)
	}
	if m.Format != backupFormat {
		return m, bad("manifest format %q, want %q", m.Format, backupFormat)
	}
	want := map[string]bool{}
	for _, mf := range m.Files {
		want[mf.Path] = true
		g, ok := got[mf.Path]
		if !ok {
			return m, bad("%s is listed in the manifest but missing", mf.Path)
		}
		if g.Size != mf.Size || g.SHA256 != mf.SHA256 {
			return m, bad("%s does not match the manifest (size %d, sha256 %s; manifest: size %d, sha256 %s)", mf.Path, g.Size, g.SHA256, mf.Size, mf.SHA256)
		}
	}
	for name := range got {
		if !want[name] {
			return m, bad("%s is not listed in the manifest", name)
		}
	}
	if !want[DBFile] {
		return m, bad("no %s", DBFile)
	}
	if _, err := CheckFile(ctx, filepath.Join(dataDir, DBFile)); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	return m, nil
}

// RecordLastBackup stores info as the data dir's last backup (what the
// console's Settings shows), over a connection of its own to the database
// file at dbPath, so the CLI can record it beside a running server.
func RecordLastBackup(ctx context.Context, dbPath string, info BackupInfo) error {
	body, err := json.Marshal(info)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("record the backup in %s: %w", dbPath, err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, lastBackupKey, string(body), Now())
	if err != nil {
		return fmt.Errorf("record the backup in %s: %w", dbPath, err)
	}
	return nil
}

// LastBackup is the last backup recorded with RecordLastBackup, or nil.
func (db *DB) LastBackup(ctx context.Context) (*BackupInfo, error) {
	v, ok, err := db.Setting(ctx, lastBackupKey)
	if err != nil || !ok {
		return nil, err
	}
	var info BackupInfo
	if err := json.Unmarshal([]byte(v), &info); err != nil {
		return nil, fmt.Errorf("read the last backup: %w", err)
	}
	return &info, nil
}
