package scenarios

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// Native Go fuzz targets for everything that reads user text. `go test`
// runs each on its seeds and on the committed corpus in testdata/fuzz
// (which holds the hostile inputs of issue 12); `make fuzz` explores for
// a few seconds each. A target fails on a panic, a hang or a broken
// property, never on an error: errors are what bad input should get.

const fuzzBase = "name: f\nduration: 10s\ntopology:\n  services: [{name: api, replicas: 2, service_time: 10ms}]\n  clients: [{name: c, target: api, rate: 10/s}]\n"

// fuzzEdges has a declared edge, a client entering through it, one
// entering mid-graph and a fault on the edge.
const fuzzEdges = "name: f\nduration: 10s\ntopology:\n  services: [{name: api, service_time: 10ms, calls: [{call: db}]}, {name: db, service_time: 1ms}]\n" +
	"  edges: [{name: gw, concurrency: 2, queue: 1, timeout: 1s, retries: {num_retries: 1}}]\n" +
	"  clients: [{name: c, target: api, rate: 10/s, edge: gw}, {name: d, target: db, rate: 5/s}]\n" +
	"faults: [{kind: pause, at: 2s, duration: 1s, target: {edge: gw}}]\n"

// fuzzOperations has services with operations, a client and a call
// naming one, and an edge passing a client's on.
const fuzzOperations = "name: f\nduration: 10s\ntopology:\n  services:\n" +
	"    - {name: api, service_time: 10ms, operations: [{name: get, weight: 3, calls: [{call: db, operation: read}]}, {name: put, service_time: 20ms, calls: [{call: db}]}]}\n" +
	"    - {name: db, service_time: 1ms, operations: [{name: read}, {name: write, weight: 0.5, service_time: 5ms}]}\n" +
	"  edges: [{name: gw, concurrency: 4}]\n" +
	"  clients: [{name: c, target: api, rate: 10/s, edge: gw, operation: put}, {name: d, target: api, rate: 5/s}]\n"

// fuzzZero has a Knative service that scales to zero between bursts, so
// requests wait at the activator, and an HPA next to it.
const fuzzZero = "name: f\nduration: 3m\ntopology:\n  services:\n" +
	"    - {name: fn, replicas: 1, max_replicas: 3, service_time: 10ms, ready_after: 2s}\n" +
	"  clients: [{name: c, target: fn, rate: 5/s, timeout: 1s, schedule: [{at: 10s, rate: 0/s}, {at: 150s, rate: 5/s}]}]\n" +
	"strategies:\n  - {name: z, autoscaling: [{service: fn, autoscaler: kpa, params: {stable_window: 6s, scale_to_zero_grace_period: 6s}}]}\n" +
	"  - {name: h, autoscaling: [{service: fn, autoscaler: hpa}]}\n"

// smallBudget is what a fuzzed scenario may cost to be built and run.
var smallBudget = Budget{Events: 2e5, Memory: 64 << 20}

func FuzzParse(f *testing.F) {
	for _, s := range []string{fuzzBase, "", "&a {<<: *a}", "name: x\x00", "name: caf\xe9", "a: [", "duration: Inf/s", fuzzEdges, fuzzOperations, fuzzZero} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sc, err := Parse("fuzz.yaml", src)
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("Parse returned %T, want an ErrorList", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		runIfCheap(t, sc)
	})
}

func FuzzOverride(f *testing.F) {
	for _, s := range []string{"topology.clients[0].rate=20/s", "duration=", "topology.services[api].replicas=1e9",
		"topology={<<: *a}", "strategies[0].params.choices=3", "topology.services[9].name=x", "name=\"\\e[31m\"",
		"topology.telemetry={interval: 5s, delay: 1s}", "seed=-1", "duration=300000d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		o, err := ParseOverride(arg)
		if err != nil {
			return
		}
		sc, err := Parse("fuzz.yaml", []byte(fuzzBase), o)
		if err != nil {
			return
		}
		runIfCheap(t, sc)
	})
}

func FuzzSweepParam(f *testing.F) {
	for _, s := range []string{"a=1,2,3", "a=1..10000/1", "a=0.1..0.3/0.1", "a=1s..3s/500ms", "a=1%..3%/1%", "a=1..Inf/1", "a=1..3/NaN", "a={x: 1},2"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, arg string, zip bool) {
		p, err := ParseSweepParam(arg)
		if err != nil {
			return
		}
		if len(p.Values) == 0 || len(p.Values) > maxSweepValues {
			t.Fatalf("%q: %d values", arg, len(p.Values))
		}
		q := p
		q.Path = "b"
		grid, err := SweepGrid([]SweepParam{p, q}, zip)
		if err == nil && !zip && len(grid) != len(p.Values)*len(p.Values) {
			t.Fatalf("grid of %d cells, want %d", len(grid), len(p.Values)*len(p.Values))
		}
	})
}

func FuzzValues(f *testing.F) {
	for _, s := range []string{"250ms", "3d", "1d12h", "-5s", "99999999999999999999d", "90/s", "Inf/s", "1e999/min", "5%", "NaN", "0x10", ".inf", "1e308%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && !strings.HasPrefix(strings.TrimSpace(s), "-") && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if r, err := ParseRate(s); err == nil && (math.IsNaN(r) || math.IsInf(r, 0)) {
			t.Fatalf("ParseRate(%q) = %g", s, r)
		}
		if r, err := ParseRatio(s); err == nil && (math.IsNaN(r) || math.IsInf(r, 0)) {
			t.Fatalf("ParseRatio(%q) = %g", s, r)
		}
		for _, unit := range []string{"s", "ratio", "requests"} {
			if v, err := ParseValue(unit, s); err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Fatalf("ParseValue(%s, %q) = %g", unit, s, v)
			}
		}
		if v, err := parseNumber(s); err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("parseNumber(%q) = %g", s, v)
		}
	})
}

// runIfCheap runs a valid scenario's first strategy once when its
// estimated cost is small: whatever validation accepts must run without
// panicking (a panic comes back as an InternalError).
func runIfCheap(t *testing.T, sc *Scenario) {
	if sc.Cost(1, 1).Check(smallBudget, sc) != nil || sc.Duration.T()+sc.Drain.T() > 1e3*1e9 {
		return
	}
	sc, err := sc.Select([]string{sc.Strategies[0].Name})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), sc, Options{Replications: 1, Workers: 1, Budget: &smallBudget})
	var ie *InternalError
	if errors.As(err, &ie) {
		t.Fatalf("run panicked: %v\n%s", ie, ie.Stack)
	}
}
