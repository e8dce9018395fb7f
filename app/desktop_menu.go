//go:build desktop

package app

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// menu is the window's native menu (a GTK menu bar on Linux; the same
// definition on Windows). The Edit items act on the console's focused
// input or grid through small scripts (editScript); their keyboard
// shortcuts are the web view's own, so the items carry no accelerators
// that would take Ctrl+C or Ctrl+Z away from it.
func (d *desktop) menu() *menu.Menu {
	m := menu.NewMenu()

	file := m.AddSubmenu("File")
	file.AddText("Import a file…", keys.CmdOrCtrl("o"), func(*menu.CallbackData) { go d.importFileDialog() })
	file.AddText("Apply workspace…", nil, func(*menu.CallbackData) { go d.applyWorkspaceDialog() })
	file.AddText("Export workspace…", keys.Combo("e", keys.CmdOrCtrlKey, keys.ShiftKey), func(*menu.CallbackData) { go d.exportWorkspaceDialog() })
	file.AddText("Back up…", nil, func(*menu.CallbackData) { go d.backupDialog() })
	file.AddSeparator()
	file.AddText("Open data folder", nil, func(*menu.CallbackData) { go d.openPath(d.a.dataDir) })
	closing := file.AddSubmenu("When the window is closed")
	k := d.state.get().KeepRunning
	closing.AddRadio("Keep Fusebox running once a host app used it (default)", k == nil, nil, func(*menu.CallbackData) { d.setKeepRunning(nil) })
	closing.AddRadio("Keep Fusebox running when the window is closed", k != nil && *k, nil, func(*menu.CallbackData) { t := true; d.setKeepRunning(&t) })
	closing.AddRadio("Quit Fusebox", k != nil && !*k, nil, func(*menu.CallbackData) { f := false; d.setKeepRunning(&f) })
	file.AddText("Close window", keys.CmdOrCtrl("w"), func(*menu.CallbackData) { go d.closeWindow() })
	file.AddSeparator()
	file.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { go d.quit() })

	edit := m.AddSubmenu("Edit")
	for _, it := range []struct{ label, cmd string }{
		{"Undo", "undo"}, {"Redo", "redo"}, {"", ""}, {"Cut", "cut"}, {"Copy", "copy"}, {"Paste", "paste"}, {"", ""}, {"Select all", "selectAll"},
	} {
		if it.label == "" {
			edit.AddSeparator()
			continue
		}
		cmd := it.cmd
		edit.AddText(it.label, nil, func(*menu.CallbackData) { runtime.WindowExecJS(d.ctx, editScript(cmd)) })
	}

	view := m.AddSubmenu("View")
	view.AddText("Reload", keys.CmdOrCtrl("r"), func(*menu.CallbackData) { runtime.WindowReloadApp(d.ctx) })
	view.AddSeparator()
	view.AddText("Zoom in", keys.CmdOrCtrl("="), func(*menu.CallbackData) { d.setZoom(d.zoom + 0.1) })
	view.AddText("Zoom out", keys.CmdOrCtrl("-"), func(*menu.CallbackData) { d.setZoom(d.zoom - 0.1) })
	view.AddText("Actual size", keys.CmdOrCtrl("0"), func(*menu.CallbackData) { d.setZoom(1) })
	view.AddSeparator()
	view.AddText("Open in browser", nil, func(*menu.CallbackData) {
		runtime.BrowserOpenURL(d.ctx, d.a.BaseURL()+"/login?code="+d.a.server.NewLoginCode())
	})

	help := m.AddSubmenu("Help")
	help.AddText("Documentation", nil, func(*menu.CallbackData) { go d.openDocs() })
	help.AddText("API reference", nil, func(*menu.CallbackData) {
		runtime.BrowserOpenURL(d.ctx, d.a.BaseURL()+"/api/v1/openapi.json")
	})
	help.AddText("About Fusebox", nil, func(*menu.CallbackData) { go d.about() })
	return m
}

// setKeepRunning stores the "when the window is closed" choice (nil: the
// default).
func (d *desktop) setKeepRunning(v *bool) {
	if err := d.state.update(func(s *desktopSettings) { s.KeepRunning = v }); err != nil {
		d.a.log.Warn("save the keep-running setting", "err", err)
	}
	d.a.log.Info("keep running when the window is closed", "setting", keepRunningText(v), "now", d.keepRunning())
}

func keepRunningText(v *bool) string {
	switch {
	case v == nil:
		return "default (once a host app used the server)"
	case *v:
		return "on"
	}
	return "off"
}

// closeWindow is the Close window item: what the window's close button does.
func (d *desktop) closeWindow() {
	if !d.beforeClose(d.ctx) {
		runtime.Quit(d.ctx)
	}
}

