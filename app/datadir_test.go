package app

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSecurityDataDirPrivate: a new data dir (and any parent it creates)
// is 0700 whatever the umask.
func TestSecurityDataDirPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "parent", "fusebox")
	got, err := ResolveDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{got, filepath.Dir(got)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o700 {
			t.Errorf("%s has mode %#o, want 0700", p, mode)
		}
	}
}
