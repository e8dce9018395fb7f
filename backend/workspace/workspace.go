// Package workspace reads and writes the declarative workspace file: one
// YAML (or JSON) document that describes a workspace's configuration so a
// team can keep it in git. Each domain contributes one top-level section
// (importers:, destinations:, marketplace:) through the Section interface;
// this package owns the file shape, strict decoding and whether the demo
// workspace is in force (the demo file itself is backend/demo's).
package workspace

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// FormatVersion is the version of the workspace file shape.
const FormatVersion = 1

// Section is one top-level key of the workspace file, provided by the
// domain that owns it.
type Section interface {
	// Key is the top-level key, e.g. "importers".
	Key() string
	// Load decodes the section with decode (strict: unknown keys and bad
	// values are errors with their line and path) and validates it fully
	// without writing anything. The returned func applies it, upserting by
	// slug or id, and returns one line per thing created or changed, e.g.
	// "created importer contacts".
	Load(decode func(v any) error) (apply func(ctx context.Context) ([]string, error), err error)
	// Export returns the section's current configuration as a value that,
	// written as YAML under Key(), Load accepts back unchanged.
	Export(ctx context.Context) (any, error)
}

// Holder is implemented by sections that can tell whether the data dir
// already holds anything of theirs (an importer, a destination, a
// marketplace listing...). Initialize never applies the demo over a data
// dir where one does, even without the mark apply leaves: an older
// Fusebox applied files without leaving it.
type Holder interface {
	Holds(ctx context.Context) (bool, error)
}

// Workspace applies and exports workspace files against a database.
type Workspace struct {
	db       *store.DB
	sections []Section
	// onDemoEnd runs after an Apply ends the demo (OnDemoEnd).
	onDemoEnd func(ctx context.Context) ([]string, error)
}

// New returns a Workspace with the given sections, exported in that order.
func New(db *store.DB, sections ...Section) *Workspace {
	return &Workspace{db: db, sections: sections}
}

// OnDemoEnd registers fn to run once an Apply ends the demo: the data dir
// held the demo workspace and a file of the user's own changed something.
// The demo never comes back, so fn retires what only the demo needed (its
// API keys, its open inbound route); its lines join Apply's changes. app
// sets it (domains do not know each other).
func (w *Workspace) OnDemoEnd(fn func(ctx context.Context) ([]string, error)) { w.onDemoEnd = fn }

// Error is a problem in a workspace file, with where it is.
type Error struct {
	Source string // file name
	Detail string // position and message
}

func (e *Error) Error() string { return e.Source + ": " + e.Detail }

// Apply validates every section of data first and only then applies them,
// so a file with an error anywhere changes nothing. source names the file
// in errors. Applying marks the data dir as holding a workspace (so the
// demo is never applied over it), and a file that changes anything ends
// the demo: its routes (/demo) stay off from then on, and OnDemoEnd's
// function retires the demo's keys and open routes.
func (w *Workspace) Apply(ctx context.Context, data []byte, source string) ([]string, error) {
	changes, err := w.apply(ctx, data, source)
	if len(changes) == 0 && err != nil {
		return changes, err
	}
	ended, merr := w.markApplied(ctx, source, len(changes) > 0)
	if merr != nil && err == nil {
		err = merr
	}
	if ended && w.onDemoEnd != nil {
		more, derr := w.onDemoEnd(ctx)
		changes = append(changes, more...)
		if derr != nil && err == nil {
			err = fmt.Errorf("end the demo: %w", derr)
		}
	}
	return changes, err
}

