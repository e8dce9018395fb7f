package relay

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/netguard"
	"fusebox/backend/store"
)

// The worker sends deliveries. One lane per destination with due work
// claims a batch of deliveries at a time (a lease: lease_owner and
// lease_until, renewed by a heartbeat while this process holds them), sends
// them with the destination's concurrency and rate limit, and hands the
// outcomes to one writer that records them in batched transactions: the
// single SQLite writer sees a few statements per batch, not per record.
// A process killed with -9 leaves leases that expire; the next worker
// claims those deliveries again and sends them with the same idempotency
// id (at-least-once).
//
// Several workers may share one database (the replicas of a team server on
// PostgreSQL). A lane is leased too (relay_lanes: one worker at a time
// sends to a destination, renewed by the same heartbeat), so the
// destination's concurrency and rate limit hold across workers without a
// database round trip per request; a pause after 429/503 and the rate
// limit's next slot are kept in the lane's row, so the next owner honours
// them; a 410 disables the destination in the database before the lane is
// given up. A destination with a sync inbound route is sent to by that
// route as well, so there each request (sync or the lane's) takes a slot of
// the destination's budget in the database instead (slots.go). Deliveries
// and import jobs are claimed with FOR UPDATE SKIP
// LOCKED on PostgreSQL (store.DB.SkipLocked), so workers claiming at once
// never take the same rows. Leases are compared with each process's clock:
// replicas on several machines need synchronized clocks (NTP), skewed by
// much less than the lease.

// WorkerOptions tune the worker; zero values take the defaults.
type WorkerOptions struct {
	// Lease is how long a claim is valid without a heartbeat (default
	// 15s): after a crash, claimed deliveries are sent again this long
	// after the process died.
	Lease time.Duration
	// Poll is how often idle destinations are checked for due retries
	// (default 200ms).
	Poll time.Duration
	// FlushEvery and FlushSize bound how long and how many outcomes the
	// writer collects before one transaction (defaults 25ms, 1000).
	FlushEvery time.Duration
	FlushSize  int
	// Client sends the requests (default: keep-alive transport, no
	// environment proxy, redirects not followed).
	Client *http.Client
	// OnIdle, when set, is called after every dispatch pass that left
	// no lane running: nothing was due and nothing is being sent. Tests
	// use it to check that nothing happens, instead of sleeping.
	OnIdle func()
}

// ResponseCap is how much of a response body the attempt log keeps.
const ResponseCap = 1024

// SyncResponseCap is how much of the downstream body a sync inbound route
// passes back to the sender.
const SyncResponseCap = 64 << 10

// syncMaskSlack is read beyond SyncResponseCap so that a secret that
// straddles the cap is masked before the body is cut.
const syncMaskSlack = 4 << 10

// Worker delivers queued deliveries until its context ends.
type Worker struct {
	s       *Service
	o       WorkerOptions
	owner   string
	client  *http.Client
	results chan result

	mu      sync.Mutex
	guarded map[string]*http.Client // by allowed hosts: clients through the network guard
	lanes   map[string]*lane        // the lanes this worker runs (leased in relay_lanes)
	pause   map[string]time.Time    // 429/503: no request before this time
	slow    map[string]time.Time    // 429: one request at a time until this time
	gone    map[string]bool         // 410 seen, until the destination is disabled in the database
}

// NewWorker builds a worker for s.
func (s *Service) NewWorker(o WorkerOptions) *Worker {
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 25 * time.Millisecond
	}
	if o.FlushSize <= 0 {
		o.FlushSize = 1000
	}
	if o.Client == nil {
		o.Client = NewHTTPClient()
	}
	return &Worker{
		s: s, o: o, owner: ids.New("w_"), client: o.Client,
		results: make(chan result, 4096),
		guarded: map[string]*http.Client{},
		lanes:   map[string]*lane{}, pause: map[string]time.Time{}, slow: map[string]time.Time{}, gone: map[string]bool{},
	}
}

