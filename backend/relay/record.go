package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Records are JSON objects. The relay reshapes them without decoding the
// values: an object is split into its fields (key + raw JSON value) in
// order, fields are moved or renamed, and the result is written back. Key
// order is kept, so what a receiver gets reads like what was imported.

type field struct {
	key string
	raw []byte
}

var errNotObject = errors.New("a record must be a JSON object")

// parseObject splits a JSON object into its fields in order. A key that
// appears twice keeps its last value (as JSON decoders do) at its first
// position.
func parseObject(b []byte) ([]field, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errNotObject
	}
	i++
	var out []field
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, fmt.Errorf("record: unexpected end of JSON")
		}
		if b[i] == '}' {
			i++
			break
		}
		if len(out) > 0 {
			if b[i] != ',' {
				return nil, fmt.Errorf("record: expected , or } at byte %d", i)
			}
			i = skipWS(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return nil, fmt.Errorf("record: expected a field name at byte %d", i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		key, err := decodeKey(b[i:end])
		if err != nil {
			return nil, err
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, fmt.Errorf("record: expected : after %q", key)
		}
		i = skipWS(b, i+1)
		vend, err := skipValue(b, i, 0)
		if err != nil {
			return nil, err
		}
		val := b[i:vend]
		i = vend
		dup := false
		for k := range out {
			if out[k].key == key {
				out[k].raw, dup = val, true
				break
			}
		}
		if !dup {
			out = append(out, field{key: key, raw: val})
		}
	}
	if skipWS(b, i) != len(b) {
		return nil, fmt.Errorf("record: data after the object")
	}
	return out, nil
}

func decodeKey(q []byte) (string, error) {
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1]), nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", fmt.Errorf("record: bad field name %s", q)
	}
	return s, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("record: unterminated string")
}

func skipValue(b []byte, i, depth int) (int, error) {
	if depth > 200 {
		return 0, fmt.Errorf("record: nested too deeply")
	}
	if i >= len(b) {
		return 0, fmt.Errorf("record: unexpected end of JSON")
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		j := skipWS(b, i+1)
		if j < len(b) && b[j] == closer {
			return j + 1, nil
		}
		for {
			var err error
			if c == '{' {
				if j >= len(b) || b[j] != '"' {
					return 0, fmt.Errorf("record: expected a field name at byte %d", j)
				}
				if j, err = skipString(b, j); err != nil {
					return 0, err
				}
				j = skipWS(b, j)
				if j >= len(b) || b[j] != ':' {
					return 0, fmt.Errorf("record: expected : at byte %d", j)
				}
				j = skipWS(b, j+1)
			}
			if j, err = skipValue(b, j, depth+1); err != nil {
				return 0, err
			}
			j = skipWS(b, j)
			if j >= len(b) {
				return 0, fmt.Errorf("record: unexpected end of JSON")
			}
			if b[j] == closer {
				return j + 1, nil
			}
			if b[j] != ',' {
				return 0, fmt.Errorf("record: expected , at byte %d", j)
			}
			j = skipWS(b, j+1)
		}
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				break
			}
			j++
		}
		if j == i {
			return 0, fmt.Errorf("record: expected a value at byte %d", i)
		}
		lit := b[i:j]
		if !json.Valid(lit) {
			return 0, fmt.Errorf("record: %q is not a JSON value", lit)
		}
		return j, nil
	}
}

// valueText is a raw JSON value as text for a query parameter or header:
// strings unquoted, null empty, anything else its JSON.
func valueText(raw []byte) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1])
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// shaper turns records into what a destination sends: params filled in,
// the session token taken out, param fields moved to query and headers,
// fields mapped into nested objects.
type shaper struct {
	params      []paramTemplate
	query       FieldMap
	headers     FieldMap
	tokenField  string
	paths       map[string][]string
	keep        bool
	passthrough bool
}

type paramTemplate struct {
	name string
	tmpl *template
}

func newShaper(d *Destination) (*shaper, error) {
	s := &shaper{query: d.QueryParamFields, headers: d.HeaderFields, tokenField: d.SessionTokenField, keep: d.KeepsUnmapped()}
	names := make([]string, 0, len(d.Params))
	for n := range d.Params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t, err := parseTemplate(d.Params[n], templateParam)
		if err != nil {
			return nil, fmt.Errorf("params.%s: %w", n, err)
		}
		s.params = append(s.params, paramTemplate{name: n, tmpl: t})
	}
	if len(d.Map) > 0 {
		s.paths = map[string][]string{}
		for f, p := range d.Map {
			s.paths[f] = strings.Split(p, ".")
		}
	}
	s.passthrough = len(s.params) == 0 && len(s.query) == 0 && len(s.headers) == 0 && s.tokenField == "" && s.paths == nil
	return s, nil
}

