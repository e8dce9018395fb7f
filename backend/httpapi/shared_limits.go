package httpapi

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"fusebox/backend/store"
)

// sweepEvery is how often a replica deletes the buckets that are full
// again (a missing bucket is a full one).
const sweepEvery = time.Minute

// bucketSweeper deletes the full buckets of every limit (one statement
// for the whole table), at most every sweepEvery per replica: the limits
// of a server share it.
type bucketSweeper struct {
	db  *store.DB
	log *slog.Logger

	mu   sync.Mutex
	last time.Time
}

// sharedBuckets are the token buckets of one limit in the database
// (rate_buckets), for the replicas of a team server. Each take is one
// statement: the upsert refills the bucket by the time since its last
// take (on the database's clock, the same for every replica) and takes a
// token only when one is there, under the row's lock, so concurrent
// requests on any replicas never take more than the bucket holds.
type sharedBuckets struct {
	db    *store.DB
	log   *slog.Logger
	name  string
	r     float64 // tokens per second
	burst int
	sweep *bucketSweeper
}

// The statements are PostgreSQL's own (a team server's buckets are only
// ever in PostgreSQL). $1 key, $2 burst, $3 rate.
const (
	takeToken = `INSERT INTO rate_buckets AS b (key, tokens, updated_at, full_at)
SELECT $1, $2::float8 - 1, t, t + 1 / $3::float8 FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) c
ON CONFLICT (key) DO UPDATE SET
	tokens = least($2::float8, b.tokens + (excluded.updated_at - b.updated_at) * $3::float8) - 1,
	updated_at = excluded.updated_at,
	full_at = excluded.updated_at + ($2::float8 + 1 - least($2::float8, b.tokens + (excluded.updated_at - b.updated_at) * $3::float8)) / $3::float8
WHERE least($2::float8, b.tokens + (excluded.updated_at - b.updated_at) * $3::float8) >= 1
RETURNING tokens`
	tokensLeft = `SELECT least($2::float8, tokens + (extract(epoch FROM clock_timestamp()) - updated_at) * $3::float8) FROM rate_buckets WHERE key = $1`
	sweepFull  = `DELETE FROM rate_buckets WHERE full_at < extract(epoch FROM clock_timestamp())`
)

// allow takes a token of key's bucket; when none is left it reports how
// long until one is. A database that fails to answer is logged and lets
// the request through: a limit is a defence against floods, and refusing
// every request while the database is away would be one.
func (b *sharedBuckets) allow(ctx context.Context, key string) (time.Duration, bool) {
	b.sweep.sweep(ctx)
	k := b.name + " " + key
	var left float64
	err := b.db.Write.QueryRowContext(ctx, takeToken, k, float64(b.burst), b.r).Scan(&left)
	if err == nil {
		return 0, true
	}
	if !errors.Is(err, sql.ErrNoRows) {
		b.log.ErrorContext(ctx, "rate limit: take a token", "limit", b.name, "err", err)
		return 0, true
	}
	// No token: how long until one is (a bucket refilled or swept since
	// the take still refused this request).
	wait, _ := b.peek(ctx, key)
	return max(wait, time.Millisecond), false
}

// peek reports whether key's bucket has a token left, without taking it.
func (b *sharedBuckets) peek(ctx context.Context, key string) (time.Duration, bool) {
	var avail float64
	err := b.db.Write.QueryRowContext(ctx, tokensLeft, b.name+" "+key, float64(b.burst), b.r).Scan(&avail)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, true
	case err != nil:
		b.log.ErrorContext(ctx, "rate limit: read a bucket", "limit", b.name, "err", err)
		return 0, true
	case avail >= 1:
		return 0, true
	}
	return time.Duration((1 - avail) / b.r * float64(time.Second)), false
}

// sweep deletes the buckets that are full again when the last sweep is
// sweepEvery old.
func (sw *bucketSweeper) sweep(ctx context.Context) {
	sw.mu.Lock()
	due := time.Since(sw.last) >= sweepEvery
	if due {
		sw.last = time.Now()
	}
	sw.mu.Unlock()
	if !due {
		return
	}
	if _, err := sw.db.Write.ExecContext(ctx, sweepFull); err != nil {
		sw.log.WarnContext(ctx, "rate limit: delete full buckets", "err", err)
	}
}
