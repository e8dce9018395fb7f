package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"fusebox/app"
)

// runWindow runs the desktop window for f's data dir, one per data dir: a
// second launch hands its arguments (files to import, --open) to the
// window already running there, which comes to the front, and exits 0.
func runWindow(ctx context.Context, version string, f serveFlags, log *slog.Logger, stdout, stderr io.Writer) int {
	dir, err := app.ResolveDataDir(f.dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	// The window's second launches and `fusebox quit` read the admin
	// token in the data dir, so the window keeps its keys there.
	if k := app.KeysFromEnv(f.keyDir, os.Getenv); k != (app.KeyConfig{}) {
		fmt.Fprintf(stderr, "fusebox: the desktop window keeps its keys in the data dir; --key-dir, $%s, $%s, $%s and $%s are for fusebox serve\n",
			app.EnvKeyDir, app.EnvSessionsKey, app.EnvSecretsKey, app.EnvAdminToken)
		return 2
	}
	files := make([]string, 0, len(f.files))
	for _, p := range f.files {
		abs, err := filepath.Abs(p)
		if err != nil {
			fmt.Fprintf(stderr, "fusebox: %s: %v\n", p, err)
			return 2
		}
		if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() {
			fmt.Fprintf(stderr, "fusebox: %s is not a file to import\n", p)
			return 2
		}
		files = append(files, abs)
	}
	lock, err := app.ClaimInstance(dir)
	if errors.Is(err, app.ErrInstanceRunning) {
		actx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		pid, err := app.ActivateInstance(actx, dir, app.Activation{Files: files, Open: f.open})
		if err != nil {
			fmt.Fprintln(stderr, "fusebox:", err)
			return 1
		}
		log.Info("already running for this data dir; brought its window to the front", "pid", pid, "data_dir", dir, "files", len(files))
		fmt.Fprintf(stdout, "Fusebox is already running for %s (process %d): its window is in front now.\n", dir, pid)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	defer lock.Release()
	f.dataDir = dir
	a, err := openServer(ctx, version, f, log)
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	defer a.Close()
	err = a.RunWindow(f.addr, app.WindowOptions{Started: func() { a.PrintURLs(stdout) }, Lock: lock, Files: files})
	if err != nil {
		fmt.Fprintln(stderr, "fusebox:", err)
		return 1
	}
	return 0
}
