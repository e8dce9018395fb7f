package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"fusebox/backend/store"
)

// keyFiles are the key material of a data dir, as files.
var keyFiles = []string{"sessions.key", "secrets.key", "admin.token"}

// MigrateResult is what MigrateToPostgres did.
type MigrateResult struct {
	// Counts are each table's rows in the data dir and in PostgreSQL.
	Counts []store.TableCount
	// KeyDir is where the key files were copied ("" when no key dir was
	// given: they stay in the data dir).
	KeyDir string
	// KeyFiles are the key files of the data dir.
	KeyFiles []string
	// Files is how many imports' original files were stored in PostgreSQL;
	// MissingFiles names the imports whose recorded file is no longer in
	// the data dir (nothing to copy).
	Files        int
	MissingFiles []string
}

// MigrateToPostgres copies the SQLite database of the data dir dataDir
// into the empty PostgreSQL database at databaseURL (store.CopyToPostgres:
// one transaction, then the rows of each table counted on both sides). The
// data dir's database is migrated to this binary's schema first, as any
// start would. With keyDir set, the data dir's key files are copied there
// once the rows are in (a key dir holding other keys is refused before
// anything is copied); without it they stay in the data dir.
//
// The imports' original files (the data dir's uploads/) are stored in
// PostgreSQL in the same transaction, in chunks, as a team server keeps
// them, so every replica finds them.
func MigrateToPostgres(ctx context.Context, dataDir, databaseURL, keyDir string) (MigrateResult, error) {
	res := MigrateResult{KeyDir: keyDir}
	if databaseURL == "" || !store.IsPostgresURL(databaseURL) {
		return res, errors.New("--database: want the URL of an empty PostgreSQL database, postgres://user:password@host:port/dbname")
	}
	dbPath := filepath.Join(dataDir, "fusebox.db")
	if _, err := os.Stat(dbPath); err != nil {
		return res, fmt.Errorf("no database to copy in the data dir %s: %w", dataDir, err)
	}
	for _, f := range keyFiles {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err == nil {
			res.KeyFiles = append(res.KeyFiles, f)
		}
	}
	if keyDir != "" {
		if err := checkKeyDirAccepts(dataDir, keyDir, res.KeyFiles); err != nil {
			return res, err
		}
	}
	src, err := store.Open(ctx, dbPath)
	if err != nil {
		return res, err
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, databaseURL)
	if err != nil {
		return res, err
	}
	defer dst.Close()
	files, missing, err := uploadedFiles(ctx, src, dataDir)
	if err != nil {
		return res, err
	}
	res.Files, res.MissingFiles = len(files), missing
	res.Counts, err = store.CopyToPostgres(ctx, src, dst, files)
	if err != nil {
		return res, err
	}
	if keyDir != "" {
		if err := copyKeyFiles(dataDir, keyDir, res.KeyFiles); err != nil {
			return res, err
		}
	}
	return res, nil
}

// checkKeyDirAccepts refuses a key dir that holds one of files with
// another content than the data dir's.
func checkKeyDirAccepts(dataDir, keyDir string, files []string) error {
	if abs, _ := filepath.Abs(keyDir); abs == dataDir {
		return nil
	}
	for _, f := range files {
		have, err := os.ReadFile(filepath.Join(keyDir, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Join(keyDir, f), err)
		}
		want, err := os.ReadFile(filepath.Join(dataDir, f))
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Join(dataDir, f), err)
		}
		if !bytes.Equal(bytes.TrimSpace(have), bytes.TrimSpace(want)) {
			return fmt.Errorf("the key dir %s already holds another %s than the data dir %s: give an empty key dir (nothing was copied)", keyDir, f, dataDir)
		}
	}
	return nil
}

// copyKeyFiles copies files from the data dir into the key dir (0600, the
// dir 0700), leaving ones already there (checkKeyDirAccepts made sure
// they are the same).
func copyKeyFiles(dataDir, keyDir string, files []string) error {
	if abs, _ := filepath.Abs(keyDir); abs == dataDir {
		return nil
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return fmt.Errorf("make the key dir %s: %w", keyDir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dataDir, f))
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Join(dataDir, f), err)
		}
		out, err := os.OpenFile(filepath.Join(keyDir, f), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy %s into the key dir: %w", f, err)
		}
		_, err = out.Write(b)
		if err == nil {
			err = out.Sync()
		}
		if err = errors.Join(err, out.Close()); err != nil {
			return fmt.Errorf("copy %s into the key dir: %w", f, err)
		}
	}
	return nil
}

// uploadedFiles lists the imports of the data dir's database that keep an
// original file, found where the import recorded it or, for a data dir
// that was moved, under dataDir/uploads/<import>/; missing names the
// imports whose file is in neither place.
func uploadedFiles(ctx context.Context, db *store.DB, dataDir string) (files []store.UploadedFile, missing []string, err error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, slug, file_name, file_path, file_size, file_sha256 FROM importer_imports WHERE file_path <> '' ORDER BY id`)
	if err != nil {
		return nil, nil, fmt.Errorf("list the uploaded files of %s: %w", db.Path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f store.UploadedFile
		var slug, path string
		if err := rows.Scan(&f.ImportID, &slug, &f.Name, &path, &f.Size, &f.SHA256); err != nil {
			return nil, nil, fmt.Errorf("list the uploaded files of %s: %w", db.Path, err)
		}
		for _, p := range []string{path, filepath.Join(dataDir, "uploads", slug, filepath.Base(path))} {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				f.Path = p
				break
			}
		}
		if f.Path == "" {
			missing = append(missing, slug)
			continue
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list the uploaded files of %s: %w", db.Path, err)
	}
	return files, missing, nil
}
