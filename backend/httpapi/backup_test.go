package httpapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// The console takes a backup into <data-dir>/backups, sees it as the last
// one and in the folder's list, and downloads it; the archive restores
// into a data dir that holds the import made before it.
func TestConsoleBackup(t *testing.T) {
	storetest.SQLiteOnly(t) // file backups are of SQLite data dirs
	e := newSessEnv(t)
	tok := e.createSession("contacts", `{"user_id":"u1"}`).Token
	slug := e.importAs(tok, contactsCSV)
	admin := bearerH(e.admin, "Content-Type", "application/json")

	r := e.do(sessReq{"GET", "/api/admin/backup", admin, ""})
	if r.status != 200 || !strings.Contains(r.body, `"last":null`) || !strings.Contains(r.body, `"files":[]`) {
		t.Fatalf("before any backup: %d %s", r.status, r.body)
	}
	r = e.do(sessReq{"POST", "/api/admin/backup", admin, ""})
	if r.status != 200 {
		t.Fatalf("backup: %d %s", r.status, r.body)
	}
	var made struct {
		Backup store.BackupInfo `json:"backup"`
	}
	if err := json.Unmarshal([]byte(r.body), &made); err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(made.Backup.Path) != filepath.Join(e.dir, "backups") || made.Backup.SizeBytes == 0 {
		t.Fatalf("backup = %+v, want a file in %s/backups", made.Backup, e.dir)
	}
	if st, err := os.Stat(made.Backup.Path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", err, st)
	}

	r = e.do(sessReq{"GET", "/api/admin/backup", admin, ""})
	var view backupsView
	if err := json.Unmarshal([]byte(r.body), &view); err != nil {
		t.Fatal(err)
	}
	if view.Last == nil || view.Last.SHA256 != made.Backup.SHA256 || len(view.Files) != 1 || view.Files[0].Name != made.Backup.Name {
		t.Fatalf("after the backup: %s", r.body)
	}

	d := e.do(sessReq{"GET", "/api/admin/backup/" + made.Backup.Name, admin, ""})
	if d.status != 200 || int64(len(d.body)) != made.Backup.SizeBytes {
		t.Fatalf("download: %d, %d bytes, want %d", d.status, len(d.body), made.Backup.SizeBytes)
	}
	for _, bad := range []string{"..%2Ffusebox.db", "fusebox.db", "fusebox-backup-20990101-000000.tar.gz"} {
		if g := e.do(sessReq{"GET", "/api/admin/backup/" + bad, admin, ""}); g.status != 404 {
			t.Errorf("download %s: %d, want 404", bad, g.status)
		}
	}
	if g := e.do(sessReq{"GET", "/api/admin/backup/" + made.Backup.Name, nil, ""}); g.status != 401 {
		t.Errorf("download without the admin login: %d, want 401", g.status)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := store.RestoreBackup(context.Background(), made.Backup.Path, restored); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(restored, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var status string
	if err := db.Read.QueryRow(`SELECT status FROM importer_imports WHERE slug = ?`, slug).Scan(&status); err != nil || status != "completed" {
		t.Fatalf("restored import %s: %q %v", slug, status, err)
	}
}

// On a team server (PostgreSQL) the console's backup is refused with a
// message naming pg_dump, as `fusebox backup` is, not a 500 from a file
// backup of a data dir with no database in it.
func TestConsoleBackupOnPostgreSQLNamesPgDump(t *testing.T) {
	storetest.PostgresOnly(t)
	e := newSessEnv(t)
	admin := bearerH(e.admin, "Content-Type", "application/json")
	r := e.do(sessReq{"POST", "/api/admin/backup", admin, ""})
	if r.status != 422 || !strings.Contains(r.body, "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %d %s, want 422 naming pg_dump", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "backups")); !os.IsNotExist(err) {
		t.Fatalf("a backups folder was made: %v", err)
	}
}
