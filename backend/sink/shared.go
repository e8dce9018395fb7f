package sink

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"fusebox/backend/keyring"
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
//
// What a sink receives may carry secrets (the install credentials a
// workflow sends to the server's own /sink), so each request's URL,
// headers and body are sealed with kr (secrets.key, the key every replica
// shares) bound to the sink's name and the field: the database alone
// holds only ciphertext, and a sealed value moved to another sink or
// field does not open.
func NewShared(db *store.DB, l Limits, kr *keyring.Keyring) *Sink {
	k := NewWithLimits(l)
	k.db = db
	k.kr = kr
	return k
}

// sealAAD binds a sealed field to its sink and field.
func sealAAD(name, field string) []byte { return []byte("sink request " + field + "\x00" + name) }

// seal seals one field of a request of sink name.
func (k *Sink) seal(name, field string, plain []byte) (string, error) {
	if k.kr == nil {
		return "", errors.New("the shared sink has no key to seal requests with")
	}
	return k.kr.Seal(plain, sealAAD(name, field)), nil
}

// open reverses seal.
func (k *Sink) open(name, field, sealed string) ([]byte, error) {
	if k.kr == nil {
		return nil, errors.New("the shared sink has no key to open requests with")
	}
	plain, err := k.kr.Open(sealed, sealAAD(name, field))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return plain, nil
}

func (k *Sink) recordShared(ctx context.Context, name string, req Request) (Request, error) {
	req.ReceivedAt = req.ReceivedAt.Truncate(1e6) // the stored text keeps milliseconds
	headers, err := json.Marshal(req.Headers)
	if err != nil {
		return Request{}, fmt.Errorf("record sink request: encode headers: %w", err)
	}
	sealedURL, err := k.seal(name, "url", []byte(req.URL))
	if err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	sealedHeaders, err := k.seal(name, "headers", headers)
	if err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
	}
	sealedBody, err := k.seal(name, "body", []byte(req.Body))
	if err != nil {
		return Request{}, fmt.Errorf("record sink request: %w", err)
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
		name, at, req.Method, sealedURL, req.URLTruncated, sealedHeaders, req.HeadersTruncated, []byte(sealedBody), req.BodyBytes, req.Truncated, req.Binary, req.size()).Scan(&req.ID); err != nil {
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
		var at, url, headers string
		var body []byte
		if err := rows.Scan(&r.ID, &at, &r.Method, &url, &r.URLTruncated, &headers, &r.HeadersTruncated, &body, &r.BodyBytes, &r.Truncated, &r.Binary); err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		if r.ReceivedAt, err = store.ParseTime(at); err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		plainURL, err := k.open(name, "url", url)
		if err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		plainHeaders, err := k.open(name, "headers", headers)
		if err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		plainBody, err := k.open(name, "body", string(body))
		if err != nil {
			return nil, sum, fmt.Errorf("read sink %s: %w", name, err)
		}
		if err := json.Unmarshal(plainHeaders, &r.Headers); err != nil {
			return nil, sum, fmt.Errorf("read sink %s: headers: %w", name, err)
		}
		r.URL, r.Body = string(plainURL), string(plainBody)
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
