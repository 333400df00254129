package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/tangle-sim/tangle/metrics"
)

// The HTML report's time-series and audit sections, and reading a
// document back.

// ---- time series ----

type seriesView struct {
	Caption string
	Charts  []chartRef
	Shares  []chartRef
	Missing []string
}

// column is one series column across strategies.
type column struct {
	name, unit string
}

func newSeries(doc *Summary, o HTMLOptions, cs *chartSet) *seriesView {
	v := &seriesView{}
	var cols []column
	seen := map[string]bool{}
	runs := make([]*RunDoc, len(doc.Strategies))
	interval := 0.0
	for i := range doc.Strategies {
		r := runOf(&doc.Strategies[i], o.Replication)
		if r == nil || r.Series == nil {
			v.Missing = append(v.Missing, doc.Strategies[i].Name)
			continue
		}
		runs[i] = r
		interval = r.Series.IntervalS
		for _, c := range r.Series.Columns {
			if !seen[c.Name] {
				seen[c.Name] = true
				cols = append(cols, column{c.Name, c.Unit})
			}
		}
	}
	bands := seriesBands(doc, runs)
	get := func(i int, name string) (x, y []float64, ok bool) {
		r := runs[i]
		if r == nil {
			return nil, nil, false
		}
		vals, ok := r.Series.Values[name]
		if !ok {
			return nil, nil, false
		}
		x = make([]float64, len(r.Series.Time))
		y = make([]float64, len(r.Series.Time))
		for k := range x {
			x[k] = float64(r.Series.Time[k])
			y[k] = math.NaN()
			if k < len(vals) {
				y[k] = float64(vals[k])
			}
		}
		return x, y, true
	}
	// lines of one column, one per strategy, downsampled.
	perStrategy := func(name, suffix string, dashed bool) []timeLine {
		var out []timeLine
		for i, s := range doc.Strategies {
			x, y, ok := get(i, name)
			if !ok {
				continue
			}
			x, y = downsample(x, y, o.MaxPoints)
			out = append(out, timeLine{Name: s.Name + suffix, Color: strategyColor(i), Dashed: dashed, X: x, Y: y})
		}
		return out
	}
	unitOf := func(name string) string {
		for _, c := range cols {
			if c.name == name {
				return c.unit
			}
		}
		return ""
	}
	done := map[string]bool{}
	chart := func(title, unit string, lines []timeLine) {
		if len(lines) == 0 {
			return
		}
		yr := yRange{}
		switch unit {
		case "ratio":
			yr = yRange{Max: 1, Scale: true}
		case "s":
			yr = yRange{Log: true}
		}
		v.Charts = append(v.Charts, cs.timeChart(title, unit, doc.DurationS, yr, lines, bands))
	}
	if seen["throughput"] {
		lines := perStrategy("throughput", "", false)
		if seen["request_rate"] {
			for i := range doc.Strategies {
				if x, y, ok := get(i, "request_rate"); ok {
					x, y = downsample(x, y, o.MaxPoints)
					lines = append(lines, timeLine{Name: "offered load", Color: "#999999", Dashed: true, X: x, Y: y})
					done["request_rate"] = true
					break
				}
			}
		}
		chart("Throughput: successes per second (dashed: offered load)", unitOf("throughput"), lines)
		done["throughput"] = true
	}
	if seen["route_success_rate"] {
		chart("Success rate", unitOf("route_success_rate"), perStrategy("route_success_rate", "", false))
		done["route_success_rate"] = true
	}
	if seen["latency_p99"] || seen["latency_p50"] {
		var lines []timeLine
		if seen["latency_p99"] {
			lines = append(lines, perStrategy("latency_p99", " p99", false)...)
		}
		if seen["latency_p50"] {
			lines = append(lines, perStrategy("latency_p50", " p50", true)...)
		}
		chart("Latency: p99 (solid) and p50 (dashed), log scale", "s", lines)
		done["latency_p99"], done["latency_p50"] = true, true
	}
	if seen["in_flight"] {
		chart("In flight: requests in the system", unitOf("in_flight"), perStrategy("in_flight", "", false))
		done["in_flight"] = true
	}
	var shareCols []column
	for _, c := range cols {
		switch {
		case done[c.name]:
		case strings.HasPrefix(c.name, "share:"):
			shareCols = append(shareCols, c)
		default:
			lines := perStrategy(c.name, "", false)
			title := c.name
			if def, ok := metrics.Lookup(c.name); ok {
				title += ": " + def.Description
			}
			if slo, ok := strings.CutPrefix(c.name, "burn_rate:"); ok {
				title = "Error-budget burn rate of SLO " + slo + " (dotted lines: alert firings)"
				addAlertMarks(doc, slo, c.name, lines)
			}
			chart(title, c.unit, lines)
		}
	}
	if len(shareCols) > 0 {
		for i, s := range doc.Strategies {
			var lines []timeLine
			for k, c := range shareCols {
				x, y, ok := get(i, c.name)
				if !ok {
					continue
				}
				x, y = bucketMeans(x, y, o.MaxPoints)
				lines = append(lines, timeLine{Name: strings.TrimPrefix(c.name, "share:"), Color: palette[(k+4)%len(palette)], Area: true, Stack: "share", X: x, Y: y})
			}
			if len(lines) > 0 {
				v.Shares = append(v.Shares, cs.timeChart("Traffic share by backend — "+s.Name, shareCols[0].unit, doc.DurationS, yRange{Min: 0, Max: 1}, lines, bands))
			}
		}
	}
	seed := ""
	for _, r := range runs {
		if r != nil {
			seed = fmt.Sprintf(" (seed %d)", r.Seed)
			break
		}
	}
	v.Caption = fmt.Sprintf("Replication %d%s, in buckets of %s. Lines are strategies; shaded bands are fault windows; grey is the warmup, excluded from the metrics. Drag or scroll to zoom. Series longer than %d points are downsampled (LTTB, extremes kept).",
		o.Replication, seed, formatSeconds(interval), o.MaxPoints)
	return v
}

