package app

import (
	"context"

	"fusebox/backend/errs"
	"fusebox/backend/importer"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
	"fusebox/backend/sessions"
	"fusebox/backend/store"
)

// The adapters between domains: each domain defines the small interface
// it needs, and these types fill them with another domain's service.

// queueSubmitted queues an import's relay deliveries inside the
// transaction that completes it (the importer's OnSubmit hook).
func (a *App) queueSubmitted(ctx context.Context, tx *store.Tx, imp importer.Import) error {
	info := importInfo(imp)
	info.At = imp.SubmittedAt
	return a.Relay.OnImportSubmitted(ctx, tx, info)
}

// queueStatus tells status destinations that an import was submitted or
// failed (the importer's OnStatus hook). completed is queued by
// queueSubmitted, in the transaction that completes the import.
func (a *App) queueStatus(ctx context.Context, imp importer.Import, status string) {
	if status == importer.StatusCompleted {
		return
	}
	err := a.db.Tx(ctx, func(tx *store.Tx) error {
		return a.Relay.OnImportStatus(ctx, tx, importInfo(imp))
	})
	if err != nil {
		a.log.ErrorContext(ctx, "relay: queue import status event", "import", imp.Slug, "status", status, "err", err)
	}
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
type relayTokens struct{ s *sessions.Service }

func (t relayTokens) VerifyImporterToken(ctx context.Context, token, importerSlug string) (map[string]any, error) {
	sess, err := t.s.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if importerSlug != "" && sess.ImporterSlug != importerSlug {
		return nil, errs.Unauthorized("the session is for importer %q, not %q", sess.ImporterSlug, importerSlug)
	}
	return sess.Metadata, nil
}

// relayRecords streams an import's records to the relay.
type relayRecords struct{ imp *importer.Service }

func (r relayRecords) StreamRecords(ctx context.Context, importSlug string, fn func(seq int64, record []byte) error) error {
	return r.imp.StreamRecords(ctx, importSlug, func(rec importer.Record) error {
		data := []byte(rec.Data)
		if rec.Operation != "" && len(data) > 1 && data[len(data)-1] == '}' {
			// the operation travels as the record's last field (relay's SkipUnchanged reads it there)
			sep := ","
			if len(data) == 2 {
				sep = ""
			}
			data = append(append(data[:len(data)-1:len(data)-1], sep+`"_operation":"`...), rec.Operation+`"}`...)
		}
		return fn(rec.Sort, data)
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
