package state

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// LeaseRecord is the lease object in the control-plane store, as client-go's
// LeaderElectionRecord: who holds it and the times it wrote, read from the
// holder's own wall clock (informational: expiry is judged by each
// candidate on its own clock).
type LeaseRecord struct {
	// Holder is the holder's identity, -1 when none: unique per process, as
	// kube-controller-manager's hostname_uuid (see Identity), so a
	// restarted member is a new candidate.
	Holder        int32
	LeaseDuration sim.Time // the holder's LeaseDurationSeconds
	AcquireTime   sim.Time // holder's wall clock when it acquired
	RenewTime     sim.Time // holder's wall clock at its last renewal
	Transitions   uint64   // LeaderTransitions: bumped when the holder changes; the fencing token
	Revision      uint64   // resourceVersion: bumped on every write; 0 when the lease does not exist
}

// LocalTime is a member's reading of its own modelled clocks.
type LocalTime struct {
	Mono, Wall sim.Time
}

// ElectionEventKind is what happened to an elector.
type ElectionEventKind uint8

const (
	ElectStart   ElectionEventKind = iota // the member's process started (at time 0, or after a restart)
	ElectTimer                            // a timer set by ElectSetTimer fired
	ElectRead                             // the answer to ElectGet: OK and Record (OK false: the store was unreachable)
	ElectWritten                          // the answer to ElectPut: OK (false: a conflicting revision, or unreachable) and Record (what the store holds)
)

// ElectionEvent is one input to an elector.
type ElectionEvent struct {
	Kind   ElectionEventKind
	Timer  int
	OK     bool
	Record LeaseRecord
}

// ElectionActionKind is what an elector asks the world to do.
type ElectionActionKind uint8

const (
	ElectGet      ElectionActionKind = iota // read the lease
	ElectPut                                // write Record if the lease's revision is still Record.Revision (create when 0)
	ElectSetTimer                           // fire timer Timer After (monotonic, local) from now, replacing it if set
	ElectLead                               // start leading with fencing token Token (OnStartedLeading)
	ElectResign                             // stop leading (OnStoppedLeading)
)

// ElectionAction is one decision of an elector.
type ElectionAction struct {
	Kind   ElectionActionKind
	Timer  int // 0..3
	After  sim.Time
	Record LeaseRecord
	Token  uint64
}

// Elector is a member's leader-election algorithm. The world feeds it events
// with the member's local clock readings and applies the actions it returns
// (appended to out); it never touches the world itself.
type Elector interface {
	Step(now LocalTime, ev ElectionEvent, out []ElectionAction) []ElectionAction
}

// NewElector makes the elector of one process of a member; id is the
// process's identity (see Identity).
type NewElector func(id int32, rng *rand.Rand) Elector

// Identity is the lease identity of the start-th process of member index
// member: unique per process, like client-go users' hostname_uuid.
func Identity(member int32, start int) int32 { return member | int32(start)<<8 }

// IdentityMember is the member index of a lease identity.
func IdentityMember(id int32) int32 { return id & 0xff }

// ReconcileSource is where an informer event comes from.
type ReconcileSource uint8

const (
	FromDesired ReconcileSource = iota // the desired state (a new revision in git, a spec change): the object's generation changed
	FromLive                           // the live state changed (a value applied, drifted or restored): the object's spec changed
	FromStatus                         // a status write: the generation did not change
)

// ReconcileEventKind is what happened to a reconciler.
type ReconcileEventKind uint8

const (
	RecStart   ReconcileEventKind = iota // the member became leader: its caches are synced, every item is to be looked at
	RecChanged                           // an informer event for Item (-1: the application as a whole)
	RecTimer                             // a timer set by RecSetTimer fired
	RecDone                              // a sync asked for by RecSync finished; OK when every write was accepted
)

// ReconcileEvent is one input to a reconciler.
type ReconcileEvent struct {
	Kind      ReconcileEventKind
	Item      int32
	Source    ReconcileSource
	OutOfSync bool // RecChanged: the item now differs from desired as the controller sees it
	Timer     int
	OK        bool
}

