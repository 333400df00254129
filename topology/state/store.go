package state

import (
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// store is the control plane's state: the API server and config store. It
// holds the lease, the objects controllers write (one per node and key),
// and its view of every node's actual state as reports and notifications
// delivered it. It runs at one place and never stalls.
type store struct {
	place   topology.PlaceID
	lease   LeaseRecord
	objects []object // [node*keys + key]
	obs     []Value  // observed values, [node*keys + key]
	obsOff  []int32  // per node: observed keys off desired
	keys    int
}

// object is a controller-written object (a node's value of a key) with the
// fencing token of the write that set it.
type object struct {
	version Version
	token   uint64
	foreign bool
}

func (st *store) init(s *State, place topology.PlaceID) {
	st.place = place
	st.keys = len(s.Keys)
	st.lease.Holder = -1
	st.objects = make([]object, len(s.Nodes)*st.keys)
	st.obs = make([]Value, len(s.Nodes)*st.keys)
	st.obsOff = make([]int32, len(s.Nodes))
}

func (st *store) object(n *Node, k *Key) *object { return &st.objects[int(n.ID)*st.keys+k.ID] }

// Observed is the control plane's view of what node n holds for k.
func (s *State) Observed(n *Node, k *Key) Value { return s.store.obs[int(n.ID)*s.store.keys+k.ID] }

// Lease is the lease record in the store now.
func (s *State) Lease() LeaseRecord { return s.store.lease }

// reports reports whether node n tells the control plane its state: the
// replicas of serving services do; caller SDKs and members do not.
func (n *Node) reports() bool { return n.Replica != nil && n.member == nil && len(n.held) > 0 }

// hidden reports whether the control plane cannot hear from n now.
func (n *Node) hidden() bool { return n.cut > 0 || n.gap > 0 || n.Down() }

// notify is called when n's values change: its process tells the store.
func (s *State) notify(n *Node) {
	if !n.reports() || !s.configured {
		return
	}
	s.tasks.At(s.w.Eng.Now(), task{kind: tNotify, node: n.ID})
}

// sendNotify runs on n's process: the notification leaves unless the
// control plane cannot hear from n.
func (s *State) sendNotify(n *Node) {
	if n.hidden() {
		return
	}
	s.tasks.At(s.w.Eng.Now()+s.w.Net.Latency(n.Place, s.store.place), task{kind: tObserve, node: -1, item: n.ID})
}

// report is the periodic status report of every replica: a report from a
// node that is down, paused, cut off or in a telemetry gap is lost.
func (s *State) report() {
	for _, n := range s.Nodes {
		if !n.reports() {
			continue
		}
		s.Stats.Reports++
		if n.hidden() || n.Paused() {
			s.Stats.ReportsLost++
			continue
		}
		s.observe(n)
	}
	if next := s.w.Eng.Now() + s.Spec.ReportInterval; next < s.horizon {
		s.tasks.At(next, task{kind: tReport, node: -1})
	}
}

// observe brings the control plane's view of n up to date with what n
// holds now, and tells the controllers when what they see changed.
func (s *State) observe(n *Node) {
	changed := false
	for _, k := range n.held {
		i := int(n.ID)*s.store.keys + k.ID
		if v := n.values[k.ID]; s.store.obs[i] != v {
			s.store.obs[i] = v
			changed = true
		}
	}
	if changed {
		s.recountObserved(n)
		if n.item >= 0 {
			s.informChanged(n, true)
		}
	}
}

// recountObserved recomputes how many of n's keys the control plane sees
// off the desired value, and the fleet's observed divergence.
func (s *State) recountObserved(n *Node) {
	off := int32(0)
	for _, k := range n.held {
		if !k.matches(s.store.obs[int(n.ID)*s.store.keys+k.ID]) {
			off++
		}
	}
	was := s.store.obsOff[n.ID] > 0
	s.store.obsOff[n.ID] = off
	if is := off > 0; is != was {
		if is {
			s.obsOff++
		} else {
			s.obsOff--
		}
		now := s.w.Eng.Now()
		for _, o := range s.obs {
			o.ObservedDivergence(now, s.obsOff)
		}
	}
}

// reobserveKey recounts the observed divergence of k's holders after its
// desired value changed.
func (s *State) reobserveKey(k *Key) {
	for _, h := range k.holders {
		if h.reports() {
			s.recountObserved(h)
		}
	}
}

// observedOutOfSync reports whether the control plane sees reconcile item
// n differing from the desired state given by desired (software and
// client-side flags aside).
func (s *State) observedOutOfSync(n *Node, desired func(*Key) Version) bool {
	for _, k := range n.held {
		if k.Kind == Software || k.client {
			continue
		}
		v := s.store.obs[int(n.ID)*s.store.keys+k.ID]
		if v.Foreign || v.Version != desired(k) {
			return true
		}
	}
	return false
}

// Gap hides node n from the control plane until the returned function is
// called (a telemetry gap: its reports and notifications are lost; nests).
func (s *State) Gap(n *Node) (restore func()) {
	n.gap++
	return topology.Once(func() { n.gap-- })
}

// memberRNG is a member's random stream (a new one per process start, so a
// restart does not replay the previous jitter).
func (s *State) memberRNG(m *member) *rand.Rand {
	m.starts++
	return sim.NewStream(s.w.Seed, "member/"+m.node.Name+"/"+itoa(m.starts))
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[p:])
}
