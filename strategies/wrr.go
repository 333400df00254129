package strategies

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var wrrRoutings = []*RoutingDef{
	{
		Name:        "weighted-round-robin",
		Description: "each healthy host in turn in proportion to its weight (an EDF schedule), desynchronised across deciders",
		Source:      "Envoy ROUND_ROBIN with endpoint weights (load_balancers.rst; edf_scheduler.h; EdfLoadBalancerBase::refresh; PRs #3271, #32233; issue #31378)",
		Params: append(sim.ParamSet{
			{
				Name: "desynchronize", Kind: sim.Bool, Default: true,
				Description: "pre-advance each decider's schedule by its own random number of picks on every rebuild; false makes every decider pick the heaviest host first after a host-set change (the first-pick problem)",
				Source:      "Envoy PR #3271 \"desynchronize WRR picks\"; envoy#31378",
			},
			{
				Name: "legacy_init", Kind: sim.Bool, Default: false,
				Description: "pre-advance by (seed mod number of hosts) picks as Envoy did before 2024, which stays inside the first weighted cycle and still favours the heaviest hosts",
				Source:      "Envoy PR #3271 (2018); fixed by PR #32233, runtime guard envoy.reloadable_features.edf_lb_host_scheduler_init_fix",
			},
		}, slowStartParams...),
		Build: func(p sim.Params) (topology.NewPicker, error) {
			desync, legacy, slow := p.Bool("desynchronize"), p.Bool("legacy_init"), readSlowStart(p)
			return func(rng *rand.Rand) topology.Picker {
				return newWeightedRoundRobin(rng, desync, legacy, slow)
			}, nil
		},
	},
}

// WeightedRoundRobin picks healthy hosts in turn in proportion to their
// weights.
//
// It follows Envoy's ROUND_ROBIN load balancer (envoyproxy/envoy
// docs/root/intro/arch_overview/upstream/load_balancing/load_balancers.rst;
// source/common/upstream/edf_scheduler.h; EdfLoadBalancerBase in
// load_balancer_impl.cc). When all healthy hosts weigh the same and none is
// in slow start it is plain round robin from a per-decider random index.
// Otherwise each host is a job in an earliest-deadline-first schedule with
// period 1/weight, rebuilt whenever the host set's health changes (Envoy
// rebuilds on every EDS update). A fresh schedule picks the heaviest host
// first and only honours the weights over a whole cycle — the "first-pick
// problem" (envoy#31378) — so that a fleet of proxies receiving the same
// update does not burst onto one host, each decider pre-advances its
// schedule by its own random number of picks (PR #3271; since PR #32233
// the count is drawn from the whole weighted pick sequence, via
// EdfScheduler::createWithPicks). Like Envoy, the random pick count is
// drawn once per decider and reused on every rebuild.
type WeightedRoundRobin struct {
	seed   uint64 // Envoy's per-balancer seed_: the pre-pick count and round-robin start
	rr     uint64
	desync bool
	legacy bool
	unit   bool // weigh every host 1 before slow start (round-robin with slow start)
	slow   slowStart
	views  viewCache[wrrView]

	now sim.Time // for weight(), set by Pick
	eps topology.Endpoints
	v   *wrrView
}

type wrrView struct {
	rr       uint64 // plain round robin's index in this host set (Envoy keeps a balancer per cluster)
	started  bool
	hosts    []int32 // healthy hosts, by index in the view
	weighted bool    // scheduling by EDF rather than plain round robin
	sched    edf     // entries are positions in hosts
}

// NewWeightedRoundRobin returns Envoy's weighted round robin as it is
// today: desynchronised (PR #32233), no slow start.
func NewWeightedRoundRobin(rng *rand.Rand) *WeightedRoundRobin {
	return newWeightedRoundRobin(rng, true, false, slowStart{})
}

// newWeightedRoundRobin returns a weighted round-robin picker: desync
// pre-advances schedules randomly (legacy: by seed mod hosts, as before
// Envoy PR #32233), slow eases restarted hosts in.
func newWeightedRoundRobin(rng *rand.Rand, desync, legacy bool, slow slowStart) *WeightedRoundRobin {
	seed := rng.Uint64()
	return &WeightedRoundRobin{seed: seed, rr: seed, desync: desync, legacy: legacy, slow: slow}
}

// Pick implements topology.Picker. Cost: O(1) for plain round robin,
// O(log n) when scheduling by weight; O(n log n) after a health change.
func (p *WeightedRoundRobin) Pick(now sim.Time, eps topology.Endpoints, _ *topology.Request) int {
	v, stale := p.views.get(eps)
	p.now, p.eps, p.v = now, eps, v
	if stale {
		p.rebuild(v)
	}
	switch len(v.hosts) {
	case 0:
		return -1
	case 1:
		return int(v.hosts[0])
	}
	if !v.weighted {
		k := v.hosts[v.rr%uint64(len(v.hosts))]
		v.rr++
		return int(k)
	}
	return int(v.hosts[v.sched.pickAndAdd(p)])
}

// weight is the current weight of the host at position k of the view's
// healthy list: its configured weight (or 1), eased by slow start.
func (p *WeightedRoundRobin) weight(k int) float64 {
	h := int(p.v.hosts[k])
	w := 1.0
	if !p.unit {
		w = p.eps.Weight(h)
	}
	return w * p.slow.factor(p.now, p.eps.Since(h))
}

func (p *WeightedRoundRobin) rebuild(v *wrrView) {
	if !v.started {
		v.rr, v.started = p.rr, true
	}
	v.hosts = healthyHosts(v.hosts, p.eps)
	v.weighted = (!p.unit && !equalWeights(p.eps, v.hosts)) || p.slow.anyRamping(p.now, p.eps, v.hosts)
	if !v.weighted || len(v.hosts) < 2 {
		return
	}
	var picks uint64
	switch {
	case !p.desync:
	case p.legacy:
		picks = p.seed % uint64(len(v.hosts))
	default:
		picks = p.seed
	}
	if p.legacy || !p.desync {
		// Envoy before PR #32233: add every host, then pick picks times.
		v.sched.reset()
		for k := range v.hosts {
			v.sched.add(k, p.weight(k))
		}
		for ; picks > 0; picks-- {
			v.sched.pickAndAdd(p)
		}
		return
	}
	v.sched.initWithPicks(len(v.hosts), p, uint32(picks))
}
