package strategies

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// maglevTable builds p's table over h and counts the entries per host.
func maglevTable(p *Maglev, h topology.Endpoints) []int {
	v := p.view(h)
	counts := make([]int, h.Len())
	for _, k := range v.table {
		counts[k]++
	}
	return counts
}

// TestMaglevWeightedTable checks the documented vector: Envoy's weighted
// Maglev table of 65537 entries over hosts of weight 1 and 2 gives them
// 21,846 and 43,691 entries; equal weights share the table to within one
// entry (Eisenbud et al. §3.4: "each backend ... fills the table ... almost
// equally").
func TestMaglevWeightedTable(t *testing.T) {
	h := newHosts(2)
	h.weight[1] = 2
	p := build(t, "maglev", nil, 1).(*Maglev)
	if got := maglevTable(p, h); got[0] != 21846 || got[1] != 43691 {
		t.Errorf("weights 1, 2: %v entries, want [21846 43691]", got)
	}
	h = newHosts(7)
	for _, c := range maglevTable(p, h) {
		if c != 65537/7 && c != 65537/7+1 {
			t.Errorf("7 equal hosts: a host has %d entries, want %d or %d", c, 65537/7, 65537/7+1)
		}
	}
	d, _ := LookupRouting("maglev")
	if _, err := d.Build(sim.Params{"table_size": int64(65536), "hash_balance_factor": int64(0)}); err == nil {
		t.Error("a table size that is not prime was accepted")
	}
}

// TestRingHashRing checks Envoy's ring construction: the lightest host gets
// ⌈w_min·1024⌉ entries and the others in proportion (weights 1, 2 ⇒ 342
// and 684 entries of 1026), and a key goes to the first entry at or after
// its hash, wrapping round (Ketama).
func TestRingHashRing(t *testing.T) {
	h := newHosts(2)
	h.weight[1] = 2
	p := build(t, "ring-hash", nil, 1).(*RingHash)
	v := p.view(h)
	counts := make([]int, 2)
	for _, e := range v.ring {
		counts[e.host]++
	}
	if counts[0] != 342 || counts[1] != 684 {
		t.Errorf("weights 1, 2: ring entries %v, want [342 684]", counts)
	}
	h = newHosts(10)
	for i := 0; i < 5000; i++ {
		req := &topology.Request{Key: uint64(i)}
		got := p.Pick(0, h, req)
		v := p.view(h)
		hash, want := keyHash(req.Key), int(v.ring[0].host)
		for _, e := range v.ring {
			if e.hash >= hash {
				want = int(e.host)
				break
			}
		}
		if got != want {
			t.Fatalf("key %d: host %d, want %d (first entry ≥ its hash)", i, got, want)
		}
	}
}

// TestHashConsistency: while membership and health are unchanged the same
// key always maps to the same healthy host, for both hash pickers, on
// random host sets.
func TestHashConsistency(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		routing := rapid.SampledFrom([]string{"ring-hash", "maglev"}).Draw(t, "routing")
		n := rapid.IntRange(1, 40).Draw(t, "hosts")
		h := newHosts(n)
		for i := range h.healthy {
			h.healthy[i] = rapid.Bool().Draw(t, "healthy")
			h.weight[i] = float64(rapid.IntRange(1, 3).Draw(t, "weight"))
		}
		d, _ := LookupRouting(routing)
		params, _ := d.Params.Complete(declared(sim.Params{"table_size": int64(1009)}, d.Params))
		f, err := d.Build(params)
		if err != nil {
			t.Fatal(err)
		}
		p := f(sim.NewStream(1, routing))
		p.(topology.PanicHandler).SetPanicThreshold(0) // healthy hosts only
		keys := rapid.SliceOfN(rapid.Uint64(), 1, 20).Draw(t, "keys")
		first := map[uint64]int{}
		for round := 0; round < 2; round++ {
			for _, k := range keys {
				got := p.Pick(0, h, &topology.Request{Key: k})
				if h.HealthyCount() == 0 {
					if got != -1 {
						t.Fatalf("picked %d with no healthy host", got)
					}
					continue
				}
				if got < 0 || !h.healthy[got] {
					t.Fatalf("key %d: picked %d, healthy %v", k, got, h.healthy)
				}
				if prev, ok := first[k]; ok && prev != got {
					t.Fatalf("key %d mapped to %d, then %d", k, prev, got)
				}
				first[k] = got
			}
		}
	})
}

// declared keeps the parameters of p that set declares.
func declared(p sim.Params, set sim.ParamSet) sim.Params {
	out := sim.Params{}
	for k, v := range p {
		if _, ok := set.Lookup(k); ok {
			out[k] = v
		}
	}
	return out
}

