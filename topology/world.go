package topology

import (
	"fmt"
	"slices"

	"github.com/tangle-sim/tangle/sim"
)

// Event classes of the world, in the order they run at one instant: a
// fault switching on takes effect before a control action, which happens
// before signals are measured, which happens before requests move, and
// observers sample last.
const (
	ClassFault   sim.Class = sim.First
	ClassControl sim.Class = 1
	ClassSignal  sim.Class = 2
	ClassRequest sim.Class = sim.Default
	ClassObserve sim.Class = sim.Last
)

// Spec is everything needed to build a world, with places, services and
// clients referring to each other by index.
type Spec struct {
	Places   []Place // at least one
	Network  NetworkSpec
	Services []ServiceSpec
	Clients  []ClientSpec
	Bus      BusSpec
	Edges    []EdgeSpec // edge gateways as capacity nodes (edges.go): services numbered after Services
}

// Observer hears every request end, exactly once, at the moment it ends.
type Observer interface {
	RequestEnded(now sim.Time, r *Request)
}

// JobObserver is an optional Observer ability: it hears each attempt as a
// caller sends it to a replica.
type JobObserver interface {
	JobSent(now sim.Time, j *Job)
}

// ResponseObserver is an optional Picker ability: it hears how each attempt
// it routed went, when the caller learns it (a response, or giving up).
type ResponseObserver interface {
	ObserveResponse(now sim.Time, hostID int, rtt sim.Time, ok bool)
}

// World is a simulated system on one engine. Build it with New, attach
// observers, Start it, run the engine, then Drain.
type World struct {
	Eng      *sim.Engine
	Seed     uint64
	Places   []Place
	Net      *Network
	Services []*Service
	Replicas []*Replica
	Clients  []*Client
	Callers  []*Caller
	Edges    []*Edge
	Bus      *Bus

	routing Routing
	obs     []Observer
	jobObs  []JobObserver
	fb      []ResponseObserver // per caller; nil entries for pickers without feedback
	fbk     []FallbackReporter // per caller; nil entries for pickers that never fall back
	stateFn []func(rep *Replica, old NodeState)

	reqs      Arena[Request]
	jobs      Arena[Job]
	nextID    uint64
	healthGen uint64 // bumped on every change of host health or ejection
	horizon   sim.Time
	drain     bool

	tickers []Ticker // ticking guards, one entry per (caller, guard)
	graph   *graph   // the service graph (calls.go); nil without calls
	hedge   *hedging // hedged requests (hedge.go); nil when no caller hedges
	hooks   hooks    // the attached layers (layer.go)

	share callerShare // what callers of a service at a place share (loads.go)

	kArrive, kReach, kFinish, kRespond, kTimeout, kTryTimeout, kRetry, kGuardTick sim.Kind
}