// ReconcileActionKind is what a reconciler asks for.
type ReconcileActionKind uint8

const (
	// RecSync reconciles Item (-1: every out-of-sync item, as one sync
	// operation): compare the cached desired state with the observed live
	// state and write the desired value wherever they differ, then write
	// the object's status when Status is set. RecDone follows.
	RecSync ReconcileActionKind = iota
	RecSetTimer
)

// ReconcileAction is one decision of a reconciler.
type ReconcileAction struct {
	Kind   ReconcileActionKind
	Item   int32
	Status bool
	Timer  int // 0..7
	After  sim.Time
	// Schema caps what a RecSync writes to schema keys (0: the desired
	// version): a migration coordinator holding a step back.
	Schema Version
}

// ReconcileView is what a reconciler sees of the objects it manages.
type ReconcileView interface {
	// Items is the number of objects (replicas holding config or flags).
	Items() int
	// OutOfSync reports whether item i's observed live state differs from
	// the desired state in the controller's cache.
	OutOfSync(i int) bool
	// Revision counts the desired-state changes the controller has seen:
	// it changes when a new revision is to be synced.
	Revision() uint64
}

// Reconciler decides when to reconcile what. The world feeds it events
// and applies the actions it returns (appended to out). now is the
// leader's monotonic clock.
type Reconciler interface {
	Step(now sim.Time, v ReconcileView, ev ReconcileEvent, out []ReconcileAction) []ReconcileAction
}

// NewReconciler makes a reconciler for one leadership term.
type NewReconciler func(rng *rand.Rand) Reconciler

// FlagSide is where feature flags are evaluated.
type FlagSide uint8

const (
	FlagsServer FlagSide = iota // in the service's replicas (server-side SDKs, or a relay)
	FlagsClient                 // in each caller's SDK (client-side evaluation)
)

// Control is the strategy side of the control plane for one run.
type Control struct {
	Elector    NewElector    // nil: no election; the first member (or the implicit controller) leads
	Fencing    bool          // the store rejects writes whose token is below the current lease's
	Reconciler NewReconciler // nil: nothing repairs drift
	Rollout    NewRollout    // nil: a deploy replaces every replica at once
	Flags      FlagSide
}

// member is a node running controllers: an elector, and while it leads the
// reconciler and the rollouts.
type member struct {
	node     *Node
	index    int32
	elector  Elector
	eout     []ElectionAction
	eTimer   [4]uint32
	leading  bool
	token    uint64
	term     uint32
	cache    []Version // desired values as its informer last saw them
	revision uint64
	rec      Reconciler
	rout     []ReconcileAction
	rTimer   [8]uint32
	rollouts []Rollout // per world service, while leading
	roll     []RolloutAction
	rollGen  []uint32
	starts   int
	rng      *rand.Rand
}

// syncRec tracks the writes of one sync in flight.
type syncRec struct {
	m       *member
	term    uint32
	item    int32
	pending int
	ok      bool
}

func (s *State) initMembers() {
	cp := s.Spec.Control.Service
	if cp >= 0 {
		for _, r := range s.w.Services[cp].Replicas {
			n := s.Nodes[r.ID]
			n.member = &member{node: n, index: int32(len(s.members))}
			s.members = append(s.members, n.member)
		}
	} else {
		n := &Node{ID: int32(len(s.Nodes)), Name: "controller", Place: s.store.place, Clock: NewClock(), item: -1}
		n.values = make([]Value, len(s.Keys))
		n.links = make([]*link, len(s.Keys))
		n.lost, n.late, n.syncFail = make([]uint16, len(s.Keys)), make([]sim.Time, len(s.Keys)), make([]uint16, len(s.Keys))
		n.pin = make([]uint16, len(s.Keys))
		n.member = &member{node: n}
		s.Nodes = append(s.Nodes, n)
		s.members = append(s.members, n.member)
	}
	for _, m := range s.members {
		m.cache = make([]Version, len(s.Keys))
		m.rollouts = make([]Rollout, len(s.w.Services))
		m.rollGen = make([]uint32, len(s.w.Services))
	}
}

