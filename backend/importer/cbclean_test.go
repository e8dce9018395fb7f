package importer

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
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
