package importer

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Following progress. A progress event stream (Follow) and a Wait for a
// step another replica runs sleep until the import's progress changes
// instead of polling the database: a change wakes them through the
// process's progressHub. On SQLite (one process) the step's progress
// publisher wakes them directly; on a team server every stored change is
// announced with NOTIFY on progressChannel, and one listening connection
// per process (open while anything follows) wakes the followers of the
// import named. A follower holds no database connection while it
// sleeps; it reads the progress once per wake.

// DefaultFollowFallback is how often a follower looks again without being
// woken: a safety net for a notification lost while the listening
// connection was down, not the way changes arrive.
const DefaultFollowFallback = 5 * time.Second

// progressHub wakes the followers of an import. Each follower has a
// channel holding at most one wake: wakes that come while it reads
// coalesce into one more read.
type progressHub struct {
	mu     sync.Mutex
	subs   map[int64]map[chan struct{}]struct{}
	n      int
	listen context.CancelFunc // stops the listening connection (team server), while followers exist
}

// follow registers a follower of import id: its channel receives a wake
// whenever the import's progress may have changed. Call stop when done.
func (s *Service) follow(id int64) (wake <-chan struct{}, stop func()) {
	h := &s.hub
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[int64]map[chan struct{}]struct{}{}
	}
	if h.subs[id] == nil {
		h.subs[id] = map[chan struct{}]struct{}{}
	}
	h.subs[id][ch] = struct{}{}
	h.n++
	if h.n == 1 && s.team() {
		ctx, cancel := context.WithCancel(context.Background())
		h.listen = cancel
		go s.listenProgress(ctx)
	}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(h.subs[id], ch)
			if len(h.subs[id]) == 0 {
				delete(h.subs, id)
			}
			h.n--
			if h.n == 0 && h.listen != nil {
				h.listen()
				h.listen = nil
			}
		})
	}
}

// Followers is how many followers of import progress (event streams,
// waits for another replica's step) this process has.
func (s *Service) Followers() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.n
}

// wake wakes the followers of import id.
func (h *progressHub) wake(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[id] {
		select {
		case ch <- struct{}{}:
		default: // a wake is already pending
		}
	}
}

// wakeAll wakes every follower.
func (h *progressHub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.subs {
		for ch := range m {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// listenProgress holds the process's listening connection on
// progressChannel until ctx ends, reconnecting when it drops, and wakes
// the followers of each import announced. Once listening (again) it wakes
// every follower: what changed before LISTEN took effect is read again.
func (s *Service) listenProgress(ctx context.Context) {
	for ctx.Err() == nil {
		l, err := s.db.Listen(ctx, progressChannel)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("listen for import progress", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		s.hub.wakeAll()
		for {
			payload, err := l.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("listen for import progress", "err", err)
				}
				break
			}
			if id, err := strconv.ParseInt(payload, 10, 64); err == nil {
				s.hub.wake(id)
			}
		}
		l.Close()
	}
}

// Follow calls fn with the import's progress now and again each time it
// changes, wherever the step runs, until fn has had the final progress
// (Done), fn returns an error or ctx ends (a client that went away).
// Between changes it sleeps holding no database connection; it looks
// again every FollowFallback without a change, and then calls fn even
// when nothing changed (the elapsed time has).
func (s *Service) Follow(ctx context.Context, slug string, fn func(Progress) error) error {
	imp, err := s.loadImport(ctx, s.db.Read, slug)
	if err != nil {
		return err
	}
	wake, stop := s.follow(imp.ID)
	defer stop()
	every := s.FollowFallback
	if every <= 0 {
		every = DefaultFollowFallback
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var last Progress
	first, tick := true, false
	for {
		p, err := s.Progress(ctx, slug)
		if err != nil {
			return fmt.Errorf("follow import %s: %w", slug, err)
		}
		if first || tick || progressMoved(last, p) {
			if err := fn(p); err != nil {
				return err
			}
			first, last = false, p
		}
		if p.Done {
			return nil
		}
		tick = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
			tick = true
		}
	}
}

// progressMoved reports whether b says more than a (the elapsed time
// aside).
func progressMoved(a, b Progress) bool {
	a.ElapsedMS, b.ElapsedMS = 0, 0
	return a != b
}
