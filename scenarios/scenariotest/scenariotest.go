// Package scenariotest runs tangle scenarios from Go tests, in the style
// of net/http/httptest: load a scenario file (or write one in the test),
// run it, and assert on its metrics, checks and invariants. Every failure
// message carries the seed and the `tangle run …` line that reproduces it.
//
//	func TestAPI(t *testing.T) {
//		sc := scenariotest.Load(t, "testdata/api.yaml")
//		res := scenariotest.Run(t, sc)
//		res.AtLeast("p2c", "route_success_rate", 0.999)
//		res.ChecksPass()
//		res.Invariants()
//	}
//
// Property tests over random fault schedules (pgregory.net/rapid) go
// through Property, which shrinks a failure to a minimal scenario file;
// the generators are in package gen.
package scenariotest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/tangle-sim/tangle/scenarios"
	"github.com/tangle-sim/tangle/scenarios/chaos"
)

// TB is the part of testing.TB the helpers use; *testing.T, *testing.B
// and rapid's *T implement it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Load reads a scenario file (or a built-in by name) with overrides such
// as "duration=2m" or "topology.services[api].replicas=4"; any error fails
// the test.
func Load(t TB, path string, sets ...string) *scenarios.Scenario {
	t.Helper()
	var overrides []scenarios.Override
	for _, s := range sets {
		o, err := scenarios.ParseOverride(s)
		if err != nil {
			t.Fatalf("scenariotest: override %s: %v", s, err)
			return nil
		}
		overrides = append(overrides, o)
	}
	sc, err := scenarios.Open(path, overrides...)
	if err != nil {
		t.Fatalf("scenariotest: %v", err)
		return nil
	}
	return sc
}

// Parse reads a scenario written in the test; name is used in error
// positions and rerun lines. Any error fails the test.
func Parse(t TB, name, yaml string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse(name, []byte(yaml))
	if err != nil {
		t.Fatalf("scenariotest: %v", err)
		return nil
	}
	return sc
}

// Result is a finished run with assertions that report through the test
// that ran it. Each assertion marks the test failed (Errorf) and returns
// false when it does not hold.
type Result struct {
	*scenarios.Result
	t     TB
	rerun string
}

// Run simulates every strategy and replication of sc (in parallel; the
// result does not depend on it). An error fails the test.
func Run(t TB, sc *scenarios.Scenario) *Result {
	t.Helper()
	res, err := scenarios.Run(context.Background(), sc, scenarios.Options{})
	if err != nil {
		t.Fatalf("scenariotest: %v\n%s", err, Rerun(sc))
		return nil
	}
	return &Result{Result: res, t: t, rerun: Rerun(sc)}
}

// Rerun returns "seed S · rerun: tangle run FILE --seed S --replications R"
// for sc. A scenario changed since it was read from its file (a generated
// schedule, say) is first written to a file of its own under the system's
// temporary directory, named by its content, so the line reruns exactly
// what was run.
func Rerun(sc *scenarios.Scenario) string {
	file, sets := sc.Source, ""
	for _, o := range sc.Overrides {
		sets += " --set " + quote(o.Arg())
	}
	// The file (with the overrides) must still read as sc: compare the two
	// as written out.
	var orig *scenarios.Scenario
	var err error
	if name, ok := strings.CutPrefix(file, "builtin:"); ok {
		file = name
		orig, err = scenarios.Builtin(name, sc.Overrides...)
	} else {
		orig, err = scenarios.Load(file, sc.Overrides...)
	}
	if err != nil || !sameYAML(orig, sc) {
		file = ""
	}
	if file == "" {
		if file, err = WriteFile(sc); err != nil {
			return fmt.Sprintf("seed %d · (could not write the scenario to rerun it: %v)", sc.Seed, err)
		}
		sets = ""
	}
	return fmt.Sprintf("seed %d · rerun: tangle run %s%s --seed %d --replications %d", sc.Seed, quote(file), sets, sc.Seed, sc.Replications)
}

// WriteFile writes sc as a scenario file under the system's temporary
// directory (tangle-scenariotest/NAME-HASH.yaml) and returns its path.
func WriteFile(sc *scenarios.Scenario) (string, error) {
	src, err := sc.YAML()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), "tangle-scenariotest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.yaml", sanitize(sc.Name), hash(src)[:12]))
	return path, os.WriteFile(path, src, 0o644)
}

func sameYAML(a, b *scenarios.Scenario) bool {
	ya, err := a.YAML()
	if err != nil {
		return false
	}
	yb, err := b.YAML()
	return err == nil && string(ya) == string(yb)
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, s)
}

func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// RerunLine is the seed and the command that reproduces the run.
func (r *Result) RerunLine() string { return r.rerun }

// Metric returns the mean of a metric across replications for one
// strategy ("" for the only one). A missing strategy or metric fails the
// test and returns NaN.
func (r *Result) Metric(strategy, metric string) float64 {
	r.t.Helper()
	v, err := metricOf(r.Result, strategy, metric)
	if err != nil {
		r.t.Fatalf("scenariotest: %v\n%s", err, r.rerun)
		return math.NaN()
	}
	return v
}

