package state

import (
	"fmt"
	"github.com/tangle-sim/tangle/topology"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/tangle-sim/tangle/sim"
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
	version  Version
	weights  []float64 // nil: no override (the replicas' own weights)
	subset   Version   // > 0: split traffic by software version instead
	share    float64   // the subset's share
	emitted  sim.Time  // newest signal the decision read; −1 when no decision (a rollout's split, a breach)
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
	key     *Key
	holders []*Node
	configs [routeRing]routeConfig
	current []float64 // the store's latest weights
	hist    []routeHist
	bounds  [][]float64 // hierarchical: per holder, the global weights it received
	held    []Version   // per holder: the config version it applies
}

// valid reports whether holders accept version v of the scope's config.
func (sc *routeScope) valid(v Version) bool {
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
	node     *Node
	member   *member
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
	token   uint64
}

// RouteStats are the routing control plane's cumulative counters.
type RouteStats struct {
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

// RouteObserver hears routing configs being written and applied.
type RouteObserver interface {
	// RouteWritten: the store accepted version v of scope's config.
	RouteWritten(now sim.Time, scope int, v Version)
	// RouteReceived: holder of scope received version v of its config
	// from the store (it may apply it as weights, or as the bounds of its
	// local loop).
	RouteReceived(now sim.Time, scope, holder int, v Version)
	// RouteApplied: holder of scope now routes with weights (nil: no
	// override), decided on signals emitted at emitted (−1: not a
	// decision: a rollout's split, a breach, the breaker).
	RouteApplied(now sim.Time, scope, holder int, weights []float64, emitted sim.Time)
}

// RouteScopeInfo describes one scope for reports.
type RouteScopeInfo struct {
	Name    string
	Kind    ScopeKind
	Client  string
	Targets []string
	Holders int
}

type routeRuntime struct {
	s      *State
	tasks  *Work[routeTask] // its own process work
	w      *topology.World
	rc     *RouteControl
	scopes []*routeScope
	actors []*routeActor
	pend   topology.Arena[routePending]
	stats  RouteStats
	obs    []RouteObserver
	audit  []AuditEntry
	rules  []*Rule
	rng    *rand.Rand

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
func (rt *routeRuntime) responded(j *topology.Job, rep *topology.Replica, rtt sim.Time, o topology.Outcome) {
	caller := rt.w.Callers[j.Caller]
	for _, t := range [2]*seenTally{&rt.clientSeen[caller.Client.ID][rep.Index], &rt.callerSeen[j.Caller][rep.Index]} {
		t.n++
		t.lat += rtt.Seconds()
		if o != topology.Success {
			t.errs++
		}
	}
}

// addRouteKeys creates the routing control plane's scopes and their keys.
// Called by newState with Spec.Routes.
func (s *State) addRouteKeys() {
	rt := &routeRuntime{s: s, w: s.w, rng: sim.NewStream(s.w.Seed, "route")}
	rt.tasks = NewWork(s, "route", rt.dispatch, rt.lost)
	s.rt = rt
	nrep := len(s.w.Replicas)
	edge := nrep + len(s.w.Callers)
	for _, c := range s.w.Clients {
		sc := &routeScope{kind: ScopeSidecar, client: c, name: c.Name + "/sidecars"}
		for _, cl := range c.Callers {
			sc.holders = append(sc.holders, s.Nodes[nrep+int(cl.ID)])
		}
		rt.addScope(sc)
		if c.Edge != nil {
			sc := &routeScope{kind: ScopeEdge, client: c, name: c.Name + "/edge", holders: []*Node{s.Nodes[edge]}}
			edge++
			rt.addScope(sc)
		}
	}
}

func (rt *routeRuntime) addScope(sc *routeScope) {
	sc.id = len(rt.scopes)
	k := rt.s.addKey(KeySpec{Name: "route/" + sc.name, Kind: Route, Service: sc.client.Target.ID, Channel: DefaultChannel(ChannelPush)})
	k.scope, sc.key = sc, k
	sc.configs[1] = routeConfig{version: 1, emitted: -1}
	sc.bounds = make([][]float64, len(sc.holders))
	sc.held = make([]Version, len(sc.holders))
	for i := range sc.held {
		sc.held[i] = 1
	}
	rt.scopes = append(rt.scopes, sc)
}

// configure sets the route keys' channel and builds the actors. Called by
// State.Configure before holders are assigned.
func (rt *routeRuntime) configure(rc *RouteControl) {
	rt.rc = rc
	ch := DefaultChannel(ChannelPush)
	if rc != nil && rc.Actuator.Channel.Kind != ChannelNone {
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
		for _, m := range rt.s.members {
			rt.addActor(&routeActor{name: m.node.Name + suffix, node: m.node, member: m, layer: layer, interval: interval, scopes: scopesOf(kind)}, eng)
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

func (rt *routeRuntime) addActor(a *routeActor, eng NewEngine) {
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
func (rt *routeRuntime) start() {
	for _, a := range rt.actors {
		if !a.node.Down() {
			rt.arm(a, sim.Time(a.rng.Float64()*float64(a.interval)))
		}
	}
	if rt.rc != nil && rt.rc.Pattern == PatternBrokered {
		rt.tasks.At(0, routeTask{kind: rBroker, node: -1})
	}
}

func (rt *routeRuntime) arm(a *routeActor, after sim.Time) {
	a.gen++
	if at := rt.w.Eng.Now() + after; at < rt.s.horizon {
		rt.tasks.At(at, routeTask{kind: rEval, node: a.node.ID, a: int32(a.idx), gen: a.gen})
	}
}

// Crashed implements ProcessHooks: the actors' timers die with the process
// (their tasks are discarded), nothing else is volatile.
func (rt *routeRuntime) Crashed(*Node) {}

// Booted restarts the evaluation loops of the actors on a node that came
// back up (their timers died with the old process).
func (rt *routeRuntime) Booted(n *Node) {
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

func (rt *routeRuntime) dispatch(t *routeTask) {
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
func (rt *routeRuntime) lost(t *routeTask) {
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

// evaluate is an actor's evaluation timer.
func (rt *routeRuntime) evaluate(a *routeActor, gen uint32) {
	if gen != a.gen {
		return
	}
	now := rt.w.Eng.Now()
	rc := rt.rc
	next := a.interval
	if rc.Jitter > 0 {
		next = sim.Time(float64(next) * (1 + rc.Jitter*(2*a.rng.Float64()-1)))
	}
	compute := sim.Time(0)
	for _, d := range a.slow {
		compute += sim.SampleTime(*d, a.rng)
	}
	rt.arm(a, max(next, compute, 1))
	if rt.halted {
		return
	}
	if a.member != nil && rc.Pattern != PatternCompeting && !a.member.leading {
		return
	}
	if rc.Pattern == PatternOverlay && rc.Coordinated && now-rt.layerAt[1-a.layer] < a.interval {
		return // the other layer changed the routes recently: let it settle first
	}
	for si := range a.scopes {
		rt.decide(a, si, now, compute)
	}
}

// board is where an actor reads replica i of service svc's signals: the
// broker's published board in the brokered pattern, the bus's otherwise.
func (rt *routeRuntime) board(svc, i int) topology.Signal {
	if rt.broker != nil {
		return rt.broker[svc][i]
	}
	return rt.w.Bus.Board(svc, i)
}

// observe fills a's observation of scope si.
func (rt *routeRuntime) observe(a *routeActor, si int, now sim.Time) *Observation {
	sc := a.scopes[si]
	svc := sc.client.Target
	o := &a.obs
	o.Now, o.Actor, o.Scope, o.Client = now, a.name, sc.kind, sc.client.Name
	n := sc.targets()
	if cap(o.Targets) < n {
		o.Targets = make([]Reading, n)
	}
	o.Targets = o.Targets[:n]
	// Client-side view since the previous evaluation: a sidecar's own
	// responses, or all of the client's for an edge and a controller.
	last, tallies := a.seen[si], rt.clientSeen[sc.client.ID]
	if a.local && sc.kind == ScopeSidecar {
		tallies = rt.callerSeen[sc.client.Callers[a.holder[si]].ID]
	}
	var total float64
	seen := func(h int32) (float64, float64, float64) {
		cur := tallies[h]
		dn, de, dl := float64(cur.n-last[h].n), float64(cur.errs-last[h].errs), cur.lat-last[h].lat
		last[h] = cur
		total += dn
		return dn, de, dl
	}
	if sc.kind == ScopeSidecar {
		for i, r := range svc.Replicas {
			sig := rt.board(svc.ID, i)
			rd := &o.Targets[i]
			*rd = Reading{Name: r.Name, Region: rt.w.Places[r.Place].Region, Replicas: 1, Emitted: sig.Emitted, Valid: sig.Valid, Forged: sig.Forged,
				Distance: rt.w.Net.MeanLatency(sc.client.Spec.Place, r.Place)}
			if rt.s != nil {
				rd.Version = rt.s.Nodes[r.ID].Software()
			}
			fill(&rd.Signals, sig)
			dn, de, dl := seen(int32(i))
			rd.Seen = Seen{Requests: dn, Errors: de}
			if dn > 0 {
				rd.Seen.Latency = dl / dn
			}
		}
	} else {
		for ci, cl := range svc.Clusters {
			rd := &o.Targets[ci]
			*rd = Reading{Name: cl.Region, Region: cl.Region, Replicas: len(cl.Replicas), Emitted: sim.Never,
				Distance: rt.w.Net.MeanLatency(sc.client.Spec.Place, svc.Replicas[cl.Replicas[0]].Place)}
			var qps, eps, latw, lat, util float64
			valid, unhealthy := 0, 0
			var sn, se, sl float64
			for _, h := range cl.Replicas {
				dn, de, dl := seen(h)
				sn, se, sl = sn+dn, se+de, sl+dl
				sig := rt.board(svc.ID, int(h))
				if !sig.Valid {
					continue
				}
				valid++
				rd.Valid = true
				rd.Forged = rd.Forged || sig.Forged
				rd.Emitted = min(rd.Emitted, sig.Emitted)
				rd.Signals[SigLoad] += sig.Value
				util += sig.Utilization
				qps += sig.QPS
				eps += sig.EPS
				latw += sig.Latency * sig.QPS
				lat += sig.Latency
				rd.Signals[SigCost] += sig.Cost
				rd.Signals[SigBilled] += sig.Billed
				rd.Signals[SigThreat] = math.Max(rd.Signals[SigThreat], sig.Threat)
				rd.Signals[SigLag] = math.Max(rd.Signals[SigLag], sig.Lag)
				if !sig.Healthy {
					unhealthy++
				}
			}
			if valid > 0 {
				k := float64(valid)
				rd.Signals[SigUtil] = util / k
				rd.Signals[SigCost] /= k
				rd.Signals[SigBilled] /= k
				rd.Signals[SigUnhealthy] = float64(unhealthy) / k
				if qps > 0 {
					rd.Signals[SigLatency] = latw / qps
					rd.Signals[SigErrors] = eps / qps
				} else {
					rd.Signals[SigLatency] = lat / k
				}
			} else {
				rd.Emitted = 0
			}
			rd.Seen = Seen{Requests: sn, Errors: se}
			if sn > 0 {
				rd.Seen.Latency = sl / sn
			}
		}
	}
	o.Rate = 0
	if dt := now - a.lastEval[si]; dt > 0 {
		o.Rate = total / dt.Seconds()
	}
	a.lastEval[si] = now
	if a.local {
		o.Current = a.applied[si]
		o.Bounds = nil
		if rt.rc.Pattern == PatternHierarchical {
			o.Bounds = sc.bounds[a.holder[si]]
		}
	} else {
		o.Current, o.Bounds = sc.current, nil
	}
	o.Rules = o.Rules[:0]
	for _, r := range rt.rules {
		o.Rules = append(o.Rules, *r)
	}
	o.Residency = sc.client.Spec.Residency
	o.Skew = 1
	for _, d := range a.drift {
		o.Skew *= 1 + d.rate*(now-d.start).Seconds()/60
	}
	return o
}

func fill(x *[NumSignals]float64, s topology.Signal) {
	x[SigLoad], x[SigUtil], x[SigLatency], x[SigErrors] = s.Value, s.Utilization, s.Latency, s.ErrorRate
	x[SigCost], x[SigBilled], x[SigThreat], x[SigLag] = s.Cost, s.Billed, s.Threat, s.Lag
	if s.Valid && !s.Healthy {
		x[SigUnhealthy] = 1
	}
}

// decide runs one decision of actor a for scope si.
func (rt *routeRuntime) decide(a *routeActor, si int, now, compute sim.Time) {
	rc := rt.rc
	sc := a.scopes[si]
	o := rt.observe(a, si, now)
	d := &a.dec
	n := len(o.Targets)
	d.Reset(n)
	a.engines[si].Decide(o, d)
	rt.stats.Decisions++
	if d.Fallback != "" {
		rt.stats.Fallbacks++
	}
	e := AuditEntry{At: now, Actor: a.name, Scope: sc.name, Inputs: auditInputs(o, d.Uses)}
	detail := strings.TrimSpace(d.Note)
	if d.Fallback != "" {
		detail = strings.TrimSpace("fallback: " + d.Fallback + "; " + detail)
	}
	if d.Rejected > 0 {
		detail = strings.TrimSpace(fmt.Sprintf("%s; %d input(s) rejected by sanity checks", detail, d.Rejected))
	}
	e.Detail = strings.Trim(detail, "; ")
	record := func(outcome string) int {
		e.Outcome = outcome
		return rt.record(a, e)
	}
	if d.Hold {
		rt.stats.Holds++
		e.Decision = "hold"
		record("held")
		return
	}
	if !normalize(d.Weights) {
		rt.stats.Rejected++
		e.Decision = "no route"
		record("rejected: no target has any weight")
		return
	}
	if o.Bounds != nil && rc.Band < 1 {
		project(d.Weights, o.Bounds, rc.Band)
	}
	if rc.Policy != nil {
		v := rc.Policy.Filter(o, d)
		rt.stats.Loops += uint64(v.Loops)
		rt.stats.Conflicts += uint64(v.Conflicts)
		if v.Note != "" {
			e.Detail = strings.Trim(e.Detail+"; policy: "+v.Note, "; ")
		}
		if v.Rejected || !normalize(d.Weights) {
			rt.stats.Rejected++
			e.Decision = formatWeights(o.Targets, d.Weights)
			record("rejected by policy")
			return
		}
	}
	e.Decision = formatWeights(o.Targets, d.Weights)
	if o.Current != nil && maxDiff(o.Current, d.Weights) < 1e-9 {
		rt.stats.Unchanged++
		record("unchanged")
		return
	}
	if rc.Actuator.MinInterval > 0 && now-a.lastAct < rc.Actuator.MinInterval {
		rt.stats.RateLimited++
		record("rate-limited")
		return
	}
	a.lastAct = now
	emitted, forged := sim.Time(-1), false
	for i := range o.Targets {
		if r := &o.Targets[i]; r.Valid {
			emitted = max(emitted, r.Emitted)
			forged = forged || r.Forged
		}
	}
	idx, p := rt.pend.Alloc()
	*p = routePending{actor: a, scope: si, weights: append([]float64(nil), d.Weights...), emitted: emitted, forged: forged}
	if a.member != nil {
		p.token = a.member.token
	}
	p.audit = record("actuating")
	rt.tasks.At(now+compute+rc.Actuator.Delay, routeTask{kind: rActuate, node: a.node.ID, ref: rt.pend.Ref(idx)})
}

// actuate is a decision's actuation on its actor's process: applied
// locally, or written to the store.
func (rt *routeRuntime) actuate(t *routeTask) {
	p := rt.pend.Get(t.ref)
	if p == nil {
		return
	}
	a := p.actor
	sc := a.scopes[p.scope]
	now := rt.w.Eng.Now()
	if rt.halted {
		rt.stats.Halted++
		rt.outcome(p.audit, "halted by the emergency breaker", "")
		rt.pend.Free(t.ref)
		return
	}
	if a.local {
		rt.stats.Actuations++
		if p.forged {
			rt.stats.ForgedDecisions++
		}
		rt.applyLocal(a, p.scope, p.weights, p.emitted)
		rt.outcome(p.audit, "applied", "")
		rt.pend.Free(t.ref)
		rt.layerAt[a.layer] = now
		return
	}
	if a.node.cut > 0 {
		rt.stats.Failed++
		rt.outcome(p.audit, "failed: cut off from the store", "")
		rt.pend.Free(t.ref)
		return
	}
	rt.tasks.At(now+rt.w.Net.Latency(a.node.Place, rt.s.store.place), routeTask{kind: rWrite, node: -1, a: int32(a.idx), item: int32(sc.id), ref: t.ref, n: p.token})
}

// storeWrite is a controller's config reaching the store: fencing, then
// a new version pushed to the scope's holders.
func (rt *routeRuntime) storeWrite(t *routeTask) {
	p := rt.pend.Get(t.ref)
	if p == nil {
		return
	}
	defer rt.pend.Free(t.ref)
	a := p.actor
	sc := a.scopes[p.scope]
	s := rt.s
	s.Stats.Writes++
	rt.stats.Writes++
	deposed := s.ctl.Elector != nil && a.member != nil && rt.rc.Pattern != PatternCompeting && t.n < s.store.lease.Transitions
	if deposed && s.ctl.Fencing {
		s.Stats.StaleRejected++
		rt.stats.Fenced++
		rt.outcome(p.audit, "rejected: fenced", fmt.Sprintf("token %d below the lease's %d", t.n, s.store.lease.Transitions))
		return
	}
	if deposed {
		s.Stats.StaleAccepted++
	}
	if rt.halted {
		rt.stats.Halted++
		rt.outcome(p.audit, "halted by the emergency breaker", "")
		return
	}
	rt.stats.Actuations++
	if p.forged {
		rt.stats.ForgedDecisions++
	}
	v := rt.publish(sc, routeConfig{weights: p.weights, emitted: p.emitted})
	rt.layerAt[a.layer] = rt.w.Eng.Now()
	rt.outcome(p.audit, "pushed v"+strconv.Itoa(int(v)), "")
}

// publish makes cfg the scope's new config version at the store, which
// pushes it to the holders. It returns the version.
func (rt *routeRuntime) publish(sc *routeScope, cfg routeConfig) Version {
	k := sc.key
	v := k.latest + 1
	cfg.version = v
	sc.configs[v%routeRing] = cfg
	prev := sc.current
	if cfg.subset == 0 {
		sc.current = cfg.weights
	}
	now := rt.w.Eng.Now()
	if cfg.subset == 0 && cfg.weights != nil {
		sc.hist = pushHist(sc.hist, routeHist{now, cfg.weights})
		rt.countChurn(now, tv(prev, cfg.weights))
	}
	sc.configs[v%routeRing].nack = cfg.unsigned && rt.rc != nil && rt.rc.Auth
	rt.s.setDesired(k, v, false)
	for _, o := range rt.obs {
		o.RouteWritten(now, sc.id, v)
	}
	return v
}

func pushHist(h []routeHist, e routeHist) []routeHist {
	if len(h) >= 32 {
		copy(h, h[1:])
		h = h[:len(h)-1]
	}
	return append(h, e)
}

// lkg is the last known good weights at time t of a history: the entry in
// effect then (nil: none, the data plane's own weights).
func lkg(h []routeHist, t sim.Time) []float64 {
	var w []float64
	for _, e := range h {
		if e.at <= t {
			w = e.weights
		}
	}
	return w
}

// applied is a holder receiving version v of a scope's config.
func (rt *routeRuntime) applied(n *Node, k *Key, v Version) {
	sc := k.scope
	cfg := &sc.configs[v%routeRing]
	if cfg.version != v {
		return // evicted from the ring: older than any the store still knows
	}
	h := 0
	for i, x := range sc.holders {
		if x == n {
			h = i
		}
	}
	sc.held[h] = v
	for _, o := range rt.obs {
		o.RouteReceived(rt.w.Eng.Now(), sc.id, h, v)
	}
	weights := cfg.weights
	if cfg.subset > 0 {
		weights = rt.subsetWeights(sc.client.Target, cfg.subset, cfg.share)
	}
	if rt.rc != nil && rt.rc.Pattern == PatternHierarchical && cfg.subset == 0 {
		sc.bounds[h] = weights
		for _, a := range rt.actors {
			if a.local && a.scopes[0] == sc && a.holder[0] == h && a.applied[0] != nil {
				return // the local loop decides within the new bounds from its next evaluation
			}
		}
	}
	rt.setRoute(sc, h, weights)
	for _, o := range rt.obs {
		o.RouteApplied(rt.w.Eng.Now(), sc.id, h, weights, cfg.emitted)
	}
}

// setRoute makes holder h of sc route with weights.
func (rt *routeRuntime) setRoute(sc *routeScope, h int, weights []float64) {
	if sc.kind == ScopeEdge {
		rt.w.SetEdgeRoute(sc.client.Edge, weights)
		return
	}
	rt.w.SetCallerRoute(sc.client.Callers[h], weights)
}

// applyLocal applies a local actor's decision to its own data plane.
func (rt *routeRuntime) applyLocal(a *routeActor, si int, weights []float64, emitted sim.Time) {
	sc := a.scopes[si]
	h := a.holder[si]
	now := rt.w.Eng.Now()
	prev := a.applied[si]
	a.applied[si] = weights
	a.hist[si] = pushHist(a.hist[si], routeHist{now, weights})
	rt.setRoute(sc, h, weights)
	for _, o := range rt.obs {
		o.RouteApplied(now, sc.id, h, weights, emitted)
	}
	locals := 0
	for _, x := range rt.actors {
		if x.local {
			locals++
		}
	}
	rt.countChurn(now, tv(prev, weights)/float64(max(1, locals)))
}

// subsetWeights splits traffic: share to the replicas of svc running v,
// the rest evenly to the others (all to one side when the other is empty).
func (rt *routeRuntime) subsetWeights(svc *topology.Service, v Version, share float64) []float64 {
	if share < 0 {
		return nil
	}
	in := 0
	for _, r := range svc.Replicas {
		if rt.s.Nodes[r.ID].Software() == v {
			in++
		}
	}
	out := len(svc.Replicas) - in
	w := make([]float64, len(svc.Replicas))
	for i, r := range svc.Replicas {
		switch {
		case rt.s.Nodes[r.ID].Software() == v:
			if out == 0 {
				w[i] = 1 / float64(in)
			} else {
				w[i] = share / float64(in)
			}
		case in == 0:
			w[i] = 1 / float64(out)
		default:
			w[i] = (1 - share) / float64(out)
		}
	}
	return w
}

// writeSubset is a rollout splitting the traffic of every client of svc:
// share to the replicas running v.
func (rt *routeRuntime) writeSubset(svc *topology.Service, v Version, share float64) {
	for _, sc := range rt.scopes {
		if sc.kind == ScopeSidecar && sc.client.Target == svc {
			rt.publish(sc, routeConfig{subset: v, share: share, emitted: -1})
		}
	}
}

// versionMoved recomputes subset splits after a replica of svc changed
// software version.
func (rt *routeRuntime) versionMoved(svc *topology.Service) {
	for _, sc := range rt.scopes {
		if sc.kind != ScopeSidecar || sc.client.Target != svc {
			continue
		}
		for h, v := range sc.held {
			cfg := &sc.configs[v%routeRing]
			if cfg.version == v && cfg.subset > 0 {
				w := rt.subsetWeights(svc, cfg.subset, cfg.share)
				rt.setRoute(sc, h, w)
				for _, o := range rt.obs {
					o.RouteApplied(rt.w.Eng.Now(), sc.id, h, w, -1)
				}
			}
		}
	}
}

// countChurn feeds the emergency breaker one actuation's total variation.
func (rt *routeRuntime) countChurn(now sim.Time, x float64) {
	b := rt.rc
	if b == nil || b.Breaker.Churn <= 0 || rt.halted {
		return
	}
	rt.churn = append(rt.churn, routeHist{at: now, weights: []float64{x}})
	sum, j := 0.0, 0
	for _, c := range rt.churn {
		if c.at > now-b.Breaker.Window {
			rt.churn[j] = c
			j++
			sum += c.weights[0]
		}
	}
	rt.churn = rt.churn[:j]
	if sum > b.Breaker.Churn {
		rt.trip(now, sum)
	}
}

// trip is the emergency breaker halting automation and restoring the
// last known good configs.
func (rt *routeRuntime) trip(now sim.Time, churn float64) {
	b := rt.rc.Breaker
	rt.halted = true
	rt.churn = rt.churn[:0]
	rt.stats.Interventions++
	good := now - b.Window
	for _, sc := range rt.scopes {
		if len(sc.hist) > 0 {
			w := lkg(sc.hist, good)
			v := rt.publish(sc, routeConfig{weights: w, emitted: -1})
			rt.recordSys(AuditEntry{At: now, Actor: "emergency-breaker", Scope: sc.name, Decision: formatPlain(w),
				Outcome: "pushed v" + strconv.Itoa(int(v)), Detail: fmt.Sprintf("churn %.2f over %v crossed %.2f: automation halted for %v, last known good restored (manual intervention)", churn, b.Window, b.Churn, b.Hold)})
		}
	}
	for _, a := range rt.actors {
		if !a.local {
			continue
		}
		for si, h := range a.hist {
			if len(h) == 0 {
				continue
			}
			w := lkg(h, good)
			a.applied[si] = w
			rt.setRoute(a.scopes[si], a.holder[si], w)
			for _, o := range rt.obs {
				o.RouteApplied(now, a.scopes[si].id, a.holder[si], w, -1)
			}
		}
	}
	rt.tasks.At(now+b.Hold, routeTask{kind: rResume, node: -1})
}

// record appends an audit entry if it reaches the audit log, returning
// its index (−1 when lost or beyond the kept limit).
func (rt *routeRuntime) record(a *routeActor, e AuditEntry) int {
	switch {
	case !a.local && a.node.cut > 0:
		rt.stats.AuditLost++
		return -1
	case a.local && rt.rc.AuditSample > 0 && rt.rc.AuditSample < 1 && rt.rng.Float64() >= rt.rc.AuditSample:
		rt.stats.AuditLost++
		return -1
	}
	rt.stats.Audited++
	return rt.recordSys(e)
}

func (rt *routeRuntime) recordSys(e AuditEntry) int {
	limit := 20000
	if rt.rc != nil && rt.rc.AuditLimit > 0 {
		limit = rt.rc.AuditLimit
	}
	if len(rt.audit) >= limit {
		return -1
	}
	rt.audit = append(rt.audit, e)
	return len(rt.audit) - 1
}

func (rt *routeRuntime) outcome(i int, outcome, detail string) {
	if i < 0 || i >= len(rt.audit) {
		return
	}
	rt.audit[i].Outcome = outcome
	if detail != "" {
		rt.audit[i].Detail = strings.Trim(rt.audit[i].Detail+"; "+detail, "; ")
	}
}

func auditInputs(o *Observation, uses uint32) []AuditInput {
	var in []AuditInput
	for i := range o.Targets {
		r := &o.Targets[i]
		age := r.Age(o.Now)
		for k := SignalKind(0); k < NumSignals; k++ {
			if uses&(1<<k) != 0 {
				in = append(in, AuditInput{Signal: k.String() + "/" + r.Name, Value: r.Signals[k], Age: age})
			}
		}
	}
	return in
}

func formatWeights(ts []Reading, w []float64) string {
	var b strings.Builder
	for i, x := range w {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ts[i].Name)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(x, 'f', 3, 64))
	}
	return b.String()
}

func formatPlain(w []float64) string {
	if w == nil {
		return "no override (configured weights)"
	}
	var parts []string
	for _, x := range w {
		parts = append(parts, strconv.FormatFloat(x, 'f', 3, 64))
	}
	return strings.Join(parts, " ")
}

// normalize scales w to sum 1 (negative weights count as 0); false when
// nothing is left.
func normalize(w []float64) bool {
	sum := 0.0
	for i, x := range w {
		if !(x > 0) || math.IsInf(x, 1) {
			w[i] = 0
			continue
		}
		sum += x
	}
	if sum <= 0 {
		return false
	}
	for i := range w {
		w[i] /= sum
	}
	return true
}

// tv is the total variation distance between two weight vectors (nil
// counts as uniform).
func tv(a, b []float64) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 0
	}
	at := func(w []float64, i int) float64 {
		if w == nil {
			return 1 / float64(n)
		}
		return w[i]
	}
	d := 0.0
	for i := 0; i < n; i++ {
		d += math.Abs(at(a, i) - at(b, i))
	}
	return d / 2
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// project moves w towards base so that their total variation distance is
// at most band.
func project(w, base []float64, band float64) {
	if len(base) != len(w) {
		return
	}
	d := tv(w, base)
	if d <= band || d == 0 {
		return
	}
	f := band / d
	for i := range w {
		w[i] = base[i] + (w[i]-base[i])*f
	}
}

// brokerRead is the broker's periodic read of the bus: it fuses every
// replica's latest report and publishes the board after its processing
// delay, unless a broker outage holds it.
func (rt *routeRuntime) brokerRead() {
	now := rt.w.Eng.Now()
	b := rt.rc.Broker
	if next := now + b.Interval; next < rt.s.horizon {
		rt.tasks.At(next, routeTask{kind: rBroker, node: -1})
	}
	if rt.bdown > 0 {
		return
	}
	for i := range rt.bpending {
		for j := range rt.bpending[i] {
			rt.bpending[i][j] = rt.w.Bus.Board(i, j)
		}
	}
	rt.tasks.At(now+b.Delay, routeTask{kind: rPublish, node: -1})
}

// breach is an attacker's config write: all traffic of every scope to the
// targets in region t.key.
func (rt *routeRuntime) breach(t *routeTask) {
	br := rt.breaches[t.a]
	if !br.on || t.gen != br.gen {
		return
	}
	now := rt.w.Eng.Now()
	if br.every > 0 && now+br.every < rt.s.horizon {
		rt.tasks.At(now+br.every, routeTask{kind: rBreach, node: -1, a: t.a, gen: br.gen})
	}
	auth := rt.rc != nil && rt.rc.Auth
	for _, sc := range rt.scopes {
		if !rt.managed(sc) {
			continue
		}
		n := sc.targets()
		w := make([]float64, n)
		svc := sc.client.Target
		for i := 0; i < n; i++ {
			reg := ""
			if sc.kind == ScopeEdge {
				reg = svc.Clusters[i].Region
			} else {
				reg = rt.w.Places[svc.Replicas[i].Place].Region
			}
			if reg == br.region {
				w[i] = 1
			}
		}
		if !normalize(w) {
			continue
		}
		// The attacker writes to the store itself; with authenticated
		// channels the data plane verifies the controllers' signature on
		// every config and NACKs the unsigned one, keeping its last good
		// config (the store's view and the data plane's then diverge).
		e := AuditEntry{At: now, Actor: "unknown (unsigned)", Scope: sc.name, Decision: formatPlain(w), Detail: "control-plane breach: unauthorised actuation"}
		v := rt.publish(sc, routeConfig{weights: w, emitted: -1, unsigned: true})
		if auth {
			rt.stats.UnauthorizedBlocked++
			e.Outcome = "NACKed: v" + strconv.Itoa(int(v)) + " is unsigned"
		} else {
			rt.stats.Unauthorized++
			e.Outcome = "accepted: pushed v" + strconv.Itoa(int(v))
		}
		rt.recordSys(e)
	}
}

// managed reports whether the routing control's actors decide for sc (any
// sidecar scope when there are none): what an attacker rewrites.
func (rt *routeRuntime) managed(sc *routeScope) bool {
	for _, a := range rt.actors {
		if slices.Contains(a.scopes, sc) {
			return true
		}
	}
	return len(rt.actors) == 0 && sc.kind == ScopeSidecar
}

type breachState struct {
	region string
	every  sim.Time
	on     bool
	gen    uint32
}
