// Package frontend embeds the built web pages (console, importer embed,
// marketplace, demo host app and SDKs) so the binary serves them itself.
package frontend

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built frontend rooted at dist/. On a fresh clone that
// has not run the frontend build it holds only .gitkeep.
func Assets() (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("frontend assets: %w", err)
	}
	return sub, nil
}
