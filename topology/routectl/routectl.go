package routectl

import (
	"fmt"
	"math/rand/v2"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
	"github.com/tangle-sim/tangle/topology/state"
)

// The routing control plane at run time: actors evaluate on their own
// process (a control-plane member, the implicit controller, a caller's
// sidecar, an edge), engines decide, the policy layer filters, and the
// actuator applies the decision locally or writes it to the store, which
// versions it and pushes it over the route key's channel to the data
// plane — so configs arrive unevenly, are lost to partitions, and holders
// keep the last one they received. Writes carry the leader's fencing
// token; the emergency breaker watches the churn of what is actuated.
//
//	scope    one decision target set: a client's edge (regions) or its sidecars (replicas)
//	actor    who decides for some scopes, on which node's process
//	config   a versioned routing config: weights, or a subset split by software version

// routeRing is how many past configs of a scope are kept for deliveries
// still in flight.
const routeRing = 256

type routeConfig struct {
	unsigned bool // written without the controllers' signature (a breach)
	nack     bool // holders verifying signatures reject it
	version  state.Version
	weights  []float64     // nil: no override (the replicas' own weights)
	subset   state.Version // > 0: split traffic by software version instead
	share    float64       // the subset's share
	emitted  sim.Time      // newest signal the decision read; −1 when no decision (a rollout's split, a breach)
}

type routeHist struct {
	at      sim.Time
	weights []float64
}

// routeScope is one decision scope.
type routeScope struct {
	id      int
	kind    ScopeKind
	client  *topology.Client
	name    string
	key     *state.Key
	holders []*state.Node
	configs [routeRing]routeConfig
	current []float64 // the store's latest weights
	hist    []routeHist
	bounds  [][]float64     // hierarchical: per holder, the global weights it received
	held    []state.Version // per holder: the config version it applies
}

// valid reports whether holders accept version v of the scope's config.
func (sc *routeScope) valid(v state.Version) bool {
	c := &sc.configs[v%routeRing]
	return c.version != v || !c.nack
}

func (sc *routeScope) targets() int {
	if sc.kind == ScopeEdge {
		return len(sc.client.Target.Clusters)
	}
	return len(sc.client.Target.Replicas)
}

// seenTally is the client-side view of one replica, cumulative.
type seenTally struct {
	n, errs uint64
	lat     float64
}

type routeActor struct {
	idx      int
	name     string
	node     *state.Node
	member   bool // runs on a control-plane member (leader-elected)
	local    bool // decides for its own data plane
	layer    int  // overlay: 1 edge layer, 0 mesh layer; hierarchical: 1 global, 0 local
	interval sim.Time
	scopes   []*routeScope
	holder   []int // local actors: its holder index in each scope
	engines  []Engine
	seen     [][]seenTally
	lastEval []sim.Time
	applied  [][]float64   // local actors: the weights they apply, per scope
	hist     [][]routeHist // local actors: what they applied, for the breaker
	lastAct  sim.Time
	gen      uint32
	rng      *rand.Rand
	slow     []*sim.Dist
	drift    []*drift
	obs      Observation
	dec      Decision
}

type drift struct {
	start sim.Time
	rate  float64 // forecast skew gained per minute
}

type routePending struct {
	actor   *routeActor
	scope   int
	weights []float64
	emitted sim.Time
	audit   int
	forged  bool
	token   uint64 // the deciding member's fencing token
	writer  int32  // and its process (state.State.Process)
}

// Stats are the routing control plane's cumulative counters.
type Stats struct {
	Decisions   uint64 // evaluations of one scope by one actor
	Holds       uint64 // decisions to keep the weights in effect (hysteresis, stale signals)
	Unchanged   uint64 // decisions equal to the weights in effect
	Fallbacks   uint64 // decisions made without fresh, sane signals (last known good, static route, reactive)
	Rejected    uint64 // decisions the policy layer rejected (rejected routes)
	Loops       uint64 // redirect cycles the policy layer found (route loops)
	Conflicts   uint64 // rules a higher-precedence source overrode
	RateLimited uint64 // decisions the actuator's rate limit dropped
	Halted      uint64 // decisions dropped while the emergency breaker held automation
	Actuations  uint64 // configs actuated: local applications and store writes accepted
	Writes      uint64 // controller writes that reached the store
	Fenced      uint64 // of which rejected by fencing (a deposed leader's)
	Failed      uint64 // actuations that never reached the store (actor cut off) or were lost with the actor
	Audited     uint64 // decisions whose audit entry reached the audit log
	AuditLost   uint64 // decisions whose audit entry did not (actor cut off, or not sampled)
	// Interventions counts emergency-breaker trips: automation halted and
	// the last known good config restored, as an operator would.
	Interventions uint64
	// Unauthorized counts unsigned config writes that took effect;
	// UnauthorizedBlocked those authentication rejected.
	Unauthorized, UnauthorizedBlocked uint64
	// ForgedDecisions counts actuated decisions that read a forged signal.
	ForgedDecisions uint64
}