// Members lists the control-plane members' nodes.
func (s *State) Members() []*Node {
	out := make([]*Node, len(s.members))
	for i, m := range s.members {
		out[i] = m.node
	}
	return out
}

// Leading reports whether member node n acts as leader now.
func (n *Node) Leading() bool { return n.member != nil && n.member.leading }

// Token is the fencing token member node n leads with (0 if it does not).
func (n *Node) Token() uint64 {
	if n.member == nil || !n.member.leading {
		return 0
	}
	return n.member.token
}

func (s *State) memberBooted(m *member) {
	m.rng = s.memberRNG(m)
	copyDesired(m, s)
	if s.ctl.Elector != nil {
		m.elector = s.ctl.Elector(Identity(m.index, m.starts), m.rng)
		s.elect(m, ElectionEvent{Kind: ElectStart})
	} else if m.index == 0 {
		s.lead(m, 1)
	}
}

func copyDesired(m *member, s *State) {
	for _, k := range s.Keys {
		m.cache[k.ID] = k.desired
	}
	m.revision = s.Stats.DesiredChanges
}

func (s *State) memberCrashed(m *member) {
	if m.leading {
		s.resign(m)
	}
	m.elector = nil
	for i := range m.eTimer {
		m.eTimer[i]++
	}
}

// relist refreshes a member's caches after its watch was cut, and makes
// its reconciler look at every item again.
func (s *State) relist(m *member) {
	if m == nil {
		return
	}
	copyDesired(m, s)
	if m.leading {
		for i := range s.items {
			s.reconcile(m, ReconcileEvent{Kind: RecChanged, Item: int32(i), Source: FromDesired, OutOfSync: s.viewOutOfSync(m, i)})
		}
		for si := range s.w.Services {
			s.roll(m, si, RolloutEvent{Kind: RollChanged})
		}
	}
}

// localTime reads a member's clocks now.
func (s *State) localTime(m *member) LocalTime {
	now := s.w.Eng.Now()
	return LocalTime{Mono: m.node.Clock.Mono(now), Wall: m.node.Clock.Wall(now)}
}

// elect feeds one event to m's elector and applies its actions.
func (s *State) elect(m *member, ev ElectionEvent) {
	if m.elector == nil {
		return
	}
	now := s.w.Eng.Now()
	m.eout = m.elector.Step(s.localTime(m), ev, m.eout[:0])
	for _, a := range m.eout {
		switch a.Kind {
		case ElectGet, ElectPut:
			s.Stats.LeaseOps++
			op := int32(0)
			if a.Kind == ElectPut {
				op = 1
			}
			if m.node.cut > 0 {
				reply := ElectRead
				if op == 1 {
					reply = ElectWritten
				}
				s.tasks.At(now, task{kind: tElect, node: m.node.ID, item: int32(reply), a: 0, rec: s.store.lease})
				continue
			}
			s.tasks.At(now+s.w.Net.Latency(m.node.Place, s.store.place), task{kind: tLease, node: -1, a: m.index, item: op, rec: a.Record})
		case ElectSetTimer:
			m.eTimer[a.Timer]++
			s.tasks.At(now+m.node.Clock.Real(now, a.After), task{kind: tElect, node: m.node.ID, item: int32(ElectTimer), key: int32(a.Timer), gen: m.eTimer[a.Timer]})
		case ElectLead:
			s.lead(m, a.Token)
		case ElectResign:
			if m.leading {
				s.resign(m)
			}
		}
	}
}

// electTask delivers an election event to a member's process.
func (s *State) electTask(t *task) {
	m := s.Nodes[t.node].member
	ev := ElectionEvent{Kind: ElectionEventKind(t.item), Record: t.rec, OK: t.a == 1}
	if ev.Kind == ElectTimer {
		if t.gen != m.eTimer[t.key] {
			return
		}
		ev.Timer = int(t.key)
	}
	s.elect(m, ev)
}

