package topology

// The call path. When a replica of a service with calls finishes its own
// work on an attempt (without error), the attempt becomes a frame: the
// replica makes the calls of step 1 (each a hop request sent by the
// replica's sidecar for the callee, through the usual send → reach → serve
// → response path, retries included), waits for every call of the step to
// end, then runs the next step. A required call that fails makes the
// attempt fail (an error response, once its step has ended; later steps
// are not run); an optional one only degrades it. A blocking service (the
// default: thread-per-request) holds the attempt's service slot until its
// calls are done; a non-blocking one frees it when its own work is done.
//
// A replica that crashes loses its frames: their attempts fail as
// host-down, and the calls they had in flight run on, their results
// discarded. A callee never learns that its caller has gone, except with
// deadline propagation (Routing.Deadlines): then a replica makes no calls
// for an attempt whose caller has stopped waiting, and a call waits no
// longer than what remains of the deadline of the request it serves.

import "github.com/tangle-sim/tangle/sim"

// frame is an attempt waiting on its calls.
type frame struct {
	job  Ref
	rep  *Replica
	svc  int32 // rep's service (an index into graph.plan)
	root int32 // the client whose request the attempt serves (0 if it is gone)
	// trace is the request the attempt serves: its ID and its root's (0
	// when it is gone), so the calls it makes can name them.
	trace     uint64
	traceRoot uint64
	op        int16 // the operation the attempt asks for (Request.Op)
	plan      int16 // its calls: g.plan[svc][plan]
	step      int16 // the step in progress
	pending   int16 // calls of the step not yet ended
	// deadline is when the request it serves gives up (with deadline
	// propagation; 0: none or not propagated).
	deadline sim.Time
	failed   bool // a required call failed
	held     bool // it holds a service slot of rep
}

// link is what a hop request reports to when it ends.
type link struct {
	frame    Ref // 0: not a hop request
	edge     *CallEdge
	optional bool
}

// beginCalls starts the calls of the attempt rep has just served, if its
// service makes any; it reports whether it took the attempt's reply over.
func (w *World) beginCalls(rep *Replica, ref Ref, j *Job) bool {
	g := w.graph
	if g == nil {
		return false
	}
	svc := rep.Service.ID
	plan := int16(0)
	if len(g.plan[svc]) > 1 {
		plan = j.Op
	}
	if len(g.plan[svc][plan]) == 0 {
		return false
	}
	root, deadline := int32(0), sim.Time(0)
	var trace, traceRoot uint64
	r := w.reqs.Get(j.Req)
	switch {
	case w.routing.Deadlines && (r == nil || j.detached): // its caller has given up: no calls for it
		w.reply(ref, j, Timeout, CauseTimeout)
		return true
	case r != nil:
		root = r.Client
		trace, traceRoot = r.ID, r.Root
	default:
		if c := w.Callers[j.Caller].Client; c.ID >= 0 {
			root = c.ID
		}
	}
	if w.routing.Deadlines {
		deadline = g.deadlineOf(w, r)
	}
	held := !rep.Service.Spec.NonBlocking
	if held {
		rep.touch(w.Eng.Now())
		rep.held++
	}
	idx, f := g.frames.Alloc()
	*f = frame{job: ref, rep: rep, svc: int32(svc), op: j.Op, plan: plan, root: root, trace: trace, traceRoot: traceRoot, held: held, deadline: deadline}
	w.runStep(g.frames.Ref(idx))
	return true
}

// runStep makes the calls of the frame's current step, skipping steps
// whose calls are all left out by their probability, or completes the
// frame when no step is left.
func (w *World) runStep(fref Ref) {
	g := w.graph
	f := g.frames.Get(fref)
	steps := g.plan[f.svc][f.plan]
	for ; int(f.step) < len(steps); f.step++ {
		if g.stopped {
			w.completeFrame(fref, Dropped, CauseUnfinished)
			return
		}
		step := steps[f.step]
		if g.sure[f.svc][f.plan][f.step] { // every call is made: no coins
			f.pending = int16(len(step))
			for i := range step {
				w.call(fref, f, &step[i])
			}
			return
		}
		var buf [16]bool
		take := buf[:0]
		if len(step) > len(buf) {
			take = make([]bool, 0, len(step))
		}
		n := int16(0)
		for _, c := range step {
			t := c.Probability == 0 || c.Probability >= 1 || c.edge.coin.Float64() < c.Probability
			take = append(take, t)
			if t {
				n++
			}
		}
		if n == 0 {
			continue
		}
		f.pending = n
		for i := range step {
			if take[i] {
				w.call(fref, f, &step[i])
			}
		}
		return // the step's last call to end runs the next
	}
	w.completeFrame(fref, Success, CauseNone)
}

