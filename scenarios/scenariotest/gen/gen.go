// Package gen has pgregory.net/rapid generators of scenario variations:
// fault schedules, load shapes and parameter values, drawn within the
// ranges the fault registry declares and the scenario's topology allows,
// so every generated scenario validates. rapid shrinks what they draw.
//
//	base := scenariotest.Load(t, "testdata/api.yaml")
//	rapid.Check(t, func(rt *rapid.T) {
//		sc := gen.Scenario(base, gen.Options{MaxFaults: 3}).Draw(rt, "scenario")
//		res := scenariotest.Run(rt, sc)
//		res.AtLeast("p2c", "route_success_rate:after", 0.99)
//	})
package gen

import (
	"fmt"
	"math"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
	"github.com/tangle-sim/tangle/sim"
)

// Options say what a scenario generator varies.
type Options struct {
	Kinds     []string // fault kinds to draw from; empty: every kind that applies
	MaxFaults int      // faults per schedule, 1 to MaxFaults; default 3
	// Load varies each client's load shape (a spike, a step or a ramp)
	// on top of the schedule.
	Load bool
}

// source adapts rapid's *T to chaos.Source: every choice is a rapid draw,
// so rapid records and shrinks them (toward 0: fewer faults, earlier
// kinds, shorter windows, parameters at the low end).
type source struct{ t *rapid.T }

func (s source) IntN(n int) int {
	if n <= 1 {
		return 0
	}
	return rapid.IntRange(0, n-1).Draw(s.t, "choice")
}

func (s source) Float64() float64 { return rapid.Float64Range(0, 1).Draw(s.t, "u") }

// Source returns a chaos.Source drawing from t, for custom generators
// built on chaos.Space.
func Source(t *rapid.T) chaos.Source { return source{t} }

// Faults generates fault schedules for sp: 1 to sp.MaxFaults faults of
// its kinds (or of kinds, when given), each with a target, a window and
// parameters within their valid ranges.
func Faults(sp *chaos.Space, kinds ...string) *rapid.Generator[[]scenarios.Fault] {
	return rapid.Custom(func(t *rapid.T) []scenarios.Fault { return sp.Draw(source{t}, kinds) })
}

// Param generates values of one declared parameter within its range
// (chaos.ParamRange), as the parameter's Go type.
func Param(p sim.Param) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		v, ok := chaos.DrawParam(source{t}, p)
		if !ok {
			return p.Default
		}
		return v
	})
}

// LoadShape generates a rate change for a client whose base rate is rate,
// within [start, end) of the run: a spike (up to 3× for up to a tenth of
// the window), a step (0.5× to 1.5×) or a ramp to such a rate.
func LoadShape(rate scenarios.Rate, start, end sim.Time) *rapid.Generator[scenarios.RateStep] {
	return rapid.Custom(func(t *rapid.T) scenarios.RateStep {
		span := int((end - start) / sim.Second)
		at := start + sim.Time(rapid.IntRange(0, max(0, span-2)).Draw(t, "at"))*sim.Second
		left := max(1, int((end-at)/sim.Second))
		st := scenarios.RateStep{At: scenarios.Duration(at)}
		switch rapid.IntRange(0, 2).Draw(t, "shape") {
		case 0: // spike
			st.Rate = scenarios.Rate(roundRate(float64(rate) * rapid.Float64Range(1, 3).Draw(t, "spike")))
			st.Duration = scenarios.Duration(sim.Time(rapid.IntRange(1, max(1, min(left, span/10))).Draw(t, "length")) * sim.Second)
		case 1: // step
			st.Rate = scenarios.Rate(roundRate(float64(rate) * rapid.Float64Range(0.5, 1.5).Draw(t, "step")))
		default: // ramp
			st.Rate = scenarios.Rate(roundRate(float64(rate) * rapid.Float64Range(0.5, 1.5).Draw(t, "ramp")))
			st.Ramp = scenarios.Duration(sim.Time(rapid.IntRange(1, left).Draw(t, "ramp length")) * sim.Second)
		}
		return st
	})
}

func roundRate(r float64) float64 { return max(0.1, math.Round(r*10)/10) }

// Scenario generates variations of base: its faults replaced by a drawn
// schedule and, with opts.Load, one load change per client. Every
// generated scenario is parsed from its own YAML (so it validates, and a
// failing one can be written out and rerun as is).
func Scenario(base *scenarios.Scenario, opts Options) *rapid.Generator[*scenarios.Scenario] {
	sp, err := chaos.NewSpace(base, opts.Kinds, max(1, cmpOr(opts.MaxFaults, 3)))
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		if err != nil {
			t.Fatalf("gen.Scenario: %v", err)
		}
		cp := *base
		cp.Faults = sp.Draw(source{t}, nil)
		if opts.Load {
			cp.Topology.Clients = append([]scenarios.Client(nil), base.Topology.Clients...)
			for i := range cp.Topology.Clients {
				c := &cp.Topology.Clients[i]
				c.Schedule = []scenarios.RateStep{LoadShape(c.Rate, sp.Start, sp.End).Draw(t, fmt.Sprintf("load %s", c.Name))}
			}
		}
		sc, err := chaos.Reparse(&cp)
		if err != nil {
			t.Fatalf("gen.Scenario drew an invalid scenario (a bug in gen): %v", err)
		}
		return sc
	})
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
