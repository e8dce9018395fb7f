package relay

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/netguard"
	"fusebox/backend/store"
)

// The inbound relay is the seed's pattern ("host a small server that moves
// param fields into headers and query params and injects secrets") run in
// process: a sender posts a record or an array of records to
// POST /relay/{route}; the destination whose inbound.route is {route}
// shapes them and delivers them, durably, to its URL or to the URL the
// sender names in x-Osmos-Outbound-Url — only when that URL is on the
// route's allowlist, so the relay is never an open proxy.

// Seed headers understood by the inbound relay, and the names the seed's
// relay sample server reads them by (aliases, same meaning).
const (
	HeaderOutboundURL      = "X-Osmos-Outbound-Url"
	HeaderQueryParamFields = "X-Osmos-Query-Param-Fields"

	HeaderOutboundURLAlias      = "Outbound-Url"
	HeaderQueryParamFieldsAlias = "Query-Param-Fields"
)

// InboundRequest is what the HTTP layer hands to HandleInbound.
type InboundRequest struct {
	Body             []byte
	OutboundURL      string // x-Osmos-Outbound-Url
	QueryParamFields string // x-Osmos-Query-Param-Fields (comma-separated)
	Bearer           string // Authorization: Bearer token, if any
	// Origin and FetchSite are the browser's Origin and Sec-Fetch-Site
	// headers ("" when absent): requests from other sites are refused
	// unless the route allows their origin.
	Origin    string
	FetchSite string
}

