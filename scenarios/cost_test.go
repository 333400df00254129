package scenarios

import (
	"context"
	"strings"
	"testing"
)

func costOf(t *testing.T, src string) (Cost, *Scenario) {
	t.Helper()
	sc, err := Parse("cost.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc.Cost(0, 1), sc
}

const costBase = "name: c\nduration: 1h\ntopology:\n  services: [{name: api, replicas: 2, service_time: 10ms}]\n  clients: [{name: u, target: api, rate: RATE}]\n"

func TestCostIntegratesTheRateProfile(t *testing.T) {
	c, _ := costOf(t, strings.Replace(costBase, "RATE", "10/s", 1))
	if c.Requests != 36000 || c.Runs != 1 {
		t.Errorf("10/s for 1h: %g requests over %d runs, want 36000 over 1", c.Requests, c.Runs)
	}
	// A spike to 110/s for 10 minutes adds 100/s × 600 s; a ramp from 10/s
	// to 30/s over the last 20 minutes adds 10/s × 1200 s on average.
	c, _ = costOf(t, strings.Replace(costBase, "RATE", "10/s, schedule: [{at: 10m, rate: 110/s, duration: 10m}, {at: 40m, rate: 30/s, ramp: 20m}]", 1))
	if want := 36000.0 + 60000 + 12000; c.Requests != want {
		t.Errorf("spike and ramp: %g requests, want %g", c.Requests, want)
	}
}

// TestCostRefusesWhatCannotFit: the inputs that exhausted memory in
// seconds are refused before running, saying what to change.
func TestCostRefusesWhatCannotFit(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		reps      int
		want      string
	}{
		{"rate 1e12/s", strings.Replace(costBase, "RATE", "1e12/s", 1), 0, "lower the clients' rates"},
		{"100k callers of 100k replicas", strings.Replace(strings.Replace(costBase, "RATE", "1/s, callers: 100000", 1), "replicas: 2", "replicas: 100000", 1), 0, "use fewer replicas or callers"},
		{"series_interval 1ns", strings.Replace(costBase, "RATE", "1/s", 1) + "series_interval: 1ns\n", 0, "widen series_interval"},
		{"1e9 replications", strings.Replace(costBase, "RATE", "10/s", 1), 1e9, "run fewer replications"},
		{"overload with an unbounded queue", strings.Replace(costBase, "RATE", "1e7/s", 1), 0, "bound the queues"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Parse("cost.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			err = sc.Cost(tc.reps, 2).Check(DefaultBudget, sc)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "this run would take about") {
				t.Fatalf("got %v, want a refusal saying %q", err, tc.want)
			}
		})
	}
}

// TestBuiltinsFitTheDefaultBudget: no built-in needs --allow-large.
func TestBuiltinsFitTheDefaultBudget(t *testing.T) {
	for _, b := range Builtins() {
		sc, err := Open(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		c := sc.Cost(0, 4)
		if err := c.Check(DefaultBudget, sc); err != nil {
			t.Errorf("%s: %v", b.Name, err)
		}
		t.Logf("%-28s %4d runs %10.3g requests %10.3g events %10s", b.Name, c.Runs, c.Requests, c.Events, FormatBytes(c.Memory))
	}
}

// TestRunStopsFarOverItsEstimate: what the estimate cannot see (a control
// plane reporting every microsecond) is stopped at 50 times the estimate
// (at least its floor) instead of running for hours.
func TestRunStopsFarOverItsEstimate(t *testing.T) {
	sc, err := Parse("ri.yaml", []byte(strings.Replace(costBase, "RATE", "1/s", 1)+"state:\n  report_interval: 1us\n"))
	if err != nil {
		t.Fatal(err)
	}
	budget := Budget{Events: 2e5} // its share: 2e5 events
	_, err = Run(context.Background(), sc, Options{Workers: 1, Budget: &budget})
	if err == nil || !strings.Contains(err.Error(), "far more than estimated") || !strings.Contains(err.Error(), "--allow-large") {
		t.Fatalf("got %v", err)
	}
}
