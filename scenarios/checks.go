package scenarios

import (
	"fmt"
	"math"
	"slices"
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
	Metric   string     `yaml:"metric,required" doc:"a metric's canonical name (tangle list metrics); an SLO's metrics as NAME:SLO, such as error_budget_remaining:availability; a phase's as NAME:PHASE, such as latency_impact:during (the same as phase: during). A check on a metric that has no value in some replication fails"`
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
	Name       string      `yaml:"name,required" doc:"label in reports and metric names (slo_compliance:NAME)"`
	SLI        string      `yaml:"sli,required" doc:"route_success_rate (good = succeeded) or latency (good = succeeded within threshold)"`
	Objective  Ratio       `yaml:"objective,required" doc:"target fraction of good requests, such as 99.9%"`
	Threshold  Duration    `yaml:"threshold" doc:"for sli: latency, the latency under which a successful request is good"`
	Window     Duration    `yaml:"window" default:"30d" doc:"the SLO period T over which the error budget (1 − objective) is defined"`
	Evaluation Duration    `yaml:"evaluation_interval" default:"1s" doc:"how often the burn-rate alerts are evaluated (a Prometheus rule evaluation interval; Prometheus defaults to 1m)"`
	Alerts     []AlertRule `yaml:"alerts" doc:"the burn-rate alert rules; default: the SRE Workbook's table 5-8 (page 2% of the budget in 1h/5m, 5% in 6h/30m; ticket 10% in 3d/6h)"`
	History    string      `yaml:"history" default:"observed" doc:"what a window longer than the run so far assumes about the time before it: observed (only the requests measured so far count, so a long window reacts like a short one early on) or clean (the time before was good at the same request rate, so the textbook detection times hold from the start)"`
}