// leaseOp is a lease read or write reaching the store; the answer goes back
// to the member.
func (s *State) leaseOp(t *task) {
	m := s.members[t.a]
	st := &s.store
	reply := task{kind: tElect, node: m.node.ID, item: int32(ElectRead), a: 1, rec: st.lease}
	if t.item == 1 {
		reply.item = int32(ElectWritten)
		if t.rec.Revision == st.lease.Revision {
			rec := t.rec
			rec.Revision = st.lease.Revision + 1
			st.lease = rec
			reply.rec = rec
		} else {
			reply.a = 0 // 409 Conflict: the object has been modified
		}
	}
	if m.node.cut > 0 {
		reply.a, reply.rec = 0, LeaseRecord{}
	}
	s.tasks.At(s.w.Eng.Now()+s.w.Net.Latency(s.store.place, m.node.Place), reply)
}

// lead makes m act as leader with fencing token token.
func (s *State) lead(m *member, token uint64) {
	if m.leading {
		m.token = token
		return
	}
	m.leading, m.token = true, token
	m.term++
	s.leaders++
	s.Stats.LeaderChanges++
	now := s.w.Eng.Now()
	for _, o := range s.obs {
		o.Leaders(now, s.leaders)
	}
	if s.ctl.Reconciler != nil {
		m.rec = s.ctl.Reconciler(m.rng)
		s.reconcile(m, ReconcileEvent{Kind: RecStart})
	}
	for si := range s.w.Services {
		if s.services[si].software != nil {
			m.rollouts[si] = s.newRollout(m)
			s.roll(m, si, RolloutEvent{Kind: RollChanged})
		}
	}
}

// resign makes m stop acting as leader: its controllers stop and their
// work in flight is discarded.
func (s *State) resign(m *member) {
	m.leading = false
	m.term++
	m.rec = nil
	for i := range m.rTimer {
		m.rTimer[i]++
	}
	for si := range m.rollouts {
		m.rollouts[si] = nil
		m.rollGen[si]++
	}
	s.leaders--
	now := s.w.Eng.Now()
	for _, o := range s.obs {
		o.Leaders(now, s.leaders)
	}
}

// memberView is the ReconcileView of a leading member.
type memberView struct {
	s *State
	m *member
}

func (v memberView) Items() int           { return len(v.s.items) }
func (v memberView) OutOfSync(i int) bool { return v.s.viewOutOfSync(v.m, i) }
func (v memberView) Revision() uint64     { return v.m.revision }

func (s *State) viewOutOfSync(m *member, i int) bool {
	return s.observedOutOfSync(s.items[i], func(k *Key) Version { return m.cache[k.ID] })
}

// reconcile feeds one event to m's reconciler and applies its actions.
func (s *State) reconcile(m *member, ev ReconcileEvent) {
	if !m.leading || m.rec == nil {
		return
	}
	now := s.w.Eng.Now()
	m.rout = m.rec.Step(m.node.Clock.Mono(now), memberView{s, m}, ev, m.rout[:0])
	for _, a := range m.rout {
		switch a.Kind {
		case RecSync:
			items := 1
			if a.Item < 0 {
				items = 0
				for i := range s.items {
					if s.viewOutOfSync(m, i) {
						items++
					}
				}
				items = max(items, 1)
			}
			status := int32(0)
			if a.Status {
				status = 1
			}
			s.tasks.At(now+m.node.Clock.Real(now, s.Spec.Control.Work*sim.Time(items)),
				task{kind: tSyncWork, node: m.node.ID, item: a.Item, a: status, gen: m.term, ver: a.Schema})
		case RecSetTimer:
			if a.Timer < 0 || a.Timer >= len(m.rTimer) {
				panic(fmt.Sprintf("topology: reconciler timer %d out of range", a.Timer))
			}
			m.rTimer[a.Timer]++
			s.tasks.At(now+m.node.Clock.Real(now, a.After), task{kind: tRecTimer, node: m.node.ID, key: int32(a.Timer), gen: m.rTimer[a.Timer], n: uint64(m.term)})
		}
	}
}

