package strategies

import (
	"slices"

	"github.com/tangle-sim/tangle/topology"
)

// maxViews bounds how many host sets one picker keeps derived state for. A
// caller sidecar behind an edge sees one host set per region the edge picks;
// every other decider sees one.
const maxViews = 16

// viewCache keeps a picker's state derived from a host set (healthy lists,
// schedulers, rings), rebuilt when the set's Generation changes. Endpoints
// indices are only meaningful within one host set, and a caller behind an
// edge is handed a different set per region, so the cache keys each state
// by the set's identity (its size and first and last host IDs) and keeps up
// to maxViews of them; the least recently created is reused beyond that.
type viewCache[T any] struct {
	entries []viewEntry[T]
	evict   int
}

type viewEntry[T any] struct {
	n, first, last int
	gen            uint64
	state          *T
}

// get returns the state for the host set eps shows and whether it is stale
// (a new set, or its Generation changed since the last call): the caller
// must then rebuild it. The returned state is reused across rebuilds, so
// rebuilding into its slices does not allocate once they have grown. Cost:
// four Endpoints calls and a scan of at most maxViews entries.
func (c *viewCache[T]) get(eps topology.Endpoints) (*T, bool) {
	n, first, last := eps.Len(), -1, -1
	if n > 0 {
		first, last = eps.ID(0), eps.ID(n-1)
	}
	gen := eps.Generation()
	for i := range c.entries {
		e := &c.entries[i]
		if e.n == n && e.first == first && e.last == last {
			if e.gen == gen {
				return e.state, false
			}
			e.gen = gen
			return e.state, true
		}
	}
	if len(c.entries) < maxViews {
		c.entries = append(c.entries, viewEntry[T]{n: n, first: first, last: last, gen: gen, state: new(T)})
		return c.entries[len(c.entries)-1].state, true
	}
	e := &c.entries[c.evict]
	c.evict = (c.evict + 1) % maxViews
	e.n, e.first, e.last, e.gen = n, first, last, gen
	return e.state, true
}

// healthyHosts appends the indices of eps's healthy hosts to dst[:0].
func healthyHosts(dst []int32, eps topology.Endpoints) []int32 {
	n := eps.Len()
	dst = slices.Grow(dst[:0], n) // one allocation, not a doubling chain per caller
	for i := 0; i < n; i++ {
		if eps.Healthy(i) {
			dst = append(dst, int32(i))
		}
	}
	return dst
}

// equalWeights reports whether every host in hosts has the same configured
// weight.
func equalWeights(eps topology.Endpoints, hosts []int32) bool {
	for _, h := range hosts[min(1, len(hosts)):] {
		if eps.Weight(int(h)) != eps.Weight(int(hosts[0])) {
			return false
		}
	}
	return true
}

// grow returns s with length at least n, keeping its contents; new
// elements are zero. It allocates only when s's capacity is short.
func grow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	out := make([]T, n, max(n, 2*cap(s)))
	copy(out, s)
	return out
}
