package strategies

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var localityRoutings = []*RoutingDef{
	{
		Name:        "locality",
		Description: "priority levels with gradual failover (overprovisioning factor), optional locality weighting, panic mode, then a host picker inside the chosen locality",
		Source:      "Envoy priority levels, locality weighted LB and panic threshold (load_balancing/priority.rst, locality_weight.rst, panic_threshold.rst, overprovisioning.rst; LoadBalancerBase in load_balancer_impl.cc)",
		Params: sim.ParamSet{
			{
				Name: "overprovisioning_factor", Kind: sim.Float, Default: 1.4, Min: sim.Bound(1), Max: sim.Bound(100),
				Description: "a level or locality counts as fully healthy while healthy fraction × factor ≥ 100%",
				Source:      "Envoy ClusterLoadAssignment.Policy.overprovisioning_factor, default 140 (1.4)",
			},
			{
				Name: "inner", Kind: sim.Enum, Default: "round-robin", Choices: []string{"round-robin", "random", "least-request"},
				Description: "how a host is picked inside the chosen level or locality (each with Envoy's defaults)",
				Source:      "Envoy: the cluster's lb_policy picks the host after priority and locality (locality_weight.rst, step 3)",
			},
			{
				Name: "locality_weighted", Kind: sim.Bool, Default: false,
				Description: "pick a locality (zone) first, weighted by the sum of its hosts' weights scaled by its availability",
				Source:      "Envoy CommonLbConfig.locality_weighted_lb_config (locality_weight.rst)",
			},
		},
		Build: func(p sim.Params) (topology.NewPicker, error) {
			cfg := localityConfig{
				opf:      int(math.Round(p.Float("overprovisioning_factor") * 100)),
				panic:    0.5, // the strategy's panic_threshold, via SetPanicThreshold
				inner:    p.String("inner"),
				weighted: p.Bool("locality_weighted"),
			}
			return func(rng *rand.Rand) topology.Picker { return newLocality(rng, cfg) }, nil
		},
	},
}

// PriorityPlan is how Envoy spreads traffic over priority levels given
// their health: the arithmetic of priority.rst and panic_threshold.rst.
type PriorityPlan struct {
	Health []int  // health(P) = min(100, ⌊OPF·100·healthy/total⌋), per level
	NTH    int    // normalised total health, min(100, Σ health)
	Load   []int  // percentage of traffic per level; sums to 100
	Panic  []bool // levels balancing over all their hosts, healthy or not
}

// PriorityLoad computes Envoy's priority load for levels with the given
// healthy and total host counts (index = priority level, 0 first), an
// overprovisioning factor (1.4) and a panic threshold (0.5; 0 disables):
//
//	health(P) = min(100, ⌊OPF·100·healthy_P/total_P⌋)
//	NTH       = min(100, Σ_P health(P))
//	load(P0)  = min(100, health(P0)·100/NTH)
//	load(Px)  = min(100 − Σ_{j<x} load(Pj), health(Px)·100/NTH)
//
// Loads are rounded to the nearest percent as the documentation's tables
// are (25%/25%/20% healthy ⇒ 36/36/28; Envoy's C++ floors and would give
// 37/35/28), and any shortfall from 100 goes to the first level with
// health, as Envoy's code does. When NTH < 100, a level whose healthy
// fraction is below the threshold is in panic; when every level is, loads
// follow the levels' host counts instead (Envoy's TotalPanic:
// ⌊100·hosts_P/Σhosts⌋, remainder to the first non-empty level — with a
// single level, all traffic stays on P0 in panic). With the threshold 0 and
// no healthy host anywhere, P0 gets the load and nothing is routable.
func PriorityLoad(healthy, total []int, overprovisioning, panicThreshold float64) PriorityPlan {
	var plan PriorityPlan
	priorityLoad(&plan, healthy, total, int(math.Round(overprovisioning*100)), panicThreshold)
	return plan
}

