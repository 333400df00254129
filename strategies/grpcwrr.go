package strategies

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

var grpcWRRRoutings = []*RoutingDef{
	{
		Name:        "grpc-wrr",
		Description: "client-side weighted round robin on backend load reports: weight = qps / (utilization + eps/qps × penalty), with blackout and expiry",
		Source:      "gRPC weighted_round_robin (gRFC A58); Envoy client_side_weighted_round_robin.proto",
		Params: sim.ParamSet{
			{
				Name: "blackout_period", Kind: sim.Duration, Default: 10 * sim.Second, Min: sim.Bound(0),
				Description: "a host's weight is ignored until it has reported load continuously for this long (again after its weight expires or it restarts)",
				Source:      "gRFC A58 blackout_period, default 10s",
			},
			{
				Name: "weight_expiration_period", Kind: sim.Duration, Default: 3 * sim.Minute, Min: sim.Bound(1e-9),
				Description: "a host that has sent no new report for this long loses its weight",
				Source:      "gRFC A58 weight_expiration_period, default 3 minutes",
			},
			{
				Name: "weight_update_period", Kind: sim.Duration, Default: sim.Second, Min: sim.Bound(0.1),
				Description: "how often weights are recomputed and the schedule rebuilt",
				Source:      "gRFC A58 weight_update_period, default 1s, values below 100ms are raised to 100ms",
			},
			{
				Name: "error_utilization_penalty", Kind: sim.Float, Default: 1.0, Min: sim.Bound(0),
				Description: "how much the error rate eps/qps adds to utilisation in the weight",
				Source:      "gRFC A58 error_utilization_penalty, default 1.0",
			},
		},
		Build: func(p sim.Params) (topology.NewPicker, error) {
			cfg := grpcWRRConfig{
				blackout: p.Duration("blackout_period"),
				expiry:   p.Duration("weight_expiration_period"),
				period:   p.Duration("weight_update_period"),
				penalty:  p.Float("error_utilization_penalty"),
			}
			return func(rng *rand.Rand) topology.Picker { return newGRPCWRR(rng, cfg) }, nil
		},
	},
}

type grpcWRRConfig struct {
	blackout, expiry, period sim.Time
	penalty                  float64
}

// GRPCWRR is gRPC's client-side weighted round robin over backend load
// reports.
//
// It follows gRFC A58 "weighted_round_robin LB policy"
// (grpc/proposal A58-client-side-weighted-round-robin-lb-policy.md; Envoy's
// client_side_weighted_round_robin extension has the same defaults). Each
// new load report a host delivers (Endpoints.Report, through the signal
// bus) sets its weight to qps / (utilization + eps/qps·penalty), reports
// with zero qps or utilisation being ignored; the time of the first
// non-empty report starts its blackout. Every weight_update_period the
// picker reads the weights — 0 for a host that never reported, whose last
// report is older than weight_expiration_period (which also restarts its
// blackout), or that is still within blackout_period of its first
// report, or that restarted (a reconnect restarts the blackout) — gives
// hosts without a usable weight the mean of the others, and builds a new
// EDF schedule over the healthy hosts with each host's first deadline
// random in [0, 1/weight] so deciders do not march in step. With fewer
// than two usable weights it is plain round robin. Weights are kept per
// host ID; picks are O(log n) and do not allocate.
type GRPCWRR struct {
	rng   *rand.Rand
	cfg   grpcWRRConfig
	rr    uint64
	hosts []orcaHost // by host ID
	views viewCache[grpcView]
}

// orcaHost is a host's weight state (A58 "Subchannel Weights").
type orcaHost struct {
	weight        float64
	nonEmptySince sim.Time // −1: not yet (A58's infinity)
	lastUpdated   sim.Time // −1: never
	seen          sim.Time // Emitted of the last report taken
	up            sim.Time // the host's up-since when last seen
	known         bool
}

