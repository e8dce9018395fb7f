package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"fusebox/backend/marketplace"
)

// a 1×1 PNG
var onePixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

var logoURLRE = regexp.MustCompile(`^/marketplace/logos/[0-9a-f]{64}\.(png|jpg|webp|svg)$`)

// uploadLogo posts raw bytes to the console's logo endpoint.
func (e *mpEnv) uploadLogo(query string, body []byte, contentType string, admin bool) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/api/admin/marketplace/logos"+query, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if admin {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("upload: not JSON (%d): %q", res.StatusCode, raw)
	}
	return res.StatusCode, out
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestMarketplaceLogoUploadStoresAndServesEachImageType(t *testing.T) {
	e := newMPEnv(t, nil)
	jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 32)...)
	webp := append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 32)...)
	svg := []byte("\ufeff<?xml version=\"1.0\"?>\n<!-- logo -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\"><rect width=\"4\" height=\"4\"/></svg>")
	for _, c := range []struct {
		name, ext, ctype string
		data             []byte
	}{
		{"logo.png", "png", "image/png", onePixelPNG},
		{"photo.jpeg", "jpg", "image/jpeg", jpeg},
		{"logo.webp", "webp", "image/webp", webp},
		{"logo.svg", "svg", "image/svg+xml", svg},
	} {
		// The type is read from the bytes, not from what the browser said.
		st, body := e.uploadLogo("?filename="+c.name, c.data, "application/octet-stream", true)
		if st != 201 {
			t.Fatalf("%s: %d %v", c.name, st, body)
		}
		u := fmt.Sprint(body["url"])
		if !logoURLRE.MatchString(u) || !strings.HasSuffix(u, "."+c.ext) || body["content_type"] != c.ctype || body["size"] != float64(len(c.data)) {
			t.Fatalf("%s: answer %v", c.name, body)
		}
		res, got := get(t, e.url+u)
		if res.StatusCode != 200 || !bytes.Equal(got, c.data) {
			t.Fatalf("%s: GET %s: %d, %d bytes", c.name, u, res.StatusCode, len(got))
		}
		if res.Header.Get("Content-Type") != c.ctype || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: headers %v", c.name, res.Header)
		}
		// The same bytes again: the same address (the name is the content's hash).
		if _, again := e.uploadLogo("", c.data, c.ctype, true); again["url"] != u {
			t.Fatalf("%s: second upload %v, first %s", c.name, again, u)
		}
		// Another extension for the same hash is no file.
		other := strings.TrimSuffix(u, c.ext) + map[string]string{"png": "svg", "jpg": "png", "webp": "png", "svg": "png"}[c.ext]
		if res, _ := get(t, e.url+other); res.StatusCode != 404 {
			t.Fatalf("%s: %s: %d", c.name, other, res.StatusCode)
		}
	}
	// Only the console uploads.
	if st, body := e.uploadLogo("", onePixelPNG, "image/png", false); st != 401 {
		t.Fatalf("upload without the admin token: %d %v", st, body)
	}
	// A listing keeps the stored logo's address, and the public catalog shows it.
	_, up := e.uploadLogo("", onePixelPNG, "image/png", true)
	listing := map[string]any{"id": "logo-test", "name": "Logo test", "logo": up["url"], "workflow": []any{map[string]any{"kind": "notify", "message": "ok"}}}
	if st, body, _ := e.do("PUT", "/api/admin/marketplace/listings/logo-test", "", listing); st != 200 || body["logo"] != up["url"] {
		t.Fatalf("save listing: %d %v", st, body)
	}
	if st, body, _ := e.do("GET", "/api/marketplace/listings/logo-test", "", nil); st != 200 || !strings.Contains(fmt.Sprint(body), fmt.Sprint(up["url"])) {
		t.Fatalf("public listing: %d %v", st, body)
	}
}

