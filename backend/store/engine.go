package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// Engine is the database engine a DB runs on. The domain packages write
// their SQL once, in the dialect both engines share (SQLite's ? placeholders,
// INSERT ... ON CONFLICT ... DO UPDATE SET x = excluded.x, RETURNING id
// (PostgreSQL's driver has no LastInsertId),
// timestamps as RFC 3339 TEXT written by Now/FormatTime, JSON as TEXT
// decoded in Go, flags as integers); the store hides what differs:
//
//   - placeholders: on PostgreSQL the driver connection rewrites ? to $n
//     (rebind) for every query, prepared statement and transaction, so the
//     domain packages keep using *sql.DB, *sql.Tx and *sql.Stmt;
//   - Go bool arguments are stored as 1/0 on both engines (flag columns are
//     integers on both);
//   - locking: a write transaction on SQLite is BEGIN IMMEDIATE on the one
//     writer connection; on PostgreSQL it takes a transaction-scoped
//     advisory lock first, so write transactions stay serialized across
//     every replica sharing the database, as the domain code expects;
//   - migrations: one set per engine, same versions (migrations/*.sql for
//     SQLite, migrations/postgres/*.sql), applied on PostgreSQL under a
//     session advisory lock so concurrent replicas migrate once.
type Engine int

const (
	SQLite Engine = iota
	Postgres
)

func (e Engine) String() string {
	if e == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// rebind rewrites the ? placeholders of query to PostgreSQL's $1, $2, ...
// Question marks inside string literals, quoted identifiers and comments
// are left alone. A query without ? is returned as is.
func rebind(query string) string {
	if strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end - 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pgConnector opens pgx connections that speak the shared dialect.
type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn)}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is a pgx database/sql connection that rebinds every query and
// stores bool arguments as integers. Every other method (transactions,
// ping, session reset) is pgx's own.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(query)) }

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue stores bool as 1/0: flag columns are integers on both
// engines, and SQLite's driver does the same.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := nv.Value.(bool); ok {
		if v {
			nv.Value = int64(1)
		} else {
			nv.Value = int64(0)
		}
		return nil
	}
	return c.Conn.CheckNamedValue(nv)
}

// OrderedJoin is the join keyword that keeps the left table as the outer
// loop: SQLite's CROSS JOIN, which its planner never reorders (and which
// takes an ON clause there); PostgreSQL has no such hint and no CROSS JOIN
// with ON, so it is a plain JOIN there.
func (db *DB) OrderedJoin() string {
	if db.engine == Postgres {
		return "JOIN"
	}
	return "CROSS JOIN"
}

// SkipLocked is the locking clause that ends a subquery choosing rows to
// claim: PostgreSQL's FOR UPDATE SKIP LOCKED, so that workers of several
// replicas claiming at once each take other rows instead of waiting for
// (or taking) the same ones; empty on SQLite, whose one writer connection
// already claims one statement at a time.
func (db *DB) SkipLocked() string {
	if db.engine == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}
