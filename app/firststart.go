package app

import (
	"context"
	"fmt"
)

// FirstStart initializes the workspace of a new data dir: the demo
// workspace and its API keys when demo is true, an empty one otherwise. A
// data dir that holds anything applied is never touched. It returns what
// it created and whether the data dir was new.
func (a *App) FirstStart(ctx context.Context, demo bool) ([]string, bool, error) {
	changes, fresh, err := a.Workspace.Initialize(ctx, demo)
	if err != nil {
		return nil, false, fmt.Errorf("initialize workspace: %w", err)
	}
	if fresh && demo {
		// The demo host app (/demo) issues sessions with these keys.
		keys, err := a.Sessions.EnsureDemoKeys(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("create demo API keys: %w", err)
		}
		changes = append(changes, keys...)
	}
	if fresh {
		a.log.Info("new data dir initialized", "data_dir", a.dataDir, "demo", demo, "changes", len(changes))
	}
	return changes, fresh, nil
}
