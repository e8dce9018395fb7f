package importer

import (
	"math/rand/v2"
	"testing"
)

// rowTable answers as a Go map does through any mix of sets, gets and
// deletes, growing from empty, with keys that collide in the low bits and
// the key 0.
func TestRowTableMatchesMap(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		rng := rand.New(rand.NewPCG(seed, 9))
		var tb rowTable
		ref := map[uint64]uint32{}
		keys := make([]uint64, 0, 5000)
		for i := 0; i < 5000; i++ {
			k := rng.Uint64()
			switch i % 5 {
			case 0:
				k &= 0xff << 40 // same low bits: long probe runs
			case 1:
				k = uint64(i % 7) // small keys, 0 among them
			}
			keys = append(keys, k)
		}
		for op := 0; op < 60_000; op++ {
			k := keys[rng.IntN(len(keys))]
			switch rng.IntN(3) {
			case 0:
				v := rng.Uint32()
				tb.set(k, v)
				ref[k] = v
			case 1:
				tb.del(k)
				delete(ref, k)
			}
			v, ok := tb.get(k)
			rv, rok := ref[k]
			if ok != rok || v != rv {
				t.Fatalf("seed %d op %d key %#x: got %d,%v want %d,%v", seed, op, k, v, ok, rv, rok)
			}
			if tb.len() != len(ref) {
				t.Fatalf("seed %d op %d: len %d want %d", seed, op, tb.len(), len(ref))
			}
		}
		for k, rv := range ref {
			if v, ok := tb.get(k); !ok || v != rv {
				t.Fatalf("seed %d key %#x: got %d,%v want %d", seed, k, v, ok, rv)
			}
		}
	}
}
