package relay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/netguard"
)

// Destination is one HTTP destination: where the records of an importer's
// submitted imports (or, with Send "status", their status events) go, and
// how each request is shaped. It is the `destinations:` item of the
// workspace file and the JSON of the console API.
type Destination struct {
	// ID names the destination (letters, digits, - and _).
	ID string `json:"id" yaml:"id"`
	// Importer is the slug of the importer whose submitted imports are
	// delivered here ("" = none: inbound-only or a marketplace route).
	Importer string `json:"importer,omitempty" yaml:"importer,omitempty"`
	// Send is "records" (default) or "status": import status events
	// {type, import_slug, importer, status, ...} instead of records.
	Send string `json:"send,omitempty" yaml:"send,omitempty"`
	// URL is absolute (http or https), or a path starting with / that is
	// resolved against this Fusebox server (e.g. /sink/demo).
	URL    string `json:"url" yaml:"url"`
	Method string `json:"method,omitempty" yaml:"method,omitempty"`
	// Headers are static headers; values may reference environment
	// secrets: `Bearer {{ secret "CRM_API_KEY" }}`, or (marketplace routes
	// only) a secret config field of the install:
	// `Bearer {{ install_secret "api_key" }}`.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// Batch: 0 = one request per record, N = arrays of up to N records,
	// "all" = the whole import as one array.
	Batch   Batch    `json:"batch" yaml:"batch"`
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// QueryParamFields and HeaderFields move record fields out of the body
	// into query parameters / headers (the seed's param fields). A list
	// keeps the field name; a map renames (field: param or header name).
	QueryParamFields FieldMap `json:"query_param_fields,omitempty" yaml:"query_param_fields,omitempty"`
	HeaderFields     FieldMap `json:"header_fields,omitempty" yaml:"header_fields,omitempty"`
	// Map reshapes flat fields into nested JSON: field -> dotted path
	// (email: contact.email). KeepUnmapped (default true) keeps the other
	// fields at the top level; false drops them.
	Map          map[string]string `json:"map,omitempty" yaml:"map,omitempty"`
	KeepUnmapped *bool             `json:"keep_unmapped,omitempty" yaml:"keep_unmapped,omitempty"`
	// SessionTokenField names the record field holding an importer session
	// token; records whose token is invalid are discarded, never sent. The
	// field is removed from what is sent.
	SessionTokenField string `json:"session_token_field,omitempty" yaml:"session_token_field,omitempty"`
	// Params are fields filled into every record before delivery: a
	// constant, or a template of {{ user_id }}, {{ user_group }},
	// {{ metadata.KEY }}, {{ file_name }}, {{ import_slug }}, {{ importer }}.
	Params map[string]string `json:"params,omitempty" yaml:"params,omitempty"`
	// SkipUnchanged leaves out the records whose operation is unchanged
	// (importers with match_on: the record source appends
	// "_operation":"unchanged" as the record's last field).
	SkipUnchanged bool `json:"skip_unchanged,omitempty" yaml:"skip_unchanged,omitempty"`
	// Retry is the delay before each retry; after the last, the delivery
	// is dead. Empty = DefaultRetry.
	Retry       []Duration `json:"retry,omitempty" yaml:"retry,omitempty"`
	RateLimit   Rate       `json:"rate_limit,omitzero" yaml:"rate_limit,omitempty"`
	Concurrency int        `json:"concurrency,omitempty" yaml:"concurrency,omitempty"`
	// SigningSecret is the NAME of an environment variable holding the
	// Standard Webhooks secret (whsec_<base64> or raw); never the secret.
	SigningSecret string `json:"signing_secret,omitempty" yaml:"signing_secret,omitempty"`
	// Inbound, when set, opens POST /relay/{route} for senders outside
	// Fusebox; records posted there are delivered by this destination.
	Inbound *Inbound `json:"inbound,omitempty" yaml:"inbound,omitempty"`
	// Guarded sends every request through the network guard, which
	// refuses loopback, link-local, private and multicast addresses
	// (except the hosts Options.AllowedHosts names). Marketplace routes
	// whose host came from an end user's value get it.
	Guarded bool `json:"guarded,omitempty" yaml:"-"`
}

