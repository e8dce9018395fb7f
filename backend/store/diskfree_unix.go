//go:build unix

package store

import "syscall"

// freeDiskBytes reports the bytes free to this process on the filesystem
// holding dir, and whether it could tell.
func freeDiskBytes(dir string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
