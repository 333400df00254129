package reports

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// headline metrics lead the terminal table, in this order.
var headline = []string{
	"request_rate", "throughput", "route_success_rate",
	"latency_mean", "latency_p50", "latency_p90", "latency_p99", "latency_p999",
	"sojourn_mean", "queue_wait_mean", "wait_probability", "in_flight_mean",
}

// tableMetrics picks the rows of the terminal table (see metricRows).
func tableMetrics(res *scenarios.Result) []string {
	present := map[string]bool{}
	for _, s := range res.Strategies {
		for name := range s.Metrics {
			present[name] = true
		}
	}
	return metricRows(present, decidingMetrics(res.Checks()), func(name string) bool {
		for _, s := range res.Strategies {
			if m, ok := s.Metrics[name]; ok && m.Mean != 0 {
				return false
			}
		}
		return true
	})
}

// briefPhaseMetrics are the per-phase metrics the terminal table shows;
// the JSON, CSV and HTML outputs carry all of them.
var briefPhaseMetrics = []string{"route_success_rate", "latency_p99", "latency_impact", "route_success_delta"}

// inBriefTable reports whether the terminal table shows metric name:
// every metric except phase-qualified ones outside briefPhaseMetrics.
func inBriefTable(name string) bool {
	base, q, ok := strings.Cut(name, ":")
	if !ok {
		return true
	}
	if _, err := metrics.ParsePhase(q); err != nil {
		return true // an SLO's metric
	}
	return slices.Contains(briefPhaseMetrics, base)
}