func (w *Workspace) apply(ctx context.Context, data []byte, source string) ([]string, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &Error{Source: source, Detail: yaml.FormatError(err, false, true)}
	}
	if len(file.Docs) > 1 {
		return nil, &Error{Source: source, Detail: "the file has several YAML documents; a workspace file has one"}
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, &Error{Source: source, Detail: "the file is empty; expected keys such as importers:, destinations:, marketplace:"}
	}
	root, ok := unwrap(file.Docs[0].Body).(*ast.MappingNode)
	if !ok {
		return nil, &Error{Source: source, Detail: fmt.Sprintf("line %d: the top level must be a mapping with keys %s", file.Docs[0].Body.GetToken().Position.Line, w.keyList())}
	}
	bySection := map[string]Section{}
	for _, s := range w.sections {
		bySection[s.Key()] = s
	}
	var appliers []func(ctx context.Context) ([]string, error)
	seen := map[string]bool{}
	for _, kv := range root.Values {
		key := keyName(kv.Key)
		line := kv.Key.GetToken().Position.Line
		if seen[key] {
			return nil, &Error{Source: source, Detail: fmt.Sprintf("line %d: key %q appears twice", line, key)}
		}
		seen[key] = true
		if key == "version" {
			var v int
			if err := yaml.NodeToValue(kv.Value, &v); err != nil || v != FormatVersion {
				return nil, &Error{Source: source, Detail: fmt.Sprintf("line %d: version: must be %d", line, FormatVersion)}
			}
			continue
		}
		sec, ok := bySection[key]
		if !ok {
			return nil, &Error{Source: source, Detail: fmt.Sprintf("line %d: unknown top-level key %q (expected %s)", line, key, w.keyList())}
		}
		value := kv.Value
		decode := func(v any) error {
			if err := yaml.NodeToValue(value, v, yaml.DisallowUnknownField()); err != nil {
				return &Error{Source: source, Detail: key + ": " + yaml.FormatError(err, false, true)}
			}
			return nil
		}
		apply, err := loadSection(ctx, sec, decode, root, value, source)
		if err != nil {
			var we *Error
			if errors.As(err, &we) {
				return nil, err
			}
			return nil, &Error{Source: source, Detail: fmt.Sprintf("%s (section starting line %d): %v", key, line, err)}
		}
		appliers = append(appliers, apply)
	}
	var changes []string
	for _, apply := range appliers {
		c, err := apply(ctx)
		changes = append(changes, c...)
		if err != nil {
			return changes, fmt.Errorf("apply %s: %w", source, err)
		}
	}
	return changes, nil
}

// keyName is a mapping key's text without the quotes a JSON file uses.
func keyName(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.GetToken().Value
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.CommentGroupNode:
			return n
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		default:
			return n
		}
	}
}

// FileSection is a Section whose validation reads another top-level key
// of the same file (the relay's destinations check the environment
// secrets they read against secrets:). Apply calls LoadFile instead of
// Load: other decodes the value of another top-level key strictly (found
// is false when the file has none), line returns the line of a path inside
// this section, e.g. line(0, "headers", "Authorization").
type FileSection interface {
	Section
	LoadFile(ctx context.Context, decode func(v any) error, other func(key string, v any) (found bool, err error),
		line func(path ...any) int) (apply func(ctx context.Context) ([]string, error), err error)
}

func loadSection(ctx context.Context, sec Section, decode func(v any) error, root *ast.MappingNode, value ast.Node, source string) (func(ctx context.Context) ([]string, error), error) {
	fs, ok := sec.(FileSection)
	if !ok {
		return sec.Load(decode)
	}
	other := func(key string, v any) (bool, error) {
		for _, kv := range root.Values {
			if keyName(kv.Key) != key {
				continue
			}
			if err := yaml.NodeToValue(kv.Value, v, yaml.DisallowUnknownField()); err != nil {
				return true, &Error{Source: source, Detail: key + ": " + yaml.FormatError(err, false, true)}
			}
			return true, nil
		}
		return false, nil
	}
	return fs.LoadFile(ctx, decode, other, func(path ...any) int { return lineOf(value, path) })
}

