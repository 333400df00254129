package strategies

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// hashParams are shared by ring-hash and maglev.
var hashParams = sim.ParamSet{
	{
		Name: "hash_balance_factor", Kind: sim.Int, Default: int64(0), Min: sim.Bound(0),
		Description: "bounded-load consistent hashing: a host may hold at most factor/100 × the mean load (weighted) before its keys overflow to other hosts; 0 is off, otherwise at least 100 (typically 120–200)",
		Source:      "Envoy ConsistentHashingLbConfig.hash_balance_factor (Mirrokni, Thorup, Zadimoghaddam, arXiv 1608.01350; random-jump probing, arXiv 1908.08762)",
	},
}

var hashRoutings = []*RoutingDef{
	{
		Name:        "ring-hash",
		Description: "consistent hashing of the request key on a Ketama ring, hashes per host in proportion to its weight",
		Source:      "Envoy RING_HASH (load_balancers.rst; ring_hash.proto; ring_hash_lb.cc)",
		Params: append(sim.ParamSet{
			{
				Name: "minimum_ring_size", Kind: sim.Int, Default: int64(1024), Min: sim.Bound(1), Max: sim.Bound(maxRingSize),
				Description: "fewest ring entries; the lightest host gets a whole number of them",
				Source:      "Envoy RingHash.minimum_ring_size, default 1024",
			},
			{
				Name: "maximum_ring_size", Kind: sim.Int, Default: int64(maxRingSize), Min: sim.Bound(1), Max: sim.Bound(maxRingSize),
				Description: "most ring entries",
				Source:      "Envoy RingHash.maximum_ring_size, default and limit 8M (8,388,608)",
			},
		}, hashParams...),
		Build: func(p sim.Params) (topology.NewPicker, error) {
			lo, hi := p.Int("minimum_ring_size"), p.Int("maximum_ring_size")
			if lo > hi {
				return nil, &sim.ParamError{Param: "minimum_ring_size", Msg: fmt.Sprintf("must not exceed maximum_ring_size (%d), got %d", hi, lo)}
			}
			hc, err := readHashConfig(p)
			if err != nil {
				return nil, err
			}
			tables := &hashTables[ringView]{} // shared by this build's pickers
			return func(*rand.Rand) topology.Picker {
				return &RingHash{min: float64(lo), max: float64(hi), hashConfig: hc, tables: tables}
			}, nil
		},
	},
	{
		Name:        "maglev",
		Description: "consistent hashing of the request key through a Maglev lookup table, entries per host in proportion to its weight",
		Source:      "Envoy MAGLEV (load_balancers.rst; maglev.proto; maglev_lb.cc); Eisenbud et al., NSDI 2016, §3.4",
		Params: append(sim.ParamSet{
			{
				Name: "table_size", Kind: sim.Int, Default: int64(65537), Min: sim.Bound(2), Max: sim.Bound(5000011),
				Description: "lookup table entries; must be prime — larger tables disturb fewer keys when hosts change",
				Source:      "Envoy Maglev.table_size, default 65537, prime, at most 5000011",
			},
		}, hashParams...),
		Build: func(p sim.Params) (topology.NewPicker, error) {
			m := uint64(p.Int("table_size"))
			if !isPrime(m) {
				return nil, &sim.ParamError{Param: "table_size", Msg: fmt.Sprintf("must be a prime number (such as 65537 or 655373), got %d", m)}
			}
			hc, err := readHashConfig(p)
			if err != nil {
				return nil, err
			}
			tables := &hashTables[maglevView]{} // shared by this build's pickers
			return func(*rand.Rand) topology.Picker { return &Maglev{size: m, hashConfig: hc, tables: tables} }, nil
		},
	},
}

const maxRingSize = 8 * 1024 * 1024

type hashConfig struct {
	balance   float64 // hash_balance_factor, 0 off
	panicFrac float64 // the strategy's panic threshold (SetPanicThreshold)
}

// SetPanicThreshold implements topology.PanicHandler: the hash pickers
// rebuild their table from all hosts in panic, as Envoy's hashing load
// balancers do (panic_threshold.rst applies to them too).
func (c *hashConfig) SetPanicThreshold(t float64) { c.panicFrac = t }

