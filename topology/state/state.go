package state

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// This file is the desired-vs-actual state model at run time: building it,
// stamping what served a request, changing values and desired state,
// configuring and starting it. Its keys and nodes are in keys.go; doc.go
// has the whole picture.

// StateObserver hears the state model's changes that metrics integrate
// over time. Each method is called at the moment of the change.
type StateObserver interface {
	// Divergence: off of total nodes now differ from the desired state.
	Divergence(now sim.Time, off, total int)
	// ObservedDivergence: the control plane now sees off nodes diverged
	// (it sees what reports and notifications delivered: telemetry gaps and
	// partitions hide drift).
	ObservedDivergence(now sim.Time, off int)
	// Leaders: n members now act as leader.
	Leaders(now sim.Time, n int)
	// Converged: a desired change of k made at `at` is now held by every holder.
	Converged(now sim.Time, k *Key, at sim.Time)
}

// Stats are the state model's cumulative counters since the run began.
type Stats struct {
	DesiredChanges  uint64 // config and flag changes of desired state
	Pushes          uint64 // channel deliveries (push, stream and poll responses carrying a value)
	NACKs           uint64 // deliveries holders rejected, keeping their last good value
	Reports         uint64 // status reports expected (one per replica per report interval)
	ReportsLost     uint64 // of which not received (node down, cut, or in a telemetry gap)
	Reconciles      uint64 // reconciles of one item (a sync of every item counts each item)
	APICalls        uint64 // control-plane API calls made by controllers: repairs, status writes, rollout steps
	Repairs         uint64 // repair writes issued (a desired value written to a node's object)
	RepairBytes     uint64 // bytes of repair writes
	RepairsApplied  uint64 // repair writes that reached their node and were applied
	RepairsFailed   uint64 // repair writes rejected by fencing, unreachable, or whose node was down
	Writes          uint64 // fenced writes that reached the store (repairs and status writes)
	StaleAccepted   uint64 // of which accepted from a deposed leader (another process holds the lease: State.Fence)
	StaleRejected   uint64 // of which rejected by fencing
	LostUpdates     uint64 // accepted writes that replaced a newer version of an object with an older one
	LeaderChanges   uint64 // times a member started leading
	LeaseOps        uint64 // lease reads and writes by electors
	Rollouts        uint64 // rollouts started by deploys
	RolloutsDone    uint64 // rollouts that completed (every replica updated and available)
	RolloutsPartial uint64 // rollouts that stalled past their progress deadline or were rolled back
	Rollbacks       uint64 // automated rollbacks
}

// State is a world's state model at run time. Of(w) is nil when the
// world has none.
type State struct {
	requestTables
	w     *topology.World
	Spec  Spec
	Keys  []*Key
	Nodes []*Node // replica nodes in World.Replicas order, then caller SDKs, then the implicit controller
	Stats Stats

	services []svcState // per world service
	items    []*Node    // reconcile items
	counted  int        // nodes whose coherence counts towards divergence
	offNodes int
	obsOff   int
	store    store
	members  []*member
	leaders  int
	ctl      Control
	obs      []StateObserver
	rng      *rand.Rand
	horizon  sim.Time

	procs       topology.Arena[proc] // scheduled process work (process.go)
	kinds       []kind               // registered kinds of process work
	procHooks   []ProcessHooks
	tasks       *Work[task] // the state model's own work (tasks.go)
	syncs       topology.Arena[syncRec]
	onStart     []func(horizon sim.Time) // layers' start (OnStart)
	schemas     Schemas                  // the schema compatibility matrix (SetSchemas); nil for none
	mutators    []*mutator
	kProc       sim.Kind
	routes      []RouteKey         // with Spec.Routes (routes.go)
	softObs     []SoftwareObserver // hear replicas' software versions move
	splitter    TrafficSplitter    // a rollout's weighted steps; nil: none
	onConfigure []func() error     // layers' configuration (OnConfigure)
	onStarted   []func(sim.Time)   // layers' start after the reports (OnStarted)

	configured bool
}

// svcState is a service's part of the state model.
type svcState struct {
	software *Key   // nil for the control-plane service
	keys     []*Key // software first, then declared keys, in slot order
	versions []VersionSpec
	rollout  *rolloutState
}

