package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints. In WAL mode a commit appends the pages it changed to the
// -wal file, and a checkpoint copies them into the database file. SQLite
// runs one inside the commit that finds the WAL at 1000 pages or more
// (wal_autocheckpoint), on the committing connection: during a long run
// of large write transactions (staging an import) that is a second write
// of every page, on the writer's critical path.
//
// DeferCheckpoints moves that work off the writer, and after the run:
// while a lease is held, the writer connection runs no automatic
// checkpoint, and when the lease is released a checkpointer goroutine
// runs a PASSIVE checkpoint on a connection of its own. An import's
// staging keeps both cores of a small machine busy (one reads and checks
// rows, one writes them), so a checkpoint beside it would take a core from
// the rows; after it, the end user is reading the review and the copy
// costs nobody anything. A long run has the checkpointer copy every
// walKickBytes of growth beside it. The WAL only starts over from its
// beginning when a write transaction begins with all of it copied, which
// a checkpointer running beside a busy writer rarely sees, so the -wal
// file grows; it stays bounded: once it reaches walCapBytes, Committed
// checkpoints on the caller's goroutine, as the writer would have done
// itself, so that the next transaction starts the WAL over, and the
// writer's journal_size_limit of 0 meanwhile has that transaction's commit
// cut the file back to what it wrote. Outside a lease the writer's
// journal_size_limit (walKeepBytes) cuts a grown -wal file back to 64 MiB
// the next time the WAL starts over.

// walCapBytes is how large the WAL may grow while checkpoints are
// deferred (a file on disk: it costs no memory, and the rows it holds take
// as much room in the database file anyway); walKickBytes is how much it
// grows before the checkpointer copies it beside a run that is still
// going (a 1M-row CSV's staging writes about 170 MB: none); walKeepBytes
// is the writer's journal_size_limit.
const (
	walCapBytes  = 512 << 20
	walKickBytes = 256 << 20
	walKeepBytes = 64 << 20
)

// checkpointer is a DB's deferred-checkpoint state (SQLite only).
type checkpointer struct {
	db *DB

	mu     sync.Mutex // guards what follows
	leases int
	closed bool
	// applied: the writer runs with walPragmas, from the first lease
	// until the checkpointer has copied the last one's WAL
	applied bool
	saved   [3]int  // the writer's walPragmas before the first lease
	conn    *sql.DB // the checkpoints' own connection, opened on first use
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}

	run       sync.Mutex   // one checkpoint at a time
	capBytes  atomic.Int64 // Committed checkpoints itself from this -wal size
	kickBytes atomic.Int64 // and has the checkpointer run after this much growth
	kicked    atomic.Int64 // the -wal size at the last kick
	runs      atomic.Int64 // checkpoints run (for tests)
}

func newCheckpointer(db *DB) *checkpointer {
	c := &checkpointer{db: db}
	c.capBytes.Store(walCapBytes)
	c.kickBytes.Store(walKickBytes)
	return c
}

// walPragmas are the writer connection's settings a lease changes, and
// the values it sets: no automatic checkpoint, and the -wal file cut back
// to what a transaction wrote once the WAL starts over (see above); and
// statement journals kept in memory (temp_store MEMORY). A multi-row
// INSERT inside a transaction, as staging and submit write, journals the
// pages it changes; past 64 KiB SQLite spills that journal to a temporary
// file, a write system call per page on the writer's path. A statement
// journal holds only the pages the statement changes that were there
// before it, a few for appended rows.
var walPragmas = [3]struct {
	name  string
	value int
}{{"wal_autocheckpoint", 0}, {"journal_size_limit", 0}, {"temp_store", 2}}

// WALLease holds automatic checkpoints off the writer connection; see
// DeferCheckpoints. Its methods do nothing on PostgreSQL.
type WALLease struct {
	c        *checkpointer
	released atomic.Bool
}

