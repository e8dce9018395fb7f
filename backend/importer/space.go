package importer

import (
	"context"
	"fmt"
	"io"
	"os"

	"fusebox/backend/errs"
	"fusebox/backend/schema"
)

// Environment variables that set the upload space limits (docs/security.md).
const (
	EnvMaxPendingUploadBytes = "FUSEBOX_MAX_PENDING_UPLOAD_BYTES"
	EnvMinFreeDiskBytes      = "FUSEBOX_MIN_FREE_DISK_BYTES"
)

// spaceLimitsFromEnv applies $FUSEBOX_MAX_PENDING_UPLOAD_BYTES and
// $FUSEBOX_MIN_FREE_DISK_BYTES ("2000000000", "2GB", "500 MB"; 0 turns a
// limit off). A value that does not parse is logged and the default kept.
func (s *Service) spaceLimitsFromEnv() {
	for _, l := range []struct {
		env string
		dst *int64
	}{{EnvMaxPendingUploadBytes, &s.MaxPendingUploadBytes}, {EnvMinFreeDiskBytes, &s.MinFreeDiskBytes}} {
		v := os.Getenv(l.env)
		if v == "" {
			continue
		}
		n, ok := schema.ParseByteSize(v)
		if !ok {
			s.log.Error("importer: ignoring a bad upload space limit; the default stays", "env", l.env, "value", v, "default", humanSize(*l.dst))
			continue
		}
		*l.dst = n
	}
}

// diskCheckEvery is how many bytes an upload writes between two checks
// of the disk's free space.
const diskCheckEvery = 16 << 20

// uploadSpace is the space an upload of size bytes (-1 when unknown) to
// imp may use: it refuses the upload up front when the pending-upload
// quota or the disk's free space does not allow it, and returns the
// writer that keeps checking both while the file streams in. The caller
// calls done once the upload is recorded or abandoned.
func (s *Service) uploadSpace(ctx context.Context, imp *Import, size int64) (*spaceWriter, error) {
	sw := &spaceWriter{s: s, max: s.MaxPendingUploadBytes, minFree: s.MinFreeDiskBytes}
	if sw.max > 0 {
		// Uploads of imports not yet submitted, from the database (the
		// import's own file is about to be replaced, so it does not count).
		err := s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(file_size), 0) FROM importer_imports
			WHERE status IN (?, ?) AND step NOT IN (?, ?) AND id != ?`,
			StatusCreated, StatusFailed, StepSubmitting, StepDone, imp.ID).Scan(&sw.held)
		if err != nil {
			return nil, fmt.Errorf("upload: pending upload bytes: %w", err)
		}
		// and the bytes kept of resumable uploads in progress (this
		// import's too: a range continues them), held between their
		// ranges until they complete or go stale
		var partial int64
		err = s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM importer_uploads
			WHERE complete = 0 AND total > 0`).Scan(&partial)
		if err != nil {
			return nil, fmt.Errorf("upload: bytes kept of resumable uploads: %w", err)
		}
		sw.held += partial
		if err := sw.checkQuota(max(size, 0)); err != nil {
			return nil, err
		}
	}
	if err := sw.checkDisk(max(size, 0)); err != nil {
		return nil, err
	}
	return sw, nil
}

// spaceWriter counts an upload's bytes into the service's in-flight total
// and fails a write that breaks the pending-upload quota or leaves the
// disk nearly full.
type spaceWriter struct {
	s        *Service
	max      int64 // MaxPendingUploadBytes; 0 = off
	minFree  int64 // MinFreeDiskBytes; 0 = off
	held     int64 // recorded bytes of other pending uploads at the start
	n        int64 // bytes this upload wrote
	sinceChk int64 // bytes since the last disk check
}

func (w *spaceWriter) checkQuota(more int64) error {
	if w.max <= 0 {
		return nil
	}
	used := w.held + w.s.inflight.Load()
	if used+more > w.max {
		what := "this file"
		if more > 0 {
			what = fmt.Sprintf("this file (%s)", humanSize(more))
		}
		return errs.Unavailable("uploads of imports not yet submitted already hold %s of the %s allowed on this server (%s); %s does not fit: submit or delete unsubmitted imports (or wait for the cleanup of old ones), or raise the limit",
			humanSize(used), humanSize(w.max), EnvMaxPendingUploadBytes, what)
	}
	return nil
}

func (w *spaceWriter) checkDisk(more int64) error {
	if w.minFree <= 0 {
		return nil
	}
	free, ok := FreeDiskBytes(w.s.dataDir)
	if ok && free-more < w.minFree {
		return errs.Unavailable("disk nearly full: the data directory's disk has %s free, and uploads stop while less than %s would be left (%s); free some space, or lower the limit",
			humanSize(free), humanSize(w.minFree), EnvMinFreeDiskBytes)
	}
	return nil
}

// wrap returns dst with every write counted and checked.
func (w *spaceWriter) wrap(dst io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		if err := w.checkQuota(int64(len(p))); err != nil {
			return 0, err
		}
		if w.sinceChk += int64(len(p)); w.sinceChk >= diskCheckEvery {
			w.sinceChk = 0
			if err := w.checkDisk(int64(len(p))); err != nil {
				return 0, err
			}
		}
		n, err := dst.Write(p)
		w.n += int64(n)
		w.s.inflight.Add(int64(n))
		return n, err
	})
}

// done takes the upload's bytes out of the in-flight total.
func (w *spaceWriter) done() { w.s.inflight.Add(-w.n) }

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
