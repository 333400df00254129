package scenarios_test

import (
	"context"
	"math"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
)

// runMetrics runs src's strategies once and returns each strategy's
// metrics (means), by strategy name.
func runMetrics(t *testing.T, src string) map[string]map[string]float64 {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Replications: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, s := range res.Strategies {
		out[s.Name] = map[string]float64{}
		for k, v := range s.Metrics {
			out[s.Name][k] = v.Mean
		}
	}
	return out
}

// A client may enter the graph at a service other services call: db is
// called by api (whose clients send 40/s) and by a batch client (10/s)
// directly. Its per-service metrics count both entries, its
// amplification is its attempts per client request of every client
// ((40·2 + 10)/50 = 1.8 with api calling it twice), and each hop keeps its
// own count.
func TestClientsEnterAtAnyService(t *testing.T) {
	m := runMetrics(t, `
name: mid-graph
duration: 1000s
warmup: 10s
topology:
  services:
    - {name: api, concurrency: 100, service_time: 1ms, calls: [{call: db}, {call: db}]}
    - {name: db, concurrency: 100, service_time: 1ms}
  clients:
    - {name: users, target: api, rate: 40/s, arrival: constant}
    - {name: batch, target: db, rate: 10/s, arrival: constant}
`)["round-robin"]
	for k, want := range map[string]float64{
		"service_request_rate:db": 90, "service_request_rate:api": 40, "call_request_rate:api->db": 80,
		"service_amplification:db": 1.8, "service_amplification:api": 0.8, "call_attempts_per_call:api->db": 1,
		"service_success_rate:db": 1,
	} {
		if got := m[k]; math.Abs(got-want) > 0.01*want {
			t.Errorf("%s = %g, want %g", k, got, want)
		}
	}
}

// edged is a frontend calling a database (failing 10%) behind a declared
// edge with 20 slots and a queue of 10; the database slows down for 20 s,
// then the edge crashes for 5 s.
const edged = `
name: edged
duration: 120s
warmup: 10s
topology:
  services:
    - {name: frontend, replicas: 2, concurrency: 10, service_time: {dist: exponential, mean: 20ms}, calls: [{call: db}]}
    - {name: db, replicas: 2, concurrency: 10, error_rate: 10%, service_time: {dist: exponential, mean: 30ms}}
  edges:
    - {name: gw, concurrency: 20, queue: 10, timeout: 2s, retries: {num_retries: 2}}
  clients:
    - {name: users, target: frontend, rate: 200/s, edge: gw, timeout: 5s}
strategies:
  - {name: mesh-retries, retries: {num_retries: 3}}
  - name: edge-no-retries
    retries: {num_retries: 3}
    per_service: [{service: frontend, from: gw, retries: {num_retries: 0}}]
faults:
  - {kind: degradation, at: 60s, duration: 20s, target: {service: db}, params: {extra_latency: 500ms, slowdown: 1}}
  - {kind: crash, at: 90s, duration: 5s, target: {edge: gw}}
`

// The edge fills while the database is slow and refuses what its slots
// and queue cannot hold; its crash drops its requests; a strategy may
// override the edge's retries with per_service from: EDGE.
func TestEdgeInScenario(t *testing.T) {
	all := runMetrics(t, edged)
	m := all["mesh-retries"]
	if r := m["edge_rejection_rate:gw"]; r < 0.05 || r > 0.3 {
		t.Errorf("edge_rejection_rate:gw = %g: the slow database should fill the edge (100 in flight against 30 places) for about a sixth of the run", r)
	}
	if r := m["edge_request_rate:gw"]; math.Abs(r-200) > 10 {
		t.Errorf("edge_request_rate:gw = %g, want about 200", r)
	}
	if q := m["edge_queue_mean:gw"]; !(q > 0) {
		t.Errorf("edge_queue_mean:gw = %g, want a queue while the database is slow", q)
	}
	if s, e := m["edge_success_rate:gw"], m["route_success_rate"]; math.Abs(s-e) > 1e-9 {
		t.Errorf("edge_success_rate:gw = %g, but every request enters through it and route_success_rate = %g", s, e)
	}
	if f := m["failures_host_down"] + m["failures_no_host"]; f < 500 {
		t.Errorf("%g requests lost to the edge's crash, want about a thousand (5 s at 200/s)", f)
	}
	if a := m["call_attempts_per_call:gw->frontend"]; a <= 1 {
		t.Errorf("the edge retried nothing (%g attempts per call) though its own retries allow 2", a)
	}
	if a := all["edge-no-retries"]["call_attempts_per_call:gw->frontend"]; a != 1 {
		t.Errorf("per_service from: gw took no retries away: %g attempts per call", a)
	}
	if a := m["call_attempts_per_call:frontend->db"]; a < 1 {
		t.Errorf("frontend->db: %g attempts per call", a)
	}
}

// A world with declared edges is deterministic: the same seed gives the
// same summary, with edges under faults.
func TestEdgeScenarioDeterministic(t *testing.T) {
	one, two := runMetrics(t, edged), runMetrics(t, edged)
	for s, m := range one {
		for k, v := range m {
			if u := two[s][k]; u != v && !(math.IsNaN(u) && math.IsNaN(v)) {
				t.Errorf("%s %s: %v, then %v", s, k, v, u)
			}
		}
	}
}
