package importer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// Resumable uploads. A file may be sent in byte ranges (UploadPart, the
// API's PUT .../file with Content-Range: bytes START-END/TOTAL): each
// range appends to the import's upload in progress, and what a range
// delivered before its connection was cut stays, up to the last chunk
// committed. UploadStatus tells how many bytes are kept (the offset the
// next range starts at). The upload's row in importer_uploads holds the
// declared total, the bytes committed (size) and the SHA-256 state of
// those bytes (hash_state), written with each chunk in one transaction, so
// the whole file's hash is right after any number of resumes without
// reading the file again. On a workstation the bytes are in the data dir
// (resume-<upload>.part); on a team server they are in the database's
// chunks, and only the range that completes the upload writes a file (from
// the chunks, then appending), so that no replica keeps the bytes of an
// upload another replica dropped or completed. The range that brings the
// upload to its total makes it the import's file, as a one-request Upload
// does.

// UploadRange is one range of a resumable upload: bytes Start..End
// (inclusive) of a file of Total bytes.
type UploadRange struct {
	Start, End, Total int64
}

// UploadStatus is how much of an import's resumable upload the server
// keeps: Offset bytes of Total (the next range starts at Offset).
// Complete: the import has its file (Offset = Total = its size) and no
// upload is in progress; a new upload starts at byte 0.
type UploadStatus struct {
	Offset   int64  `json:"offset"`
	Total    int64  `json:"total"`
	Name     string `json:"name,omitempty"`
	Complete bool   `json:"complete"`
}

// partialUpload is an upload in progress as stored.
type partialUpload struct {
	id, name          string
	size, total       int64
	hashState         []byte
	nextSeq           int
	importID          int64
	importSlug, local string
}

// UploadState reports how much of the import's resumable upload is kept.
func (s *Service) UploadState(ctx context.Context, slug string) (UploadStatus, error) {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return UploadStatus{}, err
	}
	p, err := s.partialUpload(ctx, s.db.Read, imp)
	if err != nil {
		return UploadStatus{}, err
	}
	if p != nil {
		return UploadStatus{Offset: p.size, Total: p.total, Name: p.name}, nil
	}
	if imp.filePath != "" {
		return UploadStatus{Offset: imp.FileSize, Total: imp.FileSize, Name: imp.FileName, Complete: true}, nil
	}
	return UploadStatus{}, nil
}

// partialUpload returns the import's resumable upload in progress, or nil.
func (s *Service) partialUpload(ctx context.Context, q queryer, imp *Import) (*partialUpload, error) {
	p := &partialUpload{importID: imp.ID, importSlug: imp.Slug}
	err := q.QueryRowContext(ctx, `SELECT upload_id, name, size, total, hash_state FROM importer_uploads
		WHERE import_id = ? AND complete = 0 AND total > 0 ORDER BY created_at DESC, upload_id DESC LIMIT 1`, imp.ID).
		Scan(&p.id, &p.name, &p.size, &p.total, &p.hashState)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the upload in progress of import %s: %w", imp.Slug, err)
	}
	p.local = filepath.Join(s.uploadDir(imp.Slug), "resume-"+p.id+".part")
	return p, nil
}