// priorityLoad fills plan for PriorityLoad, reusing its slices; opf is the
// overprovisioning factor in percent (140).
func priorityLoad(plan *PriorityPlan, healthy, total []int, opf int, threshold float64) {
	n := len(total)
	plan.Health = grow(plan.Health[:0], n)
	plan.Load = grow(plan.Load[:0], n)
	plan.Panic = grow(plan.Panic[:0], n)
	sum := 0
	for i := range total {
		plan.Health[i], plan.Load[i], plan.Panic[i] = 0, 0, false
		if total[i] > 0 {
			plan.Health[i] = min(100, opf*healthy[i]/total[i])
		}
		sum += plan.Health[i]
	}
	plan.NTH = min(100, sum)
	if n == 0 {
		return
	}
	if plan.NTH > 0 {
		left, first := 100, -1
		for i, h := range plan.Health {
			if first < 0 && h > 0 {
				first = i
			}
			l := min(left, (2*h*100+plan.NTH)/(2*plan.NTH)) // h·100/NTH, rounded half up
			plan.Load[i] = l
			left -= l
		}
		plan.Load[first] += left
	}
	if threshold == 0 && plan.NTH == 0 {
		plan.Load[0] = 100
		return
	}
	all := true
	for i := range total {
		plan.Panic[i] = plan.NTH < 100 && (total[i] == 0 || float64(healthy[i]) < threshold*float64(total[i]))
		all = all && plan.Panic[i]
	}
	if !all {
		return
	}
	hosts := 0
	for _, t := range total {
		hosts += t
	}
	if hosts == 0 {
		plan.Load[0] = 100
		return
	}
	left, first := 100, -1
	for i, t := range total {
		if first < 0 && t > 0 {
			first = i
		}
		plan.Load[i] = 100 * t / hosts
		left -= plan.Load[i]
	}
	plan.Load[first] += left
}

// LocalityShares is Envoy's locality-weighted split inside one priority
// level (locality_weight.rst): each locality's effective weight is
//
//	weight_L · min(100, availability_L),  availability_L = ⌊OPF·100·healthy_L/total_L⌋
//
// and its share of the level's traffic is its effective weight over their
// sum. Availability is an integer as in the documentation's table (X of
// weight 1 at 69% against Y of weight 2 ⇒ 32%); Envoy's C++ keeps the
// fraction (32.6%). It returns all zeros when no locality is available.
func LocalityShares(weights []float64, healthy, total []int, overprovisioning float64) []float64 {
	opf := int(math.Round(overprovisioning * 100))
	out := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		out[i] = effectiveLocalityWeight(w, healthy[i], total[i], opf)
		sum += out[i]
	}
	for i := range out {
		if sum > 0 {
			out[i] /= sum
		}
	}
	return out
}

func effectiveLocalityWeight(w float64, healthy, total, opf int) float64 {
	if total == 0 {
		return 0
	}
	return w * float64(min(100, opf*healthy/total))
}

type localityConfig struct {
	opf      int // percent
	panic    float64
	inner    string
	weighted bool
}

// Locality routes by Envoy's priority levels, then (optionally) localities,
// then an inner host picker.
//
// It follows Envoy's LoadBalancerBase and ZoneAwareLoadBalancerBase
// (envoyproxy/envoy source/extensions/load_balancing_policies/common/
// load_balancer_impl.cc; docs load_balancing/priority.rst,
// locality_weight.rst, panic_threshold.rst): hosts are grouped by priority
// (Endpoints.Priority: 0 in the decider's zone, 1 elsewhere in its region,
// 2 in other regions; levels with no hosts are dropped, as Istio only
// emits non-empty ones). Whenever health changes the picker recomputes the
// priority load and panic flags (see PriorityLoad) and, with
// locality_weighted, each locality's effective weight (see LocalityShares,
// a locality's weight being the sum of its hosts' weights, as an EDS
// locality weight would be set). A pick draws a level by its load
// (1 + random mod 100 against the cumulative loads, as choosePriority
// does); a level in panic balances over all its hosts; otherwise a
// locality is drawn from an EDF schedule over the effective weights
// (pre-advanced per decider, as Envoy's locality scheduler is since PR
// #32233), and the inner picker — round robin, random or least request,
// each with Envoy's defaults and its own state per host set — picks among
// its healthy hosts. The picker reports failover when the pick went below
// the first level and panic when it was made in panic mode. Picks are O(1)
// amortised plus the inner picker's cost, without allocation.
type Locality struct {
	rng   *rand.Rand
	cfg   localityConfig
	seed  uint64
	views viewCache[localityView]
	fb    topology.Fallback
}