func (d *desktop) importFileDialog() {
	path, err := runtime.OpenFileDialog(d.ctx, runtime.OpenDialogOptions{Title: "Import a file", Filters: importFilters})
	if err != nil {
		d.errorDialog("Import a file", err)
		return
	}
	if path != "" {
		d.openFiles("menu", []string{path})
	}
}

func (d *desktop) applyWorkspaceDialog() {
	path, err := runtime.OpenFileDialog(d.ctx, runtime.OpenDialogOptions{
		Title:   "Apply workspace",
		Filters: []runtime.FileFilter{{DisplayName: "Workspace files (*.yaml, *.yml, *.json)", Pattern: "*.yaml;*.yml;*.json"}},
	})
	if err != nil || path == "" {
		if err != nil {
			d.errorDialog("Apply workspace", err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		d.errorDialog("Apply workspace", err)
		return
	}
	changes, err := d.a.Workspace.Apply(d.ctx, data, filepath.Base(path))
	if err != nil {
		d.errorDialog("Apply workspace", fmt.Errorf("%s: %w", path, err))
		return
	}
	d.a.log.Info("workspace applied", "path", path, "changes", len(changes))
	msg := "No changes: the data dir already matches " + filepath.Base(path) + "."
	if len(changes) > 0 {
		msg = fmt.Sprintf("Applied %s (%d changes):\n\n%s", filepath.Base(path), len(changes), strings.Join(firstN(changes, 20), "\n"))
	}
	runtime.WindowReloadApp(d.ctx)
	_, _ = runtime.MessageDialog(d.ctx, runtime.MessageDialogOptions{Type: runtime.InfoDialog, Title: "Workspace applied", Message: msg})
}

// exportWorkspaceDialog writes the workspace (as `fusebox export` prints
// it) to a file the user chooses; the dialog starts in the last folder.
func (d *desktop) exportWorkspaceDialog() {
	dir := d.state.get().ExportDir
	if dir == "" {
		dir, _ = os.UserHomeDir()
	}
	name := "fusebox-workspace-" + time.Now().Format("2006-01-02") + ".yaml"
	path, err := runtime.SaveFileDialog(d.ctx, runtime.SaveDialogOptions{
		Title: "Export workspace", DefaultDirectory: dir, DefaultFilename: name,
		Filters: []runtime.FileFilter{{DisplayName: "YAML (*.yaml)", Pattern: "*.yaml;*.yml"}},
	})
	if err != nil || path == "" {
		if err != nil {
			d.errorDialog("Export workspace", err)
		}
		return
	}
	out, err := d.a.Workspace.Export(d.ctx)
	if err == nil {
		err = writeFileAtomic(path, out)
	}
	if err != nil {
		d.errorDialog("Export workspace", err)
		return
	}
	_ = d.state.update(func(s *desktopSettings) { s.ExportDir = filepath.Dir(path) })
	d.a.log.Info("workspace exported", "path", path, "bytes", len(out))
}

// backupDialog writes a backup archive of the data dir (as `fusebox
// backup` does) to a file the user chooses, while the server runs.
func (d *desktop) backupDialog() {
	dir := d.state.get().ExportDir
	if dir == "" {
		dir, _ = os.UserHomeDir()
	}
	path, err := runtime.SaveFileDialog(d.ctx, runtime.SaveDialogOptions{
		Title: "Back up", DefaultDirectory: dir, DefaultFilename: "fusebox-backup-" + time.Now().Format("2006-01-02") + ".tar.gz",
		Filters: []runtime.FileFilter{{DisplayName: "Backup archives (*.tar.gz)", Pattern: "*.tar.gz"}},
	})
	if err != nil || path == "" {
		if err != nil {
			d.errorDialog("Back up", err)
		}
		return
	}
	info, err := Backup(d.ctx, d.a.version, d.a.dataDir, path)
	if err != nil {
		d.errorDialog("Back up", err)
		return
	}
	_ = d.state.update(func(s *desktopSettings) { s.ExportDir = filepath.Dir(path) })
	d.a.log.Info("backup written", "path", info.Path, "bytes", info.SizeBytes, "sha256", info.SHA256)
	d.notify(Notice{ID: "backup " + info.Path, Kind: "backup", Title: "Backup written",
		Body: fmt.Sprintf("%s: %d files, %d bytes. Restore it with fusebox restore %s --data-dir NEWDIR.", info.Path, info.Files, info.SizeBytes, filepath.Base(info.Path))})
}

// openPath opens a folder or file with the desktop's default application.
func (d *desktop) openPath(p string) {
	var cmd *exec.Cmd
	switch goruntime.GOOS {
	case "windows":
		cmd = exec.Command("explorer", p)
	case "darwin":
		cmd = exec.Command("open", p)
	default:
		cmd = exec.Command("xdg-open", p)
	}
	if err := cmd.Start(); err != nil {
		d.errorDialog("Open "+p, err)
		return
	}
	go cmd.Wait()
	d.a.log.Info("opened", "path", p)
}

// openDocs opens the documentation installed beside the binary, else says
// where it is.
func (d *desktop) openDocs() {
	var cands []string
	if v := os.Getenv("FUSEBOX_DOCS"); v != "" {
		cands = append(cands, v)
	}
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		cands = append(cands, filepath.Join(dir, "..", "share", "doc", "fusebox"), filepath.Join(dir, "..", "docs"), filepath.Join(dir, "docs"))
	}
	cands = append(cands, "/usr/share/doc/fusebox")
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			d.openPath(c)
			return
		}
	}
	_, _ = runtime.MessageDialog(d.ctx, runtime.MessageDialogOptions{
		Type: runtime.InfoDialog, Title: "Documentation",
		Message: "The documentation is the docs/ folder of the Fusebox sources (README.md, docs/cli.md, docs/api.md). The API reference of this server is " + d.a.BaseURL() + "/api/v1/openapi.json (Help > API reference).",
	})
}

