package metrics

import (
	"math"
	"slices"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/routectl"
	"github.com/tangle-sim/tangle/topology/state"
)

// controlDefs are the routing control plane's metrics (E-M2, M3, M8, M9,
// M12, M15 of the entanglement-routing document, and the counters behind
// its failure modes). Counters are differences between the window's ends.
var controlDefs = []Def{
	{"decision_latency", "s", Lower, "mean time from the emission of the newest signal a decision read to the moment a data-plane holder (edge or sidecar) applied the decision (its quantiles: decision_latency_p50, decision_latency_p99)", "E-M2"},
	{"decision_latency_p50", "s", Lower, "median time from the emission of the newest signal a decision read to the moment a data-plane holder (edge or sidecar) applied the decision: bus delay, evaluation phase, engine time, actuation delay and config propagation", "E-M2"},
	{"decision_latency_p99", "s", Lower, "99th percentile of decision_latency (DDSketch, 1% relative accuracy)", "E-M2"},
	{"route_convergence_time", "s", Lower, "mean over perturbations (each fault's start and end, each deploy, in the window) of the time until routing is stable: the last change of any holder's applied weights by more than the tolerance (total variation from its previous reference) that is followed by settle without another; 0 when routing did not move", "E-M3"},
	{"route_unconverged", "count", Lower, "perturbations after which routing never stayed stable for the settle window before the end of the run", "E-M3"},
	{"cost_per_request", "per request", Lower, "mean true price (as billed) of the region that served each response", "E-M9, E-F8"},
	{"cost_total", "currency", Lower, "sum of the true prices of the responses in the window", "E-M9"},
	{"manual_interventions", "count", Lower, "emergency-breaker trips (automation halted, last known good restored): human overrides", "E-M15"},
	{"manual_intervention_rate", "1/h", Lower, "manual interventions per hour of the window", "E-M15"},
	{"audit_coverage", "ratio", Higher, "fraction of routing decisions whose audit entry (inputs with ages, decision, actor, outcome) reached the audit log; entries are lost from actors cut off from the control plane and unsampled sidecar decisions", "E-M8"},
	{"security_violations", "count", Lower, "unauthorised route changes that took effect: unsigned configs accepted, and actuated decisions that read forged signals", "E-M12, E-F5"},
	{"security_blocked", "count", Neutral, "unauthorised configs and forged signal reports that authentication rejected", "E-M12, E-F5"},
	{"rejected_routes", "count", Lower, "decisions the policy layer rejected: no permitted route, or contradicting rules composed without precedence", "E-F3"},
	{"route_loops", "count", Lower, "redirect cycles the policy layer found among the composed rules", "E-F3"},
	{"policy_conflicts", "count", Neutral, "rules a higher-precedence policy source overrode", "E-F3"},
	{"decisions", "count", Neutral, "routing decisions (evaluations of one scope by one actor)", ""},
	{"actuations", "count", Neutral, "routing configs actuated: local applications and controller writes the store accepted", "E-M4"},
	{"decisions_fenced", "count", Neutral, "controller writes the store rejected by fencing (a deposed leader's)", "E-F9"},
	{"decision_fallback_rate", "ratio", Lower, "fraction of decisions made without fresh, sane signals (last known good, static route, reactive after model drift)", "E-M6, E-F2"},
	{"route_divergence", "ratio", Lower, "time-average fraction of data-plane holders not applying the store's latest routing config (uneven arrival, NACKs, partitions)", "E-F9 (divergent config metrics)"},
	{"residency_violation_rate", "ratio", Lower, "fraction of the responses to clients with a residency that were served outside it", "E use case: data residency"},
	{"lag_exposure", "s", Lower, "mean replication lag of the region serving each response (the true sensor reading)", "E use case: multi-region failover"},
	{"threat_exposure", "ratio", Lower, "mean threat score of the region serving each response", "E use case: security-driven isolation"},
	{"cold_starts", "count", Lower, "requests that waited for a serverless instance to start (scale-to-zero)", "E scenario #2"},
	{"cold_start_rate", "ratio", Lower, "cold starts per response", "E scenario #2"},
	{"tenant_latency_p99", "s", Lower, "99th percentile latency of one client's (tenant's) responses, reported per client as tenant_latency_p99:CLIENT when a scenario has several clients", "E use case: multi-tenant isolation"},
	{"tenant_success_rate", "ratio", Higher, "fraction of one client's (tenant's) requests that succeeded, reported per client as tenant_success_rate:CLIENT", "E use case: multi-tenant isolation"},
}