// TestHashMovement measures how many keys move when one host leaves. Ring
// hash moves about the departed host's keys (≈ 1/N) when the rebuilt ring
// gives each host the same number of entries, ⌈1024/N⌉ (N = 50, 100);
// otherwise (N = 10: 103 → 114 entries each) every host gains entries and
// more keys move. Envoy's floating-point running sums also shift a host's
// entry count now and then, so a few keys of staying hosts move too.
// Maglev disturbs more keys of hosts that stay.
func TestHashMovement(t *testing.T) {
	const keys = 20000
	for _, n := range []int{10, 20, 50, 100} {
		ring, err := HashMovement("ring-hash", nil, n, 1, keys)
		if err != nil {
			t.Fatal(err)
		}
		maglev, err := HashMovement("maglev", nil, n, 1, keys)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("N=%3d remove 1: ring-hash moves %.2f%% of keys, maglev %.2f%% (1/N = %.2f%%)", n, 100*ring, 100*maglev, 100/float64(n))
		if n >= 50 && math.Abs(ring*float64(n)-1) > 0.35 {
			t.Errorf("N=%d: ring hash moved %.2f%% of keys, want ≈ 1/N = %.2f%%", n, 100*ring, 100/float64(n))
		}
		if maglev < 0.9/float64(n) || maglev > 2.5/float64(n) {
			t.Errorf("N=%d: maglev moved %.2f%% of keys, want between 0.9/N and 2.5/N", n, 100*maglev)
		}
	}
	// Keys of hosts that stay: ring hash moves few, Maglev more.
	stayedFrac := map[string]float64{}
	for _, routing := range []string{"ring-hash", "maglev"} {
		p := build(t, routing, nil, 1)
		all, fewer := newHosts(100), newHosts(99)
		stayed := 0
		for k := 0; k < keys; k++ {
			req := &topology.Request{Key: uint64(k)}
			if a := p.Pick(0, all, req); a < 99 && p.Pick(0, fewer, req) != a {
				stayed++
			}
		}
		stayedFrac[routing] = float64(stayed) / keys
		t.Logf("N=100 remove 1: %s moves %.2f%% of keys between hosts that stay", routing, 100*stayedFrac[routing])
	}
	if r, m := stayedFrac["ring-hash"], stayedFrac["maglev"]; r > 0.005 || m <= 2*r {
		t.Errorf("keys moved between staying hosts: ring hash %.2f%%, maglev %.2f%%; want ring ≤ 0.5%% and maglev more than twice that", 100*r, 100*m)
	}
	if _, err := HashMovement("round-robin", nil, 10, 1, 10); err == nil {
		t.Error("HashMovement accepted a routing that does not hash")
	}
}

// TestHashRebuildOnHealth: once a host turns unhealthy the ring is rebuilt
// without it, so no key maps to it, and keys of other hosts (nearly all)
// stay where they were.
func TestHashRebuildOnHealth(t *testing.T) {
	h := newHosts(100)
	p := build(t, "ring-hash", nil, 1)
	before := make([]int, 5000)
	for k := range before {
		before[k] = p.Pick(0, h, &topology.Request{Key: uint64(k)})
	}
	h.healthy[7] = false
	h.gen++
	moved := 0
	for k := range before {
		got := p.Pick(0, h, &topology.Request{Key: uint64(k)})
		if got == 7 {
			t.Fatalf("key %d still maps to the failed host", k)
		}
		if before[k] != 7 && got != before[k] {
			moved++
		}
	}
	if moved > len(before)/100 {
		t.Errorf("%d of %d keys of healthy hosts moved", moved, len(before))
	}
}

// TestHashPanic: below the panic threshold (50% healthy) Envoy hashes over
// all hosts, so some keys land on unhealthy ones, and the picker reports a
// panic pick; with the threshold at 0 only healthy hosts are used.
func TestHashPanic(t *testing.T) {
	for _, routing := range []string{"ring-hash", "maglev"} {
		h := newHosts(10)
		for i := 0; i < 6; i++ {
			h.healthy[i] = false
		}
		p := build(t, routing, nil, 1).(hashPicker)
		unhealthy := 0
		for k := 0; k < 1000; k++ {
			if !h.healthy[p.Pick(0, h, &topology.Request{Key: uint64(k)})] {
				unhealthy++
			}
			if p.LastFallback() != topology.FallbackPanic {
				t.Fatalf("%s: pick in panic reported %v", routing, p.LastFallback())
			}
		}
		if unhealthy == 0 {
			t.Errorf("%s: in panic no key went to an unhealthy host", routing)
		}
		p = build(t, routing, nil, 1).(hashPicker)
		p.(topology.PanicHandler).SetPanicThreshold(0)
		for k := 0; k < 1000; k++ {
			if !h.healthy[p.Pick(0, h, &topology.Request{Key: uint64(k)})] || p.LastFallback() != topology.FallbackNone {
				t.Fatalf("%s with panic off: key %d went to an unhealthy host", routing, k)
			}
		}
	}
}

