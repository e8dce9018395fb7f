package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Notify tells the replicas listening on channel (Listen) payload, with
// PostgreSQL's NOTIFY. On SQLite, with one process, it does nothing.
func (db *DB) Notify(ctx context.Context, channel, payload string) error {
	if db.engine != Postgres {
		return nil
	}
	if _, err := db.Write.ExecContext(ctx, `SELECT pg_notify(?, ?)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listener hears the notifications of one channel on a connection of its
// own (PostgreSQL's LISTEN). Close it when done.
type Listener struct{ conn *pgx.Conn }

// Listen starts listening on channel. It is PostgreSQL's; on SQLite it
// returns an error (one process needs no notifications).
func (db *DB) Listen(ctx context.Context, channel string) (*Listener, error) {
	if db.engine != Postgres {
		return nil, fmt.Errorf("listen %s: LISTEN is PostgreSQL's; this database is SQLite", channel)
	}
	conn, err := pgx.ConnectConfig(ctx, db.pgConfig)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", channel, err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("listen %s: %w", channel, err)
	}
	return &Listener{conn: conn}, nil
}

// Next waits for the channel's next notification and returns its
// payload; it ends with ctx.
func (l *Listener) Next(ctx context.Context) (string, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return "", err
	}
	return n.Payload, nil
}

// Close ends the listening connection.
func (l *Listener) Close() error { return l.conn.Close(context.Background()) }

// Notify tells the replicas listening on channel payload once the
// transaction commits (nothing if it rolls back). On SQLite it does
// nothing.
func (tx *Tx) Notify(ctx context.Context, channel, payload string) error {
	if tx.conn == nil { // SQLite
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}
