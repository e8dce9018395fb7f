// Package frontend embeds the built web assets (frontend/dist): the console, the
// importer embed, the marketplace, the demo host page and the SDKs.
//
// dist/ holds only .gitkeep on a fresh clone, so everything compiles before the
// first `npm run build`; the pages then simply are not there yet.
package frontend

import (
	"embed"
	"fmt"
	"io/fs"
)

// Dist is the embedded frontend/dist directory (paths start with "dist/").
//
//go:embed all:dist
var Dist embed.FS

// Assets returns the built assets rooted at dist/ (e.g. "index.html", "sdk/importer.js").
func Assets() (fs.FS, error) {
	sub, err := fs.Sub(Dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("frontend assets: %w", err)
	}
	return sub, nil
}
