package relay

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// An import job is expanded into deliveries by streaming the import's
// records, shaping them and writing the deliveries in transactions of a
// few thousand, each of which also moves the job's checkpoint forward. A
// crash between two transactions resumes after the checkpoint, so no
// record is queued twice and none is lost.

// Expansion writes its first transaction early (so sending starts while
// the rest of the import is being shaped) and then larger ones, up to
// these bounds.
const (
	expandFlushDeliveries = 2000
	expandFlushBytes      = 8 << 20
	expandFirstDeliveries = 128
	expandFirstBytes      = 256 << 10
)

type jobRow struct {
	id         int64
	destID     string
	importSlug string
	info       ImportInfo
	checkpoint int64
	nextSeq    int64
}

var errLostLease = errors.New("relay: lease lost (another worker took the job)")

// claimJob leases the oldest pending import job; nil when there is none.
func (s *Service) claimJob(ctx context.Context, owner string, lease time.Duration) (*jobRow, error) {
	now := s.now()
	var j jobRow
	var info string
	err := s.db.Write.QueryRowContext(ctx, `UPDATE relay_jobs SET lease_owner = ?, lease_until = ?
		WHERE id = (SELECT id FROM relay_jobs WHERE status = 'pending' AND lease_until < ? ORDER BY id LIMIT 1)
		RETURNING id, destination_id, import_slug, info, checkpoint, next_seq`,
		owner, unixMs(now.Add(lease)), unixMs(now)).Scan(&j.id, &j.destID, &j.importSlug, &info, &j.checkpoint, &j.nextSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim relay job: %w", err)
	}
	if err := json.Unmarshal([]byte(info), &j.info); err != nil {
		return nil, fmt.Errorf("relay job %d: decode import: %w", j.id, err)
	}
	return &j, nil
}

// unchangedSuffix ends a record the importer marked unchanged.
var unchangedSuffix = []byte(`,"_operation":"unchanged"}`)

// expandJob turns a claimed job into deliveries.
func (s *Service) expandJob(ctx context.Context, owner string, lease time.Duration, j *jobRow) error {
	c, err := s.destination(ctx, j.destID)
	if errs.Is(err, errs.ENOTFOUND) {
		return nil // deleted with its jobs
	}
	if err != nil {
		return err
	}
	b := newBatcher(c.d.Batch, "", j.nextSeq+1)
	tc := s.newTokenCheck(j.info.Importer)
	base := j.info.context()
	var lastSeq int64
	limitN, limitBytes := expandFirstDeliveries, expandFirstBytes
	flush := func(final bool) error {
		limitN, limitBytes = min(limitN*2, expandFlushDeliveries), min(limitBytes*2, expandFlushBytes)
		if final {
			b.close()
		}
		ds := b.take()
		cp := max(lastSeq, j.checkpoint)
		if b.openN > 0 {
			cp = b.openFrom - 1
		}
		var recs, disc int64
		for _, d := range ds {
			if d.status == StatusDiscarded {
				disc++
			} else {
				recs += int64(d.records)
			}
		}
		status := StatusPending
		if final {
			status = "done"
		}
		now := s.now()
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			if err := insertDeliveries(ctx, tx, j.destID, SourceImport, j.importSlug, ds, now); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE relay_jobs SET checkpoint = ?, next_seq = ?, records = records + ?, discarded = discarded + ?,
				status = ?, lease_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ?`,
				cp, b.nextSeq-1, recs, disc, status, unixMs(now.Add(lease)), store.FormatTime(now), j.id, owner)
			if err != nil {
				return fmt.Errorf("relay job %d: checkpoint: %w", j.id, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errLostLease
			}
			tx.AfterCommit(s.Wake)
			return nil
		})
		if err == nil {
			j.checkpoint = cp
		}
		return err
	}
	if s.records == nil {
		return fmt.Errorf("relay job %d: no record source", j.id)
	}
	err = s.records.StreamRecords(ctx, j.importSlug, func(seq int64, rec []byte) error {
		if seq <= j.checkpoint {
			return nil
		}
		if c.d.SkipUnchanged && bytes.HasSuffix(rec, unchangedSuffix) {
			lastSeq = seq
			return nil
		}
		if err := s.shapeOne(ctx, c, b, tc, rec, seq, base, false, nil); err != nil {
			return err
		}
		lastSeq = seq
		if len(b.out) >= limitN || b.bytes >= limitBytes {
			return flush(false)
		}
		return nil
	})
	if errs.Is(err, errs.ENOTFOUND) {
		return s.failJob(ctx, j, owner, "the import was deleted before its records were delivered: "+errs.Message(err))
	}
	if err != nil {
		return fmt.Errorf("relay job %d (import %s -> %s): %w", j.id, j.importSlug, j.destID, err)
	}
	return flush(true)
}

func (s *Service) failJob(ctx context.Context, j *jobRow, owner, reason string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE relay_jobs SET status = 'failed', error = ?, lease_owner = '', lease_until = 0, updated_at = ? WHERE id = ? AND lease_owner = ?`,
			reason, store.Now(), j.id, owner)
		return err
	})
}

// releaseJob gives a job back after an error so it is tried again.
func (s *Service) releaseJob(ctx context.Context, j *jobRow, owner string, retryIn time.Duration, reason string) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE relay_jobs SET lease_owner = '', lease_until = ?, error = ?, updated_at = ? WHERE id = ? AND lease_owner = ?`,
			unixMs(s.now().Add(retryIn)), reason, store.Now(), j.id, owner)
		return err
	})
	if err != nil {
		s.log.Warn("relay: release job", "job", j.id, "err", err)
	}
}

// Job is an import job, for the console.
type Job struct {
	ID          int64  `json:"id"`
	Destination string `json:"destination_id"`
	ImportSlug  string `json:"import_slug"`
	Status      string `json:"status"`
	Records     int64  `json:"records"`
	Discarded   int64  `json:"discarded"`
	Error       string `json:"error,omitempty"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// ListJobs returns the newest import jobs (pending and failed first).
func (s *Service) ListJobs(ctx context.Context, limit int) ([]Job, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, destination_id, import_slug, status, records, discarded, error, created_at, updated_at
		FROM relay_jobs ORDER BY status = 'done', id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list relay jobs: %w", err)
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		var j Job
		if err := rows.Scan(&j.ID, &j.Destination, &j.ImportSlug, &j.Status, &j.Records, &j.Discarded, &j.Error, &j.CreatedAt, &j.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list relay jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
