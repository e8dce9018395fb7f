//go:build desktop

package app

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// WindowBuilt reports whether this binary includes the desktop window.
const WindowBuilt = true

// Shell holds the bound native helpers the console may call
// (window.go.app.Shell in the window).
type Shell struct {
	d *desktop
}

// OpenFile shows the native file dialog and returns the chosen path, or
// "" when the user cancels. The console uses it in the window so files are
// read by Go instead of being posted as a Blob (WebKitGTK 4.1 crashes on
// Blob/FormData bodies).
func (s *Shell) OpenFile(title string) (string, error) {
	return runtime.OpenFileDialog(s.d.ctx, runtime.OpenDialogOptions{
		Title:   title,
		Filters: importFilters,
	})
}

var importFilters = []runtime.FileFilter{
	{DisplayName: "Spreadsheets (*.csv, *.tsv, *.xlsx, *.json)", Pattern: "*.csv;*.tsv;*.txt;*.xlsx;*.json"},
}

// OpenInBrowser opens url in the system browser (e.g. the demo host app).
func (s *Shell) OpenInBrowser(url string) { runtime.BrowserOpenURL(s.d.ctx, url) }

// InboxItem is something for the console to act on: files dropped on the
// window or passed to a second launch, a route to open, a notice to show.
type InboxItem struct {
	Kind   string   `json:"kind"` // files, open, notice
	Files  []string `json:"files,omitempty"`
	Open   string   `json:"open,omitempty"`
	Notice *Notice  `json:"notice,omitempty"`
}

// Take hands the console what arrived for it since the last call. The
// console calls it when it starts and on each "fusebox:inbox" event.
func (s *Shell) Take() []InboxItem { return s.d.takeInbox() }

// SetClipboard puts text on the clipboard (the Edit menu's Copy and Cut).
func (s *Shell) SetClipboard(text string) error {
	if err := runtime.ClipboardSetText(s.d.ctx, text); err != nil {
		return err
	}
	s.d.a.log.Info("clipboard set", "bytes", len(text))
	return nil
}

// Clipboard is the clipboard's text (the Edit menu's Paste).
func (s *Shell) Clipboard() (string, error) {
	text, err := runtime.ClipboardGetText(s.d.ctx)
	if err == nil {
		s.d.a.log.Info("clipboard read", "bytes", len(text))
	}
	return text, err
}

// Edited logs what an Edit menu command did in the console: the command
// and the focused field's length after it (-1 outside a field).
func (s *Shell) Edited(cmd string, fieldChars int) {
	s.d.a.log.Info("edit", "cmd", cmd, "field_chars", fieldChars)
}

// WindowOptions is what the command passes to RunWindow.
type WindowOptions struct {
	// Started runs once the localhost listener is up (print the URLs).
	Started func()
	// Lock is the data dir's desktop lock (ClaimInstance), held by the
	// caller; RunWindow opens the control channel second launches and
	// `fusebox quit` talk to.
	Lock *InstanceLock
	// Files are files to import given on the command line.
	Files []string
}

// desktop is the running window and what it keeps.
type desktop struct {
	a     *App
	ctx   context.Context
	state *desktopState
	usage *hostUsage
	lock  *InstanceLock

	quitting atomic.Bool
	native   atomic.Bool // desktop notifications available
	zoom     float64

	inboxMu sync.Mutex
	inbox   []InboxItem

	placed sync.Once
}