type localityView struct {
	levels  []level
	plan    PriorityPlan
	healthy []int
	total   []int
	sets    map[setKey]*hostSet // inner pickers, kept across rebuilds
}

// level is one priority level's hosts and routing state.
type level struct {
	priority int
	cum      int // cumulative load up to and including this level, percent
	panic    bool
	all      *hostSet // every host of the level (panic mode)
	healthy  *hostSet // its healthy hosts
	locs     []*locGroup
	live     []*locGroup // localities with effective weight > 0, the scheduler's entries
	sched    edf
}

type locGroup struct {
	locality int
	weight   float64 // Σ host weights
	eff      float64
	healthy  *hostSet
	total    int
}

type setKey struct {
	priority, locality int // locality −1: the whole level
	all                bool
}

// hostSet is a subset of a view's hosts and the inner picker for it.
type hostSet struct {
	sub   subset
	inner topology.Picker
}

// SetPanicThreshold implements topology.PanicHandler: the strategy's
// panic threshold, applied per priority level (when total health is short
// and a level has fewer healthy hosts than this, it balances over all its
// hosts; 0 disables panic, so no healthy host means no route).
func (p *Locality) SetPanicThreshold(t float64) { p.cfg.panic = t }

func newLocality(rng *rand.Rand, cfg localityConfig) *Locality {
	return &Locality{rng: rng, cfg: cfg, seed: rng.Uint64()}
}

// Pick implements topology.Picker.
func (p *Locality) Pick(now sim.Time, eps topology.Endpoints, req *topology.Request) int {
	v, stale := p.views.get(eps)
	if stale {
		p.rebuild(v, eps)
	}
	p.fb = topology.FallbackNone
	if len(v.levels) == 0 {
		return -1
	}
	r := 1 + p.rng.IntN(100)
	li := 0
	for li < len(v.levels)-1 && r > v.levels[li].cum {
		li++
	}
	lv := &v.levels[li]
	set := lv.healthy
	switch {
	case lv.panic:
		set = lv.all
	case lv.sched.len() > 0:
		set = lv.live[lv.sched.pickAndAdd(lv)].healthy
	}
	if set.sub.Len() == 0 {
		return -1
	}
	set.sub.eps = eps
	k := set.inner.Pick(now, &set.sub, req)
	if k < 0 {
		return -1
	}
	switch {
	case lv.panic:
		p.fb = topology.FallbackPanic
	case li > 0:
		p.fb = topology.FallbackFailover
	}
	return int(set.sub.idx[k])
}

// LastFallback implements topology.FallbackReporter.
func (p *Locality) LastFallback() topology.Fallback { return p.fb }

// weight makes a level a weigher of its live localities for the EDF.
func (lv *level) weight(k int) float64 { return lv.live[k].eff }

