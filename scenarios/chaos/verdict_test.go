package chaos_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/faults"
	"github.com/tangle-sim/tangle/metrics"
	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
)

// TestInvariants: each built-in invariant catches its violation in a
// doctored result, and a sound result has none.
func TestInvariants(t *testing.T) {
	sc, err := scenarios.Builtin("split-brain")
	require.NoError(t, err)
	retry := load(t) // strategies with num_retries: 2
	sound := func() metrics.Summary {
		return metrics.Summary{"requests_total": 10, "requests_success": 7, "requests_error": 1, "requests_timeout": 1,
			"requests_rejected": 1, "requests_dropped": 0, "retry_amplification": 1.5, "stale_writes_accepted": 0}
	}
	for _, tc := range []struct {
		name     string
		sc       *scenarios.Scenario
		strategy string
		edit     func(r *scenarios.RunResult)
		want     string
	}{
		{"sound", sc, "fencing", func(*scenarios.RunResult) {}, ""},
		{"conservation", sc, "fencing", func(r *scenarios.RunResult) { r.Summary["requests_success"] = 8 }, "request conservation: replication 0: 10 requests but 11 outcomes"},
		{"series time", sc, "fencing", func(r *scenarios.RunResult) { r.Series = &metrics.Series{Time: []float64{1, 2, 2}} }, "monotone time: replication 0: series time 2 after 2"},
		{"fault window", sc, "fencing", func(r *scenarios.RunResult) { r.Faults = []faults.Window{{Start: 5, End: 4}} }, "monotone time: replication 0: fault 0 ends"},
		{"fencing", sc, "fencing", func(r *scenarios.RunResult) { r.Summary["stale_writes_accepted"] = 3 }, "fencing: replication 0: the store accepted 3 writes from a deposed leader"},
		{"no fencing, stale writes allowed", sc, "no-fencing", func(r *scenarios.RunResult) { r.Summary["stale_writes_accepted"] = 3 }, ""},
		{"retries", retry, "naive-retries", func(r *scenarios.RunResult) { r.Summary["retry_amplification"] = 3.5 }, "retry accounting: replication 0: 3.5 attempts per request, outside [1, 3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := scenarios.RunResult{Summary: sound()}
			tc.edit(&run)
			res := &scenarios.Result{Scenario: &scenarios.Scenario{}, Strategies: []scenarios.StrategyResult{{Name: tc.strategy, Runs: []scenarios.RunResult{run}}}}
			res.Scenario.Strategies = tc.sc.Strategies
			vs := chaos.Evaluate(res, chaos.Properties{})
			if tc.want == "" {
				assert.Empty(t, vs)
				return
			}
			require.Len(t, vs, 1)
			assert.Equal(t, "invariant", vs[0].Kind)
			assert.Contains(t, vs[0].What, tc.want)
		})
	}
}

// TestInvariantsHoldOnBuiltins: real runs break no invariant: split-brain
// (whose fencing strategy must accept no stale write) and retry-storm.
func TestInvariantsHoldOnBuiltins(t *testing.T) {
	for _, name := range []string{"split-brain", "retry-storm"} {
		sc, err := scenarios.Builtin(name, scenarios.Override{Path: "replications", Value: "1"})
		require.NoError(t, err)
		res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
		require.NoError(t, err)
		for _, v := range chaos.Evaluate(res, chaos.Properties{}) {
			assert.NotEqual(t, "invariant", v.Kind, "%s: %s", name, v)
		}
	}
}
