package importer

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"fusebox/backend/store"
)

// The validation endpoint's clean verdicts (importer_callback_clean): a
// staging run judges every row, mostly clean, so the hashes of clean rows
// are not one cache row each but grouped by their first two bytes into
// one sorted array per bucket (at most 65,536 rows per import, each of at
// most cleanBucketMax hashes). Answers
// with findings stay in importer_callback_cache, and there they win: a
// clean verdict removes the earlier answer with findings of that content,
// and an answer with findings is written after the clean ones of its run.

// cleanBucket is the bucket of a hash.
func cleanBucket(h [16]byte) int64 { return int64(binary.BigEndian.Uint16(h[:2])) }

// cmpHash orders hashes as bytes.Compare orders their bytes.
func cmpHash(a, b [16]byte) int {
	if x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8]); x != y {
		if x < y {
			return -1
		}
		return 1
	}
	x, y := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// sortHashes sorts hashes and drops repeats: by bucket first (a counting
// pass: the hashes are random, so each bucket holds a few), then within
// each bucket.
func sortHashes(hashes [][16]byte) [][16]byte {
	if len(hashes) < 1<<12 {
		slices.SortFunc(hashes, cmpHash)
		return slices.Compact(hashes)
	}
	start := make([]int32, 1<<16+1)
	for _, h := range hashes {
		start[cleanBucket(h)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([][16]byte, len(hashes))
	next := slices.Clone(start[:1<<16])
	for _, h := range hashes {
		b := cleanBucket(h)
		out[next[b]] = h
		next[b]++
	}
	for b := 0; b < 1<<16; b++ {
		if part := out[start[b]:start[b+1]]; len(part) > 1 {
			slices.SortFunc(part, cmpHash)
		}
	}
	return slices.Compact(out)
}

// inSorted says whether h is in arr (16-byte hashes, sorted).
func inSorted(arr []byte, h [16]byte) bool {
	n := len(arr) / 16
	i := sort.Search(n, func(i int) bool { return bytes.Compare(arr[i*16:i*16+16], h[:]) >= 0 })
	return i < n && bytes.Equal(arr[i*16:i*16+16], h[:])
}

// mergeSorted merges a bucket's stored array with new hashes (both
// sorted), dropping repeats.
func mergeSorted(old []byte, add [][16]byte) []byte {
	out := make([]byte, 0, len(old)+16*len(add))
	i := 0
	for len(old) >= 16 || i < len(add) {
		switch {
		case i == len(add):
			out, old = append(out, old[:16]...), old[16:]
		case len(old) < 16:
			out, i = append(out, add[i][:]...), i+1
		default:
			switch c := bytes.Compare(old[:16], add[i][:]); {
			case c < 0:
				out, old = append(out, old[:16]...), old[16:]
			case c > 0:
				out, i = append(out, add[i][:]...), i+1
			default:
				out, old, i = append(out, old[:16]...), old[16:], i+1
			}
		}
	}
	return out
}

type rowsQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// cleanBuckets reads an import's stored arrays of the given buckets (nil:
// all of them).
func cleanBuckets(ctx context.Context, q rowsQueryer, importID int64, buckets []int64) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	read := func(query string, args ...any) error {
		rs, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("callback verdicts: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var b int64
			var arr []byte
			if err := rs.Scan(&b, &arr); err != nil {
				return fmt.Errorf("callback verdicts: %w", err)
			}
			out[b] = arr
		}
		if err := rs.Err(); err != nil {
			return fmt.Errorf("callback verdicts: %w", err)
		}
		return nil
	}
	if buckets == nil {
		return out, read(`SELECT bucket, hashes FROM importer_callback_clean WHERE import_id = ?`, importID)
	}
	args := make([]any, 0, 501)
	for len(buckets) > 0 {
		n := min(len(buckets), 500)
		args = append(args[:0], importID)
		for _, b := range buckets[:n] {
			args = append(args, b)
		}
		if err := read(`SELECT bucket, hashes FROM importer_callback_clean WHERE import_id = ? AND bucket IN (?`+strings.Repeat(",?", n-1)+`)`, args...); err != nil {
			return nil, err
		}
		buckets = buckets[n:]
	}
	return out, nil
}

// judgedClean returns which of hashes the endpoint judged clean.
func judgedClean(ctx context.Context, q rowsQueryer, importID int64, hashes [][16]byte) (map[[16]byte]bool, error) {
	var buckets []int64
	for _, h := range hashes {
		buckets = append(buckets, cleanBucket(h))
	}
	slices.Sort(buckets)
	arrs, err := cleanBuckets(ctx, q, importID, slices.Compact(buckets))
	if err != nil {
		return nil, err
	}
	out := map[[16]byte]bool{}
	for _, h := range hashes {
		if inSorted(arrs[cleanBucket(h)], h) {
			out[h] = true
		}
	}
	return out, nil
}

// judgedCleanOne says whether the endpoint judged one hash clean.
func judgedCleanOne(ctx context.Context, q queryer, importID int64, h [16]byte) (bool, error) {
	var arr []byte
	err := q.QueryRowContext(ctx, `SELECT hashes FROM importer_callback_clean WHERE import_id = ? AND bucket = ?`, importID, cleanBucket(h)).Scan(&arr)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("callback verdicts: %w", err)
	}
	return inSorted(arr, h), nil
}