// UploadPart receives one range of a resumable upload of the file named
// name. A range starting at byte 0 starts a new upload (one in progress
// is dropped); any other must start where the upload in progress stands
// and declare the same total. It returns the status after the range and,
// once the range completes the file, its preview (the file is then the
// import's, as after Upload). A range cut short keeps its bytes up to the
// last chunk committed and returns an error; ask UploadState and go on.
func (s *Service) UploadPart(ctx context.Context, slug string, body io.Reader, name string, rg UploadRange) (UploadStatus, *Preview, error) {
	if rg.Start < 0 || rg.End < rg.Start || rg.Total <= 0 || rg.End >= rg.Total {
		return UploadStatus{}, nil, errs.Invalid("range bytes %d-%d/%d: want START-END/TOTAL with 0 <= START <= END < TOTAL", rg.Start, rg.End, rg.Total)
	}
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return UploadStatus{}, nil, err
	}
	unlock, err := s.lock(ctx, imp.ID)
	if err != nil {
		return UploadStatus{}, nil, err
	}
	defer unlock()
	if imp, err = s.loadImport(ctx, s.db.Read, slug); err != nil { // fresh, under the lock
		return UploadStatus{}, nil, err
	}
	if err := refuseCancelled(imp); err != nil {
		return UploadStatus{}, nil, err
	}
	if imp.Status != StatusCreated && imp.Status != StatusFailed || imp.Step == StepSubmitting || imp.Step == StepDone {
		return UploadStatus{}, nil, errs.Conflict("import %s is %s; start a new import to upload another file", slug, imp.Status)
	}
	sc, err := s.schemaOf(imp)
	if err != nil {
		return UploadStatus{}, nil, err
	}
	limit := sc.Def.Settings.MaxFileBytes()
	if rg.Total > limit {
		return UploadStatus{}, nil, errs.TooLarge("the file is %s; importer %q accepts at most %s", humanSize(rg.Total), sc.Def.Slug, humanSize(limit))
	}
	p, err := s.partialUpload(ctx, s.db.Read, imp)
	if err != nil {
		return UploadStatus{}, nil, err
	}
	if rg.Start == 0 {
		name = filepath.Base(strings.TrimSpace(name))
		if name == "" || name == "." || name == "/" {
			name = "upload.csv"
		}
		ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
		if !sc.Def.Settings.AllowsFileType(ext) {
			return UploadStatus{}, nil, errs.Invalid("file type %q is not allowed for importer %q (allowed: %s)", ext, sc.Def.Slug, strings.Join(sc.Def.Settings.AllowedFileTypes, ", "))
		}
		if p != nil {
			if err := s.dropPartial(ctx, p); err != nil {
				return UploadStatus{}, nil, err
			}
		}
		if p, err = s.beginPartial(ctx, imp, name, rg.Total); err != nil {
			return UploadStatus{}, nil, err
		}
	} else {
		switch {
		case p == nil && imp.filePath != "":
			return UploadStatus{}, nil, errs.Conflict("the upload of import %s is complete (%s); a new upload starts at byte 0", slug, humanSize(imp.FileSize))
		case p == nil:
			return UploadStatus{}, nil, errs.Conflict("import %s has no upload in progress; an upload starts at byte 0", slug)
		case rg.Total != p.total:
			return UploadStatus{}, nil, errs.Invalid("the range's total %d differs from the %d bytes the upload of import %s started with", rg.Total, p.total, slug)
		case rg.Start != p.size:
			return UploadStatus{}, nil, errs.Conflict("the range starts at byte %d but the server has %d bytes of the upload of import %s: continue from byte %d", rg.Start, p.size, slug, p.size)
		}
	}
	want := rg.End - rg.Start + 1
	space, err := s.uploadSpace(ctx, imp, want)
	if err != nil {
		return UploadStatus{}, nil, err
	}
	defer space.done()
	j := newJob("uploading", rg.Total)
	j.bytes.Store(rg.Start)
	s.setJob(imp.ID, j)
	st, pv, err := s.receivePart(ctx, imp, j, p, body, want, limit, space)
	j.finish(err)
	return st, pv, err
}

// beginPartial records a new resumable upload of imp (total bytes).
func (s *Service) beginPartial(ctx context.Context, imp *Import, name string, total int64) (*partialUpload, error) {
	p := &partialUpload{id: ids.New("up"), name: name, total: total, importID: imp.ID, importSlug: imp.Slug}
	p.local = filepath.Join(s.uploadDir(imp.Slug), "resume-"+p.id+".part")
	now := nowString()
	if _, err := s.db.Write.ExecContext(ctx, `INSERT INTO importer_uploads (upload_id, import_id, name, size, sha256, complete, total, created_at, updated_at)
		VALUES (?, ?, ?, 0, '', 0, ?, ?, ?)`, p.id, imp.ID, name, total, now, now); err != nil {
		return nil, fmt.Errorf("upload: record it in the database: %w", err)
	}
	return p, nil
}