// shaped is one record ready to send.
type shaped struct {
	body     []byte
	query    string      // encoded query parameters from fields ("" none)
	headers  [][2]string // headers from fields
	token    string      // the session token, when the destination checks one
	hasToken bool
}

// groupKey is equal for records that may share one request.
func (r *shaped) groupKey() string {
	if len(r.headers) == 0 {
		return r.query
	}
	var b strings.Builder
	b.WriteString(r.query)
	for _, h := range r.headers {
		b.WriteByte('\n')
		b.WriteString(h[0])
		b.WriteByte(':')
		b.WriteString(h[1])
	}
	return b.String()
}

// extraQuery are param fields a sender adds per request (the seed's
// x-Osmos-Query-Param-Fields header).
func (s *shaper) shape(rec []byte, c *Context, extraQuery []string) (shaped, error) {
	if s.passthrough && len(extraQuery) == 0 {
		if i := skipWS(rec, 0); i >= len(rec) || rec[i] != '{' {
			return shaped{}, errNotObject
		}
		if !json.Valid(rec) {
			return shaped{}, fmt.Errorf("record: not valid JSON")
		}
		// Copy: the caller may reuse rec's buffer.
		return shaped{body: append([]byte(nil), rec...)}, nil
	}
	fields, err := parseObject(rec)
	if err != nil {
		return shaped{}, err
	}
	for _, p := range s.params {
		v := p.tmpl.renderParam(c)
		set := false
		for i := range fields {
			if fields[i].key == p.name {
				fields[i].raw, set = v, true
				break
			}
		}
		if !set {
			fields = append(fields, field{key: p.name, raw: v})
		}
	}
	var out shaped
	take := func(name string) ([]byte, bool) {
		for i := range fields {
			if fields[i].key == name {
				v := fields[i].raw
				fields = append(fields[:i], fields[i+1:]...)
				return v, true
			}
		}
		return nil, false
	}
	if s.tokenField != "" {
		v, ok := take(s.tokenField)
		out.hasToken = ok && string(v) != "null"
		out.token = valueText(v)
	}
	var q []string
	addQuery := func(name string, raw []byte) {
		q = append(q, url.QueryEscape(name)+"="+url.QueryEscape(valueText(raw)))
	}
	for _, e := range s.query {
		if v, ok := take(e.Field); ok {
			addQuery(e.Name, v)
		}
	}
	for _, f := range extraQuery {
		if v, ok := take(f); ok {
			addQuery(f, v)
		}
	}
	out.query = strings.Join(q, "&")
	for _, e := range s.headers {
		if v, ok := take(e.Field); ok {
			out.headers = append(out.headers, [2]string{e.Name, valueText(v)})
		}
	}
	out.body = s.write(fields)
	return out, nil
}

type node struct {
	key      string
	raw      []byte
	children []*node
	object   bool
}

func (n *node) child(key string, object bool) *node {
	for _, c := range n.children {
		if c.key == key {
			if object && !c.object {
				c.object, c.raw = true, nil // a mapped path wins over a kept field
			}
			return c
		}
	}
	c := &node{key: key, object: object}
	n.children = append(n.children, c)
	return c
}

func (s *shaper) write(fields []field) []byte {
	if s.paths == nil {
		return writeFields(make([]byte, 0, 256), fields)
	}
	root := &node{object: true}
	for _, f := range fields {
		path, mapped := s.paths[f.key]
		if !mapped {
			if !s.keep {
				continue
			}
			exists := false
			for _, c := range root.children {
				if c.key == f.key {
					exists = true
					break
				}
			}
			if !exists {
				root.children = append(root.children, &node{key: f.key, raw: f.raw})
			}
			continue
		}
		n := root
		for _, seg := range path[:len(path)-1] {
			n = n.child(seg, true)
		}
		leaf := n.child(path[len(path)-1], false)
		leaf.raw, leaf.object, leaf.children = f.raw, false, nil
	}
	return writeNode(make([]byte, 0, 256), root)
}

func writeFields(dst []byte, fields []field) []byte {
	dst = append(dst, '{')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendKey(dst, f.key)
		dst = append(dst, f.raw...)
	}
	return append(dst, '}')
}

func writeNode(dst []byte, n *node) []byte {
	dst = append(dst, '{')
	for i, c := range n.children {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendKey(dst, c.key)
		if c.object {
			dst = writeNode(dst, c)
		} else {
			dst = append(dst, c.raw...)
		}
	}
	return append(dst, '}')
}

func appendKey(dst []byte, k string) []byte {
	simple := true
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			simple = false
			break
		}
	}
	if simple {
		dst = append(dst, '"')
		dst = append(dst, k...)
		return append(dst, '"', ':')
	}
	b, _ := json.Marshal(k)
	dst = append(dst, b...)
	return append(dst, ':')
}
