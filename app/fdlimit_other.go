//go:build !unix

package app

// openFileLimit: Windows has no per-process open-file limit of this kind
// (sockets are handles, bounded by memory); FUSEBOX_MAX_CONNS alone caps
// the port.
func openFileLimit() (uint64, bool) { return 0, false }
