package sink

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"fusebox/backend/store"
)

// NewShared makes a sink store whose requests live in the database db
// (the tables sink_names and sink_requests), within limits (zero fields
// take the defaults): the replicas of a team server on PostgreSQL share
// it, so the console of any replica lists what any replica received. The
// limits are those of the memory store, kept by each record: the last
// Requests of a sink, at most Sinks names (the least recently used
// forgotten first) and about TotalBytes in all (the oldest requests
// dropped first).
func NewShared(db *store.DB, l Limits) *Sink {
	k := NewWithLimits(l)
	k.db = db
	return k
}

func (k *Sink) recordShared(ctx context.Context, name string, req Request) (Request, error) {
	req.ReceivedAt = req.ReceivedAt.Truncate(1e6) // the stored text keeps milliseconds
	headers, err := json.Marshal(req.Headers)
	if err != nil {
		return Request{}, fmt.Errorf("record sink request: encode headers: %w", err)
	}
	at := store.FormatTime(req.ReceivedAt)
	tx, err := k.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	defer tx.Rollback()
	// The name's row is locked until commit: records of one sink take
	// turns, so its kept requests stay within the limit.
	var total int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO sink_names (name, total, last_seen, last_id) VALUES (?, 1, ?, 0)
		ON CONFLICT (name) DO UPDATE SET total = sink_names.total + 1, last_seen = excluded.last_seen RETURNING total`, name, at).Scan(&total); err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	if total == 1 {
		// A new name beyond the limit forgets the least recently used sinks.
		const older = `SELECT name FROM sink_names WHERE name <> ? AND last_id <=
			(SELECT last_id FROM sink_names WHERE name <> ? ORDER BY last_id DESC LIMIT 1 OFFSET ?)`
		for _, q := range []string{`DELETE FROM sink_requests WHERE name IN (` + older + `)`, `DELETE FROM sink_names WHERE name IN (` + older + `)`} {
			if _, err := tx.ExecContext(ctx, q, name, name, k.lim.Sinks-1); err != nil {
				return Request{}, fmt.Errorf("record sink request: forget sinks: %w", err)
			}
		}
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO sink_requests (name, received_at, method, url, url_truncated, headers, headers_truncated, body, body_bytes, truncated, is_binary, size)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		name, at, req.Method, req.URL, req.URLTruncated, string(headers), req.HeadersTruncated, []byte(req.Body), req.BodyBytes, req.Truncated, req.Binary, req.size()).Scan(&req.ID); err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sink_names SET last_id = ? WHERE name = ?`, req.ID, name); err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sink_requests WHERE name = ? AND id <=
		(SELECT id FROM sink_requests WHERE name = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, name, name, k.lim.Requests); err != nil {
		return Request{}, fmt.Errorf("record sink request: drop the oldest of the sink: %w", err)
	}
	// Past the bytes of all sinks, the oldest requests go first.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sink_requests WHERE id <=
		(SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id DESC) AS kept FROM sink_requests) r WHERE kept > ? ORDER BY id DESC LIMIT 1)`, k.lim.TotalBytes); err != nil {
		return Request{}, fmt.Errorf("record sink request: drop the oldest requests: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	return req, nil
}

func (k *Sink) listShared(ctx context.Context) ([]Summary, error) {
	rows, err := k.db.Read.QueryContext(ctx, `SELECT n.name, n.total, n.last_seen, (SELECT count(*) FROM sink_requests r WHERE r.name = n.name)
		FROM sink_names n ORDER BY n.last_id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list sinks: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var s Summary
		var at string
		if err := rows.Scan(&s.Name, &s.Total, &at, &s.Kept); err != nil {
			return nil, fmt.Errorf("list sinks: %w", err)
		}
		if s.LastSeen, err = store.ParseTime(at); err != nil {
			return nil, fmt.Errorf("list sinks: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sinks: %w", err)
	}
	return out, nil
}

func (k *Sink) requestsShared(ctx context.Context, name string, after int64, limit int) ([]Request, Summary, error) {
	sum := Summary{Name: name}
	var at string
	err := k.db.Read.QueryRowContext(ctx, `SELECT n.total, n.last_seen, (SELECT count(*) FROM sink_requests r WHERE r.name = n.name)
		FROM sink_names n WHERE n.name = ?`, name).Scan(&sum.Total, &at, &sum.Kept)
	if errors.Is(err, sql.ErrNoRows) {
		return []Request{}, sum, nil
	}
	if err != nil {
		return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
	}
	if sum.LastSeen, err = store.ParseTime(at); err != nil {
		return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
	}
	if limit <= 0 {
		limit = k.lim.Requests
	}
	rows, err := k.db.Read.QueryContext(ctx, `SELECT id, received_at, method, url, url_truncated, headers, headers_truncated, body, body_bytes, truncated, is_binary
		FROM sink_requests WHERE name = ? AND id > ? ORDER BY id DESC LIMIT ?`, name, after, limit)
	if err != nil {
		return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
	}
	defer rows.Close()
	out := []Request{}
	for rows.Next() {
		var r Request
		var at, headers string
		var body []byte
		if err := rows.Scan(&r.ID, &at, &r.Method, &r.URL, &r.URLTruncated, &headers, &r.HeadersTruncated, &body, &r.BodyBytes, &r.Truncated, &r.Binary); err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		if r.ReceivedAt, err = store.ParseTime(at); err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
			return nil, sum, fmt.Errorf("read sink %s: headers: %w", name, err)
		}
		r.Body = string(body)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
	}
	return out, sum, nil
}

func (k *Sink) clearShared(ctx context.Context, name string) error {
	tx, err := k.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("clear sink %s: %w", name, err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM sink_requests WHERE name = ?`, `DELETE FROM sink_names WHERE name = ?`} {
		if _, err := tx.ExecContext(ctx, q, name); err != nil {
			return fmt.Errorf("clear sink %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("clear sink %s: %w", name, err)
	}
	return nil
}