func (d *desktop) about() {
	_, _ = runtime.MessageDialog(d.ctx, runtime.MessageDialogOptions{
		Type:  runtime.InfoDialog,
		Title: "About Fusebox",
		Message: fmt.Sprintf("Fusebox %s\n\nData dir: %s\nServer: %s\nWhen the window is closed: %s",
			d.a.version, d.a.dataDir, d.a.BaseURL(), keepRunningText(d.state.get().KeepRunning)),
	})
}

func (d *desktop) errorDialog(title string, err error) {
	d.a.log.Warn(strings.ToLower(title), "err", err)
	_, _ = runtime.MessageDialog(d.ctx, runtime.MessageDialogOptions{Type: runtime.ErrorDialog, Title: title, Message: err.Error()})
}

// setZoom zooms the console (CSS zoom on the page, 50% to 300%).
func (d *desktop) setZoom(z float64) {
	d.zoom = min(max(z, 0.5), 3)
	d.applyZoom()
}

func (d *desktop) applyZoom() {
	runtime.WindowExecJS(d.ctx, fmt.Sprintf("document.documentElement.style.zoom=%q", fmt.Sprintf("%.0f%%", d.zoom*100)))
}

// editScript is the Edit menu's command for the focused element of the
// console, looked for through same-origin frames (the importer's Try
// view): inputs use the editing commands, with the clipboard read and
// written by Go (a menu click is no user gesture the page may use the
// clipboard for); elsewhere undo and redo are the Ctrl+Z / Ctrl+Y the
// review grid listens for.
func editScript(cmd string) string {
	return `(function (cmd) {
  var doc = document, el = doc.activeElement;
  while (el && el.tagName === 'IFRAME') {
    try { doc = el.contentDocument; el = doc.activeElement; } catch (e) { break; }
  }
  var shell = window.go && window.go.app && window.go.app.Shell;
  var field = el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA');
  var editable = el && (field || el.isContentEditable);
  var selected = function () {
    if (field && typeof el.selectionStart === 'number') return el.value.substring(el.selectionStart, el.selectionEnd);
    return String(doc.getSelection ? doc.getSelection() : '');
  };
  var done = function () { if (shell && shell.Edited) shell.Edited(cmd, field ? el.value.length : -1); };
  switch (cmd) {
    case 'copy':
    case 'cut': {
      var t = selected();
      if (cmd === 'cut' && t && editable) doc.execCommand('delete');
      if (t && shell) shell.SetClipboard(t).then(done, done); else done();
      break;
    }
    case 'paste':
      if (shell && editable) shell.Clipboard().then(function (t) { if (t) { el.focus(); doc.execCommand('insertText', false, t); } done(); });
      else done();
      break;
    case 'selectAll':
      if (field && el.select) el.select(); else doc.execCommand('selectAll');
      done();
      break;
    case 'undo':
    case 'redo':
      if (editable) doc.execCommand(cmd);
      else (el || doc.body).dispatchEvent(new KeyboardEvent('keydown', { key: cmd === 'undo' ? 'z' : 'y', ctrlKey: true, bubbles: true }));
      done();
      break;
  }
})(` + fmt.Sprintf("%q", cmd) + `);`
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… and %d more", len(s)-n))
	}
	return s
}