// dropPartial deletes an upload in progress (a new one starts).
func (s *Service) dropPartial(ctx context.Context, p *partialUpload) error {
	os.Remove(p.local)
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`DELETE FROM importer_upload_chunks WHERE upload_id = ?`,
			`DELETE FROM importer_uploads WHERE upload_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, p.id); err != nil {
				return fmt.Errorf("upload: drop the upload in progress: %w", err)
			}
		}
		return nil
	})
}

// localPart opens this process's file of the upload in progress holding
// exactly its p.size committed bytes: the file this process wrote (cut
// back to what was committed) or, on a team server, always one written
// from the stored chunks (a file left by a replica that stopped mid-range
// may hold bytes the database never took).
func (s *Service) localPart(ctx context.Context, p *partialUpload) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(p.local), 0o700); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	if st, err := os.Stat(p.local); err == nil && st.Size() >= p.size && !s.team() {
		f, err := os.OpenFile(p.local, os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("upload: %w", err)
		}
		err = f.Truncate(p.size)
		if err == nil {
			_, err = f.Seek(p.size, io.SeekStart)
		}
		if err == nil {
			return f, nil
		}
		f.Close()
		return nil, fmt.Errorf("upload: cut %s back to %d bytes: %w", p.local, p.size, err)
	}
	if p.size > 0 && !s.team() {
		return nil, errs.Conflict("the %d bytes received of the upload of import %s are no longer stored; start the upload again at byte 0", p.size, p.importSlug)
	}
	f, err := os.OpenFile(p.local, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	if p.size == 0 {
		return f, nil
	}
	n, err := s.copyChunks(ctx, f, p.id)
	if err == nil && n != p.size {
		// chunks missing (an upload copied from a workstation's database
		// keeps none): what was received cannot be continued
		f.Close()
		return nil, errs.Conflict("the %d bytes received of the upload of import %s are no longer stored (%d found); start the upload again at byte 0", p.size, p.importSlug, n)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("upload: read the %d bytes received of the upload of import %s: %w", p.size, p.importSlug, err)
	}
	return f, nil
}

func (s *Service) receivePart(ctx context.Context, imp *Import, j *job, p *partialUpload, body io.Reader, want, limit int64, space *spaceWriter) (UploadStatus, *Preview, error) {
	h := sha256.New()
	if p.size > 0 {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(p.hashState); err != nil {
			return UploadStatus{}, nil, fmt.Errorf("upload: the stored hash state of the upload of import %s: %w", imp.Slug, err)
		}
	}
	if s.team() {
		// the chunks are the upload's bytes between ranges: a file left
		// here would outlive the upload when another replica drops or
		// completes it, outside the pending-upload quota (once the
		// upload completes the file is the import's, renamed away)
		defer os.Remove(p.local)
		var stored int64
		if err := s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), -1) + 1, COALESCE(SUM(length(data)), 0) FROM importer_upload_chunks WHERE upload_id = ?`, p.id).
			Scan(&p.nextSeq, &stored); err != nil {
			return UploadStatus{}, nil, fmt.Errorf("upload: %w", err)
		}
		if stored != p.size {
			// chunks missing (an upload copied from a workstation's
			// database keeps none): what was received cannot be continued
			return UploadStatus{}, nil, errs.Conflict("the %d bytes received of the upload of import %s are no longer stored (%d found); start the upload again at byte 0", p.size, p.importSlug, stored)
		}
	}
	// on a team server the file is written from the chunks only for the
	// range that completes the upload (each range writing it again would
	// read every earlier chunk back)
	var f *os.File
	if !s.team() || p.size+want == p.total {
		var err error
		if f, err = s.localPart(ctx, p); err != nil {
			return UploadStatus{}, nil, err
		}
	}
	pw := s.newPartWriter(ctx, p, f, h)
	n, err := io.Copy(countingWriter{w: space.wrap(pw), n: &j.bytes}, io.LimitReader(body, want))
	if cerr := pw.close(); err == nil {
		err = cerr
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if errs.Code(err) == errs.EUNAVAILABLE {
		return UploadStatus{}, nil, err // the pending-upload quota or the disk's free space
	}
	if err == nil && n < want {
		err = fmt.Errorf("the body ended after %d of the range's %d bytes", n, want)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		msg := fmt.Sprintf("upload interrupted with %s of %s kept (ask for the upload's offset and continue from there)", humanSize(p.size), humanSize(p.total))
		if errs.Is(err, errs.EINVALID) {
			msg = errs.Message(err) + "; " + msg // the body's own fault: say which
		}
		return UploadStatus{}, nil, errs.Wrap(errs.EINVALID, err, "%s", msg)
	}
	st := UploadStatus{Offset: p.size, Total: p.total, Name: p.name}
	if p.size < p.total {
		return st, nil, nil
	}
	sum := hex.EncodeToString(h.Sum(nil))
	pv, err := s.install(ctx, imp, p.local, p.name, p.size, sum, limit, func(ctx context.Context, tx *store.Tx) error {
		return completeUpload(ctx, tx, imp.ID, p.id, p.size, sum)
	})
	if err != nil {
		// the file itself is refused (not its transfer): a new upload
		// starts at byte 0
		drop, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if derr := s.dropPartial(drop, p); derr != nil {
			s.log.Warn("drop a refused upload", "import", imp.Slug, "err", derr)
		}
		return UploadStatus{}, nil, err
	}
	st.Complete = true
	return st, &pv, nil
}