// TenantMetrics are the metrics reported per client (NAME:CLIENT).
var TenantMetrics = []string{"tenant_latency_p99", "tenant_success_rate"}

// ControlConfig sets how route convergence is judged.
type ControlConfig struct {
	Tolerance float64  // a holder's weights moving by more than this (total variation) is a change (0: 5%)
	Settle    sim.Time // routing must stay unchanged this long to count as converged (0: 60 s)
	// Perturbations are the instants convergence is measured from: fault
	// starts and ends, deploys.
	Perturbations []sim.Time
}

type perturbation struct {
	at, last sim.Time
	done     bool
	conv     sim.Time
}

// Control measures the routing control plane. Attach it with NewControl.
type Control struct {
	w   *topology.World
	s   *state.State
	rt  *routectl.Plane
	cfg Config
	cc  ControlConfig

	latency          *ddsketch.DDSketch
	latSum           float64
	base, end        routectl.Stats
	baseBus, endBus  uint64
	baseCold, endCld uint64

	ref   map[[2]int][]float64
	perts []perturbation

	desired []state.Version
	held    [][]state.Version
	off     int
	holders int
	offAt   sim.Time
	offArea float64
	written bool

	responses, residencyN, residencyOut uint64
	cost, lag, threat                   float64

	tenantLat         []*ddsketch.DDSketch // per client, when there are several
	tenantN, tenantOK []uint64

	regions  []string
	bSent    []float64 // per region, responses in the bucket
	bCost    float64
	bResp    uint64
	kSnap    sim.Kind
	bOffArea float64
	bAt      sim.Time
}

// NewControl attaches a routing control collector to w (which must have a
// routing control plane) and to rec's series and summary.
func NewControl(w *topology.World, cfg Config, cc ControlConfig, rec *Recorder) *Control {
	if cc.Tolerance <= 0 {
		cc.Tolerance = 0.05
	}
	if cc.Settle <= 0 {
		cc.Settle = 60 * sim.Second
	}
	c := &Control{w: w, s: state.Of(w), rt: routectl.Of(w), cfg: cfg, cc: cc, latency: newSketch(), ref: map[[2]int][]float64{}, regions: w.Bus.Regions()}
	c.bSent = make([]float64, len(c.regions))
	if len(w.Clients) > 1 {
		for range w.Clients {
			c.tenantLat = append(c.tenantLat, newSketch())
		}
		c.tenantN, c.tenantOK = make([]uint64, len(w.Clients)), make([]uint64, len(w.Clients))
	}
	ts := slices.Clone(cc.Perturbations)
	slices.Sort(ts)
	for _, t := range slices.Compact(ts) {
		if t >= cfg.Warmup && t < cfg.Horizon {
			c.perts = append(c.perts, perturbation{at: t, last: t})
		}
	}
	for _, sc := range c.rt.RouteScopes() {
		c.desired = append(c.desired, 1)
		h := make([]state.Version, sc.Holders)
		for i := range h {
			h[i] = 1
		}
		c.held = append(c.held, h)
		c.holders += sc.Holders
	}
	w.Observe(c)
	c.rt.ObserveRoutes(c)
	c.kSnap = w.Eng.Handle("metrics.route-snapshot", c.snapshot)
	w.Eng.At(cfg.Warmup, topology.ClassObserve, c.kSnap, 0)
	w.Eng.At(cfg.Horizon, topology.ClassObserve, c.kSnap, 1)
	rec.Extend(c)
	return c
}

func (c *Control) coldStarts() uint64 {
	n := uint64(0)
	for _, r := range c.w.Replicas {
		n += r.ColdStarts
	}
	return n
}

func (c *Control) snapshot(arg uint64) {
	if arg == 0 {
		c.base, c.baseBus, c.baseCold = c.rt.Stats(), c.w.Bus.ForgedBlocked, c.coldStarts()
		c.accumulate(c.w.Eng.Now())
		c.offArea = 0
		return
	}
	c.end, c.endBus, c.endCld = c.rt.Stats(), c.w.Bus.ForgedBlocked, c.coldStarts()
	c.accumulate(c.w.Eng.Now())
}

func (c *Control) accumulate(now sim.Time) {
	if c.holders > 0 && now > c.offAt {
		frac := float64(c.off) / float64(c.holders)
		lo, hi := max(c.offAt, c.cfg.Warmup), min(now, c.cfg.Horizon)
		if hi > lo {
			c.offArea += frac * (hi - lo).Seconds()
		}
		c.bOffArea += frac * (now - c.offAt).Seconds()
	}
	c.offAt = now
}

