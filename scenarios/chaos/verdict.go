package chaos

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/tangle-sim/tangle/scenarios"
)

// Violation is one property a run broke.
type Violation struct {
	Kind     string // check, slo, invariant or non-recovery
	Strategy string
	What     string // one line: the property and the value that broke it
}

func (v Violation) String() string {
	if v.Strategy == "" {
		return v.Kind + ": " + v.What
	}
	return v.Kind + " on " + v.Strategy + ": " + v.What
}

// Properties selects what a trial is judged on, beyond the scenario's own
// checks and SLOs and the built-in invariants (always on).
type Properties struct {
	// NonRecovery fails a trial whose run does not return to its
	// pre-fault baseline once the faults are over (non_recovery > 0), in
	// the run and in the same run made twice as long (see Space.Judge).
	NonRecovery bool
}

// Evaluate judges a run: its checks and SLOs, the built-in invariants
// (request conservation, monotone time, retry accounting, no stale write
// accepted under fencing) and, when asked, recovery. The result is in a fixed order.
func Evaluate(res *scenarios.Result, props Properties) []Violation {
	var out []Violation
	for _, c := range res.Checks() {
		if !c.Passed {
			out = append(out, Violation{Kind: c.Kind, Strategy: c.Strategy, What: fmt.Sprintf("%s: %s = %g, want %s %g", c.Name, c.Metric, c.Value, c.Op, c.Threshold)})
		}
	}
	for _, s := range res.Strategies {
		out = append(out, invariants(res.Scenario, s)...)
		if props.NonRecovery {
			if m, ok := s.Metrics["non_recovery"]; ok && m.Mean > 0 {
				out = append(out, Violation{Kind: "non-recovery", Strategy: s.Name,
					What: fmt.Sprintf("non_recovery = %g: after the last fault ends the run never returns to its pre-fault baseline", m.Mean)})
			}
		}
	}
	return out
}

// outcomes are the summary counters every request ends in exactly once.
var outcomes = []string{"requests_success", "requests_error", "requests_timeout", "requests_rejected", "requests_dropped"}

// invariants checks what must hold in every run of every model: every
// request ends exactly once, time moves forward, attempts per request stay
// within 1 + num_retries, and under fencing no write of a deposed leader
// is accepted.
func invariants(sc *scenarios.Scenario, s scenarios.StrategyResult) []Violation {
	var out []Violation
	bad := func(format string, args ...any) {
		out = append(out, Violation{Kind: "invariant", Strategy: s.Name, What: fmt.Sprintf(format, args...)})
	}
	maxAttempts, fencing := math.Inf(1), false
	if st := strategyNamed(sc, s.Name); st != nil {
		if st.Election != nil {
			if f, ok := st.Election.Params["fencing"]; ok && f.Value == "true" {
				fencing = true
			}
		}
		if n, ok := st.Retries["num_retries"]; ok {
			if v, err := strconv.ParseFloat(n.Value, 64); err == nil {
				maxAttempts = 1 + v
			}
		}
	}
	for r, run := range s.Runs {
		sum := 0.0
		for _, o := range outcomes {
			sum += run.Summary[o]
		}
		if total := run.Summary["requests_total"]; sum != total {
			bad("request conservation: replication %d: %g requests but %g outcomes", r, total, sum)
		}
		if run.Series != nil {
			for k := 1; k < len(run.Series.Time); k++ {
				if !(run.Series.Time[k] > run.Series.Time[k-1]) {
					bad("monotone time: replication %d: series time %g after %g", r, run.Series.Time[k], run.Series.Time[k-1])
					break
				}
			}
		}
		for _, w := range run.Faults {
			if w.End < w.Start {
				bad("monotone time: replication %d: fault %d ends at %v before it starts at %v", r, w.Index, w.End, w.Start)
			}
		}
		if a, ok := run.Summary["retry_amplification"]; ok && !math.IsNaN(a) && (a < 1 || a > maxAttempts+1e-9) {
			bad("retry accounting: replication %d: %g attempts per request, outside [1, %g]", r, a, maxAttempts)
		}
		if n := run.Summary["stale_writes_accepted"]; fencing && n > 0 {
			bad("fencing: replication %d: the store accepted %g writes from a deposed leader", r, n)
		}
		if d := run.Summary["retries_denied"]; d < 0 {
			bad("retry accounting: replication %d: %g retries denied", r, d)
		}
	}
	return out
}

func strategyNamed(sc *scenarios.Scenario, name string) *scenarios.Strategy {
	i := slices.IndexFunc(sc.Strategies, func(s scenarios.Strategy) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	return &sc.Strategies[i]
}
