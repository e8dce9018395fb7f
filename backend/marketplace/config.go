package marketplace

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusebox/backend/errs"
)

// Plan is a monetization plan (the seed's monetizationPlan). A zero limit
// means unlimited.
type Plan struct {
	Name            string   `yaml:"name" json:"name"`
	Default         bool     `yaml:"default,omitempty" json:"default"`
	MaxIntegrations int      `yaml:"max_integrations,omitempty" json:"max_integrations"`
	MaxTransactions int      `yaml:"max_transactions,omitempty" json:"max_transactions"`
	AllowedActions  []string `yaml:"allowed_actions" json:"allowed_actions"`
	UpgradeMessage  string   `yaml:"upgrade_message,omitempty" json:"upgrade_message"`
}

// Plan actions.
const (
	ActionInstall   = "install"   // install listings
	ActionCustomize = "customize" // change prefilled or default config values
)

// Allows reports whether the plan permits action.
func (p Plan) Allows(action string) bool { return slices.Contains(p.AllowedActions, action) }

// implicitPlan applies when the workspace defines no plans at all.
var implicitPlan = Plan{Name: "default", Default: true, AllowedActions: []string{ActionInstall, ActionCustomize}}

// Listing is one integration in the catalog.
type Listing struct {
	ID           string        `yaml:"id" json:"id"`
	Name         string        `yaml:"name" json:"name"`
	Category     string        `yaml:"category,omitempty" json:"category"`
	Logo         string        `yaml:"logo,omitempty" json:"logo"`
	Summary      string        `yaml:"summary,omitempty" json:"summary"`
	Description  string        `yaml:"description,omitempty" json:"description"`
	ConnectorID  string        `yaml:"connector_id,omitempty" json:"connector_id"`
	ConfigFields []ConfigField `yaml:"config_fields,omitempty" json:"config_fields"`
	// ConnectionFields maps connection claim names of the end user's token
	// to config field names, for tokens whose claims are spelled otherwise
	// (an APIFuse token's "apikey" filling the field "api_key").
	ConnectionFields map[string]string `yaml:"connection_fields,omitempty" json:"connection_fields,omitempty"`
	Workflow         []Step            `yaml:"workflow" json:"workflow"`
}

// ConfigField is one value the install wizard asks the end user for.
type ConfigField struct {
	Name     string   `yaml:"name" json:"name"`
	Label    string   `yaml:"label,omitempty" json:"label"`
	Type     string   `yaml:"type,omitempty" json:"type"`
	Required bool     `yaml:"required,omitempty" json:"required"`
	Secret   bool     `yaml:"secret,omitempty" json:"secret"`
	Default  string   `yaml:"default,omitempty" json:"default"`
	Help     string   `yaml:"help,omitempty" json:"help"`
	Options  []string `yaml:"options,omitempty" json:"options"`
}

// Field types of ConfigField.Type.
var fieldTypes = []string{"text", "textarea", "url", "email", "number", "select", "password"}

// Step is one step of a listing's workflow. Which fields apply depends on
// Kind:
//
//	http_request  method, url, headers, body, expect_status, timeout
//	relay_route   method, url, headers, importer
//	notify        message
//
// String values may hold placeholders {{config.NAME}}, {{user.externalId}},
// {{user.email}}, {{user.firstname}}, {{user.lastname}}, {{install.id}},
// {{install.name}}, {{listing.id}} and {{fusebox.base_url}}.
type Step struct {
	Kind         string            `yaml:"kind" json:"kind"`
	Name         string            `yaml:"name,omitempty" json:"name"`
	Method       string            `yaml:"method,omitempty" json:"method,omitempty"`
	URL          string            `yaml:"url,omitempty" json:"url,omitempty"`
	Headers      map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Body         any               `yaml:"body,omitempty" json:"body,omitempty"`
	ExpectStatus []int             `yaml:"expect_status,omitempty" json:"expect_status,omitempty"`
	Timeout      string            `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Message      string            `yaml:"message,omitempty" json:"message,omitempty"`
	// Importer (relay_route) limits the route to one importer's imports.
	Importer string `yaml:"importer,omitempty" json:"importer,omitempty"`
}

// Step kinds.
const (
	StepHTTPRequest = "http_request"
	StepRelayRoute  = "relay_route"
	StepNotify      = "notify"
)

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	planNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$`)
	fieldPattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	placeholderRe   = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	methods         = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
)

