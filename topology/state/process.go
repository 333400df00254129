package state

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// Work of the state model and of the layers on it runs on the processes of
// nodes: an engine event whose argument refers to a process record, which
// refers to a payload of the layer that scheduled it. A piece of work
// belongs to the process of a node (its timers, the messages that reach it)
// or to the store and the world (node -1), which never stall. Process
// semantics, here and nowhere else, follow what a real process sees:
//
//   - while the node is paused (a GC stall, SIGSTOP), its work that comes
//     due waits and runs, in order, when it resumes — a paused leader's
//     renew timer and the writes it had prepared all fire late;
//   - when the node crashes, its pending work is discarded (epoch; the
//     layer's lost function hears of each piece) and a restart begins a new
//     process with fresh volatile state.
//
// A layer declares its kinds of work with NewWork, each with its own
// payload type and handlers; no layer sees another's.

// proc is one piece of scheduled work on a process.
type proc struct {
	kind  int32 // index into State.kinds
	node  int32 // whose process runs it; -1 for the store and the world
	epoch uint32
	arg   uint64 // the kind's payload reference
}

// kind is one registered kind of process work.
type kind struct {
	name string
	run  func(arg uint64)
	lost func(arg uint64) // nil: nothing to account for
}

// Owned is a payload that says which node's process runs it (-1: the store
// or the world).
type Owned interface{ Owner() int32 }

// Work is a layer's kind of process work with payload T: At schedules it,
// the run function given to NewWork does it, the lost function hears that a
// crash discarded it.
type Work[T Owned] struct {
	s     *State
	kind  int32
	items topology.Arena[T]
	cur   T    // the payload being run, out of the arena (which the run may grow)
	busy  bool // cur is in use (a run inside a run: never, but stay correct)
}

// NewWork registers a kind of process work on s. run gets each payload when
// its work is due and its process runs; lost (nil for none) gets those a
// crash discarded. Register kinds before the world starts.
func NewWork[T Owned](s *State, name string, run, lost func(t *T)) *Work[T] {
	k := &Work[T]{s: s, kind: int32(len(s.kinds))}
	kd := kind{name: name, run: func(arg uint64) {
		ref := topology.Ref(arg)
		if k.busy {
			t := *k.items.Get(ref)
			k.items.Free(ref)
			run(&t)
			return
		}
		k.busy = true
		k.cur = *k.items.Get(ref)
		k.items.Free(ref)
		run(&k.cur)
		k.busy = false
	}}
	if lost != nil {
		kd.lost = func(arg uint64) {
			ref := topology.Ref(arg)
			if p := k.items.Get(ref); p != nil {
				lost(p)
				k.items.Free(ref)
			}
		}
	}
	s.kinds = append(s.kinds, kd)
	return k
}

// At schedules t at time at (not before now) on its owner's process, in the
// control class.
func (k *Work[T]) At(at sim.Time, t T) {
	idx, p := k.items.Alloc()
	*p = t
	k.s.schedule(at, t.Owner(), k.kind, uint64(k.items.Ref(idx)))
}

// schedule runs work of kind kd with payload arg at time at on node's
// process.
func (s *State) schedule(at sim.Time, node int32, kd int32, arg uint64) {
	var epoch uint32
	if node >= 0 {
		epoch = s.Nodes[node].epoch
	}
	idx, p := s.procs.Alloc()
	*p = proc{kind: kd, node: node, epoch: epoch, arg: arg}
	s.w.Eng.At(at, topology.ClassControl, s.kProc, uint64(s.procs.Ref(idx)))
}

// runProc runs (or defers, or discards) the work ref refers to.
func (s *State) runProc(ref topology.Ref) {
	p := s.procs.Get(ref)
	if p == nil {
		return
	}
	if p.node >= 0 {
		n := s.Nodes[p.node]
		if p.epoch != n.epoch || n.Down() {
			s.discard(ref)
			return
		}
		if n.Paused() {
			n.deferred = append(n.deferred, ref)
			return
		}
	}
	kd, arg := p.kind, p.arg
	s.procs.Free(ref)
	s.kinds[kd].run(arg)
}

// discard drops the work ref refers to, lost with its process.
func (s *State) discard(ref topology.Ref) {
	p := s.procs.Get(ref)
	if p == nil {
		return
	}
	if kd := s.kinds[p.kind]; kd.lost != nil {
		kd.lost(p.arg)
	}
	s.procs.Free(ref)
}

// ProcessHooks is a layer on the state model that keeps volatile state on
// nodes' processes: it hears a node's process die and a new one start
// (after the state model's own crash and boot handling).
type ProcessHooks interface {
	Crashed(n *Node)
	Booted(n *Node)
}

// OnProcess adds h to the layers that hear process crashes and boots, in
// the order added.
func (s *State) OnProcess(h ProcessHooks) { s.procHooks = append(s.procHooks, h) }

// OnStart adds f to the layers' start: Start calls it, in the order added,
// once the state model's processes run and before its periodic reports
// are scheduled.
func (s *State) OnStart(f func(horizon sim.Time)) { s.onStart = append(s.onStart, f) }

// World is the world the state model is attached to.
func (s *State) World() *topology.World { return s.w }

// Horizon is the run's horizon, once started: work for later is not
// scheduled.
func (s *State) Horizon() sim.Time { return s.horizon }

// PlaceOf is where state node id runs (-1: the store).
func (s *State) PlaceOf(id int32) topology.PlaceID {
	if id < 0 {
		return s.store.place
	}
	return s.Nodes[id].Place
}

// StorePlace is where the control-plane store runs.
func (s *State) StorePlace() topology.PlaceID { return s.store.place }

// replicaState is the world's hook on replica state changes: it carries
// the process semantics over to the replica's node.
func (s *State) replicaState(rep *topology.Replica, old topology.NodeState) {
	n := s.Nodes[rep.ID]
	now := s.w.Eng.Now()
	switch {
	case rep.State == topology.Down:
		n.epoch++
		for _, ref := range n.deferred {
			s.discard(ref)
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
			s.w.Eng.At(now, topology.ClassControl, s.kProc, uint64(ref))
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
	for _, h := range s.procHooks {
		h.Crashed(n)
	}
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
			s.tasks.At(s.w.Eng.Now()+s.w.Net.Latency(s.store.place, n.Place), task{kind: tApply, node: n.ID, key: int32(k.ID), ver: obj.version, a: 1})
		}
	}
	if n.member != nil {
		s.memberBooted(n.member)
	}
	for _, h := range s.procHooks {
		h.Booted(n)
	}
	s.notify(n)
}
