//go:build !desktop

package app

import "errors"

// This file is the build without the desktop tag (the static server
// binary): it has no window, and the commands run the headless door
// (Start) instead.

// WindowBuilt reports whether this binary includes the desktop window.
const WindowBuilt = false

// ErrNoWindow is returned by RunWindow in a binary built without the window.
var ErrNoWindow = errors.New("this binary was built without the desktop window (build it with `make desktop`)")

// WindowOptions is what the command passes to RunWindow (see desktop.go).
type WindowOptions struct {
	Started func()
	Lock    *InstanceLock
	Files   []string
}

// RunWindow reports that there is no window in this build.
func (a *App) RunWindow(addr string, o WindowOptions) error { return ErrNoWindow }
