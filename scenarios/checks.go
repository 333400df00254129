package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
)

// Check is a threshold on one metric, evaluated after the run on the mean
// across replications (or, with on: ci, on the whole 95% confidence
// interval). Any failed check makes `tangle run` exit with code 1, as a
// failed k6 threshold does. With phase it is a steady-state hypothesis
// checked before, during or after the fault windows (Chaos Toolkit).
type Check struct {
	Name     string     `yaml:"name" doc:"label in reports; default: the metric and bound, such as latency_p99 <= 5s"`
	Metric   string     `yaml:"metric,required" doc:"a metric's canonical name (tangle list metrics); an SLO's metrics as NAME:SLO, such as error_budget_remaining:availability"`
	Max      *Threshold `yaml:"max" doc:"the metric must be at most this (in the metric's unit: a duration for seconds, 99.9% or 0.999 for ratios)"`
	Min      *Threshold `yaml:"min" doc:"the metric must be at least this"`
	Strategy string     `yaml:"strategy" doc:"evaluate on this strategy only; default: every strategy"`
	Phase    string     `yaml:"phase" doc:"before, during or after the fault windows: a steady-state hypothesis on requests generated in that phase; default: the whole measurement window"`
	On       string     `yaml:"on" default:"mean" doc:"mean: the mean across replications must satisfy the bound; ci: the whole 95% confidence interval must (stricter)"`

	metric string // the summary key: metric, or metric:phase
}

// Threshold is a check's bound, written in the unit of its metric and
// read once the metric is known.
type Threshold struct {
	Text  string
	Value float64 // SI units
	node  *yaml.Node
}

func (t *Threshold) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if s, ok := d.scalar(n, path, "a threshold"); ok {
		t.Text, t.node = s, n
	}
}

// SLO is a service level objective with an error budget over a window,
// alerted on with the SRE Workbook's multiwindow, multi-burn-rate alerts
// (1h/5m at 14.4 and 6h/30m at 6 page, 3d/6h at 1 tickets, for a 30d
// window; other windows scale the rates as X·T/W). It is evaluated for
// every strategy; it fails when the run's SLI misses the objective or a
// page-severity alert fired in any replication.
type SLO struct {
	Name       string   `yaml:"name,required" doc:"label in reports and metric names (slo_compliance:NAME)"`
	SLI        string   `yaml:"sli,required" doc:"route_success_rate (good = succeeded) or latency (good = succeeded within threshold)"`
	Objective  Ratio    `yaml:"objective,required" doc:"target fraction of good requests, such as 99.9%"`
	Threshold  Duration `yaml:"threshold" doc:"for sli: latency, the latency under which a successful request is good"`
	Window     Duration `yaml:"window" default:"30d" doc:"the SLO period T over which the error budget (1 − objective) is defined"`
	Evaluation Duration `yaml:"evaluation_interval" default:"1s" doc:"how often the burn-rate alerts are evaluated (a Prometheus rule evaluation interval; Prometheus defaults to 1m)"`
}

// CheckResult is the verdict of one check or SLO on one strategy.
type CheckResult struct {
	Name      string
	Kind      string // threshold, steady-state or slo
	Strategy  string
	Phase     string
	Metric    string
	Op        string // <= or >=
	Threshold float64
	Value     float64 // the mean (or the CI bound with on: ci); NaN when undefined
	Passed    bool
	Detail    string
	// SLO only: each alert row, per replication.
	Alerts []AlertResult
}

// AlertResult is one burn-rate alert row of an SLO across replications.
type AlertResult struct {
	metrics.BurnAlert
	Runs []metrics.AlertRecord // per replication
}

