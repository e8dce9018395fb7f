package marketplace

import "testing"

func TestSniffLogoReadsTheTypeFromTheBytes(t *testing.T) {
	for _, c := range []struct {
		name, data, ctype string
	}{
		{"png", "\x89PNG\r\n\x1a\n\x00\x00", "image/png"},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"},
		{"webp", "RIFF\x10\x00\x00\x00WEBPVP8L", "image/webp"},
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`, "image/svg+xml"},
		{"svg after bom, declaration, comment and doctype", "\ufeff <?xml version=\"1.0\"?>\n<!-- x -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg>", "image/svg+xml"},
		{"svg with an entity subset", `<!DOCTYPE svg [<!ENTITY x "y">]><svg/>`, ""},
		{"svgz name but other element", `<svgfoo/>`, ""},
		{"html", `<html><svg/></html>`, ""},
		{"gif", "GIF89a", ""},
		{"riff wave", "RIFF\x10\x00\x00\x00WAVEfmt ", ""},
		{"short riff", "RIFF", ""},
		{"not utf-8", "<svg>\xff", ""},
		{"unclosed comment", "<!-- <svg>", ""},
		{"empty", "", ""},
	} {
		if got, _ := SniffLogo([]byte(c.data)); got != c.ctype {
			t.Errorf("%s: %q, want %q", c.name, got, c.ctype)
		}
	}
}
