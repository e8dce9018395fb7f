package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// desktopStateFile is the window's own settings in the data dir.
const desktopStateFile = "desktop.json"

// WindowState is where the window was: size and position in screen
// pixels, and whether it was maximised.
type WindowState struct {
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Maximised bool `json:"maximised"`
}

// desktopSettings is <data-dir>/desktop.json.
type desktopSettings struct {
	Window *WindowState `json:"window,omitempty"`
	// KeepRunning is the "Keep Fusebox running when the window is closed"
	// setting; nil until the user chose (then the default applies: on
	// once a host app used the server in this run).
	KeepRunning *bool `json:"keep_running,omitempty"`
	// ExportDir is where the last workspace export or back-up went.
	ExportDir string `json:"export_dir,omitempty"`
}

// desktopState reads and writes desktop.json; safe for concurrent use.
type desktopState struct {
	path string
	mu   sync.Mutex
	s    desktopSettings
}

// loadDesktopState reads dir's desktop.json. A missing file is empty
// settings; an unreadable one is reported and replaced on the next save.
func loadDesktopState(dir string) (*desktopState, error) {
	st := &desktopState{path: filepath.Join(dir, desktopStateFile)}
	b, err := os.ReadFile(st.path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read %s: %w", st.path, err)
	}
	if err := json.Unmarshal(b, &st.s); err != nil {
		st.s = desktopSettings{}
		return st, fmt.Errorf("%s is not valid JSON (%v); starting with default window settings", st.path, err)
	}
	if w := st.s.Window; w != nil && (w.Width < 200 || w.Height < 150 || w.Width > 20000 || w.Height > 20000) {
		st.s.Window = nil
	}
	return st, nil
}

func (st *desktopState) get() desktopSettings {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	if s.Window != nil {
		w := *s.Window
		s.Window = &w
	}
	return s
}

// update changes the settings with fn and writes the file.
func (st *desktopState) update(fn func(*desktopSettings)) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	fn(&st.s)
	b, err := json.MarshalIndent(st.s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(st.path, append(b, '\n'))
}
