package prom

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/tangle-sim/tangle/sim"
)

const (
	requestsName = "istio_requests_total"
	durationName = "istio_request_duration_milliseconds"
)

// Families returns the run as Prometheus metric families, every sample
// stamped with its scrape time: startMs (Unix milliseconds) plus the
// simulated time. A series' samples are contiguous and in time order, as
// OpenMetrics requires.
func (r *Run) Families(startMs int64) []*dto.MetricFamily {
	return r.families(startMs, false)
}

// Snapshot returns the last scrape as metric families without timestamps:
// what the /metrics endpoints would have shown at the end of the run.
func (r *Run) Snapshot() []*dto.MetricFamily {
	return r.families(0, true)
}

func (r *Run) families(startMs int64, last bool) []*dto.MetricFamily {
	from := 0
	if last {
		from = len(r.Times) - 1
	}
	stamp := func(m *dto.Metric, k int) *dto.Metric {
		if !last {
			m.TimestampMs = ptr(startMs + int64(r.Times[k]/sim.Millisecond))
		}
		return m
	}
	reqs := &dto.MetricFamily{Name: ptr(requestsName), Help: ptr("Requests seen by the source's sidecar (Istio standard metric)."), Type: dto.MetricType_COUNTER.Enum()}
	dur := &dto.MetricFamily{Name: ptr(durationName), Help: ptr("Request duration seen by the source's sidecar (Istio standard metric)."), Type: dto.MetricType_HISTOGRAM.Enum()}
	for _, s := range r.Requests {
		for k := from; k < len(s.Points); k++ {
			p := s.Points[k]
			reqs.Metric = append(reqs.Metric, stamp(&dto.Metric{Label: pairs(s.Labels), Counter: &dto.Counter{Value: ptr(float64(p.Count))}}, k))
		}
	}
	for _, s := range r.Requests {
		for k := from; k < len(s.Points); k++ {
			p := s.Points[k]
			h := &dto.Histogram{SampleCount: ptr(p.Count), SampleSum: ptr(p.SumMs)}
			for b, le := range DurationBuckets {
				h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: ptr(le), CumulativeCount: ptr(p.Buckets[b])})
			}
			dur.Metric = append(dur.Metric, stamp(&dto.Metric{Label: pairs(s.Labels), Histogram: h}, k))
		}
	}
	out := []*dto.MetricFamily{reqs, dur}
	byName := map[string]*dto.MetricFamily{}
	for _, g := range r.Gauges {
		f := byName[g.Name]
		if f == nil {
			f = &dto.MetricFamily{Name: ptr(g.Name), Help: ptr(g.Help), Type: dto.MetricType_GAUGE.Enum()}
			byName[g.Name] = f
			out = append(out, f)
		}
		for k := from; k < len(g.Values); k++ {
			f.Metric = append(f.Metric, stamp(&dto.Metric{Label: pairs(g.Labels), Gauge: &dto.Gauge{Value: ptr(g.Values[k])}}, k))
		}
	}
	return out
}

// WriteOpenMetrics writes the run as OpenMetrics text with timestamps
// (startMs plus simulated time), ending with "# EOF": the input of
// `promtool tsdb create-blocks-from openmetrics`.
func WriteOpenMetrics(w io.Writer, r *Run, startMs int64) error {
	for _, f := range r.Families(startMs) {
		if _, err := expfmt.MetricFamilyToOpenMetrics(w, f); err != nil {
			return err
		}
	}
	_, err := expfmt.FinalizeOpenMetrics(w)
	return err
}

// WriteText writes the run's last scrape in the Prometheus text exposition
// format (what `promtool check metrics` lints).
func WriteText(w io.Writer, r *Run) error {
	for _, f := range r.Snapshot() {
		if _, err := expfmt.MetricFamilyToText(w, f); err != nil {
			return err
		}
	}
	return nil
}

// RulesTest is a `promtool test rules` file (Prometheus docs,
// "Unit testing for rules"). Tangle fills one test's input series; the
// user adds rule files and the alerts they expect.
//
// GroupEvalOrder is promtool's group_eval_order: the rule groups in the
// order to evaluate them at each step. Set it whenever one group's alerts
// read another group's recording rules: without it promtool (2.42 and
// later alike) evaluates the groups in an order that changes from run to
// run, so an alert sometimes reads the recorded values of the previous
// evaluation and fires one interval late.
type RulesTest struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval,omitempty"`
	GroupEvalOrder     []string    `yaml:"group_eval_order,omitempty"`
	Tests              []TestGroup `yaml:"tests"`
}

