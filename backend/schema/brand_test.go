package schema

import (
	"encoding/base64"
	"strings"
	"testing"
)

func dataURL(mt string, b []byte) string {
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(b)
}

func TestBrandingValidation(t *testing.T) {
	png := dataURL("image/png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	svg := dataURL("image/svg+xml", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0b7285"/></svg>`))
	ok := Branding{PrimaryColor: "#0b7285", Logo: png, Title: map[string]string{"en": "Import contacts", "de": "Kontakte importieren"},
		Texts: map[string]map[string]string{"en": {"upload.title": "Upload your contact list"}}}
	def := contactsDef()
	def.Branding = ok
	if err := def.Validate(); err != nil {
		t.Fatalf("valid branding: %v", err)
	}
	def.Branding.Logo = svg
	if err := def.Validate(); err != nil {
		t.Fatalf("plain svg: %v", err)
	}
	for _, tt := range []struct {
		name string
		b    Branding
		want string
	}{
		{"teal", Branding{PrimaryColor: "#0c8599"}, "branding.primary_color: #0c8599 has a contrast ratio of 4.35:1"},
		{"named colour", Branding{PrimaryColor: "teal"}, "#rrggbb"},
		{"gif", Branding{Logo: dataURL("image/gif", []byte("GIF89a"))}, "not a PNG, JPEG or SVG"},
		{"fake png", Branding{Logo: dataURL("image/png", []byte("<svg/>"))}, "is not a PNG file"},
		{"fake jpeg", Branding{Logo: dataURL("image/jpeg", []byte("\x89PNG\r\n\x1a\n"))}, "is not a JPEG file"},
		{"big", Branding{Logo: dataURL("image/png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, MaxLogoBytes)...))}, "at most 204800 bytes (200 KB)"},
		{"script", Branding{Logo: dataURL("image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))}, "<script>"},
		{"onload", Branding{Logo: dataURL("image/svg+xml", []byte(`<svg onload="alert(1)"/>`))}, "event handler"},
		{"external", Branding{Logo: dataURL("image/svg+xml", []byte(`<svg><image href="https://evil.example/x.png"/></svg>`))}, "another document"},
		{"foreign", Branding{Logo: dataURL("image/svg+xml", []byte(`<svg><foreignObject><div/></foreignObject></svg>`))}, "foreignObject"},
		{"entity", Branding{Logo: dataURL("image/svg+xml", []byte(`<!DOCTYPE svg [<!ENTITY x "y">]><svg/>`))}, "start with an <svg>"},
		{"language", Branding{Title: map[string]string{"xx": "Hi"}}, `unknown language "xx"`},
		{"key", Branding{Texts: map[string]map[string]string{"en": {"<b>": "x"}}}, "not a message key"},
	} {
		def := contactsDef()
		def.Branding = tt.b
		err := def.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestUnmappedColumnsSetting(t *testing.T) {
	def := contactsDef()
	def.Settings.UnmappedColumns = "keep"
	if err := def.Validate(); err != nil || !def.Settings.KeepsUnmapped() {
		t.Fatalf("keep: %v", err)
	}
	def.Settings.UnmappedColumns = "store"
	if err := def.Validate(); err == nil || !strings.Contains(err.Error(), `settings.unmapped_columns: "store" must be drop or keep`) {
		t.Fatalf("store: %v", err)
	}
}