// seriesBands are the warmup and the distinct fault windows of the shown
// runs.
func seriesBands(doc *Summary, runs []*RunDoc) []band {
	var bands []band
	if doc.WarmupS > 0 {
		bands = append(bands, band{Name: "warmup", Start: 0, End: doc.WarmupS, Color: "rgba(0,0,0,0.05)"})
	}
	colors := faultColorOf(doc)
	seen := map[faultKey]bool{}
	for _, r := range runs {
		if r == nil {
			continue
		}
		for _, f := range r.Faults {
			k := faultKey{f.Index, float64(f.StartS), endOf(f, doc.DurationS)}
			if seen[k] {
				continue
			}
			seen[k] = true
			bands = append(bands, band{Name: f.Kind, Start: k.start, End: k.end, Color: "rgba(" + colors[f.Kind] + ",0.16)", Fault: true})
		}
	}
	return bands
}

// addAlertMarks marks, on each strategy's burn-rate line, when the SLO's
// burn-rate alerts fired.
func addAlertMarks(doc *Summary, slo, column string, lines []timeLine) {
	for li := range lines {
		for _, c := range doc.Checks {
			if c.Strategy != lines[li].Name || c.Kind != "slo" || (c.Name != slo && c.Metric != column) {
				continue
			}
			for _, a := range c.Alerts {
				for _, t := range a.FiredS {
					lines[li].Marks = append(lines[li].Marks, mark{Name: a.Severity, At: float64(t)})
				}
			}
		}
	}
}

// bucketMeans downsamples (x, y) to at most n points by averaging equal
// runs of points, ignoring NaNs. Stacked series use it instead of LTTB:
// every series keeps the same x, and averages of shares still sum to one.
func bucketMeans(x, y []float64, n int) (xs, ys []float64) {
	if len(x) <= n {
		return x, y
	}
	per := (len(x) + n - 1) / n
	for i := 0; i < len(x); i += per {
		end := min(i+per, len(x))
		sum, cnt := 0.0, 0
		for k := i; k < end; k++ {
			if !math.IsNaN(y[k]) {
				sum += y[k]
				cnt++
			}
		}
		m := math.NaN()
		if cnt > 0 {
			m = sum / float64(cnt)
		}
		xs, ys = append(xs, x[end-1]), append(ys, m)
	}
	return xs, ys
}

// ---- audit trail ----

type auditView struct {
	Strategies []auditTable
}

type auditTable struct {
	Name   string
	Total  int
	Shown  int
	Rows   []auditRow
	Legend string
}

type auditRow struct {
	Time, Actor, Decision, Outcome, Detail string
	Inputs                                 []string
}

func newAudit(doc *Summary, o HTMLOptions) *auditView {
	v := &auditView{}
	found := false
	for i := range doc.Strategies {
		s := &doc.Strategies[i]
		r := runOf(s, o.Replication)
		if r == nil || len(r.Audit) == 0 {
			continue
		}
		found = true
		t := auditTable{Name: s.Name, Total: len(r.Audit), Shown: min(len(r.Audit), o.AuditRows)}
		for _, a := range r.Audit[:t.Shown] {
			row := auditRow{Time: formatSeconds(float64(a.TimeS)), Actor: a.Actor, Decision: a.Decision, Outcome: a.Outcome, Detail: a.Detail}
			for _, in := range a.Inputs {
				row.Inputs = append(row.Inputs, fmt.Sprintf("%s = %s (age %s)", in.Signal, formatNum(float64(in.Value), 4), formatSeconds(float64(in.AgeS))))
			}
			t.Rows = append(t.Rows, row)
		}
		v.Strategies = append(v.Strategies, t)
	}
	if !found {
		return nil
	}
	return v
}

// ---- reading ----

// ReadDocument reads a document `tangle report` can render: a summary or
// full results document (summary is set), or a sweep document (sweep is
// set), telling them apart by the "kind" key.
func ReadDocument(r io.Reader) (summary *Summary, sweep *SweepDoc, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	var head struct {
		SchemaVersion int    `json:"schema_version"`
		Kind          string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, fmt.Errorf("not a tangle results document: %w", err)
	}
	if head.Kind == "sweep" {
		if head.SchemaVersion != SchemaVersion {
			return nil, nil, fmt.Errorf("sweep schema version %d; this tangle reads version %d", head.SchemaVersion, SchemaVersion)
		}
		var doc SweepDoc
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, nil, fmt.Errorf("not a tangle sweep document: %w", err)
		}
		return nil, &doc, nil
	}
	doc, err := ReadResults(bytes.NewReader(data))
	return doc, nil, err
}
