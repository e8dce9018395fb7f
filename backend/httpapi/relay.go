package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"fusebox/backend/csvsafe"
	"fusebox/backend/errs"
	"fusebox/backend/relay"
	"fusebox/backend/sink"
)

// Relay routes.
//
// Console API under /api/admin/relay/: destinations (list, create, get,
// replace, delete, enable/disable), a preview of the exact outbound
// request, deliveries (filters, detail with attempt log, replay, bulk
// retry), import jobs and stats.
//
// Public: POST /relay/{route} (the inbound relay: a record or an array,
// for the destination whose inbound.route is {route}).
func (s *Server) bindRelay(mux *http.ServeMux) {
	if s.deps.Relay == nil {
		return
	}
	mux.HandleFunc("GET /api/admin/relay/destinations", s.requireAdmin(s.relayDestinations))
	mux.HandleFunc("POST /api/admin/relay/destinations", s.requireAdmin(s.relayCreateDestination))
	mux.HandleFunc("GET /api/admin/relay/destinations/{id}", s.requireAdmin(s.relayDestination))
	mux.HandleFunc("PUT /api/admin/relay/destinations/{id}", s.requireAdmin(s.relayUpdateDestination))
	mux.HandleFunc("DELETE /api/admin/relay/destinations/{id}", s.requireAdmin(s.relayDeleteDestination))
	mux.HandleFunc("POST /api/admin/relay/destinations/{id}/enabled", s.requireAdmin(s.relaySetEnabled))
	mux.HandleFunc("POST /api/admin/relay/preview", s.requireAdmin(s.relayPreview))
	mux.HandleFunc("GET /api/admin/relay/deliveries", s.requireAdmin(s.relayDeliveries))
	mux.HandleFunc("GET /api/admin/relay/deliveries.csv", s.requireAdmin(s.relayDeliveriesCSV))
	mux.HandleFunc("GET /api/admin/relay/deliveries/{id}", s.requireAdmin(s.relayDelivery))
	mux.HandleFunc("POST /api/admin/relay/deliveries/{id}/replay", s.requireAdmin(s.relayReplay))
	mux.HandleFunc("POST /api/admin/relay/deliveries/retry", s.requireAdmin(s.relayRetry))
	mux.HandleFunc("GET /api/admin/relay/jobs", s.requireAdmin(s.relayJobs))
	mux.HandleFunc("GET /api/admin/relay/stats", s.requireAdmin(s.relayStats))

	mux.HandleFunc("POST /relay/{route}", s.relayInbound)
	mux.HandleFunc("OPTIONS /relay/{route}", s.relayInboundPreflight)
}

// bindSink registers the built-in sink. Admin: its recordings (list,
// read masked, clear). Public: /sink/{name} (any method: records the
// request and answers 200).
func (s *Server) bindSink(mux *http.ServeMux) {
	if s.deps.Sink == nil {
		return
	}
	mux.HandleFunc("GET /api/admin/relay/sinks", s.requireAdmin(s.relaySinks))
	mux.HandleFunc("GET /api/admin/relay/sinks/{name}", s.requireAdmin(s.relaySink))
	mux.HandleFunc("DELETE /api/admin/relay/sinks/{name}", s.requireAdmin(s.relayClearSink))
	mux.HandleFunc("/sink/{name}", s.sinkRecord)
}

// relayMaxBody bounds console bodies and inbound relay requests.
const (
	relayMaxConsoleBody = 4 << 20
	relayMaxInboundBody = 32 << 20
)

func (s *Server) relayDestinations(w http.ResponseWriter, r *http.Request) {
	list, err := s.deps.Relay.ListDestinations(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"destinations": list})
}

