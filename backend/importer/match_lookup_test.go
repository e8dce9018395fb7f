package importer

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"fusebox/backend/store/storetest"
)

// Staging's digest look-up gives the same answer by merge scan and by IN
// lists, whatever the range size: keys at the ends of the key space and
// at the ends of each range, a key staged more than once (also across
// two ranges), keys one bit from an indexed key, index rows without a
// digest, and the same keys indexed for another importer or scope (which
// must not count).
func TestMatchDigestsMergeScanAndInListsAgree(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	s := New(db, t.TempDir(), nil)
	rnd := rand.New(rand.NewPCG(14, 24))
	key := func() (k [16]byte) {
		for i := range k {
			k[i] = byte(rnd.IntN(256))
		}
		return k
	}
	type indexed struct {
		key    [16]byte
		digest []byte // nil: indexed before the digest column
	}
	var lowest, highest [16]byte
	for i := range highest {
		highest[i] = 0xff
	}
	// the index of importer c, scope org: the truth
	var rows []indexed
	for i := 0; i < 300; i++ {
		k := key()
		if i == 0 {
			k = lowest
		}
		if i == 1 {
			k = highest
		}
		var d []byte
		if i%13 != 5 {
			dd := key()
			d = dd[:]
		}
		rows = append(rows, indexed{k, d})
	}
	truth := map[[16]byte][]byte{}
	for _, r := range rows {
		truth[r.key] = r.digest
	}
	insert := func(importer, scope string, k [16]byte, d []byte) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO importer_match_index (importer, scope, key_hash, data, digest, import_id, updated_at) VALUES (?, ?, ?, '{}', ?, 1, '')`,
			importer, scope, k[:], d); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		insert("c", "org", r.key, r.digest)
	}

	// the staged keys: most indexed ones (their digest equal, different
	// or missing), some more than once, keys next to indexed ones and
	// keys not indexed at all
	var entries []matchEntry
	stage := func(k [16]byte, d [16]byte) {
		entries = append(entries, matchEntry{key: k, digest: d, row: int64(len(entries) + 1)})
	}
	for i, r := range rows {
		switch {
		case i%7 == 3: // not staged
			continue
		case i%3 == 0 && r.digest != nil: // unchanged
			stage(r.key, [16]byte(r.digest))
		default:
			stage(r.key, key())
		}
		if i%11 == 0 || i < 2 { // staged twice, or three times
			stage(r.key, key())
			if i%22 == 0 {
				stage(r.key, [16]byte(entries[len(entries)-1].digest))
			}
		}
		if i%17 == 0 { // one bit from an indexed key
			k := r.key
			k[15] ^= 1
			if _, ok := truth[k]; !ok {
				stage(k, key())
			}
		}
	}
	for i := 0; i < 80; i++ {
		k := key()
		stage(k, key())
	}
	// the same keys under other importers and scopes, their digests equal
	// to the staged rows': a look-up leaking into them finds them unchanged
	for _, e := range entries {
		for _, o := range []struct{ importer, scope string }{{"b", "org"}, {"c", "orh"}, {"c", "user:x"}, {"d", "org"}} {
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO importer_match_index (importer, scope, key_hash, data, digest, import_id, updated_at) VALUES (?, ?, ?, '{}', ?, 1, '')
				ON CONFLICT (importer, scope, key_hash) DO NOTHING`, o.importer, o.scope, e.key[:], e.digest[:]); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.SortStableFunc(entries, func(a, b matchEntry) int { return bytes.Compare(a.key[:], b.key[:]) })

	// what every path must give
	wantStatus := make([]string, len(entries))
	var wantDiffer []int64
	wantNoDigest := map[[16]byte]bool{}
	for i, e := range entries {
		d, ok := truth[e.key]
		switch {
		case !ok:
		case d == nil:
			wantNoDigest[e.key] = true
			wantDiffer = append(wantDiffer, e.row)
		case bytes.Equal(d, e.digest[:]):
			wantStatus[i] = MatchUnchanged
		default:
			wantDiffer = append(wantDiffer, e.row)
		}
	}
	if len(wantNoDigest) == 0 || len(wantDiffer) == 0 || !slices.Contains(wantStatus, MatchUnchanged) {
		t.Fatal("the test data lacks a case")
	}

	sm := &stageMatcher{m: &matcher{importer: "c", scope: "org"}}
	for _, c := range []struct {
		path matchLookupPath
		per  int
	}{
		{matchLookupIn, 0}, {matchLookupIn, 7},
		{matchLookupMerge, 0}, {matchLookupMerge, 1}, {matchLookupMerge, 2}, {matchLookupMerge, 3}, {matchLookupMerge, 10}, {matchLookupMerge, 64},
		{matchLookupAuto, 0}, {matchLookupAuto, 5},
	} {
		t.Run(fmt.Sprintf("path %d, %d keys a range", c.path, c.per), func(t *testing.T) {
			s.matchLookup, s.matchRangeKeys = c.path, c.per
			es := slices.Clone(entries)
			keyed := make([]*matchEntry, len(es))
			for i := range es {
				keyed[i] = &es[i]
			}
			differ, noDigest, err := s.matchDigests(ctx, sm, keyed)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range es {
				if e.status != wantStatus[i] {
					t.Errorf("key %x (row %d): status %q, want %q (indexed: %v)", e.key, e.row, e.status, wantStatus[i], truth[e.key] != nil)
				}
			}
			var got []int64
			for _, e := range differ {
				got = append(got, e.row)
			}
			if !slices.Equal(got, wantDiffer) {
				t.Errorf("differing rows %v, want %v", got, wantDiffer)
			}
			if len(noDigest) != len(wantNoDigest) {
				t.Errorf("%d keys without a digest, want %d", len(noDigest), len(wantNoDigest))
			}
			for k := range wantNoDigest {
				if !noDigest[k] {
					t.Errorf("key %x: not noted as without a digest", k)
				}
			}
		})
	}
}

// The merge scan is chosen for a range holding about as many index rows
// as keys, the IN lists for a range holding many more.
func TestMergeScanPays(t *testing.T) {
	var lo, hi, mid [16]byte
	for i := range hi {
		hi[i] = 0xff
	}
	mid[0] = 0x80
	for _, c := range []struct {
		total  int64
		n      int
		lo, hi [16]byte
		want   bool
	}{
		{970_254, 5000, lo, hi, false},               // 5,000 keys against the whole index
		{970_254, 1_000_000, lo, hi, true},           // every key
		{970_254, 5000, lo, [16]byte{0, 0x15}, true}, // 5,000 of 1M keys: 1/195 of the key space (~5,000 rows)
		{1000, 400, lo, mid, true},                   // ~500 rows for 400 keys
		{1000, 100, lo, mid, false},                  // ~500 rows for 100 keys
		{0, 1, lo, hi, true},
	} {
		if got := mergeScanPays(c.total, c.n, c.lo, c.hi); got != c.want {
			t.Errorf("%d index rows, %d keys from %x to %x: merge %v, want %v", c.total, c.n, c.lo[:2], c.hi[:2], got, c.want)
		}
	}
}
