package topology

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/tangle-sim/tangle/sim"
)

// Service graphs. A service may call other services while it serves: its
// ServiceSpec.Calls is a list of steps run in sequence after its own work,
// each step one call or a parallel group. Every calling replica has its own
// sidecar (a Caller) per service it calls, with its own picker, guards,
// retry policy and budget; a call is a request of its own (a hop) that
// ends exactly once, like a client's.

// Call is one downstream call a service makes while serving a request.
type Call struct {
	Service int // the callee: index into Spec.Services
	// Optional: the call's failure degrades the response but does not fail
	// the request (a recommendation panel that may be missing).
	Optional bool
	// Probability is the chance the call is made at all, in [0, 1]; 0
	// means always (the zero value), as does 1.
	Probability float64
	// Timeout is the caller's deadline for the call, all its attempts
	// included; 0 means none.
	Timeout sim.Time
	// Operation names the callee's operation the call asks for; "" means
	// one drawn by the callee's operation weights (operations.go).
	Operation string

	pass bool // an edge's call: it asks for its request's operation
}

// Step is one step of a service's calls: one call, or several made in
// parallel. The step ends when every call in it has ended.
type Step []Call

// ServiceRouting overrides a world's routing for the sidecars calling one
// service (the callers of its clients and of the services calling it),
// or those of one call edge.
type ServiceRouting struct {
	Caller NewPicker    // nil: the world's
	Retry  *RetryPolicy // nil: the world's
	Hedge  *HedgePolicy // nil: the world's
	Guards []NewGuard   // nil: the world's; empty: none
}

// CallEdge is every call from one service to another: one sidecar per
// replica of the calling service, and what they saw.
type CallEdge struct {
	From, To *Service
	// Index is the edge's position in World.CallEdges, for observers that
	// keep per-edge state in a slice.
	Index int
	// Client is the edge's population of callers, one per replica of From
	// (indexed as From.Replicas). It is not one of World.Clients: it has no
	// arrivals of its own, and its ID is -1. Its Generated, Attempts,
	// Retries and RetriesDenied count the edge's calls.
	Client *Client

	// Ended counts the edge's calls by outcome (indexed by Outcome);
	// LatencySum is their total latency in seconds.
	Ended      [len(outcomeNames)]uint64
	LatencySum float64

	coin *rand.Rand // whether a call taken with a probability is made
	ops  *rand.Rand // which operation a call that names none asks for
}

// Edges lists the world's call edges, in the order the calling services
// are declared and, within one, the order their calls first name a callee.
func (w *World) CallEdges() []*CallEdge {
	if w.graph == nil {
		return nil
	}
	return w.graph.edges
}

// HopObserver hears every hop request (a call between services) end,
// exactly once, at the moment it ends; a *Request is valid only during
// the call. World observers hear the clients' requests only.
type HopObserver interface {
	HopEnded(now sim.Time, e *CallEdge, r *Request)
}

// ObserveHops adds a hop observer; it does nothing in a world without
// calls. Observers are called in the order added.
func (w *World) ObserveHops(o HopObserver) {
	if w.graph != nil {
		w.graph.obs = append(w.graph.obs, o)
	}
}

// graph is the world's service graph; nil in a world without calls.
type graph struct {
	obs   []HopObserver
	edges []*CallEdge
	// plan is, per service, per operation (one for a service without
	// operations), per step, its calls.
	plan [][][][]hopCall
	// sure says, per service, operation and step, that every call of the
	// step is made (none is taken with a probability), so no coin is tossed.
	sure [][][]bool
	// frames are the attempts waiting on their calls; links say, per
	// request slot, which frame a hop request reports to.
	frames   Arena[frame]
	links    []link
	deadline []sim.Time // per request slot: a hop's deadline, with deadline propagation
	stopped  bool       // the run is over: frames start no new step
}

// hopCall is one call of a step, resolved to its edge.
type hopCall struct {
	Call
	edge *CallEdge
	op   int16 // the callee's operation it names; NoOp: drawn (or passed on)
}

