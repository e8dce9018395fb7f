package workspace_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"fusebox/backend/errs"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
	"fusebox/backend/workspace"
)

// things is a small real Section for testing the file mechanism: it
// stores each thing as a row of the settings table.
type things struct{ db *store.DB }

type thing struct {
	ID    string   `yaml:"id"`
	Label string   `yaml:"label"`
	Tags  []string `yaml:"tags,omitempty"`
}

func (t things) Key() string { return "things" }

func (t things) Load(decode func(any) error) (func(context.Context) ([]string, error), error) {
	var list []thing
	if err := decode(&list); err != nil {
		return nil, err
	}
	for i, th := range list {
		if th.ID == "" {
			return nil, errs.Invalid("things[%d].id: required", i)
		}
	}
	return func(ctx context.Context) ([]string, error) {
		var changes []string
		err := t.db.Tx(ctx, func(tx *store.Tx) error {
			for _, th := range list {
				val := th.Label + "|" + strings.Join(th.Tags, ",")
				old, ok, err := t.db.Setting(ctx, "thing."+th.ID)
				if err != nil {
					return err
				}
				switch {
				case !ok:
					changes = append(changes, "created thing "+th.ID)
				case old != val:
					changes = append(changes, "updated thing "+th.ID)
				default:
					continue
				}
				if err := store.SetSetting(ctx, tx, "thing."+th.ID, val); err != nil {
					return err
				}
			}
			return nil
		})
		return changes, err
	}, nil
}

func (t things) Export(ctx context.Context) (any, error) {
	rows, err := t.db.Read.QueryContext(ctx, `SELECT key, value FROM settings WHERE key LIKE 'thing.%' ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []thing{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		label, tags, _ := strings.Cut(v, "|")
		th := thing{ID: strings.TrimPrefix(k, "thing."), Label: label}
		if tags != "" {
			th.Tags = strings.Split(tags, ",")
		}
		out = append(out, th)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, rows.Err()
}

func newWorkspace(t *testing.T) (*workspace.Workspace, *store.DB) {
	t.Helper()
	db := storetest.Open(t)
	return workspace.New(db, things{db}), db
}

const sample = `version: 1
things:
  - id: a
    label: Alpha
    tags: [x, y]
  - id: b
    label: "Beta: the second"
`

func TestApplyExportApplyIsAFixedPoint(t *testing.T) {
	ctx := context.Background()
	ws, _ := newWorkspace(t)
	changes, err := ws.Apply(ctx, []byte(sample), "sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(changes) != "[created thing a created thing b]" {
		t.Fatalf("changes = %v", changes)
	}
	out1, err := ws.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes, err = ws.Apply(ctx, out1, "export.yaml")
	if err != nil {
		t.Fatalf("apply of export: %v\n%s", err, out1)
	}
	if len(changes) != 0 {
		t.Fatalf("re-applying the export changed %v", changes)
	}
	out2, err := ws.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(out1) != string(out2) {
		t.Fatalf("export not stable:\n%s\n---\n%s", out1, out2)
	}
	if !strings.Contains(string(out1), "Beta: the second") {
		t.Fatalf("export lost a value:\n%s", out1)
	}
}

func TestApplyAcceptsJSON(t *testing.T) {
	ws, _ := newWorkspace(t)
	changes, err := ws.Apply(context.Background(), []byte(`{"version": 1, "things": [{"id": "j", "label": "From JSON"}]}`), "ws.json")
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes=%v err=%v", changes, err)
	}
}

func TestBadFilesNameTheProblem(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string
	}{
		{"unknown top-level key", "version: 1\nthingz: []\n", []string{"bad.yaml", "line 2", `unknown top-level key "thingz"`, "things"}},
		{"unknown nested key", "things:\n  - id: a\n    lable: typo\n", []string{"bad.yaml", "things", "[3:5]", "lable"}},
		{"wrong type", "things:\n  - id: a\n    tags: notalist\n", []string{"bad.yaml", "things", "[3:11]"}},
		{"invalid value from the section", "things:\n  - label: no id\n", []string{"bad.yaml", "things", "things[0].id: required"}},
		{"duplicate key", "things: []\nthings: []\n", []string{"bad.yaml", "things"}},
		{"bad version", "version: 7\n", []string{"bad.yaml", "line 1", "version: must be 1"}},
		{"empty", "", []string{"bad.yaml", "empty"}},
		{"not a mapping", "- a\n- b\n", []string{"bad.yaml", "top level must be a mapping"}},
		{"syntax error", "things: [a, b\n", []string{"bad.yaml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws, db := newWorkspace(t)
			_, err := ws.Apply(context.Background(), []byte(c.file), "bad.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			var n int
			_ = db.Read.QueryRow(`SELECT COUNT(*) FROM settings WHERE key LIKE 'thing.%'`).Scan(&n)
			if n != 0 {
				t.Errorf("a bad file stored %d things", n)
			}
		})
	}
}

func TestErrorInLaterSectionAppliesNothing(t *testing.T) {
	ctx := context.Background()
	ws, db := newWorkspace(t)
	if _, err := ws.Apply(ctx, []byte(sample), "a.yaml"); err != nil {
		t.Fatal(err)
	}
	bad := "things:\n  - id: a\n    label: Changed\nnope: 1\n"
	if _, err := ws.Apply(ctx, []byte(bad), "b.yaml"); err == nil {
		t.Fatal("no error")
	}
	v, _, _ := db.Setting(ctx, "thing.a")
	if !strings.HasPrefix(v, "Alpha|") {
		t.Fatalf("stored value changed by a rejected file: %q", v)
	}
}

// The demo file has the domains' sections (importers:, marketplace:, ...),
// which this package's test workspace does not know, so the demo itself is
// applied by main's TestApplyDemoWorkspaceThenExportIsAFixedPoint with every
// section wired; here the initialize-once logic runs without it.
func TestInitializeAppliesDemoOnce(t *testing.T) {
	ctx := context.Background()
	ws, _ := newWorkspace(t)
	_, fresh, err := ws.Initialize(ctx, nil)
	if err != nil || !fresh {
		t.Fatalf("first initialize: fresh=%v err=%v", fresh, err)
	}
	_, fresh, err = ws.Initialize(ctx, nil)
	if err != nil || fresh {
		t.Fatalf("second initialize: fresh=%v err=%v", fresh, err)
	}
}
