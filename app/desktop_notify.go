package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fusebox/backend/importer"
	"fusebox/backend/relay"
)

// Notice is one thing the desktop window tells the user about: a desktop
// notification where the platform shows them, else a notice in the
// console.
type Notice struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // import-submitted, import-failed, destination-disabled, delivery-dead
	Title string `json:"title"`
	Body  string `json:"body"`
	// Route is the console page about it, e.g. imports/<slug>.
	Route string `json:"route,omitempty"`
}

// notifier turns what happens in the services into Notices: imports
// submitted through a host app and imports that failed (the importer's
// status hook), destinations that became disabled and deliveries that
// went dead (the relay, looked at every interval). send delivers them.
type notifier struct {
	log      *slog.Logger
	imports  *importer.Service
	relay    *relay.Service
	send     func(Notice)
	interval time.Duration

	mu        sync.Mutex
	told      map[string]bool // import slug + kind already told
	disabled  map[string]bool // destinations seen disabled
	lastDead  int64           // highest dead delivery id seen
	baselined bool
}

func newNotifier(log *slog.Logger, imports *importer.Service, rel *relay.Service, send func(Notice)) *notifier {
	return &notifier{
		log: log, imports: imports, relay: rel, send: send, interval: 2 * time.Second,
		told: map[string]bool{}, disabled: map[string]bool{},
	}
}

// importStatus is the importer's status hook.
func (n *notifier) importStatus(_ context.Context, imp importer.Import, status string) {
	var nt Notice
	switch {
	case (status == importer.StatusSubmitted || status == importer.StatusCompleted) && imp.SessionID != "":
		who := "A host app"
		if imp.UserID != "" {
			who = "User " + imp.UserID
		}
		body := fmt.Sprintf("%s submitted %s with importer %q", who, plural(imp.RowCount, "row"), imp.Template.Slug)
		if imp.FileName != "" {
			body += " (" + imp.FileName + ")"
		}
		body += "."
		nt = Notice{Kind: "import-submitted", Title: "Import submitted", Body: body}
	case status == importer.StatusFailed:
		reason := imp.FailureReason
		if reason == "" {
			reason = "see the import in the console"
		}
		nt = Notice{Kind: "import-failed", Title: "Import failed", Body: fmt.Sprintf("Import %s (%s) failed: %s", imp.Slug, imp.Template.Slug, reason)}
	default:
		return
	}
	key := imp.Slug + " " + nt.Kind
	n.mu.Lock()
	seen := n.told[key]
	n.told[key] = true
	n.mu.Unlock()
	if seen {
		return
	}
	nt.ID, nt.Route = key, "imports/"+imp.Slug
	n.send(nt)
}

// run looks at the relay every interval until ctx ends. The first look
// only learns what is already disabled or dead (no notices for the past).
func (n *notifier) run(ctx context.Context) {
	t := time.NewTicker(n.interval)
	defer t.Stop()
	for {
		if err := n.checkRelay(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("desktop notices: look at the relay", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkRelay tells of destinations that became disabled and deliveries
// that went dead since the last look.
func (n *notifier) checkRelay(ctx context.Context) error {
	dests, err := n.relay.ListDestinations(ctx)
	if err != nil {
		return err
	}
	dead, err := n.relay.ListDeliveries(ctx, relay.DeliveryFilter{Status: relay.StatusDead, Limit: 50})
	if err != nil {
		return err
	}
	n.mu.Lock()
	first := !n.baselined
	n.baselined = true
	var out []Notice
	now := map[string]bool{}
	for _, d := range dests {
		id := d.Destination.ID
		if d.Enabled {
			continue
		}
		now[id] = true
		if !first && !n.disabled[id] {
			reason := d.DisabledReason
			if reason == "" {
				reason = "no reason given"
			}
			out = append(out, Notice{
				ID: "destination-disabled " + id, Kind: "destination-disabled", Title: "Destination disabled",
				Body: fmt.Sprintf("Relay destination %q is disabled: %s. Nothing is delivered to it until it is enabled again.", id, reason), Route: "relay",
			})
		}
	}
	n.disabled = now
	var fresh []relay.Delivery
	maxID := n.lastDead
	for _, d := range dead { // newest first
		if d.ID > n.lastDead && !first {
			fresh = append(fresh, d)
		}
		maxID = max(maxID, d.ID)
	}
	n.lastDead = maxID
	n.mu.Unlock()
	if len(fresh) > 0 {
		d := fresh[0]
		body := fmt.Sprintf("A delivery to %q went dead after %s", d.DestinationID, plural(int64(d.Attempts), "attempt"))
		if d.Reason != "" {
			body += ": " + d.Reason
		}
		body += "."
		if len(fresh) > 1 {
			body += fmt.Sprintf(" %d more went dead too.", len(fresh)-1)
		}
		out = append(out, Notice{
			ID: fmt.Sprintf("delivery-dead %d", d.ID), Kind: "delivery-dead", Title: "Delivery went dead",
			Body: body, Route: "relay",
		})
	}
	for _, nt := range out {
		n.send(nt)
	}
	return nil
}

// pendingWork says what closing the app stops: imports being submitted or
// worked on in the last 10 minutes, and deliveries not yet delivered.
// Empty when there is none.
func pendingWork(ctx context.Context, imports *importer.Service, rel *relay.Service) string {
	var parts []string
	if _, n, err := imports.ListImports(ctx, importer.ListFilter{Status: importer.StatusSubmitting, PerPage: 1}); err == nil && n > 0 {
		parts = append(parts, plural(int64(n), "import")+" being submitted")
	}
	if recent, _, err := imports.ListImports(ctx, importer.ListFilter{Status: importer.StatusCreated, PerPage: 100}); err == nil {
		var n int64
		for _, imp := range recent {
			if time.Since(imp.UpdatedAt) < 10*time.Minute && imp.FileName != "" {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, plural(n, "import")+" in progress")
		}
	}
	if st, err := rel.Stats(ctx, ""); err == nil {
		if p := st.ByStatus[relay.StatusPending]; p > 0 {
			parts = append(parts, plural(p, "delivery")+" pending")
		}
		if st.PendingJobs > 0 {
			parts = append(parts, plural(st.PendingJobs, "delivery job")+" queued")
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
