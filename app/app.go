//go:build desktop

// Package app is the Wails desktop shell: window options, start-up and
// shut-down, and a few native bindings. It calls services and the HTTP
// handler that main gives it; it never touches the database.
package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Built reports whether this binary includes the desktop window.
const Built = true

// Options is what the window needs from main.
type Options struct {
	Title string
	// Handler serves everything the window loads: the console and its API.
	Handler http.Handler
	// OnStartup runs when the window's runtime is ready; main starts the
	// localhost listener there (not before Run: `wails build` runs main).
	OnStartup func(ctx context.Context) error
	// OnShutdown runs when the window closes; main stops the listener.
	OnShutdown func()
}

// Shell holds the bound native helpers the console may call.
type Shell struct {
	ctx context.Context
}

// OpenFile shows the native file dialog and returns the chosen path, or
// "" when the user cancels. The console uses it in the window so files are
// read by Go instead of being posted as a Blob (WebKitGTK 4.1 crashes on
// Blob/FormData bodies).
func (s *Shell) OpenFile(title string) (string, error) {
	return runtime.OpenFileDialog(s.ctx, runtime.OpenDialogOptions{
		Title: title,
		Filters: []runtime.FileFilter{
			{DisplayName: "Spreadsheets (*.csv, *.tsv, *.xlsx, *.json)", Pattern: "*.csv;*.tsv;*.txt;*.xlsx;*.json"},
		},
	})
}

// OpenInBrowser opens url in the system browser (e.g. the demo host app).
func (s *Shell) OpenInBrowser(url string) { runtime.BrowserOpenURL(s.ctx, url) }

// Run shows the window and blocks until it is closed.
func Run(o Options) error {
	shell := &Shell{}
	var startErr error
	err := wails.Run(&options.App{
		Title:     o.Title,
		Width:     1280,
		Height:    800,
		MinWidth:  900,
		MinHeight: 600,
		AssetServer: &assetserver.Options{
			Handler: o.Handler,
		},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		OnStartup: func(ctx context.Context) {
			shell.ctx = ctx
			if o.OnStartup != nil {
				if err := o.OnStartup(ctx); err != nil {
					startErr = err
					runtime.Quit(ctx)
				}
			}
		},
		OnShutdown: func(ctx context.Context) {
			if o.OnShutdown != nil {
				o.OnShutdown()
			}
		},
		Bind:  []any{shell},
		Linux: &linux.Options{ProgramName: "fusebox"},
	})
	if err != nil {
		return fmt.Errorf("desktop window: %w", err)
	}
	return startErr
}
