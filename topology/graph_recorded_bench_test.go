package topology_test

import (
	"testing"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// BenchmarkServiceGraphRecorded is BenchmarkServiceGraph with what a
// scenario run attaches: the metrics recorder, its per-service and
// per-edge summaries and series (one-second buckets).
func BenchmarkServiceGraphRecorded(b *testing.B) {
	spec := topology.Graph20()
	b.ReportAllocs()
	var hops uint64
	cpu0 := topology.CPUSeconds()
	for i := 0; i < b.N; i++ {
		w, err := topology.New(spec, topology.Routing{Caller: topology.RoundRobin}, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		rec, err := metrics.NewRecorder(w, metrics.Config{Horizon: 10 * sim.Second, SeriesInterval: sim.Second})
		if err != nil {
			b.Fatal(err)
		}
		w.Start(10 * sim.Second)
		w.Eng.Run(10 * sim.Second)
		w.Drain(sim.Minute)
		if rec.Graph() == nil || len(rec.Summary()) == 0 {
			b.Fatal("no graph series or summary")
		}
		for _, c := range w.Clients {
			hops += c.Generated
		}
		for _, e := range w.CallEdges() {
			hops += e.Client.Generated
		}
	}
	b.ReportMetric(float64(hops)/b.Elapsed().Seconds(), "hops/s")
	if cpu := topology.CPUSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(hops)/cpu, "hops/cpu-s")
	}
}