// RunWindow is the desktop door: it shows the window, whose console
// reaches the HTTP handler through the window's own door, and blocks until
// the app quits. The localhost listener starts (Start on addr) when the
// window's runtime is ready, not before (`wails build` runs main). Closing
// the window hides it while the server should keep running (see
// beforeClose); the Quit menu item and `fusebox quit` stop the app.
func (a *App) RunWindow(addr string, o WindowOptions) error {
	state, err := loadDesktopState(a.dataDir)
	if err != nil {
		a.log.Warn("desktop settings", "err", err)
	}
	d := &desktop{a: a, state: state, lock: o.Lock, zoom: 1}
	d.usage = &hostUsage{adminToken: a.adminToken, onFirst: func(path string) {
		a.log.Info("host app used the server", "path", path, "keep_running", d.keepRunning())
	}}
	a.wrapPort = d.usage.wrap
	notes := newNotifier(a.log, a.Importer, a.Relay, d.notify)
	a.Importer.OnStatus(notes.importStatus)
	shell := &Shell{d: d}
	if len(o.Files) > 0 {
		d.push(InboxItem{Kind: "files", Files: o.Files})
	}

	width, height := 1280, 800
	start := options.Normal
	if w := state.get().Window; w != nil {
		width, height = w.Width, w.Height
		if w.Maximised {
			start = options.Maximised
		}
	}
	// SIGINT and SIGTERM stop the app: the window runtime turns them into
	// a close (OnBeforeClose), which must neither hide the window nor ask.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			d.quitting.Store(true)
			a.log.Info("signal received; stopping")
		}
	}()

	var startErr error
	stopNotes := func() {}
	var channel *instanceChannel
	err = wails.Run(&options.App{
		Title:            "Fusebox",
		Width:            width,
		Height:           height,
		MinWidth:         900,
		MinHeight:        600,
		WindowStartState: start,
		AssetServer: &assetserver.Options{
			Handler: a.server.WindowHandler(),
		},
		BackgroundColour: &options.RGBA{R: 248, G: 249, B: 251, A: 255},
		Menu:             d.menu(),
		DragAndDrop:      &options.DragAndDrop{EnableFileDrop: true},
		OnStartup: func(ctx context.Context) {
			d.ctx = ctx
			if err := a.Start(addr); err != nil {
				a.log.Error("localhost listener", "err", err)
				startErr = err
				d.quitting.Store(true)
				runtime.Quit(ctx)
				return
			}
			if o.Started != nil {
				o.Started()
			}
			if d.lock != nil {
				c, err := d.lock.openInstanceChannel(a.adminToken, a.BaseURL(), InstanceHandler{Activate: d.activate, Quit: d.quitNow}, a.log)
				if err != nil {
					a.log.Error("desktop control channel", "err", err)
				} else {
					channel = c
				}
			}
			runtime.OnFileDrop(ctx, func(_, _ int, paths []string) { d.openFiles("drop", paths) })
			if err := runtime.InitializeNotifications(ctx); err != nil {
				a.log.Info("desktop notifications unavailable; notices show in the console", "err", err)
			} else {
				d.native.Store(runtime.IsNotificationAvailable(ctx))
			}
			nctx, cancel := context.WithCancel(context.Background())
			stopNotes = cancel
			go notes.run(nctx)
			a.log.Info("window started", "data_dir", a.dataDir, "notifications", d.native.Load())
		},
		OnDomReady: func(ctx context.Context) {
			d.placed.Do(func() {
				d.restorePosition()
				keepFileDropsOffThePage()
			})
			if d.zoom != 1 {
				d.applyZoom()
			}
		},
		OnBeforeClose: d.beforeClose,
		OnShutdown: func(ctx context.Context) {
			stopNotes()
			channel.close()
			if d.native.Load() {
				runtime.CleanupNotifications(ctx)
			}
			if err := a.Shutdown(); err != nil {
				a.log.Error("shutdown", "err", err)
			}
			a.log.Info("window closed; stopped")
		},
		Bind:  []any{shell},
		Linux: &linux.Options{ProgramName: "fusebox"},
		// What the window says on Windows when WebView2 is missing.
		Windows: windowsOptions(),
	})
	if err != nil {
		return fmt.Errorf("desktop window: %w", err)
	}
	return startErr
}

// keepRunning is the "Keep Fusebox running when the window is closed"
// setting: the user's choice, else on once a host app used the server.
func (d *desktop) keepRunning() bool {
	if k := d.state.get().KeepRunning; k != nil {
		return *k
	}
	return d.usage.Used()
}

// beforeClose decides what closing the window does (true keeps the app):
// with keep-running on it hides the window and the server goes on; off,
// it asks first when imports are in progress or deliveries are pending.
func (d *desktop) beforeClose(ctx context.Context) bool {
	d.saveWindowState()
	if d.quitting.Load() {
		return false
	}
	if d.keepRunning() {
		runtime.WindowHide(ctx)
		d.a.log.Info("window hidden; the server keeps running", "url", d.a.BaseURL(), "data_dir", d.a.dataDir)
		if d.native.Load() {
			d.notify(Notice{ID: "hidden", Kind: "running", Title: "Fusebox keeps running",
				Body: "The server goes on at " + d.a.BaseURL() + " for your host apps. Open Fusebox again to show the window; quit it from the File menu or with `fusebox quit`."})
		}
		return true
	}
	if !d.confirmStop(ctx, "Close Fusebox?") {
		d.a.log.Info("close cancelled; the window stays")
		return true
	}
	d.quitting.Store(true)
	return false
}

// confirmStop asks before stopping when work is pending; true to stop.
func (d *desktop) confirmStop(ctx context.Context, title string) bool {
	work := pendingWork(ctx, d.a.Importer, d.a.Relay)
	if work == "" {
		return true
	}
	d.a.log.Info("asking before stopping", "pending", work)
	// GTK and Windows question dialogs answer Yes or No.
	answer, err := runtime.MessageDialog(ctx, runtime.MessageDialogOptions{
		Type:  runtime.QuestionDialog,
		Title: title,
		Message: fmt.Sprintf("Work is not finished: %s.\n\nQuitting stops the server at %s: imports in progress stop, deliveries wait until Fusebox runs again, and host apps cannot reach it. (To keep it serving with the window closed, choose File > When the window is closed > Keep Fusebox running.)\n\nQuit anyway?",
			work, d.a.BaseURL()),
		DefaultButton: "No",
	})
	if err != nil {
		d.a.log.Warn("close dialog", "err", err)
		return false
	}
	return answer == "Yes"
}

