package main

import (
	"context"
	"os"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/httpapi"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/store"
)

// demoRelaySecret is the secret the demo workspace's destination puts in
// its Authorization header. When the environment does not set it, a fixed
// demo value stands in, so the offline demo shows a secret header arriving
// at the sink; every other secret comes only from the environment.
const (
	demoRelaySecret      = "FUSEBOX_DEMO_CRM_KEY"
	demoRelaySecretValue = "demo-crm-key-0000"
)

// relaySecrets reads relay secrets from the process environment.
func relaySecrets(name string) (string, bool) {
	if v, ok := os.LookupEnv(name); ok {
		return v, true
	}
	if name == demoRelaySecret {
		return demoRelaySecretValue, true
	}
	return "", false
}

// wireRelay builds the relay: its service (sessions check tokens, the
// importer supplies records and calls it inside the transaction that
// completes an import, the marketplace limits and creates routes), its
// workspace section, routes, dashboard figures and delivery worker.
// FUSEBOX_RELAY_LEASE (a duration, default 15s) sets how long a claimed
// delivery stays leased without a heartbeat: after a crash, what was in
// flight is sent again that long after the process died.
func (p *parts) wireRelay() {
	o := relay.Options{
		Logger:    p.log,
		Secrets:   relaySecrets,
		Tokens:    relayTokens{p},
		Records:   relayRecords{p},
		UserAgent: "Fusebox-Relay/" + version,
	}
	if p.marketplace != nil {
		o.Limiter = p.marketplace
		// Route headers reference install credentials by name; the
		// marketplace opens them at send time.
		o.InstallSecrets = p.marketplace
		// Routes whose host an end user chose may reach internal
		// addresses only on the hosts marketplace.allowed_hosts names.
		o.AllowedHosts = p.marketplace.AllowedHosts
	}
	p.relay = relay.New(p.db, o)
	if p.marketplace != nil {
		p.marketplace.SetRoutes(relayRoutes{p.relay})
		// Secret values that workflow steps send are masked in the sink.
		p.marketplace.SetSentSecrets(p.relay)
	}
	p.importer.OnSubmit(func(ctx context.Context, tx *store.Tx, imp importer.Import) error {
		info := importInfo(imp)
		info.At = imp.SubmittedAt
		return p.relay.OnImportSubmitted(ctx, tx, info)
	})
	// Status destinations also hear submitted and failed. completed is
	// queued above, in the transaction that completes the import.
	p.importer.OnStatus(func(ctx context.Context, imp importer.Import, status string) {
		if status == importer.StatusCompleted {
			return
		}
		err := p.db.Tx(ctx, func(tx *store.Tx) error {
			return p.relay.OnImportStatus(ctx, tx, importInfo(imp))
		})
		if err != nil {
			p.log.ErrorContext(ctx, "relay: queue import status event", "import", imp.Slug, "status", status, "err", err)
		}
	})
	p.deps.Relay = p.relay
	p.deps.Stats = append(p.deps.Stats,
		httpapi.Stat{Name: "Relay destinations", Count: p.relay.CountDestinations},
		httpapi.Stat{Name: "Relay deliveries", Count: p.relay.CountDeliveries})
	wo := relay.WorkerOptions{}
	if v := os.Getenv("FUSEBOX_RELAY_LEASE"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			wo.Lease = d
		} else {
			p.log.Warn("FUSEBOX_RELAY_LEASE is not a positive duration; using the default", "value", v)
		}
	}
	p.workers = append(p.workers, p.relay.NewWorker(wo).Run)
	p.onListen = append(p.onListen, p.relay.SetBaseURL)
}

// importInfo is an import as the relay sees it.
func importInfo(imp importer.Import) relay.ImportInfo {
	return relay.ImportInfo{
		Slug: imp.Slug, Importer: imp.Template.Slug, Status: imp.Status, SessionID: imp.SessionID, UserID: imp.UserID,
		Metadata: imp.Metadata, FileName: imp.FileName, RowCount: imp.RowCount, RecordCount: imp.RecordCount,
	}
}

// relayTokens checks session tokens for the relay with the sessions
// service: signature, expiry, revocation, and the importer.
type relayTokens struct{ p *parts }

func (t relayTokens) VerifyImporterToken(ctx context.Context, token, importerSlug string) (map[string]any, error) {
	if t.p.sessions == nil {
		return nil, errs.Unavailable("sessions are not available")
	}
	sess, err := t.p.sessions.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if importerSlug != "" && sess.ImporterSlug != importerSlug {
		return nil, errs.Unauthorized("the session is for importer %q, not %q", sess.ImporterSlug, importerSlug)
	}
	return sess.Metadata, nil
}

// relayRecords streams an import's records to the relay.
type relayRecords struct{ p *parts }

func (r relayRecords) StreamRecords(ctx context.Context, importSlug string, fn func(seq int64, record []byte) error) error {
	return r.p.importer.StreamRecords(ctx, importSlug, func(rec importer.Record) error {
		return fn(rec.Sort, rec.Data)
	})
}

// relayRoutes adapts the relay to the marketplace's Routes.
type relayRoutes struct{ r *relay.Service }

func (a relayRoutes) CreateUserRoute(ctx context.Context, spec marketplace.RouteSpec) (string, error) {
	return a.r.CreateUserRoute(ctx, relay.UserRoute{
		OwnerID: spec.OwnerID, UserID: spec.ExternalID, ListingID: spec.ListingID, InstallID: spec.InstallID,
		Importer: spec.Importer, URL: spec.URL, Method: spec.Method, Headers: spec.Headers, UserHost: spec.UserHost,
	})
}

func (a relayRoutes) DeleteUserRoute(ctx context.Context, id string) error {
	return a.r.DeleteUserRoute(ctx, id)
}

func (a relayRoutes) SetUserRouteEnabled(ctx context.Context, id string, enabled bool) error {
	return a.r.SetUserRouteEnabled(ctx, id, enabled)
}
