package importer

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"fusebox/backend/store"
	"fusebox/backend/store/storetest"
)

func randomHashes(rng *rand.Rand, n int) [][16]byte {
	out := make([][16]byte, n)
	for i := range out {
		for j := range out[i] {
			out[i][j] = byte(rng.IntN(256))
		}
	}
	return out
}

// sortHashes orders as bytes.Compare and drops repeats, on both of its
// paths (a plain sort below 4,096 hashes, buckets above).
func TestSortHashesOrdersAndDropsRepeats(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, 4095, 4096, 100_000} {
		in := randomHashes(rng, n)
		if n > 2 {
			in = append(in, in[0], in[n/2]) // repeats
			in[1] = [16]byte{0, 0, 1}       // same bucket as the next
			in[2] = [16]byte{0, 0, 0, 9}
		}
		want := slices.Clone(in)
		slices.SortFunc(want, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
		want = slices.Compact(want)
		if got := sortHashes(slices.Clone(in)); !slices.Equal(got, want) {
			t.Fatalf("n=%d: sortHashes differs from a sort by bytes (%d hashes, want %d)", n, len(got), len(want))
		}
	}
}

func TestMergeSortedAndInSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	all := sortHashes(randomHashes(rng, 300))
	var old []byte
	var add [][16]byte
	for i, h := range all {
		if i%3 != 0 {
			old = append(old, h[:]...)
		}
		if i%3 == 0 || i%2 == 0 { // the rest, some in both
			add = append(add, h)
		}
	}
	merged := mergeSorted(old, add)
	var want []byte
	for _, h := range all {
		want = append(want, h[:]...)
	}
	if !bytes.Equal(merged, want) {
		t.Fatalf("merge: %d bytes, want %d", len(merged), len(want))
	}
	for _, h := range all {
		if !inSorted(merged, h) {
			t.Fatalf("%x not found in the merged array", h)
		}
	}
	for _, h := range randomHashes(rng, 100) {
		if inSorted(merged, h) != slices.Contains(all, h) {
			t.Fatalf("%x: inSorted disagrees with the list", h)
		}
	}
	if inSorted(nil, all[0]) || len(mergeSorted(nil, nil)) != 0 {
		t.Fatal("empty arrays")
	}
}

// Row contents can be chosen so that their hashes share a bucket (two
// bytes: 65,536 tries a row). A bucket takes at most cleanBucketMax
// hashes; the rest of its verdicts are cached one row each, so merging
// and lookups stay bounded, and every verdict is still found.
func TestCleanVerdictsOfAFullBucketAreCachedPerRow(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	rng := rand.New(rand.NewPCG(5, 6))
	inBucket0 := func(n int) [][16]byte {
		out := randomHashes(rng, n)
		for i := range out {
			out[i][0], out[i][1] = 0, 0
		}
		return out
	}
	const importID = 7
	write := func(hashes [][16]byte) {
		t.Helper()
		if err := db.Tx(ctx, func(tx *store.Tx) error { return insertJudged(ctx, tx, importID, slices.Clone(hashes)) }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Read.QueryRowContext(ctx, query, append([]any{importID}, args...)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	bucket0 := func() int {
		t.Helper()
		arrs, err := cleanBuckets(ctx, db.Read, importID, []int64{0})
		if err != nil {
			t.Fatal(err)
		}
		return len(arrs[0]) / 16
	}
	first, second, elsewhere := inBucket0(3000), inBucket0(2000), randomHashes(rng, 100)
	write(first)
	write(elsewhere)
	if n := bucket0(); n != 3000 {
		t.Fatalf("bucket 0 holds %d hashes, want 3000", n)
	}
	write(second) // 5,000 would exceed the bucket's 4,096
	if n := bucket0(); n != 3000 {
		t.Fatalf("after the bucket was full: it holds %d hashes, want the 3000 it had", n)
	}
	if n := count(`SELECT count(*) FROM importer_callback_cache WHERE import_id = ? AND result = '{}'`); n != 2000 {
		t.Fatalf("%d verdicts cached one row each, want the 2000 past the full bucket", n)
	}
	all := slices.Concat(first, second, elsewhere)
	clean, err := judgedClean(ctx, db.Read, importID, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range all {
		inRow := count(`SELECT count(*) FROM importer_callback_cache WHERE import_id = ? AND row_hash = ?`, h[:]) == 1
		if clean[h] == inRow {
			t.Fatalf("%x: in a bucket %v, in a row %v: want exactly one", h, clean[h], inRow)
		}
	}
}
