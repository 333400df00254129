package metrics

import (
	"math"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// effectiveDefs are latencies that count failures. The latency_* metrics
// describe the requests that got a response, so a strategy that fails
// requests fast (rejections, open breakers, an overloaded queue turning
// callers away) looks fast there; these do not: a failed request counts as
// a wait of its client's timeout — what a user who gets no answer waits
// before giving up — or of its own time when that is longer or the client
// has no timeout. Reports rank latency on these.
var effectiveDefs = []Def{
	{"effective_latency_mean", "s", Lower, "mean time a user waits for a good answer: successes at their latency, failed requests (errors, timeouts, rejections, drops) at the client's timeout, or their own time when longer or when the client has none", ""},
	{"effective_latency_p50", "s", Lower, "median of effective latency (successes at their latency, failures at the client's timeout; DDSketch, 1% relative accuracy)", ""},
	{"effective_latency_p99", "s", Lower, "99th percentile of effective latency (successes at their latency, failures at the client's timeout; DDSketch, 1% relative accuracy)", ""},
}

// EffectiveLatencyMetrics are the names of effectiveDefs.
var EffectiveLatencyMetrics = []string{"effective_latency_mean", "effective_latency_p50", "effective_latency_p99"}

// effectiveStats is the recorder extension that measures effective
// latency over requests generated in the measurement window.
type effectiveStats struct {
	w      *topology.World
	cfg    Config
	sketch indexedSketch
	index  *latencyIndex // the recorder's
	sum    float64
	n      uint64
}

func newEffectiveStats(w *topology.World, cfg Config, index *latencyIndex) *effectiveStats {
	return &effectiveStats{w: w, cfg: cfg, sketch: newIndexedSketch(), index: index}
}

// RequestEnded implements topology.Observer.
func (e *effectiveStats) RequestEnded(_ sim.Time, q *topology.Request) {
	if q.Arrived < e.cfg.Warmup || q.Arrived >= e.cfg.Horizon {
		return
	}
	lat := q.Latency()
	if q.Outcome != topology.Success {
		if int(q.Client) < len(e.w.Clients) {
			lat = max(lat, e.w.Clients[q.Client].Spec.Timeout)
		}
	}
	s := lat.Seconds()
	e.sketch.add(s, e.index)
	e.sum += s
	e.n++
}

// Columns implements Extension: effective latency has no series column.
func (e *effectiveStats) Columns() []Column { return nil }

// Sample implements Extension.
func (e *effectiveStats) Sample(_ sim.Time, _ float64, row []float64) []float64 { return row }

// Summarize implements Extension.
func (e *effectiveStats) Summarize(s Summary) {
	s["effective_latency_mean"] = math.NaN()
	if e.n > 0 {
		s["effective_latency_mean"] = e.sum / float64(e.n)
	}
	s["effective_latency_p50"] = quantile(e.sketch.DDSketch, 0.5)
	s["effective_latency_p99"] = quantile(e.sketch.DDSketch, 0.99)
}