// normalizePlan validates p in place; path names it in errors.
func normalizePlan(p *Plan, path string) error {
	p.Name = strings.TrimSpace(p.Name)
	if !planNamePattern.MatchString(p.Name) {
		return errs.Invalid("%s.name: %q is not a valid plan name (letters, digits, space, _ . -; at most 64)", path, p.Name)
	}
	if p.MaxIntegrations < 0 {
		return errs.Invalid("%s.max_integrations: must be 0 (unlimited) or more, not %d", path, p.MaxIntegrations)
	}
	if p.MaxTransactions < 0 {
		return errs.Invalid("%s.max_transactions: must be 0 (unlimited) or more, not %d", path, p.MaxTransactions)
	}
	if p.AllowedActions == nil {
		p.AllowedActions = []string{ActionInstall, ActionCustomize}
	}
	seen := map[string]bool{}
	for i, a := range p.AllowedActions {
		if a != ActionInstall && a != ActionCustomize {
			return errs.Invalid("%s.allowed_actions[%d]: %q is not an action (want install or customize)", path, i, a)
		}
		if seen[a] {
			return errs.Invalid("%s.allowed_actions[%d]: %q is listed twice", path, i, a)
		}
		seen[a] = true
	}
	if len(p.UpgradeMessage) > 1000 {
		return errs.Invalid("%s.upgrade_message: longer than 1000 characters", path)
	}
	return nil
}

// normalizePlans validates a whole plan list: unique names, one default.
func normalizePlans(plans []Plan, path string) error {
	names := map[string]bool{}
	defaults := 0
	for i := range plans {
		p := fmt.Sprintf("%s[%d]", path, i)
		if err := normalizePlan(&plans[i], p); err != nil {
			return err
		}
		key := strings.ToLower(plans[i].Name)
		if names[key] {
			return errs.Invalid("%s.name: plan %q appears twice", p, plans[i].Name)
		}
		names[key] = true
		if plans[i].Default {
			defaults++
		}
	}
	if len(plans) > 0 && defaults != 1 {
		return errs.Invalid("%s: exactly one plan must have default: true (found %d)", path, defaults)
	}
	return nil
}

