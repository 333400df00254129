package scenariotest_test

import (
	"fmt"

	"github.com/tangle-sim/tangle/scenarios/scenariotest"
)

// printTB stands in for a *testing.T in these examples: it prints what a
// test would log.
type printTB struct{}

func (printTB) Helper()                           {}
func (printTB) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (printTB) Fatalf(format string, args ...any) { fmt.Printf("FATAL: "+format+"\n", args...) }
func (printTB) Logf(format string, args ...any)   { fmt.Printf(format+"\n", args...) }

// A test loads a scenario file, runs it and asserts on its metrics; a
// failed assertion names the strategy, the metric, the value, and the
// seed and command that reproduce the run.
func ExampleRun() {
	var t printTB // in a test: t *testing.T
	res := scenariotest.Run(t, scenariotest.Load(t, "testdata/small.yaml"))
	res.ChecksPass()
	res.Invariants()
	res.AtMost("p2c", "recovery_time", 60)
	res.AtLeast("rr", "throughput", 250)
	fmt.Printf("p2c throughput: %.0f/s\n", res.Metric("p2c", "throughput"))
	// Output:
	// FAIL: rr throughput = 199.836, want >= 250
	// seed 7 · rerun: tangle run testdata/small.yaml --seed 7 --replications 1
	// p2c throughput: 200/s
}

// Overrides change a file for one test, and the rerun line carries them.
func ExampleLoad() {
	var t printTB
	sc := scenariotest.Load(t, "testdata/small.yaml", "topology.services[api].replicas=2", "replications=2")
	res := scenariotest.Run(t, sc)
	res.AtMost("p2c", "latency_p99", 0.05)
	// Output:
	// FAIL: p2c latency_p99 = 0.295336, want <= 0.05
	// seed 7 · rerun: tangle run testdata/small.yaml --set 'topology.services[api].replicas=2' --set replications=2 --seed 7 --replications 2
}

// Property props compose: All holds when each does, and reports the first
// that does not.
func ExampleAll() {
	var t printTB
	res := scenariotest.Run(t, scenariotest.Load(t, "testdata/small.yaml"))
	prop := scenariotest.All(scenariotest.Invariants, scenariotest.Recovers("rr"), scenariotest.AtMost("rr", "latency_p50", 0.001))
	fmt.Println(prop(res.Result))
	// Output:
	// rr latency_p50 = 0.0164047, want <= 0.001
}
