package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Delivery is one outbound request and its state, for the console and the
// API.
type Delivery struct {
	ID            int64      `json:"id"`
	UID           string     `json:"uid"`
	DestinationID string     `json:"destination_id"`
	Source        string     `json:"source"`
	ImportSlug    string     `json:"import_slug,omitempty"`
	Seq           int64      `json:"seq"`
	Records       int        `json:"records"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	InFlight      bool       `json:"in_flight"`
	LastCode      int        `json:"last_code,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
}

// Attempt is one entry of a delivery's attempt log.
type Attempt struct {
	N          int       `json:"n"`
	StartedAt  time.Time `json:"started_at"`
	DurationMs int64     `json:"duration_ms"`
	StatusCode int       `json:"status_code"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
}

// DeliveryDetail is a delivery with its attempt log and the request it
// sends (secrets masked).
type DeliveryDetail struct {
	Delivery
	Attempts []Attempt      `json:"attempt_log"`
	Request  PreviewRequest `json:"request"`
	// BodyTruncated is true when Request.Body shows only the start.
	BodyTruncated bool `json:"body_truncated"`
}

const deliveryColumns = `id, uid, destination_id, source, import_slug, seq, records, status, reason, attempts, next_at, lease_until, last_code, created_at, updated_at, done_at`

func (s *Service) scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, lease int64
	var created, updated, done string
	if err := sc.Scan(&d.ID, &d.UID, &d.DestinationID, &d.Source, &d.ImportSlug, &d.Seq, &d.Records, &d.Status, &d.Reason, &d.Attempts,
		&next, &lease, &d.LastCode, &created, &updated, &done); err != nil {
		return d, err
	}
	now := s.now()
	if d.Status == StatusPending {
		t := time.UnixMilli(next).UTC()
		d.NextAttemptAt = &t
		d.InFlight = lease > unixMs(now)
	}
	d.CreatedAt, _ = store.ParseTime(created)
	d.UpdatedAt, _ = store.ParseTime(updated)
	if done != "" {
		t, _ := store.ParseTime(done)
		d.DoneAt = &t
	}
	return d, nil
}

// DeliveryFilter selects deliveries. Status may list several statuses
// separated by commas ("failed,dead"). Before pages: ids lower than it.
type DeliveryFilter struct {
	Destination string
	Status      string
	Import      string
	Source      string
	UID         string
	Before      int64
	Limit       int
	// From and To, when set, keep deliveries created in [From, To).
	From, To time.Time
}

// ListDeliveries returns deliveries matching f, newest first.
func (s *Service) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT ` + deliveryColumns + ` FROM relay_deliveries WHERE 1=1`
	var args []any
	if f.Destination != "" {
		q += ` AND destination_id = ?`
		args = append(args, f.Destination)
	}
	if f.Status != "" {
		var ph []string
		for _, st := range strings.Split(f.Status, ",") {
			st = strings.TrimSpace(st)
			switch st {
			case StatusPending, StatusDelivered, StatusFailed, StatusDead, StatusDiscarded, StatusHeld:
			default:
				return nil, errs.Invalid("status %q: want pending, delivered, failed, dead, discarded or held", st)
			}
			ph = append(ph, "?")
			args = append(args, st)
		}
		q += ` AND status IN (` + strings.Join(ph, ",") + `)`
	}
	if f.Import != "" {
		q += ` AND import_slug = ?`
		args = append(args, f.Import)
	}
	if f.Source != "" {
		q += ` AND source = ?`
		args = append(args, f.Source)
	}
	if f.UID != "" {
		q += ` AND uid = ?`
		args = append(args, f.UID)
	}
	if !f.From.IsZero() {
		q += ` AND created_at >= ?`
		args = append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND created_at < ?`
		args = append(args, store.FormatTime(f.To))
	}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := s.scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// BodyPreviewCap is how much of a body GetDelivery shows.
const BodyPreviewCap = 64 << 10

// GetDelivery returns a delivery with its attempt log and its request.
func (s *Service) GetDelivery(ctx context.Context, id int64) (DeliveryDetail, error) {
	var dd DeliveryDetail
	row := s.db.Read.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, url, query, headers, substr(body, 1, ?), length(body) FROM relay_deliveries WHERE id = ?`, BodyPreviewCap, id)
	var q queued
	var bodyLen int
	d, err := s.scanDeliveryExtra(row, &q, &bodyLen)
	if errors.Is(err, sql.ErrNoRows) {
		return dd, errs.NotFound("delivery %d not found", id)
	}
	if err != nil {
		return dd, fmt.Errorf("get delivery %d: %w", id, err)
	}
	dd.Delivery = d
	rows, err := s.db.Read.QueryContext(ctx, `SELECT n, started_at, duration_ms, status_code, outcome, error, response FROM relay_attempts WHERE delivery_id = ? ORDER BY n`, id)
	if err != nil {
		return dd, fmt.Errorf("get delivery %d attempts: %w", id, err)
	}
	defer rows.Close()
	dd.Attempts = []Attempt{}
	for rows.Next() {
		var a Attempt
		var started string
		if err := rows.Scan(&a.N, &started, &a.DurationMs, &a.StatusCode, &a.Outcome, &a.Error, &a.Response); err != nil {
			return dd, fmt.Errorf("get delivery %d attempts: %w", id, err)
		}
		a.StartedAt, _ = store.ParseTime(started)
		dd.Attempts = append(dd.Attempts, a)
	}
	if err := rows.Err(); err != nil {
		return dd, err
	}
	dd.BodyTruncated = bodyLen > len(q.body)
	q.uid = d.UID
	dd.Request = PreviewRequest{Records: d.Records, Body: string(q.body)}
	if !dd.BodyTruncated {
		dd.Request.Body = prettyJSON(q.body)
	}
	if c, err := s.destination(ctx, d.DestinationID); err == nil {
		if o, berr := s.buildRequest(ctx, c, &q, true, s.now()); berr == nil {
			dd.Request.Method, dd.Request.URL, dd.Request.Headers = o.method, o.url, o.headers
		}
	}
	return dd, nil
}

