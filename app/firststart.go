package app

import (
	"context"
	"fmt"

	"fusebox/backend/demo"
)

// FirstStart initializes the workspace of a new data dir: the demo
// workspace (backend/demo) and its API keys when withDemo is true, an empty one otherwise. A
// data dir that holds anything applied is never touched. It returns what
// it created and whether the data dir was new.
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
		// The demo host app (/demo) issues sessions with these keys.
		keys, err := a.Sessions.EnsureDemoKeys(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("create demo API keys: %w", err)
		}
		changes = append(changes, keys...)
	}
	if fresh {
		a.log.Info("new data dir initialized", "data_dir", a.dataDir, "demo", withDemo, "changes", len(changes))
	}
	return changes, fresh, nil
}
