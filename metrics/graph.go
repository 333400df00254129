package metrics

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// graphDefs are the metrics of a service graph, reported per service
// (NAME:SERVICE) and per call edge (NAME:FROM->TO) in scenarios whose
// services call each other.
var graphDefs = []Def{
	{"service_request_rate", "1/s", Neutral, "requests to one service per second, from its clients and the services calling it, reported as service_request_rate:SERVICE in scenarios with calls", "issue 11"},
	{"service_success_rate", "ratio", Higher, "fraction of the requests to one service that succeeded, as their callers saw them (retries included), reported as service_success_rate:SERVICE", "issue 11"},
	{"service_latency_p50", "s", Lower, "median latency of one service's responses as their callers saw them, reported as service_latency_p50:SERVICE", "issue 11"},
	{"service_latency_p99", "s", Lower, "99th percentile latency of one service's responses as their callers saw them, reported as service_latency_p99:SERVICE", "issue 11"},
	{"service_amplification", "factor", Lower, "attempts sent to one service per client request: the fan-out and retry amplification of every layer above it, reported as service_amplification:SERVICE", "issue 11"},
	{"service_wasted_work", "ratio", Lower, "fraction of one service's busy slot time (over the whole run) spent serving attempts whose caller had already given up, reported as service_wasted_work:SERVICE", "issue 11"},
	{"call_request_rate", "1/s", Neutral, "calls per second on one call edge, reported as call_request_rate:FROM->TO", "issue 11"},
	{"call_success_rate", "ratio", Higher, "fraction of the calls on one edge that succeeded, reported as call_success_rate:FROM->TO", "issue 11"},
	{"call_latency_p50", "s", Lower, "median latency of the calls on one edge that got a response, reported as call_latency_p50:FROM->TO", "issue 11"},
	{"call_latency_p99", "s", Lower, "99th percentile latency of the calls on one edge that got a response, reported as call_latency_p99:FROM->TO", "issue 11"},
	{"call_attempts_per_call", "factor", Lower, "attempts per call on one edge: 1 plus its retries, the hop's own retry amplification, reported as call_attempts_per_call:FROM->TO", "issue 11"},
	{"call_timeouts", "requests", Lower, "calls on one edge whose timeout fired, reported as call_timeouts:FROM->TO", "issue 11"},
}

// ServiceMetrics are the metrics reported per service (NAME:SERVICE).
var ServiceMetrics = []string{"service_request_rate", "service_success_rate", "service_latency_p50", "service_latency_p99", "service_amplification", "service_wasted_work"}

// CallMetrics are the metrics reported per call edge (NAME:FROM->TO).
var CallMetrics = []string{"call_request_rate", "call_success_rate", "call_latency_p50", "call_latency_p99", "call_attempts_per_call", "call_timeouts"}

// EdgeName is how a call edge is named in metric qualifiers.
func EdgeName(from, to string) string { return from + "->" + to }

// flow is what one service or one call edge saw of its requests.
type flow struct {
	n, ok, attempts, timeouts uint64
	latency                   indexedSketch
}

func newFlow() flow { return flow{latency: newIndexedSketch()} }

// add counts r, whose latency lat is indexed by x.
func (f *flow) add(r *topology.Request, lat float64, x *latencyIndex) {
	f.n++
	f.attempts += uint64(r.Attempts())
	switch r.Outcome {
	case topology.Success:
		f.ok++
	case topology.Timeout:
		f.timeouts++
	}
	if r.Outcome == topology.Success || r.Outcome == topology.Error {
		f.latency.add(lat, x)
	}
}

func (f *flow) reset() {
	f.n, f.ok, f.attempts, f.timeouts = 0, 0, 0, 0
	f.latency.Clear()
}

// merge adds o's requests to f: the same counts, bins and quantiles as
// adding each of them (the sketches share one mapping).
func (f *flow) merge(o *flow) {
	f.n += o.n
	f.ok += o.ok
	f.attempts += o.attempts
	f.timeouts += o.timeouts
	if err := f.latency.MergeWith(o.latency.DDSketch); err != nil {
		panic(err) // every latency sketch is built with one mapping
	}
}

// inflows says, per service, which flows make up what it saw: the
// requests of the clients targeting it and the calls on the edges into
// it. A service's flow is merged from them when it is read, so a request
// goes into one sketch, its entry's or its edge's, not two.
type inflows struct {
	entries [][]int // per service, client IDs
	calls   [][]int // per service, call edge indices
}

func newInflows(w *topology.World) inflows {
	in := inflows{entries: make([][]int, len(w.Services)), calls: make([][]int, len(w.Services))}
	for _, c := range w.Clients {
		in.entries[c.Target.ID] = append(in.entries[c.Target.ID], int(c.ID))
	}
	for _, e := range w.CallEdges() {
		in.calls[e.To.ID] = append(in.calls[e.To.ID], e.Index)
	}
	return in
}