// buildGraph resolves the services' calls into edges with their sidecars.
// It refuses calls that form a cycle.
func (w *World) buildGraph(spec Spec, seed uint64) error {
	any := false
	for _, ss := range spec.Services {
		any = any || len(ss.Calls) > 0
		for _, o := range ss.Operations {
			any = any || len(o.Calls) > 0
		}
	}
	if !any {
		return nil
	}
	g := &graph{plan: make([][][][]hopCall, len(w.Services)), sure: make([][][]bool, len(w.Services))}
	for si, ss := range spec.Services {
		from := w.Services[si]
		if len(ss.Operations) == 0 {
			if err := g.addPlan(w, from, "", ss.Calls, spec, seed); err != nil {
				return err
			}
			continue
		}
		for _, o := range ss.Operations {
			if err := g.addPlan(w, from, " operation "+o.Name, o.Calls, spec, seed); err != nil {
				return err
			}
		}
	}
	if cyc := g.cycle(len(w.Services)); cyc != nil {
		names := ""
		for i, s := range cyc {
			if i > 0 {
				names += " → "
			}
			names += w.Services[s].Name
		}
		return fmt.Errorf("services call each other in a cycle: %s (calls must form a DAG)", names)
	}
	w.graph = g
	w.OnStateChange(w.crashFrames)
	return nil
}

// addPlan resolves the calls of one operation of service from (what
// names it in errors) and appends them to its plan.
func (g *graph) addPlan(w *World, from *Service, what string, calls []Step, spec Spec, seed uint64) error {
	var plan [][]hopCall
	var sures []bool
	for k, step := range calls {
		if len(step) == 0 {
			return fmt.Errorf("service %s%s: step %d has no call", from.Name, what, k+1)
		}
		var hs []hopCall
		sure := true
		for _, c := range step {
			sure = sure && (c.Probability == 0 || c.Probability >= 1)
			if c.Service < 0 || c.Service >= len(w.Services) {
				return fmt.Errorf("service %s%s: calls unknown service %d", from.Name, what, c.Service)
			}
			if !(c.Probability >= 0 && c.Probability <= 1) {
				return fmt.Errorf("service %s%s: call probability must be in [0, 1], got %g", from.Name, what, c.Probability)
			}
			if c.Timeout < 0 {
				return fmt.Errorf("service %s%s: call timeout must not be negative", from.Name, what)
			}
			to := w.Services[c.Service]
			op := int16(NoOp)
			if c.Operation != "" {
				var err error
				if op, err = to.operation(c.Operation); err != nil {
					return fmt.Errorf("service %s%s: %w", from.Name, what, err)
				}
			}
			hs = append(hs, hopCall{Call: c, edge: g.edge(w, from, to, spec, seed), op: op})
		}
		plan = append(plan, hs)
		sures = append(sures, sure)
	}
	g.plan[from.ID] = append(g.plan[from.ID], plan)
	g.sure[from.ID] = append(g.sure[from.ID], sures)
	return nil
}

// edge returns the edge from → to, making it and its sidecars on first use.
func (g *graph) edge(w *World, from, to *Service, spec Spec, seed uint64) *CallEdge {
	for _, e := range g.edges {
		if e.From == from && e.To == to {
			return e
		}
	}
	name := from.Name + "->" + to.Name
	c := &Client{
		ID: -1, Name: name, Target: to,
		Spec:   ClientSpec{Name: name, Service: to.ID, Callers: len(from.Replicas), Place: from.Replicas[0].Place},
		work:   sim.NewStream(seed, "work/"+name),
		assign: sim.NewStream(seed, "assign/"+name),
	}
	for _, rep := range from.Replicas {
		cl := w.newCaller(c, rep.Place, rep.Name+"->"+to.Name, spec, seed)
		c.Callers = append(c.Callers, cl)
	}
	e := &CallEdge{From: from, To: to, Index: len(g.edges), Client: c, coin: sim.NewStream(seed, "calls/"+name)}
	if len(to.Spec.Operations) > 0 {
		e.ops = sim.NewStream(seed, "operations/"+name)
	}
	g.edges = append(g.edges, e)
	return e
}

