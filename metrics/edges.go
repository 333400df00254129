package metrics

import (
	"github.com/DataDog/sketches-go/ddsketch"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// edgeDefs are the metrics of declared edge gateways (topology.edges),
// reported per edge as NAME:EDGE, named like the graph's per-service
// metrics.
var edgeDefs = []Def{
	{"edge_request_rate", "1/s", Neutral, "client requests entering through one declared edge per second, reported as edge_request_rate:EDGE", "issue 11"},
	{"edge_success_rate", "ratio", Higher, "fraction of the requests entering through one edge that succeeded end to end, as their clients saw them, reported as edge_success_rate:EDGE", "issue 11"},
	{"edge_latency_p50", "s", Lower, "median latency of the responses through one edge as clients saw them, reported as edge_latency_p50:EDGE", "issue 11"},
	{"edge_latency_p99", "s", Lower, "99th percentile latency of the responses through one edge as clients saw them, reported as edge_latency_p99:EDGE", "issue 11"},
	{"edge_rejection_rate", "ratio", Lower, "fraction of the requests entering through one edge that it refused because its slots and queue were full (Envoy's overload 503), reported as edge_rejection_rate:EDGE", "issue 11; Envoy overload manager"},
	{"edge_queue_wait", "s", Lower, "mean time the requests one edge answered waited in its queue for a slot, reported as edge_queue_wait:EDGE", "issue 11"},
	{"edge_queue_mean", "requests", Lower, "time-average number of requests waiting in one edge's queues (Little's law: answered requests' waits over the window), reported as edge_queue_mean:EDGE", "issue 11"},
}

// EdgeMetrics are the metrics reported per declared edge (NAME:EDGE).
var EdgeMetrics = []string{"edge_request_rate", "edge_success_rate", "edge_latency_p50", "edge_latency_p99", "edge_rejection_rate", "edge_queue_wait", "edge_queue_mean"}

// edgeFlow is what one edge saw of the requests entering through it.
type edgeFlow struct {
	n, ok, rejected, answered uint64
	bucketRejected            uint64  // refusals since the last series sample, whatever their arrival
	wait                      float64 // seconds waited in the edge's queue by the answered requests
	latency                   *ddsketch.DDSketch
}

// edgeStats is the recorder extension of a world with declared edges.
type edgeStats struct {
	w     *topology.World
	cfg   Config
	nodes []*topology.Service
	flows []edgeFlow
	of    []int // per service ID: index into nodes, or -1
}

func newEdgeStats(w *topology.World, cfg Config) *edgeStats {
	e := &edgeStats{w: w, cfg: cfg, nodes: w.EdgeNodes(), of: make([]int, len(w.Services))}
	for i := range e.of {
		e.of[i] = -1
	}
	for i, s := range e.nodes {
		e.of[s.ID] = i
		e.flows = append(e.flows, edgeFlow{latency: newSketch()})
	}
	return e
}

// RequestEnded implements topology.Observer.
func (e *edgeStats) RequestEnded(_ sim.Time, r *topology.Request) {
	k := e.of[e.w.Clients[r.Client].Target.ID]
	if k < 0 {
		return
	}
	f := &e.flows[k]
	if r.Outcome == topology.Rejected && r.Cause == topology.CauseQueueFull {
		f.bucketRejected++
	}
	if r.Arrived < e.cfg.Warmup || r.Arrived >= e.cfg.Horizon {
		return
	}
	f.n++
	switch r.Outcome {
	case topology.Success:
		f.ok++
	case topology.Rejected:
		if r.Cause == topology.CauseQueueFull {
			f.rejected++
		}
	}
	if r.Outcome == topology.Success || r.Outcome == topology.Error {
		f.latency.Add(r.Latency().Seconds())
		f.answered++
		f.wait += r.Waited.Seconds()
	}
}

// Columns: per edge, the requests at its instances (in progress and
// queued) at the end of each bucket, and its refusals per second.
func (e *edgeStats) Columns() []Column {
	var cols []Column
	for _, n := range e.nodes {
		cols = append(cols, Column{Name: "edge_in_flight:" + n.Name, Unit: "requests"}, Column{Name: "edge_rejections:" + n.Name, Unit: "1/s"})
	}
	return cols
}

// Sample implements Extension.
func (e *edgeStats) Sample(_ sim.Time, width float64, row []float64) []float64 {
	for i, n := range e.nodes {
		in := 0
		for _, r := range n.Replicas {
			in += r.InFlight()
		}
		f := &e.flows[i]
		row = append(row, float64(in), float64(f.bucketRejected)/width)
		f.bucketRejected = 0
	}
	return row
}

// Summarize implements Extension.
func (e *edgeStats) Summarize(s Summary) {
	window := (e.cfg.Horizon - e.cfg.Warmup).Seconds()
	for i, n := range e.nodes {
		f := &e.flows[i]
		q := ":" + n.Name
		s["edge_request_rate"+q] = float64(f.n) / window
		s["edge_success_rate"+q] = ratio(f.ok, f.n)
		s["edge_latency_p50"+q] = quantile(f.latency, 0.5)
		s["edge_latency_p99"+q] = quantile(f.latency, 0.99)
		s["edge_rejection_rate"+q] = ratio(f.rejected, f.n)
		s["edge_queue_wait"+q] = ratioF(f.wait, float64(f.answered))
		s["edge_queue_mean"+q] = f.wait / window
	}
}