// service merges service s's flow, from entries (by client ID) and
// calls (by edge index), into into, which it resets first.
func (in inflows) service(s int, entries, calls []flow, into *flow) {
	into.reset()
	for _, c := range in.entries[s] {
		into.merge(&entries[c])
	}
	for _, e := range in.calls[s] {
		into.merge(&calls[e])
	}
}

// graphStats is the recorder extension of a world with calls: per service
// and per call edge, the requests generated in the measurement window,
// and with series, each one's time series (graphseries.go).
type graphStats struct {
	w       *topology.World
	cfg     Config
	index   *latencyIndex // one bin index per latency for all the sketches
	in      inflows
	entries []flow       // by client ID: the clients' requests to their targets
	edges   []flow       // by CallEdge.Index
	top     uint64       // client requests in the window
	series  *graphSeries // nil without series
}

func newGraphStats(w *topology.World, cfg Config, index *latencyIndex) *graphStats {
	g := &graphStats{w: w, cfg: cfg, index: index, in: newInflows(w), entries: make([]flow, len(w.Clients)), edges: make([]flow, len(w.CallEdges()))}
	for i := range g.entries {
		g.entries[i] = newFlow()
	}
	for i := range g.edges {
		g.edges[i] = newFlow()
	}
	if cfg.SeriesInterval > 0 {
		g.series = newGraphSeries(w, cfg.SeriesInterval, g.in)
	}
	return g
}

func (g *graphStats) inWindow(r *topology.Request) bool {
	return r.Arrived >= g.cfg.Warmup && r.Arrived < g.cfg.Horizon
}

// RequestEnded implements topology.Observer: a client's request.
func (g *graphStats) RequestEnded(now sim.Time, r *topology.Request) {
	lat := r.Latency().Seconds()
	if g.series != nil && now <= g.cfg.Horizon {
		g.series.requestEnded(r, lat, g.index)
	}
	if !g.inWindow(r) {
		return
	}
	g.top++
	g.entries[r.Client].add(r, lat, g.index)
}

// HopEnded implements topology.HopObserver: a call between services.
func (g *graphStats) HopEnded(now sim.Time, e *topology.CallEdge, r *topology.Request) {
	lat := r.Latency().Seconds()
	if g.series != nil && now <= g.cfg.Horizon {
		g.series.hopEnded(e, r, lat, g.index)
	}
	if !g.inWindow(r) {
		return
	}
	g.edges[e.Index].add(r, lat, g.index)
}

// Columns implements Extension: the graph's series are kept apart (Graph),
// so the run's own series have the same columns with or without calls.
func (g *graphStats) Columns() []Column { return nil }

// Sample implements Extension: it closes the graph series' bucket.
func (g *graphStats) Sample(now sim.Time, width float64, row []float64) []float64 {
	if g.series != nil {
		g.series.sample(now, width)
	}
	return row
}

// Summarize implements Extension.
func (g *graphStats) Summarize(s Summary) {
	window := (g.cfg.Horizon - g.cfg.Warmup).Seconds()
	f := &flow{latency: newIndexedSketch()}
	for i, svc := range g.w.Services {
		g.in.service(i, g.entries, g.edges, f)
		q := ":" + svc.Name
		s["service_request_rate"+q] = float64(f.n) / window
		s["service_success_rate"+q] = ratio(f.ok, f.n)
		s["service_latency_p50"+q] = quantile(f.latency.DDSketch, 0.5)
		s["service_latency_p99"+q] = quantile(f.latency.DDSketch, 0.99)
		s["service_amplification"+q] = ratio(f.attempts, g.top)
		wasted, busy := 0.0, 0.0
		for _, rep := range svc.Replicas {
			wasted += rep.Wasted
			busy += rep.BusyArea(g.w.Eng.Now())
		}
		s["service_wasted_work"+q] = math.NaN()
		if busy > 0 {
			s["service_wasted_work"+q] = wasted / busy
		}
	}
	for i, e := range g.w.CallEdges() {
		f := &g.edges[i]
		q := ":" + EdgeName(e.From.Name, e.To.Name)
		s["call_request_rate"+q] = float64(f.n) / window
		s["call_success_rate"+q] = ratio(f.ok, f.n)
		s["call_latency_p50"+q] = quantile(f.latency.DDSketch, 0.5)
		s["call_latency_p99"+q] = quantile(f.latency.DDSketch, 0.99)
		s["call_attempts_per_call"+q] = ratio(f.attempts, f.n)
		s["call_timeouts"+q] = float64(f.timeouts)
	}
}
