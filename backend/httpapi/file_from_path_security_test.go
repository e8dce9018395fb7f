//go:build unix

package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// file-from-path exists for the desktop window's native dialog and
// drops; through the port it lets any console login (a browser on a team
// server) read any file the server process can read, shown back as the
// import's preview rows.
func TestSecurityFileFromPathOnlyThroughTheWindow(t *testing.T) {
	s, _ := newImporterServer(t, true)
	h := s.PortHandler()
	admin := client{t, h, adminToken}
	if code, body := admin.do("PUT", "/api/admin/importers/contacts", "application/json", strings.NewReader(importerJSON)); code != http.StatusCreated {
		t.Fatalf("create importer: %d %s", code, body)
	}
	var imp struct {
		Slug string `json:"slug"`
	}
	admin.json("POST", "/api/importer/imports", map[string]any{"importer_slug": "contacts"}, http.StatusCreated, &imp)
	secret := filepath.Join(t.TempDir(), "id_rsa")
	os.WriteFile(secret, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"), 0o600)
	code, body := admin.do("POST", "/api/admin/importer/imports/"+imp.Slug+"/file-from-path", "application/json", strings.NewReader(`{"path":"`+secret+`"}`))
	if code != http.StatusForbidden {
		t.Fatalf("file-from-path through the port: want 403 (window door only), got %d %s", code, body)
	}
	// A FIFO (or any non-regular file) is refused before it is opened, so it cannot hang the request.
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	win := client{t, s.WindowHandler(), ""}
	if code, body := win.do("POST", "/api/admin/importer/imports/"+imp.Slug+"/file-from-path", "application/json", strings.NewReader(`{"path":"`+fifo+`"}`)); code != 422 || !strings.Contains(body, "not a regular file") {
		t.Fatalf("file-from-path of a FIFO through the window: want 422 not a regular file, got %d %s", code, body)
	}
}
