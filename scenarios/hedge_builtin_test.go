package scenarios_test

import "testing"

// fanout-tail: one slow replica among 200 owns the p99 of a fan-out of
// 20; hedging the fan-out calls, Envoy's way or gRPC's, takes it back for
// about the tenth of the calls to that backend that were late, and the
// checks say so.
func TestFanoutTailHedging(t *testing.T) {
	t.Parallel()
	res := runScenario(t, builtin(t, "fanout-tail"))
	none := strategy(t, res, "no-hedging")
	if m := none.Metrics["latency_p99"].Mean; m < 0.25 {
		t.Errorf("no-hedging p99 %.3f s, want ≥ 0.25 s: the slow replica's 250 ms", m)
	}
	if _, ok := none.Metrics["hedge_rate"]; ok {
		t.Error("no-hedging reports hedge_rate; only worlds that hedge do")
	}
	for _, s := range []string{"envoy-hedge", "grpc-hedge"} {
		m := strategy(t, res, s).Metrics
		if p99 := m["latency_p99"].Mean; p99 > 0.1 {
			t.Errorf("%s p99 %.3f s, want ≤ 0.1 s", s, p99)
		}
		// A tenth of the requests meet b07-3 and hedge that call; the other
		// 19 calls hardly ever pass 40 ms (e^−8 each).
		if h := m["hedge_rate"].Mean; h < 0.1 || h > 0.13 {
			t.Errorf("%s hedge_rate %.3f, want ≈ 0.11", s, h)
		}
		if a := m["service_amplification:b07"].Mean; a < 1.09 || a > 1.13 {
			t.Errorf("%s amplification on b07 %.3f, want ≈ 1.11", s, a)
		}
		if a := m["service_amplification:b01"].Mean; a > 1.005 {
			t.Errorf("%s amplification on b01 %.4f, want ≈ 1: its replicas are fast", s, a)
		}
	}
	failed := map[string]int{}
	for _, c := range res.Checks() {
		if !c.Passed {
			failed[c.Strategy]++
		}
	}
	if failed["no-hedging"] != 1 || failed["envoy-hedge"]+failed["grpc-hedge"] != 0 {
		t.Errorf("failed checks per strategy %v, want the p99 check of no-hedging only", failed)
	}
}