func (s *Service) scanDeliveryExtra(row *sql.Row, q *queued, bodyLen *int) (Delivery, error) {
	var d Delivery
	var next, lease int64
	var created, updated, done string
	err := row.Scan(&d.ID, &d.UID, &d.DestinationID, &d.Source, &d.ImportSlug, &d.Seq, &d.Records, &d.Status, &d.Reason, &d.Attempts,
		&next, &lease, &d.LastCode, &created, &updated, &done, &q.url, &q.query, &q.headers, &q.body, bodyLen)
	if err != nil {
		return d, err
	}
	if d.Status == StatusPending {
		t := time.UnixMilli(next).UTC()
		d.NextAttemptAt = &t
		d.InFlight = lease > unixMs(s.now())
	}
	d.CreatedAt, _ = store.ParseTime(created)
	d.UpdatedAt, _ = store.ParseTime(updated)
	if done != "" {
		t, _ := store.ParseTime(done)
		d.DoneAt = &t
	}
	return d, nil
}

// Replay queues one delivery again, now, with a fresh retry schedule and
// the same idempotency id (so a receiver that already has it can tell).
// Any status but an attempt in flight may be replayed; a discarded record
// cannot (its session token was invalid).
func (s *Service) Replay(ctx context.Context, id int64) (Delivery, error) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var status string
		var lease int64
		err := tx.QueryRowContext(ctx, `SELECT status, lease_until FROM relay_deliveries WHERE id = ?`, id).Scan(&status, &lease)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("delivery %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("replay delivery %d: %w", id, err)
		}
		if status == StatusDiscarded {
			return errs.Conflict("delivery %d was discarded (its session token was invalid); it is never sent", id)
		}
		if status == StatusPending && lease > unixMs(s.now()) {
			return errs.Conflict("delivery %d is being sent right now; wait for the attempt to finish", id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE relay_deliveries SET status = 'pending', reason = '', round = 0, next_at = ?, lease_owner = '', lease_until = 0,
			done_at = '', updated_at = ? WHERE id = ?`, unixMs(s.now()), store.Now(), id)
		if err != nil {
			return fmt.Errorf("replay delivery %d: %w", id, err)
		}
		tx.AfterCommit(s.Wake)
		return nil
	})
	if err != nil {
		return Delivery{}, err
	}
	return s.scanDelivery(s.db.Read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM relay_deliveries WHERE id = ?`, id))
}