func readHashConfig(p sim.Params) (hashConfig, error) {
	f := p.Int("hash_balance_factor")
	if f != 0 && f < 100 {
		return hashConfig{}, &sim.ParamError{Param: "hash_balance_factor", Msg: fmt.Sprintf("must be 0 (off) or at least 100, got %d", f)}
	}
	return hashConfig{balance: float64(f), panicFrac: 0.5}, nil
}

func isPrime(n uint64) bool {
	if n < 2 {
		return false
	}
	for d := uint64(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// keyHash is the 64-bit hash of a request key: xxHash64 of its eight
// little-endian bytes, as Envoy hashes a hash policy's input with xxHash64.
func keyHash(key uint64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], key)
	return xxhash.Sum64(b[:])
}

// hostAddr is the string a host is hashed by: an address in the style
// Envoy hashes by default (host->address()->asString()), derived from the
// host's stable ID.
func hostAddr(id int) string {
	return fmt.Sprintf("10.%d.%d.%d:8080", id>>16&0xff, id>>8&0xff, id&0xff)
}

// hashSet is the host set a hash picker's table covers, with what bounded
// loads and panic mode need. Shared by the pickers that see the same set
// (see hashTables); looked up again on Generation.
type hashSet struct {
	hosts   []int32   // the hosts hashed over (healthy ones, or all in panic), by view index
	weights []float64 // their normalised weights, by position in hosts
	pos     []int32   // view index → position in hosts, −1 if absent
	panic   bool
	perm    []int32 // bounded-load probe scratch: a permutation of positions
	swaps   []int32 // positions swapped during one probe, to undo it
	addrs   []string
}

// collect fills the set from eps: its healthy hosts, or every host when
// fewer than panicFrac of them are healthy (Envoy's panic mode).
func (s *hashSet) collect(eps topology.Endpoints, cfg hashConfig) {
	n := eps.Len()
	s.hosts = healthyHosts(s.hosts, eps)
	s.panic = n > 0 && float64(len(s.hosts)) < cfg.panicFrac*float64(n)
	if s.panic {
		s.hosts = s.hosts[:0]
		for i := 0; i < n; i++ {
			s.hosts = append(s.hosts, int32(i))
		}
	}
	sum := 0.0
	for _, h := range s.hosts {
		sum += eps.Weight(int(h))
	}
	s.weights = grow(s.weights[:0], len(s.hosts))
	for k, h := range s.hosts {
		s.weights[k] = eps.Weight(int(h)) / sum
	}
	s.pos = grow(s.pos[:0], n)
	for i := range s.pos {
		s.pos[i] = -1
	}
	for k, h := range s.hosts {
		s.pos[h] = int32(k)
	}
	s.perm = grow(s.perm[:0], len(s.hosts))
	for k := range s.perm {
		s.perm[k] = int32(k)
	}
	s.swaps = grow(s.swaps[:0], len(s.hosts))[:0]
	s.addrs = s.addrs[:0]
	for _, h := range s.hosts {
		s.addrs = append(s.addrs, hostAddr(eps.ID(int(h))))
	}
}

func (s *hashSet) fallback() topology.Fallback {
	if s.panic {
		return topology.FallbackPanic
	}
	return topology.FallbackNone
}

// bounded applies Envoy's BoundedLoadHashingLoadBalancer to the host at
// view index first, chosen by hash: with T this decider's outstanding
// requests over the set, a host of normalised weight w may hold
// max(⌈⌈(T+1)·factor/100⌉·w⌉, 1) of them; if the first choice holds more,
// hosts are probed in a random order seeded by the hash (the same key
// always probes the same sequence) and the first within its cap wins, else
// the least overloaded. O(n) when the first choice overflows.
func (s *hashSet) bounded(eps topology.Endpoints, factor float64, hash uint64, first int) int {
	total := 0.0
	for _, h := range s.hosts {
		total += eps.Load(int(h))
	}
	slots := math.Ceil((total + 1) * factor / 100)
	over := func(k int) float64 {
		return eps.Load(int(s.hosts[k])) / max(math.Ceil(slots*s.weights[k]), 1)
	}
	k0 := int(s.pos[first])
	if over(k0) <= 1 {
		return first
	}
	var src rand.PCG
	src.Seed(hash, hash^0x9e3779b97f4a7c15)
	n := len(s.hosts)
	best, bestOver := k0, over(k0)
	for k := 0; k < n; k++ {
		j := k + int(src.Uint64()%uint64(n-k))
		s.perm[k], s.perm[j] = s.perm[j], s.perm[k]
		s.swaps = append(s.swaps, int32(j))
		if o := over(int(s.perm[k])); o <= 1 {
			best, bestOver = int(s.perm[k]), o
			break
		} else if o < bestOver {
			best, bestOver = int(s.perm[k]), o
		}
	}
	for k := len(s.swaps) - 1; k >= 0; k-- { // restore the identity permutation
		j := s.swaps[k]
		s.perm[k], s.perm[j] = s.perm[j], s.perm[k]
	}
	s.swaps = s.swaps[:0]
	return int(s.hosts[best])
}