func (s *State) recTimer(t *task) {
	m := s.Nodes[t.node].member
	if uint32(t.n) != m.term || t.gen != m.rTimer[t.key] {
		return
	}
	s.reconcile(m, ReconcileEvent{Kind: RecTimer, Timer: int(t.key)})
}

// syncWork is the end of a sync's processing on the member: compare its
// cached desired state with the observed live state and write the
// differences (and the status), each write carrying the member's token.
func (s *State) syncWork(t *task) {
	m := s.Nodes[t.node].member
	if t.gen != m.term || !m.leading {
		return
	}
	ref := s.newSync(m, t.item)
	var items []*Node
	if t.item >= 0 {
		items = s.items[t.item : t.item+1]
	} else {
		items = s.items
	}
	for i, n := range items {
		if t.item < 0 && !s.viewOutOfSync(m, i) {
			continue
		}
		s.Stats.Reconciles++
		for _, k := range n.held {
			if k.Kind == Software || k.client {
				continue
			}
			want := m.cache[k.ID]
			if k.Kind == Schema && t.ver > 0 {
				if want = min(want, t.ver); s.Observed(n, k).Version >= want {
					continue // the coordinator never steps a schema back
				}
			}
			if obs := s.Observed(n, k); obs.Foreign || obs.Version != want {
				s.write(m, ref, n, k, want, false)
			}
		}
		if t.a == 1 && t.item >= 0 {
			s.write(m, ref, n, nil, 0, true)
		}
	}
	if t.a == 1 && t.item < 0 {
		s.write(m, ref, nil, nil, 0, true)
	}
	s.settleSync(ref)
}

func (s *State) newSync(m *member, item int32) topology.Ref {
	idx, p := s.syncs.Alloc()
	*p = syncRec{m: m, term: m.term, item: item, ok: true}
	p.pending = 1 // held until syncWork has issued every write
	return s.syncs.Ref(idx)
}

// settleSync drops the hold newSync placed; the sync is done when its last
// write is answered.
func (s *State) settleSync(ref topology.Ref) { s.syncAnswered(ref, true) }

func (s *State) syncAnswered(ref topology.Ref, ok bool) {
	p := s.syncs.Get(ref)
	if p == nil {
		return
	}
	p.pending--
	p.ok = p.ok && ok
	if p.pending > 0 {
		return
	}
	r := *p
	s.syncs.Free(ref)
	if r.m.term == r.term {
		s.reconcile(r.m, ReconcileEvent{Kind: RecDone, Item: r.item, OK: r.ok})
	}
}

// write sends one fenced write from member m to the store: a repair of
// node n's key k to version v, or (status) a status update of item n (nil:
// the application's status).
func (s *State) write(m *member, sync topology.Ref, n *Node, k *Key, v Version, status bool) {
	s.Stats.APICalls++
	if !status {
		s.Stats.Repairs++
		s.Stats.RepairBytes += uint64(k.Spec.Size)
	}
	if p := s.syncs.Get(sync); p != nil {
		p.pending++
	}
	now := s.w.Eng.Now()
	if m.node.cut > 0 {
		if !status {
			s.Stats.RepairsFailed++
		}
		s.tasks.At(now, task{kind: tWriteReply, node: m.node.ID, ref: sync, flag: false})
		return
	}
	t := task{kind: tWrite, node: -1, a: m.index, item: -1, key: -1, ver: v, n: m.token, ref: sync, flag: status, who: s.Process(m.node)}
	if n != nil {
		t.item = n.ID
	}
	if k != nil {
		t.key = int32(k.ID)
	}
	s.tasks.At(now+s.w.Net.Latency(m.node.Place, s.store.place), t)
}

