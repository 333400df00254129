package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
)

// explainFixture has what every kind of metric needs to be checkable: a
// fault (phase metrics), an SLO named availability (SLO metrics), a client
// named users (per-client metrics), a service api calling a service db
// (per-service and per-call-edge metrics), users entering through an edge
// gw (per-edge metrics), db with a pool of replicas (per-autoscaled-service
// metrics), api with operations checkout and browse (per-operation
// metrics).
const explainFixture = `name: explained
duration: 4m
warmup: 30s
replications: 2
topology:
  services:
    - {name: api, replicas: 4, concurrency: 4, service_time: {dist: exponential, mean: 10ms}, operations: [{name: checkout, calls: [{call: db}]}, {name: browse}]}
    - {name: db, replicas: 2, max_replicas: 4, concurrency: 8, service_time: {dist: exponential, mean: 5ms}}
  edges:
    - {name: gw, concurrency: 64}
  clients:
    - {name: users, target: api, rate: 100/s, edge: gw}
faults:
  - {kind: degradation, at: 2m, duration: 1m, target: {service: api}, params: {extra_latency: 20ms, slowdown: 1}}
slos:
  - {name: availability, sli: route_success_rate, objective: 99.9%}
checks:
`

var exampleCheck = regexp.MustCompile(`(?m)^    - (\{metric: .*\})$`)

// TestExplainedChecksValidate: the check `tangle explain METRIC` suggests
// validates as written for every metric in the catalogue, and, run, it
// either reads a value in every replication or fails saying why: it never
// passes on nothing (latency_impact used to be suggested bare, pass as
// "0 <= 0.01 (mean of 0 replications)", and reject latency_impact:during).
func TestExplainedChecksValidate(t *testing.T) {
	var src strings.Builder
	src.WriteString(explainFixture)
	n := 0
	for _, d := range metrics.Catalog() {
		var out bytes.Buffer
		explainMetric(&out, d)
		m := exampleCheck.FindStringSubmatch(out.String())
		if m == nil {
			t.Errorf("explain %s: no example check in\n%s", d.Name, out.String())
			continue
		}
		one := explainFixture + "  - " + m[1] + "\n"
		if _, err := scenarios.Parse("explained.yaml", []byte(one)); err != nil {
			t.Errorf("explain %s suggests %s, which does not validate: %v", d.Name, m[1], err)
			continue
		}
		src.WriteString("  - " + m[1] + "\n")
		n++
	}
	sc, err := scenarios.Parse("explained.yaml", []byte(src.String()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, r := range res.Checks() {
		if r.Kind == "slo" {
			continue
		}
		got++
		if r.Passed && !strings.Contains(r.Detail, "of 2 replications") {
			t.Errorf("%s passed without a value in every replication: %s", r.Name, r.Detail)
		}
	}
	if got != n {
		t.Errorf("%d check results for %d checks", got, n)
	}
	for _, name := range []string{"latency_impact", "route_success_delta"} {
		var out bytes.Buffer
		d, _ := metrics.Lookup(name)
		explainMetric(&out, d)
		if !strings.Contains(out.String(), "{metric: '"+name+":during'") {
			t.Errorf("explain %s should suggest %s:during:\n%s", name, name, out.String())
		}
	}
}
