package reports

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"text/tabwriter"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// CompareDoc compares strategies run on common random numbers: each
// metric's mean and 95% interval per strategy, and each strategy's paired
// difference from the baseline (`tangle compare --json`).
type CompareDoc struct {
	SchemaVersion    int             `json:"schema_version"`
	Kind             string          `json:"kind"` // "compare"
	Tool             Tool            `json:"tool"`
	Scenario         ScenarioInfo    `json:"scenario"`
	Seed             uint64          `json:"seed"`
	Replications     int             `json:"replications"`
	ReplicationSeeds []uint64        `json:"replication_seeds"`
	Baseline         string          `json:"baseline"`
	Strategies       []string        `json:"strategies"` // column order; the baseline first
	Metrics          []CompareMetric `json:"metrics"`    // in table order
	Rerun            string          `json:"rerun"`
}

// CompareMetric is one metric across the strategies.
type CompareMetric struct {
	Name   string        `json:"name"`
	Unit   string        `json:"unit"`
	Better string        `json:"better"`
	Cells  []CompareCell `json:"cells"` // in CompareDoc.Strategies order
}

// CompareCell is one strategy's value of a metric and, except for the
// baseline, its paired difference from the baseline.
type CompareCell struct {
	Strategy string     `json:"strategy"`
	Stat     MetricStat `json:"stat"`
	Diff     *DiffStat  `json:"diff,omitempty"`
}

// DiffStat is the paired difference strategy − baseline over the
// replications (which share their seeds): its mean and 95% Student-t
// interval, and what it means in the metric's direction.
type DiffStat struct {
	Mean    Float `json:"mean"`
	CI95Low Float `json:"ci95_low"`
	CI95Hi  Float `json:"ci95_high"`
	N       int   `json:"n"`
	// Verdict is better or worse when the interval excludes zero (and the
	// metric has a direction), same when it does not, neutral for metrics
	// without a direction, undefined without values.
	Verdict string `json:"verdict"`
}

// NewCompare builds the comparison of res's strategies against baseline
// (a strategy name of res).
func NewCompare(res *scenarios.Result, baseline string, meta Meta) (*CompareDoc, error) {
	base := -1
	for i, s := range res.Strategies {
		if s.Name == baseline {
			base = i
		}
	}
	if base < 0 {
		return nil, fmt.Errorf("no strategy %q", baseline)
	}
	order := []int{base}
	for i := range res.Strategies {
		if i != base {
			order = append(order, i)
		}
	}
	doc := &CompareDoc{
		SchemaVersion: SchemaVersion, Kind: "compare",
		Tool:     Tool{Name: "tangle", Version: meta.Version, Go: runtime.Version()},
		Scenario: scenarioInfo(res.Scenario), Seed: res.Seed, Replications: res.Replications, ReplicationSeeds: res.Seeds,
		Baseline: baseline, Rerun: meta.Rerun,
	}
	for _, i := range order {
		doc.Strategies = append(doc.Strategies, res.Strategies[i].Name)
	}
	for _, name := range tableMetrics(res) {
		def, _ := metrics.Describe(name)
		m := CompareMetric{Name: name, Unit: def.Unit, Better: def.Better.String()}
		b := res.Strategies[base].Metrics[name]
		for k, i := range order {
			s := res.Strategies[i]
			cell := CompareCell{Strategy: s.Name, Stat: metricStat(name, s.Metrics[name])}
			if k > 0 {
				cell.Diff = diffStat(metrics.Paired(s.Metrics[name].Values, b.Values), def.Better)
			}
			m.Cells = append(m.Cells, cell)
		}
		doc.Metrics = append(doc.Metrics, m)
	}
	return doc, nil
}

func diffStat(d metrics.Stat, dir metrics.Direction) *DiffStat {
	ds := &DiffStat{Mean: Float(d.Mean), CI95Low: Float(d.CILow), CI95Hi: Float(d.CIHigh), N: d.N}
	switch {
	case d.N == 0:
		ds.Verdict = "undefined"
	case dir == metrics.Neutral:
		ds.Verdict = "neutral"
	case !d.Significant():
		ds.Verdict = "same"
	case dir.Better(d.Mean, 0):
		ds.Verdict = "better"
	default:
		ds.Verdict = "worse"
	}
	return ds
}

// WriteCompareTable writes the comparison: per metric, the baseline's mean
// ± 95% half-width, then for every other strategy its mean and its paired
// difference from the baseline, marked ▲ when significantly better and ▼
// when significantly worse in the metric's direction.
func WriteCompareTable(w io.Writer, doc *CompareDoc) error {
	fmt.Fprintf(w, "%s · seed %d · %d replication%s · baseline %s\n", doc.Scenario.Name, doc.Seed, doc.Replications, plural(doc.Replications), doc.Baseline)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "metric\tunit")
	for k, s := range doc.Strategies {
		if k == 0 {
			fmt.Fprintf(tw, "\t%s (baseline)", s)
			continue
		}
		fmt.Fprintf(tw, "\t%s\tΔ vs %s (paired 95%% CI)", s, doc.Baseline)
	}
	fmt.Fprintln(tw)
	for _, m := range doc.Metrics {
		fmt.Fprintf(tw, "%s\t%s", m.Name, m.Unit)
		for k, c := range m.Cells {
			fmt.Fprintf(tw, "\t%s", formatDoc(c.Stat))
			if k > 0 {
				fmt.Fprintf(tw, "\t%s", formatDiff(c.Diff))
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n▲ better / ▼ worse than the baseline: the paired 95% interval of the difference excludes 0")
	fmt.Fprintln(w, "(replication r of every strategy uses the same seed, so differences are paired per replication)")
	return nil
}

func formatDoc(m MetricStat) string {
	return formatStat(metrics.Stat{N: m.N, Mean: float64(m.Mean), CILow: float64(m.CI95Low), CIHigh: float64(m.CI95Hi)})
}

func formatDiff(d *DiffStat) string {
	if d == nil || d.N == 0 || math.IsNaN(float64(d.Mean)) {
		return "—"
	}
	s := signed(float64(d.Mean))
	if d.N >= 2 {
		s += " [" + signed(float64(d.CI95Low)) + ", " + signed(float64(d.CI95Hi)) + "]"
	}
	switch d.Verdict {
	case "better":
		s += " ▲"
	case "worse":
		s += " ▼"
	}
	return s
}

func signed(x float64) string {
	if x > 0 {
		return "+" + formatNum(x, 3)
	}
	return formatNum(x, 3)
}
