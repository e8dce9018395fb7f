//go:build unix

package importer

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with pid runs (on this machine:
// the data dir is local).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
