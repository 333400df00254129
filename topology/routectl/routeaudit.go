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

// Traffic subsets for rollouts, the emergency breaker, the audit trail and
// the weight arithmetic of the routing control plane.

// subsetWeights splits traffic: share to the replicas of svc running v,
// the rest evenly to the others (all to one side when the other is empty).
func (rt *Plane) subsetWeights(svc *topology.Service, v state.Version, share float64) []float64 {
	if share < 0 {
		return nil
	}
	in := 0
	for _, r := range svc.Replicas {
		if rt.s.Nodes[r.ID].Software() == v {
			in++
		}
	}
	out := len(svc.Replicas) - in
	w := make([]float64, len(svc.Replicas))
	for i, r := range svc.Replicas {
		switch {
		case rt.s.Nodes[r.ID].Software() == v:
			if out == 0 {
				w[i] = 1 / float64(in)
			} else {
				w[i] = share / float64(in)
			}
		case in == 0:
			w[i] = 1 / float64(out)
		default:
			w[i] = (1 - share) / float64(out)
		}
	}
	return w
}

// writeSubset is a rollout splitting the traffic of every client of svc:
// share to the replicas running v.
func (rt *Plane) writeSubset(svc *topology.Service, v state.Version, share float64) {
	for _, sc := range rt.scopes {
		if sc.kind == ScopeSidecar && sc.client.Target == svc {
			rt.publish(sc, routeConfig{subset: v, share: share, emitted: -1})
		}
	}
}

// versionMoved recomputes subset splits after a replica of svc changed
// software version.
func (rt *Plane) versionMoved(svc *topology.Service) {
	for _, sc := range rt.scopes {
		if sc.kind != ScopeSidecar || sc.client.Target != svc {
			continue
		}
		for h, v := range sc.held {
			cfg := &sc.configs[v%routeRing]
			if cfg.version == v && cfg.subset > 0 {
				w := rt.subsetWeights(svc, cfg.subset, cfg.share)
				rt.setRoute(sc, h, w)
				for _, o := range rt.obs {
					o.RouteApplied(rt.w.Eng.Now(), sc.id, h, w, -1)
				}
			}
		}
	}
}

// countChurn feeds the emergency breaker one actuation's total variation.
func (rt *Plane) countChurn(now sim.Time, x float64) {
	b := rt.rc
	if b == nil || b.Breaker.Churn <= 0 || rt.halted {
		return
	}
	rt.churn = append(rt.churn, routeHist{at: now, weights: []float64{x}})
	sum, j := 0.0, 0
	for _, c := range rt.churn {
		if c.at > now-b.Breaker.Window {
			rt.churn[j] = c
			j++
			sum += c.weights[0]
		}
	}
	rt.churn = rt.churn[:j]
	if sum > b.Breaker.Churn {
		rt.trip(now, sum)
	}
}

// trip is the emergency breaker halting automation and restoring the
// last known good configs.
func (rt *Plane) trip(now sim.Time, churn float64) {
	b := rt.rc.Breaker
	rt.halted = true
	rt.churn = rt.churn[:0]
	rt.stats.Interventions++
	good := now - b.Window
	for _, sc := range rt.scopes {
		if len(sc.hist) > 0 {
			w := lkg(sc.hist, good)
			v := rt.publish(sc, routeConfig{weights: w, emitted: -1})
			rt.recordSys(AuditEntry{At: now, Actor: "emergency-breaker", Scope: sc.name, Decision: formatPlain(w),
				Outcome: "pushed v" + strconv.Itoa(int(v)), Detail: fmt.Sprintf("churn %.2f over %v crossed %.2f: automation halted for %v, last known good restored (manual intervention)", churn, b.Window, b.Churn, b.Hold)})
		}
	}
	for _, a := range rt.actors {
		if !a.local {
			continue
		}
		for si, h := range a.hist {
			if len(h) == 0 {
				continue
			}
			w := lkg(h, good)
			a.applied[si] = w
			rt.setRoute(a.scopes[si], a.holder[si], w)
			for _, o := range rt.obs {
				o.RouteApplied(now, a.scopes[si].id, a.holder[si], w, -1)
			}
		}
	}
	rt.tasks.At(now+b.Hold, routeTask{kind: rResume, node: -1})
}

// record appends an audit entry if it reaches the audit log, returning
// its index (−1 when lost or beyond the kept limit).
func (rt *Plane) record(a *routeActor, e AuditEntry) int {
	switch {
	case !a.local && a.node.Cut():
		rt.stats.AuditLost++
		return -1
	case a.local && rt.rc.AuditSample > 0 && rt.rc.AuditSample < 1 && rt.rng.Float64() >= rt.rc.AuditSample:
		rt.stats.AuditLost++
		return -1
	}
	rt.stats.Audited++
	return rt.recordSys(e)
}

func (rt *Plane) recordSys(e AuditEntry) int {
	limit := 20000
	if rt.rc != nil && rt.rc.AuditLimit > 0 {
		limit = rt.rc.AuditLimit
	}
	if len(rt.audit) >= limit {
		return -1
	}
	rt.audit = append(rt.audit, e)
	return len(rt.audit) - 1
}

func (rt *Plane) outcome(i int, outcome, detail string) {
	if i < 0 || i >= len(rt.audit) {
		return
	}
	rt.audit[i].Outcome = outcome
	if detail != "" {
		rt.audit[i].Detail = strings.Trim(rt.audit[i].Detail+"; "+detail, "; ")
	}
}

func auditInputs(o *Observation, uses uint32) []AuditInput {
	var in []AuditInput
	for i := range o.Targets {
		r := &o.Targets[i]
		age := r.Age(o.Now)
		for k := SignalKind(0); k < NumSignals; k++ {
			if uses&(1<<k) != 0 {
				in = append(in, AuditInput{Signal: k.String() + "/" + r.Name, Value: r.Signals[k], Age: age})
			}
		}
	}
	return in
}

func formatWeights(ts []Reading, w []float64) string {
	var b strings.Builder
	for i, x := range w {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ts[i].Name)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(x, 'f', 3, 64))
	}
	return b.String()
}

func formatPlain(w []float64) string {
	if w == nil {
		return "no override (configured weights)"
	}
	var parts []string
	for _, x := range w {
		parts = append(parts, strconv.FormatFloat(x, 'f', 3, 64))
	}
	return strings.Join(parts, " ")
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// project moves w towards base so that their total variation distance is
// at most band.
func project(w, base []float64, band float64) {
	if len(base) != len(w) {
		return
	}
	d := topology.Weights(w).TV(base)
	if d <= band || d == 0 {
		return
	}
	f := band / d
	for i := range w {
		w[i] = base[i] + (w[i]-base[i])*f
	}
}