// call sends one hop request for the frame from rep's sidecar on c's edge;
// with a deadline, it waits no longer than the deadline, and a call whose
// deadline has passed ends at once as a timeout.
func (w *World) call(fref Ref, f *frame, c *hopCall) {
	g := w.graph
	rep, deadline := f.rep, f.deadline
	now := w.Eng.Now()
	hc := c.edge.Client
	caller := hc.Callers[rep.Index]
	idx, r := w.reqs.Alloc()
	ref := makeRef(idx, w.reqs.gens[idx])
	*r = Request{ID: w.nextID, Client: f.root, Caller: caller.ID, Key: hc.work.Uint64(), Arrived: now, Replica: -1, Cluster: -1, SignalAge: -1,
		Root: f.traceRoot, Parent: f.trace, Op: c.operation(f.op), ref: ref}
	w.nextID++
	hc.Generated++
	for int(idx) >= len(g.links) {
		g.links = append(g.links, link{})
	}
	g.links[idx] = link{frame: fref, edge: c.edge, optional: c.Optional}
	end := sim.Time(0)
	if c.Timeout > 0 {
		end = now + c.Timeout
	}
	if deadline > 0 && (end == 0 || deadline < end) {
		end = deadline
	}
	if w.routing.Deadlines {
		for int(idx) >= len(g.deadline) {
			g.deadline = append(g.deadline, 0)
		}
		g.deadline[idx] = end
	}
	if end > 0 && end <= now {
		w.end(ref, r, Timeout, CauseTimeout)
		return
	}
	if end > 0 {
		r.timeout = w.Eng.At(end, ClassRequest, w.kTimeout, uint64(ref))
	}
	w.send(ref, r, caller)
}

// operation is the operation a call of c asks for, made for an attempt
// that asks for op: the one c names, the attempt's own through an edge,
// or one drawn by the callee's weights.
func (c *hopCall) operation(op int16) int16 {
	switch {
	case c.op >= 0:
		return c.op
	case c.pass && op >= 0:
		return op
	case c.edge.ops != nil:
		return c.edge.To.drawOperation(c.edge.ops)
	}
	return NoOp
}

// deadlineOf is when request r (nil: gone) gives up: its call's deadline
// for a hop, its client's timeout otherwise; 0 means never.
func (g *graph) deadlineOf(w *World, r *Request) sim.Time {
	if r == nil {
		return 0
	}
	if i := r.ref.idx(); int(i) < len(g.links) && g.links[i].frame != 0 {
		return g.deadline[i]
	}
	if t := w.Clients[r.Client].Spec.Timeout; t > 0 {
		return r.Arrived + t
	}
	return 0
}

// hopEnded is called by end for every request; it reports whether r was a
// hop request, and then records its end on its edge and returns the link
// to resume once its slot is free.
func (g *graph) hopEnded(now sim.Time, ref Ref, r *Request) (link, bool) {
	if int(ref.idx()) >= len(g.links) {
		return link{}, false
	}
	l := g.links[ref.idx()]
	if l.frame == 0 {
		return link{}, false
	}
	g.links[ref.idx()] = link{}
	l.edge.Ended[r.Outcome]++
	l.edge.LatencySum += r.Latency().Seconds()
	for _, o := range g.obs {
		o.HopEnded(now, l.edge, r)
	}
	return l, true
}

// resume tells a frame that one of its calls ended with outcome o.
func (w *World) resume(l link, o Outcome) {
	g := w.graph
	f := g.frames.Get(l.frame)
	if f == nil { // its replica crashed: the result is discarded
		return
	}
	if o != Success && !l.optional {
		f.failed = true
	}
	f.pending--
	if f.pending > 0 {
		return
	}
	if f.failed {
		w.completeFrame(l.frame, Error, CauseServerError)
		return
	}
	f.step++
	w.runStep(l.frame)
}

// completeFrame ends a frame: its attempt is answered with o (a success
// first goes through the layers' finishers, as a call-free one does) and
// a held slot is freed.
func (w *World) completeFrame(fref Ref, o Outcome, c Cause) {
	g := w.graph
	f := g.frames.Get(fref)
	rep, ref, held := f.rep, f.job, f.held
	g.frames.Free(fref)
	if held {
		rep.touch(w.Eng.Now())
		rep.held--
	}
	j := w.jobs.Get(ref)
	switch o {
	case Success:
		if !w.finished(rep, ref, j) {
			w.reply(ref, j, Success, CauseNone)
		}
	case Error:
		rep.Errors++
		w.reply(ref, j, o, c)
	default:
		w.reply(ref, j, o, c)
	}
	if held {
		w.serveQueue(rep)
	}
}

// crashFrames fails the frames of a replica that went down.
func (w *World) crashFrames(rep *Replica, _ NodeState) {
	if rep.State != Down {
		return
	}
	g := w.graph
	for i := 0; i < g.frames.Len(); i++ {
		if f, live := g.frames.At(i); live && f.rep == rep {
			w.completeFrame(g.frames.Ref(uint32(i)), Dropped, CauseHostDown)
		}
	}
}
