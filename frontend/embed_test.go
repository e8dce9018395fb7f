package frontend_test

import (
	"io/fs"
	"testing"

	"fusebox/frontend"
)

// The embed must compile and be usable on a fresh clone where dist/ holds only .gitkeep.
func TestAssetsRootedAtDist(t *testing.T) {
	assets, err := frontend.Assets()
	if err != nil {
		t.Fatalf("Assets: %v", err)
	}
	if _, err := fs.Stat(assets, ".gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep not at the root of Assets(): %v", err)
	}
	if _, err := fs.Stat(assets, "dist"); err == nil {
		t.Fatalf("Assets() still has a dist/ prefix")
	}
}
