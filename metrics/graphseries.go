package metrics

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// A service graph's time series: per service and per edge (the clients'
// entries into the graph and the calls between services), what ended in
// each bucket of the run's series, for the report's graph picture and
// per-service charts. They are kept apart from the run's own series
// (Recorder.Series), whose columns do not depend on the graph.

// Graph is a service graph's shape and its series. Its buckets are those
// of the run's series: Time[k] is the end of bucket k in seconds.
type Graph struct {
	Interval sim.Time
	Time     []float64
	Services []GraphFlow // as World.Services
	// Edges are the clients' entries (one per client, Entry set, in client
	// order) followed by the call edges (as World.CallEdges).
	Edges []GraphFlow
}

// GraphFlow is one service or one edge of the graph and its series.
type GraphFlow struct {
	Name     string // the service's name, or FROM->TO
	From, To string // an edge's ends (a client's name for an entry)
	Entry    bool   // an edge from a client into the graph
	// Gateway: for an entry, through the region-picking edge (a client's
	// edge: true); for a service, it is a declared edge gateway
	// (topology.edges), a node with capacity in front of its target.
	Gateway  bool
	Replicas []string // a service's replica names (fault targets name them)
	Series   []GraphSeries
}

// GraphSeries is one series of a service or an edge; NaN where undefined.
type GraphSeries struct {
	Name   string // request_rate, success_rate, latency_p99, …
	Unit   string
	Values []float64
}

// Of returns the values of the named series, or nil.
func (f *GraphFlow) Of(name string) []float64 {
	for _, s := range f.Series {
		if s.Name == name {
			return s.Values
		}
	}
	return nil
}

// flowSeries are the series every service and edge has, in order:
// requests ended per second, the fraction that succeeded (retries
// included, as the caller saw them), their p99 latency (responses only)
// and attempts per request (1 plus retries).
var flowSeries = []Column{
	{Name: "request_rate", Unit: "1/s"},
	{Name: "success_rate", Unit: "ratio"},
	{Name: "latency_p99", Unit: "s"},
	{Name: "attempts_per_call", Unit: "factor"},
	{Name: "timeouts", Unit: "requests"},
}

// ServiceSampler is a per-service series sampled at the end of each
// bucket, such as a replica count: Value reads it from the service.
type ServiceSampler struct {
	Column
	Value func(s *topology.Service) float64
}

// serviceSamplers are the per-service series beyond the flow's own.
// replicas_up is how many of the service's replicas are up (not crashed)
// at the end of the bucket; an autoscaler's replica counts belong here.
var serviceSamplers = []ServiceSampler{
	{Column{Name: "replicas_up", Unit: "replicas"}, func(s *topology.Service) float64 { return float64(s.Up) }},
}

// graphSeries collects the series of a world's graph.
type graphSeries struct {
	w       *topology.World
	out     Graph
	in      inflows
	entries []flow // this bucket's, by client ID
	edges   []flow // this bucket's, by CallEdge.Index
	service flow   // scratch: one service's bucket, merged from the others
}

func newGraphSeries(w *topology.World, interval sim.Time, in inflows) *graphSeries {
	g := &graphSeries{w: w, out: Graph{Interval: interval}, in: in, service: newFlow()}
	series := func(extra []ServiceSampler) []GraphSeries {
		var out []GraphSeries
		for _, c := range flowSeries {
			out = append(out, GraphSeries{Name: c.Name, Unit: c.Unit})
		}
		for _, x := range extra {
			out = append(out, GraphSeries{Name: x.Name, Unit: x.Unit})
		}
		return out
	}
	for _, s := range w.Services {
		f := GraphFlow{Name: s.Name, Gateway: s.Edge, Series: series(serviceSamplers)}
		for _, r := range s.Replicas {
			f.Replicas = append(f.Replicas, r.Name)
		}
		g.out.Services = append(g.out.Services, f)
	}
	for _, c := range w.Clients {
		g.out.Edges = append(g.out.Edges, GraphFlow{Name: EdgeName(c.Name, c.Target.Name), From: c.Name, To: c.Target.Name, Entry: true, Gateway: c.Spec.Edge, Series: series(nil)})
		g.entries = append(g.entries, newFlow())
	}
	for _, e := range w.CallEdges() {
		g.out.Edges = append(g.out.Edges, GraphFlow{Name: EdgeName(e.From.Name, e.To.Name), From: e.From.Name, To: e.To.Name, Series: series(nil)})
		g.edges = append(g.edges, newFlow())
	}
	return g
}

func (g *graphSeries) requestEnded(r *topology.Request, lat float64, x *latencyIndex) {
	g.entries[r.Client].add(r, lat, x)
}

func (g *graphSeries) hopEnded(e *topology.CallEdge, r *topology.Request, lat float64, x *latencyIndex) {
	g.edges[e.Index].add(r, lat, x)
}

// sample closes the bucket that ends at now and lasted width seconds.
func (g *graphSeries) sample(now sim.Time, width float64) {
	g.out.Time = append(g.out.Time, now.Seconds())
	for i, s := range g.w.Services { // before the entries and edges are reset
		out := &g.out.Services[i]
		g.in.service(i, g.entries, g.edges, &g.service)
		appendFlow(out, &g.service, width)
		for k, x := range serviceSamplers {
			out.Series[len(flowSeries)+k].Values = append(out.Series[len(flowSeries)+k].Values, x.Value(s))
		}
	}
	for i := range g.entries {
		appendFlow(&g.out.Edges[i], &g.entries[i], width)
	}
	for i := range g.edges {
		appendFlow(&g.out.Edges[len(g.entries)+i], &g.edges[i], width)
	}
}

// appendFlow appends f's bucket values to out's flow series and resets f.
func appendFlow(out *GraphFlow, f *flow, width float64) {
	rate := 0.0
	if width > 0 {
		rate = float64(f.n) / width
	}
	vals := [...]float64{rate, ratio(f.ok, f.n), quantile(f.latency.DDSketch, 0.99), ratio(f.attempts, f.n), float64(f.timeouts)}
	for k, v := range vals {
		out.Series[k].Values = append(out.Series[k].Values, v)
	}
	f.reset()
}

// Graph returns the run's graph series: nil in a world without calls or
// without series.
func (r *Recorder) Graph() *Graph {
	if r.graph == nil || r.graph.series == nil {
		return nil
	}
	return &r.graph.series.out
}
