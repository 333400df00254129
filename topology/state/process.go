package state

import "github.com/tangle-sim/tangle/topology"
import "github.com/tangle-sim/tangle/sim"

// Work of the state model runs as tasks: an engine event whose argument
// refers to a task record. A task belongs to the process of a node (its
// timers, the messages that reach it) or to the store (node -1), which
// never stalls. Process semantics follow what a real process sees:
//
//   - while the node is paused (a GC stall, SIGSTOP), its tasks that come
//     due wait and run, in order, when it resumes — a paused leader's renew
//     timer and the writes it had prepared all fire late;
//   - when the node crashes, its pending tasks are discarded (epoch) and a
//     restart begins a new process with fresh volatile state.

type taskKind uint8

const (
	tChange       taskKind = iota // a scheduled change of desired state (store)
	tPush                         // the push server's debounce timer for a key (store)
	tDeliver                      // a channel delivery reaches a holder (node)
	tPollTick                     // a holder's poll timer (node)
	tPollServe                    // a poll request reaches the store (store)
	tReconnect                    // a holder's stream reconnect attempt (node)
	tReport                       // every replica's periodic status report (world)
	tNotify                       // a node sends a change notification (node)
	tObserve                      // a notification reaches the store (store)
	tElect                        // an event for a member's elector (member)
	tLease                        // a lease read or write reaches the store (store)
	tInform                       // an informer event reaches a member (member)
	tRecTimer                     // a reconciler timer (member)
	tSyncWork                     // a member finishes the processing of a sync (member)
	tWrite                        // a controller's write reaches the store (store)
	tWriteReply                   // the store's answer reaches the controller (member)
	tApply                        // a written value reaches its node (node)
	tMutate                       // a foreign writer changes a node's value (world)
	tPodReady                     // a rollout's new pod passes readiness (world)
	tRollTimer                    // a rollout timer (member)
	tRelist                       // a member whose watch was cut relists (member)
	tStrobe                       // a clock strobe's next step (world)
	tRouteEval                    // a routing actor's evaluation timer (actor)
	tRouteActuate                 // a routing decision's actuation, after its delay (actor)
	tRouteWrite                   // a controller's routing config reaches the store (store)
	tRouteBroker                  // the signal broker reads the bus (world)
	tRoutePublish                 // the signal broker publishes its board (world)
	tRouteBreach                  // an attacker's unauthorised config write (world)
	tRouteResume                  // the emergency breaker's hold ends (world)
	tData                         // the data layer's work (datareplica.go: the sub-kind is in a)
)

// task is one unit of scheduled work. Fields are used as each kind needs.
type task struct {
	kind  taskKind
	node  int32 // whose process runs it; -1 for the store and the world
	epoch uint32
	key   int32
	item  int32
	a     int32
	ver   Version
	gen   uint32
	n     uint64
	ref   topology.Ref
	flag  bool
	rec   LeaseRecord
	c     cell // data: a value carried by a message
}

// schedule runs t at time at (not before now) in the control class.
func (s *State) schedule(at sim.Time, t task) {
	if t.node >= 0 {
		t.epoch = s.Nodes[t.node].epoch
	}
	idx, p := s.tasks.Alloc()
	*p = t
	s.w.Eng.At(at, topology.ClassControl, s.kTask, uint64(s.tasks.Ref(idx)))
}

// runTask runs (or defers, or discards) the task ref refers to.
func (s *State) runTask(ref topology.Ref) {
	p := s.tasks.Get(ref)
	if p == nil {
		return
	}
	if p.node >= 0 {
		n := s.Nodes[p.node]
		if p.epoch != n.epoch || n.Down() {
			s.discard(p)
			s.tasks.Free(ref)
			return
		}
		if n.Paused() {
			n.deferred = append(n.deferred, ref)
			return
		}
	}
	t := *p
	s.tasks.Free(ref)
	s.dispatch(&t)
}