// normalizeListing validates l in place and fills defaults (field labels
// and types, step names and methods); path names it in errors.
func normalizeListing(l *Listing, path string) error {
	l.ID = strings.TrimSpace(l.ID)
	if !idPattern.MatchString(l.ID) {
		return errs.Invalid("%s.id: %q is not a valid listing id (lowercase letters, digits, _ and -, at most 64)", path, l.ID)
	}
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" {
		return errs.Invalid("%s.name: required", path)
	}
	for name, v := range map[string]struct {
		s   string
		max int
	}{"name": {l.Name, 100}, "category": {l.Category, 60}, "summary": {l.Summary, 300}, "description": {l.Description, 20000}, "connector_id": {l.ConnectorID, 100}, "logo": {l.Logo, 20000}} {
		if len(v.s) > v.max {
			return errs.Invalid("%s.%s: longer than %d characters", path, name, v.max)
		}
	}
	if l.Logo != "" && !validLogo(l.Logo) {
		return errs.Invalid("%s.logo: want an http(s) URL, a data:image/ URL, a path starting with /, or a short text such as an emoji", path)
	}
	fields := map[string]bool{}
	for i := range l.ConfigFields {
		f := &l.ConfigFields[i]
		fp := fmt.Sprintf("%s.config_fields[%d]", path, i)
		if !fieldPattern.MatchString(f.Name) {
			return errs.Invalid("%s.name: %q is not a valid field name (letters, digits and _, not starting with a digit)", fp, f.Name)
		}
		if fields[f.Name] {
			return errs.Invalid("%s.name: field %q appears twice", fp, f.Name)
		}
		fields[f.Name] = true
		if f.Label == "" {
			f.Label = f.Name
		}
		if f.Type == "" {
			f.Type = "text"
		}
		if !slices.Contains(fieldTypes, f.Type) {
			return errs.Invalid("%s.type: %q is not a field type (want one of %s)", fp, f.Type, strings.Join(fieldTypes, ", "))
		}
		if f.Type == "password" {
			f.Secret = true
		}
		if f.Type == "select" && len(f.Options) == 0 {
			return errs.Invalid("%s.options: a select field needs at least one option", fp)
		}
		if f.Type != "select" && len(f.Options) > 0 {
			return errs.Invalid("%s.options: only select fields have options", fp)
		}
		if f.Default != "" {
			if err := checkFieldValue(*f, f.Default); err != nil {
				return errs.Invalid("%s.default: %s", fp, errs.Message(err))
			}
		}
	}
	for _, claim := range slices.Sorted(maps.Keys(l.ConnectionFields)) {
		field := l.ConnectionFields[claim]
		cp := fmt.Sprintf("%s.connection_fields.%s", path, claim)
		if claim == "" || len(claim) > 100 {
			return errs.Invalid("%s.connection_fields: a claim name must be 1 to 100 characters", path)
		}
		if claim == "connectionName" || claim == "connectorId" {
			return errs.Invalid("%s: %s names the connection, not a config value", cp, claim)
		}
		if !fields[field] {
			return errs.Invalid("%s: %q is not a config field of this listing (want one of %s)", cp, field, strings.Join(sortedKeys(fields), ", "))
		}
	}
	if len(l.Workflow) == 0 {
		return errs.Invalid("%s.workflow: at least one step is required", path)
	}
	routes := 0
	for i := range l.Workflow {
		if err := normalizeStep(&l.Workflow[i], fmt.Sprintf("%s.workflow[%d]", path, i), fields); err != nil {
			return err
		}
		if l.Workflow[i].Kind == StepRelayRoute {
			if routes++; routes > 1 {
				return errs.Invalid("%s.workflow[%d]: a workflow has at most one relay_route step", path, i)
			}
		}
	}
	return nil
}

func validLogo(s string) bool {
	switch {
	case strings.HasPrefix(s, "https://"), strings.HasPrefix(s, "http://"):
		u, err := url.Parse(s)
		return err == nil && u.Host != ""
	case strings.HasPrefix(s, "data:image/"):
		return true // shown only as <img src>, where SVG scripts do not run
	case strings.HasPrefix(s, "/"):
		return !strings.HasPrefix(s, "//")
	}
	return len([]rune(s)) <= 4 && !strings.ContainsAny(s, "<>\"'")
}

