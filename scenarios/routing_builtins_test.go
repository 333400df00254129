package scenarios_test

import (
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// strategy returns the named strategy's result.
func strategy(t *testing.T, res *scenarios.Result, name string) scenarios.StrategyResult {
	t.Helper()
	for _, s := range res.Strategies {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no strategy %q", name)
	return scenarios.StrategyResult{}
}

// tailMean is the mean of a series column over its last k buckets,
// averaged over replications.
func tailMean(t *testing.T, s scenarios.StrategyResult, column string, k int) float64 {
	t.Helper()
	sum, n := 0.0, 0
	for _, run := range s.Runs {
		col := run.Series.Column(column)
		if col == nil {
			t.Fatalf("no series column %q", column)
		}
		for _, v := range col[len(col)-k:] {
			sum += v
			n++
		}
	}
	return sum / float64(n)
}

func TestRetryStormIsMetastableAndBudgetPreventsIt(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "retry-storm"))
	naive, budget, none := strategy(t, res, "naive-retries"), strategy(t, res, "retry-budget"), strategy(t, res, "no-retries")
	if m := naive.Metrics["route_success_rate"].Mean; m > 0.3 {
		t.Errorf("naive retries succeeded for %.2f of requests; the storm should sink it below 0.3", m)
	}
	if m := naive.Metrics["retry_amplification"].Mean; m < 2.5 {
		t.Errorf("naive retry amplification %.2f, want ≥ 2.5", m)
	}
	if m := budget.Metrics["route_success_rate"].Mean; m < 0.7 {
		t.Errorf("budgeted retries succeeded for %.2f, want ≥ 0.7", m)
	}
	if m := budget.Metrics["retry_amplification"].Mean; m > 1.3 {
		t.Errorf("budgeted retry amplification %.2f, want ≤ 1.3", m)
	}
	// Metastability: minutes after the brownout, naive retries still fail
	// while the others serve the demand (480/s).
	if tp := tailMean(t, naive, "throughput", 60); tp > 100 {
		t.Errorf("naive retries' last-minute throughput %.0f/s; the storm should persist", tp)
	}
	for _, s := range []scenarios.StrategyResult{budget, none} {
		if tp := tailMean(t, s, "throughput", 60); tp < 430 {
			t.Errorf("%s's last-minute throughput %.0f/s, want recovery to ≥ 430/s", s.Name, tp)
		}
	}
}

// windowMean is the mean of a series column over buckets ending in
// (from, to] seconds, averaged over replications.
func windowMean(t *testing.T, s scenarios.StrategyResult, column string, from, to float64) float64 {
	t.Helper()
	sum, n := 0.0, 0
	for _, run := range s.Runs {
		col := run.Series.Column(column)
		for k, tm := range run.Series.Time {
			if tm > from && tm <= to {
				sum += col[k]
				n++
			}
		}
	}
	return sum / float64(n)
}

func TestOutlierCascade(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "outlier-cascade"))
	base, defaults := strategy(t, res, "no-outlier-detection"), strategy(t, res, "envoy-defaults")
	panic50, noPanic := strategy(t, res, "eject-all-panic-50"), strategy(t, res, "eject-all-no-panic")
	if e := defaults.Metrics["ejected_fraction"].Mean; e != 0 {
		t.Errorf("Envoy's 10%% cap ejected %.3f of 6 hosts; one host is already 17%%", e)
	}
	if f := panic50.Metrics["fallback_rate"].Mean; f < 0.05 {
		t.Errorf("the cascade with a 50%% panic threshold made %.3f panic picks, want ≥ 0.05", f)
	}
	if n := noPanic.Metrics["failures_no_host"].Mean; n < 1000 {
		t.Errorf("with panic disabled, %.0f requests found no healthy upstream; want an outage", n)
	}
	if a, b := noPanic.Metrics["route_success_rate"].Mean, base.Metrics["route_success_rate"].Mean; a > b-0.05 {
		t.Errorf("no-panic success %.3f vs baseline %.3f: the cascade should cost more than the fault", a, b)
	}
	// The outage outlives the fault (2m–3m): in the 30 s after it ends the
	// baseline is back to ~280/s while the no-panic strategy is not.
	if a, b := windowMean(t, noPanic, "throughput", 180, 210), windowMean(t, base, "throughput", 180, 210); a > 0.7*b {
		t.Errorf("throughput just after the fault: no-panic %.0f/s, baseline %.0f/s; ejections should outlast the fault", a, b)
	}
}
