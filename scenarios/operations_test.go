package scenarios_test

import (
	"context"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// shopScenario is a storefront with two operations: browse (weight 4,
// calls catalog) and checkout (weight 1, its own slower work, calls
// catalog and then payments); an admin client always asks for checkout,
// and a nightly job's calls name catalog's reindex.
const shopScenario = `
name: shop
duration: 200s
topology:
  services:
    - name: storefront
      replicas: 2
      concurrency: 100
      service_time: 2ms
      operations:
        - {name: browse, weight: 4, calls: [{call: catalog}]}
        - name: checkout
          service_time: 20ms
          calls:
            - {call: catalog, operation: lookup}
            - {call: payments}
    - name: catalog
      replicas: 2
      concurrency: 100
      service_time: 1ms
      operations:
        - {name: lookup}
        - {name: reindex, weight: 0, service_time: 50ms}
    - {name: payments, replicas: 2, concurrency: 100, service_time: 5ms}
    - {name: nightly, concurrency: 100, service_time: 1ms, calls: [{call: catalog, operation: reindex}]}
  clients:
    - {name: users, target: storefront, rate: 100/s}
    - {name: admins, target: storefront, rate: 10/s, operation: checkout}
    - {name: jobs, target: nightly, rate: 1/s}
strategies:
  - {name: rr, routing: round-robin}
`

// Payments sees the checkouts only: a fifth of the users' requests and
// every admin's; catalog every storefront request and every job's
// reindex; requests without a weight are never drawn.
func TestOperationsInAScenario(t *testing.T) {
	w := runWorld(t, "shop.yaml", shopScenario)
	users, admins, jobs := w.Clients[0].Generated, w.Clients[1].Generated, w.Clients[2].Generated
	served := map[string]uint64{}
	for _, r := range w.Replicas {
		served[r.Service.Name] += r.Served
	}
	checkouts := float64(served["payments"]) - float64(admins)
	sd := math.Sqrt(float64(users) * 0.2 * 0.8)
	if math.Abs(checkouts-0.2*float64(users)) > 4*sd {
		t.Fatalf("payments served %d: %g users' checkouts of %d requests, want a fifth within %.0f", served["payments"], checkouts, users, 4*sd)
	}
	if served["catalog"] != users+admins+jobs {
		t.Fatalf("catalog served %d, want %d", served["catalog"], users+admins+jobs)
	}
	sc, err := scenarios.Parse("shop.yaml", []byte(shopScenario))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Replications: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Strategies[0].Metrics
	// catalog serves two operations: the storefront's calls are all
	// lookups (1 ms), the nightly job's all reindexes (50 ms); the
	// per-edge latencies tell them apart.
	if p := m["call_latency_p50:nightly->catalog"].Mean; p < 0.04 {
		t.Errorf("call_latency_p50:nightly->catalog = %g s, want reindex's ~50 ms", p)
	}
	if p := m["call_latency_p99:storefront->catalog"].Mean; p > 0.02 {
		t.Errorf("call_latency_p99:storefront->catalog = %g s, want lookups' ~1 ms", p)
	}
	// Per operation: checkout is asked for by a fifth of the users (20/s)
	// and every admin (10/s); reindex takes its own 50 ms.
	if r := m["operation_request_rate:storefront/checkout"].Mean; math.Abs(r-30) > 2 {
		t.Errorf("operation_request_rate:storefront/checkout = %g/s, want 30", r)
	}
	if r := m["operation_request_rate:storefront/browse"].Mean; math.Abs(r-80) > 3 {
		t.Errorf("operation_request_rate:storefront/browse = %g/s, want 80", r)
	}
	if r := m["operation_request_rate:catalog/reindex"].Mean; math.Abs(r-1) > 0.2 {
		t.Errorf("operation_request_rate:catalog/reindex = %g/s, want the jobs' 1", r)
	}
	if p := m["operation_latency_p50:catalog/reindex"].Mean; math.Abs(p-0.05) > 0.002 {
		t.Errorf("operation_latency_p50:catalog/reindex = %g s, want 50 ms", p)
	}
	if p := m["operation_latency_p99:catalog/lookup"].Mean; p > 0.002 {
		t.Errorf("operation_latency_p99:catalog/lookup = %g s, want 1 ms", p)
	}
	if r := m["operation_success_rate:storefront/checkout"].Mean; r != 1 {
		t.Errorf("operation_success_rate:storefront/checkout = %g, want 1", r)
	}
}
