package reports

import (
	"math"
	"slices"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// Which strategy a comparison marks best, shared by the terminal table's *
// and the HTML report's ★:
//
//   - only where the best mean is better than every other strategy's by a
//     paired 95% interval (two or more replications; with one, only a
//     strictly better mean, marked as not established) — so rows where the
//     strategies are equal, or within noise, carry no mark;
//   - latency measured over answered requests only (latency_*,
//     queue_wait_mean, wait_probability) is not ranked when the strategies'
//     success rates differ: a strategy that fails requests fast would look
//     fast. effective_latency_*, which counts failures at the client's
//     timeout, is ranked instead.

// answeredOnly reports whether metric name describes answered requests
// only, so failing fast improves it.
func answeredOnly(name string) bool {
	base, _, _ := strings.Cut(name, ":")
	return strings.HasPrefix(base, "latency_") || base == "queue_wait_mean" || base == "wait_probability"
}

// successKey is the success rate to compare with name's strategies: the
// same phase's when name is phase-qualified.
func successKey(name string) string {
	if _, q, ok := strings.Cut(name, ":"); ok {
		if _, err := metrics.ParsePhase(q); err == nil {
			return "route_success_rate:" + q
		}
	}
	return "route_success_rate"
}

// differ reports whether any two strategies' values differ: by a paired
// 95% interval with two or more replications, else by their means.
func differ(values [][]float64) bool {
	for i := range values {
		for j := i + 1; j < len(values); j++ {
			a, b := values[i], values[j]
			if len(a) >= 2 && len(b) >= 2 {
				if metrics.Paired(a, b).Significant() {
					return true
				}
				continue
			}
			if ma, mb := metrics.Aggregate(a).Mean, metrics.Aggregate(b).Mean; !math.IsNaN(ma) && !math.IsNaN(mb) && ma != mb {
				return true
			}
		}
	}
	return false
}

// latencyUnranked reports whether metric name is an answered-only latency
// that is not ranked because the strategies' success rates differ.
func latencyUnranked(name string, values func(strategy int, metric string) []float64, strategies int) bool {
	if strategies < 2 || !answeredOnly(name) {
		return false
	}
	var sr [][]float64
	for i := range strategies {
		sr = append(sr, values(i, successKey(name)))
	}
	return differ(sr)
}

// markBest returns the index of the strategy to mark best on metric name,
// or −1, and whether the mark is established (two or more replications).
// values holds each strategy's per-replication values of every metric.
func markBest(name string, dir metrics.Direction, values func(strategy int, metric string) []float64, strategies int) (int, bool) {
	if strategies < 2 || dir == metrics.Neutral || latencyUnranked(name, values, strategies) {
		return -1, false
	}
	means := make([]float64, strategies)
	reps := 0
	for i := range strategies {
		st := metrics.Aggregate(values(i, name))
		means[i] = st.Mean
		reps = max(reps, len(st.Values))
	}
	best := bestOf(means, dir)
	if best < 0 {
		return -1, false
	}
	if reps < 2 {
		return best, false
	}
	for i := range strategies {
		if i != best && !metrics.Paired(values(best, name), values(i, name)).Significant() {
			return -1, false
		}
	}
	return best, true
}

// decidingMetrics are the summary keys a scenario's checks and SLOs read,
// in declaration order: the rows that decide its verdict, which lead the
// comparison tables.
func decidingMetrics(results []scenarios.CheckResult) []string {
	var out []string
	for _, r := range results {
		if !slices.Contains(out, r.Metric) {
			out = append(out, r.Metric)
		}
	}
	return out
}

// plain converts a document's values back to float64 (null is NaN).
func plain(xs []Float) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