// NewHTTPClient is the relay's default client: connections kept alive
// (many per host, for concurrency), no proxy from the environment (the
// relay talks to its destinations directly) and redirects returned as
// responses rather than followed.
func NewHTTPClient() *http.Client {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   MaxConcurrency * 2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Run expands import jobs and sends deliveries until ctx ends; then it
// waits for the requests in flight and writes their outcomes.
func (w *Worker) Run(ctx context.Context) {
	// The id is what relay_deliveries.lease_owner and relay_lanes.lane_owner
	// hold while this worker sends: it tells which replica holds what.
	w.s.log.Info("relay: worker started", "worker", w.owner)
	wctx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		w.writeLoop(wctx)
		close(writerDone)
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.expandLoop(ctx) }()
	go func() { defer wg.Done(); w.heartbeatLoop(ctx) }()
	for {
		ch := w.s.signal.wait()
		w.dispatch(ctx, &wg)
		if w.o.OnIdle != nil && w.idle() {
			w.o.OnIdle()
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			stopWriter()
			<-writerDone
			return
		case <-ch:
		case <-time.After(w.o.Poll):
		}
	}
}

// dispatch starts a lane for every enabled destination with due work
// whose lane no other worker holds and that is not paused.
func (w *Worker) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	ids, err := w.s.enabledDestinations(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.s.log.Warn("relay: list destinations", "err", err)
		}
		return
	}
	now := w.s.now()
	for _, id := range ids {
		w.mu.Lock()
		busy := w.lanes[id] != nil || w.pause[id].After(now) || w.gone[id]
		w.mu.Unlock()
		if busy {
			continue
		}
		var one int
		err := w.s.db.Read.QueryRowContext(ctx, `SELECT 1 FROM relay_deliveries WHERE destination_id = ? AND status = 'pending' AND next_at <= ?
			AND NOT EXISTS (SELECT 1 FROM relay_lanes WHERE destination_id = ? AND (lane_until >= ? OR paused_until > ?)) LIMIT 1`,
			id, unixMs(now), id, unixMs(now), unixMs(now)).Scan(&one)
		if err != nil {
			continue // sql.ErrNoRows: nothing due, or another worker's lane, or paused
		}
		l, err := w.acquireLane(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				w.s.log.Warn("relay: take the lane of a destination", "destination", id, "err", err)
			}
			continue
		}
		if l == nil {
			continue // another worker took it first
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.runLane(ctx, l)
			w.releaseLane(l)
		}()
	}
}

// lane is a destination's lane while this worker holds it.
type lane struct {
	id     string
	bucket *bucket     // the rate limit (nil: none)
	lost   atomic.Bool // the heartbeat found the lease taken over
}

// acquireLane leases the lane of destination id to this worker; nil when
// another worker holds it or the destination is paused. The pause and the
// rate limit's next slot left by the lane's last owner are taken over.
func (w *Worker) acquireLane(ctx context.Context, id string) (*lane, error) {
	c, err := w.s.destination(ctx, id)
	if err != nil || !c.enabled {
		return nil, err
	}
	now := unixMs(w.s.now())
	var slow, next int64
	err = w.s.db.Write.QueryRowContext(ctx, `INSERT INTO relay_lanes (destination_id, lane_owner, lane_until) VALUES (?, ?, ?)
		ON CONFLICT (destination_id) DO UPDATE SET lane_owner = excluded.lane_owner, lane_until = excluded.lane_until
		WHERE relay_lanes.lane_until < ? AND relay_lanes.paused_until <= ?
		RETURNING slow_until, next_send_at`,
		id, w.owner, unixMs(w.s.now().Add(w.o.Lease)), now, now).Scan(&slow, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lease the lane: %w", err)
	}
	l := &lane{id: id, bucket: newBucket(c.d.RateLimit.PerSecond)}
	if l.bucket != nil && next > now {
		l.bucket.next = time.UnixMilli(next)
	}
	w.mu.Lock()
	w.lanes[id] = l
	if slow > now {
		w.slow[id] = time.UnixMilli(slow)
	} else {
		delete(w.slow, id)
	}
	w.mu.Unlock()
	return l, nil
}