// lineOf is the line of the node at path (sequence indexes and mapping
// keys) under n, or of the deepest node found on the way.
func lineOf(n ast.Node, path []any) int {
	cur := unwrap(n)
	for _, p := range path {
		var next ast.Node
		switch t := cur.(type) {
		case *ast.SequenceNode:
			if i, ok := p.(int); ok && i >= 0 && i < len(t.Values) {
				next = t.Values[i]
			}
		case *ast.MappingNode:
			if k, ok := p.(string); ok {
				for _, kv := range t.Values {
					if keyName(kv.Key) == k {
						next = kv.Value
					}
				}
			}
		case *ast.MappingValueNode:
			if k, ok := p.(string); ok && keyName(t.Key) == k {
				next = t.Value
			}
		}
		if next == nil {
			break
		}
		cur = unwrap(next)
	}
	return cur.GetToken().Position.Line
}

func (w *Workspace) keyList() string {
	keys := []string{"version"}
	for _, s := range w.sections {
		keys = append(keys, s.Key())
	}
	return strings.Join(keys, ", ")
}

// Export writes the current workspace as YAML that Apply accepts back
// unchanged.
func (w *Workspace) Export(ctx context.Context) ([]byte, error) {
	doc := yaml.MapSlice{{Key: "version", Value: FormatVersion}}
	for _, s := range w.sections {
		v, err := s.Export(ctx)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", s.Key(), err)
		}
		doc = append(doc, yaml.MapItem{Key: s.Key(), Value: v})
	}
	out, err := yaml.MarshalWithOptions(doc, yaml.Indent(2), yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("export workspace: %w", err)
	}
	return out, nil
}

// Settings this package keeps about the data dir's workspace.
const (
	initializedKey = "workspace.initialized_at"
	// demoKey is "true" only while the demo workspace is what the data
	// dir holds: it was initialized with the demo and nothing else was
	// applied since. It is the one source of truth for "demo in force".
	demoKey = "workspace.demo"
	// demoOffKey says why the demo is not in force.
	demoOffKey = "workspace.demo_off_reason"
	// demoRoutesKey is "off" when an admin switched the demo routes off
	// in the console (default on).
	demoRoutesKey = "workspace.demo_routes"
)

// Initialize marks a new data dir as initialized and, when demoFile is
// not nil, applies it as the demo workspace (backend/demo holds it). It
// does nothing on a data dir that was initialized or had any workspace
// applied before, so the demo never
// replaces a user's workspace and deleting demo objects sticks across
// restarts. A data dir without the mark that already holds workspace
// content (a section's Holder says so: an older Fusebox applied a file
// and never served it) is marked as holding a workspace of its own,
// never the demo.
func (w *Workspace) Initialize(ctx context.Context, demoFile []byte) (changes []string, fresh bool, err error) {
	withDemo := demoFile != nil
	_, done, err := w.db.Setting(ctx, initializedKey)
	if err != nil || done {
		return nil, false, err
	}
	held, err := w.heldBy(ctx)
	if err != nil {
		return nil, false, err
	}
	if len(held) > 0 {
		err := w.db.Tx(ctx, func(tx *store.Tx) error {
			if err := store.SetSetting(ctx, tx, initializedKey, store.Now()); err != nil {
				return err
			}
			if err := store.SetSetting(ctx, tx, demoKey, "false"); err != nil {
				return err
			}
			return store.SetSetting(ctx, tx, demoOffKey, fmt.Sprintf("the data dir already held a workspace of its own (%s)", strings.Join(held, ", ")))
		})
		return nil, false, err
	}
	if withDemo {
		changes, err = w.apply(ctx, demoFile, "demo workspace")
		if err != nil {
			return changes, true, err
		}
	}
	err = w.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.SetSetting(ctx, tx, initializedKey, store.Now()); err != nil {
			return err
		}
		if !withDemo {
			if err := store.SetSetting(ctx, tx, demoOffKey, "the data dir was created without the demo workspace (--no-demo)"); err != nil {
				return err
			}
		}
		return store.SetSetting(ctx, tx, demoKey, fmt.Sprint(withDemo))
	})
	return changes, true, err
}