func (sc *Scenario) validateChecks(d *decoder) {
	sloNames := map[string]bool{}
	for i := range sc.SLOs {
		s := &sc.SLOs[i]
		p := index("slos", i)
		if s.Name == "" || strings.ContainsAny(s.Name, ": ") || sloNames[s.Name] {
			d.errorPath(join(p, "name"), "", "must be unique, non-empty and without ':' or spaces, got %q", s.Name)
		}
		sloNames[s.Name] = true
		if _, ok := metrics.SLIs[s.SLI]; !ok {
			d.errorPath(join(p, "sli"), didYouMean(s.SLI, sliNames()), "expected one of %s, got %q", strings.Join(sliNames(), ", "), s.SLI)
		}
		if !(s.Objective > 0 && s.Objective < 1) {
			d.errorPath(join(p, "objective"), "", "must be a ratio strictly between 0 and 1, such as 99.9%%, got %g", float64(s.Objective))
		}
		switch {
		case s.SLI == "latency" && s.Threshold <= 0:
			d.errorPath(join(p, "threshold"), "", "a latency SLO needs a positive threshold, such as 300ms")
		case s.SLI != "latency" && d.has(join(p, "threshold")):
			d.errorPath(join(p, "threshold"), "", "only a latency SLO takes a threshold")
		}
		if !d.has(join(p, "window")) {
			s.Window = Duration(30 * 24 * sim.Hour)
		}
		if !d.has(join(p, "evaluation_interval")) {
			s.Evaluation = Duration(sim.Second)
		}
		if s.Window <= 0 {
			d.errorPath(join(p, "window"), "", "must be positive")
		}
		if s.Evaluation <= 0 {
			d.errorPath(join(p, "evaluation_interval"), "", "must be positive")
		}
	}
	for i := range sc.Checks {
		c := &sc.Checks[i]
		p := index("checks", i)
		if c.On == "" {
			c.On = "mean"
		}
		if c.On != "mean" && c.On != "ci" {
			d.errorPath(join(p, "on"), didYouMean(c.On, []string{"mean", "ci"}), "expected mean or ci, got %q", c.On)
		}
		if c.Strategy != "" && !slices.ContainsFunc(sc.Strategies, func(s Strategy) bool { return s.Name == c.Strategy }) {
			names := sc.strategyNames()
			d.errorPath(join(p, "strategy"), didYouMean(c.Strategy, names), "unknown strategy %q; strategies are %s", c.Strategy, strings.Join(names, ", "))
		}
		c.metric = c.Metric
		def, ok := sc.checkMetric(d, join(p, "metric"), c)
		if c.Phase != "" {
			if _, err := metrics.ParsePhase(c.Phase); err != nil {
				d.errorPath(join(p, "phase"), didYouMean(c.Phase, []string{"before", "during", "after"}), "expected before, during or after, got %q", c.Phase)
			} else if len(sc.Faults) == 0 {
				d.errorPath(join(p, "phase"), "add faults, or drop phase to check the whole run", "a steady-state phase is relative to the fault windows, and the scenario has no faults")
			} else if ok && !slices.Contains(metrics.PhaseMetrics, c.Metric) {
				d.errorPath(join(p, "metric"), didYouMean(c.Metric, metrics.PhaseMetrics), "is not measured per phase; phase metrics are %s", strings.Join(metrics.PhaseMetrics, ", "))
			} else {
				c.metric = c.Metric + ":" + c.Phase
			}
		}
		if (c.Max == nil) == (c.Min == nil) {
			d.errorPath(p, "", "a check needs exactly one of max or min")
			continue
		}
		if !ok {
			continue
		}
		for _, t := range []*Threshold{c.Max, c.Min} {
			if t == nil {
				continue
			}
			v, err := parseThreshold(def.Unit, t.Text)
			if err != nil {
				hint := ""
				if def.Unit == "s" {
					hint = durationHint(t.Text)
				}
				d.errorAt(t.node, join(p, map[bool]string{true: "max", false: "min"}[t == c.Max]), hint, "%v", err)
				continue
			}
			t.Value = v
		}
		if c.Name == "" {
			c.Name = c.defaultName()
		}
	}
}

func sliNames() []string { return []string{"latency", "route_success_rate"} }

func (sc *Scenario) strategyNames() []string {
	var n []string
	for _, s := range sc.Strategies {
		n = append(n, s.Name)
	}
	return n
}

