package datatest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// importRun is one `fusebox import` that exited 0: committed.
type importRun struct {
	Slug   string `json:"import"`
	Status string `json:"status"`
	Rows   int    `json:"rows"`
}

// A backup taken with `fusebox backup` while the server delivers and
// `fusebox import` runs beside it restores, with `fusebox restore`, into
// a data dir that holds every import committed before the backup began,
// whole (records and their queued deliveries from the same transactions),
// and whose sealed secrets still open: an importer session token and a
// marketplace API secret issued before the backup work on the restored
// server.
func TestBackupUnderLoadRestoresEveryCommittedRecord(t *testing.T) {
	rc := newReceiver(t, 2*time.Millisecond)
	dir := t.TempDir()
	applyWorkspace(t, dir, peopleWorkspace(rc.url))
	srv := startServer(t, dir)

	// Values sealed under the key files: the session signing key
	// (sessions.key) and a marketplace API secret (secrets.key).
	sessTok := lastLine(cli(t, "sessions", "create", "--data-dir", dir, "--importer", "people"))
	mpOut := cli(t, "marketplace", "secrets", "create", "--data-dir", dir)
	f := strings.Fields(lastLine(mpOut))
	if len(f) != 2 {
		t.Fatalf("marketplace secrets create printed %q", mpOut)
	}
	secretID, secret := f[0], f[1]
	m := regexp.MustCompile(`claim orgId "([^"]+)"`).FindStringSubmatch(mpOut)
	if m == nil {
		t.Fatalf("no orgId in %q", mpOut)
	}
	orgID := m[1]
	checkSealed := func(s *server) {
		t.Helper()
		if code := s.call("GET", "/api/importer/importer", sessTok, nil, nil); code != 200 {
			t.Errorf("the importer session token issued before the backup: HTTP %d, want 200", code)
		}
		var login struct {
			Session string `json:"session"`
		}
		if code := s.call("POST", "/api/marketplace/login", "", map[string]string{"token": signLink(t, orgID, secretID, secret, "u-backup")}, &login); code != 200 || login.Session == "" {
			t.Errorf("a marketplace link signed with the secret made before the backup: HTTP %d (session %q), want 200", code, login.Session)
		}
	}
	checkSealed(srv)

	// The load: two loops of imports (each submits and queues one delivery
	// per record) while the server delivers them.
	csvDir := t.TempDir()
	var (
		mu   sync.Mutex
		done []importRun
		fail []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := writeCSV(t, csvDir, (w*1000+i)*1000, 200)
				out, errb, err := run("import", "--data-dir", dir, "--importer", "people", path)
				var r importRun
				if err == nil {
					err = json.Unmarshal([]byte(lastLine(out)), &r)
				}
				mu.Lock()
				if err != nil || r.Status != "completed" || r.Rows != 200 {
					fail = append(fail, fmt.Sprintf("import %s: %v %+v %s", path, err, r, errb))
				} else {
					done = append(done, r)
				}
				mu.Unlock()
			}
		}()
	}
	committed := func() []importRun {
		mu.Lock()
		defer mu.Unlock()
		return append([]importRun(nil), done...)
	}
	waitFor(t, "three imports and the first deliveries", 60*time.Second, func() bool { return len(committed()) >= 3 && rc.count() > 0 })

	before := committed()
	archive := filepath.Join(t.TempDir(), "fusebox-backup.tar.gz")
	out := cli(t, "backup", "--data-dir", dir, archive)
	delivered := rc.count()
	after := committed()
	close(stop)
	wg.Wait()
	if len(fail) > 0 {
		t.Fatalf("imports under load failed:\n%s", strings.Join(fail, "\n"))
	}
	t.Logf("backup: %s(%d imports committed before it began, %d when it ended, %d records delivered meanwhile)", out, len(before), len(after), delivered)
	if len(after) == len(before) {
		t.Logf("no import completed while the backup ran (the backup was quick)")
	}
	if st, err := os.Stat(archive); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("archive: %v, mode %v; want 0600", err, st.Mode().Perm())
	}

	// Restore into a new dir.
	restored := filepath.Join(t.TempDir(), "restored")
	cli(t, "restore", archive, "--data-dir", restored)
	for _, name := range []string{"fusebox.db", "sessions.key", "secrets.key", "admin.token"} {
		st, err := os.Stat(filepath.Join(restored, name))
		if err != nil {
			t.Fatalf("restored %s: %v", name, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("restored %s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(restored); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("restored data dir: %v, mode %v; want 0700", err, st.Mode().Perm())
	}
	for _, r := range before {
		ups, _ := filepath.Glob(filepath.Join(restored, "uploads", r.Slug, "original.csv"))
		if len(ups) != 1 {
			t.Errorf("import %s: its upload is not in the restored uploads/", r.Slug)
		}
	}

	// Every import committed before the backup is there, whole; every
	// completed import in the snapshot has its records and its relay job
	// (they commit in one transaction), and no more deliveries than records.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(restored, "fusebox.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		status                                 string
		recordCount, records, jobs, deliveries int
	}
	inSnap := map[string]got{}
	rows, err := db.QueryContext(context.Background(), `SELECT i.slug, i.status, i.record_count,
		COALESCE((SELECT SUM(n) FROM importer_records r WHERE r.import_id = i.id), 0),
		(SELECT COUNT(*) FROM relay_jobs j WHERE j.import_slug = i.slug),
		COALESCE((SELECT SUM(records) FROM relay_deliveries d WHERE d.import_slug = i.slug), 0)
		FROM importer_imports i`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var slug string
		var g got
		if err := rows.Scan(&slug, &g.status, &g.recordCount, &g.records, &g.jobs, &g.deliveries); err != nil {
			t.Fatal(err)
		}
		inSnap[slug] = g
	}
	rows.Close()
	db.Close()
	for _, r := range before {
		g, ok := inSnap[r.Slug]
		if !ok {
			t.Errorf("import %s (committed before the backup began) is missing from the restored data dir", r.Slug)
			continue
		}
		if g.status != "completed" || g.recordCount != r.Rows || g.records != r.Rows {
			t.Errorf("import %s restored as %+v, want completed with %d records", r.Slug, g, r.Rows)
		}
	}
	for slug, g := range inSnap {
		if g.status == "completed" && (g.records != g.recordCount || g.jobs != 1 || g.deliveries > g.recordCount) {
			t.Errorf("import %s in the snapshot is torn: %+v", slug, g)
		}
	}
	queued := 0
	for _, g := range inSnap {
		queued += g.deliveries
	}
	t.Logf("the snapshot holds %d imports (%d committed before the backup began) and %d deliveries", len(inSnap), len(before), queued)

	// The restored dir starts, and what was sealed still opens.
	srv.Stop()
	rs := startServer(t, restored)
	checkSealed(rs)
	var imp struct {
		Import struct {
			Status string `json:"status"`
		} `json:"import"`
	}
	if code := rs.admin("GET", "/api/admin/imports/"+before[0].Slug, nil, &imp); code != 200 || imp.Import.Status != "completed" {
		t.Errorf("restored server: import %s: HTTP %d, status %q", before[0].Slug, code, imp.Import.Status)
	}
}

// restore refuses a non-empty target, and an archive that is cut short or
// altered, leaving the target as it was.
func TestRestoreRefusesNonEmptyTargetAndDamagedArchive(t *testing.T) {
	dir := t.TempDir()
	applyWorkspace(t, dir, peopleWorkspace("http://127.0.0.1:9"))
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	cli(t, "backup", "--data-dir", dir, archive)

	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "notes.txt"), []byte("mine"), 0o600)
	_, errb, err := run("restore", archive, "--data-dir", busy)
	if err == nil || !strings.Contains(errb, "not empty") {
		t.Fatalf("restore into a non-empty dir: err %v, stderr %q; want a 'not empty' refusal", err, errb)
	}
	if b, _ := os.ReadFile(filepath.Join(busy, "notes.txt")); string(b) != "mine" {
		t.Fatal("the non-empty target was touched")
	}

	whole, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"cut":      whole[:len(whole)*2/3],
		"not gzip": []byte("hello"),
	} {
		bad := filepath.Join(t.TempDir(), "bad.tar.gz")
		os.WriteFile(bad, body, 0o600)
		target := filepath.Join(t.TempDir(), "new")
		_, errb, err := run("restore", bad, "--data-dir", target)
		if err == nil || !strings.Contains(errb, "not a whole Fusebox backup") {
			t.Errorf("%s archive: err %v, stderr %q; want a refusal", name, err, errb)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Errorf("%s archive: the target %s was left behind (%v)", name, target, err)
		}
	}

	// The backup of a dir is refused inside that dir (it would hold itself).
	_, errb, err = run("backup", "--data-dir", dir, filepath.Join(dir, "b.tar.gz"))
	if err == nil || !strings.Contains(errb, "inside the data dir") {
		t.Fatalf("backup into the data dir: err %v, stderr %q", err, errb)
	}
}
