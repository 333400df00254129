package scenarios_test

import (
	"context"
	"fmt"

	"github.com/tangle-sim/tangle/scenarios"
)

// Running a scenario from Go: parse it (or load a file, or a built-in),
// run its strategies over its replications, and read the metrics.
func Example_run() {
	src := []byte(`
name: two-pickers
seed: 7
duration: 5m
warmup: 30s
replications: 2
topology:
  services:
    - {name: api, replicas: 4, concurrency: 2, queue: 20, service_time: {dist: exponential, mean: 40ms}}
  clients:
    - {name: users, target: api, rate: 150/s, callers: 4}
strategies:
  - {name: rr, routing: round-robin}
  - {name: lr, routing: least-request}
`)
	sc, err := scenarios.Parse("two-pickers.yaml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Strategies {
		fmt.Printf("%s: p99 %.4f s, throughput %.1f/s\n", s.Name, s.Metrics["latency_p99"].Mean, s.Metrics["throughput"].Mean)
	}
	// Output:
	// rr: p99 0.2956 s, throughput 151.0/s
	// lr: p99 0.2491 s, throughput 151.0/s
}
