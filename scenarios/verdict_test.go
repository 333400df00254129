package scenarios

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
)

// A check never passes on a metric without a value: not on one the run
// does not measure, not on one undefined in some replications.
func TestCheckOnMissingValuesFails(t *testing.T) {
	c := Check{Name: "x", Metric: "latency_impact", Max: &Threshold{Text: "1%", Value: 0.01}, On: "mean", metric: "latency_impact"}
	runs := make([]RunResult, 3)
	for _, tc := range []struct {
		name   string
		stat   metrics.Stat
		detail string
	}{
		{"not measured", metrics.Stat{}, "not measured"},
		{"undefined everywhere", metrics.Aggregate([]float64{math.NaN(), math.NaN(), math.NaN()}), "undefined in every replication"},
		{"undefined in one", metrics.Aggregate([]float64{0, math.NaN(), 0}), "undefined in 1 of 3 replications"},
	} {
		s := StrategyResult{Name: "a", Runs: runs, Metrics: map[string]metrics.Stat{}}
		if tc.name != "not measured" {
			s.Metrics["latency_impact"] = tc.stat
		}
		r := c.evaluate(s)
		if r.Passed || !strings.Contains(r.Detail, tc.detail) {
			t.Errorf("%s: passed %v, detail %q; want a failure saying %q", tc.name, r.Passed, r.Detail, tc.detail)
		}
	}
	s := StrategyResult{Name: "a", Runs: runs, Metrics: map[string]metrics.Stat{"latency_impact": metrics.Aggregate([]float64{0, 0.001, 0})}}
	if r := c.evaluate(s); !r.Passed {
		t.Errorf("a defined value within bounds failed: %+v", r)
	}
}

// The impact metrics exist per fault phase only: the bare name is
// rejected with the form that works, and NAME:PHASE (as tangle explain and
// the summary write it) is accepted.
func TestImpactMetricChecks(t *testing.T) {
	base := "name: c\nduration: 10m\ntopology:\n  services: [{name: api, service_time: 1ms}]\n  clients: [{name: u, target: api, rate: 1/s}]\nfaults: [{kind: crash, at: 5m, duration: 1m, target: {service: api}}]\n"
	for _, c := range []struct{ extra, want string }{
		{"checks: [{metric: latency_impact, max: 1%}]", "write latency_impact:during"},
		{"checks: [{metric: route_success_delta, min: -1%}]", "reported per fault phase"},
		{"checks: [{metric: latency_impact, max: 1%, phase: before}]", "no value before the faults"},
		{"checks: [{metric: 'latency_impact:before', max: 1%}]", "no value before the faults"},
		{"checks: [{metric: 'latency_impact:during', max: 1%, phase: after}]", "names phase during, and the check's phase is after"},
		{"checks: [{metric: 'cost_per_request:during', max: 1}]", "to check a phase, use phase"},
	} {
		_, err := Parse("c.yaml", []byte(base+c.extra+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.extra, err, c.want)
		}
	}
	for _, ok := range []string{
		"checks: [{metric: 'latency_impact:during', max: 1%}]",
		"checks: [{metric: latency_impact, max: 1%, phase: after}]",
		"checks: [{metric: 'latency_p99:during', max: 1s}]",
		"checks: [{metric: 'route_success_delta:during', min: -1%, phase: during}]",
	} {
		if _, err := Parse("c.yaml", []byte(base+ok+"\n")); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestLatencyImpactCheckSeesTheFault: the check explain suggests, in the
// form it suggests, fails a strategy whose p95 rises during the fault.
func TestLatencyImpactCheckSeesTheFault(t *testing.T) {
	src := `name: impact
duration: 6m
replications: 2
topology:
  services:
    - {name: api, replicas: 4, concurrency: 4, service_time: {dist: exponential, mean: 10ms}}
  clients:
    - {name: users, target: api, rate: 100/s}
faults:
  - {kind: degradation, at: 2m, duration: 2m, target: {service: api}, params: {extra_latency: 50ms, slowdown: 1}}
checks:
  - {metric: 'latency_impact:during', max: 1%}
`
	sc, err := Parse("impact.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := res.Checks()
	if len(rs) != 1 || rs[0].Passed || !(rs[0].Value > 1) || !strings.Contains(rs[0].Detail, "mean of 2 replications") {
		t.Fatalf("latency_impact:during: %+v; want a failure with the impact measured in both replications", rs)
	}
}

// TestVerdictWithContrasts: a strategy declared expect: fail is a
// contrast — its failures do not fail the run, but its holding every check
// does (the scenario's stated result no longer stands); GateVerdict looks
// at the named strategies only and ignores expect.
func TestVerdictWithContrasts(t *testing.T) {
	r := func(strategy string, passed, expectFail bool) CheckResult {
		return CheckResult{Strategy: strategy, Passed: passed, ExpectFail: expectFail}
	}
	for _, c := range []struct {
		name    string
		results []CheckResult
		want    string
		gate    map[string]string
	}{
		{"no checks", nil, "none", nil},
		{"all held", []CheckResult{r("a", true, false), r("b", true, false)}, "pass", map[string]string{"a": "pass"}},
		{"a candidate failed", []CheckResult{r("a", false, false), r("b", true, false)}, "fail", map[string]string{"a": "fail", "b": "pass"}},
		{"a contrast failed, as stated", []CheckResult{r("a", true, false), r("naive", true, true), r("naive", false, true)}, "pass", map[string]string{"a": "pass", "naive": "fail"}},
		{"a contrast held everything", []CheckResult{r("a", true, false), r("naive", true, true), r("naive", true, true)}, "fail", map[string]string{"a": "pass", "naive": "pass"}},
		{"a gate on a strategy without checks", []CheckResult{r("a", true, false)}, "pass", map[string]string{"b": "none"}},
	} {
		if got := Verdict(c.results); got != c.want {
			t.Errorf("%s: verdict %s, want %s", c.name, got, c.want)
		}
		for g, want := range c.gate {
			if got := GateVerdict(c.results, []string{g}); got != want {
				t.Errorf("%s: --gate %s: %s, want %s", c.name, g, got, want)
			}
		}
	}
}

func TestExpectValidates(t *testing.T) {
	base := "name: c\nduration: 10m\ntopology:\n  services: [{name: api, service_time: 1ms}]\n  clients: [{name: u, target: api, rate: 1/s}]\n"
	if _, err := Parse("c.yaml", []byte(base+"strategies: [{name: a, expect: fial}]\n")); err == nil || !strings.Contains(err.Error(), "did you mean fail?") {
		t.Errorf("expect: fial: %v", err)
	}
	sc, err := Parse("c.yaml", []byte(base+"strategies: [{name: a}, {name: b, expect: fail}]\n"))
	if err != nil || sc.Strategies[0].Expect != "pass" || sc.Strategies[1].Expect != "fail" {
		t.Errorf("expect defaults: %v %+v", err, sc)
	}
}
