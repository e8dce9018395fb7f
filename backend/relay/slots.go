package relay

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
	"fusebox/backend/store"
)

// A destination with a sync inbound route is sent to from two places: its
// lane (background deliveries, one worker at a time) and the sync route
// (at once, from whichever replica the sender reached). Both take a slot
// of the destination's budget in the database before each request: a row
// in relay_send_slots while the request is in flight (at most the
// destination's concurrency, one while a 429's slow minute lasts) and the
// rate limit's next slot (relay_lanes.next_send_at), in one write
// transaction, so the limits hold across workers and replicas. A sync
// request that finds no slot within Options.SyncSlotWait is refused with
// the limit error instead of going over. Destinations without a sync route
// keep the lane's budget in memory (no database round trip per request).

// DefaultSyncSlotWait is how long a sync inbound request waits for a slot
// of its destination's budget before it is refused.
const DefaultSyncSlotWait = 5 * time.Second

// slotPoll bounds how long a request waiting for a slot sleeps before it
// looks again (a slot freed by another process wakes nobody here).
const slotPoll = 25 * time.Millisecond

// sharesBudget reports whether the requests to c take their slots in the
// database: c has a sync inbound route.
func (c *compiled) sharesBudget() bool { return c.d.Inbound.Sync() }

// sendSlot is one request's hold on its destination's budget.
type sendSlot struct {
	destID string
	holder string
	at     time.Time // when the rate limit lets the request go
}

// slotRefusal says why no slot was free and when one may be.
type slotRefusal struct {
	retryAt time.Time
	paused  bool   // the destination is paused (429/503 Retry-After)
	why     string // for the limit error
}

// BusyError is the cause of the limit error (errs.ERATELIMIT) that a sync
// inbound request gets when its destination had no free slot of its
// concurrency or rate limit within the wait; RetryAfter is when to try
// again.
type BusyError struct {
	RetryAfter time.Duration
}

func (b *BusyError) Error() string {
	return fmt.Sprintf("no free slot; retry after %s", b.RetryAfter)
}

// RetryAfterSeconds is RetryAfter in whole seconds, at least 1 (the
// Retry-After header's value).
func (b *BusyError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(b.RetryAfter.Seconds())))
}

// ratePer is the interval of the rate limit in whole milliseconds (the
// unit of next_send_at), rounded up; 0 without a rate limit.
func ratePer(c *compiled) int64 {
	if c.d.RateLimit.PerSecond <= 0 {
		return 0
	}
	return max(1, int64(math.Ceil(1000/c.d.RateLimit.PerSecond)))
}

// trySlot takes a slot of destination c's budget for holder in tx, with
// the rate limit's slot no later than latest; or says why not.
func (s *Service) trySlot(ctx context.Context, tx *store.Tx, c *compiled, holder string, latest time.Time) (*sendSlot, *slotRefusal, error) {
	id := c.d.ID
	now := s.now()
	nowMs := unixMs(now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO relay_lanes (destination_id) VALUES (?) ON CONFLICT (destination_id) DO NOTHING`, id); err != nil {
		return nil, nil, fmt.Errorf("take a slot of destination %s: %w", id, err)
	}
	var paused, slow, next int64
	if err := tx.QueryRowContext(ctx, `SELECT paused_until, slow_until, next_send_at FROM relay_lanes WHERE destination_id = ?`, id).Scan(&paused, &slow, &next); err != nil {
		return nil, nil, fmt.Errorf("take a slot of destination %s: %w", id, err)
	}
	if paused > nowMs {
		return nil, &slotRefusal{retryAt: time.UnixMilli(paused), paused: true, why: pausedWhy}, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM relay_send_slots WHERE destination_id = ? AND held_until < ?`, id, nowMs); err != nil {
		return nil, nil, fmt.Errorf("take a slot of destination %s: %w", id, err)
	}
	var held int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_send_slots WHERE destination_id = ?`, id).Scan(&held); err != nil {
		return nil, nil, fmt.Errorf("take a slot of destination %s: %w", id, err)
	}
	if limit, what := slotLimit(c, slow > nowMs); held >= limit {
		return nil, &slotRefusal{retryAt: now.Add(slotPoll), why: what + ": every slot is in flight"}, nil
	}
	at := nowMs
	if per := ratePer(c); per > 0 {
		at = max(at, next)
		if at > nowMs && at > unixMs(latest) {
			return nil, &slotRefusal{retryAt: time.UnixMilli(at), why: "rate limit " + c.d.RateLimit.String()}, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE relay_lanes SET next_send_at = ? WHERE destination_id = ?`, at+per, id); err != nil {
			return nil, nil, fmt.Errorf("take a slot of destination %s: %w", id, err)
		}
	}
	// The request ends within its timeout; the minute covers a stalled
	// process. After that the slot is free whatever became of its holder.
	until := at + (c.d.EffectiveTimeout() + time.Minute).Milliseconds()
	if _, err := tx.ExecContext(ctx, `INSERT INTO relay_send_slots (destination_id, holder, held_until) VALUES (?, ?, ?)`, id, holder, until); err != nil {
		return nil, nil, fmt.Errorf("take a slot of destination %s: %w", id, err)
	}
	return &sendSlot{destID: id, holder: holder, at: time.UnixMilli(at)}, nil, nil
}

