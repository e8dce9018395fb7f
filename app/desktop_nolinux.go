//go:build desktop && !linux

package app

// keepFileDropsOffThePage guards the web view against opening dropped
// files as pages on Linux (desktop_linux.go); other platforms have no guard
// yet.
func keepFileDropsOffThePage() {}