// Observer hears routing configs being written and applied.
type Observer interface {
	// RouteWritten: the store accepted version v of scope's config.
	RouteWritten(now sim.Time, scope int, v state.Version)
	// RouteReceived: holder of scope received version v of its config
	// from the store (it may apply it as weights, or as the bounds of its
	// local loop).
	RouteReceived(now sim.Time, scope, holder int, v state.Version)
	// RouteApplied: holder of scope now routes with weights (nil: no
	// override), decided on signals emitted at emitted (−1: not a
	// decision: a rollout's split, a breach, the breaker).
	RouteApplied(now sim.Time, scope, holder int, weights []float64, emitted sim.Time)
}

// ScopeInfo describes one scope for reports.
type ScopeInfo struct {
	Name    string
	Kind    ScopeKind
	Client  string
	Targets []string
	Holders int
}

type Plane struct {
	s       *state.State
	tasks   *state.Work[routeTask] // its own process work
	w       *topology.World
	rc      *Control
	pending *Control // set by Configure, applied when the state model is configured
	scopes  []*routeScope
	actors  []*routeActor
	pend    topology.Arena[routePending]
	stats   Stats
	obs     []Observer
	audit   []AuditEntry
	rules   []*Rule
	rng     *rand.Rand

	broker   [][]topology.Signal // the broker's published board, per service per replica
	bpending [][]topology.Signal
	bdown    int

	halted   bool
	churn    []routeHist // (time, total variation) of recent actuations
	layerAt  [2]sim.Time
	breaches []*breachState

	// The client-side view of each replica of a client's target, from
	// the responses its callers saw: per client (by Client.ID) and per
	// caller (by Caller.ID). Nil without a routing control plane.
	clientSeen, callerSeen [][]seenTally
}

// responded tallies how an attempt went, as its client and its caller saw
// it (the State's Responder hook).
func (rt *Plane) responded(j *topology.Job, rep *topology.Replica, rtt sim.Time, o topology.Outcome) {
	caller := rt.w.Callers[j.Caller]
	for _, t := range [2]*seenTally{&rt.clientSeen[caller.Client.ID][rep.Index], &rt.callerSeen[j.Caller][rep.Index]} {
		t.n++
		t.lat += rtt.Seconds()
		if o != topology.Success {
			t.errs++
		}
	}
}

// New attaches a routing control plane to w, whose state model must hold
// route keys (state.Spec.Routes): to the world (its client-side view of
// responses), to the state model's route keys (their meaning), processes
// and start. Call Configure before the state model's Configure; Of(w)
// finds it.
func New(w *topology.World) (*Plane, error) {
	s := state.Of(w)
	if s == nil || len(s.RouteKeys()) == 0 {
		return nil, fmt.Errorf("routectl: the world's state model has no route keys (state.Spec.Routes)")
	}
	rt := &Plane{s: s, w: w, rng: sim.NewStream(w.Seed, "route")}
	rt.tasks = state.NewWork(s, "route", rt.dispatch, rt.lost)
	for _, rk := range s.RouteKeys() {
		kind, name := ScopeSidecar, rk.Client.Name+"/sidecars"
		if rk.Edge {
			kind, name = ScopeEdge, rk.Client.Name+"/edge"
		}
		rt.addScope(&routeScope{kind: kind, client: rk.Client, name: name, holders: rk.Holders}, rk.Key)
	}
	s.OnProcess(rt)
	s.OnConfigure(func() error { rt.configure(rt.pending); return nil })
	s.OnStarted(func(sim.Time) { rt.start() })
	w.Attach(rt)
	return rt, nil
}

// Of returns the routing control plane attached to w, or nil. Its methods
// are no-ops (or empty) on nil.
func Of(w *topology.World) *Plane {
	for _, l := range w.Layers() {
		if p, ok := l.(*Plane); ok {
			return p
		}
	}
	return nil
}

