package scenarios

import (
	"fmt"
	"runtime/debug"
)

// InternalError is a panic recovered from one simulated run: a bug in
// tangle, not a problem with the scenario. It carries what reproduces it.
type InternalError struct {
	Scenario string
	Strategy string
	Seed     uint64 // the seed of the run (a replication seed) or of the sweep
	Value    any    // what panicked
	Stack    []byte
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error in scenario %s, strategy %s, seed %d: %v", e.Scenario, e.Strategy, e.Seed, e.Value)
}

// recoverRun turns a panic of the run of strategy s with seed into an
// *InternalError in *err, so one bad run cannot take down the process (or
// the other goroutines' runs) and the caller can report how to rerun it.
func recoverRun(sc *Scenario, s int, seed uint64, err *error) {
	if r := recover(); r != nil {
		name := ""
		if s >= 0 && s < len(sc.Strategies) {
			name = sc.Strategies[s].Name
		}
		*err = &InternalError{Scenario: sc.Name, Strategy: name, Seed: seed, Value: r, Stack: debug.Stack()}
	}
}
