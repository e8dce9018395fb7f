package relay

import (
	"context"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"

	"fusebox/backend/errs"
	"fusebox/backend/netguard"
)

// Templates are the {{ ... }} placeholders of destination settings:
//
//	header values and the URL:  {{ secret "NAME" }}  (environment variable NAME, read at send time)
//	                            {{ install_secret "FIELD" }}  (secret config field FIELD of the
//	                            marketplace install that owns the route, read at send time
//	                            through InstallSecrets; marketplace routes only)
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

var (
	secretRE        = regexp.MustCompile(`^secret\s+(?:"([^"]*)"|'([^']*)')$`)
	installSecretRE = regexp.MustCompile(`^install_secret\s+(?:"([^"]*)"|'([^']*)')$`)
)

type tmplPart struct {
	lit           string
	secret        string // environment variable name
	installSecret string // secret config field of the route's marketplace install
	variable      string // user_id, metadata.x, ...
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
		if sm := installSecretRE.FindStringSubmatch(inner); sm != nil {
			name := sm[1] + sm[2]
			if kind != templateHeader {
				return nil, fmt.Errorf("{{ %s }}: install secrets can only be used in header values and the URL", inner)
			}
			if !envPattern.MatchString(name) {
				return nil, fmt.Errorf("{{ %s }}: %q is not a config field name", inner, name)
			}
			t.parts = append(t.parts, tmplPart{installSecret: name})
			continue
		}
		if kind == templateHeader {
			return nil, fmt.Errorf("{{ %s }}: the only placeholders here are {{ secret \"NAME\" }} and, in marketplace routes, {{ install_secret \"FIELD\" }}", inner)
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

// secretSource resolves the secrets of one request: environment secrets
// by name, and the install secrets of the marketplace install that owns
// the destination (installID; "" when it has none).
type secretSource struct {
	ctx       context.Context
	env       SecretLookup
	installs  InstallSecrets
	installID string
	read      map[string]string // install secrets read so far
	failed    []string          // why install secrets could not be read
}

// install returns the install secret name; ok is false (and the reason is
// kept in failed) when it cannot be read.
func (r *secretSource) install(name string) (string, bool) {
	if v, ok := r.read[name]; ok {
		return v, true
	}
	var err error
	var v string
	switch {
	case r.installID == "":
		err = errs.Invalid("the destination belongs to no marketplace install")
	case r.installs == nil:
		err = errs.Unavailable("this Fusebox has no marketplace connected to the relay")
	default:
		v, err = r.installs.InstallSecret(r.ctx, r.installID, name)
	}
	if err != nil {
		r.failed = append(r.failed, fmt.Sprintf("install secret %s of install %s could not be read: %s", name, firstNonEmpty(r.installID, "(none)"), reason(err)))
		return "", false
	}
	if r.read == nil {
		r.read = map[string]string{}
	}
	r.read[name] = v
	return v, true
}

// reason is an error's message: the domain message for errs errors, else
// the error itself (the operator reads it in the delivery's reason).
func reason(err error) string {
	if errs.Code(err) != errs.EINTERNAL {
		return errs.Message(err)
	}
	return err.Error()
}

// renderSecrets fills secret placeholders. With mask, each secret shows as
// «secret NAME: set» / «install secret FIELD: set» (or NOT SET) instead of
// its value. missing lists the environment secrets that are not set;
// install secrets that cannot be read are kept in src.failed. In a URL
// (url true), install secret values are escaped for the path, or for the
// query after "?", so an end user's value cannot change the URL.
func (t *template) renderSecrets(src *secretSource, mask, url bool) (out string, missing []string) {
	var b strings.Builder
	inQuery := false
	for _, p := range t.parts {
		switch {
		case p.secret != "":
			v, ok := src.env(p.secret)
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
		case p.installSecret != "":
			if mask && src.installID == "" {
				fmt.Fprintf(&b, "«install secret %s»", p.installSecret)
				continue
			}
			v, ok := src.install(p.installSecret)
			switch {
			case mask:
				state := "set"
				if !ok {
					state = "NOT SET"
				}
				fmt.Fprintf(&b, "«install secret %s: %s»", p.installSecret, state)
			case url && inQuery:
				b.WriteString(neturl.QueryEscape(v))
			case url && climbsPath(v):
				src.failed = append(src.failed, fmt.Sprintf("install secret %s of install %s is . or .. (or reads as one, e.g. ..; or %%2e%%2e) and cannot go in the URL's path", p.installSecret, src.installID))
			case url:
				b.WriteString(neturl.PathEscape(v))
			default:
				b.WriteString(v)
			}
		default:
			if strings.Contains(p.lit, "?") {
				inQuery = true
			}
			b.WriteString(p.lit)
		}
	}
	return b.String(), missing
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
		return c.typed("user_id", c.UserID)
	case "user_group":
		return c.typed("user_group", c.UserGroup)
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

// typed is user_id or user_group: the metadata's value, with its JSON
// type (777 stays a number), when it is the same value as text (or text is
// not set); else text.
func (c *Context) typed(key, text string) (any, bool) {
	if v, ok := c.metadata(key); ok && v != nil && (text == "" || textOf(v) == text) {
		return v, true
	}
	if text != "" {
		return text, true
	}
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

// climbsPath reports whether an end user's value, put in a URL path, holds
// a segment that is or that a receiver may read as "." or ".."
// (netguard.LenientDotSegment), as it is or after any percent-decoding
// (more than maxDecodeRounds layers count as climbing): escaping keeps
// "/" out of the path, not dots.
func climbsPath(v string) bool {
	for round := 0; ; round++ {
		for _, seg := range strings.Split(v, "/") {
			if netguard.LenientDotSegment(seg) {
				return true
			}
		}
		next, err := neturl.PathUnescape(v)
		if err != nil || next == v {
			return false
		}
		if round >= maxDecodeRounds {
			return true // encoded more times than anyone needs
		}
		v = next
	}
}