// New builds a world from spec, routed by routing, with every random
// stream derived from seed.
func New(spec Spec, routing Routing, seed uint64) (*World, error) {
	if len(spec.Places) == 0 {
		return nil, fmt.Errorf("topology: at least one place is required")
	}
	if routing.Caller == nil {
		return nil, fmt.Errorf("topology: routing has no caller picker")
	}
	if routing.Retry.Attempts == 0 {
		routing.Retry.Attempts = 1
	}
	spec, routing, err := withEdges(spec, routing)
	if err != nil {
		return nil, err
	}
	if err = routing.Retry.Validate(); err != nil {
		return nil, err
	}
	if err := routing.validatePerService(); err != nil {
		return nil, err
	}
	if !(routing.PanicThreshold >= 0 && routing.PanicThreshold <= 1) {
		return nil, fmt.Errorf("topology: panic threshold must be in [0, 1], got %g", routing.PanicThreshold)
	}
	w := &World{Eng: sim.NewEngine(), Seed: seed, Places: spec.Places, routing: routing}
	net, err := newNetwork(spec.Places, spec.Network, sim.NewStream(seed, "network"))
	if err != nil {
		return nil, err
	}
	w.Net = net
	w.kArrive = w.Eng.Handle("client.arrive", w.arrive)
	w.kReach = w.Eng.Handle("replica.reach", func(a uint64) { w.reach(Ref(a)) })
	w.kFinish = w.Eng.Handle("replica.finish", func(a uint64) { w.finish(Ref(a)) })
	w.kRespond = w.Eng.Handle("caller.response", func(a uint64) { w.response(Ref(a)) })
	w.kTimeout = w.Eng.Handle("client.timeout", func(a uint64) { w.timeout(Ref(a)) })
	w.kTryTimeout = w.Eng.Handle("caller.try-timeout", func(a uint64) { w.tryTimeout(Ref(a)) })
	w.kRetry = w.Eng.Handle("caller.retry", func(a uint64) { w.retry(Ref(a)) })
	w.kGuardTick = w.Eng.Handle("guard.tick", w.guardTick)

	for si, ss := range spec.Services {
		if err := ss.Validate(); err != nil {
			return nil, err
		}
		svc := &Service{ID: si, Name: ss.Name, Spec: ss}
		places := ss.Places
		if len(places) == 0 {
			places = []PlaceID{0}
		}
		for i := 0; i < ss.Replicas; i++ {
			p := places[i%len(places)]
			if int(p) >= len(spec.Places) || p < 0 {
				return nil, fmt.Errorf("service %s: unknown place %d", ss.Name, p)
			}
			region := spec.Places[p].Region
			ci := slices.IndexFunc(svc.Clusters, func(c Cluster) bool { return c.Region == region })
			if ci < 0 {
				svc.Clusters = append(svc.Clusters, Cluster{Region: region})
				ci = len(svc.Clusters) - 1
			}
			svc.Clusters[ci].Replicas = append(svc.Clusters[ci].Replicas, int32(i))
			r := newReplica(Replica{ID: int32(len(w.Replicas)), Index: int32(i), Name: fmt.Sprintf("%s-%d", ss.Name, i), Service: svc, Place: p, Cluster: int32(ci), Weight: 1})
			if ss.Provisioned > 0 && i >= ss.Provisioned { // in the autoscaler's pool, not provisioned yet
				r.off = true
				svc.Clusters[ci].Off++
			} else {
				svc.Clusters[ci].Up++
				svc.Up++
				svc.Provisioned++
			}
			if len(ss.Weights) > 0 {
				r.Weight = ss.Weights[i%len(ss.Weights)]
			}
			svc.Replicas = append(svc.Replicas, r)
			w.Replicas = append(w.Replicas, r)
			r.recompute()
		}
		svc.initOperations()
		w.Services = append(w.Services, svc)
	}
	w.markEdges(spec)

	w.Bus = newBus(w, spec.Bus)
	if routing.Load == LoadSignal && spec.Bus.Interval <= 0 {
		return nil, fmt.Errorf("topology: routing on signals needs the signal bus (a telemetry interval > 0)")
	}

	for ci, cs := range spec.Clients {
		if err := cs.Validate(); err != nil {
			return nil, err
		}
		if cs.Service < 0 || cs.Service >= len(w.Services) {
			return nil, fmt.Errorf("client %s: unknown target service %d", cs.Name, cs.Service)
		}
		if int(cs.Place) >= len(spec.Places) || cs.Place < 0 {
			return nil, fmt.Errorf("client %s: unknown place %d", cs.Name, cs.Place)
		}
		svc := w.Services[cs.Service]
		c := &Client{
			ID: int32(ci), Name: cs.Name, Spec: cs, Target: svc, segs: cs.Rate.segments(),
			arrivals: sim.NewStream(seed, "arrivals/"+cs.Name),
			work:     sim.NewStream(seed, "work/"+cs.Name),
			assign:   sim.NewStream(seed, "assign/"+cs.Name),
			timeouts: w.Eng.NewLazyLane(ClassRequest, w.kTimeout, w.requestLive),
		}
		for k := 0; k < cs.Callers; k++ {
			cl := w.newCaller(c, cs.Place, fmt.Sprintf("%s/caller-%d", cs.Name, k), spec, seed)
			c.Callers = append(c.Callers, cl)
		}
		if cs.Edge {
			if routing.Edge == nil {
				return nil, fmt.Errorf("client %s: routes through an edge but the routing has no edge picker", cs.Name)
			}
			e := &Edge{Client: c, inflight: make([]int32, len(svc.Clusters))}
			e.Picker = routing.Edge(sim.NewStream(seed, "picker/"+cs.Name+"/edge"))
			e.view = clusterView{w: w, e: e, svc: svc}
			c.Edge = e
			w.Edges = append(w.Edges, e)
		}
		if err := w.resolveClientOperation(c, spec); err != nil {
			return nil, err
		}
		w.Clients = append(w.Clients, c)
	}
	if err := w.buildGraph(spec, seed); err != nil {
		return nil, err
	}
	if err := w.startHedging(); err != nil {
		return nil, err
	}
	return w, nil
}

// OnStateChange adds f to the functions called after a replica's state
// changes (crash, pause, restart), with its previous state. The state model
// uses it to carry process semantics (paused timers, lost volatile state)
// over to its nodes.
func (w *World) OnStateChange(f func(rep *Replica, old NodeState)) {
	w.stateFn = append(w.stateFn, f)
}

// Observe adds an observer. Observers are called in the order added.
func (w *World) Observe(o Observer) {
	w.obs = append(w.obs, o)
	if jo, ok := o.(JobObserver); ok {
		w.jobObs = append(w.jobObs, jo)
	}
}

// Start schedules the clients' first arrivals and the signal bus. Clients
// generate requests until horizon; requests generated before it are
// followed to their end by Drain.
func (w *World) Start(horizon sim.Time) {
	w.horizon = horizon
	for i, t := range w.tickers {
		w.Eng.At(t.Interval(), ClassControl, w.kGuardTick, uint64(i))
	}
	for _, c := range w.Clients {
		if t := c.nextArrival(0); t < horizon {
			w.Eng.At(t, ClassRequest, w.kArrive, uint64(c.ID))
		}
	}
	w.Bus.start()
	for _, l := range w.hooks.layers {
		l.Start(horizon)
	}
}

// InFlight is the number of requests generated and not yet ended.
func (w *World) InFlight() int { return w.reqs.live }

// Drain runs the engine past the horizon until every request has ended or
// limit more time has passed; requests still in flight then end as
// Dropped with CauseUnfinished. Call it after running the engine to the
// horizon.
func (w *World) Drain(limit sim.Time) {
	if w.reqs.live > 0 {
		w.drain = true
		w.Eng.Run(w.Eng.Now() + limit)
		w.drain = false
	}
	if w.graph != nil {
		w.graph.stopped = true
	}
	// Slot order is deterministic (the free list is), so ending leftovers in
	// slot order is too.
	for i := range w.reqs.items {
		if !w.reqs.used[i] {
			continue
		}
		r := &w.reqs.items[i]
		w.detach(r)
		w.end(makeRef(uint32(i), w.reqs.gens[i]), r, Dropped, CauseUnfinished)
	}
}
