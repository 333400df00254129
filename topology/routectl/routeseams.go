package routectl

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology/state"

	"github.com/tangle-sim/tangle/topology"
)

// Seams of the routing control plane for faults and metrics, and its
// outputs. Every method is a no-op (or empty) in a world without one.

// Routing reports whether the world has a routing control plane.
func (p *Plane) Routing() bool { return p != nil }

// Stats returns the routing control plane's counters.
func (p *Plane) Stats() Stats {
	if p == nil {
		return Stats{}
	}
	return p.stats
}

// Audit returns the decision audit trail, in time order (at most the
// routing control's AuditLimit entries; Stats.Audited counts all).
func (p *Plane) Audit() []AuditEntry {
	if p == nil {
		return nil
	}
	return p.audit
}

// ObserveRoutes adds an observer of routing configs.
func (p *Plane) ObserveRoutes(o Observer) {
	if p != nil {
		p.obs = append(p.obs, o)
	}
}

// RouteScopes describes the decision scopes, indexed as Observer's
// scope argument.
func (p *Plane) RouteScopes() []ScopeInfo {
	if p == nil {
		return nil
	}
	var out []ScopeInfo
	for _, sc := range p.scopes {
		info := ScopeInfo{Name: sc.name, Kind: sc.kind, Client: sc.client.Name, Holders: len(sc.holders)}
		svc := sc.client.Target
		if sc.kind == ScopeEdge {
			for _, c := range svc.Clusters {
				info.Targets = append(info.Targets, c.Region)
			}
		} else {
			for _, r := range svc.Replicas {
				info.Targets = append(info.Targets, r.Name)
			}
		}
		out = append(out, info)
	}
	return out
}

// Decides reports whether any routing decision engine runs (a routing
// control was configured), rather than rollouts alone splitting traffic.
func (p *Plane) Decides() bool { return p != nil && p.rc != nil }

// RouteDesired is the version of scope's config the store holds now.
func (p *Plane) RouteDesired(scope int) state.Version { return p.scopes[scope].key.Desired() }

// InjectRule adds a policy rule from another source until the returned
// function is called (a policy-conflict fault).
func (p *Plane) InjectRule(r Rule) (revert func()) {
	if p == nil {
		return func() {}
	}
	q := &r
	p.rules = append(p.rules, q)
	return topology.Once(func() { p.rules = topology.Without(p.rules, q) })
}

// actorsOn are the decision actors running on node n.
func (rt *Plane) actorsOn(n *state.Node) []*routeActor {
	var out []*routeActor
	for _, a := range rt.actors {
		if a.node == n {
			out = append(out, a)
		}
	}
	return out
}

// SlowEngine makes every evaluation of the decision engines on node n
// take a time drawn from d before its decisions can be actuated, and the
// next evaluation wait for it (a slow decision engine), until the returned
// function is called.
func (p *Plane) SlowEngine(n *state.Node, d sim.Dist) (revert func()) {
	if p == nil {
		return func() {}
	}
	q := &d
	hit := p.actorsOn(n)
	for _, a := range hit {
		a.slow = append(a.slow, q)
	}
	return topology.Once(func() {
		for _, a := range hit {
			a.slow = topology.Without(a.slow, q)
		}
	})
}

// DriftModel skews the forecasts of the predictive engines on node n by a
// factor growing by rate per minute from now (model drift), until the
// returned function is called.
func (p *Plane) DriftModel(n *state.Node, rate float64) (revert func()) {
	if p == nil {
		return func() {}
	}
	d := &drift{start: p.w.Eng.Now(), rate: rate}
	hit := p.actorsOn(n)
	for _, a := range hit {
		a.drift = append(a.drift, d)
	}
	return topology.Once(func() {
		for _, a := range hit {
			a.drift = topology.Without(a.drift, d)
		}
	})
}

// BrokerOutage stops the signal broker publishing until the returned
// function is called: deciders reading it see its board age.
func (p *Plane) BrokerOutage() (restore func()) {
	if p == nil {
		return func() {}
	}
	p.bdown++
	return topology.Once(func() { p.bdown-- })
}

// Breach starts unauthorised config writes sending every scope's traffic
// to region, now and every `every` (0: once), until the returned function
// is called. With authenticated channels they are rejected.
func (p *Plane) Breach(region string, every sim.Time) (stop func()) {
	if p == nil {
		return func() {}
	}
	b := &breachState{region: region, every: every, on: true, gen: 1}
	p.breaches = append(p.breaches, b)
	p.tasks.At(p.w.Eng.Now(), routeTask{kind: rBreach, node: -1, a: int32(len(p.breaches) - 1), gen: b.gen})
	return topology.Once(func() { b.on = false })
}
