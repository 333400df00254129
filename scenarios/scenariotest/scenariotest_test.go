package scenariotest_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/scenariotest"
	"github.com/tangle-sim/tangle/scenarios/scenariotest/gen"
)

// recorder is a rapid.TB that keeps what a test would print and stops
// the test's goroutine on Fatal, as testing.T does.
type recorder struct {
	mu     sync.Mutex
	logs   []string
	failed bool
}

func (r *recorder) add(failed bool, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
	r.failed = r.failed || failed
}
func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return "TestRecorded" }
func (r *recorder) Logf(format string, args ...any)   { r.add(false, format, args...) }
func (r *recorder) Log(args ...any)                   { r.add(false, "%s", fmt.Sprint(args...)) }
func (r *recorder) Skipf(format string, args ...any)  { r.add(false, format, args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any)                  { r.Log(args...); runtime.Goexit() }
func (r *recorder) SkipNow()                          { runtime.Goexit() }
func (r *recorder) Errorf(format string, args ...any) { r.add(true, format, args...) }
func (r *recorder) Error(args ...any)                 { r.add(true, "%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.add(true, format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.add(true, "FailNow"); runtime.Goexit() }
func (r *recorder) Fail()                             { r.add(true, "Fail") }
func (r *recorder) Failed() bool                      { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }

// record runs f with a recorder in a goroutine of its own (Fatal ends it).
func record(f func(r *recorder)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// exampleFile is the scenario of the user-side example module
// (docs/examples/proptest), whose property this test breaks on purpose.
const exampleFile = "../../docs/examples/proptest/testdata/api.yaml"

// TestPropertyImpossibleThresholdShrinks: the example module's property
// with its threshold made impossible fails, and the failure message shows
// a readable minimal scenario (one fault, a one-second window, one target,
// default parameters) with its seed and a rerun line whose file replays
// the failure.
func TestPropertyImpossibleThresholdShrinks(t *testing.T) {
	base := scenariotest.Load(t, exampleFile)
	opts := gen.Options{Kinds: []string{"crash", "pause", "degradation"}, MaxFaults: 3}
	rec := record(func(r *recorder) {
		scenariotest.Property(r, base, opts, scenariotest.All(
			scenariotest.AtMost("p2c", "recovery_time", -1), // impossible
			scenariotest.Invariants,
		))
	})
	require.True(t, rec.Failed())
	all := strings.Join(rec.logs, "\n")
	assert.Contains(t, all, "minimal failing scenario: 1 fault")
	assert.Contains(t, all, "fails with: p2c recovery_time = ")
	assert.Contains(t, all, "want <= -1")
	m := regexp.MustCompile(`seed 7 · rerun: tangle run (\S+) --seed 7 --replications 1\n---\n`).FindStringSubmatch(all)
	require.NotNil(t, m, "no rerun line for the minimal scenario in:\n%s", all)

	// The file is the minimal scenario, and it replays the failure.
	src, err := os.ReadFile(m[1])
	require.NoError(t, err)
	assert.Contains(t, all, string(src), "the message shows the file")
	sc, err := scenarios.Parse(m[1], src)
	require.NoError(t, err)
	require.Len(t, sc.Faults, 1)
	f := sc.Faults[0]
	assert.Equal(t, "1s", f.Duration.String())
	assert.Empty(t, f.Params)
	assert.Contains(t, []string{"one", "percent"}, f.Target.Mode)
	res := scenariotest.Run(t, sc)
	assert.Error(t, scenariotest.AtMost("p2c", "recovery_time", -1)(res.Result))
}

// TestPropertyHolds: a property that holds passes silently.
func TestPropertyHolds(t *testing.T) {
	base := scenariotest.Load(t, "testdata/small.yaml", "strategies[rr].routing=random")
	rec := record(func(r *recorder) {
		scenariotest.Property(r, base, gen.Options{Kinds: []string{"crash"}, MaxFaults: 2}, scenariotest.Invariants)
	})
	assert.False(t, rec.Failed(), "%s", strings.Join(rec.logs, "\n"))
}

// TestRerunChangedScenario: a scenario changed after loading is written
// to a file of its own, which the rerun line names and which reads back
// as the same scenario.
func TestRerunChangedScenario(t *testing.T) {
	sc := scenariotest.Load(t, "testdata/small.yaml")
	assert.Equal(t, "seed 7 · rerun: tangle run testdata/small.yaml --seed 7 --replications 1", scenariotest.Rerun(sc))
	cp := *sc
	cp.Faults = nil
	cp.Seed = 9
	line := scenariotest.Rerun(&cp)
	m := regexp.MustCompile(`^seed 9 · rerun: tangle run (\S+small-[0-9a-f]{12}\.yaml) --seed 9 --replications 1$`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	back := scenariotest.Load(t, m[1])
	assert.Empty(t, back.Faults)
	assert.Equal(t, uint64(9), back.Seed)
}

// TestAssertionsReportUndefinedAndMissing: an undefined metric fails an
// assertion (a verdict never passes on nothing), and so does a missing one.
func TestAssertionsReportUndefinedAndMissing(t *testing.T) {
	res := scenariotest.Run(t, scenariotest.Load(t, "testdata/small.yaml", "faults[0].duration=0s"))
	err := scenariotest.AtMost("p2c", "recovery_time", 1e9)(res.Result)
	assert.ErrorContains(t, err, "p2c recovery_time is undefined in every replication")
	err = scenariotest.AtLeast("p2c", "no_such_metric", 0)(res.Result)
	assert.ErrorContains(t, err, `has no metric "no_such_metric"`)
	err = scenariotest.AtLeast("nope", "throughput", 0)(res.Result)
	assert.ErrorContains(t, err, `no strategy "nope"; strategies are p2c, rr`)
}

// TestMain keeps rapid from writing fail files into testdata for the
// failures these tests provoke on purpose.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := flag.Set("rapid.nofailfile", "true"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
