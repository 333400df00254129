package routectl

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// An actor's loop: observe, decide, actuate (locally or through the store),
// and holders applying what they receive.

// evaluate is an actor's evaluation timer.
func (rt *Plane) evaluate(a *routeActor, gen uint32) {
	if gen != a.gen {
		return
	}
	now := rt.w.Eng.Now()
	rc := rt.rc
	next := a.interval
	if rc.Jitter > 0 {
		next = sim.Time(float64(next) * (1 + rc.Jitter*(2*a.rng.Float64()-1)))
	}
	compute := sim.Time(0)
	for _, d := range a.slow {
		compute += sim.SampleTime(*d, a.rng)
	}
	rt.arm(a, max(next, compute, 1))
	if rt.halted {
		return
	}
	if leading, _ := rt.s.Leading(a.node); a.member && rc.Pattern != PatternCompeting && !leading {
		return
	}
	if rc.Pattern == PatternOverlay && rc.Coordinated && now-rt.layerAt[1-a.layer] < a.interval {
		return // the other layer changed the routes recently: let it settle first
	}
	for si := range a.scopes {
		rt.decide(a, si, now, compute)
	}
}

// board is where an actor reads replica i of service svc's signals: the
// broker's published board in the brokered pattern, the bus's otherwise.
func (rt *Plane) board(svc, i int) topology.Signal {
	if rt.broker != nil {
		return rt.broker[svc][i]
	}
	return rt.w.Bus.Board(svc, i)
}

// observe fills a's observation of scope si.
func (rt *Plane) observe(a *routeActor, si int, now sim.Time) *Observation {
	sc := a.scopes[si]
	svc := sc.client.Target
	o := &a.obs
	o.Now, o.Actor, o.Scope, o.Client = now, a.name, sc.kind, sc.client.Name
	n := sc.targets()
	if cap(o.Targets) < n {
		o.Targets = make([]Reading, n)
	}
	o.Targets = o.Targets[:n]
	// Client-side view since the previous evaluation: a sidecar's own
	// responses, or all of the client's for an edge and a controller.
	last, tallies := a.seen[si], rt.clientSeen[sc.client.ID]
	if a.local && sc.kind == ScopeSidecar {
		tallies = rt.callerSeen[sc.client.Callers[a.holder[si]].ID]
	}
	var total float64
	seen := func(h int32) (float64, float64, float64) {
		cur := tallies[h]
		dn, de, dl := float64(cur.n-last[h].n), float64(cur.errs-last[h].errs), cur.lat-last[h].lat
		last[h] = cur
		total += dn
		return dn, de, dl
	}
	if sc.kind == ScopeSidecar {
		for i, r := range svc.Replicas {
			sig := rt.board(svc.ID, i)
			rd := &o.Targets[i]
			*rd = Reading{Name: r.Name, Region: rt.w.Places[r.Place].Region, Replicas: 1, Emitted: sig.Emitted, Valid: sig.Valid, Forged: sig.Forged,
				Distance: rt.w.Net.MeanLatency(sc.client.Spec.Place, r.Place)}
			if rt.s != nil {
				rd.Version = rt.s.Nodes[r.ID].Software()
			}
			fill(&rd.Signals, sig)
			dn, de, dl := seen(int32(i))
			rd.Seen = Seen{Requests: dn, Errors: de}
			if dn > 0 {
				rd.Seen.Latency = dl / dn
			}
		}
	} else {
		for ci, cl := range svc.Clusters {
			rd := &o.Targets[ci]
			*rd = Reading{Name: cl.Region, Region: cl.Region, Replicas: len(cl.Replicas), Emitted: sim.Never,
				Distance: rt.w.Net.MeanLatency(sc.client.Spec.Place, svc.Replicas[cl.Replicas[0]].Place)}
			var qps, eps, latw, lat, util float64
			valid, unhealthy := 0, 0
			var sn, se, sl float64
			for _, h := range cl.Replicas {
				dn, de, dl := seen(h)
				sn, se, sl = sn+dn, se+de, sl+dl
				sig := rt.board(svc.ID, int(h))
				if !sig.Valid {
					continue
				}
				valid++
				rd.Valid = true
				rd.Forged = rd.Forged || sig.Forged
				rd.Emitted = min(rd.Emitted, sig.Emitted)
				rd.Signals[SigLoad] += sig.Value
				util += sig.Utilization
				qps += sig.QPS
				eps += sig.EPS
				latw += sig.Latency * sig.QPS
				lat += sig.Latency
				rd.Signals[SigCost] += sig.Cost
				rd.Signals[SigBilled] += sig.Billed
				rd.Signals[SigThreat] = math.Max(rd.Signals[SigThreat], sig.Threat)
				rd.Signals[SigLag] = math.Max(rd.Signals[SigLag], sig.Lag)
				if !sig.Healthy {
					unhealthy++
				}
			}
			if valid > 0 {
				k := float64(valid)
				rd.Signals[SigUtil] = util / k
				rd.Signals[SigCost] /= k
				rd.Signals[SigBilled] /= k
				rd.Signals[SigUnhealthy] = float64(unhealthy) / k
				if qps > 0 {
					rd.Signals[SigLatency] = latw / qps
					rd.Signals[SigErrors] = eps / qps
				} else {
					rd.Signals[SigLatency] = lat / k
				}
			} else {
				rd.Emitted = 0
			}
			rd.Seen = Seen{Requests: sn, Errors: se}
			if sn > 0 {
				rd.Seen.Latency = sl / sn
			}
		}
	}
	o.Rate = 0
	if dt := now - a.lastEval[si]; dt > 0 {
		o.Rate = total / dt.Seconds()
	}
	a.lastEval[si] = now
	if a.local {
		o.Current = a.applied[si]
		o.Bounds = nil
		if rt.rc.Pattern == PatternHierarchical {
			o.Bounds = sc.bounds[a.holder[si]]
		}
	} else {
		o.Current, o.Bounds = sc.current, nil
	}
	o.Rules = o.Rules[:0]
	for _, r := range rt.rules {
		o.Rules = append(o.Rules, *r)
	}
	o.Residency = sc.client.Spec.Residency
	o.Skew = 1
	for _, d := range a.drift {
		o.Skew *= 1 + d.rate*(now-d.start).Seconds()/60
	}
	return o
}