// insertJudged records clean verdicts: each touched bucket's array merged
// with the new hashes, 250 buckets a statement (a full bucket's go to
// importer_callback_cache); answers with findings of the same contents are
// dropped (the endpoint's latest word is "clean").
func insertJudged(ctx context.Context, tx *store.Tx, importID int64, hashes [][16]byte) error {
	hashes = sortHashes(hashes)
	if err := dropFindings(ctx, tx, importID, hashes); err != nil {
		return err
	}
	// the arrays stored already: every bucket when the run touches most of
	// them, else the touched ones
	var touched []int64
	for i, h := range hashes {
		if b := cleanBucket(h); i == 0 || b != touched[len(touched)-1] {
			touched = append(touched, b)
		}
	}
	want := touched
	if len(touched) > 1<<14 {
		want = nil
	}
	old, err := cleanBuckets(ctx, tx, importID, want)
	if err != nil {
		return err
	}
	const per = 250
	w := newBulkWriter(tx, importID)
	defer w.close()
	var overflow [][16]byte
	for len(hashes) > 0 {
		w.args = w.args[:0]
		n := 0
		for n < per && len(hashes) > 0 {
			b := cleanBucket(hashes[0])
			end := 1
			for end < len(hashes) && cleanBucket(hashes[end]) == b {
				end++
			}
			if merged := mergeSorted(old[b], hashes[:end]); len(merged) <= 16*cleanBucketMax {
				w.args = append(w.args, importID, b, merged)
				n++
			} else {
				overflow = append(overflow, hashes[:end]...)
			}
			hashes = hashes[end:]
		}
		if n == 0 {
			continue
		}
		st, err := w.stmtWith(ctx, `INSERT INTO importer_callback_clean (import_id, bucket, hashes) VALUES `, `(?,?,?)`,
			` ON CONFLICT (import_id, bucket) DO UPDATE SET hashes = excluded.hashes`, n)
		if err != nil {
			return fmt.Errorf("callback verdicts: %w", err)
		}
		if _, err := st.ExecContext(ctx, w.args...); err != nil {
			return fmt.Errorf("callback verdicts: %w", err)
		}
	}
	// a full bucket takes no more: its hashes are cached one row each, as
	// answers without findings
	for len(overflow) > 0 {
		n := min(len(overflow), per)
		st, err := w.stmtWith(ctx, `INSERT INTO importer_callback_cache (import_id, row_hash, result) VALUES `, `(?,?,'{}')`,
			` ON CONFLICT (import_id, row_hash) DO UPDATE SET result = excluded.result`, n)
		if err != nil {
			return fmt.Errorf("callback cache: %w", err)
		}
		w.args = w.args[:0]
		for i := range overflow[:n] {
			w.args = append(w.args, importID, overflow[i][:])
		}
		if _, err := st.ExecContext(ctx, w.args...); err != nil {
			return fmt.Errorf("callback cache: %w", err)
		}
		overflow = overflow[n:]
	}
	return nil
}

