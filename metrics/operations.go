package metrics

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// operationDefs are the metrics of services' operations
// (topology.services[].operations), reported per operation as
// NAME:SERVICE/OPERATION, named like the graph's per-service metrics.
var operationDefs = []Def{
	{"operation_request_rate", "1/s", Neutral, "requests for one operation of a service per second, from its clients and the services calling it, reported as operation_request_rate:SERVICE/OPERATION", "issue 11"},
	{"operation_success_rate", "ratio", Higher, "fraction of the requests for one operation that succeeded, as their callers saw them (retries included), reported as operation_success_rate:SERVICE/OPERATION", "issue 11"},
	{"operation_latency_p50", "s", Lower, "median latency of one operation's responses as their callers saw them, reported as operation_latency_p50:SERVICE/OPERATION", "issue 11"},
	{"operation_latency_p99", "s", Lower, "99th percentile latency of one operation's responses as their callers saw them, reported as operation_latency_p99:SERVICE/OPERATION", "issue 11"},
}

// OperationMetrics are the metrics reported per operation of a service
// (NAME:SERVICE/OPERATION).
var OperationMetrics = []string{"operation_request_rate", "operation_success_rate", "operation_latency_p50", "operation_latency_p99"}

// OperationName is how an operation is named in metric qualifiers.
func OperationName(service, op string) string { return service + "/" + op }

// opStats is the recorder extension of a world whose services have
// operations. A request is counted at the service that serves it: a
// client's at its target (one entering through an edge at the edge's
// target, when the edge's call ends), a call at its callee.
type opStats struct {
	w     *topology.World
	cfg   Config
	index *latencyIndex
	flows [][]flow // per service ID, per operation
}

func newOpStats(w *topology.World, cfg Config, index *latencyIndex) *opStats {
	o := &opStats{w: w, cfg: cfg, index: index, flows: make([][]flow, len(w.Services))}
	for i, s := range w.Services {
		for range s.Spec.Operations {
			o.flows[i] = append(o.flows[i], newFlow())
		}
	}
	return o
}

// hasOperations reports whether any service of w has operations.
func hasOperations(w *topology.World) bool {
	for _, s := range w.Services {
		if len(s.Spec.Operations) > 0 {
			return true
		}
	}
	return false
}

func (o *opStats) add(svc *topology.Service, r *topology.Request) {
	if r.Op < 0 || int(r.Op) >= len(o.flows[svc.ID]) || r.Arrived < o.cfg.Warmup || r.Arrived >= o.cfg.Horizon {
		return
	}
	o.flows[svc.ID][r.Op].add(r, r.Latency().Seconds(), o.index)
}

// RequestEnded implements topology.Observer: a client's request.
func (o *opStats) RequestEnded(_ sim.Time, r *topology.Request) {
	o.add(o.w.Clients[r.Client].Target, r)
}

// HopEnded implements topology.HopObserver: a call between services.
func (o *opStats) HopEnded(_ sim.Time, e *topology.CallEdge, r *topology.Request) { o.add(e.To, r) }

// Columns implements Extension.
func (o *opStats) Columns() []Column { return nil }

// Sample implements Extension.
func (o *opStats) Sample(_ sim.Time, _ float64, row []float64) []float64 { return row }

// Summarize implements Extension.
func (o *opStats) Summarize(s Summary) {
	window := (o.cfg.Horizon - o.cfg.Warmup).Seconds()
	for i, svc := range o.w.Services {
		for k, op := range svc.Spec.Operations {
			f := &o.flows[i][k]
			q := ":" + OperationName(svc.Name, op.Name)
			s["operation_request_rate"+q] = float64(f.n) / window
			s["operation_success_rate"+q] = ratio(f.ok, f.n)
			s["operation_latency_p50"+q] = quantile(f.latency.DDSketch, 0.5)
			s["operation_latency_p99"+q] = quantile(f.latency.DDSketch, 0.99)
		}
	}
}