// normalizeOrigin validates a web origin: scheme://host[:port], http or
// https, nothing else.
func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.Contains(u.Host, "*") {
		return "", fmt.Errorf("%q is not an origin; want scheme://host[:port] such as https://app.example.com", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// checkBrowser refuses a request a browser sent from another site, unless
// the route allows its origin; it returns the allowed origin (for CORS
// answers), or "" for a request that is not cross-site (no Origin,
// Sec-Fetch-Site none or same-origin: a server, a script, this server's
// own pages).
func checkBrowser(d *Destination, route, origin, fetchSite string) (string, error) {
	origin = strings.TrimSpace(origin)
	site := strings.ToLower(strings.TrimSpace(fetchSite))
	if site == "same-origin" {
		return "", nil
	}
	var allowed []string
	if d.Inbound != nil {
		allowed = d.Inbound.AllowBrowserOrigins
	}
	if origin != "" {
		if n, err := normalizeOrigin(origin); err == nil && slices.Contains(allowed, n) {
			return n, nil
		}
		return "", errs.Forbidden("relay route %q does not take requests from web pages of %s; list the origin in inbound.allow_browser_origins to allow it", route, origin)
	}
	if site == "cross-site" || site == "same-site" {
		return "", errs.Forbidden("relay route %q does not take requests that a browser sends from another site (Sec-Fetch-Site: %s); list the page's origin in inbound.allow_browser_origins to allow it", route, site)
	}
	return "", nil
}

// CheckInboundBrowser checks a browser request (or preflight) to route
// against its allow_browser_origins and returns the origin to allow in
// CORS answers ("" when the request is not cross-site).
func (s *Service) CheckInboundBrowser(ctx context.Context, route, origin, fetchSite string) (string, error) {
	d, err := s.inboundRoute(ctx, route)
	if err != nil {
		return "", err
	}
	return checkBrowser(d, route, origin, fetchSite)
}

// inboundRoute returns the destination whose inbound.route is route.
func (s *Service) inboundRoute(ctx context.Context, route string) (*Destination, error) {
	var id string
	err := s.db.Read.QueryRowContext(ctx, `SELECT id FROM relay_destinations WHERE inbound_route = ?`, route).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("no relay route %q; a destination opens one with inbound: {route: %s, allowed_urls: [...]}", route, route)
	}
	if err != nil {
		return nil, fmt.Errorf("relay route %s: %w", route, err)
	}
	c, err := s.destination(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.d.Inbound == nil {
		return nil, errs.NotFound("no relay route %q", route)
	}
	if !c.enabled {
		// A disabled destination's route is closed: nothing is queued
		// for it (the demo's open route is disabled when the demo ends).
		return nil, errs.Forbidden("relay route %q is closed: destination %s is disabled (%s); enable it in the console (Relay)", route, c.d.ID, c.disabledReason)
	}
	return &c.d, nil
}

// HandleInbound queues the records of an inbound request on route (a
// sync route sends them at once; see Inbound for its answer).
func (s *Service) HandleInbound(ctx context.Context, route string, in InboundRequest) (EnqueueResult, error) {
	res, err := s.Inbound(ctx, route, in)
	return res.EnqueueResult, err
}

// InboundResult is what an inbound request did: the records queued, and
// for a route in sync mode the downstream answer.
type InboundResult struct {
	EnqueueResult
	Sync *SyncResponse
}

// SyncResponse is the downstream answer a sync route passes back to the
// sender.
type SyncResponse struct {
	DeliveryID int64
	// Status is the downstream status code; 0 when no answer came (Error
	// says why).
	Status      int
	ContentType string
	// Body is the downstream body, at most SyncResponseCap bytes, with the
	// secrets the request carried masked (as in the attempt log).
	Body  []byte
	Error string
}

// Inbound handles an inbound request on route: durable routes queue the
// records (the worker delivers them); sync routes send the one request at
// once and return the downstream answer.
func (s *Service) Inbound(ctx context.Context, route string, in InboundRequest) (InboundResult, error) {
	d, err := s.inboundRoute(ctx, route)
	if err != nil {
		return InboundResult{}, err
	}
	records, o, err := s.inboundRecords(d, route, in)
	if err != nil {
		return InboundResult{}, err
	}
	if d.Inbound.Sync() {
		return s.sendSync(ctx, d.ID, records, o)
	}
	res, err := s.EnqueueRecords(ctx, d.ID, records, o)
	return InboundResult{EnqueueResult: res}, err
}

// syncWorker is the worker that sends sync routes' deliveries: the same
// sending code as the background worker (headers, secrets, signing, the
// network guard for sender-chosen URLs), under its own lease owner.
func (s *Service) syncWorker() *Worker {
	s.syncOnce.Do(func() { s.syncW = s.NewWorker(WorkerOptions{}) })
	return s.syncW
}

// sendSync sends the one request of a sync route's inbound request at
// once. The delivery is written to the outbox first, leased to the sync
// worker in the same transaction (so the background worker leaves it
// alone), and its attempt is recorded as the worker records one; it is
// not retried: the sender has the answer and retries itself, as with the
// seed's sample server. If the sender goes away mid-request, the lease is
// released and the background worker delivers it. The request counts
// against the destination's concurrency and rate limit with the lane's
// and every replica's: when no slot frees within Options.SyncSlotWait the
// sender gets the limit error (429 with Retry-After) and nothing is
// queued.
func (s *Service) sendSync(ctx context.Context, destID string, records [][]byte, o EnqueueOptions) (InboundResult, error) {
	p, err := s.PrepareRecords(ctx, destID, records, o)
	if err != nil {
		return InboundResult{}, err
	}
	if len(p.ds) != 1 {
		return InboundResult{}, errs.Invalid("relay route of %s is in sync mode: it sends one request per inbound request and answers with the downstream status; send one record per request (got %d records, which make %d requests)", destID, len(records), len(p.ds))
	}
	if p.ds[0].status == StatusDiscarded {
		if err := s.db.Tx(ctx, func(tx *store.Tx) error { return p.Write(ctx, tx) }); err != nil {
			return InboundResult{}, err
		}
		return InboundResult{}, errs.Invalid("the record was not sent: %s", p.ds[0].reason)
	}
	c, err := s.destination(ctx, destID)
	if err != nil {
		return InboundResult{}, err
	}
	w := s.syncWorker()
	q := &queued{sync: true}
	// The request takes a slot of the destination's concurrency and rate
	// limit, shared with its lane and every replica (slots.go), in the
	// transaction that writes the delivery: refused after the wait, it
	// leaves nothing queued.
	q.slot, err = s.acquireSlot(ctx, c, s.now().Add(s.syncSlotWait), func(tx *store.Tx) error {
		if err := p.Write(ctx, tx); err != nil {
			return err
		}
		var reserved int
		lease := s.now().Add(c.d.EffectiveTimeout() + time.Minute)
		err := tx.QueryRowContext(ctx, `UPDATE relay_deliveries SET lease_owner = ?, lease_until = ?
			WHERE destination_id = ? AND import_slug = ? AND seq = ? AND status = 'pending'
			RETURNING id, uid, records, attempts, round, reserved, url, query, headers, body`,
			w.owner, unixMs(lease), destID, p.slug, p.ds[0].seq).Scan(&q.id, &q.uid, &q.records, &q.attempts, &q.round, &reserved, &q.url, &q.query, &q.headers, &q.body)
		q.reserved = reserved != 0
		if err != nil {
			return fmt.Errorf("lease the sync delivery: %w", err)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return InboundResult{}, errs.Unavailable("the request was cancelled before it was sent; nothing was queued")
		}
		return InboundResult{}, err
	}
	r := w.deliver(ctx, c, q)
	switch r.outcome {
	case outcomeRetry, outcomeDead:
		r.outcome, r.nextAt = outcomeFailed, 0
		r.reason = r.errMsg + " (sync route: the sender was answered; not retried)"
	}
	if err := w.write([]result{r}); err != nil {
		s.log.Error("relay: record a sync delivery", "destination", destID, "delivery", q.id, "err", err)
	}
	res := InboundResult{EnqueueResult: p.Result}
	switch r.outcome {
	case outcomeReleased:
		return res, errs.Unavailable("the request was cancelled before the destination answered; the delivery stays queued")
	case outcomeHeld:
		return res, errs.Limit("%s", r.errMsg)
	}
	res.Sync = &SyncResponse{DeliveryID: q.id, Status: r.code, ContentType: r.contentType, Body: r.body}
	if r.code == 0 {
		res.Sync.Error = r.errMsg
	}
	return res, nil
}

// inboundRecords checks an inbound request against route d and returns
// its records and how to queue them.
func (s *Service) inboundRecords(d *Destination, route string, in InboundRequest) ([][]byte, EnqueueOptions, error) {
	if _, err := checkBrowser(d, route, in.Origin, in.FetchSite); err != nil {
		return nil, EnqueueOptions{}, err
	}
	if name := d.Inbound.Secret; name != "" {
		want, ok := s.secrets(name)
		if !ok || want == "" {
			return nil, EnqueueOptions{}, errs.Unavailable("relay route %q requires the secret %s, which is not set in the environment of the Fusebox process", route, name)
		}
		if in.Bearer == "" || subtle.ConstantTimeCompare([]byte(in.Bearer), []byte(want)) != 1 {
			return nil, EnqueueOptions{}, errs.Unauthorized("relay route %q requires Authorization: Bearer <the value of %s>", route, name)
		}
	}
	o := EnqueueOptions{Source: SourceInbound}
	if in.OutboundURL != "" {
		if err := allowedOutbound(d, in.OutboundURL); err != nil {
			return nil, EnqueueOptions{}, err
		}
		o.URL = in.OutboundURL
	}
	for _, f := range strings.Split(in.QueryParamFields, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !fieldPattern.MatchString(f) {
			return nil, EnqueueOptions{}, errs.Invalid("%s: %q is not a field name", HeaderQueryParamFields, f)
		}
		o.ExtraQueryFields = append(o.ExtraQueryFields, f)
	}
	records, err := splitRecords(in.Body)
	if err != nil {
		return nil, EnqueueOptions{}, err
	}
	if len(records) == 0 {
		return nil, EnqueueOptions{}, errs.Invalid("the request has no records: send a JSON object or a non-empty array of objects")
	}
	return records, o, nil
}

// allowedOutbound checks a sender-chosen URL against the destination's
// allowlist: the destination URL itself, or a URL under one of
// inbound.allowed_urls (same scheme, host and port; path equal or below
// the allowed path). Dot segments and encoded slashes or dots are refused,
// since a receiver could resolve them to a path outside the allowlist.
func allowedOutbound(d *Destination, raw string) error {
	t, err := url.Parse(raw)
	if err != nil || t.Host == "" || (t.Scheme != "http" && t.Scheme != "https") {
		return errs.Invalid("%s: %q is not an absolute http(s) URL", HeaderOutboundURL, raw)
	}
	if t.User != nil || t.Fragment != "" {
		return errs.Forbidden("%s: %q may not carry credentials or a fragment", HeaderOutboundURL, raw)
	}
	// A receiver (or a proxy in front of it) may decode the path more than
	// once, so every layer of percent-encoding is peeled off and checked:
	// %252e%252e is .. after two decodings.
	layer := t.EscapedPath()
	for round := 0; ; round++ {
		low := strings.ToLower(layer)
		if strings.Contains(low, "%2f") || strings.Contains(low, "%2e") || strings.Contains(low, "%5c") || strings.Contains(layer, `\`) {
			return errs.Forbidden("%s: %q has encoded slashes, backslashes or dots in its path; refused", HeaderOutboundURL, raw)
		}
		// Receivers differ in what they read as a dot segment: Tomcat and
		// Spring cut a segment at ";", others drop whitespace and control
		// characters or decode overlong UTF-8 and fullwidth dots. So the
		// path may carry only printable ASCII and spaces, at every layer,
		// and no segment may read as . or .. in any of those ways.
		for i := 0; i < len(layer); i++ {
			if c := layer[i]; c < 0x20 || c >= 0x7f {
				return errs.Forbidden("%s: %q has non-ASCII or control characters (raw or percent-encoded) in its path; refused", HeaderOutboundURL, raw)
			}
		}
		for _, seg := range strings.Split(layer, "/") {
			if netguard.LenientDotSegment(seg) {
				return errs.Forbidden("%s: %q has . or .. path segments (counting forms such as ..; or \".. \" that receivers read as ..); refused", HeaderOutboundURL, raw)
			}
		}
		next, err := url.PathUnescape(layer)
		if err != nil {
			return errs.Forbidden("%s: %q has a malformed percent-encoding in its path; refused", HeaderOutboundURL, raw)
		}
		if next == layer {
			break
		}
		if round >= maxDecodeRounds {
			return errs.Forbidden("%s: %q is percent-encoded more than %d times; refused", HeaderOutboundURL, raw, maxDecodeRounds)
		}
		layer = next
	}
	var allowed []string
	if !strings.HasPrefix(d.URL, "/") && !templateRE.MatchString(d.URL) {
		allowed = append(allowed, d.URL)
	}
	if d.Inbound != nil {
		allowed = append(allowed, d.Inbound.AllowedURLs...)
	}
	for _, a := range allowed {
		base, err := url.Parse(a)
		if err != nil {
			continue
		}
		if underBase(base, t) {
			return nil
		}
	}
	return errs.Forbidden("%s: %q is not on the allowlist of this relay route (allowed: %s); the relay is not an open proxy", HeaderOutboundURL, raw, strings.Join(allowed, ", "))
}

// maxDecodeRounds bounds how many layers of percent-encoding an outbound
// URL's path may carry.
const maxDecodeRounds = 4

func underBase(base, t *url.URL) bool {
	if !strings.EqualFold(base.Scheme, t.Scheme) || hostPort(base) != hostPort(t) {
		return false
	}
	bp := base.Path
	if bp == "" || bp == "/" {
		return true
	}
	if strings.HasSuffix(bp, "/") {
		return strings.HasPrefix(t.Path, bp)
	}
	return t.Path == bp || strings.HasPrefix(t.Path, bp+"/")
}

func hostPort(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		} else {
			port = "80"
		}
	}
	return host + ":" + port
}
