package importer

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
)

// How staging reads the digests of its keys (lookUpMatches). The sorted
// keys are taken range by range, matchRangeKeys keys a range. A range
// holding about as many index rows as keys is read with a merge scan:
// one query walks the covering index from the range's first key to its
// last, in key order, and the keys are matched to its rows as they come
// (a step to the next index entry per row instead of a B-tree descent
// per key). A range holding many more index rows than keys (a few keys
// against a large index) is read with IN lists of 500 keys: one seek
// per key. The number of index rows a range holds is estimated from the
// count of the (importer, scope) rows and the share of the key space the
// range spans (the key hashes are SHA-256 prefixes, spread evenly).

// matchLookupPath forces a path (tests); auto chooses per range.
type matchLookupPath int

const (
	matchLookupAuto matchLookupPath = iota
	matchLookupIn
	matchLookupMerge
)

// matchRangeKeys is how many keys one merge scan (or one range's IN
// lists) covers.
const matchRangeKeys = 5000

// matchScanRowsPerSeek: a merge scan is chosen while it reads at most
// this many index rows per key of its range (a seek per key of the IN
// lists costs about as much as reading that many rows in order).
const matchScanRowsPerSeek = 3

// matchRangeSQL reads the digests of a key range in key order, from the
// covering index (match_plan_test.go checks the plan).
const matchRangeSQL = `SELECT key_hash, digest FROM importer_match_index WHERE importer = ? AND scope = ? AND key_hash >= ? AND key_hash <= ? ORDER BY key_hash`

// matchCountSQL counts an (importer, scope)'s index rows up to a limit:
// past it no range pays for a merge scan.
const matchCountSQL = `SELECT count(*) FROM (SELECT 1 FROM importer_match_index WHERE importer = ? AND scope = ? LIMIT ?) c`

// mergeScanPays reports whether reading the index rows between lo and
// hi (inclusive), of total rows spread over the key space, costs less
// than n seeks.
func mergeScanPays(total int64, n int, lo, hi [16]byte) bool {
	span := float64(binary.BigEndian.Uint64(hi[:8])-binary.BigEndian.Uint64(lo[:8])) + 1
	rows := float64(total) * span / math.Exp2(64)
	return rows <= matchScanRowsPerSeek*float64(n)
}

// matchDigests reads the index digests of the keyed entries (sorted by
// key; a key may come more than once). An entry whose digest equals its
// record's is marked unchanged; the others the index holds are returned
// in differ (in key order), and the keys whose index row has no digest
// (indexed before the digest column) in noDigest. Entries the index does
// not hold are left as they are.
func (s *Service) matchDigests(ctx context.Context, sm *stageMatcher, keyed []*matchEntry) (differ []*matchEntry, noDigest map[[16]byte]bool, err error) {
	noDigest = map[[16]byte]bool{}
	if len(keyed) == 0 {
		return nil, noDigest, nil
	}
	found := func(e *matchEntry, d []byte) {
		switch {
		case d == nil:
			noDigest[e.key] = true
			differ = append(differ, e)
		case bytes.Equal(d, e.digest[:]):
			e.status = MatchUnchanged
		default:
			differ = append(differ, e)
		}
	}
	path := s.matchLookup
	var total int64
	if path == matchLookupAuto {
		limit := int64(matchScanRowsPerSeek)*int64(len(keyed)) + 1
		if err := s.db.Read.QueryRowContext(ctx, matchCountSQL, sm.m.importer, sm.m.scope, limit).Scan(&total); err != nil {
			return nil, nil, fmt.Errorf("match: count the index: %w", err)
		}
		if total >= limit {
			path = matchLookupIn // the index is much larger than the keys: seek
		}
	}
	per := s.matchRangeKeys
	if per <= 0 {
		per = matchRangeKeys
	}
	var scan *sql.Stmt
	defer func() {
		if scan != nil {
			scan.Close()
		}
	}()
	for len(keyed) > 0 {
		r := keyed[:min(len(keyed), per)]
		keyed = keyed[len(r):]
		merge := path == matchLookupMerge ||
			path == matchLookupAuto && mergeScanPays(total, len(r), r[0].key, r[len(r)-1].key)
		if !merge {
			if err := s.matchDigestsIn(ctx, sm, r, found); err != nil {
				return nil, nil, err
			}
			continue
		}
		if scan == nil {
			if scan, err = s.db.Read.PrepareContext(ctx, matchRangeSQL); err != nil {
				return nil, nil, fmt.Errorf("match: look up: %w", err)
			}
		}
		if err := mergeDigests(ctx, scan, sm, r, found); err != nil {
			return nil, nil, err
		}
	}
	return differ, noDigest, nil
}

// mergeDigests reads the index rows from the first key of r to its last
// (r sorted by key) and calls found for each entry of r with its row's
// digest, in key order.
func mergeDigests(ctx context.Context, scan *sql.Stmt, sm *stageMatcher, r []*matchEntry, found func(*matchEntry, []byte)) error {
	rs, err := scan.QueryContext(ctx, sm.m.importer, sm.m.scope, r[0].key[:], r[len(r)-1].key[:])
	if err != nil {
		return fmt.Errorf("match: look up: %w", err)
	}
	defer rs.Close()
	var h, d sql.RawBytes
	j := 0
	for rs.Next() && j < len(r) {
		if err := rs.Scan(&h, &d); err != nil {
			return fmt.Errorf("match: look up: %w", err)
		}
		if len(h) != 16 {
			return fmt.Errorf("match: look up: a key hash of %d bytes", len(h))
		}
		for j < len(r) && bytes.Compare(r[j].key[:], h) < 0 { // not in the index
			j++
		}
		for j < len(r) && bytes.Equal(r[j].key[:], h) {
			found(r[j], d)
			j++
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("match: look up: %w", err)
	}
	return nil
}

// matchDigestsIn reads the digests of r's keys with IN lists of 500 keys
// and calls found for each entry the index holds.
func (s *Service) matchDigestsIn(ctx context.Context, sm *stageMatcher, r []*matchEntry, found func(*matchEntry, []byte)) error {
	digests := make(map[[16]byte][]byte, 500)
	for len(r) > 0 {
		batch := r[:min(len(r), 500)]
		r = r[len(batch):]
		clear(digests)
		if err := s.queryKeys(ctx, sm, matchBatchLookupSQL(len(batch)), batch, func(key [16]byte, d []byte) {
			digests[key] = d
		}); err != nil {
			return err
		}
		for _, e := range batch {
			if d, ok := digests[e.key]; ok {
				found(e, d)
			}
		}
	}
	return nil
}