// RetryFilter selects deliveries for a bulk retry. Statuses defaults to
// failed and dead; held may be added (after a plan upgrade).
type RetryFilter struct {
	Destination string   `json:"destination_id,omitempty"`
	Statuses    []string `json:"statuses,omitempty"`
	Import      string   `json:"import_slug,omitempty"`
}

// RetryFailed queues every matching failed/dead/held delivery again and
// returns how many.
func (s *Service) RetryFailed(ctx context.Context, f RetryFilter) (int64, error) {
	if len(f.Statuses) == 0 {
		f.Statuses = []string{StatusFailed, StatusDead}
	}
	q := `UPDATE relay_deliveries SET status = 'pending', reason = '', round = 0, next_at = ?, lease_owner = '', lease_until = 0, done_at = '', updated_at = ? WHERE status IN (`
	args := []any{unixMs(s.now()), store.Now()}
	for i, st := range f.Statuses {
		switch st {
		case StatusFailed, StatusDead, StatusHeld:
		default:
			return 0, errs.Invalid("statuses: %q cannot be retried; want failed, dead or held", st)
		}
		if i > 0 {
			q += ","
		}
		q += "?"
		args = append(args, st)
	}
	q += ")"
	if f.Destination != "" {
		q += ` AND destination_id = ?`
		args = append(args, f.Destination)
	}
	if f.Import != "" {
		q += ` AND import_slug = ?`
		args = append(args, f.Import)
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("retry deliveries: %w", err)
		}
		n, _ = res.RowsAffected()
		tx.AfterCommit(s.Wake)
		return nil
	})
	return n, err
}

// Stats are delivery counts by status, for the console and the benchmark.
type Stats struct {
	ByStatus    map[string]int64 `json:"by_status"`
	Records     map[string]int64 `json:"records"`
	PendingJobs int64            `json:"pending_jobs"`
}

// Stats counts deliveries (and the records in them) by status, for one
// destination or all ("").
func (s *Service) Stats(ctx context.Context, destination string) (Stats, error) {
	st := Stats{ByStatus: map[string]int64{}, Records: map[string]int64{}}
	q := `SELECT status, count(*), COALESCE(SUM(records), 0) FROM relay_deliveries`
	var args []any
	if destination != "" {
		q += ` WHERE destination_id = ?`
		args = append(args, destination)
	}
	q += ` GROUP BY status`
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return st, fmt.Errorf("delivery stats: %w", err)
	}
	for rows.Next() {
		var status string
		var n, recs int64
		if err := rows.Scan(&status, &n, &recs); err != nil {
			rows.Close()
			return st, fmt.Errorf("delivery stats: %w", err)
		}
		st.ByStatus[status], st.Records[status] = n, recs
	}
	rows.Close()
	jq := `SELECT count(*) FROM relay_jobs WHERE status = 'pending'`
	if destination != "" {
		jq += ` AND destination_id = ?`
	}
	if err := s.db.Read.QueryRowContext(ctx, jq, args...).Scan(&st.PendingJobs); err != nil {
		return st, fmt.Errorf("delivery stats: %w", err)
	}
	return st, nil
}

// CountDeliveries is a dashboard figure.
func (s *Service) CountDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM relay_deliveries`).Scan(&n)
	return n, err
}