// TestGroup is one entry of a rules test's tests list.
type TestGroup struct {
	Name           string          `yaml:"name,omitempty"`
	Interval       string          `yaml:"interval"`
	InputSeries    []InputSeries   `yaml:"input_series"`
	AlertRuleTests []AlertRuleTest `yaml:"alert_rule_test,omitempty"`
}

// InputSeries is one series of a test's input, values in promtool's
// expanding notation ("0+10x5" is 0 10 20 30 40 50).
type InputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// AlertRuleTest expects the alerts firing for one alert name at one time.
type AlertRuleTest struct {
	EvalTime  string  `yaml:"eval_time"`
	Alertname string  `yaml:"alertname"`
	ExpAlerts []Alert `yaml:"exp_alerts"`
}

// Alert is one expected alert.
type Alert struct {
	ExpLabels      map[string]string `yaml:"exp_labels,omitempty"`
	ExpAnnotations map[string]string `yaml:"exp_annotations,omitempty"`
}

// RulesTest returns a rules test whose one test group carries the run's
// series, sampled every scrape interval from time 0 (promtool's start).
func (r *Run) RulesTest(name string) *RulesTest {
	g := TestGroup{Name: name, Interval: model.Duration(r.Scrape.Duration()).String()}
	add := func(name string, labels []Label, extra *Label, vals []float64) {
		m := model.Metric{model.MetricNameLabel: model.LabelValue(name)}
		for _, l := range labels {
			m[model.LabelName(l.Name)] = model.LabelValue(l.Value)
		}
		if extra != nil {
			m[model.LabelName(extra.Name)] = model.LabelValue(extra.Value)
		}
		g.InputSeries = append(g.InputSeries, InputSeries{Series: m.String(), Values: Expand(vals)})
	}
	for _, s := range r.Requests {
		counts := make([]float64, len(s.Points))
		sums := make([]float64, len(s.Points))
		for k, p := range s.Points {
			counts[k], sums[k] = float64(p.Count), p.SumMs
		}
		add(requestsName, s.Labels, nil, counts)
		for b, le := range append(DurationBuckets, math.Inf(1)) {
			v := counts
			if b < len(DurationBuckets) {
				v = make([]float64, len(s.Points))
				for k, p := range s.Points {
					v[k] = float64(p.Buckets[b])
				}
			}
			add(durationName+"_bucket", s.Labels, &Label{"le", leString(le)}, v)
		}
		add(durationName+"_count", s.Labels, nil, counts)
		add(durationName+"_sum", s.Labels, nil, sums)
	}
	for _, gs := range r.Gauges {
		add(gs.Name, gs.Labels, nil, gs.Values)
	}
	return &RulesTest{RuleFiles: []string{}, Tests: []TestGroup{g}}
}

// WriteRulesTest writes t as YAML after a comment saying how to use it.
func WriteRulesTest(w io.Writer, t *RulesTest, header string) error {
	if header != "" {
		for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			if _, err := fmt.Fprintf(w, "# %s\n", line); err != nil {
				return err
			}
		}
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(t); err != nil {
		return err
	}
	return enc.Close()
}

// leString formats a bucket bound as the Prometheus text format does.
func leString(le float64) string {
	if math.IsInf(le, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(le, 'g', -1, 64)
}

// Expand writes values in promtool's expanding notation: a run of values
// with a constant integer step becomes "a+bxn" (a, a+b, … n steps), other
// values are written as they are.
func Expand(vals []float64) string {
	var parts []string
	for i := 0; i < len(vals); {
		j := i + 1
		step := 0.0
		if j < len(vals) {
			step = vals[j] - vals[i]
		}
		exact := step == math.Trunc(step) && vals[i] == math.Trunc(vals[i]) && math.Abs(vals[i]) < 1<<53
		if !exact {
			step = 0
		}
		for j < len(vals) && vals[j]-vals[j-1] == step && (exact || vals[j] == vals[i]) {
			j++
		}
		n := j - i - 1
		if n == 1 {
			j, n = i+1, 0 // two values read better as they are
		}
		switch {
		case n == 0:
			parts = append(parts, num(vals[i]))
		case step < 0:
			parts = append(parts, fmt.Sprintf("%s-%sx%d", num(vals[i]), num(-step), n))
		default:
			parts = append(parts, fmt.Sprintf("%s+%sx%d", num(vals[i]), num(step), n))
		}
		i = j
	}
	return strings.Join(parts, " ")
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func pairs(ls []Label) []*dto.LabelPair {
	out := make([]*dto.LabelPair, len(ls))
	for i, l := range ls {
		out[i] = &dto.LabelPair{Name: ptr(l.Name), Value: ptr(l.Value)}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
