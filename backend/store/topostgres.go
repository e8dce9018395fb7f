package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"fusebox/backend/ids"
)

// TableCount is one table's rows in the source and, after the copy, in the
// target of CopyToPostgres.
type TableCount struct {
	Table          string
	Source, Target int64
	// Added is the rows written besides the source's: the chunks of the
	// uploaded files (UploadedFile), kept on disk beside a SQLite database
	// and in the database on PostgreSQL.
	Added int64
}

// UploadedFile is an import's original file kept in a data dir, which
// CopyToPostgres writes into the target's importer_uploads and
// importer_upload_chunks tables (where every replica of a team server
// reads it) in the copy's transaction.
type UploadedFile struct {
	ImportID int64
	Name     string
	Size     int64
	SHA256   string
	Path     string // the file on disk
}

// uploadChunkBytes is the chunk size of the stored uploads (as the
// importer writes them).
const uploadChunkBytes = 1 << 20

// ErrCountMismatch is wrapped by CopyToPostgres when a table's rows in the
// target differ from the source after the copy.
var ErrCountMismatch = errors.New("row counts differ")

// migrationTable is the bookkeeping of migrations: each engine writes its
// own as it migrates, so it is never copied.
const migrationTable = "schema_migrations"

// CopyToPostgres copies every row of every table of the SQLite database src
// into the PostgreSQL database dst, which both sit at the same schema
// version (each was migrated when opened) and which must be empty: a
// target holding any row is refused before anything is written.
//
// The source is read in one read transaction (one snapshot, so stop the
// servers on it first or the copy misses what they write meanwhile). The
// target is written in one transaction with COPY, table by table in the
// order of their foreign keys, with the tables' own triggers off (the
// rows of tables the triggers maintain, such as the dashboard's daily
// counts, are copied as they are); values are converted to the target
// column's type; every identity column's sequence is moved past the
// largest copied id. Nothing is kept when any step fails. After the commit
// each table's rows are counted on both sides; a difference is an error
// wrapping ErrCountMismatch, returned with the counts.
//
// files are the data dir's uploaded files, stored as an upload each in the
// same transaction; a file whose size or sha256 differs from what its
// import records fails the copy.
func CopyToPostgres(ctx context.Context, src, dst *DB, files []UploadedFile) ([]TableCount, error) {
	if src.engine != SQLite || dst.engine != Postgres {
		return nil, errors.New("copy to PostgreSQL: want a SQLite source and a PostgreSQL target")
	}
	sv, err := src.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	dv, err := dst.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if sv != dv {
		return nil, fmt.Errorf("copy to PostgreSQL: the source is at schema version %d, the target at %d", sv, dv)
	}
	srcTx, err := src.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src.Path, err)
	}
	defer srcTx.Rollback()
	srcTables, err := sqliteTables(ctx, srcTx)
	if err != nil {
		return nil, err
	}
	conn, err := dst.Write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", dst.Path, err)
	}
	defer conn.Close()
	var counts []TableCount
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*pgConn)
		if !ok {
			return fmt.Errorf("copy to PostgreSQL: unexpected connection type %T", driverConn)
		}
		var err error
		counts, err = copyTables(ctx, srcTx, srcTables, pc.Conn, dst.Path, files)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Verify: count again on both sides, the target after the commit.
	var bad []string
	for i, c := range counts {
		if err := dst.Read.QueryRowContext(ctx, `SELECT count(*) FROM `+pgx.Identifier{c.Table}.Sanitize()).Scan(&counts[i].Target); err != nil {
			return counts, fmt.Errorf("count %s in %s: %w", c.Table, dst.Path, err)
		}
		if counts[i].Target != c.Source+c.Added {
			bad = append(bad, fmt.Sprintf("%s (%d in the source and %d added, %d in the target)", c.Table, c.Source, c.Added, counts[i].Target))
		}
	}
	if len(bad) > 0 {
		return counts, fmt.Errorf("copy to PostgreSQL: %w: %s", ErrCountMismatch, strings.Join(bad, ", "))
	}
	return counts, nil
}

