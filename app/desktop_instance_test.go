package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// One desktop instance per data dir: a second claim fails while the
// first holds the lock, another data dir is independent, and the lock is
// free again once released.
func TestDesktopInstanceOnePerDataDir(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	first, err := ClaimInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ClaimInstance(dir); !errors.Is(err, ErrInstanceRunning) {
		t.Fatalf("second claim of %s: got %v, want ErrInstanceRunning", dir, err)
	}
	// The same dir spelt another way is the same lock.
	if _, err := ClaimInstance(filepath.Join(dir, ".", "")); !errors.Is(err, ErrInstanceRunning) {
		t.Fatalf("second claim through another spelling: got %v, want ErrInstanceRunning", err)
	}
	o, err := ClaimInstance(other)
	if err != nil {
		t.Fatalf("another data dir: %v", err)
	}
	o.Release()
	first.Release()
	again, err := ClaimInstance(dir)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again.Release()
}

// A second launch reaches the running instance over its control channel
// with the admin token: its arguments arrive; without the token the
// channel refuses; `fusebox quit` makes it quit and waits for the lock.
func TestDesktopInstanceChannel(t *testing.T) {
	dir := t.TempDir()
	token, err := EnsureAdminToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ActivateInstance(context.Background(), dir, Activation{}); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("activate with nothing running: got %v, want ErrNoInstance", err)
	}
	if _, err := QuitInstance(context.Background(), dir); !errors.Is(err, ErrNoInstance) {
		t.Fatalf("quit with nothing running: got %v, want ErrNoInstance", err)
	}

	lock, err := ClaimInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Activation, 1)
	quit := make(chan struct{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ch, err := lock.openInstanceChannel(token, "http://127.0.0.1:1", InstanceHandler{
		Activate: func(a Activation) { got <- a },
		Quit: func() {
			close(quit)
			time.Sleep(50 * time.Millisecond) // the app shutting down
			lock.Release()
		},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := Activation{Files: []string{"/tmp/a.csv"}, Open: "importers/contacts/try"}
	pid, err := ActivateInstance(ctx, dir, want)
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() {
		t.Errorf("pid %d, want %d", pid, os.Getpid())
	}
	if a := <-got; len(a.Files) != 1 || a.Files[0] != want.Files[0] || a.Open != want.Open {
		t.Errorf("activation %+v, want %+v", a, want)
	}

	info, err := readInstanceInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+info.Addr+"/quit", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("quit with Authorization %q: status %d, want 401", auth, resp.StatusCode)
		}
	}
	select {
	case <-quit:
		t.Fatal("the channel quit without the admin token")
	default:
	}

	if _, err := QuitInstance(ctx, dir); err != nil {
		t.Fatal(err)
	}
	<-quit
	if _, err := os.Stat(filepath.Join(dir, instanceFile)); !os.IsNotExist(err) {
		t.Errorf("instance file after quit: %v, want it removed", err)
	}
}

// The window's settings file: missing is empty, bad JSON is reported and
// replaced, values survive a reload.
func TestDesktopStateFile(t *testing.T) {
	dir := t.TempDir()
	st, err := loadDesktopState(dir)
	if err != nil || st.get().Window != nil || st.get().KeepRunning != nil {
		t.Fatalf("fresh state: %+v, %v", st.get(), err)
	}
	off := false
	if err := st.update(func(s *desktopSettings) {
		s.Window = &WindowState{Width: 1000, Height: 700, X: 40, Y: 30, Maximised: false}
		s.KeepRunning = &off
	}); err != nil {
		t.Fatal(err)
	}
	st2, err := loadDesktopState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if w := st2.get().Window; w == nil || *w != (WindowState{Width: 1000, Height: 700, X: 40, Y: 30}) {
		t.Errorf("window after reload: %+v", w)
	}
	if k := st2.get().KeepRunning; k == nil || *k {
		t.Errorf("keep_running after reload: %v, want false", k)
	}
	if err := os.WriteFile(filepath.Join(dir, desktopStateFile), []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	st3, err := loadDesktopState(dir)
	if err == nil || st3.get().Window != nil {
		t.Errorf("bad JSON: err %v, window %+v; want an error and defaults", err, st3.get().Window)
	}
}
