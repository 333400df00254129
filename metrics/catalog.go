package metrics

import "github.com/tangle-sim/tangle/sim"

// Direction says which way a metric improves.
type Direction int8

const (
	Neutral Direction = iota // neither: context (offered load, counts)
	Higher                   // higher is better
	Lower                    // lower is better
)

func (d Direction) String() string {
	switch d {
	case Higher:
		return "higher"
	case Lower:
		return "lower"
	}
	return "neutral"
}

// Better reports whether a is better than b in direction d (false for
// Neutral and for ties).
func (d Direction) Better(a, b float64) bool {
	switch d {
	case Higher:
		return a > b
	case Lower:
		return a < b
	}
	return false
}

// Def describes one metric: its canonical name, unit, direction and a
// one-line definition. Source keys it to the seed documents (E-M1 is metric
// M1 of the entanglement-routing document) where it comes from one.
type Def struct {
	Name        string
	Unit        string // SI: "s", "1/s", "ratio" (a fraction, 0..1), "factor" (a dimensionless multiple, such as max/mean), "requests", "count", "bytes"
	Better      Direction
	Description string
	Source      string
}

// coreDefs are the metrics every run reports.
var coreDefs = []Def{
	{"request_rate", "1/s", Neutral, "requests generated per second over the measurement window (offered load)", ""},
	{"throughput", "1/s", Higher, "requests that ended in success per second of the measurement window", ""},
	{"route_success_rate", "ratio", Higher, "fraction of requests that ended in success", "E-M1"},
	{"requests_total", "requests", Neutral, "requests generated in the measurement window (all of them end: see the outcome counts)", ""},
	{"requests_success", "requests", Higher, "requests that got a response without error", ""},
	{"requests_error", "requests", Lower, "requests that got an error response", ""},
	{"requests_timeout", "requests", Lower, "requests the client gave up on (request timeout)", ""},
	{"requests_rejected", "requests", Lower, "requests a replica refused because its bounded queue was full", ""},
	{"requests_dropped", "requests", Lower, "requests lost: no host to route to, host down, or unfinished at the drain limit", ""},
	{"failures_server_error", "requests", Lower, "failures caused by a replica answering with an error", ""},
	{"failures_timeout", "requests", Lower, "failures caused by the client's request timeout", ""},
	{"failures_try_timeout", "requests", Lower, "failures whose last attempt hit its per-try timeout with no retry left", ""},
	{"failures_queue_full", "requests", Lower, "failures caused by a full replica queue", ""},
	{"failures_circuit_open", "requests", Lower, "failures a caller's guard refused locally (circuit breaker open, overflow)", ""},
	{"failures_no_host", "requests", Lower, "failures caused by the picker finding no healthy host", ""},
	{"failures_host_down", "requests", Lower, "failures caused by the chosen replica being down", ""},
	{"failures_unfinished", "requests", Lower, "requests still in flight when the drain limit ended the run", ""},
	{"latency_mean", "s", Lower, "mean client-observed latency of requests that got a response (success or error)", ""},
	{"latency_p50", "s", Lower, "median response latency (DDSketch, 1% relative accuracy)", ""},
	{"latency_p90", "s", Lower, "90th percentile response latency (DDSketch, 1% relative accuracy)", ""},
	{"latency_p99", "s", Lower, "99th percentile response latency (DDSketch, 1% relative accuracy)", ""},
	{"latency_p999", "s", Lower, "99.9th percentile response latency (DDSketch, 1% relative accuracy)", ""},
	{"latency_max", "s", Lower, "largest response latency", ""},
	{"queue_wait_mean", "s", Lower, "mean time responses spent queued at a replica before service began", ""},
	{"wait_probability", "ratio", Lower, "fraction of responses that queued before service (Erlang C for M/M/c)", ""},
	{"sojourn_mean", "s", Lower, "mean time from generation to end over all requests, whatever their outcome (W in Little's law)", ""},
	{"in_flight_mean", "requests", Lower, "time-average number of requests in the system over the measurement window (L in Little's law)", ""},
}

// catalog is every Def. Each family of metrics lives in its own slice;
// add new families here.
var catalog = sim.NewRegistry(func(d Def) string { return d.Name }, coreDefs, effectiveDefs, routingDefs, sloDefs, decoherenceDefs, dataDefs, controlDefs, recoveryDefs, graphDefs, hedgeDefs, edgeDefs, replicaDefs, operationDefs)

// Catalog returns every metric definition, sorted by name.
func Catalog() []Def { return catalog.All() }

// Lookup returns the definition of the named metric.
func Lookup(name string) (Def, bool) { return catalog.Lookup(name) }
