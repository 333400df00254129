package metrics

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// TestEffectiveLatencyCountsFailures: a replica that turns most requests
// away at once (queue of 1) answers the few it serves fast, so its
// response latency looks good; effective latency counts every rejection
// at the client's 2 s timeout, so with over half the requests failed its
// median is the timeout.
func TestEffectiveLatencyCountsFailures(t *testing.T) {
	spec := topology.Spec{
		Places:   []topology.Place{{Region: "r", Zone: "a"}},
		Services: []topology.ServiceSpec{{Name: "s", Replicas: 1, Concurrency: 1, QueueCapacity: 1, ServiceTime: sim.Constant{V: 0.1}}},
		Clients:  []topology.ClientSpec{{Name: "c", Service: 0, Rate: topology.RateProfile{{At: 0, Rate: 50}}, Callers: 1, Timeout: 2 * sim.Second}},
	}
	w, err := topology.New(spec, topology.Routing{Caller: firstHost}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(w, Config{Warmup: 10 * sim.Second, Horizon: 100 * sim.Second})
	if err != nil {
		t.Fatal(err)
	}
	w.Start(100 * sim.Second)
	w.Eng.Run(100 * sim.Second)
	w.Drain(sim.Minute)
	s := rec.Summary()
	if !(s["route_success_rate"] < 0.3) {
		t.Fatalf("success rate %g; the scenario should reject most requests", s["route_success_rate"])
	}
	if !(s["latency_p50"] < 0.25) {
		t.Errorf("latency_p50 %g; served requests should be fast", s["latency_p50"])
	}
	if p50 := s["effective_latency_p50"]; math.Abs(p50-2) > 0.02*2 {
		t.Errorf("effective_latency_p50 %g, want the 2 s timeout (most requests failed)", p50)
	}
	// Mean: success fraction × their mean latency + failures × 2 s.
	sr := s["route_success_rate"]
	want := sr*s["latency_mean"] + (1-sr)*2
	if got := s["effective_latency_mean"]; math.Abs(got-want) > 0.01 {
		t.Errorf("effective_latency_mean %g, want %g", got, want)
	}
}