func fill(x *[NumSignals]float64, s topology.Signal) {
	x[SigLoad], x[SigUtil], x[SigLatency], x[SigErrors] = s.Value, s.Utilization, s.Latency, s.ErrorRate
	x[SigCost], x[SigBilled], x[SigThreat], x[SigLag] = s.Cost, s.Billed, s.Threat, s.Lag
	if s.Valid && !s.Healthy {
		x[SigUnhealthy] = 1
	}
}

// decide runs one decision of actor a for scope si.
func (rt *Plane) decide(a *routeActor, si int, now, compute sim.Time) {
	rc := rt.rc
	sc := a.scopes[si]
	o := rt.observe(a, si, now)
	d := &a.dec
	n := len(o.Targets)
	d.Reset(n)
	a.engines[si].Decide(o, d)
	rt.stats.Decisions++
	if d.Fallback != "" {
		rt.stats.Fallbacks++
	}
	e := AuditEntry{At: now, Actor: a.name, Scope: sc.name, Inputs: auditInputs(o, d.Uses)}
	detail := strings.TrimSpace(d.Note)
	if d.Fallback != "" {
		detail = strings.TrimSpace("fallback: " + d.Fallback + "; " + detail)
	}
	if d.Rejected > 0 {
		detail = strings.TrimSpace(fmt.Sprintf("%s; %d input(s) rejected by sanity checks", detail, d.Rejected))
	}
	e.Detail = strings.Trim(detail, "; ")
	record := func(outcome string) int {
		e.Outcome = outcome
		return rt.record(a, e)
	}
	if d.Hold {
		rt.stats.Holds++
		e.Decision = "hold"
		record("held")
		return
	}
	if !topology.Weights(d.Weights).Normalize() {
		rt.stats.Rejected++
		e.Decision = "no route"
		record("rejected: no target has any weight")
		return
	}
	if o.Bounds != nil && rc.Band < 1 {
		project(d.Weights, o.Bounds, rc.Band)
	}
	if rc.Policy != nil {
		v := rc.Policy.Filter(o, d)
		rt.stats.Loops += uint64(v.Loops)
		rt.stats.Conflicts += uint64(v.Conflicts)
		if v.Note != "" {
			e.Detail = strings.Trim(e.Detail+"; policy: "+v.Note, "; ")
		}
		if v.Rejected || !topology.Weights(d.Weights).Normalize() {
			rt.stats.Rejected++
			e.Decision = formatWeights(o.Targets, d.Weights)
			record("rejected by policy")
			return
		}
	}
	e.Decision = formatWeights(o.Targets, d.Weights)
	if o.Current != nil && maxDiff(o.Current, d.Weights) < 1e-9 {
		rt.stats.Unchanged++
		record("unchanged")
		return
	}
	if rc.Actuator.MinInterval > 0 && now-a.lastAct < rc.Actuator.MinInterval {
		rt.stats.RateLimited++
		record("rate-limited")
		return
	}
	a.lastAct = now
	emitted, forged := sim.Time(-1), false
	for i := range o.Targets {
		if r := &o.Targets[i]; r.Valid {
			emitted = max(emitted, r.Emitted)
			forged = forged || r.Forged
		}
	}
	idx, p := rt.pend.Alloc()
	*p = routePending{actor: a, scope: si, weights: append([]float64(nil), d.Weights...), emitted: emitted, forged: forged}
	if a.member {
		_, p.token = rt.s.Leading(a.node)
		p.writer = rt.s.Process(a.node)
	}
	p.audit = record("actuating")
	rt.tasks.At(now+compute+rc.Actuator.Delay, routeTask{kind: rActuate, node: a.node.ID, ref: rt.pend.Ref(idx)})
}