// sqliteTables is every table of the SQLite database but SQLite's own and
// the migrations', each with its columns.
func sqliteTables(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`, migrationTable)
	if err != nil {
		return nil, fmt.Errorf("list the source's tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list the source's tables: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the source's tables: %w", err)
	}
	out := map[string][]string{}
	for _, n := range names {
		cr, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", n, err)
		}
		for cr.Next() {
			var c string
			if err := cr.Scan(&c); err != nil {
				cr.Close()
				return nil, fmt.Errorf("columns of %s: %w", n, err)
			}
			out[n] = append(out[n], c)
		}
		cr.Close()
		if err := cr.Err(); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", n, err)
		}
	}
	return out, nil
}

// pgColumn is a target column: its name and data type.
type pgColumn struct{ name, typ string }

// copyTables does CopyToPostgres's transaction on the target connection c.
func copyTables(ctx context.Context, src *sql.Tx, srcTables map[string][]string, c *stdlib.Conn, dstName string, files []UploadedFile) ([]TableCount, error) {
	pg := c.Conn()
	tx, err := pg.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin on %s: %w", dstName, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Serialize with every writer of the target (replicas started early).
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgWriteLock)); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dstName, err)
	}
	dstCols, err := pgTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	// The target must be empty, and hold every table of the source.
	var full, missing []string
	for t := range dstCols {
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t}.Sanitize()+`)`).Scan(&has); err != nil {
			return nil, fmt.Errorf("look into %s.%s: %w", dstName, t, err)
		}
		if has {
			full = append(full, t)
		}
	}
	if len(full) > 0 {
		sort.Strings(full)
		return nil, fmt.Errorf("the target database %s is not empty (%s hold rows): give an empty database, e.g. one made with createdb, never one a server has started on", dstName, strings.Join(full, ", "))
	}
	for t, cols := range srcTables {
		dc, ok := dstCols[t]
		if !ok {
			missing = append(missing, t)
			continue
		}
		for _, col := range cols {
			if !slices.ContainsFunc(dc, func(p pgColumn) bool { return p.name == col }) {
				missing = append(missing, t+"."+col)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("the target database %s has no %s of the source: is it another Fusebox's schema?", dstName, strings.Join(missing, ", "))
	}
	order, err := pgTableOrder(ctx, tx, dstCols)
	if err != nil {
		return nil, err
	}
	var counts []TableCount
	for _, t := range order {
		cols, ok := srcTables[t]
		if !ok {
			continue // a table the source has no rows for
		}
		id := pgx.Identifier{t}.Sanitize()
		if _, err := tx.Exec(ctx, `ALTER TABLE `+id+` DISABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("turn the triggers of %s off for the copy: %w", t, err)
		}
		n, err := copyTable(ctx, src, tx, t, cols, dstCols[t])
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE `+id+` ENABLE TRIGGER USER`); err != nil {
			return nil, fmt.Errorf("turn the triggers of %s back on: %w", t, err)
		}
		counts = append(counts, TableCount{Table: t, Source: n})
	}
	if len(files) > 0 {
		uploads, chunks, err := copyUploadedFiles(ctx, tx, files)
		if err != nil {
			return nil, err
		}
		for i := range counts {
			switch counts[i].Table {
			case "importer_uploads":
				counts[i].Added = uploads
			case "importer_upload_chunks":
				counts[i].Added = chunks
			}
		}
	}
	// Identity columns continue after the largest copied id.
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`)
	if err != nil {
		return nil, fmt.Errorf("list the identity columns of %s: %w", dstName, err)
	}
	var idents [][2]string
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			rows.Close()
			return nil, err
		}
		idents = append(idents, [2]string{t, col})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the identity columns of %s: %w", dstName, err)
	}
	for _, ic := range idents {
		t, col := pgx.Identifier{ic[0]}.Sanitize(), pgx.Identifier{ic[1]}.Sanitize()
		q := `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(` + col + `) FROM ` + t + `), 0) + 1, false)`
		if _, err := tx.Exec(ctx, q, ic[0], ic[1]); err != nil {
			return nil, fmt.Errorf("move the sequence of %s.%s past the copied ids: %w", ic[0], ic[1], err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit the copy into %s: %w", dstName, err)
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i].Table < counts[j].Table })
	return counts, nil
}