// cycle returns the services of a call cycle, or nil when there is none.
func (g *graph) cycle(n int) []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, n)
	var stack []int
	var visit func(s int) []int
	visit = func(s int) []int {
		color[s] = grey
		stack = append(stack, s)
		for _, step := range slices.Concat(g.plan[s]...) {
			for _, c := range step {
				t := c.edge.To.ID
				switch color[t] {
				case grey:
					for i, u := range stack {
						if u == t {
							return append(append([]int(nil), stack[i:]...), t)
						}
					}
				case white:
					if cyc := visit(t); cyc != nil {
						return cyc
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[s] = black
		return nil
	}
	for s := 0; s < n; s++ {
		if color[s] == white {
			if cyc := visit(s); cyc != nil {
				return cyc
			}
		}
	}
	return nil
}

// newCaller makes one sidecar of client c at place, named name (its random
// streams are derived from the name), with the routing's picker and guards
// for c's target, or the target's override.
func (w *World) newCaller(c *Client, place PlaceID, name string, spec Spec, seed uint64) *Caller {
	svc := c.Target
	routing := &w.routing
	cl := &Caller{
		ID: int32(len(w.Callers)), Client: c, Place: place,
		inflight: newLoadCounts(len(svc.Replicas)), healthy: make([]int, len(svc.Clusters)),
		prio: w.share.priorities(spec.Places, place, svc),
	}
	newPicker, guards := routing.Caller, routing.Guards
	o, ok := routing.PerService[c.Name] // a call edge's, FROM->TO
	if !ok || c.ID >= 0 {
		o, ok = routing.PerService[svc.Name]
	}
	if ok {
		if o.Caller != nil {
			newPicker = o.Caller
		}
		if o.Guards != nil {
			guards = o.Guards
		}
		cl.pol, cl.hedge = o.Retry, o.Hedge
	}
	cl.Picker = newPicker(sim.NewStream(seed, "picker/"+name))
	cl.all = hostView{w: w, c: cl, svc: svc, hosts: w.share.hosts(svc), cluster: -1}
	for ci := range svc.Clusters {
		cl.views = append(cl.views, hostView{w: w, c: cl, svc: svc, hosts: svc.Clusters[ci].Replicas, cluster: ci})
		cl.healthy[ci] = svc.Clusters[ci].Up
	}
	svc.callers = append(svc.callers, cl)
	if ph, ok := cl.Picker.(PanicHandler); ok {
		ph.SetPanicThreshold(routing.PanicThreshold)
		cl.ownPanic = true
	}
	cl.rng = sim.NewStream(seed, "retry/"+name)
	for gi, ng := range guards {
		g := ng(guardEnv{w: w, c: cl}, sim.NewStream(seed, fmt.Sprintf("guard/%s/%d", name, gi)))
		cl.guards = append(cl.guards, g)
		if t, ok := g.(Ticker); ok && t.Interval() > 0 {
			w.tickers = append(w.tickers, t)
		}
	}
	fb, _ := cl.Picker.(ResponseObserver)
	w.fb = append(w.fb, fb)
	fbk, _ := cl.Picker.(FallbackReporter)
	w.fbk = append(w.fbk, fbk)
	w.Callers = append(w.Callers, cl)
	return cl
}

// policy is the retry policy caller c applies.
func (w *World) policy(c *Caller) *RetryPolicy {
	if c.pol != nil {
		return c.pol
	}
	return &w.routing.Retry
}

// validatePerService checks the per-service overrides, in name order, and
// gives r its own copy of them with retry attempts defaulted to 1.
func (r *Routing) validatePerService() error {
	if r.PerService == nil {
		return nil
	}
	own := make(map[string]ServiceRouting, len(r.PerService))
	for _, name := range slices.Sorted(maps.Keys(r.PerService)) {
		o := r.PerService[name]
		own[name] = o
		if o.Retry == nil {
			continue
		}
		p := *o.Retry
		if p.Attempts == 0 {
			p.Attempts = 1
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("routing for service %s: %w", name, err)
		}
		o.Retry = &p
		own[name] = o
	}
	r.PerService = own
	return nil
}