// actuate is a decision's actuation on its actor's process: applied
// locally, or written to the store.
func (rt *Plane) actuate(t *routeTask) {
	p := rt.pend.Get(t.ref)
	if p == nil {
		return
	}
	a := p.actor
	sc := a.scopes[p.scope]
	now := rt.w.Eng.Now()
	if rt.halted {
		rt.stats.Halted++
		rt.outcome(p.audit, "halted by the emergency breaker", "")
		rt.pend.Free(t.ref)
		return
	}
	if a.local {
		rt.stats.Actuations++
		if p.forged {
			rt.stats.ForgedDecisions++
		}
		rt.applyLocal(a, p.scope, p.weights, p.emitted)
		rt.outcome(p.audit, "applied", "")
		rt.pend.Free(t.ref)
		rt.layerAt[a.layer] = now
		return
	}
	if a.node.Cut() {
		rt.stats.Failed++
		rt.outcome(p.audit, "failed: cut off from the store", "")
		rt.pend.Free(t.ref)
		return
	}
	rt.tasks.At(now+rt.w.Net.Latency(a.node.Place, rt.s.StorePlace()), routeTask{kind: rWrite, node: -1, a: int32(a.idx), item: int32(sc.id), ref: t.ref, n: p.token})
}

// storeWrite is a controller's config reaching the store: fencing, then
// a new version pushed to the scope's holders.
func (rt *Plane) storeWrite(t *routeTask) {
	p := rt.pend.Get(t.ref)
	if p == nil {
		return
	}
	defer rt.pend.Free(t.ref)
	a := p.actor
	sc := a.scopes[p.scope]
	s := rt.s
	s.Stats.Writes++
	rt.stats.Writes++
	if a.member && rt.rc.Pattern != PatternCompeting {
		if _, rejected := s.Fence(p.writer, t.n); rejected {
			rt.stats.Fenced++
			rt.outcome(p.audit, "rejected: fenced", fmt.Sprintf("token %d below the lease's %d", t.n, s.LeaseTransitions()))
			return
		}
	}
	if rt.halted {
		rt.stats.Halted++
		rt.outcome(p.audit, "halted by the emergency breaker", "")
		return
	}
	rt.stats.Actuations++
	if p.forged {
		rt.stats.ForgedDecisions++
	}
	v := rt.publish(sc, routeConfig{weights: p.weights, emitted: p.emitted})
	rt.layerAt[a.layer] = rt.w.Eng.Now()
	rt.outcome(p.audit, "pushed v"+strconv.Itoa(int(v)), "")
}

