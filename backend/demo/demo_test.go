package demo_test

import (
	"strings"
	"testing"

	"fusebox/backend/demo"
)

func TestWorkspaceFileAndOrgID(t *testing.T) {
	if !strings.Contains(string(demo.Workspace()), "version: 1") {
		t.Fatalf("the demo workspace file does not look like one:\n%.200s", demo.Workspace())
	}
	if id := demo.OrgID(); id == "" {
		t.Fatal("the demo workspace names no marketplace org id")
	}
	if !strings.Contains(string(demo.Workspace()), demo.RelaySecret) {
		t.Fatalf("the demo workspace does not use %s", demo.RelaySecret)
	}
}

func TestRelaySecretsFallsBackOnlyForTheDemoSecret(t *testing.T) {
	env := map[string]string{"SET": "from-env"}
	lookup := demo.RelaySecrets(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if v, ok := lookup("SET"); !ok || v != "from-env" {
		t.Fatalf("SET: %q %v", v, ok)
	}
	if v, ok := lookup("UNSET"); ok || v != "" {
		t.Fatalf("UNSET: %q %v", v, ok)
	}
	if v, ok := lookup(demo.RelaySecret); !ok || v == "" {
		t.Fatalf("the demo secret has no built-in value: %q %v", v, ok)
	}
	env[demo.RelaySecret] = "set-by-the-team"
	if v, _ := lookup(demo.RelaySecret); v != "set-by-the-team" {
		t.Fatalf("the environment does not win over the built-in demo value: %q", v)
	}
}

func TestImportersAndInboundDestinations(t *testing.T) {
	if got := strings.Join(demo.Importers(), ","); got != "contacts" {
		t.Fatalf("demo importers = %q, want contacts", got)
	}
	if got := strings.Join(demo.InboundDestinations(), ","); got != "demo-inbound" {
		t.Fatalf("demo inbound destinations = %q, want demo-inbound", got)
	}
}