// TestHashBoundedLoad: with hash_balance_factor 150 a host may hold at most
// ⌈⌈(T+1)·1.5⌉·w⌉ of the decider's T outstanding requests; beyond that its
// keys overflow to other hosts, deterministically per key.
func TestHashBoundedLoad(t *testing.T) {
	for _, routing := range []string{"ring-hash", "maglev"} {
		h := newHosts(4)
		plain := build(t, routing, nil, 1)
		bounded := build(t, routing, sim.Params{"hash_balance_factor": int64(150)}, 1)
		// Idle: bounded picks the same hosts as plain.
		for k := 0; k < 200; k++ {
			req := &topology.Request{Key: uint64(k)}
			if a, b := plain.Pick(0, h, req), bounded.Pick(0, h, req); a != b {
				t.Fatalf("%s: idle hosts, key %d: bounded %d, plain %d", routing, k, b, a)
			}
		}
		// Host 2 holds 10 of 12 outstanding: its cap is ⌈⌈13·1.5⌉/4⌉ = 5.
		copy(h.load, []float64{1, 1, 10, 0})
		moved := 0
		for k := 0; k < 200; k++ {
			req := &topology.Request{Key: uint64(k)}
			a, b := plain.Pick(0, h, req), bounded.Pick(0, h, req)
			if b == 2 {
				t.Fatalf("%s: key %d went to the overloaded host", routing, k)
			}
			if a != 2 && a != b {
				t.Fatalf("%s: key %d of a host within its cap moved from %d to %d", routing, k, a, b)
			}
			if a == 2 {
				moved++
				if again := bounded.Pick(0, h, req); again != b {
					t.Fatalf("%s: key %d overflowed to %d, then %d", routing, k, b, again)
				}
			}
		}
		if moved == 0 {
			t.Errorf("%s: no key of the overloaded host was tried", routing)
		}
	}
	d, _ := LookupRouting("ring-hash")
	p, _ := d.Params.Complete(sim.Params{"hash_balance_factor": int64(50)})
	if _, err := d.Build(p); err == nil {
		t.Error("hash_balance_factor 50 accepted; Envoy requires 0 or ≥ 100")
	}
}

// TestRingJumpSameAsSearch: the jump table's search finds the same entry
// as a binary search of the whole ring, for rings of every size around the
// threshold and above, with duplicate hashes, keys equal to entries, keys
// beyond the last entry (wrapping) and keys at the ends of the hash space.
func TestRingJumpSameAsSearch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 3000).Draw(t, "entries")
		spread := rapid.SampledFrom([]uint64{math.MaxUint64, 1 << 40, 1000}).Draw(t, "spread")
		seed := rapid.Uint64().Draw(t, "seed")
		r := rand.New(rand.NewPCG(seed, 1))
		v := &ringView{}
		for i := range n {
			v.ring = append(v.ring, ringEntry{hash: r.Uint64N(spread), host: int32(i % 7)})
		}
		slices.SortFunc(v.ring, func(a, b ringEntry) int { return cmp.Compare(a.hash, b.hash) })
		v.index()
		if (v.jump != nil) != (n >= ringJumpMin) {
			t.Fatalf("%d entries: jump table %v", n, v.jump != nil)
		}
		plain := func(h uint64) int {
			i, _ := slices.BinarySearchFunc(v.ring, h, func(e ringEntry, h uint64) int { return cmp.Compare(e.hash, h) })
			if i == len(v.ring) {
				return 0
			}
			return i
		}
		keys := []uint64{0, math.MaxUint64, v.ring[0].hash, v.ring[n-1].hash, v.ring[n-1].hash + 1}
		for range 200 {
			keys = append(keys, r.Uint64N(spread), v.ring[r.IntN(n)].hash, r.Uint64())
		}
		for _, h := range keys {
			if got, want := v.search(h), plain(h); got != want {
				t.Fatalf("key %#x: jump search %d, binary search %d (%d entries)", h, got, want, n)
			}
		}
	})
}
