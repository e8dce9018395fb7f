package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"fusebox/internal/pgtest"
)

// Each test database is its own: a table made in one is not in another,
// and the database is gone once the test ends.
func TestDatabasesAreIndependent(t *testing.T) {
	ctx := context.Background()
	var first string
	t.Run("first", func(t *testing.T) {
		first = pgtest.CreateDatabase(t, "")
		conn, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `CREATE TABLE only_here (x int)`); err != nil {
			t.Fatal(err)
		}
	})
	second := pgtest.CreateDatabase(t, "")
	conn, err := pgx.Connect(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a table of another test's database is visible")
	}
	if _, err := pgx.Connect(ctx, first); err == nil {
		t.Fatalf("the first test's database still exists after it ended")
	}
}
