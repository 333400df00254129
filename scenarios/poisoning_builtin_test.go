package scenarios_test

import "testing"

// TestMetricPoisoningBuiltin (E-F6): a west exporter stuck at 0 s hides a
// brownout there; later east browns out honestly. The naive engine herds
// into west; the checked engine scores west on what its clients see and,
// re-baselining, follows the east brownout; without re-baselining the
// east brownout is locked out.
func TestMetricPoisoningBuiltin(t *testing.T) {
	t.Parallel()
	m := runBuiltin(t, "metric-poisoning")
	during := func(s string) float64 { return m[s]["route_success_rate:during"].Mean }
	if !(during("naive") < 0.8 && during("checked") > 0.85 && during("locked-out") < 0.8) {
		t.Errorf("success during the faults: naive %.3f, checked %.3f, locked-out %.3f; want checked above 85%% and the others below 80%%",
			during("naive"), during("checked"), during("locked-out"))
	}
	for _, s := range []string{"naive", "checked", "locked-out"} {
		if m[s]["route_success_rate:before"].Mean != 1 {
			t.Errorf("%s: %.4f success before the faults, want 1", s, m[s]["route_success_rate:before"].Mean)
		}
	}
}
