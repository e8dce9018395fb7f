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

// reserve makes room for n keys at once: the keys held stay found, and
// setting up to n keys after it does not grow the table again.
func TestRowTableReserve(t *testing.T) {
	var tb rowTable
	for k := uint64(0); k < 100; k++ {
		tb.set(k*7919, uint32(k))
	}
	tb.reserve(50_000)
	size := len(tb.keys)
	if size*3 < 50_000*4 {
		t.Fatalf("reserve(50000) made %d slots; want room for 50000 keys at 3/4 full", size)
	}
	for k := uint64(0); k < 50_000; k++ {
		tb.set(k*7919, uint32(k))
	}
	if len(tb.keys) != size {
		t.Fatalf("the table grew from %d to %d slots after reserve", size, len(tb.keys))
	}
	for k := uint64(0); k < 50_000; k++ {
		if r, ok := tb.get(k * 7919); !ok || r != uint32(k) {
			t.Fatalf("key %d: %d, %v", k*7919, r, ok)
		}
	}
	tb.reserve(10) // never shrinks
	if len(tb.keys) != size || tb.len() != 50_000 {
		t.Fatalf("after reserve(10): %d slots, %d keys", len(tb.keys), tb.len())
	}
}