func (s *Server) relayDestination(w http.ResponseWriter, r *http.Request) {
	v, err := s.deps.Relay.GetDestination(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) relayCreateDestination(w http.ResponseWriter, r *http.Request) {
	var d relay.Destination
	if err := decodeJSON(w, r, &d, relayMaxConsoleBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.deps.Relay.CreateDestination(r.Context(), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, v)
}

func (s *Server) relayUpdateDestination(w http.ResponseWriter, r *http.Request) {
	var d relay.Destination
	if err := decodeJSON(w, r, &d, relayMaxConsoleBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.deps.Relay.UpdateDestination(r.Context(), r.PathValue("id"), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) relayDeleteDestination(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Relay.DeleteDestination(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) relaySetEnabled(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decodeJSON(w, r, &body, 1<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Enabled == nil {
		s.writeError(w, r, errs.Invalid(`body must be {"enabled": true} or {"enabled": false}`))
		return
	}
	id := r.PathValue("id")
	if err := s.deps.Relay.SetEnabled(r.Context(), id, *body.Enabled, ""); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.deps.Relay.GetDestination(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) relayPreview(w http.ResponseWriter, r *http.Request) {
	var in relay.PreviewInput
	if err := decodeJSON(w, r, &in, relayMaxConsoleBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.deps.Relay.Preview(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, p)
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Invalid("query parameter %s: %q is not a non-negative integer", name, v)
	}
	return n, nil
}

func (s *Server) relayDeliveries(w http.ResponseWriter, r *http.Request) {
	list, err := s.listDeliveries(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"deliveries": list})
}

// listDeliveries applies the deliveries filters of the query string.
func (s *Server) listDeliveries(r *http.Request) ([]relay.Delivery, error) {
	q := r.URL.Query()
	before, err := queryInt(r, "before")
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return nil, err
	}
	f := relay.DeliveryFilter{
		Destination: q.Get("destination"), Status: q.Get("status"), Import: q.Get("import"), Source: q.Get("source"),
		UID: q.Get("uid"), Before: before, Limit: int(limit),
	}
	// UTC days of creation, both included, as the dashboard counts them.
	if f.From, err = dayParam("from", q.Get("from")); err != nil {
		return nil, err
	}
	if f.To, err = dayParam("to", q.Get("to")); err != nil {
		return nil, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	return s.deps.Relay.ListDeliveries(r.Context(), f)
}

// deliveryCSV is one row of the deliveries CSV export.
type deliveryCSV struct {
	ID          int64  `csv:"id"`
	UID         string `csv:"idempotency_id"`
	Destination string `csv:"destination"`
	Source      string `csv:"source"`
	Import      string `csv:"import"`
	Records     int    `csv:"records"`
	Status      string `csv:"status"`
	Reason      string `csv:"reason"`
	Attempts    int    `csv:"attempts"`
	LastCode    int    `csv:"last_status_code"`
	CreatedAt   string `csv:"created_at"`
	DoneAt      string `csv:"done_at"`
}

// relayDeliveriesCSV exports the filtered delivery list (e.g. the failed
// and dead ones) as CSV for a spreadsheet, with the same filters.
func (s *Server) relayDeliveriesCSV(w http.ResponseWriter, r *http.Request) {
	list, err := s.listDeliveries(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows := make([]deliveryCSV, len(list))
	for i, d := range list {
		rows[i] = deliveryCSV{ID: d.ID, UID: d.UID, Destination: d.DestinationID, Source: d.Source, Import: d.ImportSlug,
			Records: d.Records, Status: d.Status, Reason: d.Reason, Attempts: d.Attempts, LastCode: d.LastCode,
			CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339)}
		if d.DoneAt != nil {
			rows[i].DoneAt = d.DoneAt.UTC().Format(time.RFC3339)
		}
	}
	// gocsv fits here: the rows are typed, so the header and the column
	// order come from deliveryCSV's tags and cannot drift apart, and the
	// list is already bounded in memory. The records CSV (imports.go) has
	// columns known only at run time and streams, so it writes with
	// csvsafe.Writer directly. Both go through csvsafe.Writer, the one
	// place formula cells are neutralized; MarshalCSV takes the writer as
	// an argument and touches none of gocsv's process-wide settings.
	var buf bytes.Buffer
	cw := csvsafe.NewWriter(&buf) // cells that would run as formulas get a leading '
	if err := gocsv.MarshalCSV(rows, cw); err != nil {
		s.writeError(w, r, fmt.Errorf("export deliveries as CSV: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="fusebox-deliveries.csv"`)
	_, _ = w.Write(buf.Bytes())
}

func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.NotFound("delivery %q not found", r.PathValue("id"))
	}
	return n, nil
}

func (s *Server) relayDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.deps.Relay.GetDelivery(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, d)
}

func (s *Server) relayReplay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.deps.Relay.Replay(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, d)
}

func (s *Server) relayRetry(w http.ResponseWriter, r *http.Request) {
	var f relay.RetryFilter
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &f, 1<<16); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	n, err := s.deps.Relay.RetryFailed(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"retried": n})
}

func (s *Server) relayJobs(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	jobs, err := s.deps.Relay.ListJobs(r.Context(), int(limit))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

func (s *Server) relayStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.deps.Relay.Stats(r.Context(), r.URL.Query().Get("destination"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

func (s *Server) relaySinks(w http.ResponseWriter, r *http.Request) {
	list, err := s.deps.Sink.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"sinks": list})
}

func (s *Server) relaySink(w http.ResponseWriter, r *http.Request) {
	after, err := queryInt(r, "after")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reqs, sum, err := s.deps.Sink.Requests(r.Context(), r.PathValue("name"), after, int(limit))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The secrets to mask are read (install secrets opened) only for a
	// page that shows requests, and only those its requests can hold.
	var secrets sink.Replacer = strings.NewReplacer()
	if s.deps.Relay != nil && len(reqs) > 0 {
		secrets = s.deps.Relay.SecretMasker(r.Context(), sink.LastReceived(reqs))
	}
	// ?reveal=1 is the admin's explicit reveal of credential headers
	// (the console's Reveal credentials); known secrets stay masked.
	if r.URL.Query().Get("reveal") == "1" {
		reqs = sink.MaskSecrets(reqs, secrets)
	} else {
		reqs = sink.Mask(reqs, secrets)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"sink": sum, "requests": reqs})
}

func (s *Server) relayClearSink(w http.ResponseWriter, r *http.Request) {
	if err := s.deps.Sink.Clear(r.Context(), r.PathValue("name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// relayInbound is POST /relay/{route}: the inbound relay.
//
// It takes JSON only (Content-Type application/json or application/*+json):
// a form or text/plain post is what a page on another site can send
// without asking. Requests a browser sends from another site are refused
// unless the route lists the page's origin in inbound.allow_browser_origins.
func (s *Server) relayInbound(w http.ResponseWriter, r *http.Request) {
	route := r.PathValue("route")
	origin, err := s.deps.Relay.CheckInboundBrowser(r.Context(), route, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		s.writeError(w, r, errs.Invalid("POST /relay/%s takes JSON: send Content-Type: application/json (got %q)", route, r.Header.Get("Content-Type")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, relayMaxInboundBody))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			s.writeError(w, r, errs.TooLarge("request body is larger than the limit of %d bytes; split the records over several requests", relayMaxInboundBody))
			return
		}
		s.writeError(w, r, errs.Invalid("read request body: %v", err))
		return
	}
	tok, _ := bearer(r)
	res, err := s.deps.Relay.Inbound(r.Context(), r.PathValue("route"), relay.InboundRequest{
		Body:             body,
		OutboundURL:      strings.TrimSpace(headerOrAlias(r, relay.HeaderOutboundURL, relay.HeaderOutboundURLAlias)),
		QueryParamFields: headerOrAlias(r, relay.HeaderQueryParamFields, relay.HeaderQueryParamFieldsAlias),
		Bearer:           tok,
		Origin:           r.Header.Get("Origin"),
		FetchSite:        r.Header.Get("Sec-Fetch-Site"),
	})
	if err != nil {
		// A sync route whose destination had no free slot of its
		// concurrency or rate limit: 429 with when to try again.
		var busy *relay.BusyError
		if errors.As(err, &busy) {
			w.Header().Set("Retry-After", strconv.Itoa(busy.RetryAfterSeconds()))
		}
		s.writeError(w, r, err)
		return
	}
	if sr := res.Sync; sr != nil {
		// A sync route answers with the downstream status and body
		// (secrets masked), as the seed's relay sample server does.
		w.Header().Set("X-Fusebox-Delivery", strconv.FormatInt(sr.DeliveryID, 10))
		if sr.Status < 200 || sr.Status > 599 {
			var eb errorBody
			eb.Error.Code = errs.EUNAVAILABLE
			eb.Error.Message = "the relay could not reach the destination: " + sr.Error
			if sr.Status != 0 {
				eb.Error.Message = fmt.Sprintf("the destination answered with status %d, which the relay does not pass on", sr.Status)
			}
			s.writeJSON(w, http.StatusBadGateway, eb)
			return
		}
		if sr.ContentType != "" {
			w.Header().Set("Content-Type", sr.ContentType)
		}
		// The body is the receiver's, served from this origin: never as
		// an active page.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.WriteHeader(sr.Status)
		_, _ = w.Write(sr.Body)
		return
	}
	s.writeJSON(w, http.StatusAccepted, res.EnqueueResult)
}

// headerOrAlias reads header name, or its alias when name is absent (the
// seed's relay sample server reads its headers without the x-Osmos-
// prefix).
func headerOrAlias(r *http.Request, name, alias string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	return r.Header.Get(alias)
}

// relayInboundPreflight answers a browser's CORS preflight for a route
// that allows the page's origin; any other origin is refused.
func (s *Server) relayInboundPreflight(w http.ResponseWriter, r *http.Request) {
	origin, err := s.deps.Relay.CheckInboundBrowser(r.Context(), r.PathValue("route"), r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Add("Vary", "Origin")
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, "+relay.HeaderOutboundURL+", "+relay.HeaderQueryParamFields+", "+relay.HeaderOutboundURLAlias+", "+relay.HeaderQueryParamFieldsAlias)
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

// isJSONContentType accepts application/json and application/*+json,
// with parameters.
func isJSONContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// sinkRecord is /sink/{name}: it records any request and answers 200.
func (s *Server) sinkRecord(w http.ResponseWriter, r *http.Request) {
	req, err := s.deps.Sink.Record(r.Context(), r.PathValue("name"), r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "id": req.ID})
}
