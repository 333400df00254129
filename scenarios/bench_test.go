package scenarios_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// BenchmarkScenario reports simulated requests per wall-clock second on one
// core (run with -cpu 1 -benchtime 1x) and the heap in use at the end.
func BenchmarkScenario(b *testing.B) {
	// docs/examples/fleet.yaml: 100 replicas behind 100 P2C sidecars at
	// 10,000 requests/s for 10 simulated minutes (about 6 million requests).
	sc, err := scenarios.Load("../docs/examples/fleet.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var reqs float64
	for i := 0; i < b.N; i++ {
		res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		reqs += res.Strategies[0].Metrics["requests_total"].Mean
	}
	b.ReportMetric(reqs/b.Elapsed().Seconds(), "req/s")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
}
