package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fusebox/backend/ingest/ingesttest"
)

// procKB reads a VmXxx field (in kB) of /proc/<pid>/status.
func procKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// TestSecurityBombsPeakRSS sends decompression and column bombs through the
// real upload API of a real `fusebox serve` and checks that each is refused
// with an error naming its limit while the server's peak RSS (VmHWM) stays
// under 300 MB. FUSEBOX_TEST_BINARY runs an already built binary instead.
func TestSecurityBombsPeakRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	const maxRSS = 300 << 10 // kB
	tmp := t.TempDir()
	bin := os.Getenv("FUSEBOX_TEST_BINARY")
	if bin == "" {
		// The binary is main at the module root.
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			t.Fatalf("go list -m: %v", err)
		}
		bin = filepath.Join(tmp, "fusebox")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = strings.TrimSpace(string(root))
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	dir := filepath.Join(tmp, "data")
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "warn")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	pid := srv.Process.Pid
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })

	// a watchdog ends the server before a bomb can exhaust the machine
	var killedAt int64
	var mu sync.Mutex
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if kb, err := procKB(pid, "VmRSS"); err == nil && kb > 1<<20 {
				mu.Lock()
				killedAt = kb
				mu.Unlock()
				srv.Process.Kill()
				return
			}
		}
	}()

	base := ""
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("serve printed no URL")
	}
	go io.Copy(io.Discard, stdout)
	out, err := exec.Command(bin, "sessions", "create", "--importer", "contacts", "--metadata", "{}", "--data-dir", dir).Output()
	if err != nil {
		t.Fatalf("sessions create: %v %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	token := strings.TrimSpace(lines[len(lines)-1])

	call := func(method, path string, body io.Reader) (int, string) {
		req, _ := http.NewRequest(method, base+path, body)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("%s %s: %v (server killed at %d kB RSS: %v)", method, path, err, killedAt, killedAt > 0)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res.StatusCode, string(b)
	}
	upload := func(name string, data []byte) (int, string) {
		code, body := call("POST", "/api/importer/imports", strings.NewReader("{}"))
		var imp struct {
			Slug string `json:"slug"`
		}
		if code != http.StatusCreated || json.Unmarshal([]byte(body), &imp) != nil {
			t.Fatalf("create import: %d %s", code, body)
		}
		return call("PUT", "/api/importer/imports/"+imp.Slug+"/file?name="+name, bytes.NewReader(data))
	}
	xlsx := func(p ingesttest.Part) []byte {
		path := filepath.Join(t.TempDir(), "bomb.xlsx")
		if err := ingesttest.WriteXLSX(path, ingesttest.Workbook(p)...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const mib = 1 << 20
	bombs := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"styles.xml of 1000 MiB", "bomb.xlsx", xlsx(ingesttest.Part{Name: ingesttest.StylesPart, Head: ingesttest.StylesHead,
			Chunk: ingesttest.Spaces(mib), Repeat: 1000, Tail: ingesttest.StylesTail}), "limit of 16 MiB per part"},
		{"sharedStrings.xml of 1000 MiB", "bomb.xlsx", xlsx(ingesttest.Part{Name: ingesttest.SharedStringsPart, Head: ingesttest.SSTHead,
			Chunk: ingesttest.Repeat("<si><t>a</t></si>", mib), Repeat: 1000, Tail: ingesttest.SSTTail}), "limit of 100 times its compressed size"},
		{"sheet of 1000 MiB", "bomb.xlsx", xlsx(ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead,
			Chunk: ingesttest.Spaces(mib), Repeat: 1000, Tail: ingesttest.SheetTail}), "limit of 100 times its compressed size"},
		{"sharedStrings.xml lying about its size", "bomb.xlsx", xlsx(ingesttest.Part{Name: ingesttest.SharedStringsPart, Head: ingesttest.SSTHead,
			Chunk: ingesttest.Repeat("<si><t>a</t></si>", mib), Repeat: 1000, Tail: ingesttest.SSTTail, DeclaredSize: 4 << 10}), "more than its declared size"},
		{"sheet row of a million cells", "bomb.xlsx", xlsx(ingesttest.Part{Name: ingesttest.SheetPart, Head: ingesttest.SheetHead + `<row r="3">`,
			Chunk: ingesttest.Repeat("<c/>", 4*mib), Repeat: 1, Tail: `</row>` + ingesttest.SheetTail}), "limit of 16384 columns"},
		{"CSV row of a million commas", "bomb.csv", []byte("Name,Email\n" + strings.Repeat(",", 1_000_000) + "\n"), "limit of 16384 columns"},
	}
	for _, b := range bombs {
		code, body := upload(b.file, b.data)
		hwm, err := procKB(pid, "VmHWM")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (%d KB upload): %d, server peak RSS %d MB so far", b.name, len(b.data)>>10, code, hwm>>10)
		if code != http.StatusRequestEntityTooLarge && code != http.StatusUnprocessableEntity || !strings.Contains(body, b.want) {
			t.Errorf("%s: %d %.300s; want 413/422 naming %q", b.name, code, body, b.want)
		}
		if hwm > maxRSS {
			t.Errorf("%s: server peak RSS %d MB, want < 300 MB", b.name, hwm>>10)
		}
	}
	// eight column bombs at once
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = upload("bomb.csv", bombs[len(bombs)-1].data)
		}()
	}
	wg.Wait()
	hwm, _ := procKB(pid, "VmHWM")
	t.Logf("8 CSV column bombs in parallel: %v, server peak RSS %d MB", codes, hwm>>10)
	if hwm > maxRSS {
		t.Errorf("server peak RSS %d MB after parallel bombs, want < 300 MB", hwm>>10)
	}
}
