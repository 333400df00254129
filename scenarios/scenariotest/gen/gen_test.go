package gen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
	"github.com/tangle-sim/tangle/scenarios/scenariotest/gen"
	"github.com/tangle-sim/tangle/sim"
)

// TestScenarioValid: every generated scenario validates (gen.Scenario
// fails the test otherwise) and writes out to a file that reads back the
// same, for built-ins with and without a state model.
func TestScenarioValid(t *testing.T) {
	for _, name := range []string{"retry-storm", "stale-herd", "zone-failover", "split-brain", "canary-rollback"} {
		t.Run(name, func(t *testing.T) {
			base, err := scenarios.Builtin(name)
			require.NoError(t, err)
			g := gen.Scenario(base, gen.Options{MaxFaults: 3, Load: true})
			rapid.Check(t, func(rt *rapid.T) {
				sc := g.Draw(rt, "scenario")
				if len(sc.Faults) < 1 || len(sc.Faults) > 3 {
					rt.Fatalf("%d faults, want 1 to 3", len(sc.Faults))
				}
				for _, f := range sc.Faults {
					if f.Duration <= 0 || f.At < base.Warmup || f.At+f.Duration > base.Duration {
						rt.Fatalf("fault %s window [%v, +%v) outside the run", f.Kind, f.At, f.Duration)
					}
				}
				out, err := sc.YAML()
				if err != nil {
					rt.Fatal(err)
				}
				back, err := scenarios.Parse("gen.yaml", out)
				if err != nil {
					rt.Fatalf("%v\n%s", err, out)
				}
				again, _ := back.YAML()
				if string(again) != string(out) {
					rt.Fatalf("round trip changed the file:\n%s\n---\n%s", out, again)
				}
			})
		})
	}
}

// TestParamWithinDeclaredRange: every fault parameter drawn passes its
// own declaration's check (the registry's bounds), for every fault kind.
func TestParamWithinDeclaredRange(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		defs := faults.Defs()
		def := defs[rapid.IntRange(0, len(defs)-1).Draw(rt, "kind")]
		if len(def.Params) == 0 {
			return
		}
		p := def.Params[rapid.IntRange(0, len(def.Params)-1).Draw(rt, "param")]
		v := gen.Param(p).Draw(rt, "value")
		if err := p.Check(v); err != nil {
			rt.Fatalf("%s.%s: %v", def.Name, p.Name, err)
		}
	})
}

func TestParamRange(t *testing.T) {
	lo, hi := chaos.ParamRange(sim.Param{Name: "slowdown", Kind: sim.Float, Default: 3.0, Min: sim.Bound(1)})
	assert.Equal(t, [2]float64{1, 6}, [2]float64{lo, hi})
	lo, hi = chaos.ParamRange(sim.Param{Name: "loss", Kind: sim.Ratio, Default: 0.0})
	assert.Equal(t, [2]float64{0, 1}, [2]float64{lo, hi})
	lo, hi = chaos.ParamRange(sim.Param{Name: "n", Kind: sim.Int, Default: int64(5), Min: sim.Bound(1), Max: sim.Bound(8)})
	assert.Equal(t, [2]float64{1, 8}, [2]float64{lo, hi})
	lo, hi = chaos.ParamRange(sim.Param{Name: "delay", Kind: sim.Duration, Default: 10 * sim.Second})
	assert.Equal(t, [2]float64{0, 20}, [2]float64{lo, hi})
}
