package scenarios_test

import (
	"slices"
	"testing"
)

// three-tier-cascade: without protection the database slowdown blocks
// workers up to the edge, so requests that never need the database fail
// too; timeouts with deadlines, and bulkheads, keep them.
func TestThreeTierCascade(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "three-tier-cascade"))
	none := strategy(t, res, "no-protection").Metrics
	if m := none["route_success_rate:during"].Mean; m > 0.5 {
		t.Errorf("no-protection succeeded for %.3f of requests during the fault; blocked workers should fail far more than the 30%% that need the database", m)
	}
	if m := none["edge_rejection_rate:gw"].Mean; m < 0.05 {
		t.Errorf("no-protection: the edge refused %.3f of requests; it should saturate", m)
	}
	if m := none["service_request_rate:catalog"].Mean; m > 380 {
		t.Errorf("no-protection: catalog got %.1f requests/s; the cascade should starve it", m)
	}
	// The edge's series show it full (400 in progress) and refusing while
	// the database is slow, and nearly empty otherwise.
	for _, run := range strategy(t, res, "no-protection").Runs {
		in, refused := run.Series.Column("edge_in_flight:gw"), run.Series.Column("edge_rejections:gw")
		if in == nil || refused == nil {
			t.Fatal("no edge series")
		}
		if peak := slices.Max(in); peak != 400 {
			t.Errorf("the edge held at most %g requests, want its 400 slots full", peak)
		}
		if slices.Max(refused) < 100 || in[len(in)-1] > 50 {
			t.Errorf("edge refusals peak at %g/s, %g requests at it at the end", slices.Max(refused), in[len(in)-1])
		}
	}
	for _, s := range []string{"timeouts", "bulkheads"} {
		m := strategy(t, res, s).Metrics
		if d := m["route_success_rate:during"].Mean; d < 0.65 {
			t.Errorf("%s succeeded for %.3f of requests during the fault, want ≥ 0.65 (all but those needing orders)", s, d)
		}
		if r := m["edge_rejection_rate:gw"].Mean; r != 0 {
			t.Errorf("%s: the edge refused %.4f of requests, want none", s, r)
		}
		if c := m["service_request_rate:catalog"].Mean; c < 395 {
			t.Errorf("%s: catalog got %.1f requests/s, want nearly the offered 400", s, c)
		}
	}
	for _, c := range res.Checks() {
		if c.Passed == (c.Strategy == "no-protection") {
			t.Errorf("check %s on %s: passed = %v", c.Name, c.Strategy, c.Passed)
		}
	}
}

// metric-poisoning-mesh: sidecars routing on reported load herd onto the
// replica whose exporter lies, and the blocked frontend saturates the
// edge; own outstanding counts and latency-aware picking do not.
func TestMetricPoisoningMesh(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "metric-poisoning-mesh"))
	lured := strategy(t, res, "reported-load").Metrics
	if m := lured["route_success_rate:during"].Mean; m > 0.5 {
		t.Errorf("reported-load succeeded for %.3f of requests during the poisoning; the lure should cascade", m)
	}
	if m := lured["edge_rejection_rate:gw"].Mean; m < 0.05 {
		t.Errorf("reported-load: the edge refused %.3f of requests; blocked frontend workers should saturate it", m)
	}
	for _, s := range []string{"own-count", "peak-ewma"} {
		m := strategy(t, res, s).Metrics
		if d := m["route_success_rate:during"].Mean; d < 0.999 {
			t.Errorf("%s succeeded for %.4f of requests during the poisoning, want ≥ 0.999", s, d)
		}
		if p := m["service_latency_p99:api"].Mean; p > 0.3 {
			t.Errorf("%s: api's p99 %.3f s; the slow replica should be avoided", s, p)
		}
	}
	for _, c := range res.Checks() {
		if c.Passed == (c.Strategy == "reported-load") {
			t.Errorf("check %s on %s: passed = %v", c.Name, c.Strategy, c.Passed)
		}
	}
}