// completeUpload makes upload id the import's file (size bytes, sha256
// sum) in tx and deletes the import's other uploads.
func completeUpload(ctx context.Context, tx *store.Tx, importID int64, id string, size int64, sum string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE importer_uploads SET complete = 1, size = ?, sha256 = ?, hash_state = ?, updated_at = ? WHERE upload_id = ?`,
		size, sum, []byte{}, nowString(), id); err != nil {
		return fmt.Errorf("upload: complete it in the database: %w", err)
	}
	for _, q := range []string{
		`DELETE FROM importer_upload_chunks WHERE import_id = ? AND upload_id != ?`,
		`DELETE FROM importer_uploads WHERE import_id = ? AND upload_id != ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, importID, id); err != nil {
			return fmt.Errorf("upload: delete the previous file: %w", err)
		}
	}
	return nil
}

// partWriter writes a resumable upload's bytes in chunks of
// uploadChunkBytes. A goroutine commits each chunk (the local file, on a
// team server the chunk row, and the upload's size and hash state in one
// transaction) while the request's body is read on: the reading does not
// wait for the database.
type partWriter struct {
	s    *Service
	ctx  context.Context
	p    *partialUpload
	f    *os.File
	h    hash.Hash
	buf  []byte
	ch   chan []byte
	free chan []byte
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error // the first commit's error
}

// partPipeline is how many chunks may wait for their commit while the
// body is read on.
const partPipeline = 3

func (s *Service) newPartWriter(ctx context.Context, p *partialUpload, f *os.File, h hash.Hash) *partWriter {
	// the commits outlive the request: the bytes received before a client
	// went away are kept
	w := &partWriter{s: s, ctx: context.WithoutCancel(ctx), p: p, f: f, h: h, ch: make(chan []byte, partPipeline), free: make(chan []byte, partPipeline+2)}
	w.buf = make([]byte, 0, uploadChunkBytes)
	w.wg.Add(1)
	go w.run()
	return w
}

func (w *partWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *partWriter) run() {
	defer w.wg.Done()
	for b := range w.ch {
		if w.failed() == nil {
			if err := w.commit(b); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
		select {
		case w.free <- b[:0]:
		default:
		}
	}
}

// commit stores chunk b: the local file first (if the range has one),
// then the database's record of it (the recorded size never counts bytes
// not on disk).
func (w *partWriter) commit(b []byte) error {
	if w.f != nil {
		if _, err := w.f.Write(b); err != nil {
			return fmt.Errorf("upload: write the file: %w", err)
		}
	}
	w.h.Write(b)
	state, err := w.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return fmt.Errorf("upload: hash state: %w", err)
	}
	p := w.p
	err = w.s.db.Tx(w.ctx, func(tx *store.Tx) error {
		if w.s.team() {
			if _, err := tx.ExecContext(w.ctx, `INSERT INTO importer_upload_chunks (upload_id, import_id, seq, data) VALUES (?, ?, ?, ?)`,
				p.id, p.importID, p.nextSeq, b); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(w.ctx, `UPDATE importer_uploads SET size = ?, hash_state = ?, updated_at = ? WHERE upload_id = ?`,
			p.size+int64(len(b)), state, nowString(), p.id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store chunk %d of the upload: %w", p.nextSeq, err)
	}
	p.nextSeq++
	p.size += int64(len(b))
	return nil
}

func (w *partWriter) Write(b []byte) (int, error) {
	if err := w.failed(); err != nil {
		return 0, err
	}
	n := len(b)
	for len(b) > 0 {
		k := min(len(b), uploadChunkBytes-len(w.buf))
		w.buf = append(w.buf, b[:k]...)
		b = b[k:]
		if len(w.buf) == uploadChunkBytes {
			w.ch <- w.buf
			select {
			case w.buf = <-w.free:
			default:
				w.buf = make([]byte, 0, uploadChunkBytes)
			}
		}
	}
	return n, nil
}

// close commits what is buffered (the bytes received before the end or
// a cut of the body are the file's) and waits for the commits.
func (w *partWriter) close() error {
	if len(w.buf) > 0 {
		w.ch <- w.buf
		w.buf = nil
	}
	close(w.ch)
	w.wg.Wait()
	return w.failed()
}