// RouteWritten implements routectl.Observer.
func (c *Control) RouteWritten(now sim.Time, scope int, v state.Version) {
	c.accumulate(now)
	c.written = true
	c.desired[scope] = v
	c.recount()
}

// convergence is the mean time to stable routing over the perturbations
// that converged (NaN when none did) and the number that did not: after
// perturbation T, routing is stable from the last significant change t
// (≥ T) that no other followed within the settle window; with no change
// at all, t = T.
func (c *Control) convergence() (mean, unconverged float64) {
	conv, n := 0.0, 0
	for _, p := range c.perts {
		switch {
		case p.done:
			conv += p.conv.Seconds()
			n++
		case c.cfg.Horizon-p.last >= c.cc.Settle:
			conv += (p.last - p.at).Seconds()
			n++
		default:
			unconverged++
		}
	}
	mean = math.NaN()
	if n > 0 {
		mean = conv / float64(n)
	}
	return mean, unconverged
}

// RouteReceived implements routectl.Observer.
func (c *Control) RouteReceived(now sim.Time, scope, holder int, v state.Version) {
	c.accumulate(now)
	c.held[scope][holder] = v
	c.recount()
}

// RouteApplied implements routectl.Observer.
func (c *Control) RouteApplied(now sim.Time, scope, holder int, w []float64, emitted sim.Time) {
	if emitted >= 0 && now >= c.cfg.Warmup && now < c.cfg.Horizon {
		d := max(0, (now - emitted).Seconds())
		_ = c.latency.Add(d)
		c.latSum += d
	}
	key := [2]int{scope, holder}
	ref, ok := c.ref[key]
	if ok && overrideDist(ref, w) <= c.cc.Tolerance {
		return
	}
	c.ref[key] = append(ref[:0], w...)
	if !ok && w == nil {
		return
	}
	c.change(now)
}

// change is a significant routing change at now.
func (c *Control) change(now sim.Time) {
	for i := range c.perts {
		p := &c.perts[i]
		if p.done || now < p.at {
			continue
		}
		if now-p.last >= c.cc.Settle {
			p.done, p.conv = true, p.last-p.at
			continue
		}
		p.last = now
	}
}

func (c *Control) recount() {
	c.off = 0
	for s, hs := range c.held {
		for _, v := range hs {
			if v != c.desired[s] {
				c.off++
			}
		}
	}
}

// overrideDist is how far apart two holders' route overrides are: the
// total variation distance between their weights, except that no override
// (nil) is equal to another none and maximally far from any override, and
// overrides over different target lists are maximally far too.
func overrideDist(a, b []float64) float64 {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil || b == nil || len(a) != len(b):
		return 1
	}
	return topology.Weights(a).TV(b)
}

// RequestEnded implements topology.Observer.
func (c *Control) RequestEnded(now sim.Time, r *topology.Request) {
	if c.tenantLat != nil && r.Arrived >= c.cfg.Warmup && r.Arrived < c.cfg.Horizon {
		c.tenantN[r.Client]++
		if r.Outcome == topology.Success {
			c.tenantOK[r.Client]++
		}
		if r.Outcome == topology.Success || r.Outcome == topology.Error {
			_ = c.tenantLat[r.Client].Add(r.Latency().Seconds())
		}
	}
	if (r.Outcome != topology.Success && r.Outcome != topology.Error) || r.Replica < 0 {
		return
	}
	rep := c.w.Replicas[r.Replica]
	price, threat, lag := c.w.Bus.Sensed(rep)
	region := c.w.Places[rep.Place].Region
	if now <= c.cfg.Horizon {
		c.bResp++
		c.bCost += price
		if k := slices.Index(c.regions, region); k >= 0 {
			c.bSent[k]++
		}
	}
	if r.Arrived < c.cfg.Warmup || r.Arrived >= c.cfg.Horizon {
		return
	}
	c.responses++
	c.cost += price
	c.threat += threat
	c.lag += lag.Seconds()
	if res := c.w.Clients[r.Client].Spec.Residency; len(res) > 0 {
		c.residencyN++
		if !slices.Contains(res, region) {
			c.residencyOut++
		}
	}
}

