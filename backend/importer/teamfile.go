package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// On a team server an uploaded file is kept in the database too, in
// chunks written as they arrive (importer_uploads, importer_upload_chunks),
// so that any replica can preview, stage or hand out a file another
// received. The receiving replica keeps its copy in its data dir as a
// workstation does; another replica writes the file from the chunks into
// its own data dir the first time it needs it (localFile). On SQLite
// nothing of this runs: the file is only on disk, as before.

// uploadChunkBytes is the size of the chunks a team server keeps an
// uploaded file in.
const uploadChunkBytes = 1 << 20

// staleUploadAge is how long a partial upload whose replica stopped
// receiving it is kept before the clean-up worker deletes it.
const staleUploadAge = 24 * time.Hour

// chunkWriter stores the bytes written to it as the chunks of one upload.
type chunkWriter struct {
	db       *store.DB
	ctx      context.Context
	importID int64
	uploadID string
	seq      int
	buf      []byte
	done     bool // the upload became the import's file
}

// beginUpload records a new upload of import id (not complete).
func (s *Service) beginUpload(ctx context.Context, importID int64, name string) (*chunkWriter, error) {
	w := &chunkWriter{db: s.db, ctx: ctx, importID: importID, uploadID: ids.New("up"), buf: make([]byte, 0, uploadChunkBytes)}
	now := nowString()
	if _, err := s.db.Write.ExecContext(ctx, `INSERT INTO importer_uploads (upload_id, import_id, name, size, sha256, complete, created_at, updated_at)
		VALUES (?, ?, ?, 0, '', 0, ?, ?)`, w.uploadID, importID, name, now, now); err != nil {
		return nil, fmt.Errorf("upload: record it in the database: %w", err)
	}
	return w, nil
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), uploadChunkBytes-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == uploadChunkBytes {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush stores the bytes buffered as the next chunk.
func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.db.Write.ExecContext(w.ctx, `INSERT INTO importer_upload_chunks (upload_id, import_id, seq, data) VALUES (?, ?, ?, ?)`,
		w.uploadID, w.importID, w.seq, w.buf); err != nil {
		return fmt.Errorf("store chunk %d of the upload: %w", w.seq, err)
	}
	if _, err := w.db.Write.ExecContext(w.ctx, `UPDATE importer_uploads SET size = size + ?, updated_at = ? WHERE upload_id = ?`,
		len(w.buf), nowString(), w.uploadID); err != nil {
		return fmt.Errorf("store chunk %d of the upload: %w", w.seq, err)
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// complete makes the upload the import's file (size bytes, sha256 sum)
// in tx, and deletes the import's other uploads.
func (w *chunkWriter) complete(ctx context.Context, tx *store.Tx, size int64, sum string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE importer_uploads SET complete = 1, size = ?, sha256 = ?, updated_at = ? WHERE upload_id = ?`,
		size, sum, nowString(), w.uploadID); err != nil {
		return fmt.Errorf("upload: complete it in the database: %w", err)
	}
	for _, q := range []string{
		`DELETE FROM importer_upload_chunks WHERE import_id = ? AND upload_id != ?`,
		`DELETE FROM importer_uploads WHERE import_id = ? AND upload_id != ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, w.importID, w.uploadID); err != nil {
			return fmt.Errorf("upload: delete the previous file: %w", err)
		}
	}
	return nil
}

// discard deletes the upload (one that did not complete).
func (w *chunkWriter) discard() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), time.Minute)
	defer cancel()
	for _, q := range []string{
		`DELETE FROM importer_upload_chunks WHERE upload_id = ?`,
		`DELETE FROM importer_uploads WHERE upload_id = ?`,
	} {
		if _, err := w.db.Write.ExecContext(ctx, q, w.uploadID); err != nil {
			return // left to the clean-up worker
		}
	}
}

// localFile makes imp.filePath name the import's file on this replica's
// disk. On a team server, a replica that did not receive the upload
// writes the file from its stored chunks into its data dir first (once;
// the file's name holds the start of its sha256, so an older file of the
// import is never taken for it).
func (s *Service) localFile(ctx context.Context, imp *Import) error {
	if !s.team() || imp.filePath == "" {
		return nil
	}
	dir := s.uploadDir(imp.Slug)
	path := filepath.Join(dir, filepath.Base(imp.filePath))
	if st, err := os.Stat(path); err == nil && st.Size() == imp.FileSize {
		imp.filePath = path
		return nil
	}
	var uploadID string
	err := s.db.Read.QueryRowContext(ctx, `SELECT upload_id FROM importer_uploads WHERE import_id = ? AND complete = 1 AND sha256 = ?`,
		imp.ID, imp.FileSHA256).Scan(&uploadID)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound("the uploaded file of import %s is no longer stored", imp.Slug)
	}
	if err != nil {
		return fmt.Errorf("read the uploaded file of import %s: %w", imp.Slug, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("read the uploaded file of import %s: %w", imp.Slug, err)
	}
	tmp, err := os.CreateTemp(dir, "fetch-*.part")
	if err != nil {
		return fmt.Errorf("read the uploaded file of import %s: %w", imp.Slug, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := s.copyChunks(ctx, io.MultiWriter(tmp, h), uploadID)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read the uploaded file of import %s: %w", imp.Slug, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != imp.FileSize || sum != imp.FileSHA256 {
		return fmt.Errorf("read the uploaded file of import %s: the stored chunks make %d bytes with sha256 %s, not the %d bytes with %s uploaded",
			imp.Slug, n, sum, imp.FileSize, imp.FileSHA256)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("read the uploaded file of import %s: %w", imp.Slug, err)
	}
	imp.filePath = path
	return nil
}

// copyChunks writes the chunks of an upload to w, in order.
func (s *Service) copyChunks(ctx context.Context, w io.Writer, uploadID string) (int64, error) {
	var total int64
	for seq := 0; ; seq++ {
		var data []byte
		err := s.db.Read.QueryRowContext(ctx, `SELECT data FROM importer_upload_chunks WHERE upload_id = ? AND seq = ?`, uploadID, seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(data)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// removeStaleUploads deletes the partial uploads (a replica stopped while
// receiving them, or a resumable upload not resumed) not written to for
// staleUploadAge.
func (s *Service) removeStaleUploads(ctx context.Context, now time.Time) error {
	cutoff := store.FormatTime(now.Add(-staleUploadAge))
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`DELETE FROM importer_upload_chunks WHERE upload_id IN (SELECT upload_id FROM importer_uploads WHERE complete = 0 AND updated_at < ?)`,
			`DELETE FROM importer_uploads WHERE complete = 0 AND updated_at < ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, cutoff); err != nil {
				return fmt.Errorf("delete stale partial uploads: %w", err)
			}
		}
		return nil
	})
}

// deleteStoredFile deletes, in tx, what the database keeps of an import's
// uploads (a deleted or cancelled import).
func deleteStoredFile(ctx context.Context, tx *store.Tx, importID int64) error {
	for _, q := range []string{
		`DELETE FROM importer_upload_chunks WHERE import_id = ?`,
		`DELETE FROM importer_uploads WHERE import_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, importID); err != nil {
			return fmt.Errorf("delete the stored file: %w", err)
		}
	}
	return nil
}
