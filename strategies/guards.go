package strategies

import (
	"github.com/tangle-sim/tangle/sim"
	"github.com/tangle-sim/tangle/topology"
)

// GuardDef is a guard (outlier detection, a circuit breaker) as scenario
// files name it. Each caller sidecar gets its own instance.
type GuardDef struct {
	Name        string
	Description string
	Source      string
	Params      sim.ParamSet
	// Build returns the factory that makes one guard per caller, from
	// complete, checked parameter values.
	Build func(p sim.Params) (topology.NewGuard, error)
}

// guards is every guard. Each family lives in its own file.
var guards = sim.NewRegistry(func(d *GuardDef) string { return d.Name }, outlierGuards, breakerGuards)

// Guards returns every guard, sorted by name.
func Guards() []*GuardDef { return guards.All() }

// LookupGuard returns the guard called name.
func LookupGuard(name string) (*GuardDef, bool) { return guards.Lookup(name) }

// GuardNames lists the guards' names, sorted.
func GuardNames() []string { return guards.Names() }

// isFailure reports whether an attempt result counts against a host or a
// breaker: any result but success. (Local refusals never reach a guard.)
func isFailure(o topology.Outcome) bool { return o != topology.Success }