// Columns implements Extension: the bucket's cost per request, the
// fraction of holders off the latest config, and each region's share of
// the responses.
func (c *Control) Columns() []Column {
	cols := []Column{{Name: "cost_per_request", Unit: "per request"}, {Name: "route_divergence", Unit: "ratio"}}
	if len(c.regions) > 1 {
		for _, r := range c.regions {
			cols = append(cols, Column{Name: "region_share:" + r, Unit: "ratio"})
		}
	}
	return cols
}

// Sample implements Extension.
func (c *Control) Sample(now sim.Time, width float64, row []float64) []float64 {
	c.accumulate(now)
	cost, div := math.NaN(), math.NaN()
	if c.bResp > 0 {
		cost = c.bCost / float64(c.bResp)
	}
	if c.holders > 0 && width > 0 {
		div = c.bOffArea / width
	}
	row = append(row, cost, div)
	if len(c.regions) > 1 {
		for i := range c.regions {
			v := math.NaN()
			if c.bResp > 0 {
				v = c.bSent[i] / float64(c.bResp)
			}
			row = append(row, v)
		}
	}
	c.bResp, c.bCost, c.bOffArea = 0, 0, 0
	clear(c.bSent)
	return row
}

// Summarize implements Extension.
func (c *Control) Summarize(s Summary) {
	d := func(f func(x routectl.Stats) uint64) float64 { return float64(f(c.end) - f(c.base)) }
	window := (c.cfg.Horizon - c.cfg.Warmup).Seconds()
	s["decision_latency"] = math.NaN()
	if n := c.latency.GetCount(); n > 0 {
		s["decision_latency"] = c.latSum / n
	}
	s["decision_latency_p50"] = quantile(c.latency, 0.5)
	s["decision_latency_p99"] = quantile(c.latency, 0.99)
	s["route_convergence_time"], s["route_unconverged"] = c.convergence()
	s["cost_per_request"], s["lag_exposure"], s["threat_exposure"] = math.NaN(), math.NaN(), math.NaN()
	if c.responses > 0 {
		r := float64(c.responses)
		s["cost_per_request"], s["lag_exposure"], s["threat_exposure"] = c.cost/r, c.lag/r, c.threat/r
	}
	s["cost_total"] = c.cost
	iv := d(func(x routectl.Stats) uint64 { return x.Interventions })
	s["manual_interventions"] = iv
	s["manual_intervention_rate"] = iv / (window / 3600)
	audited, lost := d(func(x routectl.Stats) uint64 { return x.Audited }), d(func(x routectl.Stats) uint64 { return x.AuditLost })
	s["audit_coverage"] = math.NaN()
	if audited+lost > 0 {
		s["audit_coverage"] = audited / (audited + lost)
	}
	s["security_violations"] = d(func(x routectl.Stats) uint64 { return x.Unauthorized + x.ForgedDecisions })
	s["security_blocked"] = d(func(x routectl.Stats) uint64 { return x.UnauthorizedBlocked }) + float64(c.endBus-c.baseBus)
	s["rejected_routes"] = d(func(x routectl.Stats) uint64 { return x.Rejected })
	s["route_loops"] = d(func(x routectl.Stats) uint64 { return x.Loops })
	s["policy_conflicts"] = d(func(x routectl.Stats) uint64 { return x.Conflicts })
	decisions := d(func(x routectl.Stats) uint64 { return x.Decisions })
	s["decisions"] = decisions
	s["actuations"] = d(func(x routectl.Stats) uint64 { return x.Actuations })
	s["decisions_fenced"] = d(func(x routectl.Stats) uint64 { return x.Fenced })
	s["decision_fallback_rate"] = math.NaN()
	if decisions > 0 {
		s["decision_fallback_rate"] = d(func(x routectl.Stats) uint64 { return x.Fallbacks }) / decisions
	}
	s["route_divergence"] = math.NaN()
	if c.written && c.holders > 0 {
		s["route_divergence"] = c.offArea / window
	}
	s["residency_violation_rate"] = ratio(c.residencyOut, c.residencyN)
	for i, sk := range c.tenantLat {
		name := c.w.Clients[i].Name
		s["tenant_latency_p99:"+name] = quantile(sk, 0.99)
		s["tenant_success_rate:"+name] = ratio(c.tenantOK[i], c.tenantN[i])
	}
	cold := float64(c.endCld - c.baseCold)
	s["cold_starts"] = cold
	s["cold_start_rate"] = math.NaN()
	if c.responses > 0 {
		s["cold_start_rate"] = cold / float64(c.responses)
	}
}
