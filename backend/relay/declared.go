package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// Declared secrets. A destination reads environment variables by name
// ({{ secret "NAME" }} in its URL and headers, signing_secret,
// inbound.secret), but only names the workspace declares in its top-level
// `secrets:` list: never HOME, PATH or a cloud credential that happens to
// be in the process environment. Applying a file checks every name against
// the list, the console API refuses undeclared names, and the send-time
// lookup refuses them again.

// declaredKey is the settings row holding the declared names (a JSON
// array, sorted).
const declaredKey = "relay.secrets"

// declaredTimeout bounds the settings read behind the send-time lookup,
// which has no request context of its own.
const declaredTimeout = 5 * time.Second

// DeclaredSecrets returns the names the workspace declares, sorted.
func (s *Service) DeclaredSecrets(ctx context.Context) ([]string, error) {
	v, ok, err := s.db.Setting(ctx, declaredKey)
	if err != nil {
		return nil, fmt.Errorf("read declared secrets: %w", err)
	}
	names := []string{}
	if !ok || v == "" {
		return names, nil
	}
	if err := json.Unmarshal([]byte(v), &names); err != nil {
		return nil, fmt.Errorf("decode declared secrets: %w", err)
	}
	return names, nil
}

// SetDeclaredSecrets replaces the declared names (the workspace file's
// `secrets:` list does this on apply).
func (s *Service) SetDeclaredSecrets(ctx context.Context, names []string) error {
	clean, err := checkDeclared(names)
	if err != nil {
		return errs.Invalid("secrets: %v", err)
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := setDeclaredTx(ctx, tx, clean); err != nil {
			return err
		}
		tx.AfterCommit(s.forgetDeclared)
		return nil
	})
}

func setDeclaredTx(ctx context.Context, tx *store.Tx, names []string) error {
	b, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("encode declared secrets: %w", err)
	}
	return store.SetSetting(ctx, tx, declaredKey, string(b))
}

