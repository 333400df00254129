package strategies

import (
	"slices"
	"strings"

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

// guards is every guard, sorted by name.
var guards = sortGuards(outlierGuards, breakerGuards)

func sortGuards(families ...[]*GuardDef) []*GuardDef {
	var all []*GuardDef
	for _, f := range families {
		all = append(all, f...)
	}
	slices.SortFunc(all, func(a, b *GuardDef) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Guards returns every guard, sorted by name.
func Guards() []*GuardDef { return slices.Clone(guards) }

// LookupGuard returns the guard called name.
func LookupGuard(name string) (*GuardDef, bool) {
	i := slices.IndexFunc(guards, func(d *GuardDef) bool { return d.Name == name })
	if i < 0 {
		return nil, false
	}
	return guards[i], true
}

// GuardNames lists the guards' names, sorted.
func GuardNames() []string {
	var n []string
	for _, d := range guards {
		n = append(n, d.Name)
	}
	return n
}

// isFailure reports whether an attempt result counts against a host or a
// breaker: any result but success. (Local refusals never reach a guard.)
func isFailure(o topology.Outcome) bool { return o != topology.Success }
