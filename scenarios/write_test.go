package scenarios_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/reports"
	"github.com/tangle-sim/tangle/scenarios"
)

// TestYAMLRoundTripBuiltins: every built-in scenario written out and read
// back writes out the same bytes again (the writer loses nothing it reads).
func TestYAMLRoundTripBuiltins(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			sc, err := scenarios.Builtin(b.Name)
			require.NoError(t, err)
			out, err := sc.YAML()
			require.NoError(t, err)
			back, err := scenarios.Parse(b.Name+".yaml", out)
			require.NoError(t, err, "written:\n%s", out)
			again, err := back.YAML()
			require.NoError(t, err)
			assert.Equal(t, string(out), string(again))
		})
	}
}

// TestYAMLRoundTripRuns: scenario → YAML → scenario runs to the same
// results, also after the faults, checks, strategies and load were changed
// in Go.
func TestYAMLRoundTripRuns(t *testing.T) {
	sets := overrides(t, "duration=4m", "replications=2")
	sc, err := scenarios.Builtin("retry-storm", sets...)
	require.NoError(t, err)
	edited := *sc
	edited.Strategies = []scenarios.Strategy{sc.Strategies[2], sc.Strategies[1]}
	edited.Faults = append([]scenarios.Fault{}, sc.Faults...)
	edited.Faults[0].Target.Mode, edited.Faults[0].Target.Value = "percent", 50
	edited.Checks = []scenarios.Check{scenarios.MaxCheck("non_recovery", "0", "naive-retries")}
	edited.Topology.Clients = append([]scenarios.Client{}, sc.Topology.Clients...)
	edited.Topology.Clients[0].Schedule = []scenarios.RateStep{{At: scenarios.Duration(90e9), Rate: 600, Duration: scenarios.Duration(10e9)}}
	for name, s := range map[string]*scenarios.Scenario{"as parsed": sc, "edited": &edited} {
		t.Run(name, func(t *testing.T) {
			out, err := s.YAML()
			require.NoError(t, err)
			back, err := scenarios.Parse("rt.yaml", out)
			require.NoError(t, err, "written:\n%s", out)
			if s == sc {
				a, err := scenarios.Run(context.Background(), s, scenarios.Options{})
				require.NoError(t, err)
				b, err := scenarios.Run(context.Background(), back, scenarios.Options{})
				require.NoError(t, err)
				assert.Equal(t, digest(a), digest(b))
				// The results document (what tangle run --out writes) is the
				// same bytes, but for the file's name, hash and overrides
				// (written into the file).
				same := *back
				same.Source, same.Hash, same.Overrides = sc.Source, sc.Hash, sc.Overrides
				b.Scenario = &same
				ja, err := json.Marshal(reports.NewResults(a, reports.Meta{Version: "test"}))
				require.NoError(t, err)
				jb, err := json.Marshal(reports.NewResults(b, reports.Meta{Version: "test"}))
				require.NoError(t, err)
				if i := firstDiff(ja, jb); i >= 0 {
					t.Errorf("results documents differ at byte %d: %q vs %q", i, ja[max(0, i-80):min(len(ja), i+80)], jb[max(0, i-80):min(len(jb), i+80)])
				}
				return
			}
			// The edited scenario's own run needs it parsed (checks are
			// resolved by validation): the written file must run like a
			// second writing of it.
			again, err := back.YAML()
			require.NoError(t, err)
			require.Equal(t, string(out), string(again))
			twice, err := scenarios.Parse("rt2.yaml", again)
			require.NoError(t, err)
			a, err := scenarios.Run(context.Background(), back, scenarios.Options{})
			require.NoError(t, err)
			b, err := scenarios.Run(context.Background(), twice, scenarios.Options{})
			require.NoError(t, err)
			assert.Equal(t, digest(a), digest(b))
			assert.Equal(t, []string{"retry-budget", "naive-retries"}, []string{a.Strategies[0].Name, a.Strategies[1].Name})
			assert.Contains(t, string(out), "mode: percent")
			assert.Len(t, a.Checks(), 1)
			assert.False(t, a.Checks()[0].Passed, "naive retries do not recover")
		})
	}
}

// digest renders every number of a result, NaN included, for comparison.
func digest(res *scenarios.Result) string {
	s := fmt.Sprint(res.Seed, res.Seeds)
	for _, st := range res.Strategies {
		for _, r := range st.Runs {
			s += fmt.Sprint(st.Name, r.Seed, r.Summary, r.Series.Values, r.Faults, r.Events)
		}
	}
	return s
}

func overrides(t *testing.T, sets ...string) []scenarios.Override {
	t.Helper()
	var out []scenarios.Override
	for _, s := range sets {
		o, err := scenarios.ParseOverride(s)
		require.NoError(t, err)
		out = append(out, o)
	}
	return out
}

// firstDiff is the first index where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
