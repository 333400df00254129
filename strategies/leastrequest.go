package strategies

import (
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var leastRequestRoutings = []*RoutingDef{
	{
		Name:        "least-request",
		Description: "the least loaded of a few random healthy hosts (power of d choices); weighted hosts by an EDF schedule on weight/(load+1)^bias",
		Source:      "Envoy LEAST_REQUEST (load_balancers.rst; least_request.proto; least_request_lb.cc)",
		Params: append(sim.ParamSet{
			{
				Name: "choices", Kind: sim.Int, Default: int64(2), Min: sim.Bound(2), Max: sim.Bound(1000),
				Description: "hosts sampled per pick (n-choices selection); beyond a few, use selection: full-scan",
				Source:      "Envoy LeastRequest.choice_count, default 2",
			},
			{
				Name: "selection", Kind: sim.Enum, Default: "n-choices", Choices: []string{"n-choices", "full-scan"},
				Description: "n-choices samples hosts; full-scan compares every healthy host (ties random)",
				Source:      "Envoy LeastRequest.selection_method N_CHOICES (default) | FULL_SCAN (PR #31507)",
			},
			{
				Name: "sampling", Kind: sim.Enum, Default: "with-replacement", Choices: []string{"with-replacement", "distinct"},
				Description: "with-replacement draws each choice independently, as Envoy does, so with few hosts the busier one still wins (N=2, d=2: 25% of picks); distinct draws different hosts (tower, Finagle) and scans all when hosts ≤ choices",
				Source:      "Envoy least_request_lb.cc unweightedHostPickNChoices (random() % size per choice; envoy#11004, #20420; the distinct/auto-full-scan change PR #29873 was reverted by PR #30812); tower p2c sample_floyd2",
			},
			{
				Name: "active_request_bias", Kind: sim.Float, Default: 1.0, Min: sim.Bound(0),
				Description: "when host weights differ: effective weight = weight/(load+1)^bias; 0 is plain weighted round robin",
				Source:      "Envoy LeastRequest.active_request_bias, default 1.0",
			},
		}, slowStartParams...),
		Build: func(p sim.Params) (topology.NewPicker, error) {
			cfg := leastRequestConfig{
				choices:  int(p.Int("choices")),
				fullScan: p.String("selection") == "full-scan",
				distinct: p.String("sampling") == "distinct",
				bias:     p.Float("active_request_bias"),
				slow:     readSlowStart(p),
			}
			return func(rng *rand.Rand) topology.Picker { return newLeastRequest(rng, cfg) }, nil
		},
	},
	{
		Name:        "shortest-queue",
		Description: "join the shortest queue: the healthy host with the least load, ties broken at random (least-request with a full scan, weights ignored)",
		Source:      "join-the-shortest-queue (Winston 1977); Envoy LEAST_REQUEST selection_method FULL_SCAN",
		Build: func(sim.Params) (topology.NewPicker, error) {
			cfg := leastRequestConfig{choices: 2, fullScan: true, unweighted: true, bias: 1}
			return func(rng *rand.Rand) topology.Picker { return newLeastRequest(rng, cfg) }, nil
		},
	},
}

type leastRequestConfig struct {
	choices    int
	fullScan   bool
	distinct   bool
	unweighted bool // ignore host weights (shortest-queue)
	bias       float64
	slow       slowStart
}

// LeastRequest sends each request to the least loaded of a few healthy
// hosts.
//
// It follows Envoy's LEAST_REQUEST load balancer (envoyproxy/envoy
// load_balancers.rst "Weighted least request"; api/envoy/extensions/
// load_balancing_policies/least_request/v3/least_request.proto;
// source/extensions/load_balancing_policies/least_request/least_request_lb.cc).
// With equal weights it samples choice_count hosts — independently, with
// replacement, as Envoy's unweightedHostPickNChoices does, so with N hosts
// the least loaded one is among the samples with probability
// 1−((N−1)/N)^C (envoy#11004, #20420) — and takes the one with the fewest
// outstanding requests (the first sampled on a tie, which is uniformly
// random). Distinct sampling (tower's and Finagle's P2C) and a full scan
// with ties broken uniformly at random (FULL_SCAN; see scan) are options. When weights differ
// (or a host is in slow start) it schedules by EDF with the effective weight
// weight/(load+1)^active_request_bias, re-read each time a host is picked,
// so busy hosts come round less often but are never drained. Load is what
// the Endpoints report: this decider's own outstanding requests, the signal
// bus's aged value, or the truth. Sampling picks are O(choices) and
// allocation-free.
type LeastRequest struct {
	rng   *rand.Rand
	cfg   leastRequestConfig
	seed  uint64
	views viewCache[lrView]

	now sim.Time // for weight(), set by Pick
	eps topology.Endpoints
	v   *lrView
}

type lrView struct {
	hosts    []int32 // healthy hosts
	perm     []int32 // a permutation of positions in hosts, for distinct sampling only
	weighted bool
	// identity: hosts is 0..len-1 (every host healthy), so sampling needs
	// no read of the caller's own list (a cache miss per sample in a
	// large fleet).
	identity bool
	sched    edf // entries are positions in hosts
}

func newLeastRequest(rng *rand.Rand, cfg leastRequestConfig) *LeastRequest {
	return &LeastRequest{rng: rng, cfg: cfg, seed: rng.Uint64()}
}

// NewLeastRequest returns Envoy's default least-request picker: two
// choices sampled with replacement, active_request_bias 1, no slow start.
func NewLeastRequest(rng *rand.Rand) *LeastRequest {
	return newLeastRequest(rng, leastRequestConfig{choices: 2, bias: 1})
}

// Pick implements topology.Picker.
func (p *LeastRequest) Pick(now sim.Time, eps topology.Endpoints, _ *topology.Request) int {
	if eps.HealthyCount() == 0 {
		return -1
	}
	v, stale := p.views.get(eps)
	p.now, p.eps, p.v = now, eps, v
	if stale {
		p.rebuild(v)
	}
	n := len(v.hosts)
	switch {
	case n == 0:
		return -1
	case n == 1:
		return int(v.hosts[0])
	case v.weighted:
		return int(v.hosts[v.sched.pickAndAdd(p)])
	case p.cfg.fullScan || (p.cfg.distinct && n <= p.cfg.choices):
		// Envoy scans only with selection_method FULL_SCAN: with
		// N_CHOICES, choice_count above the host count still samples with
		// replacement (least_request_lb.cc unweightedHostPickNChoices).
		return p.scan(v.hosts)
	case p.cfg.distinct:
		return p.sampleDistinct(v)
	}
	if v.identity {
		return p.sampleAll(n)
	}
	return p.sample(v.hosts)
}

// sampleAll is sample over the hosts 0..n-1: the same draws and choice.
func (p *LeastRequest) sampleAll(n int) int {
	best, bestLoad := -1, 0.0
	for c := 0; c < p.cfg.choices; c++ {
		h := p.rng.IntN(n)
		if l := p.eps.Load(h); best < 0 || l < bestLoad {
			best, bestLoad = h, l
		}
	}
	return best
}

// sample draws choices hosts independently and returns the first sampled
// of the least loaded.
func (p *LeastRequest) sample(hosts []int32) int {
	best, bestLoad := -1, 0.0
	for c := 0; c < p.cfg.choices; c++ {
		h := int(hosts[p.rng.IntN(len(hosts))])
		if l := p.eps.Load(h); best < 0 || l < bestLoad {
			best, bestLoad = h, l
		}
	}
	return best
}

// sampleDistinct draws choices different hosts (a partial Fisher–Yates
// shuffle of the view's permutation, O(choices)) and returns the first
// sampled of the least loaded.
func (p *LeastRequest) sampleDistinct(v *lrView) int {
	n := len(v.hosts)
	best, bestLoad := -1, 0.0
	for c := 0; c < p.cfg.choices; c++ {
		j := c + p.rng.IntN(n-c)
		v.perm[c], v.perm[j] = v.perm[j], v.perm[c]
		h := int(v.hosts[v.perm[c]])
		if l := p.eps.Load(h); best < 0 || l < bestLoad {
			best, bestLoad = h, l
		}
	}
	return best
}

// scan returns a least loaded host, ties broken uniformly at random. O(n).
// Envoy's unweightedHostPickFullScan (least_request_lb.cc) breaks ties by
// reservoir sampling, a draw per host tied with the least so far; counting
// the hosts tied at the least and drawing once among them picks from the
// same distribution (uniform over the least loaded) without a draw per
// host, which at thousands of hosts, most of them tied, was most of a
// scan's cost.
func (p *LeastRequest) scan(hosts []int32) int {
	if ls, ok := p.eps.(topology.LoadScanner); ok {
		if loads, viewHosts, ok := ls.LocalLoads(); ok {
			return p.scanLocal(hosts, loads, viewHosts)
		}
	}
	if len(hosts) == 0 {
		return -1
	}
	least, ties := 0.0, 0
	for k, h := range hosts {
		switch l := p.eps.Load(int(h)); {
		case k == 0 || l < least:
			least, ties = l, 1
		case l == least:
			ties++
		}
	}
	r := p.drawTie(ties)
	for _, h := range hosts {
		if p.eps.Load(int(h)) == least {
			if r == 0 {
				return int(h)
			}
			r--
		}
	}
	return -1
}

// drawTie is which of ties hosts tied at the least load to take: a draw
// only when there is a tie.
func (p *LeastRequest) drawTie(ties int) int {
	if ties > 1 {
		return p.rng.IntN(ties)
	}
	return 0
}

// scanLocal is scan over contiguous local counts (topology.LoadScanner):
// the same comparisons and draw, without a call per host. When every host
// of the view is healthy (hosts is 0..n-1) it reads the counts through the
// view's replica list alone.
func (p *LeastRequest) scanLocal(hosts, loads, viewHosts []int32) int {
	if len(hosts) == 0 {
		return -1
	}
	if len(hosts) == len(viewHosts) {
		if len(viewHosts) == len(loads) { // the view is every replica, in order
			if ls, ok := p.eps.(topology.LeastScanner); ok {
				if least, ties, ok := ls.LocalLeast(); ok { // kept as counts change: one pass
					return nthTiedOf(loads, least, p.drawTie(ties))
				}
			}
			least, ties := leastTiesOf(loads)
			return nthTiedOf(loads, least, p.drawTie(ties))
		}
		least, ties := leastTies(loads, viewHosts)
		return nthTied(loads, viewHosts, least, p.drawTie(ties))
	}
	least, ties := loads[viewHosts[hosts[0]]], 0
	for _, h := range hosts {
		switch l := loads[viewHosts[h]]; {
		case l < least:
			least, ties = l, 1
		case l == least:
			ties++
		}
	}
	r := p.drawTie(ties)
	for _, h := range hosts {
		if loads[viewHosts[h]] == least {
			if r == 0 {
				return int(h)
			}
			r--
		}
	}
	return -1
}

// leastTies returns the least of loads[at[k]] over k and how many k have it.
func leastTies(loads, at []int32) (least int32, ties int) {
	least = loads[at[0]]
	for _, a := range at {
		switch l := loads[a]; {
		case l < least:
			least, ties = l, 1
		case l == least:
			ties++
		}
	}
	return least, ties
}

// leastTiesOf is leastTies over every load, in order.
func leastTiesOf(loads []int32) (least int32, ties int) {
	least = loads[0]
	for _, l := range loads {
		switch {
		case l < least:
			least, ties = l, 1
		case l == least:
			ties++
		}
	}
	return least, ties
}

// nthTiedOf is nthTied over every load, in order.
func nthTiedOf(loads []int32, least int32, r int) int {
	for k, l := range loads {
		if l == least {
			if r == 0 {
				return k
			}
			r--
		}
	}
	return -1
}

// nthTied returns the r-th (0-based) k with loads[at[k]] == least.
func nthTied(loads, at []int32, least int32, r int) int {
	for k, a := range at {
		if loads[a] == least {
			if r == 0 {
				return k
			}
			r--
		}
	}
	return -1
}

// weight is the effective weight of the host at position k of the healthy
// list: Envoy's LeastRequestLoadBalancer::hostWeight, eased by slow start.
func (p *LeastRequest) weight(k int) float64 {
	h := int(p.v.hosts[k])
	w := leastRequestWeight(p.eps.Weight(h), p.eps.Load(h), p.cfg.bias)
	return w * p.cfg.slow.factor(p.now, p.eps.Since(h))
}

// leastRequestWeight is weight/(active+1)^bias (bias 0: weight).
func leastRequestWeight(weight, active, bias float64) float64 {
	switch bias {
	case 0:
		return weight
	case 1:
		return weight / (active + 1)
	}
	return weight / math.Pow(active+1, bias)
}

func (p *LeastRequest) rebuild(v *lrView) {
	v.hosts = healthyHosts(v.hosts, p.eps)
	if p.cfg.distinct {
		v.perm = grow(v.perm[:0], len(v.hosts))
		for k := range v.perm {
			v.perm[k] = int32(k)
		}
	}
	v.identity = len(v.hosts) == p.eps.Len()
	v.weighted = !p.cfg.unweighted &&
		(!equalWeights(p.eps, v.hosts) || p.cfg.slow.anyRamping(p.now, p.eps, v.hosts))
	if v.weighted && len(v.hosts) > 1 {
		v.sched.initWithPicks(len(v.hosts), p, uint32(p.seed))
	}
}