// RingHash maps each request key to a host by consistent hashing on a
// Ketama ring.
//
// It follows Envoy's RING_HASH load balancer (envoyproxy/envoy
// load_balancers.rst "Ring hash"; api/envoy/extensions/
// load_balancing_policies/ring_hash/v3/ring_hash.proto;
// source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc). The
// ring is built from the healthy hosts whenever health changes: with
// normalised weights w_i, scale = min(⌈min_i w_i · minimum_ring_size⌉ /
// min_i w_i, maximum_ring_size), and host i contributes the entries
// xxHash64("address_j") for j = 0, 1, … while a running count stays below
// the running target Σ scale·w_i (so the lightest host gets a whole number
// and weights are honoured); the entries are sorted by hash. A request's key
// hash picks the first entry at or after it, wrapping round (Ketama). With
// hash_balance_factor set, overloaded hosts overflow as Envoy's bounded-load
// wrapper does; below the strategy's panic threshold of healthy hosts it
// hashes over all of them. Picks search only the ring entries that share
// the key hash's top bits (a jump table, same entry as a binary search of
// the whole ring) and do not allocate.
type RingHash struct {
	min, max float64
	hashConfig
	views  viewCache[hashRef[ringView]]
	tables *hashTables[ringView] // shared with the other pickers of its build
	fb     topology.Fallback
}

type ringView struct {
	hashSet
	ring []ringEntry
	buf  []byte
	// jump[k] is the first entry whose hash's top bits are ≥ k (jump has
	// 2^bits+1 entries, the last len(ring)): a pick searches only the
	// entries sharing its key's top bits, a cache line or two, instead of
	// halving the whole ring (which misses cache at every step once the
	// ring outgrows it). Same entry as the plain search (TestRingJumpSameAsSearch).
	jump []uint32
	bits uint
}

type ringEntry struct {
	hash uint64
	host int32 // view index
}

// Pick implements topology.Picker.
func (p *RingHash) Pick(_ sim.Time, eps topology.Endpoints, req *topology.Request) int {
	v := p.view(eps)
	p.fb = v.fallback()
	if len(v.ring) == 0 {
		return -1
	}
	var key uint64
	if req != nil {
		key = req.Key
	}
	h := keyHash(key)
	host := int(v.ring[v.search(h)].host)
	if p.balance > 0 {
		return v.bounded(eps, p.balance, h, host)
	}
	return host
}

