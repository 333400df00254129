package scenarios_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// fleet is the whole-scenario benchmark: 100 replicas behind 100 caller
// sidecars at 10,000 requests/s (utilisation 0.9) for 10 simulated minutes,
// about 6 million requests, with time series and latency sketches on.
const fleet = `
name: fleet
duration: 10m
topology:
  services:
    - {name: api, replicas: 100, service_time: {dist: exponential, mean: 9ms}}
  clients:
    - {name: users, target: api, rate: 10000/s, callers: 100, timeout: 5s}
strategies:
  - {name: rr, routing: round-robin}
`

// BenchmarkScenario reports simulated requests per wall-clock second on one
// core (run with -cpu 1 -benchtime 1x) and the heap in use at the end.
func BenchmarkScenario(b *testing.B) {
	sc, err := scenarios.Parse("fleet.yaml", []byte(fleet))
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