// releaseLane gives the lane up once its requests have ended, leaving the
// rate limit's next slot to the next owner.
func (w *Worker) releaseLane(l *lane) {
	var next int64
	if l.bucket != nil {
		l.bucket.mu.Lock()
		next = unixMs(l.bucket.next)
		l.bucket.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The later of the two next slots: requests that took theirs in the
	// database (slots.go) may have moved it past this lane's bucket.
	if _, err := w.s.db.Write.ExecContext(ctx, `UPDATE relay_lanes SET lane_owner = '', lane_until = 0,
		next_send_at = CASE WHEN next_send_at > ? THEN next_send_at ELSE ? END WHERE destination_id = ? AND lane_owner = ?`,
		next, next, l.id, w.owner); err != nil {
		// The lease expires by itself.
		w.s.log.Warn("relay: give up the lane of a destination", "destination", l.id, "err", err)
	}
	w.mu.Lock()
	if w.lanes[l.id] == l {
		delete(w.lanes, l.id)
	}
	w.mu.Unlock()
}

// idle reports whether no lane is running.
func (w *Worker) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lanes) == 0
}

func (w *Worker) pausedUntil(id string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pause[id]
}

func (w *Worker) isGone(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone[id]
}

func (w *Worker) isSlow(id string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slow[id].After(now)
}

