//go:build unix

package store_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

// A hostile archive whose entry says it is larger than the disk's free
// space is refused before a byte of it is written: a small .tar.gz can
// otherwise unpack until the disk is full (the manifest, which would
// catch it, comes last).
func TestSecurityRestoreRefusesEntryLargerThanFreeDisk(t *testing.T) {
	storetest.SQLiteOnly(t) // the SQLite file and its backups
	target := filepath.Join(t.TempDir(), "restored")
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(target), &st); err != nil {
		t.Skipf("cannot tell the free disk space here: %v", err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)

	// The header claims free+1 GB; only 8 MB of zeros follow (the archive
	// is cut short there, as a bomb need not be whole to do its damage).
	archive := filepath.Join(t.TempDir(), "bomb.tar.gz")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "uploads/imp_a/original.csv", Mode: 0o600, Size: free + 1<<30, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for i := 0; i < 8; i++ {
		if _, err := tw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	gz.Close() // no tw.Close: the entry is cut short
	f.Close()

	_, err = store.RestoreBackup(context.Background(), archive, target)
	if err == nil {
		t.Fatal("restore of a hostile archive succeeded")
	}
	if !strings.Contains(err.Error(), "free") {
		t.Fatalf("restore wrote the oversized entry before failing; want it refused up front naming the free disk space, got: %v", err)
	}
	if _, serr := os.Stat(target); !os.IsNotExist(serr) {
		t.Fatalf("the target %s is left behind after a refused restore (%v)", target, serr)
	}
}
