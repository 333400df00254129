package state

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Route configs are keys too. With Spec.Routes the state model holds one
// route key per client's sidecars (held by its callers' SDK nodes) and one
// per edge (held by the edge node), each pushed over a channel like any
// key; the routing control plane (topology/routectl) owns what they mean
// (Own) and what the data plane does when a holder applies one.

// RouteKey is one route key and whose routing it carries.
type RouteKey struct {
	Key     *Key
	Client  *topology.Client
	Edge    bool    // the client's edge; else its sidecars
	Holders []*Node // the SDK nodes of the client's callers, or the edge node
}

// KeyOwner is a layer that owns the meaning of keys (the routing control
// plane owns the route keys): which versions holders accept, and what
// applying one does.
type KeyOwner interface {
	Valid(k *Key, v Version) bool
	Applied(n *Node, k *Key, v Version)
}

// SoftwareObserver is an optional KeyOwner ability: it hears a replica of
// svc change the software version it runs.
type SoftwareObserver interface {
	SoftwareMoved(svc *topology.Service)
}

// TrafficSplitter is what a rollout's weighted step needs: a layer that
// sends share of svc's traffic to the replicas running version v.
type TrafficSplitter interface {
	Split(svc *topology.Service, v Version, share float64)
}

// addRouteKeys creates the route keys (Spec.Routes).
func (s *State) addRouteKeys() {
	nrep := len(s.w.Replicas)
	edge := nrep + len(s.w.Callers)
	add := func(c *topology.Client, isEdge bool, name string, holders []*Node) {
		k := s.addKey(KeySpec{Name: "route/" + name, Kind: Route, Service: c.Target.ID, Channel: DefaultChannel(ChannelPush)})
		s.routes = append(s.routes, RouteKey{Key: k, Client: c, Edge: isEdge, Holders: holders})
	}
	for _, c := range s.w.Clients {
		var holders []*Node
		for _, cl := range c.Callers {
			holders = append(holders, s.Nodes[nrep+int(cl.ID)])
		}
		add(c, false, c.Name+"/sidecars", holders)
		if c.Edge != nil {
			add(c, true, c.Name+"/edge", []*Node{s.Nodes[edge]})
			edge++
		}
	}
}

// routeHolders is who holds route key k.
func (s *State) routeHolders(k *Key) []*Node {
	for _, rk := range s.routes {
		if rk.Key == k {
			return rk.Holders
		}
	}
	return nil
}

// RouteKeys lists the route keys, per client its sidecars' then its edge's.
func (s *State) RouteKeys() []RouteKey { return s.routes }

// Own makes o the owner of key k's meaning (see KeyOwner). A KeyOwner that
// is a SoftwareObserver or a TrafficSplitter is also registered as such.
func (s *State) Own(k *Key, o KeyOwner) {
	k.owner = o
	if so, ok := o.(SoftwareObserver); ok && !containsOwner(s.softObs, so) {
		s.softObs = append(s.softObs, so)
	}
	if ts, ok := o.(TrafficSplitter); ok {
		s.splitter = ts
	}
}

func containsOwner(xs []SoftwareObserver, x SoftwareObserver) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// OnConfigure adds f to what Configure runs once the state model's own
// plug points are set and before the keys' holders and channels are
// assigned: a layer that owns keys sets their channels there.
func (s *State) OnConfigure(f func() error) { s.onConfigure = append(s.onConfigure, f) }

// OnStarted adds f to what Start runs last, after the state model's
// periodic reports are scheduled.
func (s *State) OnStarted(f func(horizon sim.Time)) { s.onStarted = append(s.onStarted, f) }

// SetDesired makes v the desired version of k now (a controller's write
// the store accepted).
func (s *State) SetDesired(k *Key, v Version) { s.setDesired(k, v, false) }

// MemberNodes lists the control-plane members' nodes, in member order
// (the implicit controller's alone when the control plane has none).
func (s *State) MemberNodes() []*Node {
	out := make([]*Node, len(s.members))
	for i, m := range s.members {
		out[i] = m.node
	}
	return out
}

// Leading reports whether n is a member that acts as leader now, and its
// fencing token (the lease's transitions when it acquired it).
func (s *State) Leading(n *Node) (leading bool, token uint64) {
	if n.member == nil {
		return false, 0
	}
	return n.member.leading, n.member.token
}

// Process is the lease identity of member node n's current process (see
// Identity), -1 for a node that is not a member. A write records it when
// it is decided, so the store can tell a deposed writer from the holder.
func (s *State) Process(n *Node) int32 {
	if n.member == nil {
		return -1
	}
	return Identity(n.member.index, n.member.starts)
}

// Fence is the store's check of a write by process writer (a lease
// identity, see Process) carrying fencing token token:
//
//   - deposed: an elector runs and the lease is held by another process
//     than the writer's — the ground truth, judged by identity, not by the
//     token, so an error in the token comparison shows up as a stale write
//     accepted instead of hiding in the accounting;
//   - rejected: fencing is on and the token is below the lease's
//     LeaderTransitions (Kleppmann 2016; client-go bumps LeaderTransitions
//     whenever the holder changes, so a deposed writer's token is at least
//     one below and the holder's equals it).
//
// It counts the write in Stats.StaleAccepted or StaleRejected.
func (s *State) Fence(writer int32, token uint64) (deposed, rejected bool) {
	if s.ctl.Elector == nil {
		return false, false
	}
	lease := s.store.lease
	deposed = lease.Holder >= 0 && lease.Holder != writer
	rejected = s.ctl.Fencing && token < lease.Transitions
	switch {
	case rejected:
		s.Stats.StaleRejected++
	case deposed:
		s.Stats.StaleAccepted++
	}
	return deposed, rejected
}

// LeaseTransitions is the lease's transitions now: the current fencing
// token.
func (s *State) LeaseTransitions() uint64 { return s.store.lease.Transitions }

// Latest is the newest version of k the store has issued.
func (k *Key) Latest() Version { return k.latest }

// EdgeNode returns the node of edge e (nil without Spec.Routes).
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
