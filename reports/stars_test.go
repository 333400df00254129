package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// failFast compares a proxy that sheds load (a circuit breaker of one
// outstanding request: most requests are refused at once, the few served
// are fast) with one that queues them (slower, but they succeed).
const failFast = `
name: fail-fast
duration: 3m
warmup: 20s
replications: 3
topology:
  services: [{name: s, replicas: 2, concurrency: 1, service_time: {dist: exponential, mean: 40ms}}]
  clients: [{name: c, target: s, rate: 40/s, timeout: 2s, callers: 1}]
strategies:
  - {name: shed, routing: round-robin, guards: [{guard: envoy-circuit-breaker, params: {max_requests: 1}}]}
  - {name: queue, routing: round-robin}
checks:
  - {metric: route_success_rate, min: 99%}
  - {metric: routing_churn, max: 1}
`

// TestTableStarsCountFailures: failing fast does not earn the shedding
// proxy a latency star (its answered requests are faster, but half its
// requests fail); effective latency, which counts failures at the 2 s
// timeout, stars the queueing one; and the rows the checks read lead.
func TestTableStarsCountFailures(t *testing.T) {
	sc, err := scenarios.Parse("ff.yaml", []byte(failFast))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	shed, queue := res.Strategies[0].Metrics, res.Strategies[1].Metrics
	if !(shed["latency_p99"].Mean < queue["latency_p99"].Mean && shed["route_success_rate"].Mean < 0.9) {
		t.Fatalf("fixture: shed p99 %g sr %g, queue p99 %g; want shedding to answer fewer, faster", shed["latency_p99"].Mean, shed["route_success_rate"].Mean, queue["latency_p99"].Mean)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	var order []string
	for _, line := range strings.Split(b.String(), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && strings.Contains(line, "±") {
			rows[f[0]] = line
			order = append(order, f[0])
		}
	}
	for _, m := range []string{"latency_p99", "latency_mean", "latency_p50"} {
		if strings.Contains(rows[m], "*") {
			t.Errorf("%s is starred though the strategies' success rates differ:\n%s", m, rows[m])
		}
	}
	eff := rows["effective_latency_p99"]
	if i := strings.Index(eff, "*"); i < 0 || i < strings.LastIndex(eff, "±") {
		t.Errorf("effective_latency_p99 should star the queueing strategy (the last column):\n%s", eff)
	}
	if len(order) < 2 || order[0] != "route_success_rate" || order[1] != "routing_churn" {
		t.Errorf("the checks' metrics should lead the table; rows are %v", order)
	}
	if !strings.Contains(b.String(), "effective_latency_* count failures") {
		t.Errorf("the table should say why latency is not ranked:\n%s", b.String())
	}
}
