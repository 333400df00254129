package metrics

import (
	"math"
	"testing"

	"github.com/tangle-sim/tangle/sim"
)

// Route convergence: after a perturbation, routing is stable from the last
// significant change followed by the settle window without another.
func TestRouteConvergence(t *testing.T) {
	s := sim.Second
	c := &Control{cfg: Config{Warmup: 0, Horizon: 1000 * s}, cc: ControlConfig{Tolerance: 0.05, Settle: 60 * s}}
	for _, at := range []sim.Time{100 * s, 400 * s, 700 * s, 950 * s} {
		c.perts = append(c.perts, perturbation{at: at, last: at})
	}
	// After 100 s: changes at 110, 150 and 200 s, then quiet: stable at 200 s.
	// After 400 s: nothing changes: converged at once.
	// After 700 s: changes every 30 s until 900 s: stable from 900 s.
	// After 950 s: a change at 960 s and the run ends 40 s later: unconverged.
	for _, t := range []sim.Time{110, 150, 200, 700, 730, 760, 790, 820, 850, 880, 900, 960} {
		c.change(t * s)
	}
	mean, un := c.convergence()
	want := (100.0 + 0 + 200) / 3
	if math.Abs(mean-want) > 1e-9 || un != 1 {
		t.Fatalf("convergence %.3f s with %v unconverged, want %.3f s and 1", mean, un, want)
	}
}
