package scenarios_test

import (
	"context"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/topology"
)

// threeTier is the application the issue could not write: an edge-facing
// frontend calling two backends at once, each calling a database.
const threeTier = `
name: three-tier
duration: 200s
warmup: 20s
topology:
  services:
    - name: frontend
      replicas: 2
      concurrency: 50
      service_time: 2ms
      calls:
        - parallel:
            - {call: catalog}
            - {call: reviews, optional: true, timeout: 50ms}
        - {call: recommend, probability: 30%}
    - {name: catalog, replicas: 2, concurrency: 20, service_time: 5ms, calls: [{call: db}]}
    - {name: reviews, replicas: 2, concurrency: 20, service_time: 5ms, error_rate: 10%, non_blocking: true, calls: [{call: db}]}
    - {name: recommend, replicas: 1, concurrency: 20, service_time: 10ms}
    - {name: db, replicas: 3, concurrency: 10, service_time: {dist: exponential, mean: 3ms}}
  clients: [{name: users, target: frontend, rate: 100/s}]
strategies:
  - {name: least-request, routing: least-request}
checks:
  - {metric: "service_amplification:db", max: 2}
  - {metric: "call_success_rate:frontend->reviews", min: 85%}
`

func TestThreeTierScenarioRuns(t *testing.T) {
	w := runWorld(t, "three-tier.yaml", threeTier)
	gen := w.Clients[0].Generated
	served := map[string]uint64{}
	for _, r := range w.Replicas {
		served[r.Service.Name] += r.Served
	}
	// Every request reaches catalog and reviews (their callers retry
	// nothing here), each of those one database call; 30% reach recommend.
	if served["frontend"] != gen || served["catalog"] != gen || served["reviews"] != gen {
		t.Fatalf("served %v for %d requests", served, gen)
	}
	if served["db"] < 2*gen*9/10 || served["db"] > 2*gen {
		t.Fatalf("db served %d for %d requests (reviews fail 10%% before calling it)", served["db"], gen)
	}
	if f := float64(served["recommend"]) / float64(gen); f < 0.27 || f > 0.33 {
		t.Fatalf("recommend called for %.3f of requests, want 0.3", f)
	}
	// The optional reviews call failing 10% of the time fails nothing.
	sc, err := scenarios.Parse("three-tier.yaml", []byte(threeTier))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Replications: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Strategies[0].Metrics["route_success_rate"].Mean; got != 1 {
		t.Fatalf("success rate %g, want 1", got)
	}
	// Per service and per edge: db sees 1.9 attempts per request (one from
	// catalog, one from the 90% of reviews that succeed), and the calls to
	// reviews succeed 90% of the time.
	m := res.Strategies[0].Metrics
	if a := m["service_amplification:db"].Mean; math.Abs(a-1.9) > 0.02 {
		t.Errorf("service_amplification:db = %g, want 1.9", a)
	}
	if r := m["call_success_rate:frontend->reviews"].Mean; math.Abs(r-0.9) > 0.02 {
		t.Errorf("call_success_rate:frontend->reviews = %g, want 0.9", r)
	}
	if r := m["service_success_rate:frontend"].Mean; r != 1 {
		t.Errorf("service_success_rate:frontend = %g, want 1", r)
	}
	for _, c := range res.Checks() {
		if !c.Passed {
			t.Errorf("check %s: %g", c.Name, c.Value)
		}
	}
	again, err := scenarios.Run(context.Background(), sc, scenarios.Options{Replications: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Same bytes: every metric equal (NaN, for a metric without a value,
	// equal to NaN).
	one, two := res.Strategies[0].Runs[0].Summary, again.Strategies[0].Runs[0].Summary
	if len(one) != len(two) {
		t.Fatalf("%d metrics, then %d", len(one), len(two))
	}
	for k, v := range one {
		if u, ok := two[k]; !ok || u != v && !(math.IsNaN(u) && math.IsNaN(v)) {
			t.Errorf("%s: %v, then %v", k, v, u)
		}
	}
}

// A strategy may give the sidecars calling one service their own retry
// policy: here only the calls to a failing database are retried, twice.
func TestPerServiceRetries(t *testing.T) {
	w := runWorld(t, "per-service.yaml", `
name: per-service
duration: 100s
topology:
  services:
    - {name: api, concurrency: 100, service_time: 1ms, calls: [{call: db}]}
    - {name: db, concurrency: 100, service_time: 1ms, error_rate: 100%}
  clients: [{name: users, target: api, rate: 10/s, arrival: constant}]
strategies:
  - name: db-retries
    retries: {num_retries: 0}
    per_service: [{service: db, retries: {num_retries: 2, retry_on: error, base_interval: 0s}}]
`)
	gen := w.Clients[0].Generated
	if api, db := w.Services[0].Replicas[0].Served, w.Services[1].Replicas[0].Served; api != gen || db != 3*gen {
		t.Fatalf("%d requests: api served %d (want one each), db %d (want three each)", gen, api, db)
	}
}

// runWorld parses src, builds its first strategy's world with the
// scenario's seed, runs it to the end and drains it.
func runWorld(t *testing.T, name, src string) *topology.World {
	t.Helper()
	sc, err := scenarios.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.Build(0, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	w := b.World
	w.Start(sc.Duration.T())
	w.Eng.Run(sc.Duration.T())
	w.Drain(sc.Drain.T())
	return w
}
