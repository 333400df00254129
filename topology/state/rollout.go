package state

import (
	"math"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// A rollout replaces a service's replicas, one slot at a time, with pods of
// the desired software version. Each replica is a slot:
//
//	Stable     one pod serves the slot's version
//	Surging    the old pod still serves while a new pod starts (uses maxSurge)
//	Replacing  the old pod is gone and a new pod starts: the replica is down
//	           (uses maxUnavailable)
//
// A new pod becomes ready after its version's ReadyAfter; then it takes
// over the slot (a surging slot's old pod goes away, a replacing slot's
// replica comes back up). With N slots, #surging ≤ maxSurge and #replacing ≤
// maxUnavailable give Kubernetes' bounds: at most N+maxSurge pods, at least
// N−maxUnavailable available. A slot hit by a partial-deploy fault never
// gets a ready new pod, so the rollout stalls part-way with versions mixed.

// SlotPhase is where a replica slot is in a rollout.
type SlotPhase uint8

const (
	SlotStable SlotPhase = iota
	SlotSurging
	SlotReplacing
	// SlotReady: a held surge's new pod is ready beside the old one, which
	// still serves until a RollSwitch (blue/green).
	SlotReady
)

// RolloutEventKind is what happened to a rollout.
type RolloutEventKind uint8

const (
	RollChanged RolloutEventKind = iota // the desired version changed, or this member started leading
	RollReady                           // a new pod became available
	RollTimer                           // the timer set by RollSetTimer fired
)

// RolloutEvent is one input to a rollout strategy.
type RolloutEvent struct {
	Kind RolloutEventKind
	Slot int
}

// RolloutActionKind is what a rollout strategy asks for.
type RolloutActionKind uint8

const (
	RollSurge    RolloutActionKind = iota // start a new pod of the desired version beside slot Slot's old one
	RollReplace                           // delete slot Slot's old pod and start a new one of the desired version
	RollAbort                             // give up slot Slot's new pod of a version no longer desired
	RollBack                              // make the previous version desired again (automated rollback)
	RollStalled                           // the rollout made no progress within its deadline (Progressing=False)
	RollSetTimer                          // fire RollTimer After from now
	// RollWeight sends Weight (0..1) of the service's traffic to replicas
	// running the desired version and the rest to the others: a subset
	// split pushed to the callers' sidecars as a routing config (canary
	// traffic shifting). Weight < 0 removes the split.
	RollWeight
	// RollSwitch makes slot Slot (-1: every slot) whose held new pod is
	// ready serve it at once; the old pod stays on standby for After (a
	// blue/green switch with scaleDownDelaySeconds).
	RollSwitch
	// RollRevert switches slot Slot (-1: every slot) back to its standby
	// old pod, instantly, while the standby lasts (blue/green rollback).
	RollRevert
)

// RolloutAction is one decision of a rollout strategy.
type RolloutAction struct {
	Kind   RolloutActionKind
	Slot   int
	After  sim.Time
	Weight float64 // RollWeight: the desired version's share of traffic
	Hold   bool    // RollSurge: keep the old pod serving once the new one is ready, until a RollSwitch
}

// RolloutView is what a rollout strategy sees of one service.
type RolloutView interface {
	Replicas() int
	Desired() Version
	// Previous is the version the current rollout moves away from.
	Previous() Version
	// Version is what slot i serves now (its old pod while surging).
	Version(i int) Version
	Phase(i int) SlotPhase
	// Target is the version of slot i's starting pod (Surging, Replacing).
	Target(i int) Version
	// Started is when the current rollout began; Progressed when a new pod
	// last became available (or Started).
	Started() sim.Time
	Progressed() sim.Time
	// Served counts requests answered by replicas running v, and how many
	// of them failed, since the run began.
	Served(v Version) (requests, errors uint64)
	// RollingBack reports whether the current rollout is an automated rollback.
	RollingBack() bool
	// Latencies counts the requests answered by replicas running v by the
	// time they spent at the replica (queue and service; Istio's
	// destination-side request duration), cumulatively since the run
	// began: bucket i counts those ≤ LatencyBound(i) and above the previous
	// bound.
	Latencies(v Version) []uint64
	// Standby reports whether slot i's previous pod is still on standby
	// after a switch (an instant RollRevert is possible).
	Standby(i int) bool
}

// LatencyBuckets is the number of latency histogram buckets.
const LatencyBuckets = 64

// LatencyBound is the upper bound of latency bucket i: 1 ms·1.25^i (the
// last bucket is unbounded).
func LatencyBound(i int) sim.Time {
	if i >= LatencyBuckets-1 {
		return sim.Never
	}
	return sim.Time(float64(sim.Millisecond) * math.Pow(1.25, float64(i)))
}

func latencyBucket(d sim.Time) int {
	if d <= sim.Millisecond {
		return 0
	}
	i := int(math.Ceil(math.Log(float64(d)/float64(sim.Millisecond))/math.Log(1.25) - 1e-9))
	return min(i, LatencyBuckets-1)
}

// Rollout is a rollout strategy for one service under one leader.
type Rollout interface {
	Step(now sim.Time, v RolloutView, ev RolloutEvent, out []RolloutAction) []RolloutAction
}

// NewRollout makes a rollout strategy for one leadership term.
type NewRollout func(rng *rand.Rand) Rollout

type slotState struct {
	node    *Node
	phase   SlotPhase
	target  Version
	gen     uint32
	restart func()
	failing int      // partial-deploy faults: new pods here never pass readiness
	hold    bool     // the surge is held: a ready new pod waits for a switch
	standby Version  // after a switch: the old pod's version, 0 when none
	until   sim.Time // when the standby pod is scaled down
}

type rolloutState struct {
	si          int
	slots       []*slotState
	previous    Version
	started     sim.Time
	progressed  sim.Time
	active      bool
	back        bool // the current rollout is a rollback
	partial     bool // the current forward rollout was counted partial
	served      []uint64
	errs        []uint64
	lat         [][]uint64 // per version: latency histogram
	rollingBack bool       // set while a rollback changes the desired version
}

func (s *State) initRollouts() {
	for si := range s.services {
		ss := &s.services[si]
		if ss.software == nil {
			continue
		}
		rs := &rolloutState{si: si}
		for _, r := range s.w.Services[si].Replicas {
			sl := &slotState{node: s.Nodes[r.ID]}
			sl.node.slot = sl
			rs.slots = append(rs.slots, sl)
		}
		ss.rollout = rs
	}
}

// countServed records a request served by a replica running v after
// spending d at it.
func (rs *rolloutState) countServed(v Version, failed bool, d sim.Time) {
	for int(v) >= len(rs.served) {
		rs.served = append(rs.served, 0)
		rs.errs = append(rs.errs, 0)
		rs.lat = append(rs.lat, make([]uint64, LatencyBuckets))
	}
	rs.served[v]++
	if failed {
		rs.errs[v]++
	}
	rs.lat[v][latencyBucket(d)]++
}

type rolloutView struct {
	s  *State
	rs *rolloutState
}

func (v rolloutView) Replicas() int         { return len(v.rs.slots) }
func (v rolloutView) Desired() Version      { return v.s.services[v.rs.si].software.desired }
func (v rolloutView) Previous() Version     { return v.rs.previous }
func (v rolloutView) Phase(i int) SlotPhase { return v.rs.slots[i].phase }
func (v rolloutView) Target(i int) Version  { return v.rs.slots[i].target }
func (v rolloutView) Started() sim.Time     { return v.rs.started }
func (v rolloutView) Progressed() sim.Time  { return v.rs.progressed }
func (v rolloutView) RollingBack() bool     { return v.rs.back }
func (v rolloutView) Version(i int) Version { return v.rs.slots[i].node.Software() }
func (v rolloutView) Latencies(ver Version) []uint64 {
	if int(ver) >= len(v.rs.lat) {
		return make([]uint64, LatencyBuckets)
	}
	return v.rs.lat[ver]
}
func (v rolloutView) Standby(i int) bool {
	sl := v.rs.slots[i]
	return sl.standby != 0 && v.s.w.Eng.Now() < sl.until
}
func (v rolloutView) Served(ver Version) (uint64, uint64) {
	if int(ver) >= len(v.rs.served) {
		return 0, 0
	}
	return v.rs.served[ver], v.rs.errs[ver]
}

func (s *State) newRollout(m *member) Rollout {
	if s.ctl.Rollout == nil {
		return nil
	}
	return s.ctl.Rollout(m.rng)
}

// softwareChanged starts a rollout of a service's new desired version.
func (s *State) softwareChanged(k *Key) {
	rs := s.services[k.Service.ID].rollout
	now := s.w.Eng.Now()
	rs.previous = k.prev
	rs.started, rs.progressed, rs.active = now, now, true
	rs.back = rs.rollingBack
	if !rs.back {
		rs.partial = false
		s.Stats.Rollouts++
	}
	if s.ctl.Rollout == nil { // no strategy: every replica switches at once
		for _, sl := range rs.slots {
			s.setValue(sl.node, k, Value{Version: k.desired})
		}
		s.rolloutProgress(rs)
	}
}

// roll feeds one event to m's rollout of service si and applies its actions.
// Each pod operation is an API write checked against fencing like any other.
func (s *State) roll(m *member, si int, ev RolloutEvent) {
	r := m.rollouts[si]
	if r == nil || !m.leading {
		return
	}
	rs := s.services[si].rollout
	now := s.w.Eng.Now()
	m.roll = r.Step(now, rolloutView{s, rs}, ev, m.roll[:0])
	for _, a := range m.roll {
		if a.Kind == RollSetTimer {
			m.rollGen[si]++
			s.tasks.At(now+m.node.Clock.Real(now, a.After), task{kind: tRollTimer, node: m.node.ID, a: int32(si), gen: m.rollGen[si], n: uint64(m.term)})
			continue
		}
		if a.Kind == RollStalled {
			if !rs.back && rs.active && !rs.partial {
				rs.partial = true
				s.Stats.RolloutsPartial++
			}
			continue
		}
		s.Stats.APICalls++
		s.Stats.Writes++
		if _, rejected := s.Fence(s.Process(m.node), m.token); rejected {
			continue
		}
		s.rolloutAct(rs, a)
	}
}

func (s *State) rollTimer(t *task) {
	m := s.Nodes[t.node].member
	if uint32(t.n) != m.term || t.gen != m.rollGen[t.a] {
		return
	}
	s.roll(m, int(t.a), RolloutEvent{Kind: RollTimer})
}

// rolloutAct applies one pod operation or a rollback.
func (s *State) rolloutAct(rs *rolloutState, a RolloutAction) {
	k := s.services[rs.si].software
	if a.Kind == RollBack {
		if rs.back || k.desired == rs.previous {
			return
		}
		s.Stats.Rollbacks++
		if !rs.partial {
			rs.partial = true
			s.Stats.RolloutsPartial++
		}
		rs.rollingBack = true
		s.setDesired(k, rs.previous, false)
		rs.rollingBack = false
		return
	}
	switch a.Kind {
	case RollWeight:
		if s.splitter != nil {
			s.splitter.Split(s.w.Services[rs.si], k.desired, a.Weight)
		}
		return
	case RollSwitch, RollRevert:
		for i := range rs.slots {
			if a.Slot < 0 || a.Slot == i {
				s.switchSlot(rs, i, a.Kind == RollRevert, a.After)
			}
		}
		s.rolloutProgress(rs)
		return
	}
	if a.Slot < 0 || a.Slot >= len(rs.slots) {
		return
	}
	sl := rs.slots[a.Slot]
	switch a.Kind {
	case RollSurge:
		if sl.phase != SlotStable || sl.node.Software() == k.desired {
			return
		}
		sl.phase, sl.target, sl.hold = SlotSurging, k.desired, a.Hold
		s.startPod(rs, a.Slot)
	case RollReplace:
		if sl.phase != SlotStable || sl.node.Software() == k.desired {
			return
		}
		sl.phase, sl.target = SlotReplacing, k.desired
		sl.restart = s.w.Crash(sl.node.Replica)
		s.startPod(rs, a.Slot)
	case RollAbort:
		switch {
		case sl.phase == SlotSurging || sl.phase == SlotReady:
			sl.phase, sl.target = SlotStable, 0
			sl.gen++
		case sl.phase == SlotReplacing && sl.target != k.desired:
			sl.target = k.desired
			s.startPod(rs, a.Slot)
		}
	}
}

// startPod starts slot i's new pod: it passes readiness after its
// version's ReadyAfter, unless a partial-deploy fault holds the slot.
func (s *State) startPod(rs *rolloutState, i int) {
	sl := rs.slots[i]
	sl.gen++
	if sl.failing > 0 {
		return
	}
	after := s.services[rs.si].readyAfter(sl.target)
	s.tasks.At(s.w.Eng.Now()+after, task{kind: tPodReady, node: -1, key: int32(rs.si), a: int32(i), gen: sl.gen})
}

// podReady is slot's new pod passing readiness: it takes over the slot.
func (s *State) podReady(t *task) {
	rs := s.services[t.key].rollout
	sl := rs.slots[t.a]
	if t.gen != sl.gen || sl.phase == SlotStable {
		return
	}
	k := s.services[rs.si].software
	phase := sl.phase
	if sl.hold && phase == SlotSurging { // blue/green: ready, waiting for the switch
		sl.phase = SlotReady
		rs.progressed = s.w.Eng.Now()
		for _, m := range s.members {
			if m.leading {
				s.roll(m, rs.si, RolloutEvent{Kind: RollReady, Slot: int(t.a)})
			}
		}
		return
	}
	sl.phase = SlotStable
	sl.gen++
	s.setValue(sl.node, k, Value{Version: sl.target})
	if phase == SlotReplacing && sl.restart != nil {
		restart := sl.restart
		sl.restart = nil
		restart()
	}
	rs.progressed = s.w.Eng.Now()
	s.rolloutProgress(rs)
	for _, m := range s.members {
		if m.leading {
			s.roll(m, rs.si, RolloutEvent{Kind: RollReady, Slot: int(t.a)})
		}
	}
}

// switchSlot switches slot i to its ready new pod (keeping the old one on
// standby for standby), or back to its standby pod (revert).
func (s *State) switchSlot(rs *rolloutState, i int, revert bool, standby sim.Time) {
	sl := rs.slots[i]
	k := s.services[rs.si].software
	now := s.w.Eng.Now()
	if revert {
		if sl.standby == 0 || now >= sl.until {
			return
		}
		if sl.phase != SlotStable {
			sl.phase = SlotStable
			sl.gen++
		}
		v := sl.standby
		sl.standby = 0
		s.setValue(sl.node, k, Value{Version: v})
		return
	}
	if sl.phase != SlotReady {
		return
	}
	old := sl.node.Software()
	sl.phase, sl.hold = SlotStable, false
	sl.gen++
	s.setValue(sl.node, k, Value{Version: sl.target})
	if standby > 0 {
		sl.standby, sl.until = old, now+standby
	}
	rs.progressed = now
}

// rolloutProgress ends the current rollout when every slot serves the
// desired version.
func (s *State) rolloutProgress(rs *rolloutState) {
	if !rs.active {
		return
	}
	k := s.services[rs.si].software
	for _, sl := range rs.slots {
		if sl.phase != SlotStable || sl.node.Software() != k.desired {
			return
		}
	}
	rs.active = false
	if !rs.back && !rs.partial {
		s.Stats.RolloutsDone++
	}
}

// FailPods makes new pods on replica rep never pass readiness until the
// returned function is called (an image that cannot be pulled on that node,
// a crash-looping container; nests). Pods stuck when it ends become ready
// a ReadyAfter later.
func (s *State) FailPods(rep *topology.Replica) (restore func()) {
	sl := s.Nodes[rep.ID].slot
	if sl == nil {
		return func() {}
	}
	sl.failing++
	if sl.failing == 1 {
		sl.gen++ // a pod starting now will not become ready
	}
	return topology.Once(func() {
		sl.failing--
		if sl.failing == 0 && sl.phase != SlotStable {
			for _, ss := range s.services {
				if rs := ss.rollout; rs != nil {
					for i, x := range rs.slots {
						if x == sl {
							s.startPod(rs, i)
						}
					}
				}
			}
		}
	})
}

// RolloutOf is the rollout view of service svc (nil for the control plane).
func (s *State) RolloutOf(svc *topology.Service) RolloutView {
	rs := s.services[svc.ID].rollout
	if rs == nil {
		return nil
	}
	return rolloutView{s, rs}
}