// Configure sets the decision engines, policy, actuator and breaker (nil:
// no decision engines; rollouts may still split traffic). Call it before
// the state model's Configure, which applies it.
func (rt *Plane) Configure(rc *Control) {
	if rt != nil {
		rt.pending = rc
	}
}

// Start is the topology.Layer hook: the plane starts after the state
// model's reports (state.OnStarted), so there is nothing to do here.
func (rt *Plane) Start(sim.Time) {}

// Responded tallies how an attempt went for the client-side view (the
// topology.Responder hook).
func (rt *Plane) Responded(j *topology.Job, rep *topology.Replica, rtt sim.Time, o topology.Outcome) {
	if rt.clientSeen != nil {
		rt.responded(j, rep, rtt, o)
	}
}

// Valid and Applied make the plane the owner of its route keys
// (state.KeyOwner); SoftwareMoved and Split are its state.SoftwareObserver
// and state.TrafficSplitter abilities.
func (rt *Plane) Valid(k *state.Key, v state.Version) bool { return rt.scopeOf(k).valid(v) }
func (rt *Plane) Applied(n *state.Node, k *state.Key, v state.Version) {
	rt.applied(n, k, v)
}
func (rt *Plane) SoftwareMoved(svc *topology.Service) { rt.versionMoved(svc) }
func (rt *Plane) Split(svc *topology.Service, v state.Version, share float64) {
	rt.writeSubset(svc, v, share)
}

// scopeOf is the scope whose config route key k carries.
func (rt *Plane) scopeOf(k *state.Key) *routeScope {
	for _, sc := range rt.scopes {
		if sc.key == k {
			return sc
		}
	}
	return nil
}

func (rt *Plane) addScope(sc *routeScope, k *state.Key) {
	sc.id = len(rt.scopes)
	sc.key = k
	rt.s.Own(k, rt)
	sc.configs[1] = routeConfig{version: 1, emitted: -1}
	sc.bounds = make([][]float64, len(sc.holders))
	sc.held = make([]state.Version, len(sc.holders))
	for i := range sc.held {
		sc.held[i] = 1
	}
	rt.scopes = append(rt.scopes, sc)
}

// configure sets the route keys' channel and builds the actors. Called by
// State.Configure before holders are assigned.
func (rt *Plane) configure(rc *Control) {
	rt.rc = rc
	ch := state.DefaultChannel(state.ChannelPush)
	if rc != nil && rc.Actuator.Channel.Kind != state.ChannelNone {
		ch = rc.Actuator.Channel
	}
	for _, sc := range rt.scopes {
		sc.key.Spec.Channel = ch
	}
	if rc == nil {
		return
	}
	rt.w.Bus.Authenticate = rc.Auth
	rt.clientSeen = make([][]seenTally, len(rt.w.Clients))
	rt.callerSeen = make([][]seenTally, len(rt.w.Callers))
	for _, c := range rt.w.Clients {
		rt.clientSeen[c.ID] = make([]seenTally, len(c.Target.Replicas))
		for _, cl := range c.Callers {
			rt.callerSeen[cl.ID] = make([]seenTally, len(c.Target.Replicas))
		}
	}
	scopesOf := func(kind ScopeKind) []*routeScope {
		var out []*routeScope
		for _, sc := range rt.scopes {
			if sc.kind == kind {
				out = append(out, sc)
			}
		}
		return out
	}
	global := rc.Global
	if global == nil {
		global = rc.Engine
	}
	central := func(suffix string, layer int, kind ScopeKind, eng NewEngine, interval sim.Time) {
		for _, n := range rt.s.MemberNodes() {
			rt.addActor(&routeActor{name: n.Name + suffix, node: n, member: true, layer: layer, interval: interval, scopes: scopesOf(kind)}, eng)
		}
	}
	local := func(kind ScopeKind) {
		for _, sc := range scopesOf(kind) {
			for h, n := range sc.holders {
				a := &routeActor{name: n.Name, node: n, local: true, interval: rc.Interval, scopes: []*routeScope{sc}, holder: []int{h}}
				rt.addActor(a, rc.Engine)
			}
		}
	}
	switch rc.Pattern {
	case PatternCentral, PatternBrokered, PatternCompeting:
		central("", 0, rc.Scope, rc.Engine, rc.Interval)
	case PatternOverlay:
		central("/edge-layer", 1, ScopeEdge, global, rc.Interval)
		central("/mesh-layer", 0, ScopeSidecar, rc.Engine, rc.Interval)
	case PatternHierarchical:
		central("/global", 1, rc.Scope, global, rc.GlobalInterval)
		local(rc.Scope)
	case PatternSidecar:
		local(rc.Scope)
	}
	if rc.Pattern == PatternBrokered {
		rt.broker = make([][]topology.Signal, len(rt.w.Services))
		rt.bpending = make([][]topology.Signal, len(rt.w.Services))
		for i, svc := range rt.w.Services {
			rt.broker[i] = make([]topology.Signal, len(svc.Replicas))
			rt.bpending[i] = make([]topology.Signal, len(svc.Replicas))
		}
	}
}