// heldBy returns the keys of the sections that already hold content.
func (w *Workspace) heldBy(ctx context.Context) ([]string, error) {
	var keys []string
	for _, s := range w.sections {
		h, ok := s.(Holder)
		if !ok {
			continue
		}
		held, err := h.Holds(ctx)
		if err != nil {
			return nil, fmt.Errorf("check the data dir for a workspace (%s): %w", s.Key(), err)
		}
		if held {
			keys = append(keys, s.Key())
		}
	}
	return keys, nil
}

// markApplied records that a workspace file was applied: the data dir now
// holds a workspace, and when the file changed something the demo is no
// longer what it holds; ended reports that the demo was in force until
// now.
func (w *Workspace) markApplied(ctx context.Context, source string, changed bool) (ended bool, err error) {
	err = w.db.Tx(ctx, func(tx *store.Tx) error {
		ended = false
		var v string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, initializedKey).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			if err := store.SetSetting(ctx, tx, initializedKey, store.Now()); err != nil {
				return err
			}
			changed = true // a first workspace: never the demo
		} else if err != nil {
			return fmt.Errorf("read setting %s: %w", initializedKey, err)
		}
		if !changed {
			return nil
		}
		var was string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, demoKey).Scan(&was); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read setting %s: %w", demoKey, err)
		}
		ended = was == "true"
		if err := store.SetSetting(ctx, tx, demoKey, "false"); err != nil {
			return err
		}
		return store.SetSetting(ctx, tx, demoOffKey, fmt.Sprintf("a workspace of your own was applied (%s)", source))
	})
	return ended, err
}

// DemoState is whether the demo workspace is in force in this data dir.
type DemoState struct {
	// Applied: the demo workspace is what the data dir holds (it was
	// initialized with the demo and nothing else was applied since).
	Applied bool `json:"applied"`
	// Enabled is the console switch for the demo routes (default on).
	Enabled bool `json:"enabled"`
	// Reason says why the demo is off; "" while it is in force.
	Reason string `json:"reason"`
}

// On reports whether the demo routes may answer.
func (d DemoState) On() bool { return d.Applied && d.Enabled }

// Demo reads the demo state of the data dir.
func (w *Workspace) Demo(ctx context.Context) (DemoState, error) {
	v, _, err := w.db.Setting(ctx, demoKey)
	if err != nil {
		return DemoState{}, err
	}
	routes, _, err := w.db.Setting(ctx, demoRoutesKey)
	if err != nil {
		return DemoState{}, err
	}
	d := DemoState{Applied: v == "true", Enabled: routes != "off"}
	switch {
	case !d.Applied:
		why, _, err := w.db.Setting(ctx, demoOffKey)
		if err != nil {
			return DemoState{}, err
		}
		if why == "" {
			why = "the demo workspace is not applied to this data dir"
		}
		d.Reason = why
	case !d.Enabled:
		d.Reason = "switched off in the console (Settings)"
	}
	return d, nil
}

// SetDemoRoutes switches the demo routes on or off. Turning them on works
// only while the demo workspace is still what the data dir holds
// (EFORBIDDEN, saying why, otherwise).
func (w *Workspace) SetDemoRoutes(ctx context.Context, on bool) (DemoState, error) {
	cur, err := w.Demo(ctx)
	if err != nil {
		return cur, err
	}
	if on && !cur.Applied {
		return cur, errs.Forbidden("the demo app cannot be switched on: %s; the demo runs only on a data dir that holds the demo workspace", cur.Reason)
	}
	v := "on"
	if !on {
		v = "off"
	}
	if err := w.db.Tx(ctx, func(tx *store.Tx) error { return store.SetSetting(ctx, tx, demoRoutesKey, v) }); err != nil {
		return cur, err
	}
	return w.Demo(ctx)
}
