package teamtest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fusebox/app/testbin"
	"fusebox/internal/docsample"
)

// The host name of docs/team-server.md's examples.
const docHost = "fusebox.example.com"

// docSample returns the fenced block after <!-- sample:name --> in
// docs/team-server.md.
func docSample(t *testing.T, name string) string {
	t.Helper()
	code, err := docsample.One(name, filepath.Join("..", "..", "docs", "team-server.md"))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// nginxBinary is Debian's nginx (package nginx-light, which make test
// installs). When it is missing, plain `go test` skips the test; under
// FUSEBOX_REQUIRE_TOOLS=1 (make test) it fails.
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	msg := "nginx is not installed (Debian: apt-get install nginx-light; make test installs it)"
	if os.Getenv("FUSEBOX_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + "; FUSEBOX_REQUIRE_TOOLS=1: make test needs every tool")
	}
	t.Skip("skipping: " + msg)
	return ""
}

// replace replaces old in s exactly once, failing when the sample no longer
// holds it (the test substitutes only ports and certificate paths).
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("the nginx sample holds %q %d times, want once:\n%s", old, n, s)
	}
	return strings.Replace(s, old, new, 1)
}

// selfSigned writes a certificate for host and its key into dir and
// returns their paths and a pool trusting the certificate.
func selfSigned(t *testing.T, dir, host string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// startNginx runs nginx in the foreground with the sample's server config
// (included in a minimal main config whose paths are all in a directory
// of its own), as the user nobody when the test runs as root, and stops it
// when the test ends. It returns the loopback port it listens on and a
// client that reaches https://fusebox.example.com there, trusting its
// self-signed certificate.
func startNginx(t *testing.T, sample string, upstreams []string) (int, *http.Client) {
	t.Helper()
	nginx := nginxBinary(t)
	dir, err := os.MkdirTemp("", "fusebox-nginx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	certFile, keyFile, pool := selfSigned(t, dir, docHost)
	port, err := strconv.Atoi(freePort(t))
	if err != nil {
		t.Fatal(err)
	}

	conf := sample
	conf = replaceOnce(t, conf, "server 127.0.0.1:8781;", "server "+upstreams[0]+";")
	conf = replaceOnce(t, conf, "server 127.0.0.1:8782;", "server "+upstreams[1]+";")
	conf = replaceOnce(t, conf, "listen 443 ssl;", fmt.Sprintf("listen 127.0.0.1:%d ssl;", port))
	conf = replaceOnce(t, conf, "/etc/ssl/fusebox.example.com.pem", certFile)
	conf = replaceOnce(t, conf, "/etc/ssl/fusebox.example.com.key", keyFile)
	if err := os.WriteFile(filepath.Join(dir, "fusebox.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/fusebox.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(nginx, "-e", "stderr", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	if os.Getuid() == 0 {
		// A proxy runs as an unprivileged user; so does this one.
		uid, gid := nobody(t)
		if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, uid, gid)
		}); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	logs := &testbin.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // nginx: fast shutdown
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx log:\n%s", logs.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, "nginx to listen", 30*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("nginx exited:\n%s\nconfig:\n%s", logs.String(), conf)
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	client := &http.Client{Transport: &http.Transport{
		ReadBufferSize:  64 << 10, // a read returns whatever arrived, up to a buffer of nginx's
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: docHost},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	return port, client
}

// nobody is the uid and gid of the user nobody.
func nobody(t *testing.T) (int, int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("the user nobody, to run nginx as: %v", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("user nobody: uid %q gid %q", u.Uid, u.Gid)
	}
	return uid, gid
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestDocsNginxSampleInFrontOfTwoReplicas runs docs/team-server.md's nginx
// configuration as written (only the ports and the certificate's paths
// changed) in front of two real replicas on one PostgreSQL database: a
// session is issued, a file uploaded and staged, its progress streamed as
// server-sent events, the import submitted and its records read back,
// all through nginx over HTTPS. The event stream must pass each event at
// once (proxy_buffering off), not in the proxy's 4 KiB buffers.
func TestDocsNginxSampleInFrontOfTwoReplicas(t *testing.T) {
	sample := docSample(t, "team-nginx")
	nginxBinary(t)
	c := newClusterWith(t, 2, `version: 1
importers:
  - slug: people
    name: People
    columns:
      - {key: email, label: Email, type: email, required: true}
      - {key: name, label: Name, type: string}
      - {key: n, label: N, type: integer}
`, []string{"FUSEBOX_PUBLIC_URL=https://" + docHost}, "--allowed-host", docHost)
	var upstreams []string
	for _, r := range c.replicas {
		u, err := url.Parse(r.URL)
		if err != nil {
			t.Fatal(err)
		}
		upstreams = append(upstreams, u.Host)
	}
	_, client := startNginx(t, sample, upstreams)
	const base = "https://" + docHost

	var do doFunc = func(method, path string, headers map[string]string, body string, out any) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s through nginx: %v", method, path, err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if out != nil && res.StatusCode < 300 {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, raw)
			}
		}
		return res.StatusCode, string(raw)
	}

	var health struct {
		Status string `json:"status"`
	}
	if st, body := do("GET", "/healthz", nil, "", &health); st != 200 {
		t.Fatalf("healthz through nginx: HTTP %d %s", st, body)
	}
	var key struct {
		Secret string `json:"secret"`
	}
	if st, body := do("POST", "/api/admin/keys", bearer(c.token), `{"name":"backend","kind":"secret"}`, &key); st != 201 || key.Secret == "" {
		t.Fatalf("create a secret key through nginx: HTTP %d %s", st, body)
	}
	var sess struct {
		Token string `json:"token"`
	}
	if st, body := do("POST", "/api/v1/importer/sessions", bearer(key.Secret), `{"importer_slug":"people","metadata":{"user_id":"u1"}}`, &sess); st != 201 || sess.Token == "" {
		t.Fatalf("issue a session through nginx: HTTP %d %s", st, body)
	}
	user := bearer(sess.Token)
	// The staging's progress as server-sent events through nginx. A proxy
	// that passes the stream at once hands the client the first event
	// alone (a few when this process is slow to read); one that buffers
	// hands it a full buffer of events (4 KiB) or, for a short stream, all
	// of it at the end. When the first read already holds the last event
	// (the staging ended before this process read), the run cannot tell
	// and is made again with twice the rows.
	var path string
	var rows int
	for attempt, n := 0, 60000; ; attempt, n = attempt+1, n*2 {
		if attempt == 3 {
			t.Fatalf("in 3 imports of up to %d rows the first read of the event stream through nginx held the whole stream: nginx buffers it, or staging is too fast to tell", rows)
		}
		path, rows = importThroughNginx(t, do, user, n), n
		first, rest := followThroughNginx(t, client, base+path+"/events", sess.Token)
		var last struct {
			Done  bool   `json:"done"`
			Error string `json:"error"`
			Rows  int    `json:"rows"`
		}
		sc := bufio.NewScanner(strings.NewReader(first + rest))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		events := 0
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events++
				if err := json.Unmarshal([]byte(d), &last); err != nil {
					t.Fatalf("event %d: %v: %s", events, err, d)
				}
			}
		}
		if !last.Done || last.Error != "" || last.Rows != rows {
			t.Fatalf("the stream's last event (of %d): %+v, want done with %d rows", events, last, rows)
		}
		if strings.Contains(first, `"done":true`) {
			t.Logf("import of %d rows: the first read held the whole stream (%d events, %d bytes); again with more rows", rows, events, len(first))
			continue
		}
		if len(first) >= 2048 {
			t.Fatalf("the first read of the event stream through nginx holds %d bytes (%d events in all), want the first event alone while staging runs: nginx buffers the stream\n%s",
				len(first), events, first)
		}
		break
	}

	if st, body := do("POST", path+"/submit", user, "", nil); st != 202 {
		t.Fatalf("submit through nginx: HTTP %d %s", st, body)
	}
	waitFor(t, "the import to complete", 120*time.Second, func() bool {
		var v struct {
			Status        string `json:"status"`
			FailureReason string `json:"failure_reason"`
		}
		do("GET", path, user, "", &v)
		if v.Status == "failed" {
			t.Fatalf("import failed: %s", v.FailureReason)
		}
		return v.Status == "completed"
	})
	var recs struct {
		Total int `json:"total"`
	}
	if st, body := do("GET", path+"/records?per_page=1", user, "", &recs); st != 200 || recs.Total != rows {
		t.Fatalf("records through nginx: HTTP %d total %d, want %d: %.300s", st, recs.Total, rows, body)
	}
}

