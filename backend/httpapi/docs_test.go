package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"fusebox/backend/store/storetest"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/workspace"
	"fusebox/internal/docsample"
)

// The docs whose samples are tested: the README and every page in docs/.
var docFiles = []string{"../../README.md", "../../docs/*.md"}

// docSamples returns every fenced code block that follows the marker
// <!-- sample:name --> in the README or in docs/ (a sample may be shown in
// more than one place; each copy is tested). It fails when there is none.
func docSamples(t *testing.T, name string) []docsample.Block {
	t.Helper()
	var files []string
	for _, pattern := range docFiles {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	out, err := docsample.Find(name, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no <!-- sample:%s --> in %v", name, files)
	}
	return out
}

// docSample returns the one code block marked <!-- sample:name -->.
func docSample(t *testing.T, name string) string {
	t.Helper()
	blocks := docSamples(t, name)
	if len(blocks) != 1 {
		t.Fatalf("sample %s is in %d places; this test runs one", name, len(blocks))
	}
	return blocks[0].Code
}

// needTool is the path of a program a test runs (bash, curl, node,
// python3, go). When it is missing, plain `go test` skips the test and says
// which tool it lacks; `make test` sets FUSEBOX_REQUIRE_TOOLS=1, and there
// a missing tool fails the test.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("FUSEBOX_REQUIRE_TOOLS") == "1" {
		t.Fatalf("the docs samples run with %s, which is not installed (FUSEBOX_REQUIRE_TOOLS=1: make test needs every tool): %v", name, err)
	}
	t.Skipf("skipping: the docs samples run with %s, which is not installed (make test fails here instead)", name)
	return ""
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

	var token string
	for _, sample := range docSamples(t, "curl-session") {
		out := e.runShellSample(srv.URL, sample.Code)
		var m map[string]string
		if err := json.Unmarshal(out, &m); err != nil || m["token"] == "" || m["expires_at"] == "" || m["id"] == "" {
			t.Fatalf("%s: curl session sample printed %s", sample.File, out)
		}
		token = m["token"]
		sess, err := e.sess.Verify(context.Background(), token)
		if err != nil || sess.ImporterSlug != "contacts" || fmt.Sprint(sess.Metadata["user_id"]) != "123" {
			t.Fatalf("%s: token from the curl sample: %+v %v", sample.File, sess, err)
		}
	}

	// An import made in that session is found by the imports sample.
	slug := e.importAs(token, contactsCSV)
	other := e.createSession("contacts", `{"user_id":999}`)
	e.importAs(other.Token, contactsCSV)
	out := e.runShellSample(srv.URL, docSample(t, "curl-imports"))
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

	// A body that is missing, empty, not JSON or without importerSlug gets
	// 400 and a JSON error that says what to send (a page that POSTs without
	// a body learns what is wrong).
	for _, bad := range []struct{ contentType, body string }{
		{"", ""},
		{"application/json", ""},
		{"text/plain", "contacts"},
		{"application/json", "{importerSlug: contacts}"},
		{"application/json", "{}"},
	} {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(bad.body))
		if err != nil {
			t.Fatal(err)
		}
		if bad.contentType != "" {
			req.Header.Set("Content-Type", bad.contentType)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]string
		decodeErr := json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Type") != "application/json" || decodeErr != nil ||
			got["error"] != `send {"importerSlug": "..."} as JSON` {
			t.Errorf("Go sample, body %q (%s): %d %s %v (%v), want 400 JSON {error: send {\"importerSlug\": ...} as JSON}",
				bad.body, bad.contentType, res.StatusCode, res.Header.Get("Content-Type"), got, decodeErr)
		}
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

