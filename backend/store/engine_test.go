package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
	"fusebox/internal/pgtest"
)

// The dialect the domain packages write in works on the run's engine: ?
// placeholders (also in prepared statements and inside transactions),
// a ? inside a string literal left alone, bools stored as 1/0, upserts
// with excluded, RETURNING, and reads on the read pool after commit.
func TestSharedDialect(t *testing.T) {
	ctx := context.Background()
	db, _ := openFresh(t)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, k := range []string{"a", "b"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, k, "what?", store.Now()); err != nil {
				return err
			}
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = settings.value || '+' || excluded.value`)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.ExecContext(ctx, "a", "again", store.Now()); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO importers (slug, name, definition, created_at, updated_at)
			VALUES (?, ?, '{"q":"?"}', ?, ?) RETURNING id`, "contacts", "Contacts", store.Now(), store.Now()).Scan(&id); err != nil {
			return fmt.Errorf("insert returning: %w", err)
		}
		if id != 1 {
			return fmt.Errorf("first importer id = %d, want 1", id)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO marketplace_plans (name, position, is_default, updated_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)`,
			"free", 1, true, store.Now(), "pro", 2, false, store.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := db.Setting(ctx, "a"); v != "what?+again" {
		t.Errorf("setting a = %q, want %q", v, "what?+again")
	}
	var def string
	if err := db.Read.QueryRowContext(ctx, `SELECT definition FROM importers WHERE slug = ?`, "contacts").Scan(&def); err != nil || def != `{"q":"?"}` {
		t.Errorf("definition = %q (%v): the ? inside the literal was touched", def, err)
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT name, is_default FROM marketplace_plans WHERE position >= ? ORDER BY position`, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name string
		var isDefault bool
		if err := rows.Scan(&name, &isDefault); err != nil {
			t.Fatal(err)
		}
		got = append(got, name+"="+strconv.FormatBool(isDefault))
	}
	if strings.Join(got, " ") != "free=true pro=false" {
		t.Errorf("plans = %v", got)
	}
}

// The read pool refuses writes on both engines.
func TestReadPoolRefusesWrites(t *testing.T) {
	db, _ := openFresh(t)
	if _, err := db.Read.Exec(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)`, "x", "y", "z"); err == nil {
		t.Error("read pool accepted a write")
	}
}

// Write transactions are serialized, also between two handles on the
// same database (two replicas): read-modify-write increments from both
// lose nothing.
func TestWriteTransactionsAreSerializedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	a, reopen := openFresh(t)
	b, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const each = 25
	var wg sync.WaitGroup
	errs := make(chan error, 4*each)
	for _, db := range []*store.DB{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errs <- db.Tx(ctx, func(tx *store.Tx) error {
					var v string
					err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'n'`).Scan(&v)
					if err != nil && err != sql.ErrNoRows {
						return err
					}
					n, _ := strconv.Atoi(v)
					return store.SetSetting(ctx, tx, "n", strconv.Itoa(n+1))
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if v, _, _ := a.Setting(ctx, "n"); v != strconv.Itoa(4*each) {
		t.Fatalf("counter = %s after %d increments: a write transaction overlapped another", v, 4*each)
	}
}

// Two replicas (here four) opening the same empty database at once:
// exactly one applies the migrations, the others wait for it and find
// nothing to do; all of them open.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	_, _ = openFresh(t) // skips or fails like the other tests when the engine is missing
	url, path := storetest.Location(t)
	const replicas = 4
	dbs := make([]*store.DB, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.OpenDatabase(context.Background(), url, path)
		}()
	}
	wg.Wait()
	latest, _ := store.LatestVersion()
	all := migrationCount(t)
	migrated := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		defer dbs[i].Close()
		switch n := dbs[i].AppliedAtOpen(); n {
		case 0:
		case all:
			migrated++
		default:
			t.Errorf("replica %d applied %d of %d migrations", i, n, all)
		}
	}
	if migrated != 1 {
		t.Fatalf("%d replicas applied the migrations, want exactly 1", migrated)
	}
	var n, v int
	if err := dbs[0].Read.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &v); err != nil || n != all || v != latest {
		t.Fatalf("schema_migrations rows = %d, version %d (%v), want %d rows up to %d", n, v, err, all, latest)
	}
}

// Every SQLite migration has a PostgreSQL twin of the same version and
// name, and the other way round, so both engines reach the same schema
// version.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	list := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		return names
	}
	sqlite, pg := list("migrations"), list(filepath.Join("migrations", "postgres"))
	if strings.Join(sqlite, "\n") != strings.Join(pg, "\n") {
		t.Fatalf("migrations differ between engines; every migrations/NNNN_name.sql needs migrations/postgres/NNNN_name.sql\nsqlite:   %v\npostgres: %v", sqlite, pg)
	}
}

// Both engines end with the same tables and the same columns in the same
// order (types differ by design: BIGINT for INTEGER, BYTEA for BLOB).
func TestSchemaMatchesAcrossEngines(t *testing.T) {
	if !pgtest.Available() {
		pgtest.Require(t)
	}
	lite := storetest.OpenOn(t, store.SQLite)
	pg := storetest.OpenOn(t, store.Postgres)
	columns := func(db *store.DB, q string) map[string]string {
		rows, err := db.Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var table, col string
			if err := rows.Scan(&table, &col); err != nil {
				t.Fatal(err)
			}
			m[table] += col + " "
		}
		return m
	}
	a := columns(lite, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`)
	b := columns(pg, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	keys := func(m map[string]string) []string {
		var k []string
		for n := range m {
			k = append(k, n)
		}
		sort.Strings(k)
		return k
	}
	if fmt.Sprint(keys(a)) != fmt.Sprint(keys(b)) {
		t.Fatalf("tables differ:\nsqlite:   %v\npostgres: %v", keys(a), keys(b))
	}
	for _, k := range keys(a) {
		if a[k] != b[k] {
			t.Errorf("table %s columns differ:\nsqlite:   %s\npostgres: %s", k, a[k], b[k])
		}
	}
}

// migrationCount is the number of migration files (versions may skip a
// number that work in flight has taken).
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found (%v)", err)
	}
	return len(files)
}
