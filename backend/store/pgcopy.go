package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// CanCopy reports whether the transaction can bulk-load with CopyFrom
// (PostgreSQL); SQLite's writers use multi-row INSERTs.
func (tx *Tx) CanCopy() bool { return tx.conn != nil }

// CopyFrom bulk-loads rows into table's columns with PostgreSQL's COPY,
// inside the transaction. It returns the number of rows copied.
func (tx *Tx) CopyFrom(ctx context.Context, table string, columns []string, rows pgx.CopyFromSource) (int64, error) {
	if tx.conn == nil {
		return 0, errors.New("copy into " + table + ": COPY is PostgreSQL's; this database is SQLite")
	}
	var n int64
	err := tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("copy into %s: not a pgx connection (%T)", table, dc)
		}
		var err error
		n, err = c.Conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}
