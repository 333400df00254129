// Package proptest is a user's own module testing a scenario with tangle's
// testing package: a property over random fault schedules, and a plain
// test with assertions. `make test` in tangle runs it, so the workflow of
// docs/testing.md cannot rot.
package proptest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/scenarios/scenariotest"
	"github.com/tangle-sim/tangle/scenarios/scenariotest/gen"
)

// MaxRecovery is the property's threshold: seconds from the end of the
// last fault until success rate and latency are back at their pre-fault
// baseline (recovery_time; undefined, and so failing, if they never are).
const MaxRecovery = 120

// TestRecoversFromFaults: for any schedule of up to three crashes, pauses
// and degradations, p2c with a retry budget is back at its baseline within
// two minutes of the last fault, and every request ends exactly once.
func TestRecoversFromFaults(t *testing.T) {
	base := scenariotest.Load(t, "testdata/api.yaml")
	scenariotest.Property(t, base, gen.Options{Kinds: []string{"crash", "pause", "degradation"}, MaxFaults: 3},
		scenariotest.All(
			scenariotest.AtMost("p2c", "recovery_time", MaxRecovery),
			scenariotest.Invariants,
		))
}

// TestFileAsWritten: the scenario with its own fault passes its checks
// and the built-in invariants.
func TestFileAsWritten(t *testing.T) {
	res := scenariotest.Run(t, scenariotest.Load(t, "testdata/api.yaml"))
	res.ChecksPass()
	res.Invariants()
	require.Greater(t, res.Metric("p2c", "throughput"), 200.0)
}
