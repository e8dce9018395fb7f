package importer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/store"
)

// Matching stays on indexes however many rows and earlier records there
// are: the look-ups of staging (a batch of keys) and of edits (one key)
// search the index's primary key (staging's batch reads only the key
// hashes and digests, from their covering index), and the review's count of a status
// (filter new/update/unchanged) reads the status index, not every row of
// the import.
func TestMatchQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "fusebox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		name, q string
		args    []any
		want    string
	}{
		{"staging look-up", matchBatchLookupSQL(3), []any{"c", "org", []byte("a"), []byte("b"), []byte("c")}, "USING COVERING INDEX importer_match_index_digest (importer=? AND scope=? AND key_hash=?)"},
		{"staging merge scan", matchRangeSQL, []any{"c", "org", []byte("a"), []byte("c")}, "USING COVERING INDEX importer_match_index_digest (importer=? AND scope=? AND key_hash>? AND key_hash<?)"},
		{"staging index count", matchCountSQL, []any{"c", "org", 10}, "USING COVERING INDEX importer_match_index_digest (importer=? AND scope=?)"},
		{"staging data read", matchBatchDataSQL(3), []any{"c", "org", []byte("a"), []byte("b"), []byte("c")}, "USING PRIMARY KEY (importer=? AND scope=? AND key_hash=?)"},
		{"edit look-up", matchLookupSQL, []any{"c", "org", []byte("a")}, "USING PRIMARY KEY (importer=? AND scope=? AND key_hash=?)"},
		{"status count", matchStatusCountSQL, []any{1, MatchUpdate}, "USING COVERING INDEX importer_row_match_status (import_id=? AND status=?)"},
	} {
		rs, err := db.Read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.q, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rs.Next() {
			var id, parent, unused int
			var detail string
			if err := rs.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rs.Close()
		all := strings.Join(plan, "; ")
		if !strings.Contains(all, c.want) || strings.Contains(all, "SCAN importer_") {
			t.Errorf("%s: plan %q, want %q and no scan", c.name, all, c.want)
		}
	}
}
