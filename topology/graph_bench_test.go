package topology

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// graph20 is a 20-service graph of depth 4 (five services per layer): each
// service above the last calls the service below it and, in parallel, its
// neighbour's, so a request makes 1 + 2 + 4 + 8 = 15 hops; 10,000
// top-level requests/s arrive at the first layer. Capacity is ample
// (replicas at about half load) so the benchmark measures the engine and
// the call path, not queues.
func graph20() Spec {
	const layers, width = 4, 5
	spec := Spec{Places: []Place{{"local", "a"}}}
	hops := 1 // hop-requests per top-level request reaching a service of this layer
	for l := 0; l < layers; l++ {
		for k := 0; k < width; k++ {
			s := ServiceSpec{
				Name: fmt.Sprintf("s%d-%d", l, k), Replicas: 4 * hops, Concurrency: 100, QueueCapacity: Unbounded,
				ServiceTime: sim.Exponential{M: 0.005},
			}
			if l+1 < layers {
				next := (l + 1) * width
				s.Calls = []Step{{{Service: next + k}, {Service: next + (k+1)%width}}}
			}
			spec.Services = append(spec.Services, s)
		}
		hops *= 2
	}
	for k := 0; k < width; k++ {
		spec.Clients = append(spec.Clients, ClientSpec{Name: fmt.Sprintf("users-%d", k), Service: k, Rate: RateProfile{{0, 10000 / width}}, Callers: 10, Timeout: 5 * sim.Second})
	}
	return spec
}

// BenchmarkServiceGraph runs graph20 for 10 simulated seconds and reports
// simulated hop-requests (calls between services and the clients'
// requests) per wall-clock second, and per CPU second of the process
// (hops/cpu-s: on a machine shared with other work, wall time counts the
// time others had the core; run it with -cpu 1).
func BenchmarkServiceGraph(b *testing.B) {
	spec := graph20()
	b.ReportAllocs()
	var hops uint64
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		w, err := New(spec, Routing{Caller: roundRobin}, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		w.Observe(&tally{})
		w.Start(10 * sim.Second)
		w.Eng.Run(10 * sim.Second)
		w.Drain(sim.Minute)
		for _, c := range w.Clients {
			hops += c.Generated
		}
		for _, e := range w.CallEdges() {
			hops += e.Client.Generated
		}
	}
	b.ReportMetric(float64(hops)/b.Elapsed().Seconds(), "hops/s")
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(hops)/cpu, "hops/cpu-s")
	}
}

// BenchmarkServiceGraphMemory runs graph20 for two run lengths and reports
// the heap in use at the end of each run (after a collection, the world
// still live) with the run's hop-requests per wall-clock second: the two
// heap figures are equal when the call path's memory is flat in run
// length (what is in flight, not what has passed).
func BenchmarkServiceGraphMemory(b *testing.B) {
	for _, d := range []sim.Time{10 * sim.Second, 40 * sim.Second} {
		b.Run(fmt.Sprintf("sim=%v", d), func(b *testing.B) {
			spec := graph20()
			var hops uint64
			heap := 0.0
			for i := 0; i < b.N; i++ {
				w, err := New(spec, Routing{Caller: roundRobin}, uint64(i))
				if err != nil {
					b.Fatal(err)
				}
				w.Observe(&tally{})
				w.Start(d)
				w.Eng.Run(d)
				b.StopTimer()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = max(heap, float64(ms.HeapInuse)/(1<<20))
				b.StartTimer()
				w.Drain(sim.Minute)
				for _, c := range w.Clients {
					hops += c.Generated
				}
				for _, e := range w.CallEdges() {
					hops += e.Client.Generated
				}
				runtime.KeepAlive(w)
			}
			b.ReportMetric(float64(hops)/b.Elapsed().Seconds(), "hops/s")
			b.ReportMetric(heap, "heap-MiB")
		})
	}
}

// The benchmark's graph makes 15 hops per request and conserves them.
func TestServiceGraphBenchmarkShape(t *testing.T) {
	spec := graph20()
	for i := range spec.Clients {
		spec.Clients[i].Rate = RateProfile{{0, 10}}
	}
	w, err := New(spec, Routing{Caller: roundRobin}, 1)
	must(t, err)
	tl := run(t, w, 0, 10*sim.Second)
	var top, calls uint64
	for _, c := range w.Clients {
		top += c.Generated
	}
	for _, e := range w.CallEdges() {
		calls += e.Client.Generated
	}
	same(t, int(top), tl.n[Success], "successes")
	same(t, 14*top, calls, "calls")
	conserved(t, w)
}