func (rt *Plane) addActor(a *routeActor, eng NewEngine) {
	if len(a.scopes) == 0 {
		return
	}
	a.idx = len(rt.actors)
	seed := rt.w.Seed
	a.rng = sim.NewStream(seed, "route/actor/"+a.name)
	for _, sc := range a.scopes {
		a.engines = append(a.engines, eng(sim.NewStream(seed, "route/engine/"+a.name+"/"+sc.name)))
		a.seen = append(a.seen, make([]seenTally, len(sc.client.Target.Replicas)))
		a.lastEval = append(a.lastEval, 0)
		a.applied = append(a.applied, nil)
		a.hist = append(a.hist, nil)
	}
	a.lastAct = -sim.Never
	rt.actors = append(rt.actors, a)
}

// start schedules the actors' first evaluations (each at a random phase
// of its interval) and the broker. Called by State.start.
func (rt *Plane) start() {
	for _, a := range rt.actors {
		if !a.node.Down() {
			rt.arm(a, sim.Time(a.rng.Float64()*float64(a.interval)))
		}
	}
	if rt.rc != nil && rt.rc.Pattern == PatternBrokered {
		rt.tasks.At(0, routeTask{kind: rBroker, node: -1})
	}
}

func (rt *Plane) arm(a *routeActor, after sim.Time) {
	a.gen++
	if at := rt.w.Eng.Now() + after; at < rt.s.Horizon() {
		rt.tasks.At(at, routeTask{kind: rEval, node: a.node.ID, a: int32(a.idx), gen: a.gen})
	}
}

// Crashed implements ProcessHooks: the actors' timers die with the process
// (their tasks are discarded), nothing else is volatile.
func (rt *Plane) Crashed(*state.Node) {}

// Booted restarts the evaluation loops of the actors on a node that came
// back up (their timers died with the old process).
func (rt *Plane) Booted(n *state.Node) {
	for _, a := range rt.actors {
		if a.node == n {
			rt.arm(a, sim.Time(a.rng.Float64()*float64(a.interval)))
		}
	}
}

// routeKind is a kind of the routing control plane's work.
type routeKind uint8

const (
	rEval    routeKind = iota // a routing actor's evaluation timer (actor)
	rActuate                  // a routing decision's actuation, after its delay (actor)
	rWrite                    // a controller's routing config reaches the store (store)
	rBroker                   // the signal broker reads the bus (world)
	rPublish                  // the signal broker publishes its board (world)
	rBreach                   // an attacker's unauthorised config write (world)
	rResume                   // the emergency breaker's hold ends (world)
)

// routeTask is one unit of the routing control plane's work. Fields are
// used as each kind needs.
type routeTask struct {
	kind routeKind
	node int32 // whose process runs it; -1 for the store and the world
	a    int32
	item int32
	gen  uint32
	n    uint64
	ref  topology.Ref
}

// Owner is the node whose process runs the task (Owned).
func (t routeTask) Owner() int32 { return t.node }

func (rt *Plane) dispatch(t *routeTask) {
	switch t.kind {
	case rEval:
		rt.evaluate(rt.actors[t.a], t.gen)
	case rActuate:
		rt.actuate(t)
	case rWrite:
		rt.storeWrite(t)
	case rBroker:
		rt.brokerRead()
	case rPublish:
		rt.broker, rt.bpending = rt.bpending, rt.broker
	case rBreach:
		rt.breach(t)
	case rResume:
		rt.halted = false
	}
}

// lost accounts for an actuation discarded with its actor's process.
func (rt *Plane) lost(t *routeTask) {
	if t.kind != rActuate {
		return
	}
	p := rt.pend.Get(t.ref)
	if p == nil {
		return
	}
	rt.stats.Failed++
	rt.outcome(p.audit, "lost: the actor's process died", "")
	rt.pend.Free(t.ref)
}
