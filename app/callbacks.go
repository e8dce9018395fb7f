package app

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"

	"fusebox/backend/hooks"
	"fusebox/backend/netguard"
	"fusebox/backend/relay"
)

// callbackClients gives importers' validation callbacks an HTTP client
// through the network guard, with the allowances of guarded relay
// destinations: internal addresses only on the hosts the marketplace's
// allowed_hosts names. One client per set of allowed hosts is kept.
type callbackClients struct {
	allowed func(ctx context.Context) ([]string, error)
	mu      sync.Mutex
	key     string
	client  *http.Client
}

func (c *callbackClients) get(ctx context.Context) (*http.Client, error) {
	var hosts []string
	if c.allowed != nil {
		h, err := c.allowed(ctx)
		if err != nil {
			return nil, err
		}
		hosts = slices.Clone(h)
	}
	slices.Sort(hosts)
	key := strings.Join(hosts, "\n")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil || c.key != key {
		c.client, c.key = netguard.New(hosts).Client(), key
	}
	return c.client, nil
}

// newCallbackCaller wires the importer's callback client: the guarded
// client, the relay's Standard Webhooks signature, secrets from the
// environment.
func newCallbackCaller(allowed func(ctx context.Context) ([]string, error), version string) *hooks.Caller {
	clients := &callbackClients{allowed: allowed}
	return &hooks.Caller{
		Client:    clients.get,
		Sign:      relay.Sign,
		Secret:    os.LookupEnv,
		UserAgent: "Fusebox-Validate/" + version,
	}
}