// search returns the index of the first entry with hash ≥ h, wrapping to
// the start (Ketama); the ring must not be empty.
func (v *ringView) search(h uint64) int {
	lo, hi := 0, len(v.ring)
	if v.jump != nil {
		k := h >> (64 - v.bits)
		lo, hi = int(v.jump[k]), int(v.jump[k+1])
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v.ring[m].hash < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(v.ring) {
		lo = 0
	}
	return lo
}

// ringJumpMin is the smallest ring given a jump table; below it the whole
// ring is a few cache lines and a plain search is as quick.
const ringJumpMin = 256

// index builds v's jump table: 2^bits buckets for about two to four
// entries each.
func (v *ringView) index() {
	v.jump, v.bits = v.jump[:0], 0
	n := len(v.ring)
	if n < ringJumpMin {
		v.jump = nil
		return
	}
	v.bits = uint(bits.Len(uint(n))) - 2 // 2^bits in (n/4, n/2]
	buckets := 1 << v.bits
	v.jump = slices.Grow(v.jump, buckets+1)[:buckets+1]
	i := 0
	for k := range buckets {
		for i < n && v.ring[i].hash>>(64-v.bits) < uint64(k) {
			i++
		}
		v.jump[k] = uint32(i)
	}
	v.jump[buckets] = uint32(n)
}

// view returns the shared table for the host set eps shows, looking it up
// again when the set is new to this picker or its Generation changed.
func (p *RingHash) view(eps topology.Endpoints) *ringView {
	r, stale := p.views.get(eps)
	if stale || r.t == nil {
		if p.tables == nil {
			p.tables = &hashTables[ringView]{}
		}
		p.tables.acquire(r, eps, p.hashConfig, func(v *ringView) *hashSet { return &v.hashSet }, p.build)
	}
	return &r.t.v
}

// view returns the shared table for the host set eps shows, looking it up
// again when the set is new to this picker or its Generation changed.
func (p *Maglev) view(eps topology.Endpoints) *maglevView {
	r, stale := p.views.get(eps)
	if stale || r.t == nil {
		if p.tables == nil {
			p.tables = &hashTables[maglevView]{}
		}
		p.tables.acquire(r, eps, p.hashConfig, func(v *maglevView) *hashSet { return &v.hashSet }, p.build)
	}
	return &r.t.v
}

// LastFallback implements topology.FallbackReporter: panic when the last
// pick hashed over unhealthy hosts too.
func (p *RingHash) LastFallback() topology.Fallback { return p.fb }

// build fills v's ring from its host set (filled by collect).
func (p *RingHash) build(v *ringView) {
	v.ring = v.ring[:0]
	if len(v.hosts) == 0 {
		return
	}
	minW := slices.Min(v.weights)
	scale := min(math.Ceil(minW*p.min)/minW, p.max)
	var current, target float64
	for k, h := range v.hosts {
		v.buf = append(append(v.buf[:0], v.addrs[k]...), '_')
		prefix := len(v.buf)
		target += scale * v.weights[k]
		for i := uint64(0); current < target; i++ {
			v.buf = strconv.AppendUint(v.buf[:prefix], i, 10)
			v.ring = append(v.ring, ringEntry{hash: xxhash.Sum64(v.buf), host: h})
			current++
		}
	}
	slices.SortFunc(v.ring, func(a, b ringEntry) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return int(a.host) - int(b.host)
	})
	v.index()
}

// Maglev maps each request key to a host through a Maglev lookup table.
//
// It follows Envoy's MAGLEV load balancer (envoyproxy/envoy
// load_balancers.rst "Maglev"; api/envoy/extensions/load_balancing_policies/
// maglev/v3/maglev.proto; source/extensions/load_balancing_policies/maglev/
// maglev_lb.cc), which implements the table population of Eisenbud et al.,
// "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016,
// §3.4 (Pseudocode 1), weighted. The table is built from the healthy hosts
// whenever health changes. Hosts are ordered by address; host i's
// preference list is offset_i + j·skip_i (mod M), offset_i = xxHash64(addr)
// mod M, skip_i = xxHash64(addr, seed 1) mod (M−1) + 1. In iteration t =
// 1, 2, … each host whose t·w_i has reached its target (which then grows by
// max_j w_j) claims its next unclaimed slot, until all M are taken — so
// entries are proportional to weight (A=1, B=2 over 65537: 21,846 and
// 43,691) and every host gets at least one. A key goes to table[hash mod
// M]. hash_balance_factor and the panic threshold behave as for ring-hash.
// Picks are O(1) and do not allocate.
type Maglev struct {
	size uint64
	hashConfig
	views  viewCache[hashRef[maglevView]]
	tables *hashTables[maglevView] // shared with the other pickers of its build
	fb     topology.Fallback
}

type maglevView struct {
	hashSet
	table   []int32 // view index per slot
	entries []maglevEntry
	order   []int32
}

type maglevEntry struct {
	offset, skip, next uint64
	weight, target     float64
	count              int
}

// Pick implements topology.Picker.
func (p *Maglev) Pick(_ sim.Time, eps topology.Endpoints, req *topology.Request) int {
	v := p.view(eps)
	p.fb = v.fallback()
	if len(v.table) == 0 {
		return -1
	}
	var key uint64
	if req != nil {
		key = req.Key
	}
	h := keyHash(key)
	host := int(v.table[h%p.size])
	if p.balance > 0 {
		return v.bounded(eps, p.balance, h, host)
	}
	return host
}

// LastFallback implements topology.FallbackReporter.
func (p *Maglev) LastFallback() topology.Fallback { return p.fb }

