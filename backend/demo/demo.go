// Package demo holds, in one place, what exists only for the demo
// workspace on the server side: the demo workspace file a new data dir
// starts with, its marketplace org id, and the built-in value of the
// secret its relay destination sends. It is a leaf: it imports no other
// Fusebox package. The workspace applies the file it is handed (app hands
// it this one), the demo host app's routes (httpapi) sign links for OrgID,
// and app reads relay secrets through RelaySecrets.
//
// The demo API keys stay in backend/sessions (demo.go there): their text is
// derived from the data dir's sessions key file, which only that package
// opens, and a public way to store a key of chosen text would weaken every
// key. The demo host app's pages are frontend/src/demo.
package demo

import (
	_ "embed"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed demo.yaml
var workspaceFile []byte

// Workspace returns the demo workspace file (YAML, as `fusebox apply`
// reads it).
func Workspace() []byte { return workspaceFile }

// OrgID is the marketplace org id of the demo workspace: the demo app
// signs marketplace links for this org and no other. The file is embedded
// and a test reads it, so "" never happens in a built binary.
func OrgID() string {
	var f struct {
		Marketplace struct {
			OrgID string `yaml:"org_id"`
		} `yaml:"marketplace"`
	}
	if err := yaml.Unmarshal(workspaceFile, &f); err != nil {
		return ""
	}
	return f.Marketplace.OrgID
}

// objects are the slugs and ids of what the demo workspace file defines,
// read once.
var objects = sync.OnceValue(func() (o struct {
	importers, inbound []string
}) {
	var f struct {
		Importers []struct {
			Slug string `yaml:"slug"`
		} `yaml:"importers"`
		Destinations []struct {
			ID      string    `yaml:"id"`
			Inbound *struct{} `yaml:"inbound"`
		} `yaml:"destinations"`
	}
	if err := yaml.Unmarshal(workspaceFile, &f); err != nil {
		return o
	}
	for _, imp := range f.Importers {
		o.importers = append(o.importers, imp.Slug)
	}
	for _, d := range f.Destinations {
		if d.Inbound != nil {
			o.inbound = append(o.inbound, d.ID)
		}
	}
	return o
})

// Importers are the slugs of the importers the demo workspace file
// defines: the only ones the demo app and the demo API keys act on. A
// test reads the file, so the list is never empty in a built binary.
func Importers() []string { return append([]string(nil), objects().importers...) }

// InboundDestinations are the ids of the demo's relay destinations that
// open an inbound route (anyone may post to it); they are disabled when
// the demo ends.
func InboundDestinations() []string { return append([]string(nil), objects().inbound...) }

// RelaySecret is the secret the demo workspace's destination puts in its
// Authorization header. When the environment does not set it, a fixed
// demo value stands in, so the offline demo shows a secret header
// arriving at the sink; every other secret comes only from the
// environment.
const (
	RelaySecret      = "FUSEBOX_DEMO_CRM_KEY"
	relaySecretValue = "demo-crm-key-0000"
)

// RelaySecrets wraps lookup (os.LookupEnv) with the demo secret's
// built-in value, used only when lookup does not have it.
func RelaySecrets(lookup func(name string) (string, bool)) func(name string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := lookup(name); ok {
			return v, true
		}
		if name == RelaySecret {
			return relaySecretValue, true
		}
		return "", false
	}
}
