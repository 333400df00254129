package scenarios

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

const burnScenario = `name: burn
duration: 3h
topology:
  services:
    - {name: api, replicas: 2, concurrency: 4, service_time: 1ms}
  clients:
    - {name: users, target: api, rate: 100/s, arrival: constant}
faults:
  - {kind: crash, at: 2h, duration: 20m, target: {service: api}}
slos:
  - {name: availability, sli: route_success_rate, objective: 99.9%}
checks:
  - {metric: route_success_rate, min: 99%, phase: before}
  - {metric: route_success_rate, min: 50%, phase: during}
  - {metric: latency_p99, max: 10ms}
`

// TestBurnRateDetectionMatchesWorkbook checks the burn-rate alerts against
// the SRE Workbook's detection time: with 100% errors against a 99.9% SLO,
// an alert at burn rate b over a full window W fires after
// (1 − SLO)/error_ratio · W · b = 0.001 · 3600 s · 14.4 = 51.84 s. The
// 6h/30m row's long window holds only the run so far (t < 6 h), so it
// fires when d/(t0 + d) = 0.001 · 6, at d = 0.006 · t0 / 0.994 = 43.46 s.
func TestBurnRateDetectionMatchesWorkbook(t *testing.T) {
	sc, err := Parse("burn.yaml", []byte(burnScenario))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := res.Strategies[0].Runs[0]
	alerts := run.SLOs[0].Alerts
	want := []struct {
		rate, detection float64
	}{{14.4, 51.84}, {6, 43.46}, {1, 7.21}}
	for i, a := range alerts {
		if a.Rate != want[i].rate {
			t.Errorf("row %d burn rate %g, want %g", i, a.Rate, want[i].rate)
		}
		// Alerts are evaluated every second: detection is the formula
		// rounded up to the next evaluation.
		if d := a.Detection; !(d >= want[i].detection && d < want[i].detection+1.01) {
			t.Errorf("row %d (%v/%v at %g): detection %g s, want %g s rounded up to the 1s evaluation grid", i, a.Long, a.Short, a.Rate, d, want[i].detection)
		}
		if len(a.Fired) != 1 {
			t.Errorf("row %d fired %d times, want once (at the crash)", i, len(a.Fired))
		}
	}
	m := run.Summary
	if got := m["slo_compliance:availability"]; math.Abs(got-(1-20.0/180)) > 1e-3 {
		t.Errorf("compliance %g, want 1 - 20m/3h = 0.8889", got)
	}
	// burn = (1 − 0.8889)/0.001 = 111.1; remaining = 1 − 111.1 · 3h/30d.
	if got := m["error_budget_remaining:availability"]; math.Abs(got-(1-111.11*3/720)) > 0.01 {
		t.Errorf("budget remaining %g, want %g", got, 1-111.11*3/720)
	}
	// The first alert of any severity, as the check line shows them: the
	// 3d/6h ticket row, whose long window holds only the run so far.
	if got := m["slo_detection_time:availability"]; got != 8 {
		t.Errorf("slo_detection_time %g, want 8 (the 3d/6h row, the first to fire)", got)
	}
	results := res.Checks()
	var verdicts []string
	for _, r := range results {
		verdicts = append(verdicts, r.Name+"="+map[bool]string{true: "pass", false: "fail"}[r.Passed])
	}
	got := strings.Join(verdicts, " ")
	wantV := "route_success_rate >= 99% before faults=pass route_success_rate >= 50% during faults=fail latency_p99 <= 10ms=pass availability=fail"
	if got != wantV {
		t.Errorf("verdicts\n got %s\nwant %s", got, wantV)
	}
	if Verdict(results) != "fail" {
		t.Error("overall verdict should be fail")
	}
	if s := res.Strategies[0].Runs[0].Series; s.Columns[len(s.Columns)-1].Name != "burn_rate:availability" {
		t.Errorf("series columns %v lack the burn rate", s.Columns)
	}
}

func TestCheckValidation(t *testing.T) {
	base := "name: c\nduration: 10m\ntopology:\n  services: [{name: api, service_time: 1ms}]\n  clients: [{name: u, target: api, rate: 1/s}]\n"
	for _, c := range []struct{ extra, want string }{
		{"checks: [{metric: latency_p99, max: 5}]", "checks[0].max: the metric is in seconds"},
		{"checks: [{metric: latncy_p99, max: 5s}]", "did you mean latency_p99?"},
		{"checks: [{metric: latency_p99}]", "exactly one of max or min"},
		{"checks: [{metric: latency_p99, max: 5s, phase: during}]", "the scenario has no faults"},
		{"checks: [{metric: latency_p99, max: 5s, strategy: rr}]", `unknown strategy "rr"`},
		{"checks: [{metric: slo_compliance, min: 99%}]", "declares no slos"},
		{"slos: [{name: a, sli: latency, objective: 99%}]", "needs a positive threshold"},
		{"slos: [{name: a, sli: availability, objective: 99%}]", "expected one of latency, route_success_rate"},
		{"slos: [{name: a, sli: route_success_rate, objective: 100%}]", "strictly between 0 and 1"},
		{"slos: [{name: a, sli: route_success_rate, objective: 99%}]\nchecks: [{metric: 'slo_compliance:b', min: 99%}]", `unknown SLO "b"`},
	} {
		_, err := Parse("c.yaml", []byte(base+c.extra+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.extra, err, c.want)
		}
	}
}

// TestPhaseAndSLOCollectorsDeterministic runs a scenario with faults and
// an SLO with one worker and with four: every summary, series and alert
// record must be identical.
func TestPhaseAndSLOCollectorsDeterministic(t *testing.T) {
	sc, err := Parse("burn.yaml", []byte(strings.Replace(burnScenario, "duration: 3h", "duration: 3h\nreplications: 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	dump := func(workers int) string {
		res, err := Run(context.Background(), sc, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, s := range res.Strategies {
			for _, r := range s.Runs {
				fmt.Fprintf(&b, "%v\n%v\n%v\n", r.Summary, r.Series.Values, r.SLOs)
			}
		}
		return b.String()
	}
	if a, b := dump(1), dump(4); a != b {
		t.Error("parallel replications differ from sequential ones")
	}
}