// AlertRule is one burn-rate alert of an SLO: it fires while the error
// budget burns at least as fast as its rate over its long window and (if
// given) its short window, for at least for.
type AlertRule struct {
	Severity string   `yaml:"severity" default:"page" doc:"page or ticket; slo_detection_time counts the first alert of either"`
	Long     Duration `yaml:"long,required" doc:"the long window, such as 1h"`
	Short    Duration `yaml:"short" doc:"the short window that makes the alert reset quickly, such as 5m (the Workbook uses long/12); default: none, a single-window alert"`
	BurnRate float64  `yaml:"burn_rate" doc:"fire at this burn rate: the error ratio over the budget (1 − objective), so 2 is twice the errors the SLO allows; give this or budget"`
	Budget   Ratio    `yaml:"budget" doc:"fire when this share of the SLO window's error budget is spent within the long window, such as 2% in 1h (burn rate = budget × window / long); give this or burn_rate"`
	For      Duration `yaml:"for" doc:"the condition must hold this long before the alert fires (Prometheus for:); default 0"`
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
	// ExpectFail: the strategy is declared expect: fail (a contrast).
	ExpectFail bool
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
		switch s.History {
		case "":
			s.History = "observed"
		case "observed", "clean":
		default:
			d.errorPath(join(p, "history"), didYouMean(s.History, []string{"observed", "clean"}), "expected observed or clean, got %q", s.History)
		}
		for j := range s.Alerts {
			a := &s.Alerts[j]
			ap := index(join(p, "alerts"), j)
			switch a.Severity {
			case "":
				a.Severity = "page"
			case "page", "ticket":
			default:
				d.errorPath(join(ap, "severity"), didYouMean(a.Severity, []string{"page", "ticket"}), "expected page or ticket, got %q", a.Severity)
			}
			if a.Long <= 0 {
				d.errorPath(join(ap, "long"), "", "the long window must be positive, such as 1h")
			}
			if a.Short < 0 || a.Short > a.Long {
				d.errorPath(join(ap, "short"), "", "the short window must be positive and at most the long window (%v)", a.Long.T())
			}
			if a.For < 0 {
				d.errorPath(join(ap, "for"), "", "must not be negative")
			}
			hasRate, hasBudget := d.has(join(ap, "burn_rate")), d.has(join(ap, "budget"))
			switch {
			case hasRate == hasBudget:
				d.errorPath(ap, "burn_rate: 14.4, or budget: 2% (of the error budget spent in the long window)", "an alert needs exactly one of burn_rate or budget")
			case hasRate && !(a.BurnRate > 0):
				d.errorPath(join(ap, "burn_rate"), "", "must be positive, got %g", a.BurnRate)
			case hasBudget && !(a.Budget > 0 && a.Budget <= 1):
				d.errorPath(join(ap, "budget"), "", "must be a share of the error budget in (0, 100%%], got %g", float64(a.Budget))
			}
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
		impact := ok && slices.Contains(metrics.ImpactMetrics, c.Metric)
		phased := append(slices.Clone(metrics.PhaseMetrics), metrics.ImpactMetrics...)
		switch {
		case c.Phase != "":
			if ph, err := metrics.ParsePhase(c.Phase); err != nil {
				d.errorPath(join(p, "phase"), didYouMean(c.Phase, []string{"before", "during", "after"}), "expected before, during or after, got %q", c.Phase)
			} else if len(sc.Faults) == 0 {
				d.errorPath(join(p, "phase"), "add faults, or drop phase to check the whole run", "a steady-state phase is relative to the fault windows, and the scenario has no faults")
			} else if ok && !slices.Contains(phased, c.Metric) {
				d.errorPath(join(p, "metric"), didYouMean(c.Metric, phased), "is not measured per phase; phase metrics are %s", strings.Join(phased, ", "))
			} else if impact && ph == metrics.Before {
				d.errorPath(join(p, "phase"), "use during or after", "%s compares a phase with the pre-fault baseline, so it has no value before the faults", c.Metric)
			} else {
				c.metric = c.Metric + ":" + c.Phase
			}
		case impact:
			// Without a phase the metric has no value at all: reject it
			// rather than let the check pass on nothing.
			d.errorPath(join(p, "metric"), "write "+c.Metric+":during (or add phase: during)", "%s is reported per fault phase, during and after, not for the whole run", c.Metric)
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
	if handled, ok := sc.checkEdgeMetric(d, path, c, base, qual, qualified); handled {
		return def, ok
	}
	if handled, ok := sc.checkReplicaMetric(d, path, c, base, qual, qualified); handled {
		return def, ok
	}
	if handled, ok := sc.checkOperationMetric(d, path, c, base, qual, qualified); handled {
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
		// NAME:PHASE, the name a run's summary and tangle explain use, is
		// the same check as metric: NAME with phase: PHASE.
		if _, err := metrics.ParsePhase(qual); err == nil && (slices.Contains(metrics.PhaseMetrics, base) || slices.Contains(metrics.ImpactMetrics, base)) {
			if c.Phase != "" && c.Phase != qual {
				d.errorPath(path, "", "names phase %s, and the check's phase is %s", qual, c.Phase)
				return def, false
			}
			c.Metric, c.Phase = base, qual
			return def, true
		}
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
	v, err := parseNumber(s)
	if err != nil {
		return 0, fmt.Errorf("expected a finite number in %s, got %q", unit, s)
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
			Period: s.Window.T(), Evaluation: s.Evaluation.T(), Alerts: s.alertRules(), CleanHistory: s.History == "clean",
		})
	}
	return out
}

// alertRules are the SLO's burn-rate alerts: its own, or the Workbook's.
func (s SLO) alertRules() []metrics.BurnAlert {
	if len(s.Alerts) == 0 {
		return metrics.WorkbookAlerts(s.Window.T())
	}
	var out []metrics.BurnAlert
	for _, a := range s.Alerts {
		rate := a.BurnRate
		if a.Budget > 0 {
			// Spending X of the budget in L burns at X·T/L (sloth
			// internal/alert/window.go), rounded as WorkbookAlerts does.
			rate = math.Round(float64(a.Budget)*float64(s.Window.T())/float64(a.Long.T())*1e9) / 1e9
		}
		out = append(out, metrics.BurnAlert{Severity: a.Severity, Long: a.Long.T(), Short: a.Short.T(), Rate: rate, For: a.For.T()})
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
	return sc.attachRecovery(b)
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
	if b.Recovery != nil {
		b.Recovery.Summarize(s)
	} else if b.faultless {
		s["non_recovery"] = 0
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
	expectFail := map[string]bool{}
	for _, s := range sc.Strategies {
		expectFail[s.Name] = s.Expect == "fail"
	}
	var out []CheckResult
	for _, c := range sc.Checks {
		for _, s := range res.Strategies {
			if c.Strategy != "" && c.Strategy != s.Name {
				continue
			}
			r := c.evaluate(s)
			r.ExpectFail = expectFail[s.Name]
			out = append(out, r)
		}
	}
	for i, slo := range sc.SLOs {
		for _, s := range res.Strategies {
			r := evaluateSLO(slo, i, s)
			r.ExpectFail = expectFail[s.Name]
			out = append(out, r)
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
	runs := len(s.Runs)
	switch {
	case st.N == 0 && len(st.Values) == 0:
		// The run has no such metric (its collector was not attached):
		// a check on nothing never passes.
		r.Passed, r.Value = false, math.NaN()
		r.Detail = "not measured in this scenario (no value in any replication)"
	case math.IsNaN(v) || st.N == 0:
		r.Passed, r.Value = false, math.NaN()
		r.Detail = "undefined in every replication (no requests measured)"
	case st.N < runs:
		// A mean over the replications that have a value would hide the
		// ones that have none.
		r.Passed = false
		r.Detail = fmt.Sprintf("undefined in %d of %d replications (mean of the other %d)", runs-st.N, runs, st.N)
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
	if math.IsNaN(st.Mean) || st.N == 0 {
		why = append(why, "no requests measured")
		r.Passed = false
	} else if st.N < len(s.Runs) {
		why = append(why, fmt.Sprintf("no requests measured in %d of %d replications", len(s.Runs)-st.N, len(s.Runs)))
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

// Verdict is the scenario's verdict as the exit code of tangle run reports
// it: "fail" when a check or SLO of a strategy expected to pass failed, or
// when a strategy declared expect: fail held every one of its checks (the
// scenario's stated result no longer stands); "pass" otherwise; "none"
// when there are no results.
func Verdict(results []CheckResult) string {
	if len(results) == 0 {
		return "none"
	}
	for _, r := range results {
		if !r.ExpectFail && !r.Passed {
			return "fail"
		}
	}
	if len(UnexpectedPasses(results)) > 0 {
		return "fail"
	}
	return "pass"
}

// UnexpectedPasses are the strategies declared expect: fail that held
// every check and SLO, in order.
func UnexpectedPasses(results []CheckResult) []string {
	return HeldContrasts(results, func(r CheckResult) (string, bool, bool) { return r.Strategy, r.ExpectFail, r.Passed })
}

// HeldContrasts lists, in order of first appearance, the strategies whose
// items are marked as expected to fail (contrast) and passed every one:
// the contrasts whose stated failure no longer stands. of returns an
// item's strategy, whether it is a contrast's, and whether it passed.
func HeldContrasts[T any](items []T, of func(T) (strategy string, contrast, passed bool)) []string {
	held := map[string]bool{}
	var order []string
	for _, it := range items {
		s, contrast, passed := of(it)
		if !contrast {
			continue
		}
		if _, seen := held[s]; !seen {
			held[s] = true
			order = append(order, s)
		}
		held[s] = held[s] && passed
	}
	var out []string
	for _, s := range order {
		if held[s] {
			out = append(out, s)
		}
	}
	return out
}

// GateVerdict is the verdict of the named strategies alone, whatever the
// scenario expects of them: "fail" when any of their checks or SLOs
// failed, "pass" when all held, "none" when they have none. It is what
// tangle run --gate exits on, so a CI gate on one strategy is exact.
func GateVerdict(results []CheckResult, strategies []string) string {
	v := "none"
	for _, r := range results {
		if !slices.Contains(strategies, r.Strategy) {
			continue
		}
		if !r.Passed {
			return "fail"
		}
		v = "pass"
	}
	return v
}
