//go:build !unix

package importer

// FreeDiskBytes cannot tell the free space on this OS; the minimum free
// disk space is not checked here (the pending-upload quota still is).
func FreeDiskBytes(dir string) (int64, bool) { return 0, false }