// checkMetric resolves a check's metric name: a catalogue metric, or an
// SLO metric qualified by an SLO's name (the qualifier may be left out
// when the scenario has one SLO).
func (sc *Scenario) checkMetric(d *decoder, path string, c *Check) (metrics.Def, bool) {
	base, qual, qualified := strings.Cut(c.Metric, ":")
	def, ok := metrics.Lookup(base)
	if !ok {
		var names []string
		for _, m := range metrics.Catalog() {
			names = append(names, m.Name)
		}
		d.errorPath(path, didYouMean(base, names), "unknown metric %q; see tangle list metrics", base)
		return def, false
	}
	if handled, ok := sc.checkGraphMetric(d, path, c, base, qual, qualified); handled {
		return def, ok
	}
	if slices.Contains(metrics.TenantMetrics, base) {
		var clients []string
		for _, cl := range sc.Topology.Clients {
			clients = append(clients, cl.Name)
		}
		if !qualified || !slices.Contains(clients, qual) {
			d.errorPath(path, didYouMean(qual, clients), "%s is measured per client: name one as %s:CLIENT (clients are %s)", base, base, strings.Join(clients, ", "))
			return def, false
		}
		c.metric = c.Metric
		return def, true
	}
	isSLO := slices.Contains(metrics.SLOMetrics, base)
	var slos []string
	for _, s := range sc.SLOs {
		slos = append(slos, s.Name)
	}
	switch {
	case isSLO && len(sc.SLOs) == 0:
		d.errorPath(path, "", "%s is measured per SLO, and the scenario declares no slos", base)
		return def, false
	case isSLO && !qualified && len(sc.SLOs) == 1:
		c.Metric = base + ":" + sc.SLOs[0].Name
	case isSLO && !qualified:
		d.errorPath(path, "", "name the SLO: one of %s:%s", base, strings.Join(slos, ", "+base+":"))
		return def, false
	case isSLO && !slices.Contains(slos, qual):
		d.errorPath(path, didYouMean(qual, slos), "unknown SLO %q; SLOs are %s", qual, strings.Join(slos, ", "))
		return def, false
	case !isSLO && qualified:
		d.errorPath(path, "", "%s is not an SLO metric; to check a phase, use phase: before, during or after", base)
		return def, false
	}
	c.metric = c.Metric
	return def, true
}

// parseThreshold reads a bound in a metric's unit.
func parseThreshold(unit, s string) (float64, error) {
	switch unit {
	case "s":
		t, err := ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("the metric is in seconds: %v", err)
		}
		return t.Seconds(), nil
	case "ratio":
		return ParseRatio(s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a number in %s, got %q", unit, s)
	}
	return v, nil
}

func (c *Check) defaultName() string {
	op, t := "<=", c.Max
	if c.Min != nil {
		op, t = ">=", c.Min
	}
	name := c.Metric + " " + op + " " + t.Text
	if c.Phase != "" {
		name += " " + c.Phase + " faults"
	}
	return name
}

// sloSpecs returns the SLOs as metrics specifications.
func (sc *Scenario) sloSpecs() []metrics.SLOSpec {
	var out []metrics.SLOSpec
	for _, s := range sc.SLOs {
		out = append(out, metrics.SLOSpec{
			Name: s.Name, SLI: metrics.SLIs[s.SLI], Objective: float64(s.Objective), Threshold: s.Threshold.T(),
			Period: s.Window.T(), Evaluation: s.Evaluation.T(), Alerts: metrics.WorkbookAlerts(s.Window.T()),
		})
	}
	return out
}

// faultIntervals returns the scheduled fault windows, a fault without a
// duration lasting to the horizon.
func (sc *Scenario) faultIntervals() []metrics.Interval {
	var out []metrics.Interval
	for _, f := range sc.Faults {
		end := sc.Duration.T()
		if f.Duration > 0 {
			end = f.At.T() + f.Duration.T()
		}
		out = append(out, metrics.Interval{Start: f.At.T(), End: end})
	}
	return out
}

// needsPhases reports whether a check reads phase metrics.
func (sc *Scenario) needsPhases() bool {
	return len(sc.Faults) > 0
}

// instrument attaches the collectors checks and SLOs read, beyond the
// core recorder.
func (sc *Scenario) instrument(b *Built) error {
	w := b.World
	if sc.needsPhases() {
		p, err := metrics.NewPhaseRecorder(w, sc.Warmup.T(), sc.Duration.T(), sc.faultIntervals())
		if err != nil {
			return err
		}
		b.Phases = p
	}
	if len(sc.SLOs) > 0 {
		first := sim.Never
		for _, iv := range sc.faultIntervals() {
			first = min(first, iv.Start)
		}
		t, err := metrics.NewSLOTracker(w, sc.sloSpecs(), sc.Warmup.T(), sc.Duration.T(), first, sc.seriesInterval())
		if err != nil {
			return err
		}
		b.SLOs = t
	}
	return nil
}

// Summary is every metric of the run: the core recorder's, the phase
// metrics (NAME:PHASE) when the scenario has faults, and the SLO metrics
// (NAME:SLO).
func (b *Built) Summary() metrics.Summary {
	s := b.Recorder.Summary()
	if b.Phases != nil {
		for k, v := range b.Phases.Summary() {
			s[k] = v
		}
	}
	if b.SLOs != nil {
		for k, v := range b.SLOs.Summary() {
			s[k] = v
		}
	}
	return s
}

