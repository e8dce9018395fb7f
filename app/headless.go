//go:build !desktop

// Package app is the Wails desktop shell. This file is the build without
// the desktop tag (the static server binary): it has no window, and main
// runs the headless server instead.
package app

import (
	"context"
	"errors"
	"net/http"
)

// Built reports whether this binary includes the desktop window.
const Built = false

// Options is what the window needs from main.
type Options struct {
	Title      string
	Handler    http.Handler
	OnStartup  func(ctx context.Context) error
	OnShutdown func()
}

// ErrNotBuilt is returned by Run in a binary built without the window.
var ErrNotBuilt = errors.New("this binary was built without the desktop window (build it with `make desktop`)")

// Run reports that there is no window in this build.
func Run(Options) error { return ErrNotBuilt }