// New builds the state model of w from spec and attaches it to w (see
// topology.Layer). Call it after topology.New and before w.Start; Of(w)
// finds it again.
func New(w *topology.World, spec Spec) (*State, error) {
	s, err := newState(w, spec)
	if err != nil {
		return nil, err
	}
	w.Attach(s)
	return s, nil
}

// newState builds the state model of w from spec.
func newState(w *topology.World, spec Spec) (*State, error) {
	s := &State{w: w, Spec: spec, rng: sim.NewStream(w.Seed, "state"), services: make([]svcState, len(w.Services))}
	if s.Spec.ReportInterval <= 0 {
		s.Spec.ReportInterval = 10 * sim.Second
	}
	if s.Spec.Control.Work <= 0 {
		s.Spec.Control.Work = 10 * sim.Millisecond
	}
	cp := spec.Control.Service
	if cp >= len(w.Services) {
		return nil, fmt.Errorf("state: control-plane service %d does not exist", cp)
	}
	if cp >= 0 && len(w.Services[cp].Replicas) > 255 {
		return nil, fmt.Errorf("state: at most 255 control-plane members, got %d", len(w.Services[cp].Replicas))
	}
	if int(spec.Control.Store) >= len(w.Places) || spec.Control.Store < 0 {
		return nil, fmt.Errorf("state: control-plane store at unknown place %d", spec.Control.Store)
	}
	s.kProc = w.Eng.Handle("state.process", func(a uint64) { s.runProc(topology.Ref(a)) })
	s.tasks = NewWork(s, "state", s.dispatch, s.lostTask)
	for _, r := range w.Replicas {
		s.Nodes = append(s.Nodes, &Node{ID: int32(len(s.Nodes)), Name: r.Name, Place: r.Place, Replica: r, Clock: NewClock(), item: -1})
	}
	for _, c := range w.Callers {
		s.Nodes = append(s.Nodes, &Node{ID: int32(len(s.Nodes)), Name: fmt.Sprintf("%s/caller-%d", c.Client.Name, int(c.ID)-int(c.Client.Callers[0].ID)), Place: c.Place, Caller: c, Clock: NewClock(), item: -1})
	}
	if spec.Routes {
		for _, e := range w.Edges {
			s.Nodes = append(s.Nodes, &Node{ID: int32(len(s.Nodes)), Name: e.Client.Name + "/edge", Place: e.Client.Spec.Place, Edge: e, Clock: NewClock(), item: -1})
		}
	}
	// Software keys: one per serving service.
	for si, svc := range w.Services {
		if si == cp {
			continue
		}
		k := s.addKey(KeySpec{Name: "software/" + svc.Name, Kind: Software, Service: si})
		s.services[si].software = k
		s.services[si].keys = append(s.services[si].keys, k)
	}
	for i, ks := range spec.Keys {
		if ks.Service < 0 || ks.Service >= len(w.Services) || ks.Service == cp {
			return nil, fmt.Errorf("state: key %s: unknown or control-plane service %d", ks.Name, ks.Service)
		}
		if ks.Kind == Software {
			return nil, fmt.Errorf("state: key %s: software versions are not declared as keys", ks.Name)
		}
		if err := ks.Channel.Validate(); err != nil {
			return nil, fmt.Errorf("state: key %s: %w", ks.Name, err)
		}
		if err := ks.ClientChannel.Validate(); err != nil {
			return nil, fmt.Errorf("state: key %s: client channel: %w", ks.Name, err)
		}
		if slices.ContainsFunc(spec.Keys[:i], func(o KeySpec) bool { return o.Name == ks.Name }) {
			return nil, fmt.Errorf("state: key %s is declared twice", ks.Name)
		}
		k := s.addKey(ks)
		ss := &s.services[ks.Service]
		k.slot = len(ss.keys)
		if k.slot >= 32 {
			return nil, fmt.Errorf("state: service %s holds more than 31 keys", w.Services[ks.Service].Name)
		}
		ss.keys = append(ss.keys, k)
	}
	for _, v := range spec.Versions {
		if v.Service < 0 || v.Service >= len(w.Services) || v.Service == cp || v.Version < 1 {
			return nil, fmt.Errorf("state: version %d of service %d: unknown service or version below 1", v.Version, v.Service)
		}
		s.services[v.Service].versions = append(s.services[v.Service].versions, v)
	}
	if spec.Routes {
		s.addRouteKeys()
	}
	for i, c := range spec.Changes {
		if c.At < 0 || c.Every < 0 {
			return nil, fmt.Errorf("state: change %d: negative time", i)
		}
		if c.Key >= len(spec.Keys) || (c.Key < 0 && (c.Service < 0 || c.Service >= len(w.Services) || c.Service == cp)) {
			return nil, fmt.Errorf("state: change %d: unknown key or service", i)
		}
	}
	for _, n := range s.Nodes {
		n.values = make([]Value, len(s.Keys))
		n.links = make([]*link, len(s.Keys))
		n.lost = make([]uint16, len(s.Keys))
		n.late = make([]sim.Time, len(s.Keys))
		n.syncFail = make([]uint16, len(s.Keys))
		n.pin = make([]uint16, len(s.Keys))
	}
	s.store.place = spec.Control.Store
	s.initMembers() // may add the implicit controller's node
	s.store.init(s, spec.Control.Store)
	w.OnStateChange(s.replicaState)
	return s, nil
}