func normalizeStep(st *Step, path string, fields map[string]bool) error {
	notUsed := func(name string, set bool) error {
		if set {
			return errs.Invalid("%s.%s: not used by %s steps", path, name, st.Kind)
		}
		return nil
	}
	switch st.Kind {
	case StepHTTPRequest, StepRelayRoute:
		if st.Method == "" {
			st.Method = map[string]string{StepHTTPRequest: "GET", StepRelayRoute: "POST"}[st.Kind]
		}
		st.Method = strings.ToUpper(st.Method)
		if !slices.Contains(methods, st.Method) {
			return errs.Invalid("%s.method: %q is not one of %s", path, st.Method, strings.Join(methods, ", "))
		}
		if st.URL == "" {
			return errs.Invalid("%s.url: required for %s steps", path, st.Kind)
		}
		if !strings.HasPrefix(st.URL, "{{") {
			u, err := url.Parse(placeholderRe.ReplaceAllString(st.URL, "x"))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errs.Invalid("%s.url: %q must be an absolute http(s) URL or start with a placeholder such as {{fusebox.base_url}}", path, st.URL)
			}
		}
		for k := range st.Headers {
			if k == "" || strings.ContainsAny(k, " :\r\n") {
				return errs.Invalid("%s.headers: %q is not a valid header name", path, k)
			}
		}
		if err := notUsed("message", st.Message != ""); err != nil {
			return err
		}
		if err := notUsed("importer", st.Kind == StepHTTPRequest && st.Importer != ""); err != nil {
			return err
		}
		if st.Importer != "" && !idPattern.MatchString(st.Importer) {
			return errs.Invalid("%s.importer: %q is not an importer slug", path, st.Importer)
		}
		if st.Kind == StepRelayRoute {
			for _, c := range []struct {
				n   string
				set bool
			}{{"body", st.Body != nil}, {"expect_status", len(st.ExpectStatus) > 0}, {"timeout", st.Timeout != ""}} {
				if err := notUsed(c.n, c.set); err != nil {
					return err
				}
			}
		}
		for i, code := range st.ExpectStatus {
			if code < 100 || code > 599 {
				return errs.Invalid("%s.expect_status[%d]: %d is not an HTTP status", path, i, code)
			}
		}
		if st.Timeout != "" {
			d, err := time.ParseDuration(st.Timeout)
			if err != nil || d <= 0 || d > 2*time.Minute {
				return errs.Invalid("%s.timeout: %q is not a duration between 0 and 2m (e.g. 10s)", path, st.Timeout)
			}
		}
	case StepNotify:
		if st.Message == "" {
			return errs.Invalid("%s.message: required for notify steps", path)
		}
		for _, c := range []struct {
			n   string
			set bool
		}{{"method", st.Method != ""}, {"url", st.URL != ""}, {"importer", st.Importer != ""}, {"headers", len(st.Headers) > 0}, {"body", st.Body != nil}, {"expect_status", len(st.ExpectStatus) > 0}, {"timeout", st.Timeout != ""}} {
			if err := notUsed(c.n, c.set); err != nil {
				return err
			}
		}
	case "":
		return errs.Invalid("%s.kind: required (http_request, relay_route or notify)", path)
	default:
		return errs.Invalid("%s.kind: %q is not a step kind (want http_request, relay_route or notify)", path, st.Kind)
	}
	if st.Name == "" {
		st.Name = map[string]string{StepHTTPRequest: "HTTP request", StepRelayRoute: "Create relay route", StepNotify: "Notify"}[st.Kind]
	}
	for _, s := range stepStrings(st) {
		if err := checkPlaceholders(s, fields); err != nil {
			return errs.Invalid("%s: %s", path, errs.Message(err))
		}
	}
	return nil
}

// stepStrings are every templated string of a step.
func stepStrings(st *Step) []string {
	out := []string{st.URL, st.Message}
	for _, v := range st.Headers {
		out = append(out, v)
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			out = append(out, t)
		case map[string]any:
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(st.Body)
	return out
}

var knownPlaceholders = []string{"user.externalId", "user.email", "user.firstname", "user.lastname", "install.id", "install.name", "listing.id", "fusebox.base_url"}

func checkPlaceholders(s string, fields map[string]bool) error {
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		name := m[1]
		if f, ok := strings.CutPrefix(name, "config."); ok {
			if !fields[f] {
				return errs.Invalid("placeholder {{%s}} names no config field (fields: %s)", name, strings.Join(sortedKeys(fields), ", "))
			}
			continue
		}
		if !slices.Contains(knownPlaceholders, name) {
			return errs.Invalid("unknown placeholder {{%s}} (want config.FIELD or one of %s)", name, strings.Join(knownPlaceholders, ", "))
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkFieldValue checks one value against its field's type.
func checkFieldValue(f ConfigField, v string) error {
	if len(v) > 4000 {
		return errs.Invalid("longer than 4000 characters")
	}
	switch f.Type {
	case "url":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Invalid("%q is not an http(s) URL", v)
		}
	case "email":
		at := strings.LastIndex(v, "@")
		if at < 1 || at == len(v)-1 || strings.ContainsAny(v, " <>") {
			return errs.Invalid("%q is not an email address", v)
		}
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return errs.Invalid("%q is not a number", v)
		}
	case "select":
		if !slices.Contains(f.Options, v) {
			return errs.Invalid("%q is not one of %s", v, strings.Join(f.Options, ", "))
		}
	}
	return nil
}

// normalizeOrigin validates an embed origin: scheme://host[:port], no
// path, http or https.
func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(u.Host, "*") {
		return "", errs.Invalid("%q is not an origin; want scheme://host[:port] such as http://localhost:3000", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
