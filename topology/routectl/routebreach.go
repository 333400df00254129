package routectl

import (
	"slices"
	"strconv"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// The signal broker and the control-plane breach: the routing control plane's
// shared board and an attacker's config writes.

// brokerRead is the broker's periodic read of the bus: it fuses every
// replica's latest report and publishes the board after its processing
// delay, unless a broker outage holds it.
func (rt *Plane) brokerRead() {
	now := rt.w.Eng.Now()
	b := rt.rc.Broker
	if next := now + b.Interval; next < rt.s.Horizon() {
		rt.tasks.At(next, routeTask{kind: rBroker, node: -1})
	}
	if rt.bdown > 0 {
		return
	}
	for i := range rt.bpending {
		for j := range rt.bpending[i] {
			rt.bpending[i][j] = rt.w.Bus.Board(i, j)
		}
	}
	rt.tasks.At(now+b.Delay, routeTask{kind: rPublish, node: -1})
}

// breach is an attacker's config write: all traffic of every scope to the
// targets in region t.key.
func (rt *Plane) breach(t *routeTask) {
	br := rt.breaches[t.a]
	if !br.on || t.gen != br.gen {
		return
	}
	now := rt.w.Eng.Now()
	if br.every > 0 && now+br.every < rt.s.Horizon() {
		rt.tasks.At(now+br.every, routeTask{kind: rBreach, node: -1, a: t.a, gen: br.gen})
	}
	auth := rt.rc != nil && rt.rc.Auth
	for _, sc := range rt.scopes {
		if !rt.managed(sc) {
			continue
		}
		n := sc.targets()
		w := make([]float64, n)
		svc := sc.client.Target
		for i := 0; i < n; i++ {
			reg := ""
			if sc.kind == ScopeEdge {
				reg = svc.Clusters[i].Region
			} else {
				reg = rt.w.Places[svc.Replicas[i].Place].Region
			}
			if reg == br.region {
				w[i] = 1
			}
		}
		if !topology.Weights(w).Normalize() {
			continue
		}
		// The attacker writes to the store itself; with authenticated
		// channels the data plane verifies the controllers' signature on
		// every config and NACKs the unsigned one, keeping its last good
		// config (the store's view and the data plane's then diverge).
		e := AuditEntry{At: now, Actor: "unknown (unsigned)", Scope: sc.name, Decision: formatPlain(w), Detail: "control-plane breach: unauthorised actuation"}
		v := rt.publish(sc, routeConfig{weights: w, emitted: -1, unsigned: true})
		if auth {
			rt.stats.UnauthorizedBlocked++
			e.Outcome = "NACKed: v" + strconv.Itoa(int(v)) + " is unsigned"
		} else {
			rt.stats.Unauthorized++
			e.Outcome = "accepted: pushed v" + strconv.Itoa(int(v))
		}
		rt.recordSys(e)
	}
}

// managed reports whether the routing control's actors decide for sc (any
// sidecar scope when there are none): what an attacker rewrites.
func (rt *Plane) managed(sc *routeScope) bool {
	for _, a := range rt.actors {
		if slices.Contains(a.scopes, sc) {
			return true
		}
	}
	return len(rt.actors) == 0 && sc.kind == ScopeSidecar
}

type breachState struct {
	region string
	every  sim.Time
	on     bool
	gen    uint32
}
