package strategies

import (
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var peakEWMARoutings = []*RoutingDef{
	{
		Name:        "peak-ewma",
		Description: "power of two choices on latency × (outstanding+1), latency a peak-sensitive moving average of observed round trips",
		Source:      "Linkerd2 proxy balancer (tower p2c + PeakEwma, linkerd/app/outbound EWMA_DEFAULT_RTT 30ms, EWMA_DECAY 10s); Finagle Balancers.p2cPeakEwma (decayTime 10s, maxEffort 5)",
		Params: sim.ParamSet{
			{
				Name: "decay", Kind: sim.Duration, Default: 10 * sim.Second, Min: sim.Bound(1e-6),
				Description: "time constant τ of the moving average: an observation Δt old weighs exp(−Δt/τ)",
				Source:      "Linkerd2 EWMA_DECAY = 10s; Finagle p2cPeakEwma decayTime = 10.seconds",
			},
			{
				Name: "default_rtt", Kind: sim.Duration, Default: 30 * sim.Millisecond, Min: sim.Bound(0),
				Description: "latency estimate a host starts with when it comes up, before any response",
				Source:      "Linkerd2 EWMA_DEFAULT_RTT = 30ms (tower PeakEwma default_rtt)",
			},
			{
				Name: "max_effort", Kind: sim.Int, Default: int64(5), Min: sim.Bound(1), Max: sim.Bound(1000),
				Description: "picks tried for a healthy host before giving up and using one more pick as it falls",
				Source:      "Finagle Balancer maxEffort = 5",
			},
		},
		Build: func(p sim.Params) (topology.NewPicker, error) {
			tau, rtt, effort := p.Duration("decay"), p.Duration("default_rtt"), int(p.Int("max_effort"))
			return func(rng *rand.Rand) topology.Picker { return NewPeakEWMA(rng, tau, rtt, effort) }, nil
		},
	},
}

// PeakEWMA picks the cheaper of two random hosts, the cost of a host being
// its peak-sensitive moving-average latency times its outstanding requests
// plus one.
//
// It follows the Linkerd2 proxy's default balancer, tower's p2c over
// PeakEwma (tower-rs/tower tower/src/load/peak_ewma.rs; linkerd/linkerd2-proxy
// linkerd/app/outbound/src/lib.rs: EWMA_DEFAULT_RTT 30 ms, EWMA_DECAY 10 s),
// and Finagle's p2cPeakEwma (twitter/finagle finagle-core/.../loadbalancer/
// PeakEwma.scala, Balancer.scala). Each observed round trip rtt updates a
// host's cost: if rtt > cost the cost jumps to it (peaks count at once);
// otherwise cost = cost·w + rtt·(1−w) with w = exp(−Δt/τ), Δt the time since
// the last update. Reading the load first decays the cost to now (an
// observation of 0 with the same rule), then returns cost × (pending+1),
// pending being the host's load as the Endpoints report it. A host's cost
// starts at default_rtt when it comes up (tower creates the estimate with
// the endpoint). Two distinct hosts are drawn from all hosts; a healthy one
// beats an unhealthy one, else the lower load wins (ties to the first).
// Like Finagle's Balancer, if the winner is unhealthy the pick is retried,
// up to max_effort times, after which one more pick is used whatever its
// health — so a half-dead cluster still sees a few bad picks (0.25^6).
// State is kept per host ID and survives health changes; picks are O(1)
// and do not allocate.
type PeakEWMA struct {
	rng        *rand.Rand
	tau        float64 // ns
	defaultRTT float64 // ns
	maxEffort  int
	hosts      []ewmaHost // by host ID
}

// ewmaHost is 24 bytes: a caller keeps one per host it has seen, and a
// large fleet's callers keep millions of them.
type ewmaHost struct {
	cost  float64  // ns
	stamp sim.Time // last update
	up1   sim.Time // 1 + when the host came up, for this estimate; 0: no estimate yet
}

// NewPeakEWMA returns a peak-EWMA P2C picker with time constant decay,
// starting estimate defaultRTT and Finagle's maxEffort.
func NewPeakEWMA(rng *rand.Rand, decay, defaultRTT sim.Time, maxEffort int) *PeakEWMA {
	return &PeakEWMA{rng: rng, tau: float64(decay), defaultRTT: float64(defaultRTT), maxEffort: maxEffort}
}

// Pick implements topology.Picker.
func (p *PeakEWMA) Pick(now sim.Time, eps topology.Endpoints, _ *topology.Request) int {
	n := eps.Len()
	if eps.HealthyCount() == 0 {
		return -1
	}
	if n == 1 {
		return 0
	}
	for try := 0; ; try++ {
		a := p.rng.IntN(n)
		b := p.rng.IntN(n - 1)
		if b >= a {
			b++
		}
		c := a
		switch ha, hb := eps.Healthy(a), eps.Healthy(b); {
		case ha && !hb:
		case hb && !ha:
			c = b
		case p.Load(now, eps, b) < p.Load(now, eps, a):
			c = b
		}
		if try >= p.maxEffort || eps.Healthy(c) {
			return c
		}
	}
}

// Load is host i's cost at now: its estimate decayed to now, times its
// pending requests plus one, in nanoseconds.
func (p *PeakEWMA) Load(now sim.Time, eps topology.Endpoints, i int) float64 {
	h := p.host(eps.ID(i), eps.Since(i))
	p.update(h, now, 0)
	return h.cost * (eps.Load(i) + 1)
}

// ObserveResponse implements topology.ResponseObserver: every finished
// attempt, successful or not, feeds its round trip into the host's
// estimate (tower records on response and on drop alike).
func (p *PeakEWMA) ObserveResponse(now sim.Time, hostID int, rtt sim.Time, _ bool) {
	p.update(p.host(hostID, -1), now, float64(rtt))
}

// host returns the estimate of host id, up since since (−1: unknown),
// starting a new one at default_rtt when the host is new or has restarted.
func (p *PeakEWMA) host(id int, since sim.Time) *ewmaHost {
	p.hosts = grow(p.hosts, id+1)
	h := &p.hosts[id]
	if h.up1 == 0 || (since >= 0 && since != h.up1-1) {
		up := max(since, 0)
		*h = ewmaHost{cost: p.defaultRTT, stamp: up, up1: up + 1}
	}
	return h
}

// update folds an observed round trip rtt (ns) at now into h.
func (p *PeakEWMA) update(h *ewmaHost, now sim.Time, rtt float64) {
	if rtt > h.cost {
		h.cost = rtt
	} else {
		w := math.Exp(-float64(max(now-h.stamp, 0)) / p.tau)
		h.cost = h.cost*w + rtt*(1-w)
	}
	h.stamp = max(h.stamp, now)
}