// discard accounts for a task lost with its process: a repair that reached
// a node after it crashed failed.
func (s *State) discard(t *task) {
	switch t.kind {
	case tApply:
		s.Stats.RepairsFailed++
	case tData:
		s.dataDiscarded(t)
	case tRouteActuate:
		s.rt.lost(t)
	}
}

func (s *State) dispatch(t *task) {
	switch t.kind {
	case tChange:
		s.runChange(int(t.a), t.item == 1)
	case tPush:
		s.firePush(s.Keys[t.key], t.gen)
	case tDeliver:
		s.deliver(s.Nodes[t.node], s.Keys[t.key], t.ver, t.a)
	case tPollTick:
		s.pollTick(s.Nodes[t.node], s.Keys[t.key], t.gen)
	case tPollServe:
		s.pollServe(s.Nodes[t.item], s.Keys[t.key])
	case tReconnect:
		s.reconnect(s.Nodes[t.node], s.Keys[t.key], t.gen)
	case tReport:
		s.report()
	case tNotify:
		s.sendNotify(s.Nodes[t.node])
	case tObserve:
		s.observe(s.Nodes[t.item])
	case tElect:
		s.electTask(t)
	case tLease:
		s.leaseOp(t)
	case tInform:
		s.inform(t)
	case tRecTimer:
		s.recTimer(t)
	case tSyncWork:
		s.syncWork(t)
	case tWrite:
		s.storeWrite(t)
	case tWriteReply:
		s.writeReply(t)
	case tApply:
		s.apply(s.Nodes[t.node], s.Keys[t.key], t)
	case tMutate:
		s.mutateTask(t)
	case tPodReady:
		s.podReady(t)
	case tRollTimer:
		s.rollTimer(t)
	case tRelist:
		s.relist(s.Nodes[t.node].member)
	case tStrobe:
		s.strobeTask(t)
	case tData:
		s.dataTask(t)
	case tRouteEval, tRouteActuate, tRouteWrite, tRouteBroker, tRoutePublish, tRouteBreach, tRouteResume:
		s.rt.dispatch(t)
	}
}

// replicaState is the world's hook on replica state changes: it carries
// the process semantics over to the replica's node.
func (s *State) replicaState(rep *topology.Replica, old topology.NodeState) {
	n := s.Nodes[rep.ID]
	now := s.w.Eng.Now()
	switch {
	case rep.State == topology.Down:
		n.epoch++
		for _, ref := range n.deferred {
			if p := s.tasks.Get(ref); p != nil {
				s.discard(p)
				s.tasks.Free(ref)
			}
		}
		n.deferred = n.deferred[:0]
		s.crashNode(n)
	case old == topology.Down:
		s.bootNode(n)
		if rep.State == topology.Paused {
			return
		}
	case old == topology.Paused && rep.State == topology.Up:
		// Run what came due during the pause, in order, now.
		for _, ref := range n.deferred {
			s.w.Eng.At(now, topology.ClassControl, s.kTask, uint64(ref))
		}
		n.deferred = n.deferred[:0]
	}
}

// crashNode drops the volatile state of a node whose process died.
func (s *State) crashNode(n *Node) {
	for _, l := range n.links {
		if l != nil {
			l.connected = false
			l.attempts = 0
			l.gen++
		}
	}
	if n.member != nil {
		s.memberCrashed(n.member)
	}
	s.dataCrashed(n)
}

// bootNode starts a new process on a node that was down.
func (s *State) bootNode(n *Node) {
	for _, l := range n.links {
		if l != nil {
			s.startLink(l, 0)
		}
	}
	// Objects only controllers write are read back from the store.
	for _, k := range n.held {
		if k.Kind != Software && n.links[k.ID] == nil {
			obj := s.store.object(n, k)
			s.schedule(s.w.Eng.Now()+s.w.Net.Latency(s.store.place, n.Place), task{kind: tApply, node: n.ID, key: int32(k.ID), ver: obj.version, a: 1})
		}
	}
	if n.member != nil {
		s.memberBooted(n.member)
	}
	s.dataBooted(n)
	if s.rt != nil {
		s.rt.booted(n)
	}
	s.notify(n)
}
