package scenarios_test

import "testing"

// retry-amplification: retries at every layer overload the database
// during its brownout and after it; edge-only retries and budgets do not,
// and the checks say so.
func TestRetryAmplificationAcrossLayers(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "retry-amplification"))
	every, edge, budgets := strategy(t, res, "every-layer"), strategy(t, res, "edge-only"), strategy(t, res, "budgets")
	if m := every.Metrics["route_success_rate:after"].Mean; m > 0.95 {
		t.Errorf("every-layer succeeded for %.3f of requests after the fault; its overload should outlive it", m)
	}
	if m := every.Metrics["call_attempts_per_call:orders->db"].Mean; m < 1.3 {
		t.Errorf("every-layer made %.2f attempts per call to db, want ≥ 1.3", m)
	}
	if m := edge.Metrics["call_attempts_per_call:orders->db"].Mean; m != 1 {
		t.Errorf("edge-only made %.2f attempts per call to db, want 1: orders does not retry", m)
	}
	for _, s := range []string{"edge-only", "budgets"} {
		if m := strategy(t, res, s).Metrics["route_success_rate:after"].Mean; m < 0.999 {
			t.Errorf("%s succeeded for %.3f of requests after the fault, want recovery", s, m)
		}
	}
	if m := budgets.Metrics["call_attempts_per_call:orders->db"].Mean; m > 1.25 {
		t.Errorf("budgets made %.2f attempts per call to db, want ≤ 1.25", m)
	}
	for _, c := range res.Checks() {
		if c.Passed == (c.Strategy == "every-layer") {
			t.Errorf("check %s on %s: passed = %v", c.Name, c.Strategy, c.Passed)
		}
	}
}
