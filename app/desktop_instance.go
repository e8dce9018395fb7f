package app

// One desktop instance per data dir. The first window to open a data dir
// takes an exclusive lock on <data-dir>/desktop.lock (released by the OS
// when the process ends, also after a crash) and opens a small control
// channel on a loopback port, written to <data-dir>/desktop-instance.json
// with its process id. A second launch on the same data dir finds the
// lock taken, sends its arguments over that channel (bringing the running
// window to the front) and exits; `fusebox quit` asks the running
// instance to stop the same way. Every request carries the data dir's
// admin token (<data-dir>/admin.token, readable only by its owner).
//
// The lock is keyed on the data dir itself (its lock file), so two data
// dirs run side by side and two spellings of one path are one instance.
// This file has no build tag: the CLI's `fusebox quit` uses the client
// side in either binary, and the tests run without the window.

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	instanceLockFile = "desktop.lock"
	instanceFile     = "desktop-instance.json"
)

// ErrInstanceRunning says another desktop window holds the data dir.
var ErrInstanceRunning = errors.New("a Fusebox window is already running for this data dir")

// ErrNoInstance says no desktop window runs for the data dir.
var ErrNoInstance = errors.New("no Fusebox window is running for this data dir")

// Activation is what a second launch passes to the running window: files
// to import (absolute paths) and a console route to open.
type Activation struct {
	Files []string `json:"files,omitempty"`
	Open  string   `json:"open,omitempty"`
}

// instanceInfo is <data-dir>/desktop-instance.json.
type instanceInfo struct {
	PID int `json:"pid"`
	// Addr is the control channel's loopback address.
	Addr string `json:"addr"`
	// URL is the server's address (what host apps reach).
	URL string `json:"url"`
}

// InstanceLock is the held lock of a data dir's desktop instance.
type InstanceLock struct {
	dir  string
	file *os.File
}

// ClaimInstance takes the data dir's desktop lock, or returns
// ErrInstanceRunning when another process holds it.
func ClaimInstance(dir string) (*InstanceLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, instanceLockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the desktop lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	if !held {
		f.Close()
		return nil, ErrInstanceRunning
	}
	return &InstanceLock{dir: dir, file: f}, nil
}

// Release removes the instance file and lets the lock go.
func (l *InstanceLock) Release() {
	if l == nil || l.file == nil {
		return
	}
	os.Remove(filepath.Join(l.dir, instanceFile))
	l.file.Close() // closing the descriptor releases the lock
	l.file = nil
}

// InstanceHandler is what the running window does on the control channel.
type InstanceHandler struct {
	// Activate shows the window in front and handles the arguments.
	Activate func(Activation)
	// Quit stops the app (as the Quit menu item, without asking).
	Quit func()
}

// instanceChannel serves the control channel on a loopback port.
type instanceChannel struct {
	srv  *http.Server
	addr string
}

// openInstanceChannel listens on a loopback port, serves h there with
// token as the bearer token, and writes the instance file.
func (l *InstanceLock) openInstanceChannel(token, serverURL string, h InstanceHandler, log *slog.Logger) (*instanceChannel, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("desktop control channel: %w", err)
	}
	c := &instanceChannel{addr: ln.Addr().String()}
	c.srv = &http.Server{Handler: instanceMux(token, h, log), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := c.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("desktop control channel", "err", err)
		}
	}()
	info, _ := json.Marshal(instanceInfo{PID: os.Getpid(), Addr: c.addr, URL: serverURL})
	if err := writeFileAtomic(filepath.Join(l.dir, instanceFile), info); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *instanceChannel) close() {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.srv.Shutdown(ctx)
}

// instanceMux is the control channel's handler: POST /activate with an
// Activation, POST /quit.
func instanceMux(token string, h InstanceHandler, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /activate", func(w http.ResponseWriter, r *http.Request) {
		var act Activation
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&act); err != nil {
			http.Error(w, "bad activation body: "+err.Error(), http.StatusBadRequest)
			return
		}
		log.Info("second launch", "files", len(act.Files), "open", act.Open)
		h.Activate(act)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /quit", func(w http.ResponseWriter, r *http.Request) {
		log.Info("quit requested", "from", "fusebox quit")
		w.WriteHeader(http.StatusAccepted)
		// Answer first: quitting stops this channel.
		go h.Quit()
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			http.Error(w, "the admin token of the data dir is required", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// ActivateInstance passes act to the window running for dir, which comes
// to the front. A window still starting (lock held, no instance file yet)
// is waited for until ctx ends.
func ActivateInstance(ctx context.Context, dir string, act Activation) (pid int, err error) {
	body, _ := json.Marshal(act)
	return callInstance(ctx, dir, "/activate", body, true)
}

// QuitInstance asks the window running for dir to stop, and waits until
// its process let the data dir's lock go (or ctx ends).
func QuitInstance(ctx context.Context, dir string) (pid int, err error) {
	pid, err = callInstance(ctx, dir, "/quit", nil, false)
	if err != nil {
		return pid, err
	}
	for {
		l, err := ClaimInstance(dir)
		if err == nil {
			l.file.Close() // only probing: the instance file is gone with the old process
			return pid, nil
		}
		if !errors.Is(err, ErrInstanceRunning) {
			return pid, err
		}
		select {
		case <-ctx.Done():
			return pid, fmt.Errorf("process %d was asked to quit but still holds %s: %w", pid, dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// callInstance posts to the running instance's control channel. With
// wait, a missing instance file while the lock is held is retried (the
// window is starting); else it is ErrNoInstance.
func callInstance(ctx context.Context, dir, path string, body []byte, wait bool) (int, error) {
	token, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		return 0, fmt.Errorf("read the admin token of %s: %w", dir, err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		info, err := readInstanceInfo(dir)
		if err == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+info.Addr+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err == nil {
				msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					return info.PID, fmt.Errorf("the running window (process %d) answered %s: %s", info.PID, resp.Status, strings.TrimSpace(string(msg)))
				}
				return info.PID, nil
			}
			if !wait {
				return info.PID, fmt.Errorf("reach the running window (process %d) at %s: %w", info.PID, info.Addr, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		// No instance file, or its channel does not answer: is a window
		// still holding the lock?
		if l, lerr := ClaimInstance(dir); lerr == nil {
			l.Release()
			return 0, ErrNoInstance
		}
		if !wait {
			return 0, fmt.Errorf("%w (the lock %s is held, but %s is missing)", ErrNoInstance, filepath.Join(dir, instanceLockFile), instanceFile)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the Fusebox window holding %s did not answer: %w", dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readInstanceInfo(dir string) (instanceInfo, error) {
	var info instanceInfo
	b, err := os.ReadFile(filepath.Join(dir, instanceFile))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil || info.Addr == "" {
		return info, fmt.Errorf("%s is not a desktop instance file (%v)", filepath.Join(dir, instanceFile), err)
	}
	return info, nil
}

// writeFileAtomic writes b to path (mode 0600) through a temporary file
// in the same directory and a rename.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