func (s *State) addKey(ks KeySpec) *Key {
	if ks.Size <= 0 {
		ks.Size = 1024
	}
	k := &Key{ID: len(s.Keys), Name: ks.Name, Kind: ks.Kind, Service: s.w.Services[ks.Service], Spec: ks, desired: 1, latest: 1,
		history: []desiredAt{{0, 1}}}
	s.Keys = append(s.Keys, k)
	return k
}

// Observe adds an observer of the state model.
func (s *State) Observe(o StateObserver) { s.obs = append(s.obs, o) }

// Key returns the key called name.
func (s *State) Key(name string) (*Key, bool) {
	i := slices.IndexFunc(s.Keys, func(k *Key) bool { return k.Name == name })
	if i < 0 {
		return nil, false
	}
	return s.Keys[i], true
}

// NodeOf returns the node of replica rep.
func (s *State) NodeOf(rep *topology.Replica) *Node { return s.Nodes[rep.ID] }

// CallerNode returns the SDK node of caller c.
func (s *State) CallerNode(c *topology.Caller) *Node { return s.Nodes[len(s.w.Replicas)+int(c.ID)] }

// Software returns a service's software key (nil for the control plane).
func (s *State) Software(svc *topology.Service) *Key { return s.services[svc.ID].software }

// Counted is the number of nodes whose coherence counts towards divergence.
func (s *State) Counted() int { return s.counted }

// OffNodes is the number of nodes now off the desired state.
func (s *State) OffNodes() int { return s.offNodes }

// ObservedOff is the number of nodes the control plane now sees diverged.
func (s *State) ObservedOff() int { return s.obsOff }

// Leaders is the number of members acting as leader now.
func (s *State) Leaders() int { return s.leaders }

// errorRate is the probability a request served by a replica of svc
// running version v fails, before stale-key effects.
func (ss *svcState) errorRate(v Version, base float64) float64 {
	for _, vs := range ss.versions {
		if vs.Version == v && vs.HasErrorRate {
			return vs.ErrorRate
		}
	}
	return base
}

func (ss *svcState) readyAfter(v Version) sim.Time {
	for _, vs := range ss.versions {
		if vs.Version == v && vs.ReadyAfter > 0 {
			return vs.ReadyAfter
		}
	}
	return DefaultReadyAfter
}

// Served stamps attempt j, completed by rep, with the state that served it
// and returns its error probability: the version's error rate combined with
// the stale-error rates of keys it served stale. r is the request (nil if it
// already ended). Called per response: O(keys of the service), no allocation.
// It is the state model's ServeStamper hook.
func (s *State) Served(rep *topology.Replica, job topology.Ref, j *topology.Job, r *topology.Request, base float64) float64 {
	ss := &s.services[rep.Service.ID]
	if ss.software == nil {
		return base
	}
	n := s.Nodes[rep.ID]
	arrival := j.Sent
	if r != nil {
		arrival = r.Arrived
	}
	sw := n.values[ss.software.ID].Version
	p := ss.errorRate(sw, base)
	var stale uint32
	for _, k := range ss.keys {
		h := n
		if k.client {
			h = s.Nodes[len(s.w.Replicas)+int(j.Caller)]
		}
		v := h.values[k.ID]
		if v.Foreign || v.Version != k.DesiredAt(arrival) {
			stale |= 1 << k.slot
			if q := k.Spec.StaleErrorRate; q > 0 {
				p = 1 - (1-p)*(1-q)
			}
		}
	}
	s.jobServed[job.Slot()] = Served{Software: sw, Stale: stale}
	if rs := ss.rollout; rs != nil {
		rs.countServed(sw, j.ErrU < p, s.w.Eng.Now()-j.Reached)
	}
	return p
}

