//go:build desktop

package app

import (
	"context"
	"fmt"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// WindowBuilt reports whether this binary includes the desktop window.
const WindowBuilt = true

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

// RunWindow is the desktop door: it shows the window, whose console
// reaches the HTTP handler through the window's own door, and blocks until
// the window is closed. The localhost listener starts (Start on addr) when
// the window's runtime is ready, not before (`wails build` runs main), and
// then started is called; closing the window shuts it down.
func (a *App) RunWindow(addr string, started func()) error {
	shell := &Shell{}
	var startErr error
	err := wails.Run(&options.App{
		Title:     "Fusebox",
		Width:     1280,
		Height:    800,
		MinWidth:  900,
		MinHeight: 600,
		AssetServer: &assetserver.Options{
			Handler: a.server.WindowHandler(),
		},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		OnStartup: func(ctx context.Context) {
			shell.ctx = ctx
			if err := a.Start(addr); err != nil {
				a.log.Error("localhost listener", "err", err)
				startErr = err
				runtime.Quit(ctx)
				return
			}
			started()
		},
		OnShutdown: func(ctx context.Context) {
			if err := a.Shutdown(); err != nil {
				a.log.Error("shutdown", "err", err)
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