// docsWorkspace is a workspace with every section, as the binary wires it,
// over a new database: what `fusebox apply` applies the docs' files to.
func docsWorkspace(t *testing.T) (*workspace.Workspace, *marketplace.Service) {
	t.Helper()
	dir := t.TempDir()
	db := storetest.OpenIn(t, dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imp := importer.New(db, dir, log)
	mp := marketplace.New(db, marketplace.Options{KeyFile: filepath.Join(dir, "secrets.key"), Logger: log})
	rl := relay.New(db, relay.Options{Logger: log})
	return workspace.New(db, rl.SecretsSection(), imp.Section(), rl.Section(), mp.Section()), mp
}

// docsContacts declares what the relay and marketplace samples refer to
// but do not define themselves: the contacts importer.
const docsContacts = `version: 1
importers:
  - slug: contacts
    name: Contacts
    columns:
      - {key: email, label: Email, type: email}
`

// The YAML samples of the workspace, relay and marketplace pages are
// applied as `fusebox apply` applies them: strictly, every section.
func TestDocsWorkspaceSamplesApply(t *testing.T) {
	for _, tc := range []struct {
		sample string
		file   func(code string) string
	}{
		{"workspace-file", func(code string) string { return code }},
		{"relay-destinations", func(code string) string {
			return docsContacts + "secrets: [CRM_API_KEY, CRM_WEBHOOK_SECRET]\n" + code
		}},
		{"relay-inbound", func(code string) string {
			return docsContacts + "secrets: [CRM_API_KEY, RELAY_CRM_TOKEN]\ndestinations:\n" + code
		}},
		{"marketplace-config", func(code string) string { return docsContacts + code }},
	} {
		for _, sample := range docSamples(t, tc.sample) {
			ws, _ := docsWorkspace(t)
			changes, err := ws.Apply(context.Background(), []byte(tc.file(sample.Code)), tc.sample+".yaml")
			if err != nil {
				t.Errorf("%s: sample %s does not apply: %v", sample.File, tc.sample, err)
				continue
			}
			if len(changes) == 0 {
				t.Errorf("%s: sample %s applied without a change", sample.File, tc.sample)
			}
		}
	}
}

// The Go signing sample of docs/marketplace.md, compiled with
// github.com/golang-jwt/jwt/v5 (the version go.mod names), signs a link
// that the marketplace of the docs' configuration accepts.
func TestDocsMarketplaceGoSigningSample(t *testing.T) {
	goTool := needTool(t, "go")
	ctx := context.Background()
	ws, mp := docsWorkspace(t)
	if _, err := ws.Apply(ctx, []byte(docsContacts+docSample(t, "marketplace-config")), "marketplace.yaml"); err != nil {
		t.Fatal(err)
	}
	sec, err := mp.CreateSecret(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}

	var fragment strings.Builder
	for _, line := range strings.Split(docSample(t, "marketplace-sign-go"), "\n") {
		fragment.WriteString("\t" + line + "\n")
	}
	program := `package main

import (
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func sign(now time.Time, orgID, userID, email, secretID, secret string) (string, error) {
` + fragment.String() + `	return token, err
}

func main() {
	token, err := sign(time.Now(), os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(token)
}
`
	sum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	var jwtSum strings.Builder
	for _, line := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(line, "github.com/golang-jwt/jwt/v5 ") {
			jwtSum.WriteString(line + "\n")
		}
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/golang-jwt/jwt/v5" {
			version = f[1]
		}
	}
	if version == "" || jwtSum.Len() == 0 {
		t.Fatal("go.mod and go.sum name no github.com/golang-jwt/jwt/v5")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"main.go": program,
		"go.mod":  "module signer\n\ngo 1.22\n\nrequire github.com/golang-jwt/jwt/v5 " + version + "\n",
		"go.sum":  jwtSum.String(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goTool, "run", ".", "demo-org", "user-42", "ada@example.com", sec.Secret.ID, sec.Value)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	token, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Go signing sample: %v\n%s\n%s", err, stderr.String(), program)
	}
	ver, err := mp.Verify(ctx, string(token))
	if err != nil {
		t.Fatalf("the marketplace refused the Go sample's token: %v", err)
	}
	if fmt.Sprint(ver.Claims.User.ExternalID) != "user-42" {
		t.Fatalf("verified claims: %+v", ver.Claims)
	}
}

// The marketplace's Node signing sample and its embedding page's module
// script need a browser or npm packages, so they are only parsed.
func TestDocsMarketplaceScriptsParse(t *testing.T) {
	node := needTool(t, "node")
	dir := t.TempDir()
	embed := docSample(t, "marketplace-embed")
	open := strings.Index(embed, `<script type="module">`)
	end := strings.Index(embed, "</script>")
	if open < 0 || end < open {
		t.Fatalf("the embedding sample has no module script:\n%s", embed)
	}
	for file, code := range map[string]string{
		"sign.js":   docSample(t, "marketplace-sign-node"),
		"embed.mjs": embed[open+len(`<script type="module">`) : end],
	} {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte(code), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", path).CombinedOutput(); err != nil {
			t.Errorf("the marketplace sample %s does not parse: %v\n%s", file, err, out)
		}
	}
}

// mdLink is a Markdown link's target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// headingAnchors returns the anchors GitHub makes for a Markdown file's
// headings (outside code blocks): lower case, punctuation dropped, spaces
// to hyphens, a repeated heading numbered -1, -2...
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// Every relative link in the README and docs/ names a file that exists
// and, with a #fragment into a Markdown file, one of its headings.
func TestDocsLinksResolve(t *testing.T) {
	var files []string
	for _, pattern := range docFiles {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	anchorsOf := map[string]map[string]bool{}
	anchors := func(path string) map[string]bool {
		if a, ok := anchorsOf[path]; ok {
			return a
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		anchorsOf[path] = headingAnchors(string(b))
		return anchorsOf[path]
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var prose strings.Builder
		fenced := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "```") {
				fenced = !fenced
				continue
			}
			if !fenced {
				prose.WriteString(line + "\n")
			}
		}
		for _, m := range mdLink.FindAllStringSubmatch(prose.String(), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			full := file
			if path != "" {
				full = filepath.Join(filepath.Dir(file), path)
				if _, err := os.Stat(full); err != nil {
					t.Errorf("%s: link %s: no file %s", file, target, full)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(full, ".md") && !anchors(full)[frag] {
				t.Errorf("%s: link %s: %s has no heading #%s", file, target, full, frag)
			}
		}
	}
}