// Series is the run's time series: the recorder's columns, then a
// burn_rate:NAME column per SLO.
func (b *Built) Series() *metrics.Series {
	s := b.Recorder.Series()
	if s == nil || b.SLOs == nil || b.SLOs.Series() == nil {
		return s
	}
	return s.Join(b.SLOs.Series())
}

// SLOReports returns the SLOs' alert firings (nil without SLOs).
func (b *Built) SLOReports() []metrics.SLOReport {
	if b.SLOs == nil {
		return nil
	}
	return b.SLOs.Reports()
}

// Checks evaluates every check and SLO of the scenario on every strategy
// it applies to, in declaration order (checks, then SLOs), strategy by
// strategy.
func (res *Result) Checks() []CheckResult {
	sc := res.Scenario
	var out []CheckResult
	for _, c := range sc.Checks {
		for _, s := range res.Strategies {
			if c.Strategy != "" && c.Strategy != s.Name {
				continue
			}
			out = append(out, c.evaluate(s))
		}
	}
	for i, slo := range sc.SLOs {
		for _, s := range res.Strategies {
			out = append(out, evaluateSLO(slo, i, s))
		}
	}
	return out
}

func (c Check) evaluate(s StrategyResult) CheckResult {
	st := s.Metrics[c.metric]
	r := CheckResult{Name: c.Name, Kind: "threshold", Strategy: s.Name, Phase: c.Phase, Metric: c.metric}
	if c.Phase != "" {
		r.Kind = "steady-state"
	}
	v := st.Mean
	if c.Max != nil {
		r.Op, r.Threshold = "<=", c.Max.Value
		if c.On == "ci" {
			v = st.CIHigh
		}
		r.Passed = v <= r.Threshold
	} else {
		r.Op, r.Threshold = ">=", c.Min.Value
		if c.On == "ci" {
			v = st.CILow
		}
		r.Passed = v >= r.Threshold
	}
	r.Value = v
	switch {
	case math.IsNaN(v):
		r.Passed = false
		r.Detail = "undefined in every replication (no requests measured)"
	case c.On == "ci":
		r.Detail = fmt.Sprintf("95%% CI [%g, %g] over %d replications", st.CILow, st.CIHigh, st.N)
	default:
		r.Detail = fmt.Sprintf("mean of %d replications", st.N)
	}
	return r
}

func evaluateSLO(slo SLO, i int, s StrategyResult) CheckResult {
	key := "slo_compliance:" + slo.Name
	st := s.Metrics[key]
	r := CheckResult{Name: slo.Name, Kind: "slo", Strategy: s.Name, Metric: key, Op: ">=", Threshold: float64(slo.Objective), Value: st.Mean}
	r.Passed = st.Mean >= r.Threshold
	paged := make([]bool, len(s.Runs))
	for ai := range s.Runs[0].SLOs[i].Alerts {
		ar := AlertResult{BurnAlert: s.Runs[0].SLOs[i].Alerts[ai].BurnAlert}
		for rep, run := range s.Runs {
			rec := run.SLOs[i].Alerts[ai]
			ar.Runs = append(ar.Runs, rec)
			if rec.Severity == "page" && len(rec.Fired) > 0 {
				paged[rep] = true
			}
		}
		r.Alerts = append(r.Alerts, ar)
	}
	pages := 0
	for _, p := range paged {
		if p {
			pages++
		}
	}
	var why []string
	if math.IsNaN(st.Mean) {
		why = append(why, "no requests measured")
		r.Passed = false
	} else if st.Mean < r.Threshold {
		why = append(why, fmt.Sprintf("SLI %.6g below the objective", st.Mean))
	}
	if pages > 0 {
		r.Passed = false
		why = append(why, fmt.Sprintf("paged in %d of %d replication%s", pages, len(s.Runs), plural(len(s.Runs))))
	}
	r.Detail = strings.Join(why, "; ")
	return r
}

// Verdict is "pass" when every result passed, "fail" when one did not,
// "none" when there are none.
func Verdict(results []CheckResult) string {
	if len(results) == 0 {
		return "none"
	}
	for _, r := range results {
		if !r.Passed {
			return "fail"
		}
	}
	return "pass"
}