// DeferCheckpoints turns the writer connection's automatic checkpoints
// off until the lease is released, and checkpoints from a connection of
// its own instead: call Committed after each transaction the caller
// commits, and Release (deferred, so that it runs on every path) when the
// run of transactions ends. Leases nest: the writer's settings come back
// once the last one is released and the checkpointer has copied its WAL
// (back at once, the writer's next commit would copy it all itself, on
// the writer's path: 0.57 s after a 1M-row submit). Other
// writers keep using the writer connection meanwhile; Committed keeps the
// WAL bounded whoever writes. Not to be called inside a transaction (it
// waits for the writer connection).
func (db *DB) DeferCheckpoints(ctx context.Context) (*WALLease, error) {
	c := db.ckpt
	if c == nil {
		return &WALLease{}, nil // PostgreSQL: nothing to defer
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("defer checkpoints: the database is closed")
	}
	if c.conn == nil {
		conn, err := openPool(db.Path, false)
		if err != nil {
			return nil, fmt.Errorf("defer checkpoints: %w", err)
		}
		conn.SetMaxOpenConns(1)
		conn.SetMaxIdleConns(1)
		c.conn = conn
		c.kick = make(chan struct{}, 1)
		c.stop = make(chan struct{})
		c.done = make(chan struct{})
		go c.loop()
	}
	if !c.applied {
		conn, err := db.Write.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("defer checkpoints: %w", err)
		}
		defer conn.Close()
		for i, p := range walPragmas {
			if err := conn.QueryRowContext(ctx, `PRAGMA `+p.name).Scan(&c.saved[i]); err != nil {
				return nil, fmt.Errorf("defer checkpoints: read %s: %w", p.name, err)
			}
		}
		for i, p := range walPragmas {
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA %s = %d`, p.name, p.value)); err != nil {
				c.restoreOn(conn, i)
				return nil, fmt.Errorf("defer checkpoints: %w", err)
			}
		}
		c.applied = true
	}
	c.leases++
	return &WALLease{c: c}, nil
}

// Committed is called after each transaction the lease's holder commits:
// it has the checkpointer copy the WAL into the database file in the
// background, or, when the WAL has reached its cap, does so itself before
// returning. A failed checkpoint is not the caller's failure (SQLite
// ignores its automatic checkpoint's too): the next one copies the rest.
func (l *WALLease) Committed(ctx context.Context) {
	c := l.c
	if c == nil || l.released.Load() {
		return
	}
	st, err := os.Stat(c.db.Path + "-wal")
	if err != nil {
		return // no WAL: nothing to copy
	}
	size := st.Size()
	if size >= c.capBytes.Load() {
		_, _ = c.checkpoint(ctx) // all of it: the next transaction starts it over
		c.kicked.Store(0)
		return
	}
	if last := c.kicked.Load(); size < last {
		c.kicked.Store(0) // it started over
	} else if size-last < c.kickBytes.Load() {
		return
	}
	c.kicked.Store(size)
	select {
	case c.kick <- struct{}{}:
	default: // one is pending already
	}
}

// Release ends the lease: it has the checkpointer copy what the holder
// wrote and then, when no lease is left, give the writer connection its
// settings back. It waits for neither, and ignores the caller's context
// (it runs after a cancel). A second call does nothing.
func (l *WALLease) Release() {
	c := l.c
	if c == nil || l.released.Swap(true) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leases--
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// restore sets the writer connection's settings back.
func (c *checkpointer) restore() {
	conn, err := c.db.Write.Conn(context.Background())
	if err != nil {
		return // the pool is closed: so is its connection
	}
	defer conn.Close()
	c.restoreOn(conn, len(walPragmas))
}

// restoreOn sets the first n of the lease's settings back on conn. If that
// fails, the connection is closed rather than handed to the next writer
// with checkpoints off (the pool opens a new one, with SQLite's defaults).
func (c *checkpointer) restoreOn(conn *sql.Conn, n int) {
	for i, p := range walPragmas[:n] {
		if _, err := conn.ExecContext(context.Background(), fmt.Sprintf(`PRAGMA %s = %d`, p.name, c.saved[i])); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return
		}
	}
}

// loop runs a checkpoint for each kick until close. Once no lease is
// left it gives the writer connection its settings back after a checkpoint
// that copied the whole WAL: a reader still on an older snapshot holds the
// copy back, and it tries again every copyRetry, giving the settings back
// after copyGiveUp whatever is left (the writer's own checkpoints copy it).
func (c *checkpointer) loop() {
	defer close(c.done)
	var retry <-chan time.Time
	var since time.Time
	for {
		select {
		case <-c.kick:
		case <-retry:
		case <-c.stop:
			return
		}
		retry = nil
		whole, err := c.checkpoint(context.Background())
		c.mu.Lock()
		if c.leases == 0 && c.applied && !c.closed {
			if since.IsZero() {
				since = time.Now()
			}
			if (whole && err == nil) || time.Since(since) >= copyGiveUp {
				c.restore()
				c.applied = false
				since = time.Time{}
			} else {
				retry = time.After(copyRetry)
			}
		} else {
			since = time.Time{}
		}
		c.mu.Unlock()
	}
}

// copyRetry and copyGiveUp: see loop.
const (
	copyRetry  = 50 * time.Millisecond
	copyGiveUp = 30 * time.Second
)

// checkpoint runs a PASSIVE checkpoint (it copies what no reader still
// needs, without waiting for anyone) on the checkpointer's connection.
// It reports whether it copied the whole WAL.
func (c *checkpointer) checkpoint(ctx context.Context) (whole bool, err error) {
	c.run.Lock()
	defer c.run.Unlock()
	c.runs.Add(1)
	var busy, frames, copied int
	if err := c.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	return busy == 0 && copied == frames, nil
}

// close stops the checkpointer and closes its connection, before the
// writer's (Close: the writer's is the last, which checkpoints the WAL).
func (c *checkpointer) close() error {
	c.mu.Lock()
	c.closed = true
	conn := c.conn
	c.mu.Unlock() // the loop takes mu after each checkpoint
	if conn == nil {
		return nil
	}
	close(c.stop)
	<-c.done
	c.mu.Lock()
	c.conn = nil
	c.mu.Unlock()
	return conn.Close()
}