// setValue changes what n holds for k and keeps the coherence counts and
// pending changes up to date. It reports whether the value changed.
func (s *State) setValue(n *Node, k *Key, v Value) bool {
	old := n.values[k.ID]
	if old == v {
		return false
	}
	n.values[k.ID] = v
	if k.Kind == Route {
		if k.owner != nil {
			k.owner.Applied(n, k, v.Version)
		}
		return true
	}
	if !s.holds(n, k) {
		return true
	}
	was, is := k.matches(old), k.matches(v)
	if was != is {
		if is {
			k.behind--
			s.nodeOff(n, -1)
		} else {
			k.behind++
			s.nodeOff(n, +1)
		}
	}
	now := s.w.Eng.Now()
	for i := 0; i < len(k.pending); i++ {
		pc := &k.pending[i]
		had, has := !old.Foreign && old.Version >= pc.version, !v.Foreign && v.Version >= pc.version
		if had != has {
			if has {
				pc.holding++
			} else {
				pc.holding--
			}
		}
	}
	s.settlePending(k, now)
	if k.Kind == Software {
		for _, o := range s.softObs {
			o.SoftwareMoved(k.Service)
		}
	}
	s.notify(n)
	return true
}

// holds reports whether n holds k.
func (s *State) holds(n *Node, k *Key) bool { return slices.Contains(n.held, k) }

func (s *State) settlePending(k *Key, now sim.Time) {
	j := 0
	for _, pc := range k.pending {
		if pc.holding >= len(k.holders) {
			for _, o := range s.obs {
				o.Converged(now, k, pc.at)
			}
			continue
		}
		k.pending[j] = pc
		j++
	}
	k.pending = k.pending[:j]
}

// nodeOff adjusts n's count of off keys by d and the fleet's divergence.
func (s *State) nodeOff(n *Node, d int) {
	was := n.off > 0
	n.off += d
	if is := n.off > 0; was != is {
		if is {
			s.offNodes++
		} else {
			s.offNodes--
		}
		now := s.w.Eng.Now()
		for _, o := range s.obs {
			o.Divergence(now, s.offNodes, s.counted)
		}
	}
}

// setDesired makes v the desired version of k at now (0: the next
// version) and recounts which holders are behind. invalid marks a version
// holders will reject.
func (s *State) setDesired(k *Key, v Version, invalid bool) {
	now := s.w.Eng.Now()
	if v == 0 {
		v = k.latest + 1
	}
	k.latest = max(k.latest, v)
	if k.Kind != Route { // a route config's validity lives with it in its scope's ring
		for int(v) >= len(k.invalid) {
			k.invalid = append(k.invalid, false)
		}
		k.invalid[v] = invalid
	}
	if v == k.desired {
		return
	}
	old := k.desired
	k.desired, k.prev = v, old
	if k.Kind == Route { // no history or coherence accounting: routing configs are not desired state
		s.desiredChanged(k)
		return
	}
	if last := &k.history[len(k.history)-1]; last.At == now {
		last.Version = v
	} else {
		k.history = append(k.history, desiredAt{now, v})
	}
	holding := 0
	for _, h := range k.holders {
		val := h.values[k.ID]
		if !val.Foreign && val.Version >= v {
			holding++
		}
		was, is := !val.Foreign && val.Version == old, !val.Foreign && val.Version == v
		if was != is {
			if is {
				k.behind--
				s.nodeOff(h, -1)
			} else {
				k.behind++
				s.nodeOff(h, +1)
			}
		}
	}
	if k.Kind != Software {
		s.Stats.DesiredChanges++
		k.pending = append(k.pending, pendingChange{at: now, version: v, holding: holding})
		s.settlePending(k, now)
	}
	s.desiredChanged(k)
}