// checkDeclared validates and sorts a list of declared names.
func checkDeclared(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		if !envPattern.MatchString(n) {
			return nil, fmt.Errorf("[%d]: %q is not an environment variable name (letters, digits, _)", i, n)
		}
		if seen[n] {
			return nil, fmt.Errorf("[%d]: %s is listed twice", i, n)
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// isDeclared reports whether name is declared; the list is cached for
// cacheTTL so that the send path does not read it for every header. A
// failed read declares nothing (the lookup fails closed).
func (s *Service) isDeclared(name string) bool {
	s.declMu.Lock()
	defer s.declMu.Unlock()
	if s.declAt.IsZero() || time.Since(s.declAt) > cacheTTL {
		ctx, cancel := context.WithTimeout(context.Background(), declaredTimeout)
		names, err := s.DeclaredSecrets(ctx)
		cancel()
		if err != nil {
			s.log.Error("relay: read declared secrets; refusing every secret until it can be read", "err", err)
			names = nil
		}
		s.decl = map[string]bool{}
		for _, n := range names {
			s.decl[n] = true
		}
		s.declAt = time.Now()
	}
	return s.decl[name]
}

func (s *Service) forgetDeclared() {
	s.declMu.Lock()
	s.declAt = time.Time{}
	s.declMu.Unlock()
}

// declaredLookup wraps the environment lookup so that an undeclared name
// reads as not set, whatever the environment holds.
func (s *Service) declaredLookup(env SecretLookup) SecretLookup {
	return func(name string) (string, bool) {
		if !s.isDeclared(name) {
			return "", false
		}
		return env(name)
	}
}

// secretRef is one environment secret a destination reads, with the path
// of the value that names it (e.g. ["headers", "Authorization"]).
type secretRef struct {
	name string
	path []any
}

// secretRefs lists the environment secrets d reads, in a stable order.
func (d *Destination) secretRefs() []secretRef {
	var refs []secretRef
	add := func(v string, path ...any) {
		t, err := parseTemplate(v, templateHeader)
		if err != nil {
			return
		}
		for _, p := range t.parts {
			if p.secret != "" {
				refs = append(refs, secretRef{name: p.secret, path: path})
			}
		}
	}
	add(d.URL, "url")
	hs := make([]string, 0, len(d.Headers))
	for h := range d.Headers {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	for _, h := range hs {
		add(d.Headers[h], "headers", h)
	}
	if d.SigningSecret != "" {
		refs = append(refs, secretRef{name: d.SigningSecret, path: []any{"signing_secret"}})
	}
	if d.Inbound != nil && d.Inbound.Secret != "" {
		refs = append(refs, secretRef{name: d.Inbound.Secret, path: []any{"inbound", "secret"}})
	}
	return refs
}

// undeclaredMessage says that name, read at where, is not declared.
func undeclaredMessage(where, name string) string {
	return fmt.Sprintf("%s reads the environment variable %s, which the workspace does not declare; add it to the top-level secrets: list of the workspace file (only declared names are ever read)", where, name)
}

// checkDeclaredRefs refuses a destination that reads an undeclared name.
func (s *Service) checkDeclaredRefs(ctx context.Context, d *Destination) error {
	refs := d.secretRefs()
	if len(refs) == 0 {
		return nil
	}
	names, err := s.DeclaredSecrets(ctx)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if !slices.Contains(names, r.name) {
			return errs.Invalid("destination %q: %s", d.ID, undeclaredMessage(pathText(r.path), r.name))
		}
	}
	return nil
}

// pathText writes a path as the workspace file spells it: headers.X-Key.
func pathText(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch v := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// SecretsSection is the `secrets:` section of the workspace file: the
// environment variable names destinations may read. Applying it replaces
// the declared list.
type SecretsSection struct{ s *Service }

// SecretsSection returns the workspace section declaring secrets.
func (s *Service) SecretsSection() SecretsSection { return SecretsSection{s: s} }

func (SecretsSection) Key() string { return "secrets" }

// Load decodes and validates the list without writing anything.
func (sec SecretsSection) Load(decode func(v any) error) (func(ctx context.Context) ([]string, error), error) {
	var names []string
	if err := decode(&names); err != nil {
		return nil, err
	}
	clean, err := checkDeclared(names)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) ([]string, error) {
		old, err := sec.s.DeclaredSecrets(ctx)
		if err != nil {
			return nil, err
		}
		if slices.Equal(old, clean) {
			return nil, nil
		}
		err = sec.s.db.Tx(ctx, func(tx *store.Tx) error {
			if err := setDeclaredTx(ctx, tx, clean); err != nil {
				return err
			}
			tx.AfterCommit(sec.s.forgetDeclared)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(clean) == 0 {
			return []string{"declared no secrets"}, nil
		}
		return []string{"declared secrets: " + strings.Join(clean, ", ")}, nil
	}, nil
}

// Holds reports whether the workspace declares any secret.
func (sec SecretsSection) Holds(ctx context.Context) (bool, error) {
	names, err := sec.s.DeclaredSecrets(ctx)
	return len(names) > 0, err
}

// Export returns the declared names.
func (sec SecretsSection) Export(ctx context.Context) (any, error) {
	return sec.s.DeclaredSecrets(ctx)
}

// missingReasons explains secrets a request could not read: undeclared
// names first (the environment is not even asked), then unset ones.
func (s *Service) missingReasons(names []string) []string {
	var undeclared, unset []string
	for _, n := range names {
		if !s.isDeclared(n) {
			if !slices.Contains(undeclared, n) {
				undeclared = append(undeclared, n)
			}
			continue
		}
		unset = append(unset, n)
	}
	var out []string
	for _, n := range undeclared {
		out = append(out, fmt.Sprintf("secret %s is not declared in the workspace file's secrets: list, so it is not read; declare it and retry the delivery", n))
	}
	if len(unset) > 0 {
		out = append(out, missingMessage(unset))
	}
	return out
}
