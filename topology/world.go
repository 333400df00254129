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
	State    *StateSpec // desired-vs-actual state model; nil for none (see state.go)
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
	State    *State // the desired-vs-actual state model; nil when Spec.State is nil

	routing Routing
	obs     []Observer
	jobObs  []JobObserver
	fb      []ResponseObserver // per caller; nil entries for pickers without feedback
	fbk     []FallbackReporter // per caller; nil entries for pickers that never fall back
	stateFn []func(rep *Replica, old NodeState)

	reqs      arena[Request]
	jobs      arena[Job]
	nextID    uint64
	healthGen uint64 // bumped on every change of host health or ejection
	horizon   sim.Time
	drain     bool

	kArrive, kReach, kFinish, kRespond, kTimeout sim.Kind
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
			svc.Clusters[ci].Up++
			svc.Up++
			r := &Replica{ID: int32(len(w.Replicas)), Index: int32(i), Name: fmt.Sprintf("%s-%d", ss.Name, i), Service: svc, Place: p, Cluster: int32(ci), Weight: 1}
			if len(ss.Weights) > 0 {
				r.Weight = ss.Weights[i%len(ss.Weights)]
			}
			svc.Replicas = append(svc.Replicas, r)
			w.Replicas = append(w.Replicas, r)
		}
		w.Services = append(w.Services, svc)
	}

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
		}
		for k := 0; k < cs.Callers; k++ {
			name := fmt.Sprintf("%s/caller-%d", cs.Name, k)
			cl := &Caller{
				ID: int32(len(w.Callers)), Client: c, Place: cs.Place,
				inflight: make([]int32, len(svc.Replicas)), ejected: make([]bool, len(svc.Replicas)),
				prio: make([]int8, len(svc.Replicas)), healthy: make([]int, len(svc.Clusters)),
			}
			cl.Picker = routing.Caller(sim.NewStream(seed, "picker/"+name))
			all := make([]int32, len(svc.Replicas))
			for i, r := range svc.Replicas {
				all[i] = int32(i)
				switch here, there := spec.Places[cs.Place], spec.Places[r.Place]; {
				case r.Place == cs.Place:
					cl.prio[i] = 0
				case here.Region == there.Region:
					cl.prio[i] = 1
				default:
					cl.prio[i] = 2
				}
			}
			cl.all = hostView{w: w, c: cl, svc: svc, hosts: all, cluster: -1}
			for ci := range svc.Clusters {
				cl.views = append(cl.views, hostView{w: w, c: cl, svc: svc, hosts: svc.Clusters[ci].Replicas, cluster: ci})
				cl.healthy[ci] = svc.Clusters[ci].Up
			}
			svc.callers = append(svc.callers, cl)
			fb, _ := cl.Picker.(ResponseObserver)
			w.fb = append(w.fb, fb)
			fbk, _ := cl.Picker.(FallbackReporter)
			w.fbk = append(w.fbk, fbk)
			c.Callers = append(c.Callers, cl)
			w.Callers = append(w.Callers, cl)
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
		w.Clients = append(w.Clients, c)
	}
	if spec.State != nil {
		st, err := newState(w, *spec.State)
		if err != nil {
			return nil, err
		}
		w.State = st
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
	for _, c := range w.Clients {
		if t := c.nextArrival(0); t < horizon {
			w.Eng.At(t, ClassRequest, w.kArrive, uint64(c.ID))
		}
	}
	w.Bus.start()
	if w.State != nil {
		w.State.start(horizon)
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

// arrive generates one request of client arg and schedules the next.
func (w *World) arrive(arg uint64) {
	c := w.Clients[arg]
	now := w.Eng.Now()
	if t := c.nextArrival(now); t < w.horizon {
		w.Eng.At(t, ClassRequest, w.kArrive, arg)
	}
	idx, r := w.reqs.alloc()
	ref := makeRef(idx, w.reqs.gens[idx])
	caller := c.Callers[0]
	if len(c.Callers) > 1 {
		caller = c.Callers[c.assign.IntN(len(c.Callers))]
	}
	*r = Request{ID: w.nextID, Client: c.ID, Caller: caller.ID, Key: c.work.Uint64(), Arrived: now, Replica: -1, Cluster: -1}
	w.nextID++
	c.Generated++
	if c.Spec.Timeout > 0 {
		r.timeout = w.Eng.At(now+c.Spec.Timeout, ClassRequest, w.kTimeout, uint64(ref))
	}
	w.send(ref, r, caller)
}

// send routes one attempt of r from caller and puts it on the wire.
func (w *World) send(ref Ref, r *Request, caller *Caller) {
	now := w.Eng.Now()
	c := caller.Client
	svc := c.Target
	hosts := &caller.all
	cluster := int32(-1)
	if e := c.Edge; e != nil {
		ci := e.Picker.Pick(now, &e.view, r)
		if ci < 0 {
			w.end(ref, r, Dropped, CauseNoHost)
			return
		}
		cluster = int32(ci)
		hosts = &caller.views[ci]
	}
	i := caller.Picker.Pick(now, hosts, r)
	if fbk := w.fbk[caller.ID]; fbk != nil {
		r.Fallback = fbk.LastFallback()
	}
	if i < 0 {
		w.end(ref, r, Dropped, CauseNoHost)
		return
	}
	h := hosts.hosts[i]
	rep := svc.Replicas[h]
	jidx, j := w.jobs.alloc()
	r.attempts++
	*j = Job{
		Req: ref, Attempt: r.attempts, Caller: caller.ID, Replica: rep.ID, Cluster: cluster, Sent: now,
		Work: sim.SampleTime(svc.Spec.ServiceTime, c.work), ErrU: c.work.Float64(),
	}
	jref := makeRef(jidx, w.jobs.gens[jidx])
	r.job, r.Replica, r.Cluster = jref, rep.ID, cluster
	caller.inflight[h]++
	if cluster >= 0 {
		c.Edge.inflight[cluster]++
	}
	for _, o := range w.jobObs {
		o.JobSent(now, j)
	}
	if d := w.Net.Latency(caller.Place, rep.Place); d > 0 {
		w.Eng.At(now+d, ClassRequest, w.kReach, uint64(jref))
	} else {
		w.reach(jref)
	}
}

// reach is an attempt arriving at its replica.
func (w *World) reach(ref Ref) {
	j := w.jobs.get(ref)
	rep := w.Replicas[j.Replica]
	j.Reached = w.Eng.Now()
	switch {
	case rep.State == Down:
		w.reply(ref, j, Dropped, CauseHostDown)
	case rep.State == Up && len(rep.serving) < rep.Service.Spec.Concurrency:
		j.Started = j.Reached
		w.startJob(rep, ref, j, j.Work)
	case rep.Service.Spec.QueueCapacity != Unbounded && rep.queue.len() >= rep.Service.Spec.QueueCapacity:
		w.reply(ref, j, Rejected, CauseQueueFull)
	default:
		rep.queue.push(ref.idx())
	}
}

// startJob gives j a service slot on rep for work more time (its whole
// service time, or what a pause left owing).
func (w *World) startJob(rep *Replica, ref Ref, j *Job, work sim.Time) {
	rep.touch(w.Eng.Now())
	j.pos = int32(len(rep.serving))
	rep.serving = append(rep.serving, ref.idx())
	j.left = 0
	j.finishAt = w.Eng.Now() + work
	j.done = w.Eng.At(j.finishAt, ClassRequest, w.kFinish, uint64(ref))
}

// unserve removes j from rep's serving list. O(1).
func (w *World) unserve(rep *Replica, j *Job) {
	rep.touch(w.Eng.Now())
	last := len(rep.serving) - 1
	moved := rep.serving[last]
	rep.serving[j.pos] = moved
	w.jobs.items[moved].pos = j.pos
	rep.serving = rep.serving[:last]
}

// finish is a replica completing service of an attempt.
func (w *World) finish(ref Ref) {
	j := w.jobs.get(ref)
	rep := w.Replicas[j.Replica]
	w.unserve(rep, j)
	rep.Served++
	j.done = 0
	errRate := rep.Service.Spec.ErrorRate
	if w.State != nil { // stamp the state that served it (see State.served)
		errRate = w.State.served(rep, j, w.reqs.get(j.Req), errRate)
	}
	if j.ErrU < errRate {
		rep.Errors++
		w.reply(ref, j, Error, CauseServerError)
	} else {
		w.reply(ref, j, Success, CauseNone)
	}
	w.serveQueue(rep)
}

// serveQueue starts queued attempts while the replica has free slots.
func (w *World) serveQueue(rep *Replica) {
	for rep.State == Up && len(rep.serving) < rep.Service.Spec.Concurrency && rep.queue.len() > 0 {
		idx := rep.queue.pop()
		j := &w.jobs.items[idx]
		j.Started = w.Eng.Now()
		w.startJob(rep, makeRef(idx, w.jobs.gens[idx]), j, j.Work)
	}
}

// SetEjected marks replica rep as ejected (or no longer ejected) from
// caller c's point of view: c's pickers see it as unhealthy. Outlier
// detection and similar per-decider guards use it.
func (w *World) SetEjected(c *Caller, rep *Replica, ejected bool) {
	if c.ejected[rep.Index] == ejected {
		return
	}
	c.ejected[rep.Index] = ejected
	if rep.State != Down {
		if ejected {
			c.healthy[rep.Cluster]--
		} else {
			c.healthy[rep.Cluster]++
		}
	}
	w.healthGen++
}

// Crash takes rep down (see SetState) until the returned restart function
// is called. Crashes and pauses nest, so overlapping faults compose: the
// replica is down while any crash holds it, paused while any pause and no
// crash does, and up otherwise. Calling restart twice is a no-op.
func (w *World) Crash(rep *Replica) (restart func()) {
	rep.crashes++
	w.settle(rep)
	return w.once(func() { rep.crashes--; w.settle(rep) })
}

// Pause stalls rep (see SetState) until the returned resume function is
// called; pauses nest with crashes as Crash describes.
func (w *World) Pause(rep *Replica) (resume func()) {
	rep.pauses++
	w.settle(rep)
	return w.once(func() { rep.pauses--; w.settle(rep) })
}

func (w *World) settle(rep *Replica) {
	switch {
	case rep.crashes > 0:
		w.SetState(rep, Down)
	case rep.pauses > 0:
		w.SetState(rep, Paused)
	default:
		w.SetState(rep, Up)
	}
}

func (w *World) once(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

// SetState moves rep to state s, with what that does to its work:
//
//   - Down (a crash): every queued and in-service attempt is lost; each
//     caller learns of it as a dropped attempt (connection reset) after the
//     return latency. Volatile state is gone: a later Up starts empty.
//   - Paused (a GC stall, SIGSTOP): service stops where it is; queued work
//     waits and new work is accepted into the queue.
//   - Up: from Paused, interrupted service resumes with the time it still
//     owed and the queue drains; from Down, the replica starts empty.
func (w *World) SetState(rep *Replica, s NodeState) {
	old := rep.State
	if old == s {
		return
	}
	now := w.Eng.Now()
	if (old == Down) != (s == Down) {
		d := 1
		if s == Down {
			d = -1
		} else {
			rep.UpSince = now
		}
		rep.Service.Up += d
		rep.Service.Clusters[rep.Cluster].Up += d
		for _, c := range rep.Service.callers {
			if !c.ejected[rep.Index] {
				c.healthy[rep.Cluster] += d
			}
		}
		w.healthGen++
	}
	rep.State = s
	switch s {
	case Down:
		rep.touch(now)
		for len(rep.serving) > 0 {
			idx := rep.serving[len(rep.serving)-1]
			rep.serving = rep.serving[:len(rep.serving)-1]
			j := &w.jobs.items[idx]
			w.Eng.Cancel(j.done)
			j.done = 0
			w.reply(makeRef(idx, w.jobs.gens[idx]), j, Dropped, CauseHostDown)
		}
		for rep.queue.len() > 0 {
			idx := rep.queue.pop()
			w.reply(makeRef(idx, w.jobs.gens[idx]), &w.jobs.items[idx], Dropped, CauseHostDown)
		}
	case Paused:
		for _, idx := range rep.serving {
			j := &w.jobs.items[idx]
			w.Eng.Cancel(j.done)
			j.done = 0
			j.left = j.finishAt - now
		}
	case Up:
		if old == Paused {
			serving := rep.serving
			rep.serving = nil
			for _, idx := range serving {
				j := &w.jobs.items[idx]
				w.startJob(rep, makeRef(idx, w.jobs.gens[idx]), j, j.left)
			}
		}
		w.serveQueue(rep)
	}
	for _, f := range w.stateFn {
		f(rep, old)
	}
}

// reply sends the attempt's result back to its caller.
func (w *World) reply(ref Ref, j *Job, o Outcome, c Cause) {
	j.Outcome, j.Cause = o, c
	caller := w.Callers[j.Caller]
	if d := w.Net.Latency(w.Replicas[j.Replica].Place, caller.Place); d > 0 {
		w.Eng.After(d, ClassRequest, w.kRespond, uint64(ref))
	} else {
		w.response(ref)
	}
}

// response is an attempt's result reaching its caller. The job ends here.
func (w *World) response(ref Ref) {
	j := w.jobs.get(ref)
	if !j.detached {
		w.detachJob(j, j.Outcome == Success)
		if r := w.reqs.get(j.Req); r != nil && r.Outcome == Pending {
			if j.Outcome == Success || j.Outcome == Error {
				r.Waited = j.Started - j.Reached
				r.Served = j.Served
			}
			w.end(j.Req, r, j.Outcome, j.Cause)
		}
	}
	w.jobs.release(ref.idx())
}

// timeout is a client giving up on a request.
func (w *World) timeout(ref Ref) {
	r := w.reqs.get(ref)
	r.timeout = 0
	w.detach(r)
	w.end(ref, r, Timeout, CauseTimeout)
}

// detach releases the caller's hold on the request's outstanding attempt,
// if any: the caller stops counting it, though the replica may still be
// working on it.
func (w *World) detach(r *Request) {
	if j := w.jobs.get(r.job); j != nil && !j.detached {
		w.detachJob(j, false)
	}
}

func (w *World) detachJob(j *Job, ok bool) {
	j.detached = true
	caller := w.Callers[j.Caller]
	rep := w.Replicas[j.Replica]
	caller.inflight[rep.Index]--
	if j.Cluster >= 0 {
		caller.Client.Edge.inflight[j.Cluster]--
	}
	if fb := w.fb[j.Caller]; fb != nil {
		now := w.Eng.Now()
		fb.ObserveResponse(now, int(rep.ID), now-j.Sent, ok)
	}
}

// end records r's outcome, tells the observers and frees it.
func (w *World) end(ref Ref, r *Request, o Outcome, c Cause) {
	now := w.Eng.Now()
	r.Outcome, r.Cause, r.Ended = o, c, now
	if r.timeout != 0 {
		w.Eng.Cancel(r.timeout)
		r.timeout = 0
	}
	for _, ob := range w.obs {
		ob.RequestEnded(now, r)
	}
	w.reqs.release(ref.idx())
	if w.drain && w.reqs.live == 0 {
		w.Eng.Stop()
	}
}
