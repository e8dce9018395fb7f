// Package testbin builds the real fusebox binary for tests and runs it:
// `fusebox serve` on a free port, stopped or killed with SIGKILL, and
// one-shot commands. Tests that drive the binary share it.
package testbin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Main builds the binary (with main.version set to version when not
// empty) into a temporary dir, stores its path in *bin, runs the tests
// and exits with their code. Call it from TestMain.
func Main(m *testing.M, bin *string, version string) {
	dir, err := os.MkdirTemp("", "fusebox-testbin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	path, err := Build(dir, version)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	*bin = path
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Build builds the module's main package, static (CGO_ENABLED=0), into
// dir/fusebox and returns its path.
func Build(dir, version string) (string, error) {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	bin := filepath.Join(dir, "fusebox")
	args := []string{"build"}
	if version != "" {
		args = append(args, "-ldflags", "-X main.version="+version)
	}
	build := exec.Command("go", append(args, "-o", bin, ".")...)
	build.Dir = strings.TrimSpace(string(root))
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// Buffer collects a process's output; safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Server is one running `fusebox serve`.
type Server struct {
	T      *testing.T
	Cmd    *exec.Cmd
	URL    string
	Token  string // the admin token
	Dir    string // the data dir
	Stderr *Buffer
	Exited chan struct{}
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// Start starts bin serve on a free loopback port over the data dir dir
// (demo off), with env added to the environment and args added to serve's
// flags, waits until it listens and stops it (SIGTERM) when the test ends.
func Start(t *testing.T, bin, dir string, env []string, args ...string) *Server {
	t.Helper()
	s := &Server{T: t, Dir: dir, Stderr: &Buffer{}, Exited: make(chan struct{})}
	s.Cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--no-demo"}, args...)...)
	s.Cmd.Env = append(os.Environ(), env...)
	s.Cmd.Stderr = s.Stderr
	out, err := s.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		_ = s.Cmd.Wait()
		close(s.Exited)
	}()
	select {
	case s.URL = <-urls:
	case <-s.Exited:
		t.Fatalf("fusebox serve exited before listening:\n%s", s.Stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("fusebox serve did not print its URL in 30s:\n%s", s.Stderr.String())
	}
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	s.Token = strings.TrimSpace(string(tok))
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server with SIGTERM (SIGKILL after 15s) and logs its
// stderr when the test failed.
func (s *Server) Stop() {
	select {
	case <-s.Exited:
		return
	default:
	}
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.Exited:
	case <-time.After(15 * time.Second):
		_ = s.Cmd.Process.Kill()
		<-s.Exited
	}
	if s.T.Failed() {
		s.T.Logf("server log:\n%s", s.Stderr.String())
	}
}

// Kill9 kills the server with SIGKILL: no shutdown, no flush.
func (s *Server) Kill9() {
	s.T.Helper()
	if err := s.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.T.Fatal(err)
	}
	<-s.Exited
}

// Run runs bin with args (env added to the environment, at most two
// minutes) and returns its stdout, stderr and error.
func Run(bin string, env []string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// WaitFor polls cond until it holds; the bound is generous (a wait for an
// event, not a performance assertion).
func WaitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
