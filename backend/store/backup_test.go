package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// dataDir makes a data dir with a database holding one setting, a key
// file, an upload and the files a backup leaves out.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(context.Background(), func(tx *store.Tx) error {
		return store.SetSetting(context.Background(), tx, "probe", "kept")
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	os.WriteFile(filepath.Join(dir, "sessions.key"), []byte("k1"), 0o600)
	os.MkdirAll(filepath.Join(dir, "uploads", "imp_a"), 0o700)
	os.WriteFile(filepath.Join(dir, "uploads", "imp_a", "original.csv"), []byte("a,b\n1,2\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "uploads", "imp_a", "upload-1.part"), []byte("half"), 0o600)
	os.MkdirAll(filepath.Join(dir, store.BackupsDir), 0o700)
	os.WriteFile(filepath.Join(dir, store.BackupsDir, "old.tar.gz"), []byte("old"), 0o600)
	return dir
}

// entries lists an archive's names and bodies, in order.
func entries(t *testing.T, archive []byte) ([]string, map[string][]byte) {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	bodies := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, bodies
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names = append(names, h.Name)
		bodies[h.Name] = b
	}
}

func TestBackupHoldsTheDataDirAndRestoresIt(t *testing.T) {
	storetest.SQLiteOnly(t) // the SQLite file and its backups
	ctx := context.Background()
	dir := dataDir(t)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	info, err := store.WriteBackupFile(ctx, "v1.2.3", dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Files != 3 || info.SchemaVersion == 0 || info.Version != "v1.2.3" || len(info.SHA256) != 64 {
		t.Fatalf("info = %+v", info)
	}
	raw, _ := os.ReadFile(out)
	names, _ := entries(t, raw)
	if got := strings.Join(names, " "); got != "fusebox.db sessions.key uploads/imp_a/original.csv manifest.json" {
		t.Fatalf("entries = %s", got)
	}

	target := filepath.Join(t.TempDir(), "new")
	m, err := store.RestoreBackup(ctx, out, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 3 {
		t.Fatalf("manifest files = %+v", m.Files)
	}
	db, err := store.Open(ctx, filepath.Join(target, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, ok, err := db.Setting(ctx, "probe"); err != nil || !ok || v != "kept" {
		t.Fatalf("restored setting = %q %v %v", v, ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "uploads", "imp_a", "original.csv")); string(b) != "a,b\n1,2\n" {
		t.Fatalf("restored upload = %q", b)
	}

	// A second backup to the same file is refused.
	if _, err := store.WriteBackupFile(ctx, "v1.2.3", dir, out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
}

// rewrite builds an archive from entries (name, body) in order.
func rewrite(t *testing.T, ents [][2]string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range ents {
		tw.WriteHeader(&tar.Header{Name: e[0], Mode: 0o600, Size: int64(len(e[1])), Typeflag: tar.TypeReg})
		tw.Write([]byte(e[1]))
	}
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "x.tar.gz")
	os.WriteFile(p, buf.Bytes(), 0o600)
	return p
}

func TestRestoreChecksEveryEntry(t *testing.T) {
	storetest.SQLiteOnly(t) // the SQLite file and its backups
	ctx := context.Background()
	dir := dataDir(t)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := store.WriteBackupFile(ctx, "v1", dir, out); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(out)
	names, bodies := entries(t, raw)
	whole := func(change func(name, body string) (string, string, bool)) [][2]string {
		var ents [][2]string
		for _, n := range names {
			nn, bb, keep := change(n, string(bodies[n]))
			if keep {
				ents = append(ents, [2]string{nn, bb})
			}
		}
		return ents
	}
	cases := map[string]struct {
		ents [][2]string
		want string
	}{
		"altered upload": {whole(func(n, b string) (string, string, bool) {
			if strings.HasPrefix(n, "uploads/") {
				b = "a,b\n1,3\n"
			}
			return n, b, true
		}), "does not match the manifest"},
		"missing key file": {whole(func(n, b string) (string, string, bool) { return n, b, n != "sessions.key" }), "missing"},
		"no manifest":      {whole(func(n, b string) (string, string, bool) { return n, b, n != "manifest.json" }), "no manifest.json"},
		"path escapes": {append([][2]string{{"../evil", "x"}}, whole(func(n, b string) (string, string, bool) { return n, b, true })...),
			"not a plain relative path"},
		"extra file": {append([][2]string{{"extra.txt", "x"}}, whole(func(n, b string) (string, string, bool) { return n, b, true })...),
			"not listed in the manifest"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			target := filepath.Join(parent, "new")
			_, err := store.RestoreBackup(ctx, rewrite(t, c.ents), target)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Fatalf("target left behind: %v", err)
			}
			if _, err := os.Stat(filepath.Join(parent, "evil")); !os.IsNotExist(err) {
				t.Fatal("an entry escaped the target")
			}
		})
	}
}

// A snapshot taken while another connection holds a write transaction
// open has what was committed, not what is pending.
func TestSnapshotSeesOnlyCommitted(t *testing.T) {
	storetest.SQLiteOnly(t) // the SQLite file and its backups
	ctx := context.Background()
	db, path := openTemp(t)
	if err := db.Tx(ctx, func(tx *store.Tx) error { return store.SetSetting(ctx, tx, "a", "committed") }); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap.db")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.SetSetting(ctx, tx, "b", "pending"); err != nil {
			return err
		}
		return store.Snapshot(ctx, path, snap)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(snap); st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot mode %v", st.Mode().Perm())
	}
	s, err := store.Open(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, _ := s.Setting(ctx, "a"); !ok || v != "committed" {
		t.Fatalf("a = %q %v", v, ok)
	}
	if _, ok, _ := s.Setting(ctx, "b"); ok {
		t.Fatal("the snapshot holds an uncommitted write")
	}
}
