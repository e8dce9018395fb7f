package importer

import "math/bits"

// rowTable maps a 64-bit key hash to a row number: the uniqueness index's
// first holder of each key. It is an open-addressing table (linear
// probing, keys and rows in two flat arrays), about three times faster
// than a Go map at a million keys and smaller (12 bytes a slot, at most
// 3/4 full): staging looks up and inserts one key per row per group.
type rowTable struct {
	keys  []uint64 // 0: empty slot (the key 0 is held in zero/hasZero)
	rows  []uint32
	n     int // keys held in keys (without the key 0)
	shift uint8

	hasZero bool
	zero    uint32
}

func (t *rowTable) len() int {
	if t.hasZero {
		return t.n + 1
	}
	return t.n
}

// slot is where k's probe starts (Fibonacci hashing: the keys need not
// be well mixed in their low bits).
func (t *rowTable) slot(k uint64) int {
	return int((k * 0x9E3779B97F4A7C15) >> t.shift)
}

func (t *rowTable) get(k uint64) (uint32, bool) {
	if k == 0 {
		return t.zero, t.hasZero
	}
	if t.n == 0 {
		return 0, false
	}
	mask := len(t.keys) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.rows[i], true
		case 0:
			return 0, false
		}
	}
}

func (t *rowTable) set(k uint64, row uint32) {
	if k == 0 {
		t.hasZero, t.zero = true, row
		return
	}
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	mask := len(t.keys) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			t.rows[i] = row
			return
		case 0:
			t.keys[i], t.rows[i] = k, row
			t.n++
			return
		}
	}
}

func (t *rowTable) grow() {
	t.resize(max(1024, 2*len(t.keys)))
}

// reserve makes room for n keys (at most 3/4 full), so that setting them
// does not grow the table step by step, rehashing every key each time.
func (t *rowTable) reserve(n int) {
	size := 1024
	for size*3 < n*4 {
		size *= 2
	}
	if size > len(t.keys) {
		t.resize(size)
	}
}

// resize moves the keys into size slots (a power of two).
func (t *rowTable) resize(size int) {
	old, oldRows := t.keys, t.rows
	t.keys, t.rows = make([]uint64, size), make([]uint32, size)
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	mask := size - 1
	for j, k := range old {
		if k == 0 {
			continue
		}
		i := t.slot(k)
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i], t.rows[i] = k, oldRows[j]
	}
}

// del removes k; the entries after it in its probe run shift back so that
// no probe stops early at the hole (no tombstones).
func (t *rowTable) del(k uint64) {
	if k == 0 {
		t.hasZero, t.zero = false, 0
		return
	}
	if t.n == 0 {
		return
	}
	mask := len(t.keys) - 1
	i := t.slot(k)
	for t.keys[i] != k {
		if t.keys[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.keys[j] != 0; j = (j + 1) & mask {
		h := t.slot(t.keys[j])
		// the entry at j may move to the hole at i unless its home slot
		// lies cyclically in (i, j]
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.keys[i], t.rows[i] = t.keys[j], t.rows[j]
			i = j
		}
	}
	t.keys[i], t.rows[i] = 0, 0
	t.n--
}
