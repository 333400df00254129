package scenarios_test

import (
	"github.com/tangle-sim/tangle/sim"
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

func TestStaleHerd(t *testing.T) {
	t.Parallel()
	sc := builtin(t, "stale-herd")
	res := runScenario(t, sc)
	rnd, p2c := strategy(t, res, "random"), strategy(t, res, "p2c")
	jsq, live := strategy(t, res, "shortest-queue"), strategy(t, res, "shortest-queue-live")
	soj := func(s scenarios.StrategyResult) float64 { return s.Metrics["sojourn_mean"].Mean }
	if !(soj(live) < soj(p2c) && soj(p2c) < soj(rnd) && soj(rnd) < soj(jsq)) {
		t.Errorf("mean time in system: live JSQ %.2f, P2C %.2f, random %.2f, stale JSQ %.2f; want that order", soj(live), soj(p2c), soj(rnd), soj(jsq))
	}
	if o := jsq.Metrics["oscillation_index"].Mean; o < 0.9 || o < 1.5*p2c.Metrics["oscillation_index"].Mean {
		t.Errorf("stale shortest-queue oscillation %.3f; it should flap nearly all its traffic at every refresh, far more than P2C", o)
	}
	// The older the board, the worse shortest-queue herds.
	prev := 0.0
	for _, period := range []sim.Time{sim.Second, 3 * sim.Second, 30 * sim.Second} {
		one := *sc
		one.Strategies = []scenarios.Strategy{sc.Strategies[2]}
		one.Topology.Telemetry.Interval = scenarios.Duration(period)
		one.Replications = 2
		s := runScenario(t, &one).Strategies[0].Metrics["sojourn_mean"].Mean
		if s <= prev {
			t.Errorf("shortest-queue with a %v board: %.2f s, not worse than with a fresher one (%.2f s)", period, s, prev)
		}
		prev = s
	}
}

func TestColdStart(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "cold-start"))
	to := func(name string) float64 { return strategy(t, res, name).Metrics["failures_timeout"].Mean }
	if rr, ss := to("round-robin"), to("round-robin-slow-start"); ss > rr/3 {
		t.Errorf("slow start cut round robin's timeouts from %.0f to %.0f; want at least 3×", rr, ss)
	}
	if lr, ss := to("least-request"), to("least-request-slow-start"); ss >= lr {
		t.Errorf("slow start did not help least request: %.0f vs %.0f timeouts", ss, lr)
	}
	if pe := to("peak-ewma"); pe >= to("least-request-slow-start") {
		t.Errorf("peak EWMA, which sees the cold host's latency, timed out %.0f requests; want the fewest", pe)
	}
}

func TestZoneFailoverFollowsEnvoysTable(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "zone-failover"))
	loc, rr := strategy(t, res, "locality-failover"), strategy(t, res, "round-robin")
	zone := map[string][]string{
		"east/a": {"api-0", "api-3", "api-6", "api-9"},
		"east/b": {"api-1", "api-4", "api-7", "api-10"},
		"west/a": {"api-2", "api-5", "api-8", "api-11"},
	}
	share := func(z string, from, to float64) float64 {
		sum := 0.0
		for _, r := range zone[z] {
			sum += windowMean(t, loc, "share:"+r, from, to)
		}
		return sum
	}
	// Buckets are 10 s wide; leave one bucket after each change.
	for _, c := range []struct {
		zone     string
		from, to float64
		want     float64
	}{
		{"east/a", 60, 180, 1},    // all healthy: everything stays in the zone
		{"east/b", 190, 360, 0.3}, // 2 of 4 healthy: 1.4 × 50% = 70% stays (priority.rst)
		{"east/b", 370, 540, 1},   // east/a gone: priority 1 takes it all
		{"west/a", 550, 720, 1},   // east/b gone too: priority 2
	} {
		if got := share(c.zone, c.from, c.to); got < c.want-0.02 || got > c.want+0.02 {
			t.Errorf("share to %s in (%gs, %gs] = %.3f, want %.2f ± 0.02", c.zone, c.from, c.to, got, c.want)
		}
	}
	if a, b := loc.Metrics["latency_mean:before"].Mean, rr.Metrics["latency_mean:before"].Mean; a >= b/2 {
		t.Errorf("before the faults, locality-aware latency %.4f s should be well under round robin's %.4f s", a, b)
	}
	if rr.Metrics["failures_host_down"].Mean < 1000 || rr.Metrics["fallback_rate"].Mean == 0 {
		t.Error("round robin should panic (fewer than 50% healthy) and route to down hosts after 9m")
	}
}

func TestFewHostsLeastRequest(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "few-hosts-least-request"))
	m := func(name, metric string) float64 { return strategy(t, res, name).Metrics[metric].Mean }
	if m("distinct-p2c", "sojourn_mean") != m("full-scan", "sojourn_mean") {
		t.Error("with two hosts, distinct sampling of two is a full scan; the runs should be identical")
	}
	if e, d := m("envoy-p2c", "sojourn_mean"), m("distinct-p2c", "sojourn_mean"); e < 1.05*d {
		t.Errorf("Envoy's P2C with replacement %.3f s vs distinct %.3f s: want it clearly worse with two hosts", e, d)
	}
	if e, r := m("envoy-p2c", "load_imbalance"), m("round-robin", "load_imbalance"); e >= r {
		t.Errorf("least request (%.3f) should still balance better than round robin (%.3f)", e, r)
	}
}