// storeWrite is a controller's write reaching the store: the fencing check,
// the safety accounting, then the object update and the answer.
func (s *State) storeWrite(t *task) {
	m := s.members[t.a]
	now := s.w.Eng.Now()
	s.Stats.Writes++
	ok := true
	if _, rejected := s.Fence(t.who, t.n); rejected {
		ok = false
		if !t.flag {
			s.Stats.RepairsFailed++
		}
	} else {
		switch {
		case t.flag && t.item >= 0:
			s.informChanged(s.Nodes[t.item], false)
		case t.flag:
			s.informApp()
		default:
			n, k := s.Nodes[t.item], s.Keys[t.key]
			obj := s.store.object(n, k)
			if !obj.foreign && t.ver < obj.version {
				s.Stats.LostUpdates++
			}
			obj.version, obj.token, obj.foreign = t.ver, t.n, false
			s.tasks.At(now+s.w.Net.Latency(s.store.place, n.Place), task{kind: tApply, node: n.ID, key: t.key, ver: t.ver})
		}
	}
	s.tasks.At(now+s.w.Net.Latency(s.store.place, m.node.Place), task{kind: tWriteReply, node: m.node.ID, ref: t.ref, flag: ok})
}

func (s *State) writeReply(t *task) { s.syncAnswered(t.ref, t.flag) }

// apply is a written value reaching its node. a=1 marks a node reading its
// objects back at boot rather than a repair.
func (s *State) apply(n *Node, k *Key, t *task) {
	if t.a == 1 {
		obj := s.store.object(n, k)
		if s.setValue(n, k, Value{Version: obj.version, Foreign: obj.foreign}) {
			s.applied(n, k)
		}
		return
	}
	if n.cut > 0 || n.pin[k.ID] > 0 {
		s.Stats.RepairsFailed++
		return
	}
	s.Stats.RepairsApplied++
	if s.setValue(n, k, Value{Version: t.ver}) {
		s.applied(n, k)
	}
}

// informDesired tells every member's informer that k's desired value
// changed.
func (s *State) informDesired(k *Key) {
	if !s.configured {
		return
	}
	now := s.w.Eng.Now()
	for _, m := range s.members {
		if m.node.Down() || m.node.cut > 0 {
			continue
		}
		s.tasks.At(now+s.w.Net.Latency(s.store.place, m.node.Place), task{kind: tInform, node: m.node.ID, key: int32(k.ID), ver: k.desired, a: int32(FromDesired)})
	}
}

// informChanged tells the leading members that item n's live state (spec:
// true) or status changed.
func (s *State) informChanged(n *Node, spec bool) {
	src := FromStatus
	if spec {
		src = FromLive
	}
	now := s.w.Eng.Now()
	for _, m := range s.members {
		if !m.leading || m.node.cut > 0 {
			continue
		}
		s.tasks.At(now+s.w.Net.Latency(s.store.place, m.node.Place), task{kind: tInform, node: m.node.ID, key: -1, item: n.item, a: int32(src)})
	}
}

// informApp tells the leading members that the application's status changed.
func (s *State) informApp() {
	now := s.w.Eng.Now()
	for _, m := range s.members {
		if !m.leading || m.node.cut > 0 {
			continue
		}
		s.tasks.At(now+s.w.Net.Latency(s.store.place, m.node.Place), task{kind: tInform, node: m.node.ID, key: -1, item: -1, a: int32(FromStatus)})
	}
}

// inform is an informer event reaching a member.
func (s *State) inform(t *task) {
	m := s.Nodes[t.node].member
	src := ReconcileSource(t.a)
	if src == FromDesired {
		k := s.Keys[t.key]
		m.cache[k.ID] = t.ver
		m.revision++
		if !m.leading {
			return
		}
		if k.Kind == Software {
			s.roll(m, k.Service.ID, RolloutEvent{Kind: RollChanged})
			return
		}
		if k.client {
			return
		}
		for _, h := range k.holders {
			s.reconcile(m, ReconcileEvent{Kind: RecChanged, Item: h.item, Source: FromDesired, OutOfSync: s.viewOutOfSync(m, int(h.item))})
		}
		return
	}
	if !m.leading {
		return
	}
	ev := ReconcileEvent{Kind: RecChanged, Item: t.item, Source: src}
	if t.item >= 0 {
		ev.OutOfSync = s.viewOutOfSync(m, int(t.item))
	}
	s.reconcile(m, ev)
}

// Elects reports whether members elect their leader (an elector is
// configured), rather than one leading by fiat.
func (s *State) Elects() bool { return s.ctl.Elector != nil }