func (p *Locality) rebuild(v *localityView, eps topology.Endpoints) {
	if v.sets == nil {
		v.sets = map[setKey]*hostSet{}
	}
	for _, s := range v.sets {
		s.sub.idx = s.sub.idx[:0]
	}
	// Levels in priority order, only those with hosts.
	v.levels = v.levels[:0]
	n := eps.Len()
	for i := 0; i < n; i++ {
		pr := eps.Priority(i)
		li := slices.IndexFunc(v.levels, func(l level) bool { return l.priority == pr })
		if li < 0 {
			v.levels = append(v.levels, level{priority: pr})
			li = len(v.levels) - 1
		}
		lv := &v.levels[li]
		lv.all = p.set(v, eps, setKey{pr, -1, true})
		lv.healthy = p.set(v, eps, setKey{pr, -1, false})
		lv.all.sub.idx = append(lv.all.sub.idx, int32(i))
		if eps.Healthy(i) {
			lv.healthy.sub.idx = append(lv.healthy.sub.idx, int32(i))
		}
		if !p.cfg.weighted {
			continue
		}
		loc := eps.Locality(i)
		gi := slices.IndexFunc(lv.locs, func(g *locGroup) bool { return g.locality == loc })
		if gi < 0 {
			lv.locs = append(lv.locs, &locGroup{locality: loc, healthy: p.set(v, eps, setKey{pr, loc, false})})
			gi = len(lv.locs) - 1
		}
		g := lv.locs[gi]
		g.weight += eps.Weight(i)
		g.total++
		if eps.Healthy(i) {
			g.healthy.sub.idx = append(g.healthy.sub.idx, int32(i))
		}
	}
	slices.SortFunc(v.levels, func(a, b level) int { return a.priority - b.priority })
	v.healthy, v.total = v.healthy[:0], v.total[:0]
	for _, lv := range v.levels {
		v.healthy = append(v.healthy, lv.healthy.sub.Len())
		v.total = append(v.total, lv.all.sub.Len())
	}
	priorityLoad(&v.plan, v.healthy, v.total, p.cfg.opf, p.cfg.panic)
	cum := 0
	for i := range v.levels {
		lv := &v.levels[i]
		cum += v.plan.Load[i]
		lv.cum, lv.panic = cum, v.plan.Panic[i]
		lv.live = lv.live[:0]
		for _, g := range lv.locs {
			g.eff = effectiveLocalityWeight(g.weight, g.healthy.sub.Len(), g.total, p.cfg.opf)
			if g.eff > 0 {
				lv.live = append(lv.live, g)
			}
		}
		lv.sched.reset()
		if len(lv.live) > 0 {
			lv.sched.initWithPicks(len(lv.live), lv, uint32(p.seed))
		}
	}
}

// set returns the host set for key, creating it with its inner picker the
// first time. Its index list is refilled by the caller.
func (p *Locality) set(v *localityView, eps topology.Endpoints, key setKey) *hostSet {
	s, ok := v.sets[key]
	if !ok {
		s = &hostSet{inner: p.newInner()}
		v.sets[key] = s
	}
	s.sub.eps = eps
	return s
}

func (p *Locality) newInner() topology.Picker {
	rng := rand.New(rand.NewPCG(p.rng.Uint64(), p.rng.Uint64()))
	switch p.cfg.inner {
	case "random":
		return NewRandom(rng)
	case "least-request":
		return NewLeastRequest(rng)
	}
	return NewWeightedRoundRobin(rng)
}

// subset is an Endpoints over some of a view's hosts, all of which the
// inner picker may pick (in panic mode that includes unhealthy ones).
type subset struct {
	eps topology.Endpoints
	idx []int32
}

func (s *subset) Len() int                     { return len(s.idx) }
func (s *subset) Load(i int) float64           { return s.eps.Load(int(s.idx[i])) }
func (s *subset) Weight(i int) float64         { return s.eps.Weight(int(s.idx[i])) }
func (s *subset) Healthy(int) bool             { return true }
func (s *subset) HealthyCount() int            { return len(s.idx) }
func (s *subset) ID(i int) int                 { return s.eps.ID(int(s.idx[i])) }
func (s *subset) Priority(i int) int           { return s.eps.Priority(int(s.idx[i])) }
func (s *subset) Locality(i int) int           { return s.eps.Locality(int(s.idx[i])) }
func (s *subset) Since(i int) sim.Time         { return s.eps.Since(int(s.idx[i])) }
func (s *subset) Report(i int) topology.Signal { return s.eps.Report(int(s.idx[i])) }
func (s *subset) Generation() uint64           { return s.eps.Generation() }