// cleanBucketMax is the most hashes a bucket holds (64 KiB). Random
// hashes put about 15 in each at 1M rows; a bucket fills only when row
// contents are chosen so that their hashes share two bytes, which is
// cheap to do: then merging and looking up stay bounded, and the rest of
// that bucket's verdicts are cached one row each.
const cleanBucketMax = 4096

// dropFindings deletes the cached answers with findings of contents now
// judged clean (hashes sorted): for a few hashes looked up by hash, for
// many by reading the import's cached answers (few, as a rule).
func dropFindings(ctx context.Context, tx *store.Tx, importID int64, hashes [][16]byte) error {
	want := hashes
	if len(hashes) > 5000 {
		want = nil
	}
	cached, err := cachedIn(ctx, tx, importID, want)
	if err != nil {
		return err
	}
	var found [][16]byte
	for h := range cached {
		if _, ok := slices.BinarySearchFunc(hashes, h, cmpHash); ok {
			found = append(found, h)
		}
	}
	args := make([]any, 0, 501)
	for len(found) > 0 {
		n := min(len(found), 500)
		args = append(args[:0], importID)
		for i := range found[:n] {
			args = append(args, found[i][:])
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM importer_callback_cache WHERE import_id = ? AND row_hash IN (?`+strings.Repeat(",?", n-1)+`)`, args...); err != nil {
			return fmt.Errorf("callback cache: %w", err)
		}
		found = found[n:]
	}
	return nil
}

// cachedIn returns which of hashes (nil: all) have an answer in
// importer_callback_cache, looked up 500 at a time.
func cachedIn(ctx context.Context, q rowsQueryer, importID int64, hashes [][16]byte) (map[[16]byte]bool, error) {
	out := map[[16]byte]bool{}
	read := func(query string, args ...any) error {
		rs, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("callback cache: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var h []byte
			if err := rs.Scan(&h); err != nil {
				return fmt.Errorf("callback cache: %w", err)
			}
			if len(h) == 16 {
				out[[16]byte(h)] = true
			}
		}
		if err := rs.Err(); err != nil {
			return fmt.Errorf("callback cache: %w", err)
		}
		return nil
	}
	if hashes == nil {
		return out, read(`SELECT row_hash FROM importer_callback_cache WHERE import_id = ?`, importID)
	}
	args := make([]any, 0, 501)
	for len(hashes) > 0 {
		n := min(len(hashes), 500)
		args = append(args[:0], importID)
		for i := range hashes[:n] {
			args = append(args, hashes[i][:])
		}
		if err := read(`SELECT row_hash FROM importer_callback_cache WHERE import_id = ? AND row_hash IN (?`+strings.Repeat(",?", n-1)+`)`, args...); err != nil {
			return nil, err
		}
		hashes = hashes[n:]
	}
	return out, nil
}

// judged returns which of hashes the endpoint has judged: an answer in
// the cache, or a clean verdict in a bucket.
func judged(ctx context.Context, q rowsQueryer, importID int64, hashes [][16]byte) (map[[16]byte]bool, error) {
	out, err := judgedClean(ctx, q, importID, hashes)
	if err != nil {
		return nil, err
	}
	cached, err := cachedIn(ctx, q, importID, hashes)
	if err != nil {
		return nil, err
	}
	for h := range cached {
		out[h] = true
	}
	return out, nil
}
