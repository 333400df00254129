package strategies

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var basicRoutings = []*RoutingDef{
	{
		Name:        "round-robin",
		Description: "each healthy host in turn, from a random starting point per decider",
		Source:      "Envoy ROUND_ROBIN (load_balancers.rst; RoundRobinLoadBalancer seeds each worker's index randomly; slow_start.rst)",
		Params:      slowStartParams,
		Build: func(p sim.Params) (topology.NewPicker, error) {
			slow := readSlowStart(p)
			if slow.window == 0 {
				return func(rng *rand.Rand) topology.Picker { return NewRoundRobin(rng) }, nil
			}
			// While a host ramps up, Envoy's round robin schedules by
			// (slow-start) weight; configured weights stay ignored here.
			return func(rng *rand.Rand) topology.Picker {
				p := newWeightedRoundRobin(rng, true, false, slow)
				p.unit = true
				return p
			}, nil
		},
	},
	{
		Name:        "random",
		Description: "a uniformly random healthy host",
		Source:      "Envoy RANDOM (load_balancers.rst: \"better than round robin with no health checking\")",
		Build: func(sim.Params) (topology.NewPicker, error) {
			return func(rng *rand.Rand) topology.Picker { return &Random{rng: rng} }, nil
		},
	},
}

// RoundRobin picks each healthy host in turn.
//
// It follows Envoy's unweighted ROUND_ROBIN load balancer
// (envoyproxy/envoy docs/root/intro/arch_overview/upstream/load_balancing/
// load_balancers.rst; source/common/upstream/load_balancer_impl.cc): each
// worker keeps its own index, seeded with a random value so that workers
// and proxies do not march in step, and picks hosts_to_use[index++ % n]
// over the currently healthy hosts.
//
// A decider behind an edge sees one host set per region; like Envoy, which
// keeps a load balancer per cluster, it keeps one index per host set, so
// the edge alternating regions does not alias with the index (one shared
// counter would send every other pick of a region to the same half of its
// hosts).
type RoundRobin struct {
	seed  uint64
	views viewCache[uint64]
}

// NewRoundRobin returns a round-robin picker whose index starts at a random
// value drawn from rng.
func NewRoundRobin(rng *rand.Rand) *RoundRobin { return &RoundRobin{seed: rng.Uint64() >> 1} }

// Pick implements topology.Picker.
func (p *RoundRobin) Pick(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
	healthy := eps.HealthyCount()
	if healthy == 0 {
		return -1
	}
	next, fresh := p.views.get(eps)
	if fresh && *next == 0 {
		*next = p.seed
	}
	k := int(*next % uint64(healthy))
	*next++
	return nthHealthy(eps, k)
}

// Random picks a uniformly random healthy host.
//
// It follows Envoy's RANDOM load balancer (load_balancers.rst): a random
// available host, chosen anew per request.
type Random struct {
	rng *rand.Rand
}

// NewRandom returns a random picker drawing from rng.
func NewRandom(rng *rand.Rand) *Random { return &Random{rng: rng} }

// Pick implements topology.Picker.
func (p *Random) Pick(_ sim.Time, eps topology.Endpoints, _ *topology.Request) int {
	healthy := eps.HealthyCount()
	if healthy == 0 {
		return -1
	}
	return nthHealthy(eps, p.rng.IntN(healthy))
}

// nthHealthy returns the index of the k-th (0-based) healthy host: O(1)
// when every host is healthy, a scan otherwise.
func nthHealthy(eps topology.Endpoints, k int) int {
	n := eps.Len()
	if eps.HealthyCount() == n {
		return k
	}
	for i := 0; i < n; i++ {
		if eps.Healthy(i) {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return -1
}
