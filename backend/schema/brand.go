package schema

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Branding is how an importer looks to the end user: a logo, a primary
// colour, and per-language title and text overrides of the embed's
// messages. The host page's setCustomStyles still wins over it.
type Branding struct {
	// PrimaryColor is "#rrggbb"; it must reach MinContrast with white.
	PrimaryColor string `json:"primary_color,omitempty" yaml:"primary_color,omitempty"`
	// Logo is a data: URL of a PNG, JPEG or SVG image of at most
	// MaxLogoBytes (the console uploads it; SVGs with scripts, event
	// handlers, foreign objects or external references are refused).
	Logo string `json:"logo,omitempty" yaml:"logo,omitempty"`
	// Title replaces the importer's name in the embed's header, per
	// language ("en", "de", "fr", "es", "it"; "*" for every language).
	Title map[string]string `json:"title,omitempty" yaml:"title,omitempty"`
	// Texts replace the embed's messages, per language and message key
	// (e.g. texts: {en: {upload.title: "Upload your contact list"}}).
	Texts map[string]map[string]string `json:"texts,omitempty" yaml:"texts,omitempty"`
}

// IsZero reports whether nothing is branded (for omitzero).
func (b Branding) IsZero() bool {
	return b.PrimaryColor == "" && b.Logo == "" && len(b.Title) == 0 && len(b.Texts) == 0
}

// MaxLogoBytes caps a logo image (decoded).
const MaxLogoBytes = 200 * 1024

// BrandLanguages are the languages titles and texts may be given in ("*"
// is every language).
var BrandLanguages = []string{"*", "en", "de", "fr", "es", "it"}

var textKeyRE = regexp.MustCompile(`^[a-z][a-zA-Z]*(\.[a-zA-Z]+){1,3}$`)

func (c *compiler) branding(b Branding) {
	if b.PrimaryColor != "" {
		if err := CheckPrimaryColor(b.PrimaryColor); err != nil {
			c.fail("", "branding.primary_color", "%v", err)
		}
	}
	if b.Logo != "" {
		if _, _, err := DecodeLogo(b.Logo); err != nil {
			c.fail("", "branding.logo", "%v", err)
		}
	}
	for _, lang := range sortedKeys(b.Title) {
		if !brandLanguage(lang) {
			c.fail("", "branding.title", "unknown language %q (use %s)", lang, strings.Join(BrandLanguages, ", "))
		}
		if n := len([]rune(b.Title[lang])); n > 80 {
			c.fail("", "branding.title."+lang, "at most 80 characters (got %d)", n)
		}
	}
	for _, lang := range sortedKeys(b.Texts) {
		if !brandLanguage(lang) {
			c.fail("", "branding.texts", "unknown language %q (use %s)", lang, strings.Join(BrandLanguages, ", "))
		}
		for _, key := range sortedKeys(b.Texts[lang]) {
			if !textKeyRE.MatchString(key) {
				c.fail("", "branding.texts."+lang, "%q is not a message key (such as upload.title)", key)
			}
			if n := len([]rune(b.Texts[lang][key])); n > 500 {
				c.fail("", "branding.texts."+lang+"."+key, "at most 500 characters (got %d)", n)
			}
		}
	}
}

func brandLanguage(l string) bool {
	for _, x := range BrandLanguages {
		if x == l {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var logoPrefixRE = regexp.MustCompile(`^data:(image/(?:png|jpeg|svg\+xml));base64,`)

// DecodeLogo checks a logo data: URL and returns its media type and bytes:
// PNG, JPEG (by their signatures) or SVG (well-formed enough to find the
// <svg> root, with no scripts, event handlers, foreign objects, external
// references or entity declarations), at most MaxLogoBytes.
func DecodeLogo(u string) (mediaType string, data []byte, err error) {
	m := logoPrefixRE.FindStringSubmatch(u)
	if m == nil {
		head := u
		if len(head) > 40 {
			head = head[:40] + "…"
		}
		return "", nil, fmt.Errorf("%q is not a PNG, JPEG or SVG image as a base64 data: URL", head)
	}
	mediaType = m[1]
	raw := u[len(m[0]):]
	if n := base64.StdEncoding.DecodedLen(len(raw)); n > MaxLogoBytes+3 {
		return "", nil, fmt.Errorf("the logo is about %d bytes; at most %d bytes (200 KB)", n, MaxLogoBytes)
	}
	data, err = base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return "", nil, fmt.Errorf("the logo's base64 is damaged: %v", err)
	}
	if len(data) > MaxLogoBytes {
		return "", nil, fmt.Errorf("the logo is %d bytes; at most %d bytes (200 KB)", len(data), MaxLogoBytes)
	}
	switch mediaType {
	case "image/png":
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			return "", nil, fmt.Errorf("the logo says image/png but is not a PNG file")
		}
	case "image/jpeg":
		if !bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) {
			return "", nil, fmt.Errorf("the logo says image/jpeg but is not a JPEG file")
		}
	case "image/svg+xml":
		if err := checkSVG(data); err != nil {
			return "", nil, err
		}
	}
	return mediaType, data, nil
}

var (
	svgRootRE   = regexp.MustCompile(`(?is)^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<svg[\s>]`)
	svgUnsafeRE = []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(`(?i)<\s*script`), "a <script> element"},
		{regexp.MustCompile(`(?i)<\s*foreignObject`), "a <foreignObject> element"},
		{regexp.MustCompile(`(?i)<!ENTITY|<!DOCTYPE`), "a DOCTYPE or entity declaration"},
		{regexp.MustCompile(`(?i)[\s"'/]on[a-z]+\s*=`), "an event handler attribute (on…=)"},
		{regexp.MustCompile(`(?i)javascript:`), "a javascript: URL"},
		{regexp.MustCompile(`(?i)(?:xlink:)?href\s*=\s*["']\s*(?:[a-z][a-z0-9+.-]*:|//)`), "a reference to another document"},
		{regexp.MustCompile(`(?i)url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)`), "a reference to another document"},
		{regexp.MustCompile(`(?i)@import`), "a style @import"},
	}
)

func checkSVG(data []byte) error {
	if !svgRootRE.Match(data) {
		return fmt.Errorf("the logo says image/svg+xml but does not start with an <svg> element")
	}
	for _, u := range svgUnsafeRE {
		if u.re.Match(data) {
			return fmt.Errorf("the SVG logo was refused: it contains %s; export it as a plain SVG or a PNG", u.what)
		}
	}
	return nil
}