// AtLeast asserts that a strategy's metric (mean across replications) is
// at least min; an undefined (NaN) value fails.
func (r *Result) AtLeast(strategy, metric string, min float64) bool {
	r.t.Helper()
	return r.report(AtLeast(strategy, metric, min)(r.Result))
}

// AtMost asserts that a strategy's metric is at most max; an undefined
// (NaN) value fails.
func (r *Result) AtMost(strategy, metric string, max float64) bool {
	r.t.Helper()
	return r.report(AtMost(strategy, metric, max)(r.Result))
}

// ChecksPass asserts that every check and SLO of the scenario held.
func (r *Result) ChecksPass() bool {
	r.t.Helper()
	return r.report(ChecksPass(r.Result))
}

// Invariants asserts the built-in invariants: every request ends exactly
// once, time moves forward, retries stay within their policy.
func (r *Result) Invariants() bool {
	r.t.Helper()
	return r.report(Invariants(r.Result))
}

// Recovers asserts that a strategy returned to its pre-fault baseline
// after the faults (non_recovery = 0 in every replication).
func (r *Result) Recovers(strategy string) bool {
	r.t.Helper()
	return r.report(Recovers(strategy)(r.Result))
}

func (r *Result) report(err error) bool {
	r.t.Helper()
	if err == nil {
		return true
	}
	r.t.Errorf("%v\n%s", err, r.rerun)
	return false
}

// Prop is a property of a run: nil when it holds, else why not.
type Prop func(*scenarios.Result) error

// All holds when every one of props holds; it reports the first that
// does not.
func All(props ...Prop) Prop {
	return func(res *scenarios.Result) error {
		for _, p := range props {
			if err := p(res); err != nil {
				return err
			}
		}
		return nil
	}
}

// AtLeast holds when a strategy's metric is at least min.
func AtLeast(strategy, metric string, min float64) Prop {
	return bound(strategy, metric, ">=", min)
}

// AtMost holds when a strategy's metric is at most max.
func AtMost(strategy, metric string, max float64) Prop {
	return bound(strategy, metric, "<=", max)
}

func bound(strategy, metric, op string, x float64) Prop {
	return func(res *scenarios.Result) error {
		v, err := metricOf(res, strategy, metric)
		if err != nil {
			return err
		}
		if (op == ">=" && v >= x) || (op == "<=" && v <= x) {
			return nil
		}
		return fmt.Errorf("%s %s = %.6g, want %s %g", strategyLabel(res, strategy), metric, v, op, x)
	}
}

// ChecksPass holds when every check and SLO of the scenario held.
func ChecksPass(res *scenarios.Result) error {
	var bad []string
	for _, c := range res.Checks() {
		if !c.Passed {
			bad = append(bad, fmt.Sprintf("%s %s on %s: %g, want %s %g", c.Kind, c.Name, c.Strategy, c.Value, c.Op, c.Threshold))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d check%s failed:\n  %s", len(bad), plural(len(bad)), strings.Join(bad, "\n  "))
	}
	return nil
}

// Invariants holds when the built-in invariants do.
func Invariants(res *scenarios.Result) error {
	var bad []string
	for _, v := range chaos.Evaluate(res, chaos.Properties{}) {
		if v.Kind == "invariant" {
			bad = append(bad, v.String())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "\n"))
	}
	return nil
}

// Recovers holds when the strategy returned to its pre-fault baseline
// after the faults in every replication.
func Recovers(strategy string) Prop {
	return func(res *scenarios.Result) error {
		v, err := metricOf(res, strategy, "non_recovery")
		if err != nil {
			return err
		}
		if v == 0 {
			return nil
		}
		return fmt.Errorf("%s does not recover: non_recovery = %g (the run never returns to its pre-fault baseline after the last fault)", strategyLabel(res, strategy), v)
	}
}

func metricOf(res *scenarios.Result, strategy, metric string) (float64, error) {
	var s *scenarios.StrategyResult
	var names []string
	for i := range res.Strategies {
		names = append(names, res.Strategies[i].Name)
		if res.Strategies[i].Name == strategy || (strategy == "" && len(res.Strategies) == 1) {
			s = &res.Strategies[i]
		}
	}
	if s == nil {
		return math.NaN(), fmt.Errorf("no strategy %q; strategies are %s", strategy, strings.Join(names, ", "))
	}
	st, ok := s.Metrics[metric]
	if !ok {
		return math.NaN(), fmt.Errorf("strategy %s has no metric %q (see tangle list metrics; phase metrics need faults)", s.Name, metric)
	}
	if math.IsNaN(st.Mean) {
		return math.NaN(), fmt.Errorf("%s %s is undefined in every replication", s.Name, metric)
	}
	return st.Mean, nil
}

func strategyLabel(res *scenarios.Result, strategy string) string {
	if strategy == "" && len(res.Strategies) == 1 {
		return res.Strategies[0].Name
	}
	return strategy
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
