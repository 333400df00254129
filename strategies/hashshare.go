package strategies

import (
	"math"

	"github.com/tangle-sim/tangle/topology"
)

// Consistent-hash tables depend only on the host set a decider sees (which
// hosts, by view index, their IDs and weights, and whether it is in panic),
// never on the decider, so every caller of a fleet would build the same
// ring or Maglev table. hashTables builds each distinct one once and shares
// it: a routing's Build makes one hashTables for its pickers, which is one
// world's (scenarios build the routing per world), so nothing is shared
// between runs and no package-level state exists. Tables are found by a
// hash of the membership and weights and confirmed by comparing them in
// full, so a hash collision cannot hand a caller another set's table; a
// table is dropped when no picker uses it any more and rebuilt only when a
// caller's membership or weights change to a set no other caller holds.
// Like the pickers, a hashTables must not be used from two goroutines.

// hashTable is what a shared table's state provides: the host set it
// covers.
type hashTable interface {
	ringView | maglevView
}

// hashTables is the shared tables of one kind of one routing build.
type hashTables[V hashTable] struct {
	byKey map[uint64][]*sharedTable[V]
}

// sharedTable is one table and the host set it was built from.
type sharedTable[V hashTable] struct {
	key  uint64
	refs int
	n    int       // hosts in the view (healthy or not)
	ids  []int     // IDs of the hosts hashed over, by position
	raw  []float64 // their configured weights, by position
	v    V
}

// hashRef is a picker's per-view state: the table it uses.
type hashRef[V hashTable] struct {
	t *sharedTable[V]
}

// memberKey hashes the set collect would build from eps: the view's size,
// the panic flag and each host hashed over (view index, ID, weight). It
// makes no allocation and calls each Endpoints method once per host.
func memberKey(eps topology.Endpoints, cfg hashConfig) (key uint64, panic bool) {
	n := eps.Len()
	healthy := 0
	for i := 0; i < n; i++ {
		if eps.Healthy(i) {
			healthy++
		}
	}
	panic = n > 0 && float64(healthy) < cfg.panicFrac*float64(n)
	key = mix(0x9e3779b97f4a7c15, uint64(n))
	if panic {
		key = mix(key, 1)
	}
	for i := 0; i < n; i++ {
		if !panic && !eps.Healthy(i) {
			continue
		}
		key = mix(key, uint64(i))
		key = mix(key, uint64(eps.ID(i)))
		key = mix(key, math.Float64bits(eps.Weight(i)))
	}
	return key, panic
}

// mix folds x into h (a splitmix64 finaliser over their combination).
func mix(h, x uint64) uint64 {
	h ^= x + 0x9e3779b97f4a7c15 + h<<6 + h>>2
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// matches reports whether t was built from exactly the set eps shows.
func (t *sharedTable[V]) matches(eps topology.Endpoints, s *hashSet, panic bool) bool {
	n := eps.Len()
	if t.n != n || s.panic != panic {
		return false
	}
	k := 0
	for i := 0; i < n; i++ {
		if !panic && !eps.Healthy(i) {
			continue
		}
		if k >= len(s.hosts) || int(s.hosts[k]) != i || t.ids[k] != eps.ID(i) || t.raw[k] != eps.Weight(i) {
			return false
		}
		k++
	}
	return k == len(s.hosts)
}

// acquire points ref at the table for the set eps shows, building it with
// build (given the table's state after collect has filled its host set)
// when no picker holds one, and releases the table ref held before.
func (ts *hashTables[V]) acquire(ref *hashRef[V], eps topology.Endpoints, cfg hashConfig,
	set func(*V) *hashSet, build func(*V)) *V {
	key, panic := memberKey(eps, cfg)
	if ref.t != nil && ref.t.key == key && ref.t.matches(eps, set(&ref.t.v), panic) {
		return &ref.t.v
	}
	ts.release(ref)
	if ts.byKey == nil {
		ts.byKey = map[uint64][]*sharedTable[V]{}
	}
	for _, t := range ts.byKey[key] {
		if t.matches(eps, set(&t.v), panic) {
			t.refs++
			ref.t = t
			return &t.v
		}
	}
	t := &sharedTable[V]{key: key, refs: 1, n: eps.Len()}
	s := set(&t.v)
	s.collect(eps, cfg)
	for _, h := range s.hosts {
		t.ids = append(t.ids, eps.ID(int(h)))
		t.raw = append(t.raw, eps.Weight(int(h)))
	}
	build(&t.v)
	ts.byKey[key] = append(ts.byKey[key], t)
	ref.t = t
	return &t.v
}

// release drops ref's hold on its table, forgetting the table when no
// picker holds it any more.
func (ts *hashTables[V]) release(ref *hashRef[V]) {
	t := ref.t
	if t == nil {
		return
	}
	ref.t = nil
	if t.refs--; t.refs > 0 {
		return
	}
	list := ts.byKey[t.key]
	for i, u := range list {
		if u == t {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ts.byKey, t.key)
	} else {
		ts.byKey[t.key] = list
	}
}