// Inbound configures the inbound relay route of a destination.
type Inbound struct {
	// Route is the {route} of POST /relay/{route}.
	Route string `json:"route" yaml:"route"`
	// AllowedURLs are the base URLs a sender may pick with the
	// x-Osmos-Outbound-Url header (scheme, host and path prefix must
	// match). The destination's own URL is always allowed.
	AllowedURLs []string `json:"allowed_urls,omitempty" yaml:"allowed_urls,omitempty"`
	// Secret is the NAME of an environment variable; when set, callers
	// must send Authorization: Bearer <its value>.
	Secret string `json:"secret,omitempty" yaml:"secret,omitempty"`
	// PrivateHosts are hosts a sender's x-Osmos-Outbound-Url may reach
	// although they resolve to loopback, link-local, private or
	// multicast addresses (the guard refuses those otherwise).
	PrivateHosts []string `json:"private_hosts,omitempty" yaml:"private_hosts,omitempty"`
	// AllowBrowserOrigins are the web origins (scheme://host[:port]) whose
	// pages may post to the route from a browser. Requests from any other
	// site (an Origin header, or Sec-Fetch-Site cross-site or same-site)
	// are refused.
	AllowBrowserOrigins []string `json:"allow_browser_origins,omitempty" yaml:"allow_browser_origins,omitempty"`
	// Mode is durable (the default: answer 202 and deliver from the
	// outbox, with retries) or sync (send at once, one request per
	// inbound request, and answer the sender with the downstream status
	// and body, as the seed's relay sample server does).
	Mode string `json:"mode,omitempty" yaml:"mode,omitempty"`
}

// Inbound modes.
const (
	InboundDurable = "durable"
	InboundSync    = "sync"
)

// Sync reports whether the route answers with the downstream response.
func (in *Inbound) Sync() bool { return in != nil && in.Mode == InboundSync }

// Send kinds.
const (
	SendRecords = "records"
	SendStatus  = "status"
)

// Defaults.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 4
	MaxConcurrency     = 64
	MaxBatch           = 100_000
	maxPrivateHosts    = 100
)

// DefaultRetry is the retry schedule when a destination sets none: the
// Standard Webhooks schedule (5s, 5m, 30m, 2h, 5h, 10h, 10h) compressed,
// so a local receiver that comes back is reached within minutes.
var DefaultRetry = []Duration{
	Duration(1 * time.Second), Duration(5 * time.Second), Duration(30 * time.Second),
	Duration(2 * time.Minute), Duration(10 * time.Minute), Duration(30 * time.Minute),
}

// KeepsUnmapped reports whether unmapped fields stay in the body.
func (d *Destination) KeepsUnmapped() bool { return d.KeepUnmapped == nil || *d.KeepUnmapped }

// Schedule returns the retry schedule in effect.
func (d *Destination) Schedule() []time.Duration {
	src := d.Retry
	if len(src) == 0 {
		src = DefaultRetry
	}
	out := make([]time.Duration, len(src))
	for i, r := range src {
		out[i] = time.Duration(r)
	}
	return out
}

// EffectiveTimeout returns the request timeout in effect.
func (d *Destination) EffectiveTimeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultTimeout
	}
	return time.Duration(d.Timeout)
}

// EffectiveConcurrency returns the number of requests in flight allowed.
func (d *Destination) EffectiveConcurrency() int {
	if d.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return d.Concurrency
}

// EffectiveMethod returns the HTTP method in effect.
func (d *Destination) EffectiveMethod() string {
	if d.Method == "" {
		return http.MethodPost
	}
	return strings.ToUpper(d.Method)
}

