package app

import (
	"context"
	"fmt"

	"fusebox/backend/demo"
	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// FirstStart initializes the workspace of a new data dir: the demo
// workspace (backend/demo) and its API keys when withDemo is true, an empty one otherwise. A
// data dir that holds anything applied is never touched. It returns what
// it created and whether the data dir was new. On every start it also
// brings the demo keys of older data dirs in line (secureDemo).
func (a *App) FirstStart(ctx context.Context, withDemo bool) ([]string, bool, error) {
	var demoFile []byte
	if withDemo {
		demoFile = demo.Workspace()
	}
	changes, fresh, err := a.Workspace.Initialize(ctx, demoFile)
	if err != nil {
		return nil, false, fmt.Errorf("initialize workspace: %w", err)
	}
	if fresh && withDemo {
		// The demo host app (/demo) issues sessions with these keys; the
		// publishable one only for the demo's own importers.
		keys, err := a.Sessions.EnsureDemoKeys(ctx, demo.Importers())
		if err != nil {
			return nil, false, fmt.Errorf("create demo API keys: %w", err)
		}
		changes = append(changes, keys...)
	}
	if fresh {
		a.log.Info("new data dir initialized", "data_dir", a.dataDir, "demo", withDemo, "changes", len(changes))
	}
	if err := a.secureDemo(ctx); err != nil {
		return nil, false, err
	}
	return changes, fresh, nil
}

// demoRetiredKey marks a data dir whose demo ended and whose demo keys
// and open routes were retired, so that is done once: an admin may
// enable the demo's destination again.
const demoRetiredKey = "app.demo_retired"

// secureDemo brings the demo keys of a data dir made by an older version
// in line, once each: a demo publishable key made for every importer
// ("*") is scoped to the demo's importers; when the demo already ended
// (a workspace of the user's own was applied) its keys are deactivated
// and its open inbound route is closed (endDemo).
func (a *App) secureDemo(ctx context.Context) error {
	scoped, err := a.Sessions.ScopeDemoKeys(ctx, demo.Importers())
	if err != nil {
		return fmt.Errorf("scope the demo publishable key: %w", err)
	}
	if scoped {
		a.log.Warn("the demo publishable key allowed every importer; it now allows only the demo's", "importers", demo.Importers())
	}
	if _, err := a.Sessions.DemoKeys(ctx); errs.Is(err, errs.ENOTFOUND) {
		return nil // never had the demo
	} else if err != nil {
		return err
	}
	st, err := a.Workspace.Demo(ctx)
	if err != nil {
		return err
	}
	if st.Applied {
		return nil
	}
	if _, done, err := a.db.Setting(ctx, demoRetiredKey); err != nil || done {
		return err
	}
	_, err = a.endDemo(ctx)
	return err
}

// endDemo retires what only the demo needed once it ended for good (the
// workspace's OnDemoEnd, and secureDemo for older data dirs): both demo
// API keys are deactivated (the publishable one is public while the demo
// runs) and the demo's relay destinations with an open inbound route are
// disabled, which closes the route.
func (a *App) endDemo(ctx context.Context) ([]string, error) {
	changes, err := a.Sessions.EndDemoKeys(ctx)
	if err != nil {
		return changes, fmt.Errorf("deactivate the demo API keys: %w", err)
	}
	for _, id := range demo.InboundDestinations() {
		err := a.Relay.SetEnabled(ctx, id, false, "the demo ended (a workspace of your own was applied); its open inbound route is closed")
		if errs.Is(err, errs.ENOTFOUND) {
			continue // deleted by the admin
		}
		if err != nil {
			return changes, fmt.Errorf("disable the demo destination %s: %w", id, err)
		}
		changes = append(changes, "disabled relay destination "+id+" (the demo's open inbound route)")
	}
	if err := a.db.Tx(ctx, func(tx *store.Tx) error { return store.SetSetting(ctx, tx, demoRetiredKey, store.Now()) }); err != nil {
		return changes, err
	}
	a.log.Info("the demo ended: its API keys and open inbound routes are retired", "changes", changes)
	return changes, nil
}
