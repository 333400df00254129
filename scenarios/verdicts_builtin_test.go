package scenarios_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/sim"
)

// TestBuiltinsStateTheirVerdicts: every built-in declares checks or SLOs,
// and running it (shortened as the other built-in tests do) gives the
// verdict it states — the strategies expected to pass hold every check,
// each contrast declared expect: fail fails at least one — so `make run`
// stays green while every built-in makes its point. Built-ins longer than
// the 2 h test budget (mm1's five days) are only checked for declaring a
// verdict.
func TestBuiltinsStateTheirVerdicts(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sc := builtin(t, b.Name)
			if len(sc.Checks)+len(sc.SLOs) == 0 {
				t.Fatal("declares no checks or SLOs: its report would open with no verdict")
			}
			if sc.Duration.T() > 2*sim.Hour {
				t.Skipf("%v run: too long for a unit test", sc.Duration)
			}
			sc = shortened(t, b.Name)
			res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
			if err != nil {
				t.Fatal(err)
			}
			results := res.Checks()
			if v := scenarios.Verdict(results); v != "pass" {
				var lines []string
				for _, r := range results {
					lines = append(lines, r.Strategy+": "+r.Name+" "+map[bool]string{true: "held", false: "failed"}[r.Passed]+" ("+r.Detail+")")
				}
				t.Errorf("verdict %s, want pass (unexpected passes: %v):\n%s", v, scenarios.UnexpectedPasses(results), strings.Join(lines, "\n"))
			}
		})
	}
}