// slowDown pauses a destination until until and sends one request at a
// time for a minute after (429 Too Many Requests). The lane's row keeps
// both, for the workers that send to the destination next.
func (w *Worker) slowDown(id string, until time.Time, serial bool) {
	w.mu.Lock()
	if until.After(w.pause[id]) {
		w.pause[id] = until
	}
	var slowUntil time.Time
	if serial {
		slowUntil = until.Add(time.Minute)
		w.slow[id] = slowUntil
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, sl := unixMs(until), int64(0)
	if serial {
		sl = unixMs(slowUntil)
	}
	_, err := w.s.db.Write.ExecContext(ctx, `UPDATE relay_lanes SET paused_until = CASE WHEN paused_until > ? THEN paused_until ELSE ? END,
		slow_until = CASE WHEN slow_until > ? THEN slow_until ELSE ? END WHERE destination_id = ?`, p, p, sl, sl, id)
	if err != nil {
		w.s.log.Warn("relay: record the pause of a destination", "destination", id, "err", err)
	}
}

// runLane sends the due deliveries of one destination while this worker
// holds its lane.
func (w *Worker) runLane(ctx context.Context, l *lane) {
	id := l.id
	c, err := w.s.destination(ctx, id)
	if err != nil || !c.enabled {
		return
	}
	conc := c.d.EffectiveConcurrency()
	sem := make(chan struct{}, conc)
	var serial sync.Mutex
	bucket := l.bucket
	claimN := conc * 2
	if c.d.Batch == 0 {
		claimN = min(512, conc*64)
	}
	defer func() { // wait for the requests in flight
		for range conc {
			sem <- struct{}{}
		}
	}()
	for ctx.Err() == nil {
		if c, err = w.s.destination(ctx, id); err != nil || !c.enabled || w.isGone(id) || l.lost.Load() {
			return
		}
		if until := w.pausedUntil(id); until.After(w.s.now()) {
			if !sleepCtx(ctx, until.Sub(w.s.now())) {
				return
			}
			continue
		}
		qs, err := w.claim(ctx, id, claimN)
		if err != nil {
			if ctx.Err() == nil {
				w.s.log.Warn("relay: claim deliveries", "destination", id, "err", err)
			}
			return
		}
		if len(qs) == 0 {
			return
		}
		for i, q := range qs {
			release := func() {
				next := w.pausedUntil(id)
				for _, r := range qs[i:] {
					w.results <- result{id: r.id, destID: id, outcome: outcomeReleased, nextAt: unixMs(next)}
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				release()
				return
			}
			if w.pausedUntil(id).After(w.s.now()) {
				<-sem
				release()
				break
			}
			if w.isGone(id) || l.lost.Load() {
				<-sem
				release()
				return
			}
			if cur, err := w.s.destination(ctx, id); err != nil || !cur.enabled {
				<-sem
				release()
				return
			}
			// A destination with a sync route takes each request's rate
			// slot in the database, with the sync requests (deliver).
			if !c.sharesBudget() {
				if err := bucket.wait(ctx); err != nil {
					<-sem
					release()
					return
				}
			}
			slow := w.isSlow(id, w.s.now())
			if slow {
				serial.Lock()
			}
			go func(c *compiled, q *queued) {
				defer func() {
					if slow {
						serial.Unlock()
					}
					<-sem
				}()
				w.results <- w.deliver(ctx, c, q)
			}(c, q)
		}
	}
}

// claim leases up to n due deliveries of destination id.
func (w *Worker) claim(ctx context.Context, id string, n int) ([]*queued, error) {
	now := w.s.now()
	rows, err := w.s.db.Write.QueryContext(ctx, `UPDATE relay_deliveries SET lease_owner = ?, lease_until = ?
		WHERE id IN (SELECT id FROM relay_deliveries WHERE destination_id = ? AND status = 'pending' AND next_at <= ? AND lease_until < ?
			ORDER BY next_at, id LIMIT ?`+w.s.db.SkipLocked()+`)
		RETURNING id, uid, records, attempts, round, reserved, url, query, headers, body`,
		w.owner, unixMs(now.Add(w.o.Lease)), id, unixMs(now), unixMs(now), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*queued
	for rows.Next() {
		q := &queued{}
		var reserved int
		if err := rows.Scan(&q.id, &q.uid, &q.records, &q.attempts, &q.round, &reserved, &q.url, &q.query, &q.headers, &q.body); err != nil {
			return nil, err
		}
		q.reserved = reserved != 0
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// Outcomes of one attempt.
const (
	outcomeDelivered = "delivered"
	outcomeRetry     = "retry"
	outcomeFailed    = "failed"
	outcomeDead      = "dead"
	outcomeHeld      = "held"
	outcomeReleased  = "released" // not attempted (shutdown, pause): back to the queue
)

type result struct {
	id       int64
	destID   string
	outcome  string
	attempt  int
	round    int
	nextAt   int64
	code     int
	started  time.Time
	dur      time.Duration
	errMsg   string
	response string
	reason   string
	reserved bool
	disable  string
	// For a sync inbound delivery: the downstream body (capped, secrets
	// masked) and Content-Type.
	body        []byte
	contentType string
}

// deliver makes one attempt at delivery q.
func (w *Worker) deliver(ctx context.Context, c *compiled, q *queued) result {
	start := w.s.now()
	r := result{id: q.id, destID: c.d.ID, attempt: q.attempts + 1, round: q.round + 1, started: start, reserved: q.reserved}
	defer func() {
		if q.slot != nil {
			w.s.releaseSlot(q.slot)
			q.slot = nil
		}
	}()
	if c.ownerID != "" && !q.reserved && w.s.limiter != nil {
		if err := w.s.limiter.Reserve(ctx, c.ownerID, max(1, q.records)); err != nil {
			if ctx.Err() != nil {
				return result{id: q.id, destID: c.d.ID, outcome: outcomeReleased}
			}
			if errs.Is(err, errs.ELIMIT) {
				r.outcome, r.reason, r.errMsg = outcomeHeld, "plan limit: "+errs.Message(err), errs.Message(err)
				return r
			}
			return w.retry(c, r, "checking the plan limit failed: "+err.Error(), 0)
		}
		r.reserved = true
	}
	o, berr := w.s.buildRequest(ctx, c, q, false, start)
	if berr != nil {
		if berr.retry {
			return w.retry(c, r, berr.msg, 0)
		}
		r.outcome, r.reason, r.errMsg = outcomeFailed, berr.msg, berr.msg
		return r
	}
	timeout := c.d.EffectiveTimeout()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, o.method, o.url, bytes.NewReader(o.body))
	if err != nil {
		msg := "the destination URL is not valid"
		r.outcome, r.reason, r.errMsg = outcomeFailed, msg, msg
		return r
	}
	setHeaders(req, o.headers)
	if o.self {
		req.Header.Set(SelfHeader, w.s.self)
	}
	client, err := w.clientFor(ctx, c, q)
	if err != nil {
		return w.retry(c, r, "reading the hosts allowed for end users' URLs failed: "+err.Error(), 0)
	}
	if q.slot == nil && c.sharesBudget() {
		// A lane's request to a destination with a sync route: take a slot
		// of the budget the sync requests share (a sync request brings
		// its own).
		sl, err := w.s.acquireSlot(ctx, c, time.Time{}, nil)
		var p *pausedError
		switch {
		case ctx.Err() != nil:
			return result{id: q.id, destID: c.d.ID, outcome: outcomeReleased}
		case errors.As(err, &p):
			w.mu.Lock()
			if p.until.After(w.pause[c.d.ID]) {
				w.pause[c.d.ID] = p.until
			}
			w.mu.Unlock()
			return result{id: q.id, destID: c.d.ID, outcome: outcomeReleased, nextAt: unixMs(p.until)}
		case err != nil:
			return w.retry(c, r, "taking a request slot of the destination failed: "+err.Error(), 0)
		}
		q.slot = sl
	}
	if q.slot != nil {
		// The rate limit's slot may be a little ahead.
		if !sleepCtx(ctx, q.slot.at.Sub(w.s.now())) {
			return result{id: q.id, destID: c.d.ID, outcome: outcomeReleased}
		}
		start = w.s.now()
		r.started = start
	}
	resp, err := client.Do(req)
	r.dur = w.s.now().Sub(start)
	if err != nil {
		if ctx.Err() != nil {
			return result{id: q.id, destID: c.d.ID, outcome: outcomeReleased}
		}
		if netguard.IsBlocked(err) {
			msg := "refused: " + blockedMessage(err)
			r.outcome, r.reason, r.errMsg = outcomeFailed, msg, msg
			return r
		}
		return w.retry(c, r, transportError(err, rctx, timeout), 0)
	}
	r.code = resp.StatusCode
	limit := int64(ResponseCap)
	if q.sync {
		limit = SyncResponseCap + syncMaskSlack
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	r.dur = w.s.now().Sub(start)
	r.response = o.mask(strings.ToValidUTF8(string(head[:min(len(head), ResponseCap)]), "\uFFFD"))
	if q.sync {
		body := o.mask(string(head))
		r.body, r.contentType = []byte(body[:min(len(body), SyncResponseCap)]), resp.Header.Get("Content-Type")
	}
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), w.s.now())
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		r.outcome, r.reason = outcomeDelivered, ""
		return r
	case code == http.StatusGone:
		msg := fmt.Sprintf("the receiver answered 410 Gone; destination %s was disabled", c.d.ID)
		r.outcome, r.reason, r.errMsg, r.disable = outcomeFailed, msg, "410 Gone", "the receiver answered 410 Gone at "+store.Now()+"; enable the destination again once the receiver is back"
		w.mu.Lock()
		w.gone[c.d.ID] = true
		w.mu.Unlock()
		// Disabled now, not with the next batch of outcomes, so that no
		// worker takes the lane over and sends again meanwhile; on error
		// the writer tries again.
		if w.disable(c.d.ID, r.disable) == nil {
			r.disable = ""
		}
		return r
	case code == http.StatusTooManyRequests:
		delay := retryAfter
		if delay <= 0 {
			delay = w.scheduleDelay(c, r.round)
		}
		w.slowDown(c.d.ID, w.s.now().Add(delay), true)
		return w.retry(c, r, "429 Too Many Requests", delay)
	case code == http.StatusRequestTimeout || code == 425 || code >= 500:
		if code == http.StatusServiceUnavailable && retryAfter > 0 {
			w.slowDown(c.d.ID, w.s.now().Add(retryAfter), false)
		}
		return w.retry(c, r, fmt.Sprintf("HTTP %d %s", code, http.StatusText(code)), retryAfter)
	case code >= 300 && code < 400:
		msg := fmt.Sprintf("HTTP %d redirect to %q: the relay does not follow redirects; fix the destination URL", code, resp.Header.Get("Location"))
		r.outcome, r.reason, r.errMsg = outcomeFailed, msg, msg
		return r
	default:
		msg := fmt.Sprintf("HTTP %d %s: the receiver refused the request (not retried)", code, http.StatusText(code))
		r.outcome, r.reason, r.errMsg = outcomeFailed, msg, msg
		return r
	}
}

// clientFor picks the client of a delivery. URLs whose host an end user
// chose (a sender's x-Osmos-Outbound-Url, a guarded marketplace route)
// go through the network guard; URLs an admin wrote do not (they may
// point at this machine, like the demo's /sink).
func (w *Worker) clientFor(ctx context.Context, c *compiled, q *queued) (*http.Client, error) {
	var hosts []string
	switch {
	case q.url != "" && q.url != c.d.URL:
		if c.d.Inbound != nil {
			hosts = c.d.Inbound.PrivateHosts
		}
	case c.d.Guarded:
		if w.s.allowed != nil {
			h, err := w.s.allowed(ctx)
			if err != nil {
				return nil, err
			}
			hosts = h
		}
	default:
		return w.client, nil
	}
	hosts = slices.Clone(hosts)
	slices.Sort(hosts)
	key := strings.Join(hosts, "\n")
	w.mu.Lock()
	defer w.mu.Unlock()
	if cl := w.guarded[key]; cl != nil {
		return cl, nil
	}
	// Connections are pooled per client, so each allowlist has its own:
	// a connection opened for an allowed host is never reused by a
	// request that does not allow it.
	if len(w.guarded) >= maxGuardedClients {
		for k, cl := range w.guarded {
			cl.CloseIdleConnections()
			delete(w.guarded, k)
		}
	}
	cl := netguard.New(hosts).Client()
	w.guarded[key] = cl
	return cl, nil
}

// maxGuardedClients bounds the guarded clients a worker keeps (one per
// distinct allowlist).
const maxGuardedClients = 64

func blockedMessage(err error) string {
	var b *netguard.BlockedError
	if errors.As(err, &b) {
		return b.Error()
	}
	return err.Error()
}

// retry schedules the next attempt (after delay when > 0, else the
// destination's schedule with jitter), or gives up when the schedule is
// used up.
func (w *Worker) retry(c *compiled, r result, msg string, delay time.Duration) result {
	r.errMsg = msg
	if r.round > len(c.schedule) {
		r.outcome = outcomeDead
		r.reason = fmt.Sprintf("%s; gave up after %d attempts", msg, r.round)
		return r
	}
	if delay <= 0 {
		delay = w.scheduleDelay(c, r.round)
	}
	r.outcome, r.reason = outcomeRetry, msg
	r.nextAt = unixMs(w.s.now().Add(delay))
	return r
}

// scheduleDelay is the schedule's delay before retry n (1-based), with
// ±20% jitter so retries of many deliveries spread out.
func (w *Worker) scheduleDelay(c *compiled, n int) time.Duration {
	if len(c.schedule) == 0 {
		return time.Second
	}
	d := c.schedule[min(n, len(c.schedule))-1]
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// transportError describes a failed request without its URL (which may
// hold a secret).
func transportError(err error, rctx context.Context, timeout time.Duration) string {
	if errors.Is(rctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		if oe.Err != nil {
			return fmt.Sprintf("%s: %v", oe.Op, oe.Err)
		}
	}
	return err.Error()
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when
// absent or invalid. It is capped at a day.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 {
			return 0
		}
		d = time.Duration(n * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, 24*time.Hour)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// bucket is a token bucket rate limiter (burst 1); nil is unlimited.
type bucket struct {
	mu   sync.Mutex
	per  time.Duration
	next time.Time
}

func newBucket(perSecond float64) *bucket {
	if perSecond <= 0 {
		return nil
	}
	return &bucket{per: time.Duration(float64(time.Second) / perSecond)}
}

func (b *bucket) wait(ctx context.Context) error {
	if b == nil {
		return ctx.Err()
	}
	b.mu.Lock()
	now := time.Now()
	at := b.next
	if at.Before(now) {
		at = now
	}
	b.next = at.Add(b.per)
	b.mu.Unlock()
	if !sleepCtx(ctx, at.Sub(now)) {
		return ctx.Err()
	}
	return nil
}

// ---- the writer ----

func (w *Worker) writeLoop(ctx context.Context) {
	var batch []result
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := w.write(batch); err != nil {
			w.s.log.Error("relay: record delivery outcomes", "n", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case r := <-w.results:
			batch = append(batch, r)
			if len(batch) >= w.o.FlushSize {
				flush()
			} else if !armed {
				timer.Reset(w.o.FlushEvery)
				armed = true
			}
		case <-timer.C:
			armed = false
			flush()
		case <-ctx.Done():
			for {
				select {
				case r := <-w.results:
					batch = append(batch, r)
					continue
				default:
				}
				break
			}
			flush()
			return
		}
	}
}

// outcomeKey groups outcomes that write the same values, so one UPDATE
// ... WHERE id IN (...) records them all (the common case: every request
// of a flush delivered on its first attempt).
type outcomeKey struct {
	released bool
	status   string
	reason   string
	attempt  int
	round    int
	next     int64
	reserved int
	code     int
	done     string
}

// write records a batch of outcomes in one transaction.
func (w *Worker) write(batch []result) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := w.s.now()
	ts := store.FormatTime(now)
	var keys []outcomeKey
	groups := map[outcomeKey][]result{}
	var disabled []string
	for _, r := range batch {
		var k outcomeKey
		if r.outcome == outcomeReleased {
			k = outcomeKey{released: true, next: r.nextAt}
		} else {
			k = outcomeKey{status: StatusPending, reason: r.reason, attempt: r.attempt, round: r.round, next: r.nextAt, reserved: boolInt(r.reserved), code: r.code}
			switch r.outcome {
			case outcomeDelivered:
				k.status, k.done = StatusDelivered, ts
			case outcomeFailed:
				k.status, k.done = StatusFailed, ts
			case outcomeDead:
				k.status, k.done = StatusDead, ts
			case outcomeHeld:
				k.status = StatusHeld
			}
			if r.disable != "" {
				disabled = append(disabled, r.destID)
			}
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	err := w.s.db.Tx(ctx, func(tx *store.Tx) error {
		var attempts []result
		for _, k := range keys {
			rs := groups[k]
			for start := 0; start < len(rs); start += 500 {
				chunk := rs[start:min(start+500, len(rs))]
				ids := make([]any, len(chunk))
				for i, r := range chunk {
					ids[i] = r.id
				}
				in := "(?" + strings.Repeat(",?", len(chunk)-1) + ")"
				var res sql.Result
				var err error
				if k.released {
					_, err = tx.ExecContext(ctx, `UPDATE relay_deliveries SET lease_owner = '', lease_until = 0,
						next_at = CASE WHEN next_at > ? THEN next_at ELSE ? END WHERE lease_owner = ? AND id IN `+in,
						append([]any{k.next, k.next, w.owner}, ids...)...)
					if err != nil {
						return fmt.Errorf("release deliveries: %w", err)
					}
					continue
				}
				res, err = tx.ExecContext(ctx, `UPDATE relay_deliveries SET status = ?, reason = ?, attempts = ?, round = ?, next_at = ?,
					lease_owner = '', lease_until = 0, reserved = ?, last_code = ?, updated_at = ?, done_at = ? WHERE lease_owner = ? AND id IN `+in,
					append([]any{k.status, k.reason, k.attempt, k.round, k.next, k.reserved, k.code, ts, k.done, w.owner}, ids...)...)
				if err != nil {
					return fmt.Errorf("record deliveries: %w", err)
				}
				if n, _ := res.RowsAffected(); int(n) == len(chunk) {
					attempts = append(attempts, chunk...)
					continue
				}
				// Some were deleted with their destination meanwhile (or
				// their lease was lost to another worker, which now owns
				// them): log attempts only for deliveries that still exist.
				rows, err := tx.QueryContext(ctx, `SELECT id FROM relay_deliveries WHERE id IN `+in, ids...)
				if err != nil {
					return fmt.Errorf("record deliveries: %w", err)
				}
				exist := map[int64]bool{}
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						rows.Close()
						return fmt.Errorf("record deliveries: %w", err)
					}
					exist[id] = true
				}
				rows.Close()
				for _, r := range chunk {
					if exist[r.id] {
						attempts = append(attempts, r)
					}
				}
			}
		}
		for _, r := range batch {
			if r.disable != "" {
				if _, err := tx.ExecContext(ctx, disableDestination, r.disable, ts, r.destID); err != nil {
					return fmt.Errorf("disable destination %s: %w", r.destID, err)
				}
			}
		}
		return insertAttempts(ctx, tx, attempts)
	})
	if len(disabled) > 0 {
		w.s.changed()
		if err == nil {
			w.mu.Lock()
			for _, id := range disabled {
				delete(w.gone, id)
			}
			w.mu.Unlock()
		}
	}
	return err
}

// disableDestination disables a destination after a 410 Gone: $1 the
// reason, $2 the time, $3 the destination's id.
const disableDestination = `UPDATE relay_destinations SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?`

// disable disables destination id after a 410 Gone.
func (w *Worker) disable(id, reason string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := w.s.db.Write.ExecContext(ctx, disableDestination, reason, store.Now(), id); err != nil {
		w.s.log.Error("relay: disable destination after 410 Gone", "destination", id, "err", err)
		return err
	}
	w.s.changed()
	w.mu.Lock()
	delete(w.gone, id)
	w.mu.Unlock()
	return nil
}

func insertAttempts(ctx context.Context, tx *store.Tx, rs []result) error {
	const perStmt = 200
	for start := 0; start < len(rs); start += perStmt {
		chunk := rs[start:min(start+perStmt, len(rs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO relay_attempts (delivery_id, n, started_at, duration_ms, status_code, outcome, error, response) VALUES `)
		args := make([]any, 0, len(chunk)*8)
		for i, r := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?)")
			args = append(args, r.id, r.attempt, store.FormatTime(r.started), r.dur.Milliseconds(), r.code, r.outcome, r.errMsg, r.response)
		}
		q.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("record attempts: %w", err)
		}
	}
	return nil
}

// ---- heartbeat and expansion ----

// heartbeatLoop renews the leases this worker holds.
func (w *Worker) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(w.o.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		until := unixMs(w.s.now().Add(w.o.Lease))
		w.mu.Lock()
		running := make([]*lane, 0, len(w.lanes))
		for _, l := range w.lanes {
			running = append(running, l)
		}
		w.mu.Unlock()
		renewed := map[string]bool{}
		err := w.s.db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE relay_deliveries SET lease_until = ? WHERE lease_owner = ? AND status = 'pending'`, until, w.owner); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE relay_jobs SET lease_until = ? WHERE lease_owner = ? AND status = 'pending'`, until, w.owner); err != nil {
				return err
			}
			if len(running) == 0 {
				return nil
			}
			rows, err := tx.QueryContext(ctx, `UPDATE relay_lanes SET lane_until = ? WHERE lane_owner = ? RETURNING destination_id`, until, w.owner)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				renewed[id] = true
			}
			return rows.Err()
		})
		if err != nil {
			if ctx.Err() == nil {
				w.s.log.Warn("relay: renew leases", "err", err)
			}
			continue
		}
		// A lane whose lease ran out (this process stalled longer than the
		// lease) may be another worker's now: stop sending to it.
		for _, l := range running {
			if !renewed[l.id] {
				l.lost.Store(true)
			}
		}
	}
}

// expandLoop turns import jobs into deliveries, one job at a time.
func (w *Worker) expandLoop(ctx context.Context) {
	for ctx.Err() == nil {
		ch := w.s.signal.wait()
		if w.s.records != nil {
			j, err := w.s.claimJob(ctx, w.owner, w.o.Lease)
			if err != nil && ctx.Err() == nil {
				w.s.log.Warn("relay: claim import job", "err", err)
			}
			if j != nil {
				if err := w.s.expandJob(ctx, w.owner, w.o.Lease, j); err != nil && ctx.Err() == nil {
					w.s.log.Warn("relay: expand import job", "job", j.id, "import", j.importSlug, "destination", j.destID, "err", err)
					w.s.releaseJob(context.WithoutCancel(ctx), j, w.owner, 5*time.Second, err.Error())
				}
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		case <-time.After(w.o.Poll * 5):
		}
	}
}