// metricRows orders the rows of a comparison — the terminal table and the
// HTML report's: the metrics that decide the scenario (lead: its checks'
// and SLOs'), the headline metrics present, then every other metric
// except outcome and failure counters that are zero for every strategy,
// by name, then the phase- and SLO-qualified metrics (orderQualified).
func metricRows(present map[string]bool, lead []string, allZero func(name string) bool) []string {
	var rows, rest, qualified []string
	for _, name := range lead {
		if present[name] && !slices.Contains(rows, name) {
			rows = append(rows, name)
		}
	}
	for _, name := range append(slices.Clone(headline), metrics.EffectiveLatencyMetrics...) {
		if present[name] && !slices.Contains(rows, name) {
			rows = append(rows, name)
		}
	}
	for name := range present {
		switch {
		case slices.Contains(rows, name) || name == "requests_total":
		case strings.Contains(name, ":"):
			qualified = append(qualified, name)
		case (strings.HasPrefix(name, "requests_") || strings.HasPrefix(name, "failures_")) && allZero(name):
		default:
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append(append(rows, rest...), orderQualified(qualified)...)
}

// orderQualified orders SLO metrics (NAME:SLO) by SLO, then phase metrics
// (NAME:PHASE) by phase in time order, each in catalogue order with any
// other names after, by name. The order is total, so the input's (map)
// order never shows.
func orderQualified(names []string) []string {
	rank := func(list []string, base string) int {
		if i := slices.Index(list, base); i >= 0 {
			return i
		}
		return len(list)
	}
	key := func(n string) (int, string, int) {
		base, q, _ := strings.Cut(n, ":")
		if ph, err := metrics.ParsePhase(q); err == nil {
			return 1, strconv.Itoa(int(ph)), rank(metrics.PhaseMetrics, base)
		}
		return 0, q, rank(metrics.SLOMetrics, base)
	}
	slices.SortFunc(names, func(a, b string) int {
		ga, qa, ia := key(a)
		gb, qb, ib := key(b)
		if ga != gb {
			return ga - gb
		}
		if qa != qb {
			return strings.Compare(qa, qb)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	return names
}

// WriteTable writes the human-readable result: a header naming the run,
// then one row per metric and one column per strategy, each cell the mean
// across replications ± the 95% confidence half-width. With several
// strategies the best value of each row is marked with *, by the metric's
// direction.
func WriteTable(w io.Writer, res *scenarios.Result) error {
	sc := res.Scenario
	reqs := 0.0
	for _, s := range res.Strategies {
		for _, v := range s.Metrics["requests_total"].Values {
			reqs += v
		}
	}
	fmt.Fprintf(w, "%s · seed %d · %d replication%s × %v", sc.Name, res.Seed, res.Replications, plural(res.Replications), sc.Duration)
	if sc.Warmup > 0 {
		fmt.Fprintf(w, " (warmup %v)", sc.Warmup)
	}
	fmt.Fprintf(w, " · %s requests measured\n", humanCount(reqs))
	if sc.Description != "" {
		fmt.Fprintf(w, "%s\n", sc.Description)
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "metric\tunit")
	for _, s := range res.Strategies {
		fmt.Fprintf(tw, "\t%s", s.Name)
	}
	fmt.Fprintln(tw)
	hidden, unrankedLatency := 0, false
	deciding := decidingMetrics(res.Checks())
	for _, name := range tableMetrics(res) {
		if !inBriefTable(name) && !slices.Contains(deciding, name) {
			hidden++
			continue
		}
		def, _ := metrics.Describe(name)
		best := -1
		if len(res.Strategies) > 1 {
			best = bestStrategy(res, name, def.Better)
			if latencyUnranked(name, func(i int, m string) []float64 { return res.Strategies[i].Metrics[m].Values }, len(res.Strategies)) {
				unrankedLatency = true
			}
		}
		fmt.Fprintf(tw, "%s\t%s", name, def.Unit)
		for i, s := range res.Strategies {
			cell := formatStat(s.Metrics[name])
			if i == best {
				cell += " *"
			}
			fmt.Fprintf(tw, "\t%s", cell)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Replications > 1 {
		fmt.Fprintln(w, "\nvalues are mean ± 95% confidence half-width across replications")
	}
	if hidden > 0 {
		fmt.Fprintf(w, "%d more metrics per fault phase (before, during, after) are in --json, --out and --html\n", hidden)
	}
	if len(res.Strategies) > 1 && res.Replications > 1 {
		fmt.Fprintln(w, "* best for the metric's direction, and better than every other strategy by a paired 95% interval")
		fmt.Fprintln(w, "  (replications share their random numbers across strategies; `tangle compare` shows the differences)")
	} else if len(res.Strategies) > 1 {
		fmt.Fprintln(w, "* best mean for the metric's direction (one replication: no interval to tell noise from difference)")
	}
	if len(res.Strategies) > 1 && unrankedLatency {
		fmt.Fprintln(w, "latency_* count answered requests only and are not ranked where success rates differ; effective_latency_* count failures at the client's timeout")
	}
	return nil
}

// bestStrategy is the index of the strategy to mark best on a metric: the
// best mean by the metric's direction, provided that with two or more
// replications its paired difference against every other strategy is
// significant (common random numbers make the paired interval the right
// test; overlapping unpaired intervals would hide real differences).
// It is -1 for neutral metrics, ties, undefined values and differences
// within noise.
func bestStrategy(res *scenarios.Result, name string, dir metrics.Direction) int {
	best, _ := markBest(name, dir, func(i int, m string) []float64 { return res.Strategies[i].Metrics[m].Values }, len(res.Strategies))
	return best
}

func formatStat(st metrics.Stat) string {
	if st.N == 0 || math.IsNaN(st.Mean) {
		return "—"
	}
	if st.N < 2 {
		return formatNum(st.Mean, 4)
	}
	return formatNum(st.Mean, 4) + " ± " + formatNum(st.HalfWidth(), 2)
}

// formatNum prints x with about sig significant digits, in plain notation
// for everyday magnitudes.
func formatNum(x float64, sig int) string {
	switch a := math.Abs(x); {
	case x == 0:
		return "0"
	case a >= 1e9 || a < 1e-4:
		return strconv.FormatFloat(x, 'e', sig-1, 64)
	case a >= math.Pow10(sig):
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', sig, 64)
}

func humanCount(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.2fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
