package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const embeddingDoc = "../../README.md"

// docSample returns the fenced code block that follows the marker
// <!-- sample:name --> in the embedding docs.
func docSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(embeddingDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	marker := "<!-- sample:" + name + " -->"
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("%s has no %s", embeddingDoc, marker)
	}
	rest := doc[i+len(marker):]
	start := strings.Index(rest, "```")
	if start < 0 {
		t.Fatalf("no code block after %s", marker)
	}
	rest = rest[start+3:]
	nl := strings.IndexByte(rest, '\n')
	rest = rest[nl+1:]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		t.Fatalf("unterminated code block after %s", marker)
	}
	return rest[:end+1]
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("the docs samples run with %s, which is not installed: %v", name, err)
	}
	return p
}

// runShellSample runs a shell sample from the docs with the server's URL
// and the env's secret key in the environment, as the docs tell readers.
func (e *sessEnv) runShellSample(url, script string) []byte {
	e.t.Helper()
	cmd := exec.Command(needTool(e.t, "bash"), "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "FUSEBOX_URL="+url, "FUSEBOX_SECRET_KEY="+e.secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("sample failed: %v\n%s\nscript:\n%s", err, stderr.String(), script)
	}
	return out
}

func TestDocsCurlSamplesAgainstTheServer(t *testing.T) {
	needTool(t, "curl")
	e := newSessEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	out := e.runShellSample(srv.URL, docSample(t, "curl-session"))
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil || m["token"] == "" || m["expires_at"] == "" || m["id"] == "" {
		t.Fatalf("curl session sample printed %s", out)
	}
	token := m["token"]
	sess, err := e.sess.Verify(context.Background(), token)
	if err != nil || sess.ImporterSlug != "contacts" || fmt.Sprint(sess.Metadata["user_id"]) != "123" {
		t.Fatalf("token from the curl sample: %+v %v", sess, err)
	}

	// An import made in that session is found by the imports sample.
	slug := e.importAs(token, contactsCSV)
	other := e.createSession("contacts", `{"user_id":999}`)
	e.importAs(other.Token, contactsCSV)
	out = e.runShellSample(srv.URL, docSample(t, "curl-imports"))
	var page importsPage
	if err := json.Unmarshal(out, &page); err != nil {
		t.Fatalf("curl imports sample printed %s", out)
	}
	if got := slugsOf(page); len(got) != 1 || got[0] != slug || page.Pagination["total_count"] != 1.0 {
		t.Fatalf("curl imports sample found %v, want [%s]: %s", got, slug, out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func TestDocsGoSampleAgainstTheServer(t *testing.T) {
	goTool := needTool(t, "go")
	e := newSessEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(docSample(t, "go-backend")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hostbackend\n\ngo 1.22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hostbackend")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Go sample does not build: %v\n%s", err, out)
	}
	vet := exec.Command(goTool, "vet", ".")
	vet.Dir = dir
	vet.Env = build.Env
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go vet on the Go sample: %v\n%s", err, out)
	}

	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FUSEBOX_URL="+srv.URL, "FUSEBOX_SECRET_KEY="+e.secret, "PORT="+port)
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()

	url := "http://127.0.0.1:" + port + "/api/getSessionToken"
	var res *http.Response
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err = http.Post(url, "application/json", strings.NewReader(`{"importerSlug":"contacts"}`))
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the Go sample's backend did not answer: %v\n%s", err, logs.String())
	}
	defer res.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out["token"] == "" {
		t.Fatalf("Go sample answered %d %v (%v)\n%s", res.StatusCode, out, err, logs.String())
	}
	sess, err := e.sess.Verify(context.Background(), out["token"])
	if err != nil || sess.ImporterSlug != "contacts" || fmt.Sprint(sess.Metadata["user_id"]) != "123" {
		t.Fatalf("token from the Go sample: %+v %v", sess, err)
	}

	// An unknown importer comes back as the sample's error, not a token.
	res2, err := http.Post(url, "application/json", strings.NewReader(`{"importerSlug":"nope"}`))
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusBadGateway {
		t.Fatalf("unknown importer through the Go sample: %d\n%s", res2.StatusCode, logs.String())
	}
	// The sample logs the error before answering, but its output reaches
	// us through a pipe that may lag behind the HTTP response.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), `importer "nope" not found`); {
		if time.Now().After(deadline) {
			t.Fatalf("the Go sample did not log the unknown importer:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The Express and Flask samples need packages the test machine may not
// have, so they are only parsed: `node --check` and `python3 -m py_compile`.
func TestDocsNodeAndPythonSamplesParse(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		sample, file, tool string
		args               []string
	}{
		{"node-express", "server.js", "node", []string{"--check"}},
		{"python-flask", "app.py", "python3", []string{"-m", "py_compile"}},
	} {
		path := filepath.Join(dir, tc.file)
		if err := os.WriteFile(path, []byte(docSample(t, tc.sample)), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(needTool(t, tc.tool), append(tc.args, path)...).CombinedOutput(); err != nil {
			t.Errorf("%s sample does not parse: %v\n%s", tc.sample, err, out)
		}
	}
}
