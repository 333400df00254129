package scenarios_test

import (
	"bytes"
	"context"
	"reflect"
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

// brief returns a built-in scenario cut for the whole-library tests: at most two
// replications (enough for parallel runs to interleave; one for the
// heaviest), and a duration cut
// to about requestBudget generated requests per run, but never before every
// scheduled change (faults, rate steps, state changes, updates) has begun
// and ended, so every code path a built-in exercises still runs.
func brief(t *testing.T, name string) *scenarios.Scenario {
	sc := builtin(t, name)
	const requestBudget = 60000
	rate := 0.0
	for _, c := range sc.Topology.Clients {
		rate += float64(c.Rate)
		for _, st := range c.Schedule {
			rate = max(rate, float64(st.Rate))
		}
	}
	d := min(sc.Duration.T(), 2*sim.Hour)
	if rate > 0 {
		d = min(d, sim.Seconds(requestBudget/rate))
	}
	if last := lastChange(reflect.ValueOf(sc).Elem()) + sim.Minute; d < last {
		d = min(last, sc.Duration.T())
	}
	if d < sc.Duration.T() {
		sc.Duration = scenarios.Duration(d)
		sc.Warmup = min(sc.Warmup, scenarios.Duration(d/4))
	}
	sc.Replications = min(sc.Replications, 2)
	// The heaviest (by the cost estimate) keep one replication: their
	// strategies still run in parallel, and the lighter built-ins cover
	// parallel replications.
	if sc.Cost(0, 1).Events > 10e6 {
		sc.Replications = 1
	}
	return sc
}

// lastChange is the latest end of anything scheduled in v: the largest
// At (plus its Duration or Ramp) of every struct reachable from v.
func lastChange(v reflect.Value) sim.Time {
	durType := reflect.TypeFor[scenarios.Duration]()
	var last sim.Time
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			last = lastChange(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			last = max(last, lastChange(v.Index(i)))
		}
	case reflect.Struct:
		if at := v.FieldByName("At"); at.IsValid() && at.Type() == durType {
			end := sim.Time(at.Int())
			for _, f := range []string{"Duration", "Ramp"} {
				if x := v.FieldByName(f); x.IsValid() && x.Type() == durType {
					end += sim.Time(x.Int())
				}
			}
			last = max(last, end)
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				last = max(last, lastChange(v.Field(i)))
			}
		}
	}
	return last
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
// seed, once sequentially and once with parallel replications, and requires
// byte-identical summary JSON, series and table: the second run is both a
// repeat and a parallel one, so one comparison checks both properties.
func TestBuiltinsDeterministic(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sc := brief(t, b.Name)
			seq := summaryJSON(t, sc, 1)
			par := summaryJSON(t, sc, 4)
			if !bytes.Equal(seq, par) {
				t.Fatal("a second run with the same seed, with parallel replications, differs from a sequential one")
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
			sc := brief(t, b.Name)
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