// Configure attaches the strategy side of the control plane (election,
// fencing, reconciler, rollout, where flags are evaluated) and assigns the
// holders of every key. Call it once, before World.Start.
func (s *State) Configure(c Control) error {
	if s.configured {
		return fmt.Errorf("state: configured twice")
	}
	s.ctl = c
	s.configured = true
	nrep := len(s.w.Replicas)
	for _, f := range s.onConfigure {
		if err := f(); err != nil {
			return err
		}
	}
	for _, k := range s.Keys {
		if k.Kind == Route {
			k.holders = append(k.holders, s.routeHolders(k)...)
		} else if k.Kind == Flag && c.Flags == FlagsClient {
			k.client = true
			for _, cl := range s.w.Callers {
				if cl.Client.Target == k.Service {
					k.holders = append(k.holders, s.Nodes[nrep+int(cl.ID)])
				}
			}
		} else {
			for _, r := range k.Service.Replicas {
				k.holders = append(k.holders, s.Nodes[r.ID])
			}
		}
		for _, h := range k.holders {
			h.held = append(h.held, k)
			h.values[k.ID] = Value{Version: 1}
			if k.Kind != Software {
				if ch := s.channelOf(k); ch.Kind != ChannelNone {
					h.links[k.ID] = &link{node: h, key: k, spec: ch}
				}
				s.store.object(h, k).version = 1
			}
			s.store.obs[int(h.ID)*s.store.keys+k.ID] = Value{Version: 1}
		}
	}
	for _, n := range s.Nodes {
		if n.member == nil && slices.ContainsFunc(n.held, func(k *Key) bool { return k.Kind != Route }) {
			s.counted++
		}
		if n.Replica != nil && n.member == nil && slices.ContainsFunc(n.held, func(k *Key) bool { return k.Kind != Software && !k.client }) {
			n.item = int32(len(s.items))
			s.items = append(s.items, n)
		}
	}
	s.initRollouts()
	return nil
}

// Start schedules the state model's work: desired changes, the members'
// processes, the channels and the periodic reports. Called by World.Start
// (the state model's Layer hook).
func (s *State) Start(horizon sim.Time) {
	if !s.configured {
		_ = s.Configure(Control{})
	}
	s.horizon = horizon
	for i, c := range s.Spec.Changes {
		if c.At < horizon {
			s.tasks.At(c.At, task{kind: tChange, node: -1, a: int32(i)})
		}
	}
	for _, k := range s.Keys {
		for _, h := range k.holders {
			l := h.links[k.ID]
			if l == nil {
				continue
			}
			switch l.spec.Kind {
			case ChannelPoll:
				// Holders start with the initial value; their polls are
				// spread over the first interval.
				l.connected = true
				l.gen++
				s.tasks.At(sim.Time(s.rng.Float64()*float64(l.spec.Interval)), task{kind: tPollTick, node: h.ID, key: int32(k.ID), gen: l.gen})
			default:
				l.connected, l.connectedAt = true, 0
			}
		}
	}
	for _, m := range s.members {
		if !m.node.Down() {
			s.memberBooted(m)
		}
	}
	for _, f := range s.onStart {
		f(horizon)
	}
	s.tasks.At(0, task{kind: tReport, node: -1})
	for _, f := range s.onStarted {
		f(horizon)
	}
}

// runChange applies scheduled change i of desired state and schedules its
// repetition.
func (s *State) runChange(i int, repeat bool) {
	c := s.Spec.Changes[i]
	if repeat {
		c.Version = 0
	}
	if c.Key >= 0 {
		s.setDesired(s.Keys[s.softwareKeys()+c.Key], c.Version, c.Invalid)
	} else {
		s.setDesired(s.services[c.Service].software, c.Version, c.Invalid)
	}
	if c.Every > 0 {
		if next := s.w.Eng.Now() + c.Every; next < s.horizon {
			s.tasks.At(next, task{kind: tChange, node: -1, a: int32(i), item: 1})
		}
	}
}

// softwareKeys is the number of software keys, which come first in Keys.
func (s *State) softwareKeys() int {
	n := 0
	for _, k := range s.Keys {
		if k.Kind == Software {
			n++
		}
	}
	return n
}
