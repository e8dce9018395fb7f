package workspace_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"fusebox/backend/demo"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
	"fusebox/backend/workspace"
)

// realWorkspace is a data dir with the real sections, wired as serve
// wires them.
type realWorkspace struct {
	db  *store.DB
	ws  *workspace.Workspace
	imp *importer.Service
	mp  *marketplace.Service
	rl  *relay.Service
}

func newRealWorkspace(t *testing.T) *realWorkspace {
	t.Helper()
	dir := t.TempDir()
	db := storetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imp := importer.New(db, dir, log)
	mp := marketplace.New(db, marketplace.Options{KeyFile: filepath.Join(dir, "secrets.key"), Logger: log})
	rl := relay.New(db, relay.Options{Logger: log})
	ws := workspace.New(db, rl.SecretsSection(), imp.Section(), rl.Section(), mp.Section())
	return &realWorkspace{db: db, ws: ws, imp: imp, mp: mp, rl: rl}
}

// forgetApplied removes what apply records about the data dir, leaving
// the shape an older Fusebox left after `apply`: the content, no mark.
func (r *realWorkspace) forgetApplied(t *testing.T) {
	t.Helper()
	if _, err := r.db.Write.Exec(`DELETE FROM settings WHERE key LIKE 'workspace.%'`); err != nil {
		t.Fatal(err)
	}
}

// A data dir an older Fusebox applied a workspace to, but never served,
// has content and no applied mark. The first serve must not put the demo
// over it, whatever the content is: an importer, a destination, a
// marketplace org, plan, listing or signing secret, declared secrets.
// A data dir with nothing in it still gets the demo.
func TestSecurityInitializeNeverOverwritesOlderWorkspace(t *testing.T) {
	ctx := context.Background()
	listing := `version: 1
marketplace:
  listings:
    - id: mine
      name: Mine
      category: Tools
      summary: Mine.
      workflow:
        - kind: notify
          name: Done
          message: Connected.
`
	cases := []struct {
		name  string
		file  string
		setup func(t *testing.T, r *realWorkspace)
	}{
		{name: "importer", file: "version: 1\nimporters:\n  - slug: mine\n    name: Mine\n    columns:\n      - key: a\n        label: A\n        type: string\n"},
		{name: "destination", file: "version: 1\ndestinations:\n  - id: mine\n    url: https://crm.example/in\n"},
		{name: "marketplace org", file: "version: 1\nmarketplace:\n  org_id: acme\n"},
		{name: "marketplace title", file: "version: 1\nmarketplace:\n  title: Acme apps\n"},
		{name: "marketplace plan", file: "version: 1\nmarketplace:\n  plans:\n    - name: basic\n      default: true\n"},
		{name: "marketplace listing", file: listing},
		{name: "declared secrets", file: "version: 1\nsecrets: [ACME_KEY]\n"},
		{name: "marketplace secret", setup: func(t *testing.T, r *realWorkspace) {
			if _, err := r.mp.CreateSecret(ctx, "acme"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRealWorkspace(t)
			if c.file != "" {
				if _, err := r.ws.Apply(ctx, []byte(c.file), "mine.yaml"); err != nil {
					t.Fatal(err)
				}
			}
			if c.setup != nil {
				c.setup(t, r)
			}
			r.forgetApplied(t)
			before, err := r.ws.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			changes, fresh, err := r.ws.Initialize(ctx, demo.Workspace())
			if err != nil {
				t.Fatal(err)
			}
			if fresh || len(changes) != 0 {
				t.Fatalf("Initialize over an older workspace: fresh=%v changes=%v", fresh, changes)
			}
			after, err := r.ws.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(after) != string(before) {
				t.Fatalf("Initialize changed the workspace:\n--- before\n%s--- after\n%s", before, after)
			}
			st, err := r.ws.Demo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Applied || st.On() || !strings.Contains(st.Reason, "already held a workspace") {
				t.Fatalf("demo state %+v", st)
			}
			// And the next start leaves it alone too.
			if changes, fresh, err := r.ws.Initialize(ctx, demo.Workspace()); err != nil || fresh || len(changes) != 0 {
				t.Fatalf("second Initialize: %v %v %v", changes, fresh, err)
			}
		})
	}

	t.Run("empty data dir gets the demo", func(t *testing.T) {
		r := newRealWorkspace(t)
		// What serve reads before the first start must not count as
		// content (the generated org id, the default settings).
		if _, err := r.mp.Settings(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ws.Export(ctx); err != nil {
			t.Fatal(err)
		}
		changes, fresh, err := r.ws.Initialize(ctx, demo.Workspace())
		if err != nil || !fresh || len(changes) == 0 {
			t.Fatalf("Initialize of an empty data dir: %v %v %v", changes, fresh, err)
		}
		if st, err := r.ws.Demo(ctx); err != nil || !st.On() {
			t.Fatalf("demo state %+v %v", st, err)
		}
	})
}
