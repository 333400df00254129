package scenarios_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/scenarios"
)

// TestRecoveryRetryStorm: after retry-storm's brownout, naive retries never
// recover (a metastable failure) while the retry budget and no retries do,
// no retries faster than the budget, which pays for its backlog.
func TestRecoveryRetryStorm(t *testing.T) {
	sets := []scenarios.Override{}
	for _, s := range []string{"duration=5m", "replications=2"} {
		o, err := scenarios.ParseOverride(s)
		require.NoError(t, err)
		sets = append(sets, o)
	}
	sc, err := scenarios.Builtin("retry-storm", sets...)
	require.NoError(t, err)
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	require.NoError(t, err)

	naive := strategy(t, res, "naive-retries").Metrics
	assert.Equal(t, 1.0, naive["non_recovery"].Mean, "naive retries must not recover")
	assert.True(t, math.IsNaN(naive["recovery_time"].Mean), "a run that never recovers has no recovery time")

	for _, name := range []string{"no-retries", "retry-budget"} {
		m := strategy(t, res, name).Metrics
		assert.Equal(t, 0.0, m["non_recovery"].Mean, name)
		assert.Greater(t, m["recovery_time"].Mean, 0.0, name)
		assert.Less(t, m["recovery_time"].Mean, 150.0, name)
	}
	assert.Less(t, strategy(t, res, "no-retries").Metrics["recovery_time"].Mean,
		strategy(t, res, "retry-budget").Metrics["recovery_time"].Mean)
}

// TestRecoveryUndefined: without room after the last fault for a sustained
// recovery, or without a pre-fault baseline, both metrics are undefined
// (a check on them then fails rather than passing on nothing).
func TestRecoveryUndefined(t *testing.T) {
	for name, faultsYAML := range map[string]string{
		"no room after":       "[{kind: degradation, at: 30s, duration: 50s, params: {slowdown: 2}}]",
		"permanent":           "[{kind: degradation, at: 30s, params: {slowdown: 2}}]",
		"no baseline":         "[{kind: degradation, at: 0s, duration: 10s, params: {slowdown: 2}}]",
		"fault before warmup": "[{kind: degradation, at: 1s, duration: 10s, params: {slowdown: 2}}]",
	} {
		t.Run(name, func(t *testing.T) {
			src := `name: u
duration: 100s
warmup: 5s
topology:
  services: [{name: api, replicas: 2, service_time: 10ms}]
  clients: [{name: c, target: api, rate: 50/s}]
faults: ` + faultsYAML + "\n"
			sc, err := scenarios.Parse("u.yaml", []byte(src))
			require.NoError(t, err)
			res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
			require.NoError(t, err)
			m := res.Strategies[0].Metrics
			assert.True(t, math.IsNaN(m["recovery_time"].Mean))
			assert.True(t, math.IsNaN(m["non_recovery"].Mean))
		})
	}
}

// TestRecoveryImmediate: a fault that does no harm recovers in the first
// bucket after it.
func TestRecoveryImmediate(t *testing.T) {
	src := `name: ok
duration: 200s
topology:
  services: [{name: api, replicas: 4, service_time: 10ms}]
  clients: [{name: c, target: api, rate: 50/s}]
faults: [{kind: degradation, at: 60s, duration: 10s, params: {extra_latency: 1ms}}]
`
	sc, err := scenarios.Parse("ok.yaml", []byte(src))
	require.NoError(t, err)
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	require.NoError(t, err)
	m := res.Strategies[0].Metrics
	assert.Equal(t, 0.0, m["non_recovery"].Mean)
	assert.Equal(t, 0.0, m["recovery_time"].Mean)
}