type grpcView struct {
	hosts []int32   // healthy hosts
	w     []float64 // their scheduling weights
	rr    bool      // plain round robin
	next  sim.Time  // when weights are next recomputed
	sched edf       // entries are positions in hosts
}

func (v *grpcView) weight(k int) float64 { return v.w[k] }

func newGRPCWRR(rng *rand.Rand, cfg grpcWRRConfig) *GRPCWRR {
	return &GRPCWRR{rng: rng, cfg: cfg, rr: rng.Uint64()}
}

// Pick implements topology.Picker.
func (p *GRPCWRR) Pick(now sim.Time, eps topology.Endpoints, _ *topology.Request) int {
	v, stale := p.views.get(eps)
	if stale {
		v.hosts = healthyHosts(v.hosts, eps)
	}
	if stale || now >= v.next {
		p.regenerate(v, now, eps)
	}
	switch {
	case len(v.hosts) == 0:
		return -1
	case v.rr:
		k := v.hosts[p.rr%uint64(len(v.hosts))]
		p.rr++
		return int(k)
	}
	return int(v.hosts[v.sched.pickAndAdd(v)])
}

// regenerate takes new load reports, reads every healthy host's weight and
// builds a new schedule (A58's periodic scheduler swap).
func (p *GRPCWRR) regenerate(v *grpcView, now sim.Time, eps topology.Endpoints) {
	v.next = now + p.cfg.period
	v.w = grow(v.w[:0], len(v.hosts))
	sum, usable := 0.0, 0
	for k, i := range v.hosts {
		h := p.host(eps.ID(int(i)))
		if since := eps.Since(int(i)); since != h.up {
			h.up, h.nonEmptySince = since, -1 // a reconnect restarts the blackout
		}
		if r := eps.Report(int(i)); r.Valid && r.Emitted > h.seen {
			h.seen = r.Emitted
			p.update(h, now, r)
		}
		v.w[k] = p.current(h, now)
		if v.w[k] > 0 {
			sum += v.w[k]
			usable++
		}
	}
	v.rr = usable < 2
	if v.rr {
		return
	}
	mean := sum / float64(usable)
	for k := range v.w {
		if v.w[k] == 0 {
			v.w[k] = mean
		}
	}
	v.sched.initRandom(len(v.hosts), v, p.rng)
}

func (p *GRPCWRR) host(id int) *orcaHost {
	p.hosts = grow(p.hosts, id+1)
	h := &p.hosts[id]
	if !h.known {
		*h = orcaHost{nonEmptySince: -1, lastUpdated: -1, seen: -1, known: true}
	}
	return h
}

// update is A58's UpdateWeight for a report received at now.
func (p *GRPCWRR) update(h *orcaHost, now sim.Time, r topology.Signal) {
	w := grpcWRRWeight(r.QPS, r.EPS, r.Utilization, p.cfg.penalty)
	if w == 0 {
		return
	}
	if h.nonEmptySince < 0 {
		h.nonEmptySince = now
	}
	h.lastUpdated, h.weight = now, w
}

// current is A58's GetWeight: 0 when the weight is missing, expired or
// blacked out.
func (p *GRPCWRR) current(h *orcaHost, now sim.Time) float64 {
	if h.lastUpdated < 0 {
		return 0
	}
	if now-h.lastUpdated >= p.cfg.expiry {
		h.nonEmptySince = -1
		return 0
	}
	if p.cfg.blackout > 0 && (h.nonEmptySince < 0 || now-h.nonEmptySince < p.cfg.blackout) {
		return 0
	}
	return h.weight
}

// grpcWRRWeight is A58's weight qps / (utilization + eps/qps·penalty); 0
// when qps or utilisation is 0 (an empty report).
func grpcWRRWeight(qps, eps, utilization, penalty float64) float64 {
	if utilization <= 0 || qps <= 0 {
		return 0
	}
	return qps / (utilization + eps/qps*penalty)
}
