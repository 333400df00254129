package scenarios_test

import "testing"

// autoscale-lag: the HPA reacts a sync and a metric window late and
// holds its peak for the scale-down window; Knative's panic mode reacts
// within a tick; a fixed fleet never lags but always costs. The checks
// fail the HPA alone.
func TestAutoscaleLag(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "autoscale-lag"))
	hpa, kpa, fixed := strategy(t, res, "hpa"), strategy(t, res, "knative-kpa"), strategy(t, res, "over-provisioned")
	if h, k := hpa.Metrics["route_success_rate"].Mean, kpa.Metrics["route_success_rate"].Mean; !(h < k) {
		t.Errorf("hpa success %.3f should be below knative-kpa's %.3f: it reacts later", h, k)
	}
	if m := fixed.Metrics["route_success_rate"].Mean; m < 0.999 {
		t.Errorf("over-provisioned success %.4f, want ≈ 1", m)
	}
	if m := fixed.Metrics["replicas_mean:api"].Mean; m != 14 {
		t.Errorf("over-provisioned replicas_mean %.3f, want exactly 14", m)
	}
	if h, k := hpa.Metrics["replicas_mean:api"].Mean, kpa.Metrics["replicas_mean:api"].Mean; !(k < h) {
		t.Errorf("knative-kpa replicas_mean %.2f should be below hpa's %.2f (hpa holds its peak 300 s)", k, h)
	}
	if m := fixed.Metrics["scale_events:api"].Mean; m != 0 {
		t.Errorf("a fixed count scaled %.0f times", m)
	}
	for _, c := range res.Checks() {
		if c.Passed == (c.Strategy == "hpa") {
			t.Errorf("check %s on %s: passed = %v", c.Name, c.Strategy, c.Passed)
		}
	}
}
