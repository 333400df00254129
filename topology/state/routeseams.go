package state

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Seams of the routing control plane for faults and metrics, and its
// outputs. Every method is a no-op (or empty) in a world without one.

// Routing reports whether the world has a routing control plane.
func (s *State) Routing() bool { return s.rt != nil }

// RouteStats returns the routing control plane's counters.
func (s *State) RouteStats() RouteStats {
	if s.rt == nil {
		return RouteStats{}
	}
	return s.rt.stats
}

// Audit returns the decision audit trail, in time order (at most the
// routing control's AuditLimit entries; RouteStats.Audited counts all).
func (s *State) Audit() []AuditEntry {
	if s.rt == nil {
		return nil
	}
	return s.rt.audit
}

// ObserveRoutes adds an observer of routing configs.
func (s *State) ObserveRoutes(o RouteObserver) {
	if s.rt != nil {
		s.rt.obs = append(s.rt.obs, o)
	}
}

// RouteScopes describes the decision scopes, indexed as RouteObserver's
// scope argument.
func (s *State) RouteScopes() []RouteScopeInfo {
	if s.rt == nil {
		return nil
	}
	var out []RouteScopeInfo
	for _, sc := range s.rt.scopes {
		info := RouteScopeInfo{Name: sc.name, Kind: sc.kind, Client: sc.client.Name, Holders: len(sc.holders)}
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
func (s *State) Decides() bool { return s.rt != nil && s.rt.rc != nil }

// RouteDesired is the version of scope's config the store holds now.
func (s *State) RouteDesired(scope int) Version { return s.rt.scopes[scope].key.desired }

// EdgeNode returns the node of edge e (nil without a routing control plane).
func (s *State) EdgeNode(e *topology.Edge) *Node {
	for _, n := range s.Nodes {
		if n.Edge == e {
			return n
		}
	}
	return nil
}

// Controller returns the implicit controller's node (nil when the control
// plane has members).
func (s *State) Controller() *Node {
	if s.Spec.Control.Service >= 0 || len(s.members) == 0 {
		return nil
	}
	return s.members[0].node
}

// InjectRule adds a policy rule from another source until the returned
// function is called (a policy-conflict fault).
func (s *State) InjectRule(r Rule) (revert func()) {
	if s.rt == nil {
		return func() {}
	}
	p := &r
	s.rt.rules = append(s.rt.rules, p)
	return once(func() { s.rt.rules = without(s.rt.rules, p) })
}

// actorsOn are the decision actors running on node n.
func (rt *routeRuntime) actorsOn(n *Node) []*routeActor {
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
func (s *State) SlowEngine(n *Node, d sim.Dist) (revert func()) {
	if s.rt == nil {
		return func() {}
	}
	p := &d
	hit := s.rt.actorsOn(n)
	for _, a := range hit {
		a.slow = append(a.slow, p)
	}
	return once(func() {
		for _, a := range hit {
			a.slow = without(a.slow, p)
		}
	})
}

// DriftModel skews the forecasts of the predictive engines on node n by a
// factor growing by rate per minute from now (model drift), until the
// returned function is called.
func (s *State) DriftModel(n *Node, rate float64) (revert func()) {
	if s.rt == nil {
		return func() {}
	}
	d := &drift{start: s.w.Eng.Now(), rate: rate}
	hit := s.rt.actorsOn(n)
	for _, a := range hit {
		a.drift = append(a.drift, d)
	}
	return once(func() {
		for _, a := range hit {
			a.drift = without(a.drift, d)
		}
	})
}

// BrokerOutage stops the signal broker publishing until the returned
// function is called: deciders reading it see its board age.
func (s *State) BrokerOutage() (restore func()) {
	if s.rt == nil {
		return func() {}
	}
	s.rt.bdown++
	return once(func() { s.rt.bdown-- })
}

// Breach starts unauthorised config writes sending every scope's traffic
// to region, now and every `every` (0: once), until the returned function
// is called. With authenticated channels they are rejected.
func (s *State) Breach(region string, every sim.Time) (stop func()) {
	if s.rt == nil {
		return func() {}
	}
	b := &breachState{region: region, every: every, on: true, gen: 1}
	s.rt.breaches = append(s.rt.breaches, b)
	s.rt.tasks.At(s.w.Eng.Now(), routeTask{kind: rBreach, node: -1, a: int32(len(s.rt.breaches) - 1), gen: b.gen})
	return once(func() { b.on = false })
}