// quit stops the app from the menu: asking first when work is pending.
func (d *desktop) quit() {
	if !d.confirmStop(d.ctx, "Quit Fusebox?") {
		return
	}
	d.quitNow()
}

// quitNow stops the app without asking (`fusebox quit`).
func (d *desktop) quitNow() {
	d.saveWindowState()
	d.quitting.Store(true)
	d.a.log.Info("quitting")
	runtime.Quit(d.ctx)
}

// activate is a second launch: show the window in front, then act on its
// arguments.
func (d *desktop) activate(act Activation) {
	d.show("second launch")
	if act.Open != "" {
		d.push(InboxItem{Kind: "open", Open: act.Open})
	}
	if len(act.Files) > 0 {
		// The same path as a file dropped on the window: the runtime's
		// file-drop event (runtime.OnFileDrop above).
		runtime.EventsEmit(d.ctx, "wails:file-drop", 0, 0, act.Files)
	}
}

// show brings the window back and in front.
func (d *desktop) show(why string) {
	runtime.WindowShow(d.ctx)
	runtime.WindowUnminimise(d.ctx)
	d.a.log.Info("window shown", "reason", why)
}

// openFiles hands files dropped on the window (or given to a launch) to
// the console, which starts an import of the first in its Try view; the
// server reads the file from its path.
func (d *desktop) openFiles(source string, paths []string) {
	var ok []string
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			d.notify(Notice{ID: "file " + p, Kind: "file-error", Title: "Cannot import " + filepath.Base(p), Body: err.Error()})
		case !st.Mode().IsRegular():
			d.notify(Notice{ID: "file " + p, Kind: "file-error", Title: "Cannot import " + filepath.Base(p), Body: p + " is not a regular file."})
		default:
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return
	}
	d.a.log.Info("files to import", "source", source, "files", len(ok), "first", ok[0])
	d.push(InboxItem{Kind: "files", Files: ok})
}

// notify shows n as a desktop notification where there are some, and
// always keeps it for the console (which shows it when the desktop could
// not).
func (d *desktop) notify(n Notice) {
	native := false
	if d.native.Load() && d.ctx != nil {
		err := runtime.SendNotification(d.ctx, runtime.NotificationOptions{ID: n.ID, Title: n.Title, Body: notificationBody(n.Body, goruntime.GOOS)})
		if err != nil {
			d.a.log.Warn("desktop notification", "err", err)
		} else {
			native = true
		}
	}
	d.a.log.Info("notification", "kind", n.Kind, "title", n.Title, "native", native, "body", n.Body)
	if !native {
		d.push(InboxItem{Kind: "notice", Notice: &n})
	}
}

// push queues an item for the console and tells it to come and take it.
func (d *desktop) push(it InboxItem) {
	d.inboxMu.Lock()
	d.inbox = append(d.inbox, it)
	d.inboxMu.Unlock()
	if d.ctx != nil {
		runtime.EventsEmit(d.ctx, "fusebox:inbox")
	}
}

func (d *desktop) takeInbox() []InboxItem {
	d.inboxMu.Lock()
	defer d.inboxMu.Unlock()
	out := d.inbox
	d.inbox = nil
	if out == nil {
		out = []InboxItem{}
	}
	return out
}

// saveWindowState remembers the window's size, position and maximised
// state in the data dir (desktop.json).
func (d *desktop) saveWindowState() {
	if d.ctx == nil {
		return
	}
	maxed := runtime.WindowIsMaximised(d.ctx)
	w, h := runtime.WindowGetSize(d.ctx)
	x, y := runtime.WindowGetPosition(d.ctx)
	err := d.state.update(func(s *desktopSettings) {
		if maxed && s.Window != nil {
			s.Window.Maximised = true // keep the size to return to
			return
		}
		if w < 200 || h < 150 {
			return
		}
		s.Window = &WindowState{Width: w, Height: h, X: x, Y: y, Maximised: maxed}
	})
	if err != nil {
		d.a.log.Warn("save window state", "err", err)
		return
	}
	d.a.log.Info("window state saved", "width", w, "height", h, "x", x, "y", y, "maximised", maxed)
}

// restorePosition puts the window where it was (size and maximised state
// are window options).
func (d *desktop) restorePosition() {
	w := d.state.get().Window
	if w == nil || w.Maximised {
		return
	}
	runtime.WindowSetPosition(d.ctx, w.X, w.Y)
	d.a.log.Info("window placed", "width", w.Width, "height", w.Height, "x", w.X, "y", w.Y)
}