// doFunc sends one request through nginx (see the test).
type doFunc func(method, path string, headers map[string]string, body string, out any) (int, string)

// importThroughNginx creates an import in the session of user, uploads a
// file of rows valid rows, confirms the mapping (staging starts) and
// returns the import's path.
func importThroughNginx(t *testing.T, do doFunc, user map[string]string, rows int) string {
	t.Helper()
	var imp struct {
		Slug string `json:"slug"`
	}
	if st, body := do("POST", "/api/importer/imports", user, "", &imp); st != 201 || imp.Slug == "" {
		t.Fatalf("create an import through nginx: HTTP %d %s", st, body)
	}
	path := "/api/importer/imports/" + imp.Slug
	var csv strings.Builder
	csv.WriteString("Email,Name,N\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&csv, "p%d@example.com,Person %d,%d\n", i, i, i)
	}
	if st, body := do("PUT", path+"/file?name=people.csv", user, csv.String(), nil); st != 200 || !strings.Contains(body, `"headers":["Email","Name","N"]`) {
		t.Fatalf("upload through nginx: HTTP %d %.300s", st, body)
	}
	if st, body := do("PUT", path+"/mapping", user, `{"columns":[{"index":0,"key":"email"},{"index":1,"key":"name"},{"index":2,"key":"n"}]}`, nil); st != 202 {
		t.Fatalf("mapping through nginx: HTTP %d %s", st, body)
	}
	return path
}

// followThroughNginx reads the event stream at url: what the first read
// of its body returned, and the rest.
func followThroughNginx(t *testing.T, client *http.Client, url, token string) (first, rest string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("events through nginx: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events through nginx: HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	buf := make([]byte, 64<<10)
	n, err := res.Body.Read(buf)
	if n == 0 {
		t.Fatalf("events through nginx: nothing read: %v", err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the event stream through nginx: %v", err)
	}
	return string(buf[:n]), string(b)
}
