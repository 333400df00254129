package scenarios

import (
	"context"
	"math"
	"strings"
	"testing"
)

// detections runs burnScenario with the SLO line replaced and returns each
// alert row's detection time in replication 0, and slo_detection_time.
func detections(t *testing.T, slo string) ([]float64, float64) {
	t.Helper()
	src := strings.Replace(burnScenario, "  - {name: availability, sli: route_success_rate, objective: 99.9%}\n", slo, 1)
	sc, err := Parse("burn.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := res.Strategies[0].Runs[0]
	var out []float64
	for _, a := range run.SLOs[0].Alerts {
		out = append(out, a.Detection)
	}
	return out, run.Summary["slo_detection_time:availability"]
}

// TestScenarioAlertRules: a scenario's own alert rules replace the
// Workbook's, and the seeds' examples are expressible. The crash at 2 h
// makes every request fail (error ratio 1, budget 0.1%):
//   - 20% of the 30-day budget burned in 1 h is burn rate 0.2·720 = 144:
//     the 1 h error ratio reaches 0.144 after 518.4 s;
//   - 2× the allowed errors over 10 minutes fires after 0.002·600 = 1.2 s,
//     and with for: 10m ten minutes later.
//
// Detections are rounded up to the 1 s evaluation grid.
func TestScenarioAlertRules(t *testing.T) {
	got, first := detections(t, `  - name: availability
    sli: route_success_rate
    objective: 99.9%
    alerts:
      - {severity: page, long: 1h, budget: 20%}
      - {severity: ticket, long: 10m, burn_rate: 2}
      - {severity: ticket, long: 10m, burn_rate: 2, for: 10m}
`)
	want := []float64{518.4, 1.2, 601.2}
	for i, w := range want {
		if !(got[i] >= w && got[i] < w+1.01) {
			t.Errorf("rule %d: detection %g s, want %g s rounded up to the evaluation grid", i, got[i], w)
		}
	}
	if first != got[1] {
		t.Errorf("slo_detection_time %g, want the first detection %g", first, got[1])
	}
}

// TestCleanHistory: with history: clean the time before the run counts as
// good at the same rate, so the Workbook's detection times with 100%
// errors hold from the start — 0.001·W·rate: 51.84 s (1h at 14.4),
// 129.6 s (6h at 6), 259.2 s (3d at 1) — where history: observed (the
// default) lets the long windows, holding only 2 h of requests, fire
// sooner (43.46 s and 7.21 s).
func TestCleanHistory(t *testing.T) {
	for _, c := range []struct {
		history string
		want    []float64
	}{
		{"observed", []float64{51.84, 43.46, 7.21}},
		{"clean", []float64{51.84, 129.6, 259.2}},
	} {
		got, first := detections(t, "  - {name: availability, sli: route_success_rate, objective: 99.9%, history: "+c.history+"}\n")
		for i, w := range c.want {
			if !(got[i] >= w && got[i] < w+1.01) {
				t.Errorf("%s: row %d detection %g s, want %g s rounded up", c.history, i, got[i], w)
			}
		}
		if m := math.Min(got[0], math.Min(got[1], got[2])); first != m {
			t.Errorf("%s: slo_detection_time %g, want the earliest row's %g", c.history, first, m)
		}
	}
}

func TestAlertRuleValidation(t *testing.T) {
	base := "name: c\nduration: 10m\ntopology:\n  services: [{name: api, service_time: 1ms}]\n  clients: [{name: u, target: api, rate: 1/s}]\nslos:\n  - name: a\n    sli: route_success_rate\n    objective: 99%\n"
	for _, c := range []struct{ extra, want string }{
		{"    alerts: [{long: 1h}]", "exactly one of burn_rate or budget"},
		{"    alerts: [{long: 1h, burn_rate: 2, budget: 5%}]", "exactly one of burn_rate or budget"},
		{"    alerts: [{long: 1h, short: 2h, burn_rate: 2}]", "at most the long window"},
		{"    alerts: [{long: 1h, burn_rate: 2, severity: pager}]", "did you mean page?"},
		{"    alerts: [{burn_rate: 2}]", "long"},
		{"    history: clen", "did you mean clean?"},
	} {
		_, err := Parse("c.yaml", []byte(base+c.extra+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.extra, err, c.want)
		}
	}
}
