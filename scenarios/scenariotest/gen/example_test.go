package gen_test

import (
	"fmt"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
	"github.com/tangle-sim/tangle/scenarios/scenariotest/gen"
)

// A generated scenario is the base file with a drawn fault schedule; its
// GoString (what rapid logs for a draw) shows the schedule as a file
// writes it. Example(seed) draws one deterministically.
func ExampleScenario() {
	base, err := scenarios.Builtin("retry-storm")
	if err != nil {
		panic(err)
	}
	g := gen.Scenario(base, gen.Options{Kinds: []string{"crash", "degradation"}, MaxFaults: 2})
	fmt.Printf("%#v\n", g.Example(3))
	// Output:
	// scenario retry-storm (seed 7) with faults [{kind: degradation, at: 2m8s, duration: 24s, target: {service: api}, params: {capacity_loss: 0, error_rate: 0, extra_latency: 885ms}}, {kind: crash, at: 2m2s, duration: 32s, target: {service: api}}]
}

// Each parameter is drawn within the range its declaration allows.
func ExampleParam() {
	def, _ := faults.Lookup("degradation")
	p, _ := def.Params.Lookup("slowdown")
	lo, hi := chaos.ParamRange(p)
	fmt.Printf("slowdown in [%g, %g]: %v\n", lo, hi, gen.Param(p).Example(1))
	// Output:
	// slowdown in [1, 6]: 2.68
}
