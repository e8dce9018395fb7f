package main

import (
	"path/filepath"

	"fusebox/backend/httpapi"
	"fusebox/backend/marketplace"
)

// wireMarketplace builds the marketplace. Its API secrets and install
// credentials are sealed under <data-dir>/secrets.key. The relay is
// connected with SetRoutes once it is wired; until then relay_route steps
// fail with "relay not available".
func (p *parts) wireMarketplace() {
	p.marketplace = marketplace.New(p.db, marketplace.Options{
		KeyFile: filepath.Join(p.dataDir, "secrets.key"),
		Logger:  p.log,
	})
	p.deps.Marketplace = p.marketplace
	p.deps.Stats = append(p.deps.Stats,
		httpapi.Stat{Name: "Marketplace listings", Count: p.marketplace.CountListings},
		httpapi.Stat{Name: "Marketplace end users", Count: p.marketplace.CountEndUsers},
		httpapi.Stat{Name: "Marketplace installs", Count: p.marketplace.CountInstalls})
	p.workers = append(p.workers, p.marketplace.Worker)
}
