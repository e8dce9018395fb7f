package relay

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Templates are the {{ ... }} placeholders of destination settings:
//
//	header values and the URL:  {{ secret "NAME" }}  (environment variable NAME, read at send time)
//	params:                     {{ user_id }} {{ user_group }} {{ file_name }} {{ import_slug }}
//	                            {{ importer }} {{ metadata.KEY }} (KEY may be a dotted path)
//
// Text outside the braces is kept as it is.

type templateKind int

const (
	templateHeader templateKind = iota // secrets only
	templateParam                      // import context variables only
)

var templateRE = regexp.MustCompile(`\{\{(.*?)\}\}`)

var secretRE = regexp.MustCompile(`^secret\s+(?:"([^"]*)"|'([^']*)')$`)

type tmplPart struct {
	lit      string
	secret   string // environment variable name
	variable string // user_id, metadata.x, ...
}

type template struct {
	parts []tmplPart
}

// parseTemplate parses s; an unknown or malformed placeholder is an error
// naming it.
func parseTemplate(s string, kind templateKind) (*template, error) {
	t := &template{}
	last := 0
	for _, m := range templateRE.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > last {
			t.parts = append(t.parts, tmplPart{lit: s[last:m[0]]})
		}
		inner := strings.TrimSpace(s[m[2]:m[3]])
		last = m[1]
		if sm := secretRE.FindStringSubmatch(inner); sm != nil {
			name := sm[1] + sm[2]
			if kind != templateHeader {
				return nil, fmt.Errorf("{{ %s }}: secrets can only be used in header values and the URL", inner)
			}
			if !envPattern.MatchString(name) {
				return nil, fmt.Errorf("{{ %s }}: %q is not an environment variable name", inner, name)
			}
			t.parts = append(t.parts, tmplPart{secret: name})
			continue
		}
		if kind == templateHeader {
			return nil, fmt.Errorf("{{ %s }}: the only placeholder here is {{ secret \"NAME\" }}", inner)
		}
		if !knownVariable(inner) {
			return nil, fmt.Errorf("{{ %s }}: unknown; use user_id, user_group, file_name, import_slug, importer or metadata.KEY", inner)
		}
		t.parts = append(t.parts, tmplPart{variable: inner})
	}
	if last < len(s) {
		rest := s[last:]
		if strings.Contains(rest, "{{") {
			return nil, fmt.Errorf("%q has an unclosed {{", s)
		}
		t.parts = append(t.parts, tmplPart{lit: rest})
	}
	return t, nil
}

func knownVariable(v string) bool {
	switch v {
	case "user_id", "user_group", "file_name", "import_slug", "importer":
		return true
	}
	if key, ok := strings.CutPrefix(v, "metadata."); ok {
		for _, seg := range strings.Split(key, ".") {
			if seg == "" {
				return false
			}
		}
		return true
	}
	return false
}

// SecretLookup finds a secret by name; ok is false when it is not set.
type SecretLookup func(name string) (value string, ok bool)

// renderSecrets fills secret placeholders. With mask, each secret shows as
// {{ secret "NAME" }} (set) / (not set) instead of its value. missing lists
// the secrets that are not set.
func (t *template) renderSecrets(lookup SecretLookup, mask bool) (out string, missing []string) {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.secret != "":
			v, ok := lookup(p.secret)
			if !ok {
				missing = append(missing, p.secret)
			}
			if mask {
				state := "set"
				if !ok {
					state = "NOT SET"
				}
				fmt.Fprintf(&b, "«secret %s: %s»", p.secret, state)
			} else {
				b.WriteString(v)
			}
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String(), missing
}

func (t *template) hasSecrets() bool {
	for _, p := range t.parts {
		if p.secret != "" {
			return true
		}
	}
	return false
}

// Context is what params are filled from: the import (or inbound
// session) that records come from.
type Context struct {
	ImportSlug string         `json:"import_slug,omitempty"`
	Importer   string         `json:"importer,omitempty"`
	UserID     string         `json:"user_id,omitempty"`
	UserGroup  string         `json:"user_group,omitempty"`
	FileName   string         `json:"file_name,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
}

// lookup returns the value of a variable; ok is false when it is absent.
func (c *Context) lookup(v string) (any, bool) {
	switch v {
	case "user_id":
		if c.UserID != "" {
			return c.UserID, true
		}
		return c.metadata("user_id")
	case "user_group":
		if c.UserGroup != "" {
			return c.UserGroup, true
		}
		return c.metadata("user_group")
	case "file_name":
		return c.FileName, c.FileName != ""
	case "import_slug":
		return c.ImportSlug, c.ImportSlug != ""
	case "importer":
		return c.Importer, c.Importer != ""
	}
	key, _ := strings.CutPrefix(v, "metadata.")
	return c.metadata(key)
}

func (c *Context) metadata(path string) (any, bool) {
	var cur any = c.Metadata
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[seg]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// renderParam returns the JSON value of a param template. A template that
// is exactly one placeholder keeps the value's JSON type (a number stays a
// number); anything else is a string. An absent variable gives null alone,
// or "" inside text.
func (t *template) renderParam(c *Context) []byte {
	if len(t.parts) == 1 && t.parts[0].variable != "" {
		v, ok := c.lookup(t.parts[0].variable)
		if !ok || v == nil {
			return []byte("null")
		}
		b, err := json.Marshal(v)
		if err != nil {
			return []byte("null")
		}
		return b
	}
	var sb strings.Builder
	for _, p := range t.parts {
		if p.variable == "" {
			sb.WriteString(p.lit)
			continue
		}
		v, ok := c.lookup(p.variable)
		if !ok || v == nil {
			continue
		}
		sb.WriteString(textOf(v))
	}
	b, _ := json.Marshal(sb.String())
	return b
}

// textOf is a value as text: strings as they are, numbers and booleans in
// their JSON form, objects and arrays as JSON.
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