// build fills v's table from its host set (filled by collect).
func (p *Maglev) build(v *maglevView) {
	v.table = v.table[:0]
	n := len(v.hosts)
	if n == 0 {
		return
	}
	// Envoy sorts the hosts by the string it hashes, so the table does not
	// depend on the order hosts arrive in.
	v.order = grow(v.order[:0], n)
	for k := range v.order {
		v.order[k] = int32(k)
	}
	slices.SortFunc(v.order, func(a, b int32) int { return strings.Compare(v.addrs[a], v.addrs[b]) })
	maxW := slices.Max(v.weights)
	v.entries = v.entries[:0]
	d := xxhash.New()
	for _, k := range v.order {
		addr := v.addrs[k]
		d.ResetWithSeed(1)
		d.WriteString(addr)
		v.entries = append(v.entries, maglevEntry{
			offset: xxhash.Sum64String(addr) % p.size,
			skip:   d.Sum64()%(p.size-1) + 1,
			weight: v.weights[k],
		})
	}
	v.table = grow(v.table[:0], int(p.size))
	for i := range v.table {
		v.table[i] = -1
	}
	filled := uint64(0)
	for iter := 1.0; filled < p.size; iter++ {
		for i := range v.entries {
			if filled == p.size {
				break
			}
			e := &v.entries[i]
			if iter*e.weight < e.target {
				continue
			}
			e.target += maxW
			c := (e.offset + e.skip*e.next) % p.size
			for v.table[c] >= 0 {
				e.next++
				c = (e.offset + e.skip*e.next) % p.size
			}
			v.table[c] = v.hosts[v.order[i]]
			e.next++
			e.count++
			filled++
		}
	}
}

// hashPicker is what HashMovement needs of a picker.
type hashPicker interface {
	topology.Picker
	LastFallback() topology.Fallback
}

// HashMovement measures how many keys a hash routing remaps when hosts
// leave: it maps request keys 0..keys−1 over hosts equal-weight hosts,
// removes the last removed of them, maps the keys again and returns the
// fraction whose host changed, averaged over movementTrials independent
// host sets (different addresses, so different rings and tables). params
// are the routing's parameters (defaults fill the missing ones). The
// routing must be a hash routing (ring-hash, maglev).
func HashMovement(routing string, params sim.Params, hosts, removed, keys int) (float64, error) {
	def, ok := LookupRouting(routing)
	if !ok {
		return 0, fmt.Errorf("unknown routing %q", routing)
	}
	if hosts < 1 || removed < 0 || removed >= hosts || keys < 1 {
		return 0, fmt.Errorf("need 0 ≤ removed < hosts and keys ≥ 1, got hosts %d, removed %d, keys %d", hosts, removed, keys)
	}
	full, err := def.Params.Complete(params)
	if err != nil {
		return 0, err
	}
	newPicker, err := def.Build(full)
	if err != nil {
		return 0, err
	}
	before := make([]int, keys)
	req := &topology.Request{}
	moved := 0
	for trial := 0; trial < movementTrials; trial++ {
		picker, ok := newPicker(sim.NewStream(uint64(trial), "hash-movement")).(hashPicker)
		if !ok {
			return 0, fmt.Errorf("routing %q is not a hash routing", routing)
		}
		for phase, n := range []int{hosts, hosts - removed} {
			eps := staticHosts{n: n, base: trial * hosts}
			for k := range before {
				req.Key = uint64(k)
				id := eps.ID(picker.Pick(0, eps, req))
				if phase == 0 {
					before[k] = id
				} else if id != before[k] {
					moved++
				}
			}
		}
	}
	return float64(moved) / float64(keys*movementTrials), nil
}

const movementTrials = 16

// staticHosts is n healthy hosts of weight 1 with IDs base, base+1, ….
type staticHosts struct{ n, base int }

func (s staticHosts) Len() int                   { return s.n }
func (s staticHosts) Load(int) float64           { return 0 }
func (s staticHosts) Weight(int) float64         { return 1 }
func (s staticHosts) Healthy(int) bool           { return true }
func (s staticHosts) HealthyCount() int          { return s.n }
func (s staticHosts) ID(i int) int               { return s.base + i }
func (s staticHosts) Priority(int) int           { return 0 }
func (s staticHosts) Locality(int) int           { return 0 }
func (s staticHosts) Since(int) sim.Time         { return 0 }
func (s staticHosts) Report(int) topology.Signal { return topology.Signal{} }
func (s staticHosts) Generation() uint64         { return 0 }