// pgTables is every table of the target's schema but the migrations',
// each with its columns.
func pgTables(ctx context.Context, tx pgx.Tx) (map[string][]pgColumn, error) {
	rows, err := tx.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = current_schema() AND c.table_name <> $1 ORDER BY c.table_name, c.ordinal_position`, migrationTable)
	if err != nil {
		return nil, fmt.Errorf("list the target's tables: %w", err)
	}
	defer rows.Close()
	out := map[string][]pgColumn{}
	for rows.Next() {
		var t string
		var c pgColumn
		if err := rows.Scan(&t, &c.name, &c.typ); err != nil {
			return nil, fmt.Errorf("list the target's tables: %w", err)
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

// pgTableOrder orders the tables so that a table comes after those its
// foreign keys point to (a table pointing to itself is fine: COPY checks
// at the end of the statement).
func pgTableOrder(ctx context.Context, tx pgx.Tx, tables map[string][]pgColumn) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT cl.relname, ref.relname FROM pg_constraint co
		JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_class ref ON ref.oid = co.confrelid
		JOIN pg_namespace ns ON ns.oid = cl.relnamespace
		WHERE co.contype = 'f' AND ns.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("list the target's foreign keys: %w", err)
	}
	deps := map[string][]string{}
	for rows.Next() {
		var t, ref string
		if err := rows.Scan(&t, &ref); err != nil {
			rows.Close()
			return nil, err
		}
		if t != ref {
			deps[t] = append(deps[t], ref)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the target's foreign keys: %w", err)
	}
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(t string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return fmt.Errorf("the foreign keys of %s form a cycle", t)
		case 2:
			return nil
		}
		state[t] = 1
		for _, d := range deps[t] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[t] = 2
		order = append(order, t)
		return nil
	}
	for _, t := range names {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// copyTable copies the rows of table t with COPY and returns how many.
func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, t string, cols []string, dstCols []pgColumn) (int64, error) {
	types := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		for _, d := range dstCols {
			if d.name == c {
				types[i] = d.typ
			}
		}
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+strings.ReplaceAll(t, `"`, `""`)+`"`)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", t, err)
	}
	defer rows.Close()
	source := &rowSource{rows: rows, table: t, cols: cols, types: types, vals: make([]any, len(cols))}
	n, err := dst.CopyFrom(ctx, pgx.Identifier{t}, cols, source)
	if source.err != nil {
		return 0, source.err
	}
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", t, err)
	}
	return n, nil
}

// rowSource feeds COPY from the source's rows, converting each value to
// its target column's type.
type rowSource struct {
	rows  *sql.Rows
	table string
	cols  []string
	types []string
	vals  []any
	err   error
}

func (s *rowSource) Next() bool {
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			s.err = fmt.Errorf("read %s: %w", s.table, err)
		}
		return false
	}
	ptrs := make([]any, len(s.vals))
	for i := range s.vals {
		ptrs[i] = &s.vals[i]
	}
	if err := s.rows.Scan(ptrs...); err != nil {
		s.err = fmt.Errorf("read %s: %w", s.table, err)
		return false
	}
	for i, v := range s.vals {
		cv, err := convertValue(v, s.types[i])
		if err != nil {
			s.err = fmt.Errorf("%s.%s: %w", s.table, s.cols[i], err)
			return false
		}
		s.vals[i] = cv
	}
	return true
}

func (s *rowSource) Values() ([]any, error) { return s.vals, s.err }

func (s *rowSource) Err() error { return s.err }

// convertValue turns a value SQLite returned (int64, float64, string,
// []byte or nil) into one COPY writes to a column of PostgreSQL type typ.
func convertValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) {
				return int64(x), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		case []byte:
			if n, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64); err == nil {
				return n, nil
			}
		}
	case "double precision", "real", "numeric":
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		}
	default: // text, json, jsonb and the like: text
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	}
	return nil, fmt.Errorf("a %T value (%.40v) does not fit a %s column", v, v, typ)
}

// copyUploadedFiles stores each file as the complete upload of its import,
// in chunks, checking its size and sha256 against the import's; it returns
// the uploads and chunks written.
func copyUploadedFiles(ctx context.Context, tx pgx.Tx, files []UploadedFile) (uploads, chunks int64, err error) {
	now := Now()
	buf := make([]byte, uploadChunkBytes)
	for _, f := range files {
		uploadID := ids.New("up") // as the importer names its uploads
		if _, err := tx.Exec(ctx, `INSERT INTO importer_uploads (upload_id, import_id, name, size, sha256, complete, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $6)`, uploadID, f.ImportID, f.Name, f.Size, f.SHA256, now); err != nil {
			return 0, 0, fmt.Errorf("store the uploaded file %s: %w", f.Path, err)
		}
		fh, err := os.Open(f.Path)
		if err != nil {
			return 0, 0, fmt.Errorf("read the uploaded file of import %d: %w", f.ImportID, err)
		}
		h := sha256.New()
		var size int64
		for seq := 0; ; seq++ {
			n, rerr := io.ReadFull(fh, buf)
			if n > 0 {
				h.Write(buf[:n])
				size += int64(n)
				if _, err := tx.Exec(ctx, `INSERT INTO importer_upload_chunks (upload_id, import_id, seq, data) VALUES ($1, $2, $3, $4)`,
					uploadID, f.ImportID, seq, buf[:n]); err != nil {
					fh.Close()
					return 0, 0, fmt.Errorf("store chunk %d of %s: %w", seq, f.Path, err)
				}
				chunks++
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				fh.Close()
				return 0, 0, fmt.Errorf("read %s: %w", f.Path, rerr)
			}
		}
		fh.Close()
		if sum := hex.EncodeToString(h.Sum(nil)); size != f.Size || sum != f.SHA256 {
			return 0, 0, fmt.Errorf("the uploaded file %s is %d bytes with sha256 %s, but its import recorded %d bytes with %s: it changed after the upload", f.Path, size, sum, f.Size, f.SHA256)
		}
		uploads++
	}
	return uploads, chunks, nil
}
