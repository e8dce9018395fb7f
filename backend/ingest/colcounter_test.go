package ingest

import (
	"math/rand/v2"
	"testing"
)

// TestColCounterFastPathAgrees holds the vectorized count of quote-free
// chunks to the byte-by-byte state machine: over random inputs cut into
// random chunks, both give the same verdict, the same record at fault and
// the same state.
func TestColCounterFastPathAgrees(t *testing.T) {
	alphabet := []byte("ab,,\n\r\"  ;x")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		n := rng.IntN(200)
		in := make([]byte, n)
		for j := range in {
			in[j] = alphabet[rng.IntN(len(alphabet))]
		}
		if i%2 == 0 { // half the inputs have no quote at all
			for j, x := range in {
				if x == '"' {
					in[j] = 'q'
				}
			}
		}
		max := 1 + rng.IntN(8)
		slow := newColCounter(',', max)
		slowOK := slow.feedBytes(in)
		fast := newColCounter(',', max)
		fastOK := true
		for rest := in; len(rest) > 0 && fastOK; {
			k := 1 + rng.IntN(len(rest))
			fastOK = fast.feed(rest[:k])
			rest = rest[k:]
		}
		if slowOK != fastOK || slow.bad != fast.bad || (slowOK && *slow != *fast) {
			t.Fatalf("input %q, max %d: byte by byte ok=%v %+v; chunked ok=%v %+v", in, max, slowOK, *slow, fastOK, *fast)
		}
	}
}
