package chaos_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
)

// A declared edge is a target of the replica faults the search draws, and
// a schedule aimed at it survives being written out and parsed again (the
// file a failure replays from).
func TestEdgesAreChaosTargets(t *testing.T) {
	sc, err := scenarios.Builtin("three-tier-cascade")
	require.NoError(t, err)
	sp, err := chaos.NewSpace(sc, []string{"crash", "pause"}, 2)
	require.NoError(t, err)
	for _, k := range sp.Kinds {
		assert.True(t, slices.ContainsFunc(k.Targets, func(tg scenarios.Target) bool { return tg.Edge == "gw" }), "%s cannot aim at the edge", k.Def.Name)
	}
	back, err := chaos.WithFaults(sc, []scenarios.Fault{{Kind: "crash", At: sc.Faults[0].At, Duration: sc.Faults[0].Duration, Target: scenarios.Target{Edge: "gw"}}})
	require.NoError(t, err)
	require.Len(t, back.Faults, 1)
	assert.Equal(t, "gw", back.Faults[0].Target.Edge)
}
