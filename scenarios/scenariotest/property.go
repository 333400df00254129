package scenariotest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
	"github.com/tangle-sim/tangle/scenarios/scenariotest/gen"
)

// Property checks prop on variations of base drawn by gen.Scenario (a
// fault schedule of up to opts.MaxFaults faults, and with opts.Load a load
// change per client), as a rapid property: `go test -rapid.checks=N`
// sets how many. The first failing scenario is shrunk with tangle's
// domain steps (drop a fault, shorten a window, narrow a target, lower a
// parameter) until removing any fault makes prop hold; it is written to a
// file and the failure message prints it with its seed and rerun line.
// rapid then shrinks its own draws as usual.
//
// rapid keeps a failing case in testdata/rapid unless -rapid.nofailfile
// is set.
func Property(t rapid.TB, base *scenarios.Scenario, opts gen.Options, prop Prop) {
	t.Helper()
	g := gen.Scenario(base, opts)
	var minimal string // the report of the first failure, shrunk
	rapid.Check(t, func(rt *rapid.T) {
		sc := g.Draw(rt, "scenario")
		res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
		if err != nil {
			rt.Fatalf("scenariotest: %v\n%s", err, Rerun(sc))
		}
		perr := prop(res)
		if perr == nil {
			return
		}
		if minimal == "" {
			minimal = Minimize(sc, prop)
		}
		rt.Fatalf("%v\n%s\n%s", perr, Rerun(sc), minimal)
	})
}

// Minimize shrinks sc's fault schedule while prop keeps failing on it, and
// returns a report: the minimal scenario's YAML, why it fails, its seed
// and rerun line (it is written to a file).
func Minimize(sc *scenarios.Scenario, prop Prop) string {
	runs := 0
	failsWith := func(fs []scenarios.Fault) (*scenarios.Scenario, error) {
		c, err := chaos.WithFaults(sc, fs)
		if err != nil {
			return nil, err
		}
		runs++
		res, err := scenarios.Run(context.Background(), c, scenarios.Options{})
		if err != nil {
			return nil, err
		}
		return c, prop(res)
	}
	min := chaos.Shrink(sc.Faults, func(fs []scenarios.Fault) bool {
		_, err := failsWith(fs)
		return err != nil
	}, 200)
	msc, why := failsWith(min)
	if msc == nil || why == nil {
		return "scenariotest: shrinking lost the failure (nondeterminism?); the original scenario: " + Rerun(sc)
	}
	var stillFails error
	for i := range min {
		if _, err := failsWith(slices.Delete(slices.Clone(min), i, i+1)); err != nil {
			stillFails = err
		}
	}
	src, err := msc.YAML()
	if err != nil {
		return fmt.Sprintf("scenariotest: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "minimal failing scenario: %d fault%s (from %d, in %d runs)", len(min), plural(len(min)), len(sc.Faults), runs)
	if stillFails == nil {
		b.WriteString("; without any one of them the property holds")
	} else {
		why := strings.SplitN(stillFails.Error(), "\n", 2)[0]
		fmt.Fprintf(&b, "; without one of them the property still fails or cannot be evaluated (%s)", why)
	}
	fmt.Fprintf(&b, "\nfails with: %v\n%s\n---\n%s---", why, Rerun(msc), src)
	return b.String()
}
