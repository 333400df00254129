package scenarios_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// shortened returns a built-in scenario cut to at most two hours and three
// replications, so every built-in can be run several times in the suite.
func shortened(t *testing.T, name string) *scenarios.Scenario {
	sc := builtin(t, name)
	if sc.Duration.T() > 2*sim.Hour {
		sc.Duration = scenarios.Duration(2 * sim.Hour)
		sc.Warmup = min(sc.Warmup, scenarios.Duration(10*sim.Minute))
	}
	sc.Replications = min(sc.Replications, 3)
	return sc
}

func summaryJSON(t *testing.T, sc *scenarios.Scenario, workers int) []byte {
	t.Helper()
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, reports.NewSummary(res, reports.Meta{Version: "test", Rerun: "rerun"})); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Strategies {
		for _, r := range s.Runs {
			if err := reports.WriteSeriesCSV(&buf, r.Series); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := reports.WriteTable(&buf, res); err != nil { // the terminal table too
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBuiltinsDeterministic runs every built-in scenario twice with one
// seed, sequentially and in parallel, and requires byte-identical summary
// JSON and series.
func TestBuiltinsDeterministic(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sc := shortened(t, b.Name)
			seq := summaryJSON(t, sc, 1)
			again := summaryJSON(t, sc, 1)
			par := summaryJSON(t, sc, 4)
			if !bytes.Equal(seq, again) {
				t.Fatal("two sequential runs with the same seed differ")
			}
			if !bytes.Equal(seq, par) {
				t.Fatal("parallel replications differ from sequential ones")
			}
		})
	}
}

// counter counts every request that ends, whatever its arrival time.
type counter struct {
	ended    uint64
	outcomes [8]uint64
}

func (c *counter) RequestEnded(_ sim.Time, r *topology.Request) {
	c.ended++
	c.outcomes[r.Outcome]++
}

// TestBuiltinsConserveRequests checks, for every built-in scenario and
// strategy, that every generated request ends exactly once: generated =
// sum of outcomes, and nothing is left in flight after the drain.
func TestBuiltinsConserveRequests(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sc := shortened(t, b.Name)
			for i := range sc.Strategies {
				b, err := sc.Build(i, 42)
				if err != nil {
					t.Fatal(err)
				}
				w, rec := b.World, b.Recorder
				cnt := &counter{}
				w.Observe(cnt)
				w.Start(sc.Duration.T())
				w.Eng.Run(sc.Duration.T())
				w.Drain(sc.Drain.T())
				var generated uint64
				for _, c := range w.Clients {
					generated += c.Generated
				}
				sum := uint64(0)
				for _, o := range topology.Outcomes {
					sum += cnt.outcomes[o]
				}
				if generated == 0 || cnt.ended != generated || sum != generated || w.InFlight() != 0 {
					t.Errorf("strategy %s: generated %d, ended %d, by outcome %d, in flight %d",
						sc.Strategies[i].Name, generated, cnt.ended, sum, w.InFlight())
				}
				s := rec.Summary()
				parts := 0.0
				for _, o := range topology.Outcomes {
					parts += s["requests_"+o.String()]
				}
				if parts != s["requests_total"] {
					t.Errorf("strategy %s: outcome counts sum to %g, requests_total is %g", sc.Strategies[i].Name, parts, s["requests_total"])
				}
			}
		})
	}
}