// publish makes cfg the scope's new config version at the store, which
// pushes it to the holders. It returns the version.
func (rt *Plane) publish(sc *routeScope, cfg routeConfig) state.Version {
	k := sc.key
	v := k.Latest() + 1
	cfg.version = v
	sc.configs[v%routeRing] = cfg
	prev := sc.current
	if cfg.subset == 0 {
		sc.current = cfg.weights
	}
	now := rt.w.Eng.Now()
	if cfg.subset == 0 && cfg.weights != nil {
		sc.hist = pushHist(sc.hist, routeHist{now, cfg.weights})
		rt.countChurn(now, topology.Weights(prev).TV(cfg.weights))
	}
	sc.configs[v%routeRing].nack = cfg.unsigned && rt.rc != nil && rt.rc.Auth
	rt.s.SetDesired(k, v)
	for _, o := range rt.obs {
		o.RouteWritten(now, sc.id, v)
	}
	return v
}

func pushHist(h []routeHist, e routeHist) []routeHist {
	if len(h) >= 32 {
		copy(h, h[1:])
		h = h[:len(h)-1]
	}
	return append(h, e)
}

// lkg is the last known good weights at time t of a history: the entry in
// effect then (nil: none, the data plane's own weights).
func lkg(h []routeHist, t sim.Time) []float64 {
	var w []float64
	for _, e := range h {
		if e.at <= t {
			w = e.weights
		}
	}
	return w
}

// applied is a holder receiving version v of a scope's config.
func (rt *Plane) applied(n *state.Node, k *state.Key, v state.Version) {
	sc := rt.scopeOf(k)
	cfg := &sc.configs[v%routeRing]
	if cfg.version != v {
		return // evicted from the ring: older than any the store still knows
	}
	h := 0
	for i, x := range sc.holders {
		if x == n {
			h = i
		}
	}
	sc.held[h] = v
	for _, o := range rt.obs {
		o.RouteReceived(rt.w.Eng.Now(), sc.id, h, v)
	}
	weights := cfg.weights
	if cfg.subset > 0 {
		weights = rt.subsetWeights(sc.client.Target, cfg.subset, cfg.share)
	}
	if rt.rc != nil && rt.rc.Pattern == PatternHierarchical && cfg.subset == 0 {
		sc.bounds[h] = weights
		for _, a := range rt.actors {
			if a.local && a.scopes[0] == sc && a.holder[0] == h && a.applied[0] != nil {
				return // the local loop decides within the new bounds from its next evaluation
			}
		}
	}
	rt.setRoute(sc, h, weights)
	for _, o := range rt.obs {
		o.RouteApplied(rt.w.Eng.Now(), sc.id, h, weights, cfg.emitted)
	}
}

// setRoute makes holder h of sc route with weights.
func (rt *Plane) setRoute(sc *routeScope, h int, weights []float64) {
	if sc.kind == ScopeEdge {
		rt.w.SetEdgeRoute(sc.client.Edge, weights)
		return
	}
	rt.w.SetCallerRoute(sc.client.Callers[h], weights)
}

// applyLocal applies a local actor's decision to its own data plane.
func (rt *Plane) applyLocal(a *routeActor, si int, weights []float64, emitted sim.Time) {
	sc := a.scopes[si]
	h := a.holder[si]
	now := rt.w.Eng.Now()
	prev := a.applied[si]
	a.applied[si] = weights
	a.hist[si] = pushHist(a.hist[si], routeHist{now, weights})
	rt.setRoute(sc, h, weights)
	for _, o := range rt.obs {
		o.RouteApplied(now, sc.id, h, weights, emitted)
	}
	locals := 0
	for _, x := range rt.actors {
		if x.local {
			locals++
		}
	}
	rt.countChurn(now, topology.Weights(prev).TV(weights)/float64(max(1, locals)))
}
