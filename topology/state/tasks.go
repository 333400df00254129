package state

import "github.com/tangle-sim/tangle/topology"

// The state model's own work (keys, channels, the store, members,
// rollouts, clocks), run on processes as one kind of Work (process.go).

type taskKind uint8

const (
	tChange     taskKind = iota // a scheduled change of desired state (store)
	tPush                       // the push server's debounce timer for a key (store)
	tDeliver                    // a channel delivery reaches a holder (node)
	tPollTick                   // a holder's poll timer (node)
	tPollServe                  // a poll request reaches the store (store)
	tReconnect                  // a holder's stream reconnect attempt (node)
	tReport                     // every replica's periodic status report (world)
	tNotify                     // a node sends a change notification (node)
	tObserve                    // a notification reaches the store (store)
	tElect                      // an event for a member's elector (member)
	tLease                      // a lease read or write reaches the store (store)
	tInform                     // an informer event reaches a member (member)
	tRecTimer                   // a reconciler timer (member)
	tSyncWork                   // a member finishes the processing of a sync (member)
	tWrite                      // a controller's write reaches the store (store)
	tWriteReply                 // the store's answer reaches the controller (member)
	tApply                      // a written value reaches its node (node)
	tMutate                     // a foreign writer changes a node's value (world)
	tPodReady                   // a rollout's new pod passes readiness (world)
	tRollTimer                  // a rollout timer (member)
	tRelist                     // a member whose watch was cut relists (member)
)

// task is one unit of the state model's work. Fields are used as each
// kind needs.
type task struct {
	kind taskKind
	node int32 // whose process runs it; -1 for the store and the world
	key  int32
	item int32
	a    int32
	ver  Version
	gen  uint32
	n    uint64
	ref  topology.Ref
	flag bool
	who  int32 // tWrite: the writing process's lease identity (State.Process)
	rec  LeaseRecord
}

// Owner is the node whose process runs the task (Owned).
func (t task) Owner() int32 { return t.node }

// lostTask accounts for a task lost with its process: a repair that
// reached a node after it crashed failed.
func (s *State) lostTask(t *task) {
	if t.kind == tApply {
		s.Stats.RepairsFailed++
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
	}
}