// SendsStatus reports whether the destination receives status events.
func (d *Destination) SendsStatus() bool { return d.Send == SendStatus }

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	fieldPattern  = regexp.MustCompile(`^[^\s.{}]{1,200}$`)
	headerPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}$")
	envPattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,199}$`)
)

// Normalize fills defaults that are part of the stored shape (method
// upper case) and validates the destination fully. Errors are EINVALID and
// name the field that is wrong.
func (d *Destination) Normalize() error {
	where := "destination"
	if d.ID != "" {
		where = fmt.Sprintf("destination %q", d.ID)
	}
	bad := func(format string, args ...any) error {
		return errs.Invalid("%s: %s", where, fmt.Sprintf(format, args...))
	}
	if !idPattern.MatchString(d.ID) {
		return bad("id: required; letters, digits, '.', '-' and '_' (at most 100), starting with a letter or digit")
	}
	if d.Importer != "" && !idPattern.MatchString(d.Importer) {
		return bad("importer: %q is not an importer slug", d.Importer)
	}
	switch d.Send {
	case "", SendRecords, SendStatus:
	default:
		return bad("send: %q; want records or status", d.Send)
	}
	if err := checkURL(d.URL, true); err != nil {
		return bad("url: %v", err)
	}
	d.Method = strings.ToUpper(strings.TrimSpace(d.Method))
	switch d.Method {
	case "", http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return bad("method: %q; want POST, PUT or PATCH", d.Method)
	}
	if d.Method == "" {
		d.Method = http.MethodPost
	}
	for name, v := range d.Headers {
		if !headerPattern.MatchString(name) {
			return bad("headers: %q is not a valid header name", name)
		}
		if reservedHeader(name) {
			return bad("headers: %s is set by the relay and cannot be configured", name)
		}
		if _, err := parseTemplate(v, templateHeader); err != nil {
			return bad("headers.%s: %v", name, err)
		}
		if strings.ContainsAny(v, "\r\n") {
			return bad("headers.%s: a header value cannot contain a line break", name)
		}
	}
	if _, err := parseTemplate(d.URL, templateHeader); err != nil {
		return bad("url: %v", err)
	}
	if d.Batch < BatchAll || d.Batch > MaxBatch {
		return bad("batch: %d; want 0 (one request per record), 1 to %d, or all", d.Batch, MaxBatch)
	}
	if d.Timeout < 0 || time.Duration(d.Timeout) > 10*time.Minute {
		return bad("timeout: %s; want at most 10m", d.Timeout)
	}
	seenOut := map[string]string{}
	for _, f := range []struct {
		key string
		m   FieldMap
	}{{"query_param_fields", d.QueryParamFields}, {"header_fields", d.HeaderFields}} {
		for _, fe := range f.m {
			if !fieldPattern.MatchString(fe.Field) {
				return bad("%s: %q is not a field name", f.key, fe.Field)
			}
			if prev, ok := seenOut[fe.Field]; ok {
				return bad("%s: field %q is already used by %s", f.key, fe.Field, prev)
			}
			seenOut[fe.Field] = f.key
			if f.key == "header_fields" {
				if !headerPattern.MatchString(fe.Name) {
					return bad("header_fields: %q is not a valid header name", fe.Name)
				}
				if reservedHeader(fe.Name) {
					return bad("header_fields: %s is set by the relay", fe.Name)
				}
			} else if fe.Name == "" {
				return bad("query_param_fields: empty parameter name for %q", fe.Field)
			}
		}
	}
	if err := checkMap(d.Map); err != nil {
		return bad("map: %v", err)
	}
	for f := range d.Map {
		if prev, ok := seenOut[f]; ok {
			return bad("map: field %q is moved out of the body by %s", f, prev)
		}
	}
	if d.SessionTokenField != "" {
		if !fieldPattern.MatchString(d.SessionTokenField) {
			return bad("session_token_field: %q is not a field name", d.SessionTokenField)
		}
		if _, ok := d.Map[d.SessionTokenField]; ok {
			return bad("session_token_field: %q cannot also be mapped (the token is never forwarded)", d.SessionTokenField)
		}
		if _, ok := seenOut[d.SessionTokenField]; ok {
			return bad("session_token_field: %q cannot also be a query or header field (the token is never forwarded)", d.SessionTokenField)
		}
	}
	for name, v := range d.Params {
		if !fieldPattern.MatchString(name) {
			return bad("params: %q is not a field name", name)
		}
		if _, err := parseTemplate(v, templateParam); err != nil {
			return bad("params.%s: %v", name, err)
		}
	}
	if len(d.Retry) > 20 {
		return bad("retry: at most 20 steps, got %d", len(d.Retry))
	}
	for i, r := range d.Retry {
		if r < 0 || time.Duration(r) > 48*time.Hour {
			return bad("retry[%d]: %s; want 0 to 48h", i, r)
		}
	}
	if d.RateLimit.PerSecond < 0 {
		return bad("rate_limit: must be positive")
	}
	if d.Concurrency < 0 || d.Concurrency > MaxConcurrency {
		return bad("concurrency: %d; want 1 to %d", d.Concurrency, MaxConcurrency)
	}
	if d.SigningSecret != "" && !envPattern.MatchString(d.SigningSecret) {
		return bad("signing_secret: %q must be the NAME of an environment variable (letters, digits, _), never the secret itself", d.SigningSecret)
	}
	if d.Inbound != nil {
		in := d.Inbound
		if !idPattern.MatchString(in.Route) {
			return bad("inbound.route: required; letters, digits, '.', '-' and '_'")
		}
		for i, u := range in.AllowedURLs {
			if err := checkURL(u, false); err != nil {
				return bad("inbound.allowed_urls[%d]: %v", i, err)
			}
		}
		if in.Secret != "" && !envPattern.MatchString(in.Secret) {
			return bad("inbound.secret: %q must be the NAME of an environment variable", in.Secret)
		}
		if in.Mode != "" && in.Mode != InboundDurable && in.Mode != InboundSync {
			return bad("inbound.mode: %q; want durable (the default: answer 202, deliver from the outbox) or sync (answer with the downstream status)", in.Mode)
		}
		if len(in.AllowBrowserOrigins) > maxPrivateHosts {
			return bad("inbound.allow_browser_origins: %d origins; at most %d", len(in.AllowBrowserOrigins), maxPrivateHosts)
		}
		for i, o := range in.AllowBrowserOrigins {
			n, err := normalizeOrigin(o)
			if err != nil {
				return bad("inbound.allow_browser_origins[%d]: %v", i, err)
			}
			in.AllowBrowserOrigins[i] = n
		}
		if len(in.PrivateHosts) > maxPrivateHosts {
			return bad("inbound.private_hosts: %d hosts; at most %d", len(in.PrivateHosts), maxPrivateHosts)
		}
		for i, h := range in.PrivateHosts {
			if err := netguard.CheckHostName(h); err != nil {
				return bad("inbound.private_hosts[%d]: %v", i, err)
			}
			in.PrivateHosts[i] = netguard.NormalizeHost(h)
		}
	}
	if d.SendsStatus() {
		switch {
		case len(d.Map) > 0 || len(d.Params) > 0 || len(d.QueryParamFields) > 0 || len(d.HeaderFields) > 0 || d.SessionTokenField != "":
			return bad("send: status destinations receive status events; map, params, query_param_fields, header_fields and session_token_field apply to records only")
		case d.Inbound != nil:
			return bad("send: status destinations cannot have an inbound route")
		case d.Batch != 0:
			return bad("send: status destinations send one event per request; remove batch")
		}
	}
	return nil
}

// reservedHeader reports headers the relay sets itself.
func reservedHeader(name string) bool {
	switch strings.ToLower(name) {
	case "content-length", "host", "transfer-encoding", "connection", "webhook-id", "webhook-timestamp",
		"webhook-signature", "idempotency-key":
		return true
	}
	return false
}

// checkURL validates a destination URL: absolute http(s), or (when
// relative is true) a path on this server.
func checkURL(raw string, relative bool) error {
	if raw == "" {
		return fmt.Errorf("required")
	}
	probe := templateRE.ReplaceAllString(raw, "x")
	if relative && strings.HasPrefix(probe, "/") && !strings.HasPrefix(probe, "//") {
		if _, err := url.Parse(probe); err != nil {
			return fmt.Errorf("%q is not a valid path", raw)
		}
		return nil
	}
	u, err := url.Parse(probe)
	if err != nil || u.Host == "" {
		if relative {
			return fmt.Errorf("%q: want an absolute http(s) URL or a path on this server such as /sink/demo", raw)
		}
		return fmt.Errorf("%q: want an absolute http(s) URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q: credentials in the URL are not allowed; use a header with a secret", raw)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%q: a URL fragment is not sent; remove it", raw)
	}
	return nil
}

// checkMap validates field -> dotted path mappings: no empty segments, no
// two fields on one path, no path that is a prefix of another.
func checkMap(m map[string]string) error {
	paths := make([]string, 0, len(m))
	owner := map[string]string{}
	for f, p := range m {
		if !fieldPattern.MatchString(f) {
			return fmt.Errorf("%q is not a field name", f)
		}
		for _, seg := range strings.Split(p, ".") {
			if seg == "" || strings.ContainsAny(seg, " \t\r\n{}") {
				return fmt.Errorf("%s: %q is not a dotted path like contact.email", f, p)
			}
		}
		if o, ok := owner[p]; ok {
			a, b := o, f
			if a > b {
				a, b = b, a
			}
			return fmt.Errorf("%s and %s both map to %q", a, b, p)
		}
		owner[p] = f
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for i := 1; i < len(paths); i++ {
		if strings.HasPrefix(paths[i], paths[i-1]+".") {
			return fmt.Errorf("%q (from %s) is inside %q (from %s); a path cannot hold both a value and fields", paths[i], owner[paths[i]], paths[i-1], owner[paths[i-1]])
		}
	}
	return nil
}

// SecretNames returns the environment variables the destination reads.
func (d *Destination) SecretNames() []string {
	set := map[string]bool{}
	add := func(s string) {
		t, err := parseTemplate(s, templateHeader)
		if err != nil {
			return
		}
		for _, p := range t.parts {
			if p.secret != "" {
				set[p.secret] = true
			}
		}
	}
	add(d.URL)
	for _, v := range d.Headers {
		add(v)
	}
	if d.SigningSecret != "" {
		set[d.SigningSecret] = true
	}
	if d.Inbound != nil && d.Inbound.Secret != "" {
		set[d.Inbound.Secret] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// InstallSecretNames returns the install secrets ({{ install_secret
// "FIELD" }}) the destination reads.
func (d *Destination) InstallSecretNames() []string {
	set := map[string]bool{}
	add := func(s string) {
		t, err := parseTemplate(s, templateHeader)
		if err != nil {
			return
		}
		for _, p := range t.parts {
			if p.installSecret != "" {
				set[p.installSecret] = true
			}
		}
	}
	add(d.URL)
	for _, v := range d.Headers {
		add(v)
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ---- small value types ----

// Batch is how records are grouped into requests: 0 = one record per
// request (the body is the object), N = arrays of up to N records,
// BatchAll = one array with the whole import. Text form: "0", "N", "all".
type Batch int

// BatchAll sends the whole import as one array.
const BatchAll Batch = -1

func (b Batch) String() string {
	if b == BatchAll {
		return "all"
	}
	return strconv.Itoa(int(b))
}

// IsZero lets the YAML encoder omit batch 0 when asked.
func (b Batch) IsZero() bool { return b == 0 }

func (b Batch) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

func (b *Batch) UnmarshalText(t []byte) error {
	s := strings.TrimSpace(string(t))
	if strings.EqualFold(s, "all") {
		*b = BatchAll
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("batch: %q; want 0 (one request per record), a number of records, or all", s)
	}
	*b = Batch(n)
	return nil
}

// MarshalJSON writes a number, or "all".
func (b Batch) MarshalJSON() ([]byte, error) {
	if b == BatchAll {
		return []byte(`"all"`), nil
	}
	return []byte(strconv.Itoa(int(b))), nil
}

func (b *Batch) UnmarshalJSON(data []byte) error {
	var s string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
	} else {
		s = string(data)
	}
	if s == "null" {
		*b = 0
		return nil
	}
	return b.UnmarshalText([]byte(s))
}

// Duration is a time.Duration written as text ("10s", "1m30s").
type Duration time.Duration

// String is the shortest form: 2m rather than 2m0s.
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(t []byte) error {
	s := strings.TrimSpace(string(t))
	v, err := time.ParseDuration(s)
	if err != nil {
		if n, e := strconv.ParseFloat(s, 64); e == nil {
			*d = Duration(n * float64(time.Second))
			return nil
		}
		return fmt.Errorf("%q is not a duration such as 500ms, 10s or 2m", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] != '"' {
		return d.UnmarshalText(data) // a bare number of seconds
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	return d.UnmarshalText([]byte(s))
}

// Rate is a request rate limit: "20/s", "600/m", "1000/h", or a bare
// number of requests per second. Zero means unlimited.
type Rate struct {
	PerSecond float64
	text      string
}

func (r Rate) String() string {
	if r.PerSecond == 0 {
		return ""
	}
	if r.text != "" {
		return r.text
	}
	return strconv.FormatFloat(r.PerSecond, 'f', -1, 64) + "/s"
}

func (r Rate) IsZero() bool { return r.PerSecond == 0 }

func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *Rate) UnmarshalText(t []byte) error {
	s := strings.TrimSpace(string(t))
	if s == "" || s == "0" {
		*r = Rate{}
		return nil
	}
	num, unit, hasUnit := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("rate_limit: %q; want a rate such as 20/s, 600/m or 1000/h", s)
	}
	per := 1.0
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			per = 60
		case "h", "hour":
			per = 3600
		default:
			return fmt.Errorf("rate_limit: %q; the unit must be s, m or h", s)
		}
	}
	*r = Rate{PerSecond: n / per, text: s}
	if !hasUnit {
		r.text = strings.TrimSpace(num) + "/s"
	}
	return nil
}

func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

func (r *Rate) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] != '"' {
		if string(data) == "null" {
			*r = Rate{}
			return nil
		}
		return r.UnmarshalText(data)
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	return r.UnmarshalText([]byte(s))
}

// FieldEntry moves the record field Field out of the body under Name.
type FieldEntry struct {
	Field string
	Name  string
}

// FieldMap is an ordered list of fields moved out of the body. Written as
// a list of field names (same name outside) or a map field -> name.
type FieldMap []FieldEntry

// Fields returns the field names.
func (m FieldMap) Fields() []string {
	out := make([]string, len(m))
	for i, e := range m {
		out[i] = e.Field
	}
	return out
}

func (m FieldMap) renames() bool {
	for _, e := range m {
		if e.Field != e.Name {
			return true
		}
	}
	return false
}

func (m FieldMap) value() any {
	if !m.renames() {
		return m.Fields()
	}
	out := map[string]string{}
	for _, e := range m {
		out[e.Field] = e.Name
	}
	return out
}

func fieldMapFrom(list []string, mp map[string]string) FieldMap {
	var out FieldMap
	for _, f := range list {
		out = append(out, FieldEntry{Field: f, Name: f})
	}
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := mp[k]
		if name == "" {
			name = k
		}
		out = append(out, FieldEntry{Field: k, Name: name})
	}
	return out
}

// MarshalYAML writes a list, or a map when some field is renamed.
func (m FieldMap) MarshalYAML() (any, error) { return m.value(), nil }

// UnmarshalYAML accepts a list of field names or a field -> name map.
func (m *FieldMap) UnmarshalYAML(decode func(any) error) error {
	var list []string
	if err := decode(&list); err == nil {
		*m = fieldMapFrom(list, nil)
		return nil
	}
	var mp map[string]string
	if err := decode(&mp); err != nil {
		return fmt.Errorf("want a list of field names or a map field: name")
	}
	*m = fieldMapFrom(nil, mp)
	return nil
}

func (m FieldMap) MarshalJSON() ([]byte, error) { return json.Marshal(m.value()) }

func (m *FieldMap) UnmarshalJSON(data []byte) error {
	var list []string
	if err := json.Unmarshal(data, &list); err == nil {
		*m = fieldMapFrom(list, nil)
		return nil
	}
	var mp map[string]string
	if err := json.Unmarshal(data, &mp); err != nil {
		return fmt.Errorf("want a list of field names or an object field: name")
	}
	*m = fieldMapFrom(nil, mp)
	return nil
}

// equalDestinations compares two destinations by their JSON.
func equalDestinations(a, b *Destination) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return slices.Equal(ja, jb)
}
