package topology

import (
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// mm1Customers is how many customers one BenchmarkMM1 op simulates: the
// size of the SimPy comparison (docs/bench/simpy-mm1.sh runs the same
// model in SimPy 3).
const mm1Customers = 1_000_000

// BenchmarkMM1 is M/M/1 with a million customers through the whole world:
// Poisson arrivals at 900/s, one replica with one slot, an unbounded FIFO
// queue and exponential service of mean 1 ms (utilisation 0.9), one caller
// sidecar, and the mean sojourn time summed by an observer. ns/op is wall
// time per million customers; docs/bench/simpy-mm1.sh divides SimPy's by
// it.
func BenchmarkMM1(b *testing.B) {
	const rate = 900.0
	spec := Spec{
		Places:   []Place{{"local", "a"}},
		Services: []ServiceSpec{{Name: "server", Replicas: 1, Concurrency: 1, QueueCapacity: Unbounded, ServiceTime: sim.Exponential{M: 0.001}}},
		Clients:  []ClientSpec{{Name: "customers", Service: 0, Rate: RateProfile{{0, rate}}, Callers: 1}},
	}
	b.ReportAllocs()
	var t *tally
	for i := 0; i < b.N; i++ {
		w, err := New(spec, Routing{Caller: roundRobin}, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		t = &tally{}
		w.Observe(t)
		horizon := sim.Seconds(mm1Customers / rate)
		w.Start(horizon)
		w.Eng.Run(horizon)
		w.Drain(sim.Hour)
		if got := w.Clients[0].Generated; got < mm1Customers*9/10 || uint64(t.measured) != got {
			b.Fatalf("%d customers generated, %d served", got, t.measured)
		}
	}
	// M/M/1 mean sojourn 1/(μ−λ) = 10 ms.
	b.ReportMetric(t.sojourn/float64(t.measured)*1e3, "sojourn-ms")
}
