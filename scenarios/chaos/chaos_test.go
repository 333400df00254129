package chaos_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
)

// hunt is the search of the "done when": 20 trials hunting for a
// schedule after which the strategy does not recover.
func hunt(strategy string) chaos.Config {
	return chaos.Config{Seed: 3, Trials: 20, Strategies: []string{strategy}, Properties: chaos.Properties{NonRecovery: true}}
}

func load(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("testdata/retry-storm.yaml")
	require.NoError(t, err)
	return sc
}

// TestNaiveRetriesDoNotRecover: the search finds a schedule after which
// naive retries never recover, shrinks it to at most two faults, and the
// minimal file fails `tangle run` (its non_recovery check) while the same
// file without any one of its faults does not fail for that reason.
func TestNaiveRetriesDoNotRecover(t *testing.T) {
	t.Parallel()
	rep, err := chaos.Search(context.Background(), load(t), hunt("naive-retries"))
	require.NoError(t, err)
	f := rep.Failure
	require.NotNil(t, f, "no failing schedule in %d trials", rep.Trials)
	assert.LessOrEqual(t, len(f.Minimal), 2)
	assert.LessOrEqual(t, len(f.Minimal), len(f.Original))
	assert.True(t, f.Minimal1)

	src, err := f.MinimalYAML("minimal.yaml", "tangle chaos testdata/retry-storm.yaml --seed 1")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "minimal.yaml")
	require.NoError(t, os.WriteFile(path, src, 0o644))
	assert.Contains(t, string(src), "# Rerun:    tangle run minimal.yaml --seed 7")
	assert.Contains(t, string(src), "non-recovery on naive-retries")

	// tangle run reproduces it: the file's check fails.
	sc, err := scenarios.Load(path)
	require.NoError(t, err)
	assert.Len(t, sc.Faults, len(f.Minimal))
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	require.NoError(t, err)
	assert.Equal(t, "fail", scenarios.Verdict(res.Checks()))

	// Without any one fault it recovers.
	for i := range sc.Faults {
		fewer, err := chaos.WithFaults(sc, slices.Delete(slices.Clone(sc.Faults), i, i+1))
		require.NoError(t, err)
		res, err := scenarios.Run(context.Background(), fewer, scenarios.Options{})
		require.NoError(t, err)
		for _, v := range chaos.Evaluate(res, chaos.Properties{NonRecovery: true}) {
			assert.NotEqual(t, "non-recovery", v.Kind, "fault %d removed: %s", i, v)
			assert.NotEqual(t, "threshold", v.Kind, "fault %d removed: %s", i, v)
		}
	}
}

// TestRetryBudgetRecovers: the same search on the retry budget finds
// nothing.
func TestRetryBudgetRecovers(t *testing.T) {
	t.Parallel()
	rep, err := chaos.Search(context.Background(), load(t), hunt("retry-budget"))
	require.NoError(t, err)
	assert.Nil(t, rep.Failure)
	assert.Equal(t, 20, rep.Trials)
}

// TestSearchWorkersAndResume: the outcome does not depend on the number of
// workers, and a search resumed from its state file ends where an
// uninterrupted one does.
func TestSearchWorkersAndResume(t *testing.T) {
	t.Parallel()
	sc := load(t)
	cfg := hunt("naive-retries")
	cfg.Seed, cfg.Kinds, cfg.Trials, cfg.ShrinkBudget = 4, []string{"pause", "link", "crash"}, 14, 3
	one := cfg
	one.Workers = 1
	a, err := chaos.Search(context.Background(), sc, one)
	require.NoError(t, err)
	three := cfg
	three.Workers = 3
	b, err := chaos.Search(context.Background(), sc, three)
	require.NoError(t, err)
	require.NotNil(t, a.Failure)
	require.NotNil(t, b.Failure)
	assert.Equal(t, a.Failure.Trial, b.Failure.Trial)
	require.Positive(t, a.Failure.Trial, "the resume below needs a trial before the failing one")
	ya, _ := a.Failure.Scenario.YAML()
	yb, _ := b.Failure.Scenario.YAML()
	assert.Equal(t, string(ya), string(yb))

	// Resume: the first part stops before the failing trial.
	state := filepath.Join(t.TempDir(), "chaos-state.json")
	first := cfg
	first.Workers, first.Trials, first.State = 1, a.Failure.Trial, state
	r1, err := chaos.Search(context.Background(), sc, first)
	require.NoError(t, err)
	assert.Nil(t, r1.Failure)
	var seen []int
	rest := cfg
	rest.Workers, rest.State = 1, state
	rest.Progress = func(done, _ int) { seen = append(seen, done) }
	r2, err := chaos.Search(context.Background(), sc, rest)
	require.NoError(t, err)
	require.NotNil(t, r2.Failure)
	assert.Equal(t, a.Failure.Trial, r2.Failure.Trial)
	assert.Empty(t, seen, "the resumed search starts at the failing trial")

	other := rest
	other.Seed = 2
	_, err = chaos.Search(context.Background(), sc, other)
	assert.ErrorContains(t, err, "records another search")
}

// TestShrinkMinimal: against a naive oracle that fails when a crash of at
// least 5 s is in the schedule, shrinking any failing schedule leaves one
// crash of 5 to 9 s on one target, which fails, and removing any fault of
// the result makes it pass.
func TestShrinkMinimal(t *testing.T) {
	sp, err := chaos.NewSpace(load(t), nil, 4)
	require.NoError(t, err)
	fails := func(fs []scenarios.Fault) bool {
		return slices.ContainsFunc(fs, func(f scenarios.Fault) bool { return f.Kind == "crash" && f.Duration.T().Seconds() >= 5 })
	}
	rapid.Check(t, func(rt *rapid.T) {
		fs := sp.Draw(source{rt}, nil)
		if !fails(fs) {
			return
		}
		min := chaos.Shrink(fs, fails, 0)
		if !fails(min) || len(min) != 1 {
			rt.Fatalf("shrunk to %v", min)
		}
		if d := min[0].Duration.T().Seconds(); d >= 10 || min[0].Target.Mode != "one" || len(min[0].Params) != 0 {
			rt.Fatalf("not minimal: %+v", min[0])
		}
	})
}

type source struct{ t *rapid.T }

func (s source) IntN(n int) int {
	if n <= 1 {
		return 0
	}
	return rapid.IntRange(0, n-1).Draw(s.t, "choice")
}
func (s source) Float64() float64 { return rapid.Float64Range(0, 1).Draw(s.t, "u") }