func TestMarketplaceLogoUploadRefusesLargeFilesAndOtherTypes(t *testing.T) {
	e := newMPEnv(t, nil)
	big := append(append([]byte{}, onePixelPNG...), make([]byte, marketplace.DefaultMaxLogoBytes)...)
	st, body := e.uploadLogo("?filename=huge.png", big, "image/png", true)
	if st != 413 || !strings.Contains(errMessage(body), "huge.png is larger than 204800 bytes (200 KB)") {
		t.Fatalf("big logo: %d %v", st, body)
	}
	exact := append(append([]byte{}, onePixelPNG...), make([]byte, marketplace.DefaultMaxLogoBytes-len(onePixelPNG))...)
	if st, body := e.uploadLogo("", exact, "image/png", true); st != 201 {
		t.Fatalf("logo of exactly the limit: %d %v", st, body)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"anim.gif", []byte("GIF89a\x01\x00\x01\x00"), "anim.gif is not a PNG, JPEG, WebP or SVG image"},
		{"page.html", []byte("<html><script>alert(1)</script></html>"), "page.html is not a PNG, JPEG, WebP or SVG image"},
		{"fake.svg", []byte("<?xml version=\"1.0\"?><html/>"), "fake.svg is not a PNG, JPEG, WebP or SVG image"},
		{"riff.webp", []byte("RIFF\x00\x00\x00\x00WAVEfmt "), "riff.webp is not a PNG, JPEG, WebP or SVG image"},
		{"empty.png", nil, "empty.png is empty"},
	} {
		st, body := e.uploadLogo("?filename="+c.name, c.data, "image/png", true)
		if st != 422 || !strings.Contains(errMessage(body), c.want) {
			t.Errorf("%s: %d %v", c.name, st, body)
		}
	}
}

// TestSecurityMarketplaceSVGLogoWithScriptIsServedInert: an SVG may carry a
// script. It is stored as uploaded, but served so that nothing in it runs,
// even when the address is opened on its own: image/svg+xml, nosniff, and a
// CSP that allows no script and sandboxes the document. The marketplace only
// ever shows logos as <img>.
func TestSecurityMarketplaceSVGLogoWithScriptIsServedInert(t *testing.T) {
	e := newMPEnv(t, nil)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><script>alert(1)</script><rect width="4" height="4"/></svg>`)
	st, body := e.uploadLogo("?filename=evil.svg", svg, "image/svg+xml", true)
	if st != 201 {
		t.Fatalf("upload: %d %v", st, body)
	}
	res, got := get(t, e.url+fmt.Sprint(body["url"]))
	if res.StatusCode != 200 || !bytes.Equal(got, svg) {
		t.Fatalf("GET: %d %q", res.StatusCode, got)
	}
	h := res.Header
	csp := h.Get("Content-Security-Policy")
	if h.Get("Content-Type") != "image/svg+xml" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
		t.Fatalf("headers: %v", h)
	}
}

// TestSecurityMarketplaceLogoNamesCannotTraverse: the stored name is the
// content's hash, whatever the upload says; served names are checked
// against that one pattern, so no other file or row can be reached.
func TestSecurityMarketplaceLogoNamesCannotTraverse(t *testing.T) {
	e := newMPEnv(t, nil)
	st, body := e.uploadLogo("?filename=../../../../etc/passwd.png", onePixelPNG, "image/png", true)
	if st != 201 || !logoURLRE.MatchString(fmt.Sprint(body["url"])) {
		t.Fatalf("upload with a traversing name: %d %v", st, body)
	}
	for _, p := range []string{
		"/marketplace/logos/..%2f..%2fadmin.token",
		"/marketplace/logos/..%2Ffusebox.db",
		"/marketplace/logos/%2e%2e%2fsecrets.key",
		"/marketplace/logos/passwd.png",
		"/marketplace/logos/" + strings.Repeat("a", 64) + ".png",
		"/marketplace/logos/" + strings.Repeat("A", 64) + ".png",
		"/marketplace/logos/" + strings.TrimPrefix(fmt.Sprint(body["url"]), "/marketplace/logos/") + "%00.svg",
	} {
		res, got := get(t, e.url+p)
		if res.StatusCode == 200 || bytes.Contains(got, []byte("SQLite")) {
			t.Errorf("%s: %d %q", p, res.StatusCode, got)
		}
	}
}
