package topology

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// BenchmarkWorld runs 100 replicas behind 100 callers at 10,000 requests/s
// (utilisation 0.9, exponential service with mean 9 ms per replica... ) and
// reports simulated requests per wall-clock second.
func BenchmarkWorld(b *testing.B) {
	spec := Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "api", Replicas: 100, Concurrency: 1, QueueCapacity: Unbounded, ServiceTime: sim.Exponential{M: 0.009}}},
		Clients:  []ClientSpec{{Name: "users", Service: 0, Rate: RateProfile{{0, 10000}}, Callers: 100, Timeout: 5 * sim.Second}},
	}
	b.ReportAllocs()
	var reqs uint64
	for i := 0; i < b.N; i++ {
		w, err := New(spec, Routing{Caller: roundRobin}, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		w.Observe(&tally{})
		w.Start(60 * sim.Second)
		w.Eng.Run(60 * sim.Second)
		w.Drain(sim.Minute)
		reqs += w.Clients[0].Generated
	}
	b.ReportMetric(float64(reqs)/b.Elapsed().Seconds(), "req/s")
}