// slotLooksBusy reads (without a write transaction) why destination c
// has no free slot now, or nil when it may have one: waiting requests
// look here before they try, and hear of a pause as trySlot tells it.
func (s *Service) slotLooksBusy(ctx context.Context, c *compiled) *slotRefusal {
	now := s.now()
	nowMs := unixMs(now)
	var paused, slow int64
	var held int
	err := s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(l.paused_until), 0), COALESCE(MAX(l.slow_until), 0),
		(SELECT COUNT(*) FROM relay_send_slots WHERE destination_id = ? AND held_until >= ?)
		FROM relay_lanes l WHERE l.destination_id = ?`, c.d.ID, nowMs, c.d.ID).Scan(&paused, &slow, &held)
	if err != nil {
		return nil // let the transaction tell
	}
	if paused > nowMs {
		return &slotRefusal{retryAt: time.UnixMilli(paused), paused: true, why: pausedWhy}
	}
	if limit, what := slotLimit(c, slow > nowMs); held >= limit {
		return &slotRefusal{retryAt: now.Add(slotPoll), why: what + ": every slot is in flight"}
	}
	return nil
}

// pausedWhy is the limit error's reason for a paused destination.
const pausedWhy = "paused after the receiver's 429 or 503 with Retry-After"

// slotLimit is how many requests to c may be in flight at once, and its
// name for the limit error: one while a 429's slow minute lasts.
func slotLimit(c *compiled, slow bool) (int, string) {
	if slow {
		return 1, "one request at a time for a minute after the receiver's 429"
	}
	return c.d.EffectiveConcurrency(), fmt.Sprintf("concurrency %d", c.d.EffectiveConcurrency())
}

// acquireSlot takes a slot of destination c's budget, waiting for one
// until deadline (zero: until ctx ends). also, when not nil, runs in the
// transaction that takes it (a sync request writes its delivery there).
// Past the deadline it returns the limit error with a *BusyError; for a
// destination paused beyond the deadline it answers at once. A caller
// with no deadline gets *pausedError for a paused destination.
func (s *Service) acquireSlot(ctx context.Context, c *compiled, deadline time.Time, also func(tx *store.Tx) error) (*sendSlot, error) {
	holder := ids.New("s_")
	latest := deadline
	if latest.IsZero() {
		// The lane waits for the rate limit however long it takes; it
		// holds at most its concurrency of slots meanwhile.
		latest = s.now().Add(24 * time.Hour)
	}
	// One request of this process at a time looks for a slot of a
	// destination (the others queue here, in order): a freed slot sets off
	// one write transaction per process, not one per waiting request.
	turn := s.slotTurn(c.d.ID)
	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(max(deadline.Sub(s.now()), 0))
		defer t.Stop()
		expired = t.C
	}
	select {
	case turn <- struct{}{}:
		defer func() { <-turn }()
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-expired:
		return nil, s.busy(c, time.Second, fmt.Sprintf("concurrency %d: every slot is in flight", c.d.EffectiveConcurrency()))
	}
	for try := 0; ; try++ {
		freed := s.slotFreed.wait()
		var slot *sendSlot
		var ref *slotRefusal
		if try > 0 {
			ref = s.slotLooksBusy(ctx, c)
		}
		if ref == nil {
			err := s.db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				if slot, ref, err = s.trySlot(ctx, tx, c, holder, latest); err != nil || ref != nil {
					return err
				}
				if also != nil {
					return also(tx)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			if slot != nil {
				return slot, nil
			}
		}
		now := s.now()
		if ref.paused && deadline.IsZero() {
			return nil, &pausedError{until: ref.retryAt}
		}
		if !deadline.IsZero() && (!now.Before(deadline) || ref.retryAt.After(deadline)) {
			return nil, s.busy(c, ref.retryAt.Sub(now), ref.why)
		}
		// Sleep until a slot may be free: woken at once by a slot freed in
		// this process, after a short poll for one freed by another.
		sleep := min(ref.retryAt.Sub(now), slotPoll/2+rand.N(slotPoll))
		if !deadline.IsZero() {
			sleep = min(sleep, deadline.Sub(now))
		}
		t := time.NewTimer(max(sleep, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-freed:
		case <-t.C:
		}
		t.Stop()
	}
}

// busy is the limit error of a sync request that found no slot of
// destination c's budget: why says which limit, wait when to try again
// (at least a second).
func (s *Service) busy(c *compiled, wait time.Duration, why string) error {
	b := &BusyError{RetryAfter: max(wait, time.Second)}
	return errs.Wrap(errs.ERATELIMIT, b, "destination %s is at its limit (%s) and no request slot freed within %s; try again in %ds",
		c.d.ID, why, s.syncSlotWait, b.RetryAfterSeconds())
}

// slotTurn is the turn of the requests of this process that look for a
// slot of destination id: a channel of capacity one, held by the one
// looking.
func (s *Service) slotTurn(id string) chan struct{} {
	s.turnMu.Lock()
	defer s.turnMu.Unlock()
	ch := s.turns[id]
	if ch == nil {
		ch = make(chan struct{}, 1)
		s.turns[id] = ch
	}
	return ch
}

// pausedError: the destination is paused until until (a lane's request
// goes back to the queue).
type pausedError struct{ until time.Time }

func (p *pausedError) Error() string {
	return fmt.Sprintf("destination paused until %s", p.until.Format(time.RFC3339))
}

// releaseSlot frees a slot once its request has ended.
func (s *Service) releaseSlot(sl *sendSlot) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.db.Write.ExecContext(ctx, `DELETE FROM relay_send_slots WHERE destination_id = ? AND holder = ?`, sl.destID, sl.holder); err != nil {
		// The slot frees itself when held_until passes.
		s.log.Warn("relay: free a request slot", "destination", sl.destID, "err", err)
	}
	s.slotFreed.fire()
}
